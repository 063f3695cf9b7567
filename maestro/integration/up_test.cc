// End to end: `maestro up` against the real daemon. Changing one key of one instance recreates
// exactly that container (ids compared before and after); a changed port recreates the
// dependents that get it as a link variable, exactly as `plan` said; a second `up` does
// nothing; two `up` at once on one environment take turns through the deploy lock and lose
// no container.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kEnvironment[] = R"(
__maestro: {schema: 2}
name: "{{P}}up"
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
        ports: {sql: "5432:{{PORT1}}"}
        labels: {maestro.test: "1"}
        lifecycle: {running: [{type: sleep, wait: {{WAIT}}}]}
  api:
    image: "{{IMAGE}}"
    requires: [db]
    env: {MODE: one}
    instances:
      "{{P}}api-1":
        ship: ship1
        command: sleep 1000
        stop_timeout: 1
        ports: {http: "80:{{PORT2}}"}
        labels: {maestro.test: "1"}
  web:
    image: "{{IMAGE}}"
    requires: [api]
    env: {JAVA_OPTS: "-Xmx1g"}
    instances:
      "{{P}}web-1":
        ship: ship1
        command: sleep 1000
        stop_timeout: 1
        labels: {maestro.test: "1"}
)";

class UpTest : public E2eTest {
 protected:
  void TearDown() override {
    RemoveContainersWithPrefix(absl::StrCat("maestro-lock.", prefix_, "up"));
    E2eTest::TearDown();
  }
  std::string Write(const std::string& yaml, const std::string& wait = "0") {
    return WriteEnvironment("up.yaml", yaml, {{"WAIT", wait}});
  }
  // Container id by short name, "" when absent.
  std::map<std::string, std::string> Ids() {
    std::map<std::string, std::string> out;
    for (const char* n : {"db-1", "api-1", "web-1"}) {
      std::optional<nlohmann::json> inspect = Inspect(C(n));
      out[n] = inspect ? (*inspect)["Id"].get<std::string>() : "";
    }
    return out;
  }
  bool AllRunning() {
    for (const char* n : {"db-1", "api-1", "web-1"}) {
      std::optional<nlohmann::json> inspect = Inspect(C(n));
      if (!inspect || !(*inspect)["State"]["Running"].get<bool>()) return false;
    }
    return true;
  }
  // The short names `plan` (plain lines) says it will recreate.
  std::set<std::string> PlannedRecreates(const std::string& plan_output) {
    std::set<std::string> out;
    for (absl::string_view line : absl::StrSplit(plan_output, '\n')) {
      for (const char* n : {"db-1", "api-1", "web-1"}) {
        if (absl::StartsWith(line, absl::StrCat("ship1 ", C(n), " recreate:"))) out.insert(n);
      }
    }
    return out;
  }
};

TEST_F(UpTest, RecreatesExactlyTheChangedContainerThenHasNothingToDo) {
  std::string file = Write(kEnvironment);
  RunResult first = RunMaestro(file, {"up"});
  ASSERT_EQ(first.exit_code, 0) << first.all();
  EXPECT_THAT(first.out, HasSubstr("Plan: 3 to create.\n"));
  ASSERT_TRUE(AllRunning());
  std::map<std::string, std::string> before = Ids();

  // One key of one instance: only that container is recreated.
  file = Write(absl::StrReplaceAll(kEnvironment, {{"-Xmx1g", "-Xmx2g"}}));
  RunResult plan = RunMaestro(file, {"plan"});
  EXPECT_EQ(PlannedRecreates(plan.out), std::set<std::string>{"web-1"}) << plan.all();
  RunResult changed = RunMaestro(file, {"up"});
  ASSERT_EQ(changed.exit_code, 0) << changed.all();
  EXPECT_THAT(changed.out, HasSubstr("Plan: 1 to recreate, 2 unchanged.\n"));
  EXPECT_THAT(LastLine(changed.out, C("web-1")),
              HasSubstr("(recreated: env: JAVA_OPTS changed from \"-Xmx1g\" to \"-Xmx2g\")"));
  std::map<std::string, std::string> after = Ids();
  EXPECT_EQ(after["db-1"], before["db-1"]);
  EXPECT_EQ(after["api-1"], before["api-1"]);
  EXPECT_NE(after["web-1"], before["web-1"]);
  EXPECT_FALSE(after["web-1"].empty());
  EXPECT_TRUE(AllRunning());
  std::optional<nlohmann::json> web = Inspect(C("web-1"));
  ASSERT_TRUE(web.has_value());
  EXPECT_THAT(EnvList(*web), ::testing::Contains("JAVA_OPTS=-Xmx2g"));

  // Again: nothing to do, nothing touched.
  RunResult again = RunMaestro(file, {"up"});
  EXPECT_EQ(again.exit_code, 0) << again.all();
  EXPECT_THAT(again.out, HasSubstr("Plan: 3 unchanged.\n"));
  for (const char* n : {"db-1", "api-1", "web-1"}) {
    EXPECT_THAT(LastLine(again.out, C(n)), HasSubstr("no change")) << again.out;
  }
  EXPECT_EQ(Ids(), after);
  RunResult json = RunMaestro(file, {"up", "--format", "json"});
  EXPECT_EQ(json.exit_code, 0) << json.all();
  EXPECT_THAT(json.out, HasSubstr("\"no change\""));
  EXPECT_EQ(Ids(), after);
}

