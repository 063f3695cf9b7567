// Loading an environment file for the command line: read it (or stdin for "-"), render it as
// a Jinja2 template with `env` bound to the process environment and include/import resolved
// next to the file (the working directory for stdin), then parse and validate it
// (config::LoadEnvironment). Every failure is a Status whose message names the file and,
// where known, the line; nothing here touches a ship.
#ifndef MAESTRO_CLI_LOAD_H_
#define MAESTRO_CLI_LOAD_H_

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/config/diagnostic.h"
#include "maestro/model/environment.h"

namespace maestro::cli {

struct LoadedEnvironment {
  model::Environment environment;
  std::vector<config::Diagnostic> warnings;
};

// `stdin_file` is read when `file` is "-". `link_variables` false skips computing the link
// variables of the injected environments (config::LoadInput::link_variables): only for
// commands that never read a container's environment.
absl::StatusOr<LoadedEnvironment> LoadEnvironmentFile(const std::string& file, FILE* stdin_file,
                                                      bool link_variables = true);

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_LOAD_H_
