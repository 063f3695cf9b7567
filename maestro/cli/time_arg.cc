#include "maestro/cli/time_arg.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace maestro::cli {

absl::StatusOr<absl::Time> ParseTimeArgument(absl::string_view flag, absl::string_view text,
                                             absl::Time now, absl::TimeZone zone) {
  std::string s(absl::StripAsciiWhitespace(text));
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return t;
  for (const char* format : {"%Y-%m-%dT%H:%M:%E*S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"}) {
    if (absl::ParseTime(format, s, zone, &t, &err)) return t;
  }
  // Unix seconds, with an optional fraction.
  std::pair<std::string, std::string> parts = absl::StrSplit(s, absl::MaxSplits('.', 1));
  int64_t seconds = 0;
  if (!parts.first.empty() && absl::ascii_isdigit(parts.first[0]) &&
      absl::SimpleAtoi(parts.first, &seconds)) {
    std::string digits = parts.second.substr(0, 9);
    bool digits_ok = true;
    for (char c : digits) digits_ok = digits_ok && absl::ascii_isdigit(c);
    if (digits_ok) {
      digits.append(9 - digits.size(), '0');
      int64_t nanos = 0;
      if (absl::SimpleAtoi(digits, &nanos)) {
        return absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
      }
    }
  }
  absl::Duration d;
  if (!s.empty() && s[0] != '-' && absl::ParseDuration(s, &d) && d != absl::InfiniteDuration()) {
    return now - d;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      flag, ": \"", text,
      "\" is not a time: use RFC 3339 (2026-12-04T03:00:00Z), Unix seconds (1764817200) or a "
      "duration before now (10m, 1h30m)"));
}

}  // namespace maestro::cli
