// End to end: the deploy lock on the real daemon. Two `maestro start` at once on one
// environment: the second fails at once naming the holder, or with --lock-wait waits its turn,
// and no container is lost. Ctrl-C releases the lease; a killed maestro's lease stays until
// `maestro lock break`.
#include <signal.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kYaml[] = R"(
__maestro: {schema: 2}
name: "{{P}}lock-e2e"
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 10}
services:
  db:
    image: "{{IMAGE}}"
    instances:
      "{{P}}db":
        ship: local
        command: sleep 1000
        stop_timeout: 1
        labels: {maestro.test: "1"}
        lifecycle: {running: [{type: sleep, wait: {{WAIT}}}]}
  web:
    image: "{{IMAGE}}"
    requires: [db]
    instances:
      "{{P}}web":
        ship: local
        command: sleep 1000
        stop_timeout: 1
        labels: {maestro.test: "1"}
)";

class LockTest : public E2eTest {
 protected:
  void TearDown() override {
    RemoveContainersWithPrefix(LeaseName());
    E2eTest::TearDown();
  }
  std::string LeaseName() const { return absl::StrCat("maestro-lock.", prefix_, "lock-e2e"); }
  // Polls the daemon until the lease container exists (bounded).
  std::optional<nlohmann::json> WaitForLease(absl::Duration timeout) {
    const absl::Time give_up = absl::Now() + timeout;
    while (absl::Now() < give_up) {
      std::optional<nlohmann::json> lease = Inspect(LeaseName());
      if (lease) return lease;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return std::nullopt;
  }
};

TEST_F(LockTest, TwoStartsAtOnceTakeTurnsAndLoseNothing) {
  std::string file = WriteEnvironment("lock.yaml", kYaml, {{"WAIT", "4"}});
  MaestroProcess first(file, {"start"});
  ASSERT_TRUE(first.started());
  std::optional<nlohmann::json> lease = WaitForLease(absl::Seconds(60));
  ASSERT_TRUE(lease.has_value()) << first.Stdout() << first.Stderr();
  const nlohmann::json& labels = (*lease)["Config"]["Labels"];
  EXPECT_EQ(labels["maestro.lock.command"], "start");
  EXPECT_EQ(labels["maestro.lock.role"], "lease");
  EXPECT_EQ((*lease)["State"]["Status"], "created");  // never started

  // A second start without waiting fails at once, naming the holder; it touches nothing.
  RunResult at_once = RunMaestro(file, {"start", "--lock-wait", "0"});
  EXPECT_EQ(at_once.exit_code, 1) << at_once.all();
  EXPECT_THAT(at_once.all(),
              HasSubstr(absl::StrCat("local: environment ", prefix_, "lock-e2e is locked by ")));
  EXPECT_THAT(at_once.all(), HasSubstr("`maestro start`) since "));
  EXPECT_THAT(at_once.all(), HasSubstr("--lock-wait"));

  RunResult status = RunMaestro(file, {"lock", "status"});
  EXPECT_EQ(status.exit_code, 0) << status.all();
  EXPECT_THAT(status.out, HasSubstr("local: locked by ")) << status.all();

  // A third one waits for its turn, then finds everything started.
  MaestroProcess waiter(file, {"start", "--lock-wait", "120"});
  EXPECT_TRUE(waiter.WaitForOutput("waiting for the deploy lock", absl::Seconds(60)))
      << waiter.Stdout() << waiter.Stderr();
  RunResult a = first.Wait(absl::Seconds(120));
  EXPECT_EQ(a.exit_code, 0) << a.all();
  RunResult c = waiter.Wait(absl::Seconds(120));
  EXPECT_EQ(c.exit_code, 0) << c.all();

  // No container lost or doubled; every lease and renewal released.
  EXPECT_THAT(ContainersWithPrefix(prefix_), UnorderedElementsAre(C("db"), C("web")));
  for (const char* n : {"db", "web"}) {
    std::optional<nlohmann::json> inspect = Inspect(C(n));
    ASSERT_TRUE(inspect.has_value());
    EXPECT_TRUE((*inspect)["State"]["Running"].get<bool>()) << n;
  }
  EXPECT_TRUE(ContainersWithPrefix(LeaseName()).empty());
  RunResult after = RunMaestro(file, {"lock", "status"});
  EXPECT_EQ(after.out, "local: free\n") << after.all();
}

TEST_F(LockTest, CtrlCReleasesAKilledHoldersLeaseNeedsBreak) {
  std::string file = WriteEnvironment("lock.yaml", kYaml, {{"WAIT", "20"}});
  {
    MaestroProcess interrupted(file, {"start"});
    ASSERT_TRUE(WaitForLease(absl::Seconds(60)).has_value()) << interrupted.Stderr();
    interrupted.Signal(SIGINT);
    RunResult r = interrupted.Wait(absl::Seconds(90));
    EXPECT_EQ(r.exit_code, 130) << r.all();
    EXPECT_TRUE(ContainersWithPrefix(LeaseName()).empty()) << r.all();
  }
  {
    MaestroProcess killed(file, {"start"});
    ASSERT_TRUE(WaitForLease(absl::Seconds(60)).has_value()) << killed.Stderr();
    killed.Signal(SIGKILL);
    killed.Wait(absl::Seconds(30));
  }
  ASSERT_FALSE(ContainersWithPrefix(LeaseName()).empty());
  RunResult blocked = RunMaestro(file, {"stop", "--lock-wait", "0", "-s", "web"});
  EXPECT_EQ(blocked.exit_code, 1) << blocked.all();
  EXPECT_THAT(blocked.all(), HasSubstr("is locked by"));
  RunResult broke = RunMaestro(file, {"lock", "break"});
  EXPECT_EQ(broke.exit_code, 0) << broke.all();
  EXPECT_THAT(broke.out, HasSubstr("local: broke the lock held by ")) << broke.all();
  EXPECT_TRUE(ContainersWithPrefix(LeaseName()).empty());
  RunResult stop = RunMaestro(file, {"stop", "-s", "web", "db"});
  EXPECT_EQ(stop.exit_code, 0) << stop.all();
}

}  // namespace
}  // namespace maestro::integration
