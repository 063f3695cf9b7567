// The one rule for secret values: a variable (or option) whose name contains PASSWORD, SECRET,
// TOKEN or KEY, in any case, holds a secret. Everything that shows values to a user (dump,
// drift reports, validation errors) masks those values through this file, and registry
// passwords are always masked; `maestro dump --show-secrets` is the documented way to see them.
// The values of `secrets:` (Environment::secrets, docs/environment.md#secrets) are never shown,
// not even with --show-secrets: dump shows their source, plan a salted fingerprint's change, and
// text that might quote one (a failed delivery's output) goes through Redact.
//
// Pure functions; safe from any thread.
#ifndef MAESTRO_MODEL_SECRETS_H_
#define MAESTRO_MODEL_SECRETS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace maestro {
namespace model {

// What a masked value is shown as.
inline constexpr char kMaskedValue[] = "********";

// True for names containing PASSWORD, SECRET, TOKEN or KEY (ASCII, case-insensitive).
bool IsSecretName(absl::string_view name);

// `value`, or kMaskedValue when `name` looks secret.
std::string MaskedValue(absl::string_view name, absl::string_view value);

// For messages that quote a value: "'value'", or "'********'" when `name` looks secret.
std::string QuoteValue(absl::string_view name, absl::string_view value);

// `text` with every occurrence of each non-empty value of `values` replaced by kMaskedValue.
std::string Redact(absl::string_view text, const std::vector<std::string>& values);

}  // namespace model
}  // namespace maestro

#endif  // MAESTRO_MODEL_SECRETS_H_
