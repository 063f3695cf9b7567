// A stable JSON rendering of a loaded environment, for `maestro dump` and for golden tests.
// The format is documented in docs/dump-format.md ("format": "maestro-dump/1"); fields are
// only ever added. Secrets are masked (model/secrets.h): registry passwords, env values and
// auditor options whose names look secret appear as "********" unless DumpOptions::show_secrets.
//
// WriteDump streams the document one instance at a time (memory stays about one instance's
// worth however large the output); DumpEnvironment builds the same document as one JSON value
// (for tests and small environments). Both are pure over a const Environment; safe from any
// thread.
#ifndef MAESTRO_CONFIG_DUMP_H_
#define MAESTRO_CONFIG_DUMP_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "maestro/model/environment.h"
#include "nlohmann/json.hpp"

namespace maestro {
namespace config {

inline constexpr char kDumpFormat[] = "maestro-dump/1";
inline constexpr const char* kMasked = model::kMaskedValue;

struct DumpOptions {
  bool show_secrets = false;  // `dump --show-secrets`: print secret values in clear
};

// The whole environment. When `containers` is non-empty only those instances are listed
// (in the given order, e.g. from graph::ResolveThings); otherwise all, in YAML order.
nlohmann::json DumpEnvironment(const model::Environment& env,
                               const std::vector<std::string>& containers = {},
                               const DumpOptions& options = {});

// Exactly DumpEnvironment(env, containers, options).dump(2, ' ', false, replace) followed by a
// newline, handed to `write` in pieces (one per instance, plus the parts around them). Stops
// and returns an error when `write` returns false.
absl::Status WriteDump(const model::Environment& env, const std::vector<std::string>& containers,
                       const DumpOptions& options,
                       const std::function<bool(absl::string_view)>& write);

nlohmann::json DumpInstance(const model::Environment& env, const model::Instance& instance,
                            const DumpOptions& options = {});
nlohmann::json DumpCheck(const model::Check& check);

}  // namespace config
}  // namespace maestro

#endif  // MAESTRO_CONFIG_DUMP_H_
