// maestro-guest: the guest functions for shell entrypoints. A fully static binary with no
// dependencies beyond the C++ standard library, so it runs in any container (even one
// holding nothing but this file). See docs/guest.md and `maestro-guest --help`.
#include <iostream>
#include <string>
#include <vector>

#include "guest/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  maestro::guest::Guest guest;
  return maestro::guest::RunCli(args, guest, std::cout, std::cerr);
}
