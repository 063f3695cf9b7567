// maestro-guest-slim: maestro-guest without `render` (no template engine, no Abseil): the
// smallest build, for images that only need the discovery subcommands and wait-for.
#include <iostream>
#include <string>
#include <vector>

#include "guest/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  maestro::guest::Guest guest;
  return maestro::guest::RunCli(args, guest, std::cout, std::cerr);
}
