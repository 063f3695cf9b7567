// End to end: every lifecycle check type passing and failing against real containers
// (testdata/integration/checks.yaml). A failing running check fails its container with the
// check and its last error, exit 1, and its dependents are never created.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class ChecksTest : public E2eTest {
 protected:
  // The failure-summary line maestro prints on stderr for a container.
  std::string SummaryLine(const std::string& err, const std::string& short_name) {
    std::string needle = absl::StrCat("  ", C(short_name), ": ");
    size_t at = err.find(needle);
    if (at == std::string::npos) return "";
    return err.substr(at, err.find('\n', at) - at);
  }
};

TEST_F(ChecksTest, EveryCheckTypePassesAndFails) {
  std::string file = WriteEnvironment("checks.yaml", ReadTemplate("checks.yaml"));
  RunResult r = RunMaestro(file, {"start"}, absl::Seconds(90));
  ASSERT_FALSE(r.timed_out) << r.all();
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_LT(r.elapsed, absl::Seconds(40)) << "small max_wait values should fail fast";

  // Passing: tcp, http (status 200, match_regex), exec (plain, envfrom env, envfrom stdin),
  // rexec, sleep.
  for (const char* ok : {"ok-web", "ok-exec"}) {
    EXPECT_THAT(LastLine(r.out, C(ok)), HasSubstr("started")) << r.out;
    std::optional<nlohmann::json> c = Inspect(C(ok));
    ASSERT_TRUE(c.has_value()) << ok;
    EXPECT_TRUE((*c)["State"]["Running"].get<bool>());
  }
  std::string env_txt = ReadFile(dir_ + "/env.txt");
  EXPECT_THAT(env_txt, HasSubstr(absl::StrCat("CONTAINER_NAME=", C("ok-exec"), "\n")));
  EXPECT_THAT(env_txt, HasSubstr("GREETING=hello\n"));
  EXPECT_THAT(env_txt, HasSubstr("CONTAINER_HOST_ADDRESS=127.0.0.1\n"));
  nlohmann::json stdin_json = nlohmann::json::parse(ReadFile(dir_ + "/stdin.json"), nullptr, false);
  ASSERT_TRUE(stdin_json.is_object()) << ReadFile(dir_ + "/stdin.json");
  EXPECT_EQ(stdin_json["CONTAINER_NAME"], C("ok-exec"));
  EXPECT_EQ(stdin_json["GREETING"], "hello");
  EXPECT_EQ(stdin_json["SERVICE_NAME"], "okexec");

  // Failing: each names the check and its last error.
  EXPECT_THAT(SummaryLine(r.err, "bad-tcp"),
              AllOf(HasSubstr("failed"), HasSubstr("tcp check on port web"),
                    HasSubstr(absl::StrCat("127.0.0.2:", port_base_ + 2)), HasSubstr("refused")))
      << r.err;
  EXPECT_THAT(SummaryLine(r.err, "bad-http"),
              AllOf(HasSubstr("http check"), HasSubstr("/missing.html"), HasSubstr("404")))
      << r.err;
  EXPECT_THAT(SummaryLine(r.err, "bad-regex"),
              AllOf(HasSubstr("http check"), HasSubstr("did not match"), HasSubstr("no such text")))
      << r.err;
  EXPECT_THAT(SummaryLine(r.err, "bad-exec"),
              AllOf(HasSubstr("exec check `false`"), HasSubstr("exited with status 1")))
      << r.err;
  EXPECT_THAT(SummaryLine(r.err, "bad-rexec"),
              AllOf(HasSubstr("rexec check `test -f /x`"), HasSubstr("exited with status 1")))
      << r.err;
  for (const char* bad : {"bad-tcp", "bad-http", "bad-regex", "bad-exec", "bad-rexec"}) {
    EXPECT_THAT(LastLine(r.out, C(bad)), HasSubstr("container did not start!")) << r.out;
  }
  // The dependent of a failed container is skipped and never created.
  EXPECT_THAT(SummaryLine(r.err, "after-bad"), AllOf(HasSubstr("skipped"), HasSubstr(C("bad-tcp"))))
      << r.err;
  EXPECT_FALSE(Inspect(C("after-bad")).has_value());
}

}  // namespace
}  // namespace maestro::integration
