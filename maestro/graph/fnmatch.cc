#include "maestro/graph/fnmatch.h"

#include <vector>

namespace maestro {
namespace graph {
namespace {

// Tries to match a character class starting at pattern[p] == '['. Returns the index after the
// closing ']' and sets *matched, or returns 0 when the class is unclosed (then '[' is literal).
size_t MatchClass(absl::string_view pattern, size_t p, char c, bool* matched) {
  size_t i = p + 1;
  bool negate = false;
  if (i < pattern.size() && pattern[i] == '!') {
    negate = true;
    ++i;
  }
  size_t start = i;
  // A ']' right after '[' or '[!' is a literal member.
  size_t j = i;
  if (j < pattern.size() && pattern[j] == ']') ++j;
  while (j < pattern.size() && pattern[j] != ']') ++j;
  if (j >= pattern.size()) return 0;
  bool found = false;
  for (size_t k = start; k < j; ++k) {
    if (k + 2 < j && pattern[k + 1] == '-') {
      if (pattern[k] <= c && c <= pattern[k + 2]) found = true;
      k += 2;
    } else if (pattern[k] == c) {
      found = true;
    }
  }
  *matched = negate ? !found : found;
  return j + 1;
}

}  // namespace

bool FnMatch(absl::string_view name, absl::string_view pattern) {
  // Iterative matcher with backtracking on the last '*'.
  size_t n = 0, p = 0;
  size_t star_p = absl::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        star_p = p++;
        star_n = n;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++n;
        continue;
      }
      if (pc == '[') {
        bool matched = false;
        size_t next = MatchClass(pattern, p, name[n], &matched);
        if (next == 0) {
          if (name[n] == '[') {
            ++p;
            ++n;
            continue;
          }
        } else if (matched) {
          p = next;
          ++n;
          continue;
        }
      } else if (pc == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (star_p == absl::string_view::npos) return false;
    p = star_p + 1;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace graph
}  // namespace maestro
