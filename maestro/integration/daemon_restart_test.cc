// End to end: the real dockerd restarted while `maestro start` runs. faults_test.cc simulates a
// restart with a TCP proxy that drops connections; here `tools/testenv restart-dockerd` stops
// the shared daemon with SIGTERM (it stops every container, as on a host reboot or a package
// upgrade) and starts it again with the same flags, while maestro waits on a running check.
//
// The environment has three tiers on the local ship (unix socket):
//   base-1   restart: always, already started when the daemon goes down
//   app-1    restart: always, requires base; its running check (rexec `test -f /tmp/ready`)
//            passes READY seconds after the container (re)starts, so it cannot pass before
//            the restart and spans it: the check's attempts fail while the daemon is away
//   front-1  requires app; created only after the restart, on the new daemon
// Expected: the daemon brings base-1 and app-1 back (restart policy), app-1's check passes once
// the daemon answers again, front-1 is created and started, maestro exits 0 within bounds, and
// a second `maestro start` finds everything running. dockerd's keeper (tools/testenv) brings
// the daemon back even when an assertion fails; TearDown waits for the whole environment to be
// up again, bounded, and fails loudly if it is not (later tests share the daemon).
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// base-1 is a slow service: as PID 1, `sleep` ignores SIGTERM, so the daemon's shutdown waits
// its 10 s stop timeout before SIGKILL, and all that time the daemon still answers on
// kept-alive connections, reporting app-1 (which ends on SIGTERM at once) as exited. The
// others trap SIGTERM.
constexpr char kYaml[] = R"(
__maestro: {schema: 2}
name: dockerd-restart-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 5}
services:
  base:
    image: "{{IMAGE}}"
    instances:
      "{{P}}base-1":
        ship: local
        command: sleep 100000
        restart: always
        stop_timeout: 1
        labels: {maestro.test: "1"}
  app:
    image: "{{IMAGE}}"
    requires: [base]
    instances:
      "{{P}}app-1":
        ship: local
        command: sh -c 'trap "exit 0" TERM; rm -f /tmp/ready; sleep {{READY}} & wait; touch /tmp/ready; sleep 100000 & wait'
        restart: always
        stop_timeout: 1
        labels: {maestro.test: "1"}
        lifecycle:
          running: [{type: rexec, command: "test -f /tmp/ready", attempts: {{ATTEMPTS}}}]
  front:
    image: "{{IMAGE}}"
    requires: [app]
    instances:
      "{{P}}front-1":
        ship: local
        command: sh -c 'trap "exit 0" TERM; sleep 100000 & wait'
        stop_timeout: 1
        labels: {maestro.test: "1"}
)";

constexpr int kReadySeconds = 10;

class DaemonRestartTest : public E2eTest {
 protected:
  void TearDown() override {
    // Later tests share this daemon. Whatever failed above, dockerd's keeper (started by
    // `tools/testenv up`, outside this test) starts it again once restart-dockerd stopped it,
    // even if the command was killed half-way: wait for that, bounded. A test cannot start
    // the daemon itself: Bazel kills whatever a test leaves running.
    RunResult status;
    absl::Time deadline = absl::Now() + absl::Seconds(90);
    for (int i = 0; i < 30; ++i) {
      status = TestEnvCommand("status", absl::Seconds(60));
      if (status.exit_code == 0 || absl::Now() >= deadline) break;
      absl::SleepFor(absl::Seconds(2));
    }
    EXPECT_EQ(status.exit_code, 0)
        << "the shared test environment is not up after the daemon restart: later tests "
           "will fail; run tools/testenv up (logs in $MAESTRO_TESTENV_DIR/logs)\n"
        << status.out;
    E2eTest::TearDown();
  }

  std::vector<std::string> all() const { return {C("base-1"), C("app-1"), C("front-1")}; }

  static std::string Id(const std::optional<nlohmann::json>& j) {
    return j ? (*j)["Id"].get<std::string>() : "";
  }
  static bool IsRunning(const std::optional<nlohmann::json>& j) {
    return j && (*j)["State"]["Running"].get<bool>();
  }

  // No container of the test is left created but never started.
  void ExpectNoneCreatedOnly() {
    for (const std::string& name : ContainersWithPrefix(prefix_)) {
      std::optional<nlohmann::json> j = Inspect(name);
      ASSERT_TRUE(j.has_value()) << name;
      EXPECT_NE((*j)["State"]["Status"], "created") << name;
    }
  }
};

