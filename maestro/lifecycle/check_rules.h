// The rules a lifecycle check (model::Check) must follow: the one home of check validation.
// The config loader applies them to every check it builds (reporting the problem at the YAML
// key it is about, with line and column), and ValidateCheck (checks.h) applies them again
// before a check runs (for checks built by other means, e.g. tests). A pure library: the
// loader depends on it without depending on the check runners.
//
// Rules: the named port is defined, TCP and not a range (FIX #23), ports 1-65535, a host to
// check, non-negative max_wait/attempts/wait; http: scheme http or https, a known method,
// `match_regex` compiles with Python `re` syntax (python_regex.h: (?i), (?P<n>...)
// ...), requests_options keys and value types; exec/rexec: a non-empty command, envfrom env
// or stdin. Messages follow MaestroNG's where it had one ("Port web is not TCP!").
//
// Thread-safety: pure functions; safe from any thread.
#ifndef MAESTRO_LIFECYCLE_CHECK_RULES_H_
#define MAESTRO_LIFECYCLE_CHECK_RULES_H_

#include <optional>
#include <string>

#include "maestro/model/environment.h"

namespace maestro::lifecycle {

struct CheckProblem {
  // The check option the problem is about, as a dotted path inside the check
  // ("match_regex", "requests_options.timeout", "port"); "" for the check as a whole.
  std::string key;
  std::string message;
};

// The first rule `check` breaks, or nullopt. `instance` (may be null) resolves named ports.
std::optional<CheckProblem> FindCheckProblem(const model::Check& check,
                                             const model::Instance* instance);

}  // namespace maestro::lifecycle

#endif  // MAESTRO_LIFECYCLE_CHECK_RULES_H_
