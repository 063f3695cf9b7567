// Reading secret values (docs/environment.md#secrets) on the machine that runs maestro, after
// the environment is loaded: a file, an environment variable or a command's standard output
// (a password manager's CLI). Every source is a seam handed in, so this is testable without a
// disk, an environment or processes; cli/ wires the real ones (the command through
// lifecycle::RunSubprocess, bounded in time and output, Ctrl-C aware).
//
// Values are never part of a message: errors name the environment file, the secret's position
// and name, and the source (path, variable, program), never what was read.
//
// Thread-compatible: ResolveSecrets changes the Environment it is given.
#ifndef MAESTRO_CONFIG_SECRET_VALUES_H_
#define MAESTRO_CONFIG_SECRET_VALUES_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "maestro/config/file_reader.h"
#include "maestro/model/environment.h"

namespace maestro {
namespace config {

// The largest secret value (it lives in a tmpfs, in memory, on the ship).
inline constexpr size_t kMaxSecretBytes = 1 << 20;

struct SecretSources {
  FileReader* files = nullptr;  // `file:` (relative paths are joined to the env's base_dir)
  // `environment:`: the variable's value, nullopt when unset.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  // `command:`: the program's standard output. Its error message must not contain that output.
  std::function<absl::StatusOr<std::string>(const std::vector<std::string>&)> run;
};

// Reads the value of every secret some instance uses, sets Secret::value and ::fingerprint and
// copies the fingerprint into each instance's SecretMount. A command's output loses one trailing
// newline; files and variables are taken as they are. Errors: InvalidArgument (NotFound for a
// missing file or unset variable), one line per secret that could not be read, each
// "file:line:col: secrets.NAME: why".
absl::Status ResolveSecrets(model::Environment& env, const SecretSources& sources);

// A salted hash of a value: the first 16 hex digits of SHA-256 over a salt made of the
// environment's and the secret's names, and the value. Stable across runs and machines (so
// `plan` sees a changed value), but not the bare hash of the value.
std::string SecretFingerprint(absl::string_view environment, absl::string_view secret,
                              absl::string_view value);

}  // namespace config
}  // namespace maestro

#endif  // MAESTRO_CONFIG_SECRET_VALUES_H_
