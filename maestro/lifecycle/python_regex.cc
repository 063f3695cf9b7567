#include "maestro/lifecycle/python_regex.h"

#include <pthread.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace maestro::lifecycle {
namespace {

absl::Status Bad(absl::string_view pattern, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("Bad regex for HttpRequestLifecycle: ", pattern, " (", why, ")"));
}

struct SearchJob {
  const std::regex* regex;
  absl::string_view text;
  bool found = false;
  bool failed = false;
};

void* RunSearch(void* arg) {
  auto* job = static_cast<SearchJob*>(arg);
  try {
    job->found = std::regex_search(job->text.begin(), job->text.end(), *job->regex);
  } catch (const std::regex_error&) {
    job->failed = true;  // error_complexity / error_stack: treat as no match
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::string> TranslatePythonRegex(absl::string_view p,
                                                 std::regex::flag_type* flags) {
  std::string out;
  size_t i = 0;
  // Leading inline flags, possibly several groups: (?i)(?s)...
  while (p.substr(i, 2) == "(?" && i + 2 < p.size() &&
         absl::string_view("aiLmsux").find(p[i + 2]) != absl::string_view::npos) {
    size_t close = p.find(')', i);
    if (close == absl::string_view::npos) return Bad(p, "unterminated inline flags");
    for (char c : p.substr(i + 2, close - i - 2)) {
      switch (c) {
        case 'i':
          *flags |= std::regex::icase;
          break;
        case 'm':
          *flags |= std::regex::multiline;
          break;
        case 's':
        case 'a':
        case 'u':
        case 'L':
          break;
        case 'x':
          return Bad(p, "verbose mode (?x) is not supported");
        default:
          return Bad(p, absl::StrCat("unknown inline flag '", std::string(1, c), "'"));
      }
    }
    i = close + 1;
  }
  bool in_class = false;
  for (; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      if (i + 1 >= p.size()) return Bad(p, "trailing backslash");
      char n = p[i + 1];
      ++i;
      if (!in_class && n == 'A') {
        out += '^';
      } else if (!in_class && n == 'Z') {
        out += '$';
      } else {
        out += '\\';
        out += n;
      }
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal in Python.
      if (i + 1 < p.size() && p[i + 1] == '^') {
        out += '^';
        ++i;
      }
      if (i + 1 < p.size() && p[i + 1] == ']') {
        out += "\\]";
        ++i;
      }
      continue;
    }
    if (c == '.') {
      out += "[\\s\\S]";
      continue;
    }
    if (c == '(' && p.substr(i, 2) == "(?") {
      absl::string_view rest = p.substr(i);
      if (absl::StartsWith(rest, "(?P<")) {
        size_t close = p.find('>', i);
        if (close == absl::string_view::npos) return Bad(p, "unterminated group name");
        out += '(';
        i = close;
        continue;
      }
      if (absl::StartsWith(rest, "(?#")) {
        size_t close = p.find(')', i);
        if (close == absl::string_view::npos) return Bad(p, "unterminated comment");
        i = close;
        continue;
      }
      if (absl::StartsWith(rest, "(?P=")) return Bad(p, "named back-references are not supported");
      if (absl::StartsWith(rest, "(?<=") || absl::StartsWith(rest, "(?<!")) {
        return Bad(p, "lookbehind is not supported");
      }
      if (absl::StartsWith(rest, "(?(")) return Bad(p, "conditional groups are not supported");
      if (!absl::StartsWith(rest, "(?:") && !absl::StartsWith(rest, "(?=") &&
          !absl::StartsWith(rest, "(?!")) {
        return Bad(p, "unsupported group syntax");
      }
    }
    out += c;
  }
  if (in_class) return Bad(p, "unterminated character set");
  return out;
}

absl::StatusOr<PythonRegex> PythonRegex::Compile(absl::string_view pattern) {
  PythonRegex r;
  r.pattern_ = std::string(pattern);
  std::regex::flag_type flags = std::regex::ECMAScript;
  absl::StatusOr<std::string> t = TranslatePythonRegex(pattern, &flags);
  if (!t.ok()) return t.status();
  r.translated_ = *t;
  try {
    r.regex_ = std::make_shared<const std::regex>(r.translated_, flags);
  } catch (const std::regex_error& e) {
    return Bad(pattern, e.what());
  }
  return r;
}

bool PythonRegex::Search(absl::string_view text) const {
  SearchJob job{regex_.get(), text.substr(0, kMaxSearchBytes)};
  // libstdc++'s backtracking matcher recurses about once per matched character; give it a
  // stack far larger than any kMaxSearchBytes search needs (reserved, not committed).
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t{1} << 30);
  pthread_t thread;
  if (pthread_create(&thread, &attr, &RunSearch, &job) != 0) {
    pthread_attr_destroy(&attr);
    job.text = text.substr(0, 8 * 1024);  // no big stack: search a prefix on this one
    RunSearch(&job);
    return job.found;
  }
  pthread_attr_destroy(&attr);
  pthread_join(thread, nullptr);
  return job.found;
}

}  // namespace maestro::lifecycle
