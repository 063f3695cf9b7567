// The one rule for secret values: a variable (or option) whose name contains PASSWORD, SECRET,
// TOKEN or KEY, in any case, holds a secret. Everything that shows values to a user (dump,
// drift reports, validation errors) masks those values through this file, and registry
// passwords are always masked; `maestro dump --show-secrets` is the documented way to see them.
//
// Pure functions; safe from any thread.
#ifndef MAESTRO_MODEL_SECRETS_H_
#define MAESTRO_MODEL_SECRETS_H_

#include <string>

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

}  // namespace model
}  // namespace maestro

#endif  // MAESTRO_MODEL_SECRETS_H_
