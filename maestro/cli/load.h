// Loading an environment file for the command line: read it (or stdin for "-"), render it as
// a Jinja2 template with `env` bound to the process environment and include/import resolved
// next to the file (the working directory for stdin), then parse and validate it
// (config::LoadEnvironment). Every failure is a Status whose message names the file and,
// where known, the line; nothing here touches a ship.
#ifndef MAESTRO_CLI_LOAD_H_
#define MAESTRO_CLI_LOAD_H_

#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
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

// Reads the values of the secrets the environment's instances use (config::ResolveSecrets):
// files relative to the environment file, maestro's own environment variables, and commands run
// without a shell through lifecycle::RunSubprocess: at most kSecretCommandTimeout, their output
// at most config::kMaxSecretBytes, killed on Ctrl-C (`cancel`). A command's stderr is not shown
// except its last line in the error when it fails; its stdout never.
inline constexpr absl::Duration kSecretCommandTimeout = absl::Seconds(60);
absl::Status ResolveSecretValues(model::Environment& env, const std::atomic<bool>* cancel);

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_LOAD_H_