TEST_F(UpTest, ChangedPortRecreatesTheDependentsThatPlanSaysGetItAsALinkVariable) {
  std::string file = Write(kEnvironment);
  ASSERT_EQ(RunMaestro(file, {"up"}).exit_code, 0);
  std::map<std::string, std::string> before = Ids();

  file = Write(absl::StrReplaceAll(kEnvironment, {{"5432:{{PORT1}}", "5432:{{PORT3}}"}}));
  RunResult plan = RunMaestro(file, {"plan"});
  std::set<std::string> planned = PlannedRecreates(plan.out);
  EXPECT_TRUE(planned.count("db-1")) << plan.out;
  EXPECT_TRUE(planned.count("api-1")) << plan.out;  // it gets db-1's port as a variable
  EXPECT_THAT(plan.out, HasSubstr("_PORT changed from"));

  RunResult up = RunMaestro(file, {"up"});
  ASSERT_EQ(up.exit_code, 0) << up.all();
  std::map<std::string, std::string> after = Ids();
  std::set<std::string> recreated;
  for (const auto& [n, id] : after) {
    if (id != before[n]) recreated.insert(n);
  }
  EXPECT_EQ(recreated, planned) << up.out;  // up did exactly what plan said
  EXPECT_TRUE(AllRunning());
  // The dependent came up after its dependency.
  std::optional<nlohmann::json> db = Inspect(C("db-1"));
  std::optional<nlohmann::json> api = Inspect(C("api-1"));
  ASSERT_TRUE(db && api);
  EXPECT_LE(StartedAt(*db), StartedAt(*api));
  EXPECT_THAT(RunMaestro(file, {"up"}).out, HasSubstr("Plan: 3 unchanged.\n"));
}

TEST_F(UpTest, TwoUpsAtOnceTakeTurnsThroughTheLockAndLoseNothing) {
  // db's running check holds the first `up` (and its lock) for a few seconds.
  std::string file = Write(kEnvironment, "3");
  MaestroProcess first(file, {"up"});
  ASSERT_TRUE(first.started());
  MaestroProcess second(file, {"up", "--lock-wait", "120"});
  ASSERT_TRUE(second.started());
  RunResult a = first.Wait(absl::Seconds(120));
  RunResult b = second.Wait(absl::Seconds(120));
  EXPECT_EQ(a.exit_code, 0) << a.all();
  EXPECT_EQ(b.exit_code, 0) << b.all();
  // One of them created everything; the other waited for the lock and found nothing to do.
  const bool a_created = absl::StrContains(a.out, "Plan: 3 to create.");
  const RunResult& creator = a_created ? a : b;
  const RunResult& waiter = a_created ? b : a;
  EXPECT_THAT(creator.out, HasSubstr("Plan: 3 to create.\n")) << a.all() << b.all();
  EXPECT_THAT(waiter.out, HasSubstr("Plan: 3 unchanged.\n")) << a.all() << b.all();
  EXPECT_THAT(waiter.err, HasSubstr("waiting for the deploy lock")) << waiter.all();
  EXPECT_THAT(ContainersWithPrefix(prefix_),
              UnorderedElementsAre(C("db-1"), C("api-1"), C("web-1")));
  EXPECT_TRUE(AllRunning());
}

}  // namespace
}  // namespace maestro::integration
