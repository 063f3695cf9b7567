// maestro-guest: the guest functions for shell entrypoints, plus wait-for and render. A fully
// static binary (standard library, the guest header library and maestro's template engine),
// so it runs in any container, even one holding nothing but this file. See docs/guest.md and
// `maestro-guest --help`. //guest:maestro-guest-slim is the same without `render`.
#include <iostream>
#include <string>
#include <vector>

#include "guest/cli.h"
#include "guest/render.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // A snapshot of the environment: O(log n) lookups instead of getenv's linear scan (thousands
  // of link variables in a large environment).
  const maestro::guest::MapEnviron environ_snapshot = maestro::guest::MapEnviron::FromProcess();
  maestro::guest::Guest guest(environ_snapshot);
  maestro::guest::CliHooks hooks;
  hooks.render = maestro::guest::RenderCommand;
  return maestro::guest::RunCli(args, guest, std::cout, std::cerr, hooks);
}
