// Ctrl-C (Scheduler::Cancel) in the start play's pull path: between a registry's login
// retries, and while one container waits for another container's pull of the same image.
// Latches and a stateful fake host order the steps; nothing here waits on real time except
// bounded guards that only keep a broken build from hanging.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/test_world.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/ui/progress.h"

namespace maestro::plays {
namespace {

using testing::FakeClock;
using testing::FakeDockerHost;
using ::testing::HasSubstr;

constexpr char kEnvironment[] = R"(
name: test
__maestro: {schema: 2}
registries:
  local:
    registry: http://127.0.0.1:5000/v2/
    username: u
    password: secret
    retry: {attempts: 5, when: [500]}
ships:
  ship1: {ip: 127.0.0.1}
services:
  app:
    image: 127.0.0.1:5000/maestro/app:1
    instances:
      app-1: {ship: ship1}
      app-2: {ship: ship1}
)";

// A FakeDockerHost whose Login and PullImage run a hook first (Ctrl-C at a chosen moment, a
// stalled pull).
class HookedHost : public FakeDockerHost {
 public:
  using FakeDockerHost::FakeDockerHost;
  std::function<absl::Status()> on_login;
  std::function<absl::Status()> on_pull;

  absl::StatusOr<std::string> Login(const nlohmann::json& auth_config) override {
    absl::StatusOr<std::string> base = FakeDockerHost::Login(auth_config);  // records the call
    if (on_login) {
      absl::Status s = on_login();
      if (!s.ok()) return s;
    }
    return base;
  }
  absl::Status PullImage(absl::string_view image, absl::string_view tag,
                         absl::string_view registry_auth,
                         const docker::PullProgressCallback& progress) override {
    if (on_pull) {
      absl::Status s = on_pull();
      if (!s.ok()) return s;
    }
    return FakeDockerHost::PullImage(image, tag, registry_auth, progress);
  }
};

class OneShip : public ShipClients {
 public:
  explicit OneShip(Clock* clock) : host_("ship1", clock) {}
  absl::StatusOr<docker::DockerClient*> Client(const std::string& ship) override {
    if (ship != "ship1") return absl::NotFoundError(ship);
    return &host_;
  }
  HookedHost& host() { return host_; }

 private:
  HookedHost host_;
};

class NoChecks : public CheckRunner {
 public:
  absl::Status Run(const std::string&, const model::Instance&, const model::Ship&,
                   docker::DockerClient&, const std::function<bool()>&,
                   const CancellationToken&) override {
    return absl::OkStatus();
  }
};

// Runs `on_waiting` when a row starts waiting for another container's pull.
class WatchingSink : public ui::RecordingSink {
 public:
  std::function<void()> on_waiting;
  void Pending(size_t row, const std::string& message) override {
    ui::RecordingSink::Pending(row, message);
    if (on_waiting && absl::StartsWith(message, "waiting for pull of")) on_waiting();
  }
};

// Notifies when the first task has ended (a task's audit result comes after its work).
class TaskEndAudit : public AuditSink {
 public:
  absl::Status Action(const std::string&, const std::vector<std::string>&, bool) override {
    return absl::OkStatus();
  }
  void Success(const std::string&, const std::vector<std::string>& c, bool task) override {
    Note(c, task);
  }
  void Error(const std::string&, const std::vector<std::string>& c, const std::string&,
             bool task) override {
    Note(c, task);
  }
  absl::Notification ended;

 private:
  void Note(const std::vector<std::string>& c, bool task) {
    if (task && !ended.HasBeenNotified()) ended.Notify();
  }
};

class PlaysCancelTest : public ::testing::Test {
 protected:
  PlaysCancelTest() : env_(test::LoadTestEnvironment(kEnvironment)), ships_(&clock_) {
    world_.env = &env_;
    world_.ships = &ships_;
    world_.checks = &checks_;
    world_.clock = &clock_;
    world_.sink = &sink_;
  }

  const ContainerOutcome& Outcome(const PlayReport& report, const std::string& name) {
    return test::OutcomeOf(report, name);
  }

