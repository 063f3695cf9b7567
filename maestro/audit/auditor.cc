#include "maestro/audit/auditor.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace maestro::audit {

const char* AuditLevelName(AuditLevel level) {
  return level == AuditLevel::kDebug ? "DEBUG" : "INFO";
}

std::string AuditWhat::Names(absl::string_view sep) const {
  std::vector<absl::string_view> names;
  for (const AuditTarget& t : targets) names.push_back(t.name);
  return absl::StrJoin(names, sep);
}

std::string ActionVerb(absl::string_view action) {
  if (action == "stop") return "stopping";
  return absl::StrCat(action, "ing");
}

std::string PyTitle(absl::string_view s) {
  std::string out(s);
  bool prev_letter = false;
  for (char& c : out) {
    bool letter = absl::ascii_isalpha(static_cast<unsigned char>(c));
    if (letter) c = prev_letter ? absl::ascii_tolower(c) : absl::ascii_toupper(c);
    prev_letter = letter;
  }
  return out;
}

std::string FormatWhat(const AuditWhat& what, bool compact) {
  if (!what.is_list) return what.Names();
  size_t n = what.targets.size();
  if (!compact || n < 5) return what.Names();
  return absl::StrCat(n, " container", n > 1 ? "s" : "");
}

std::string ActionText(absl::string_view who, const AuditWhat& what, absl::string_view action,
                       bool compact) {
  return absl::StrCat(who, " is ", ActionVerb(action), " ", FormatWhat(what, compact), ".");
}

std::string SuccessText(const AuditWhat& what, absl::string_view action, bool compact) {
  return absl::StrCat(PyTitle(action), " of ", FormatWhat(what, compact), " succeeded.");
}

std::string ErrorText(const AuditWhat& what, absl::string_view action, absl::string_view message,
                      bool compact) {
  std::string text = absl::StrCat("Failed to ", action, " ", FormatWhat(what, compact), "!");
  if (!message.empty()) absl::StrAppend(&text, " (message: ", message, ")");
  return text;
}

absl::StatusOr<std::string> PyFormatNamed(absl::string_view tmpl,
                                          const std::map<std::string, std::string>& vars) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c == '}') {
      if (i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
        out += '}';
        ++i;
        continue;
      }
      return absl::InvalidArgumentError(absl::StrCat("single '}' in format string '", tmpl, "'"));
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    size_t close = tmpl.find('}', i);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("single '{' in format string '", tmpl, "'"));
    }
    absl::string_view field = tmpl.substr(i + 1, close - i - 1);
    if (absl::EndsWith(field, "!s")) field.remove_suffix(2);
    auto it = vars.find(std::string(field));
    if (it == vars.end()) {
      std::vector<std::string> known;
      for (const auto& [k, v] : vars) known.push_back(absl::StrCat("{", k, "}"));
      return absl::InvalidArgumentError(absl::StrCat("unknown field {", field, "} in '", tmpl,
                                                     "' (known: ", absl::StrJoin(known, " "), ")"));
    }
    out += it->second;
    i = close;
  }
  return out;
}

std::string CurrentUserName(const std::function<const char*(const char*)>& getenv_fn) {
  for (const char* var : {"LOGNAME", "USER", "LNAME", "USERNAME"}) {
    const char* v = getenv_fn ? getenv_fn(var) : std::getenv(var);
    if (v != nullptr && *v != '\0') return v;
  }
  uid_t uid = getuid();
  std::ifstream passwd("/etc/passwd");
  std::string line;
  while (std::getline(passwd, line)) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    unsigned long id = 0;
    if (f.size() >= 3 && absl::SimpleAtoi(f[2], &id) && id == uid) return std::string(f[0]);
  }
  return std::to_string(uid);
}

}  // namespace maestro::audit
