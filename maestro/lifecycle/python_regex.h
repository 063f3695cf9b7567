// PythonRegex: the `match_regex` of http lifecycle checks. MaestroNG uses Python's
// re.search(pattern, body, re.DOTALL); maestro compiles the pattern as a std::regex
// (ECMAScript grammar), whose syntax mostly overlaps with Python's `re`: literals, classes,
// \d \w \s \b, anchors, groups, alternation, greedy and lazy quantifiers, lookahead.
// Translated so that common Python patterns behave the same:
//   * `.` matches any character including newlines (DOTALL), outside character classes;
//   * `(?P<name>...)` becomes a plain group; `(?#...)` comments are dropped;
//   * leading inline flags `(?i)`, `(?m)`, `(?s)` (and `a`, `u`, `L`, ignored) are applied;
//   * `\A` and `\Z` become `^` and `$` (exact unless `(?m)` is given).
// Not supported (InvalidArgument at validation time, like a bad regex): `(?P=name)`
// back-references by name, lookbehind `(?<=` `(?<!`, `(?x)` verbose mode, conditionals.
// Only the first kMaxSearchBytes of a body are searched (libstdc++'s matcher recurses per
// character; the search runs on a thread with a large stack so this bound is safe).
//
// Thread-safety: a compiled PythonRegex is immutable; Search may be called concurrently.
#ifndef MAESTRO_LIFECYCLE_PYTHON_REGEX_H_
#define MAESTRO_LIFECYCLE_PYTHON_REGEX_H_

#include <cstddef>
#include <memory>
#include <regex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace maestro::lifecycle {

class PythonRegex {
 public:
  static constexpr size_t kMaxSearchBytes = 256 * 1024;

  // InvalidArgument("Bad regex for HttpRequestLifecycle: <pattern> (<why>)") on failure.
  static absl::StatusOr<PythonRegex> Compile(absl::string_view pattern);
  // re.search semantics: true if the pattern matches anywhere in `text`.
  bool Search(absl::string_view text) const;
  const std::string& pattern() const { return pattern_; }
  const std::string& translated() const { return translated_; }

 private:
  std::string pattern_;
  std::string translated_;
  std::shared_ptr<const std::regex> regex_;
};

// The ECMAScript translation of a Python pattern (exposed for tests). `flags` receives the
// std::regex flags implied by leading inline flags.
absl::StatusOr<std::string> TranslatePythonRegex(absl::string_view pattern,
                                                 std::regex::flag_type* flags);

}  // namespace maestro::lifecycle

#endif  // MAESTRO_LIFECYCLE_PYTHON_REGEX_H_
