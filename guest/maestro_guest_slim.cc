// maestro-guest-slim: maestro-guest without `render` (no template engine, no Abseil): the
// smallest build, for images that only need the discovery subcommands and wait-for.
#include <iostream>
#include <string>
#include <vector>

#include "guest/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // A snapshot of the environment: O(log n) lookups instead of getenv's linear scan (thousands
  // of link variables in a large environment).
  const maestro::guest::MapEnviron environ_snapshot = maestro::guest::MapEnviron::FromProcess();
  maestro::guest::Guest guest(environ_snapshot);
  return maestro::guest::RunCli(args, guest, std::cout, std::cerr);
}
