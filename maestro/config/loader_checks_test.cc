// Lifecycle checks at load: the rules of check_rules.h (the same the checks use at run time)
// applied by the loader, reported at the option they are about with line and column.
#include <regex>
#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/config_test_util.h"
#include "maestro/config/loader.h"

namespace maestro {
namespace config {
namespace {

using test_util::LoadErrors;
using test_util::LoadText;

// One http check on instance w1 with the given extra options (a YAML flow mapping's body).
std::string HttpCheck(const std::string& options) {
  return "name: t\nships: {s1: {ip: 10.0.0.1}}\nservices:\n  web:\n    image: a\n"
         "    instances:\n      w1:\n        ship: s1\n        ports: {http: 80}\n"
         "        lifecycle:\n          running: [{type: http, port: http, " +
         options + "}]\n";
}

// Regression: Python syntax was rejected at load (checked as ECMAScript) although the check
// itself supports it.
TEST(LoaderChecksTest, MatchRegexUsesPythonSyntax) {
  for (const char* re : {"'(?i)healthy'", "'(?P<state>ok|up)'", "'\\Aok\\Z'"}) {
    auto r = LoadText(HttpCheck(std::string("match_regex: ") + re));
    ASSERT_TRUE(r.ok()) << re << ": " << r.status();
    const model::Instance* w1 = r->environment.FindInstance("w1");
    ASSERT_EQ(w1->lifecycle.at("running").size(), 1u);
    EXPECT_TRUE(w1->lifecycle.at("running")[0].match_regex.has_value());
  }
  EXPECT_THAT(LoadErrors(HttpCheck("match_regex: '(unclosed'")),
              ::testing::StartsWith("maestro.yaml:11:59: services.web.instances.w1.lifecycle."
                                    "running[0].match_regex: Bad regex for HttpRequestLifecycle: "
                                    "(unclosed"));
}

// Regression: these were found by a second pass in cli/load.cc, after loading, as
// "file:line: ..." without the column and in a different form.
TEST(LoaderChecksTest, RuleViolationsArePositioned) {
  EXPECT_EQ(LoadErrors(HttpCheck("requests_options: {timeout: .inf}")),
            "maestro.yaml:11:74: services.web.instances.w1.lifecycle.running[0].requests_options."
            "timeout: requests_options.timeout must be a positive number of seconds or "
            "[connect, read]");
  EXPECT_EQ(LoadErrors(HttpCheck("requests_options: {proxies: {}}")),
            "maestro.yaml:11:74: services.web.instances.w1.lifecycle.running[0].requests_options."
            "proxies: unsupported requests_options key 'proxies' (supported: allow_redirects, "
            "auth, cert, data, headers, json, params, timeout, verify)");
  EXPECT_EQ(LoadErrors(HttpCheck("scheme: ftp")),
            "maestro.yaml:11:54: services.web.instances.w1.lifecycle.running[0].scheme: scheme "
            "must be http or https, not 'ftp'");
  EXPECT_EQ(LoadErrors(HttpCheck("method: brew")),
            "maestro.yaml:11:54: services.web.instances.w1.lifecycle.running[0].method: "
            "unsupported HTTP method 'brew'");
}

// Every line of a multi-error report has the same shape.
TEST(LoaderChecksTest, EveryErrorLineHasTheSameShape) {
  std::string errors = LoadErrors(R"(name: t
ships:
  s1: {ip: 10.0.0.1, timeout: .nan}
  s2: {ip: 10.0.0.2}
services:
  web:
    image: a
    instances:
      w1:
        ship: s2
        ports: {dns: 53/udp}
        lifecycle:
          running:
            - {type: http, port: 80, match_regex: '(?<=x)'}
            - {type: tcp, port: dns}
            - {type: exec, command: ''}
)");
  std::vector<std::string> lines = absl::StrSplit(errors, '\n');
  ASSERT_EQ(lines.size(), 4u) << errors;
  const std::regex shape(R"(maestro\.yaml:\d+:\d+: [a-z0-9_.\[\]-]+: .+)");
  for (const std::string& line : lines) {
    EXPECT_TRUE(std::regex_match(line, shape)) << line;
  }
  EXPECT_THAT(lines[0], ::testing::StartsWith("maestro.yaml:3:31: ships.s1.timeout: "));
  EXPECT_THAT(lines[1], ::testing::StartsWith(
                            "maestro.yaml:14:51: services.web.instances.w1.lifecycle.running[0]."
                            "match_regex: Bad regex for HttpRequestLifecycle: (?<=x)"));
  EXPECT_EQ(lines[2],
            "maestro.yaml:15:33: services.web.instances.w1.lifecycle.running[1].port: "
            "Port dns is not TCP!");
  EXPECT_EQ(lines[3],
            "maestro.yaml:16:37: services.web.instances.w1.lifecycle.running[2]."
            "command: `command` is required and must not be empty");
}

}  // namespace
}  // namespace config
}  // namespace maestro
