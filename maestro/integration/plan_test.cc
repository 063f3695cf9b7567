// End to end: `maestro plan` against the real daemon. A started environment plans "no change"
// (exit 0 with --detailed-exitcode); changing one key makes plan name exactly that field (exit
// 2); a foreign container holding a wanted host port is a preflight problem (exit 1).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::HasSubstr;

constexpr char kEnvironment[] = R"(
__maestro: {schema: 2}
name: "{{P}}plan"
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
    env: {JAVA_OPTS: "-Xmx1g", DB_PASSWORD: "{{SECRET}}"}
    instances:
      "{{P}}web-1":
        ship: ship1
        command: sleep 1000
        stop_timeout: 1
        ports: {http: "80:{{PORT1}}"}
        labels: {maestro.test: "1"}
)";

class PlanTest : public E2eTest {
 protected:
  std::string Write(const std::string& yaml, const std::string& secret = "s3cret-one") {
    return WriteEnvironment("plan.yaml", yaml, {{"SECRET", secret}});
  }
};

TEST_F(PlanTest, NamesExactlyTheChangedFieldAndExitsByWhatItFound) {
  std::string file = Write(kEnvironment);
  RunResult before = RunMaestro(file, {"plan", "--detailed-exitcode"});
  EXPECT_EQ(before.exit_code, 2) << before.all();
  EXPECT_THAT(before.out, HasSubstr(absl::StrCat("ship1 ", C("db-1"), " create: no container ",
                                                 C("db-1"), " on ship1\n")));
  EXPECT_THAT(before.out, HasSubstr("Plan: 2 to create.\n"));

  RunResult start = RunMaestro(file, {"start"});
  ASSERT_EQ(start.exit_code, 0) << start.all();

  RunResult unchanged = RunMaestro(file, {"plan", "--detailed-exitcode"});
  EXPECT_EQ(unchanged.exit_code, 0) << unchanged.all();
  EXPECT_EQ(unchanged.out, absl::StrCat("ship1 ", C("db-1"), " no change\nship1 ", C("web-1"),
                                        " no change\nPlan: 2 unchanged.\n"));

  // One key changed: exactly that field, the rest unchanged; secrets never printed.
  file = Write(absl::StrReplaceAll(kEnvironment, {{"-Xmx1g", "-Xmx2g"}}), "s3cret-two");
  RunResult changed = RunMaestro(file, {"plan", "--detailed-exitcode"});
  EXPECT_EQ(changed.exit_code, 2) << changed.all();
  EXPECT_EQ(changed.out,
            absl::StrCat("ship1 ", C("db-1"), " no change\nship1 ", C("web-1"),
                         " recreate: env: DB_PASSWORD changed (value hidden); JAVA_OPTS changed "
                         "from \"-Xmx1g\" to \"-Xmx2g\"\nPlan: 1 to recreate, 1 unchanged.\n"));
  EXPECT_THAT(changed.all(), ::testing::Not(HasSubstr("s3cret")));
  // Without --detailed-exitcode a plan with changes exits 0.
  EXPECT_EQ(RunMaestro(file, {"plan"}).exit_code, 0);

  // The same content as JSON.
  RunResult json = RunMaestro(file, {"plan", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.all();
  nlohmann::json j = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json.out;
  EXPECT_EQ(j["containers"][1]["name"], C("web-1"));
  EXPECT_EQ(j["containers"][1]["action"], "recreate");
  EXPECT_EQ(j["containers"][1]["reasons"].size(), 1u);
  EXPECT_EQ(j["containers"][0]["action"], "none");

  // Another image tag for db: named with both references.
  file = Write(absl::StrReplaceAll(kEnvironment, {{"image: \"{{IMAGE}}\"\n    instances:\n      "
                                                   "\"{{P}}db-1\"",
                                                   "image: \"{{IMAGE_V2}}\"\n    instances:\n  "
                                                   "    \"{{P}}db-1\""}}));
  RunResult image = RunMaestro(file, {"plan", "--detailed-exitcode", C("db-1")});
  EXPECT_EQ(image.exit_code, 2) << image.all();
  // The image, and the variables maestro derives from it; nothing the old image brought
  // (its labels) is reported as removed.
  EXPECT_THAT(image.out, HasSubstr(absl::StrCat(" recreate: image: ", Env()->image, " -> ",
                                                Env()->image_v2, "; env: DOCKER_IMAGE changed")));
  EXPECT_THAT(image.out, ::testing::Not(HasSubstr("labels")));
}

TEST_F(PlanTest, ForeignContainerHoldingAWantedPortIsAProblem) {
  nlohmann::json body = {
      {"Image", Env()->image},
      {"Cmd", {"sleep", "1000"}},
      {"Labels", {{"maestro.test", "1"}}},
      {"ExposedPorts", {{"80/tcp", nlohmann::json::object()}}},
      {"HostConfig",
       {{"PortBindings",
         {{"80/tcp", {{{"HostIp", ""}, {"HostPort", std::to_string(port_base_ + 1)}}}}}}}}};
  absl::StatusOr<docker::CreateContainerResult> foreign =
      Docker().CreateContainer(C("foreign"), body);
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  ASSERT_TRUE(Docker().StartContainer(foreign->id).ok());
  std::string file = Write(kEnvironment);
  RunResult plan = RunMaestro(file, {"plan", "--detailed-exitcode"});
  EXPECT_EQ(plan.exit_code, 1) << plan.all();
  EXPECT_THAT(plan.out,
              HasSubstr(absl::StrCat(
                  "problem: host port ", port_base_ + 1, "/tcp on ship1 wanted by ", C("web-1"),
                  " is held by running container ", C("foreign"), " (not in this plan)\n")));
}

}  // namespace
}  // namespace maestro::integration
