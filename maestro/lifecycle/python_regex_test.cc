#include "maestro/lifecycle/python_regex.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace maestro::lifecycle {
namespace {

bool Search(const std::string& pattern, const std::string& text) {
  absl::StatusOr<PythonRegex> r = PythonRegex::Compile(pattern);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() && r->Search(text);
}

TEST(PythonRegexTest, DotMatchesNewlinesLikeReDotAll) {
  EXPECT_TRUE(Search("a.b", "a\nb"));
  EXPECT_TRUE(Search("\"status\":\\s*\"UP\".*ok", "{\"status\": \"UP\",\n\"x\": \"ok\"}"));
  EXPECT_TRUE(Search("[.]", "x.y"));
  EXPECT_FALSE(Search("[.]", "xy"));
  EXPECT_FALSE(Search("a\\.b", "a\nb"));
}

TEST(PythonRegexTest, PythonSyntaxIsTranslated) {
  EXPECT_TRUE(Search("(?P<word>he..o) world", "say hello world"));
  EXPECT_TRUE(Search("(?i)HEALTHY", "all healthy"));
  EXPECT_TRUE(Search("\\Aok\\Z", "ok"));
  EXPECT_FALSE(Search("\\Aok\\Z", "not ok"));
  EXPECT_TRUE(Search("(?m)^ready$", "starting\nready\n"));
  EXPECT_TRUE(Search("v\\d+(?#version)", "v12"));
  EXPECT_TRUE(Search("[]a]", "]"));
}

TEST(PythonRegexTest, BadAndUnsupportedPatternsAreErrors) {
  for (const char* p : {"(unclosed", "[abc", "(?P=name)", "(?<=x)y", "(?x) a b", "a\\"}) {
    absl::StatusOr<PythonRegex> r = PythonRegex::Compile(p);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_TRUE(absl::StartsWith(r.status().message(),
                                 std::string("Bad regex for HttpRequestLifecycle: ") + p))
        << r.status();
  }
}

TEST(PythonRegexTest, LargeBodiesDoNotOverflowTheStack) {
  std::string body(PythonRegex::kMaxSearchBytes, 'x');
  body += "END";
  EXPECT_TRUE(Search("x.*x", body));
  EXPECT_FALSE(Search("^x*$", body.substr(0, 1000) + "\n!"));  // no multiline: one line only
  EXPECT_FALSE(Search("END", body));                           // past the searched prefix
}

}  // namespace
}  // namespace maestro::lifecycle
