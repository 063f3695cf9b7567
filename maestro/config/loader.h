// Loading an environment: rendered YAML text -> validated model::Environment.
//
// LoadEnvironment parses the text (yaml_tree.h: PyYAML typing, duplicate keys, alias budget),
// builds every registry, ship, service and instance with the parsing rules of docs/environment.md,
// injects the container environment, resolves dependencies and validates the whole file (with
// MaestroNG's bugs fixed: docs/environment.md#differences-from-maestrong) before anything touches a
// ship.
//
// Errors: InvalidArgument (ResourceExhausted for oversized/alias-bomb input). The message is
// one line per problem found, each "file:line:col: path: message"; the first line is the
// first problem in document order. Problems in independent parts of the file are all
// reported (up to kMaxReportedErrors); problems that depend on earlier ones are not.
// Unknown keys are warnings ("unknown key 'requries' in service 'kafka' (did you mean
// 'requires'?)"); keys starting with '_' at top level are silently allowed.
//
// Thread-safety: LoadEnvironment is a pure function of its inputs and the FileReader; it can
// run on several threads at once with separate readers.
#ifndef MAESTRO_CONFIG_LOADER_H_
#define MAESTRO_CONFIG_LOADER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/config/diagnostic.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/yaml_tree.h"
#include "maestro/model/environment.h"

namespace maestro {
namespace config {

inline constexpr int kMaxReportedErrors = 50;

struct LoadInput {
  std::string display_name;  // as the user gave it ("maestro.yaml"; stdin shown as "<stdin>")
  std::string base_dir;      // envfile paths are relative to this (dirname of file, or CWD)
  std::string text;          // the rendered YAML text
  YamlLimits limits;         // input size and alias-expansion budget
  // The link variables (docs/guest.md#the-variables: peers' and dependencies' hosts and ports) are
  // computed last, after every check has passed, and cannot fail; commands that never look at a
  // container's environment (deptree) may skip them. Everything else is loaded and validated either
  // way.
  bool link_variables = true;
};

struct LoadResult {
  model::Environment environment;
  std::vector<Diagnostic> warnings;
};

absl::StatusOr<LoadResult> LoadEnvironment(const LoadInput& in, FileReader& files);

}  // namespace config
}  // namespace maestro

#endif  // MAESTRO_CONFIG_LOADER_H_