  FakeClock clock_;
  model::Environment env_;
  OneShip ships_;
  NoChecks checks_;
  WatchingSink sink_;
  PlayWorld world_;
};

TEST_F(PlaysCancelTest, CtrlCBetweenLoginRetriesEndsTheStart) {
  Scheduler scheduler({});
  HookedHost& host = ships_.host();
  // The registry answers 500 (retried up to 5 times); Ctrl-C comes during the first answer.
  host.on_login = [&] {
    scheduler.Cancel();
    return FakeDockerHost::ApiError(500, "registry busy");
  };
  PlayReport report = RunStart(world_, {"app-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 130);
  EXPECT_EQ(host.CountCalls("Login"), 1) << "no retry after Ctrl-C";
  EXPECT_EQ(clock_.total_slept(), absl::ZeroDuration()) << "no retry wait after Ctrl-C";
  EXPECT_EQ(host.CountCalls("PullImage"), 0);
  EXPECT_FALSE(host.FindContainer("app-1").has_value());
  EXPECT_THAT(Outcome(report, "app-1").error, HasSubstr("interrupted after attempt 1 of 5"));
  std::vector<ui::RecordingSink::Event> row = sink_.events_for(0);
  ASSERT_FALSE(row.empty());
  EXPECT_THAT(row.back().text, HasSubstr("interrupted"));
}

TEST_F(PlaysCancelTest, CtrlCWhileWaitingForAnotherContainersPullEndsTheWait) {
  Scheduler scheduler({});
  HookedHost& host = ships_.host();
  TaskEndAudit audit;
  world_.audit = &audit;
  // app-1 and app-2 share the image: one pulls, the other waits for that pull. Ctrl-C comes as
  // soon as one of them waits.
  absl::Notification ctrl_c;
  sink_.on_waiting = [&] {
    scheduler.Cancel();
    if (!ctrl_c.HasBeenNotified()) ctrl_c.Notify();
  };
  std::atomic<bool> waiter_ended_first{false};
  std::atomic<int> pulls{0};
  // The pull stalls past the Ctrl-C: it ends only once a task (the pulling one cannot) has
  // ended, or after a guard that only keeps a broken build from hanging.
  host.on_pull = [&] {
    ++pulls;
    if (!ctrl_c.WaitForNotificationWithTimeout(absl::Seconds(10))) {
      return absl::DeadlineExceededError("test guard: nobody waited for the pull");
    }
    waiter_ended_first = audit.ended.WaitForNotificationWithTimeout(absl::Seconds(10));
    return absl::CancelledError("interrupted while the daemon's answer was arriving");
  };
  PlayReport report = RunStart(world_, {"app-1", "app-2"}, {}, scheduler);
  world_.audit = nullptr;
  EXPECT_EQ(report.ExitCode(), 130);
  EXPECT_TRUE(waiter_ended_first) << "the waiting container waited for the stalled pull";
  EXPECT_EQ(pulls, 1) << "one pull for both";
  EXPECT_FALSE(host.FindContainer("app-1").has_value());
  EXPECT_FALSE(host.FindContainer("app-2").has_value());
  int waited = 0;
  for (const ContainerOutcome& o : report.outcomes) {
    if (absl::StrContains(o.error, "interrupted while waiting for the pull of")) ++waited;
    EXPECT_THAT(o.error, HasSubstr("interrupted")) << o.container;
  }
  EXPECT_EQ(waited, 1);
}

TEST_F(PlaysCancelTest, PullPlayCtrlCBetweenRetriesSaysInterrupted) {
  Scheduler scheduler({});
  HookedHost& host = ships_.host();
  host.on_login = [&] {
    scheduler.Cancel();
    return FakeDockerHost::ApiError(500, "registry busy");
  };
  PlayReport report = RunPull(world_, {"app-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 130);
  EXPECT_EQ(host.CountCalls("Login"), 1);
  std::vector<ui::RecordingSink::Event> row = sink_.events_for(0);
  ASSERT_FALSE(row.empty());
  EXPECT_THAT(row.back().text, HasSubstr("interrupted"));
}

}  // namespace
}  // namespace maestro::plays
