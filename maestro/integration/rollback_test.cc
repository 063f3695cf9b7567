// End to end: `maestro rollback` against the real daemon. up v1, change an env value, up v2,
// rollback -> the container runs with v1's env again (docker inspect), rollback again -> v2.
// A container with no previous spec is refused before anything is touched.
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEnvironment[] = R"(
__maestro: {schema: 2}
name: "{{P}}rollback"
ships:
  ship1: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 10}
services:
  db:
    image: "{{IMAGE}}"
    instances:
      "{{P}}db-1":
        ship: ship1
        command: sleep 1000
        stop_timeout: 1
        labels: {maestro.test: "1"}
  web:
    image: "{{IMAGE}}"
    requires: [db]
    env: {GREETING: hello, API_TOKEN: s3cr3t-one}
    instances:
      "{{P}}web-1":
        ship: ship1
        command: sleep 1000
        stop_timeout: 1
        ports: {http: "80:{{PORT1}}"}
        labels: {maestro.test: "1"}
)";

class RollbackTest : public E2eTest {
 protected:
  void TearDown() override {
    RemoveContainersWithPrefix(absl::StrCat("maestro-lock.", prefix_, "rollback"));
    E2eTest::TearDown();
  }
  std::string Id(const std::string& name) {
    std::optional<nlohmann::json> inspect = Inspect(C(name));
    return inspect ? (*inspect)["Id"].get<std::string>() : "";
  }
  std::vector<std::string> Env(const std::string& name) {
    std::optional<nlohmann::json> inspect = Inspect(C(name));
    return inspect ? EnvList(*inspect) : std::vector<std::string>{};
  }
  bool Running(const std::string& name) {
    std::optional<nlohmann::json> inspect = Inspect(C(name));
    return inspect && (*inspect)["State"]["Running"].get<bool>();
  }
};

TEST_F(RollbackTest, GoesBackToThePreviousEnvThenForwardAgain) {
  std::string v1 = WriteEnvironment("v1.yaml", kEnvironment);
  std::string v2 = WriteEnvironment(
      "v2.yaml", absl::StrReplaceAll(kEnvironment, {{"GREETING: hello", "GREETING: bonjour"},
                                                    {"s3cr3t-one", "s3cr3t-two"}}));
  RunResult up1 = RunMaestro(v1, {"up"});
  ASSERT_EQ(up1.exit_code, 0) << up1.all();

  // No container has a previous spec yet: refused, nothing touched.
  const std::string db_id = Id("db-1");
  RunResult none = RunMaestro(v1, {"rollback", "web"});
  EXPECT_EQ(none.exit_code, 1) << none.all();
  EXPECT_THAT(none.err, HasSubstr(absl::StrCat(C("web-1"), " on ship1 has no previous spec")));
  EXPECT_THAT(none.err, HasSubstr("nothing was touched"));

  RunResult up2 = RunMaestro(v2, {"up"});
  ASSERT_EQ(up2.exit_code, 0) << up2.all();
  EXPECT_THAT(Env("web-1"), Contains("GREETING=bonjour"));
  const std::string v2_id = Id("web-1");

  RunResult preview = RunMaestro(v2, {"rollback", "--dry-run", "web"});
  ASSERT_EQ(preview.exit_code, 0) << preview.all();
  EXPECT_THAT(preview.out, HasSubstr(absl::StrCat(
                               C("web-1"), " on ship1: env: API_TOKEN changed (value hidden); ",
                               "GREETING changed from \"bonjour\" to \"hello\"")));
  EXPECT_THAT(preview.all(), Not(HasSubstr("s3cr3t")));
  EXPECT_EQ(Id("web-1"), v2_id);

  RunResult back = RunMaestro(v2, {"rollback", "web"});
  ASSERT_EQ(back.exit_code, 0) << back.all();
  EXPECT_THAT(LastLine(back.out, C("web-1")), HasSubstr("(rolled back: env: "));
  EXPECT_THAT(back.all(), Not(HasSubstr("s3cr3t")));
  EXPECT_TRUE(Running("web-1"));
  EXPECT_NE(Id("web-1"), v2_id);
  EXPECT_THAT(Env("web-1"), Contains("GREETING=hello"));
  EXPECT_THAT(Env("web-1"), Contains("API_TOKEN=s3cr3t-one"));
  EXPECT_EQ(Id("db-1"), db_id);  // only what was named
  // `plan` on v2 now sees the rolled-back container as changed.
  RunResult plan = RunMaestro(v2, {"plan"});
  EXPECT_THAT(plan.out, HasSubstr("GREETING changed from \"hello\" to \"bonjour\"")) << plan.all();

  RunResult forward = RunMaestro(v2, {"rollback", "web"});
  ASSERT_EQ(forward.exit_code, 0) << forward.all();
  EXPECT_TRUE(Running("web-1"));
  EXPECT_THAT(Env("web-1"), Contains("GREETING=bonjour"));
  EXPECT_THAT(Env("web-1"), Contains("API_TOKEN=s3cr3t-two"));
  RunResult settled = RunMaestro(v2, {"plan"});
  EXPECT_THAT(settled.out, Not(HasSubstr("recreate"))) << settled.all();
}

}  // namespace
}  // namespace maestro::integration
