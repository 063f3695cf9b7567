#include "maestro/model/secrets.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace maestro {
namespace model {

bool IsSecretName(absl::string_view name) {
  std::string upper = absl::AsciiStrToUpper(name);
  for (const char* word : {"PASSWORD", "SECRET", "TOKEN", "KEY"}) {
    if (absl::StrContains(upper, word)) return true;
  }
  return false;
}

std::string MaskedValue(absl::string_view name, absl::string_view value) {
  return IsSecretName(name) ? std::string(kMaskedValue) : std::string(value);
}

std::string QuoteValue(absl::string_view name, absl::string_view value) {
  return absl::StrCat("'", MaskedValue(name, value), "'");
}

}  // namespace model
}  // namespace maestro
