// A stable JSON rendering of a loaded environment, for `maestro dump` and for golden tests.
// The format is documented in docs/dump-format.md ("format": "maestro-dump/1"); fields are
// only ever added. Secrets are masked: registry passwords and auditor `token`/`password`
// options appear as "********". Pure function over a const Environment; safe from any thread.
#ifndef MAESTRO_CONFIG_DUMP_H_
#define MAESTRO_CONFIG_DUMP_H_

#include <string>
#include <vector>

#include "maestro/model/environment.h"
#include "nlohmann/json.hpp"

namespace maestro {
namespace config {

inline constexpr char kDumpFormat[] = "maestro-dump/1";
inline constexpr char kMasked[] = "********";

// The whole environment. When `containers` is non-empty only those instances are listed
// (in the given order, e.g. from graph::ResolveThings); otherwise all, in YAML order.
nlohmann::json DumpEnvironment(const model::Environment& env,
                               const std::vector<std::string>& containers = {});

nlohmann::json DumpInstance(const model::Environment& env, const model::Instance& instance);
nlohmann::json DumpCheck(const model::Check& check);

}  // namespace config
}  // namespace maestro

#endif  // MAESTRO_CONFIG_DUMP_H_