TEST_F(DaemonRestartTest, DaemonRestartedMidPlay) {
  std::string file = WriteEnvironment(
      "restart.yaml", kYaml, {{"READY", std::to_string(kReadySeconds)}, {"ATTEMPTS", "120"}});
  MaestroProcess p(file, {"start"});
  ASSERT_TRUE(WaitForRow(p, C("app-1"), "waiting for service...", absl::Seconds(60)))
      << p.Stdout() << p.Stderr();
  const std::optional<nlohmann::json> base_before = Inspect(C("base-1"));
  const std::optional<nlohmann::json> app_before = Inspect(C("app-1"));
  ASSERT_TRUE(IsRunning(base_before) && IsRunning(app_before)) << p.Stdout() << p.Stderr();

  // The real restart: SIGTERM (the daemon stops base-1 and app-1), then the same dockerd again.
  const absl::Time restart_began = absl::Now();
  RunResult restart = TestEnvCommand("restart-dockerd", absl::Seconds(150));
  const absl::Time daemon_back = absl::Now();
  ASSERT_FALSE(restart.timed_out) << restart.out;
  ASSERT_EQ(restart.exit_code, 0) << "tools/testenv restart-dockerd failed:\n" << restart.out;
  // app-1's check cannot have passed yet: the container slept through the shutdown and starts
  // its READY seconds again after the daemon brought it back.
  EXPECT_THAT(LastLine(p.Stdout(), C("app-1")), Not(HasSubstr("started")))
      << "the running check did not span the restart (the restart took "
      << absl::FormatDuration(daemon_back - restart_began) << ")\n"
      << p.Stdout();

  // maestro never hangs: READY seconds after the daemon is back, plus the ship timeout and
  // slack; the bound of the wait is far beyond that.
  RunResult r = p.Wait(absl::Seconds(120));
  const absl::Time maestro_done = absl::Now();
  std::cerr << "daemon restart took " << absl::FormatDuration(daemon_back - restart_began)
            << "; maestro exited " << r.exit_code << " after "
            << absl::FormatDuration(maestro_done - daemon_back)
            << " more\n---- restart-dockerd ----\n"
            << restart.out << "---- maestro stderr ----\n"
            << r.err << "----\n";
  ASSERT_FALSE(r.timed_out) << "maestro hung after the daemon restart\n" << r.all();
  EXPECT_LT(maestro_done - daemon_back, absl::Seconds(kReadySeconds + 30)) << r.all();
  // While it shuts down, the daemon still answers on kept-alive connections and reports the
  // containers it is stopping as exited; app-1 comes back (restart: always) and must not be
  // taken for a dead container.
  EXPECT_EQ(r.exit_code, 0) << "maestro did not ride out the daemon restart\n" << r.all();
  EXPECT_THAT(LastLine(r.out, C("base-1")), HasSubstr("started")) << r.out;
  EXPECT_THAT(LastLine(r.out, C("app-1")), HasSubstr("started")) << r.out;
  EXPECT_THAT(LastLine(r.out, C("front-1")), HasSubstr("started")) << r.out;

  // The daemon brought the restart-policy containers back (the same containers, started again
  // after the restart began); maestro did not recreate them. front-1 was made on the new daemon.
  const std::optional<nlohmann::json> base_after = Inspect(C("base-1"));
  const std::optional<nlohmann::json> app_after = Inspect(C("app-1"));
  const std::optional<nlohmann::json> front = Inspect(C("front-1"));
  EXPECT_TRUE(IsRunning(base_after));
  EXPECT_TRUE(IsRunning(app_after));
  EXPECT_TRUE(IsRunning(front)) << r.all();
  EXPECT_EQ(Id(base_after), Id(base_before));
  EXPECT_EQ(Id(app_after), Id(app_before));
  if (base_after) {
    EXPECT_GT(StartedAt(*base_after), restart_began);
  }
  if (app_after) {
    EXPECT_GT(StartedAt(*app_after), restart_began);
  }
  if (front) {
    EXPECT_GT(StartedAt(*front), daemon_back);
  }
  ExpectNoneCreatedOnly();

  // A second start converges at once: everything already runs, nothing is recreated.
  RunResult again = RunMaestro(file, {"start"}, absl::Seconds(60));
  ASSERT_FALSE(again.timed_out) << again.all();
  EXPECT_EQ(again.exit_code, 0) << again.all();
  for (const std::string& name : all()) {
    EXPECT_THAT(LastLine(again.out, name), HasSubstr("up")) << again.out;
    EXPECT_TRUE(IsRunning(Inspect(name))) << name;
  }
  EXPECT_EQ(Id(Inspect(C("app-1"))), Id(app_before));
  if (front) {
    EXPECT_EQ(Id(Inspect(C("front-1"))), Id(front));
  }
  ExpectNoneCreatedOnly();
}

}  // namespace
}  // namespace maestro::integration
