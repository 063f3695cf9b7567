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

std::string Redact(absl::string_view text, const std::vector<std::string>& values) {
  std::string out(text);
  for (const std::string& value : values) {
    if (value.empty()) continue;
    for (size_t at = out.find(value); at != std::string::npos;
         at = out.find(value, at + sizeof(kMaskedValue) - 1)) {
      out.replace(at, value.size(), kMaskedValue);
    }
  }
  return out;
}

}  // namespace model
}  // namespace maestro
