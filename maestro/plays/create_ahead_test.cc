// Create-ahead (a container is pulled and created while the containers it depends on are still
// starting; only its start waits for them), what a failed or interrupted play does with the
// containers it created ahead, and the per-phase timings with the critical path. FakeDockerHost
// per ship, FakeClock, scripted checks whose hooks order the threads; no timed assertions.
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/plays/convergence.h"
#include "maestro/plays/convergence_gather.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/test_world.h"
#include "maestro/plays/up.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/ui/progress.h"

namespace maestro::plays {
namespace {

using testing::FakeClock;
using testing::FakeContainerState;
using testing::FakeDockerHost;
using ::testing::HasSubstr;

constexpr char kEnvironment[] = R"(
name: test
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
  ship2: {ip: 127.0.0.2}
services:
  zookeeper:
    image: zk:3.4
    instances:
      zk-1: {ship: ship1}
  kafka:
    image: kafka:1
    requires: [zookeeper]
    instances:
      kafka-1: {ship: ship1}
  web:
    image: web:1
    instances:
      web-1: {ship: ship2}
)";

// kafka-1 as above, with a pre-start check (which may need zookeeper running).
constexpr char kPreStartEnvironment[] = R"(
name: test
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
services:
  zookeeper:
    image: zk:3.4
    instances:
      zk-1: {ship: ship1}
  kafka:
    image: kafka:1
    requires: [zookeeper]
    lifecycle:
      pre-start: [{type: sleep, wait: 1}]
    instances:
      kafka-1: {ship: ship1}
)";

// Keeps which containers' tasks the audit trail saw succeed (all of a container's nodes).
class SuccessAudit : public AuditSink {
 public:
  absl::Status Action(const std::string&, const std::vector<std::string>&, bool) override {
    return absl::OkStatus();
  }
  void Success(const std::string&, const std::vector<std::string>& containers, bool task) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (task) succeeded_.insert(containers.begin(), containers.end());
  }
  void Error(const std::string&, const std::vector<std::string>&, const std::string&,
             bool) override {}
  bool succeeded(const std::string& container) {
    std::lock_guard<std::mutex> lock(mu_);
    return succeeded_.count(container) > 0;
  }

 private:
  std::mutex mu_;
  std::set<std::string> succeeded_;
};

// Waits (bounded: 10 s of real time, a safety net, not a timing assertion) until `ready`.
bool WaitFor(const std::function<bool()>& ready) {
  for (int i = 0; i < 10000; ++i) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return ready();
}

class CreateAheadTest : public ::testing::Test {
 protected:
  explicit CreateAheadTest(const char* environment = kEnvironment)
      : env_(test::LoadTestEnvironment(environment)),
        ships_(&clock_, {"ship1", "ship2"}, {"zk:3.4", "kafka:1", "web:1"}) {
    world_.env = &env_;
    world_.ships = &ships_;
    world_.checks = &checks_;
    world_.clock = &clock_;
    world_.sink = &sink_;
  }

  // Whether kafka-1 exists on ship1 and was never started.
  bool KafkaCreatedNotStarted() {
    std::optional<testing::FakeContainer> c = ships_.host("ship1").FindContainer("kafka-1");
    return c.has_value() && c->state == FakeContainerState::kCreated && c->start_count == 0;
  }

  // The plan of `maestro up` for these containers (in dependency order).
  ConvergencePlan MakePlan(const std::vector<std::string>& containers) {
    Scheduler scheduler({});
    std::map<std::string, ShipLive> live = GatherLiveState(world_, containers, {}, scheduler);
    return ComputeConvergencePlan(env_, containers, live, PlanScope{});
  }

  // The notes the sink got for `row`.
  std::vector<std::string> Notes(size_t row) {
    std::vector<std::string> notes;
    for (const ui::RecordingSink::Event& e : sink_.events_for(row)) {
      if (e.kind == "note") notes.push_back(e.text);
    }
    return notes;
  }

  FakeClock clock_;
  model::Environment env_;
  test::FakeShips ships_;
  test::ScriptedChecks checks_;
  ui::RecordingSink sink_;
  PlayWorld world_;
};

// kafka-1 is created while zk-1 is still in its running checks, and started only after them;
// web-1 (independent) goes all the way meanwhile. The timings show it: zk-1's checks, then
// kafka-1's start, form the critical path.
TEST_F(CreateAheadTest, DependentsAreCreatedWhileTheirDependenciesStart) {
  SuccessAudit audit;
  world_.audit = &audit;
  bool created_during_checks = false;
  bool web_done_during_checks = false;
  checks_.OnCheck("running:zk-1", [&] {
    created_during_checks = WaitFor([&] { return KafkaCreatedNotStarted(); });
    // web-1's nodes, and kafka-1's preparation before them, are over (a second worker did them
    // while this one is here) before zk-1's checks take their (simulated) 10 s.
    web_done_during_checks = WaitFor([&] { return audit.succeeded("web-1"); });
    clock_.Advance(absl::Seconds(10));
  });
  checks_.OnCheck("running:kafka-1", [&] { clock_.Advance(absl::Seconds(1)); });
  Scheduler scheduler({.concurrency = 2, .clock = &clock_});
  PlayReport report = RunStart(world_, {"zk-1", "kafka-1", "web-1"}, {}, scheduler);
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_TRUE(created_during_checks) << "kafka-1 was not created ahead";
  EXPECT_TRUE(web_done_during_checks);
  // Its start still waited for zk-1's checks.
  EXPECT_LT(checks_.Position("running:zk-1"), checks_.Position("running:kafka-1"));
  EXPECT_EQ(ships_.host("ship1").FindContainer("kafka-1")->state, FakeContainerState::kRunning);

  const ui::PlayTimings& t = report.timings;
  EXPECT_EQ(t.play, "start");
  ASSERT_EQ(t.containers.size(), 3u);
  EXPECT_EQ(t.containers[0].container, "zk-1");
  EXPECT_EQ(t.containers[0].ship, "ship1");
  std::vector<ui::Phase> zk_phases;
  for (const ui::PhaseSpan& s : t.containers[0].spans) zk_phases.push_back(s.phase);
  EXPECT_EQ(zk_phases, (std::vector<ui::Phase>{ui::Phase::kConnect, ui::Phase::kCreate,
                                               ui::Phase::kStart, ui::Phase::kChecks}));
  EXPECT_GE(ui::PhaseTotal(t.containers[0], ui::Phase::kChecks), absl::Seconds(10));
  EXPECT_GE(ui::PhaseTotal(t.containers[1], ui::Phase::kChecks), absl::Seconds(1));
  EXPECT_EQ(t.critical_path, (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(t.containers[0].critical);
  EXPECT_TRUE(t.containers[1].critical);
  EXPECT_FALSE(t.containers[2].critical);
  EXPECT_GE(t.end - t.begin, absl::Seconds(11));
}

// With one worker, a launch that is ready goes before the preparation of later containers:
// each container is created and started before the next one is looked at.
TEST_F(CreateAheadTest, ConcurrencyOneStartsEachContainerBeforePreparingTheNext) {
  Scheduler scheduler({.concurrency = 1});
  PlayReport report = RunStart(world_, {"zk-1", "kafka-1"}, {}, scheduler);
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  std::vector<std::string> calls;
  const std::string zk = ships_.host("ship1").FindContainer("zk-1")->id;
  const std::string kafka = ships_.host("ship1").FindContainer("kafka-1")->id;
  for (const testing::FakeCall& c : ships_.host("ship1").calls()) {
    if (c.method == "CreateContainer" || c.method == "StartContainer") {
      calls.push_back(absl::StrCat(c.method, ":",
                                   c.target == zk      ? "zk-1"
                                   : c.target == kafka ? "kafka-1"
                                                       : c.target));
    }
  }
  EXPECT_EQ(calls, (std::vector<std::string>{"CreateContainer:zk-1", "StartContainer:zk-1",
                                             "CreateContainer:kafka-1", "StartContainer:kafka-1"}));
}

// zk-1 fails its checks after kafka-1 was created ahead: kafka-1 is never started, and the
// container this run created for it is removed, and the row and the report say so.
TEST_F(CreateAheadTest, AContainerCreatedAheadAndNeverStartedIsRemovedAndReported) {
  bool created = false;
  checks_.OnCheck("running:zk-1",
                  [&] { created = WaitFor([&] { return KafkaCreatedNotStarted(); }); });
  checks_.Fail("running:zk-1", "port 2181 never opened");
  Scheduler scheduler({});
  PlayReport report = RunStart(world_, {"zk-1", "kafka-1", "web-1"}, {}, scheduler);
  ASSERT_TRUE(created);
  EXPECT_EQ(report.ExitCode(), 1);
  const ContainerOutcome& kafka = test::OutcomeOf(report, "kafka-1");
  EXPECT_EQ(kafka.state, NodeState::kSkipped);
  EXPECT_THAT(kafka.error, HasSubstr("not attempted: zk-1 failed"));
  EXPECT_THAT(kafka.error, HasSubstr("created by this run and never started, was removed"));
  EXPECT_FALSE(ships_.host("ship1").FindContainer("kafka-1").has_value());
  ASSERT_EQ(Notes(1).size(), 1u);
  EXPECT_THAT(Notes(1)[0], HasSubstr("never started, was removed"));
  // Nothing else was touched: zk-1 stays (failed, as before), web-1 runs.
  EXPECT_TRUE(ships_.host("ship1").FindContainer("zk-1").has_value());
  EXPECT_EQ(ships_.host("ship2").FindContainer("web-1")->state, FakeContainerState::kRunning);
  EXPECT_TRUE(Notes(0).empty());
}

// Only a container the daemon still shows as created and never started is removed: one that
// was started meanwhile (by someone else) stays, and the row says so.
TEST_F(CreateAheadTest, AContainerCreatedAheadButStartedBySomeoneElseStays) {
  checks_.OnCheck("running:zk-1", [&] {
    ASSERT_TRUE(WaitFor([&] { return KafkaCreatedNotStarted(); }));
    FakeDockerHost& host = ships_.host("ship1");
    ASSERT_TRUE(host.StartContainer(host.FindContainer("kafka-1")->id).ok());
  });
  checks_.Fail("running:zk-1", "port 2181 never opened");
  Scheduler scheduler({});
  PlayReport report = RunStart(world_, {"zk-1", "kafka-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(test::OutcomeOf(report, "kafka-1").error,
              HasSubstr("was started by someone else: left in place"));
  EXPECT_EQ(ships_.host("ship1").FindContainer("kafka-1")->state, FakeContainerState::kRunning);
}

// Ctrl-C while zk-1 is in its checks: zk-1 finishes its start, kafka-1 is not started and the
// container created ahead for it is removed.
TEST_F(CreateAheadTest, InterruptedBeforeTheLaunchRemovesTheContainerCreatedAhead) {
  Scheduler scheduler({});
  checks_.OnCheck("running:zk-1", [&] {
    ASSERT_TRUE(WaitFor([&] { return KafkaCreatedNotStarted(); }));
    scheduler.Cancel();
  });
  PlayReport report = RunStart(world_, {"zk-1", "kafka-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 130);
  EXPECT_EQ(test::OutcomeOf(report, "zk-1").state, NodeState::kSucceeded);
  const ContainerOutcome& kafka = test::OutcomeOf(report, "kafka-1");
  EXPECT_EQ(kafka.state, NodeState::kCancelled);
  EXPECT_THAT(kafka.error, HasSubstr("never started, was removed"));
  EXPECT_FALSE(ships_.host("ship1").FindContainer("kafka-1").has_value());
}

// A container found stopped before the play (not created by this run) is never removed by the
// end-of-play cleanup... and with --reuse it is not even replaced.
TEST_F(CreateAheadTest, AReusedContainerIsNotRemovedWhenItsDependencyFails) {
  FakeDockerHost& host = ships_.host("ship1");
  absl::StatusOr<docker::CreateContainerResult> old =
      host.CreateContainer("kafka-1", {{"Image", "kafka:1"}});
  ASSERT_TRUE(old.ok());
  checks_.Fail("running:zk-1", "port 2181 never opened");
  Scheduler scheduler({});
  PlayOptions options;
  options.reuse = true;
  PlayReport report = RunStart(world_, {"zk-1", "kafka-1"}, options, scheduler);
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_EQ(test::OutcomeOf(report, "kafka-1").error, "not attempted: zk-1 failed");
  ASSERT_TRUE(host.FindContainer("kafka-1").has_value());
  EXPECT_EQ(host.FindContainer("kafka-1")->id, old->id);
}

class PreStartTest : public CreateAheadTest {
 protected:
  PreStartTest() : CreateAheadTest(kPreStartEnvironment) {}
};

// Pre-start checks come before the create (and may need the dependencies): such a container is
// not created ahead, its checks run after zk-1's, then it is created and started.
TEST_F(PreStartTest, AContainerWithPreStartChecksIsCreatedAfterThem) {
  bool existed_at_pre_start = true;
  checks_.OnCheck("pre-start:kafka-1", [&] {
    existed_at_pre_start = ships_.host("ship1").FindContainer("kafka-1").has_value();
  });
  Scheduler scheduler({});
  PlayReport report = RunStart(world_, {"zk-1", "kafka-1"}, {}, scheduler);
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_FALSE(existed_at_pre_start);
  EXPECT_LT(checks_.Position("running:zk-1"), checks_.Position("pre-start:kafka-1"));
  EXPECT_EQ(ships_.host("ship1").FindContainer("kafka-1")->state, FakeContainerState::kRunning);
}

// restart: once kafka-1 is stopped its new container is created, while zk-1 (stopped after
// it) is still starting again; kafka-1 starts after zk-1's checks.
TEST_F(CreateAheadTest, RestartCreatesTheNewContainerAheadToo) {
  Scheduler start({});
  ASSERT_EQ(RunStart(world_, {"zk-1", "kafka-1"}, {}, start).ExitCode(), 0);
  const std::string old_kafka = ships_.host("ship1").FindContainer("kafka-1")->id;
  // restart replaces each stopped container by a new one.
  bool recreated = false;
  checks_.OnCheck("running:zk-1", [&] {
    recreated = WaitFor([&] {
      return KafkaCreatedNotStarted() &&
             ships_.host("ship1").FindContainer("kafka-1")->id != old_kafka;
    });
  });
  Scheduler scheduler({});
  PlayReport report = RunRestart(world_, {"zk-1", "kafka-1"}, {}, scheduler);
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_TRUE(recreated) << "kafka-1's new container was not created ahead";
  EXPECT_EQ(ships_.host("ship1").FindContainer("kafka-1")->state, FakeContainerState::kRunning);
  std::set<ui::Phase> phases;
  for (const ui::PhaseSpan& s : report.timings.containers[1].spans) phases.insert(s.phase);
  EXPECT_EQ(phases, (std::set<ui::Phase>{ui::Phase::kConnect, ui::Phase::kStop, ui::Phase::kCreate,
                                         ui::Phase::kStart, ui::Phase::kChecks}));
}

// Containers sharing an image on a ship ask the daemon about it once per play, not once each.
TEST_F(CreateAheadTest, TheImageOfManyContainersIsLookedAtOncePerShip) {
  model::Environment env = test::LoadTestEnvironment(R"(
name: test
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
services:
  web:
    image: web:1
    instances:
      web-1: {ship: ship1}
      web-2: {ship: ship1}
      web-3: {ship: ship1}
)");
  world_.env = &env;
  Scheduler scheduler({.concurrency = 1});
  PlayReport report = RunStart(world_, {"web-1", "web-2", "web-3"}, {}, scheduler);
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_EQ(ships_.host("ship1").CountCalls("InspectImage"), 1);
  EXPECT_EQ(ships_.host("ship1").CountCalls("CreateContainer"), 3);
}

// A create may name its dependency (volumes_from, links, net: container:), and the daemon
// refuses a name that does not exist yet: a container is created only after the containers
// it depends on, even when it comes first in the play and nothing else holds it back.
TEST_F(CreateAheadTest, AContainerIsCreatedAfterTheContainersItTakesVolumesFrom) {
  model::Environment env = test::LoadTestEnvironment(R"(
name: test
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
services:
  data:
    image: web:1
    instances:
      data-1: {ship: ship1}
  files:
    image: web:1
    instances:
      files-1: {ship: ship1, volumes_from: [data-1]}
)");
  world_.env = &env;
  Scheduler scheduler({.concurrency = 1});
  PlayReport report = RunStart(world_, {"files-1", "data-1"}, {}, scheduler);
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  std::vector<std::string> creates;
  for (const testing::FakeCall& call : ships_.host("ship1").calls()) {
    if (call.method == "CreateContainer") creates.push_back(call.target);
  }
  EXPECT_EQ(creates, (std::vector<std::string>{"data-1", "files-1"}));
}

// Stop records its phases too (connect, stop, the stopped checks).
TEST_F(CreateAheadTest, StopRecordsItsPhases) {
  Scheduler start({});
  ASSERT_EQ(RunStart(world_, {"zk-1"}, {}, start).ExitCode(), 0);
  checks_.OnCheck("stopped:zk-1", [&] { clock_.Advance(absl::Seconds(2)); });
  Scheduler scheduler({});
  PlayReport report = RunStop(world_, {"zk-1"}, {}, scheduler);
  ASSERT_EQ(report.ExitCode(), 0);
  ASSERT_EQ(report.timings.containers.size(), 1u);
  std::vector<ui::Phase> phases;
  for (const ui::PhaseSpan& s : report.timings.containers[0].spans) phases.push_back(s.phase);
  EXPECT_EQ(phases,
            (std::vector<ui::Phase>{ui::Phase::kConnect, ui::Phase::kStop, ui::Phase::kChecks}));
  EXPECT_EQ(ui::PhaseTotal(report.timings.containers[0], ui::Phase::kChecks), absl::Seconds(2));
  EXPECT_EQ(report.timings.critical_path, (std::vector<size_t>{0}));
}

// Plays without timings (status) leave them empty.
TEST_F(CreateAheadTest, StatusHasNoTimings) {
  Scheduler scheduler({});
  PlayReport report = RunStatus(world_, {"zk-1"}, {}, false, scheduler);
  EXPECT_TRUE(report.timings.empty());
}

// `up` creates ahead as start does: kafka-1 is created while zk-1 is in its running checks
// and started only after them.
TEST_F(CreateAheadTest, UpCreatesDependentsWhileTheirDependenciesStart) {
  bool created_during_checks = false;
  checks_.OnCheck("running:zk-1", [&] {
    created_during_checks = WaitFor([&] { return KafkaCreatedNotStarted(); });
  });
  ConvergencePlan plan = MakePlan({"zk-1", "kafka-1", "web-1"});
  ASSERT_EQ(plan.Summary(), "3 to create");
  Scheduler scheduler({.concurrency = 2, .clock = &clock_});
  UpReport report = RunUp(world_, plan, {}, scheduler);
  ASSERT_EQ(report.play.ExitCode(), 0) << report.play.FailureSummary();
  EXPECT_TRUE(created_during_checks) << "kafka-1 was not created ahead";
  EXPECT_LT(checks_.Position("running:zk-1"), checks_.Position("running:kafka-1"));
  EXPECT_EQ(ships_.host("ship1").FindContainer("kafka-1")->state, FakeContainerState::kRunning);
  EXPECT_EQ(test::OutcomeOf(report.play, "kafka-1").summary, "created+started");
}

// zk-1 fails its checks after up created kafka-1 ahead: kafka-1 is never started, the
// container created for it is removed, and the row says so (nothing is left created).
TEST_F(CreateAheadTest, UpRemovesTheContainerCreatedAheadWhenItsDependencyFails) {
  bool created = false;
  checks_.OnCheck("running:zk-1",
                  [&] { created = WaitFor([&] { return KafkaCreatedNotStarted(); }); });
  checks_.Fail("running:zk-1", "port 2181 never opened");
  Scheduler scheduler({});
  UpReport report = RunUp(world_, MakePlan({"zk-1", "kafka-1"}), {}, scheduler);
  ASSERT_TRUE(created);
  EXPECT_EQ(report.play.ExitCode(), 1);
  const ContainerOutcome& kafka = test::OutcomeOf(report.play, "kafka-1");
  EXPECT_EQ(kafka.state, NodeState::kSkipped);
  EXPECT_THAT(kafka.error, HasSubstr("created by this run and never started, was removed"));
  EXPECT_FALSE(ships_.host("ship1").FindContainer("kafka-1").has_value());
  EXPECT_TRUE(report.never_started.empty());
}

// Without `running` checks, the look of the running condition is the last: the container is
// inspected by id once after its start (it runs), not a second time after the (absent) checks.
TEST_F(CreateAheadTest, WithoutRunningChecksTheStartedContainerIsLookedAtOnce) {
  Scheduler scheduler({.concurrency = 1});
  PlayReport report = RunStart(world_, {"web-1"}, {}, scheduler);
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  FakeDockerHost& host = ships_.host("ship2");
  const std::string id = host.FindContainer("web-1")->id;
  EXPECT_EQ(host.CountCalls("InspectContainer", id), 1);
  EXPECT_EQ(host.CountCalls("InspectContainer", "web-1"), 2);  // before the create; condition
}

// With `running` checks it is looked at again once they passed (a check can pass against
// Docker's userland proxy while the container is gone).
TEST_F(CreateAheadTest, WithRunningChecksTheStartedContainerIsLookedAtAgainAfterThem) {
  model::Environment env = test::LoadTestEnvironment(R"(
name: test
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
services:
  web:
    image: web:1
    lifecycle:
      running: [{type: sleep, wait: 1}]
    instances:
      web-1: {ship: ship1}
)");
  world_.env = &env;
  Scheduler scheduler({.concurrency = 1});
  PlayReport report = RunStart(world_, {"web-1"}, {}, scheduler);
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  FakeDockerHost& host = ships_.host("ship1");
  EXPECT_EQ(host.CountCalls("InspectContainer", host.FindContainer("web-1")->id), 2);
}

}  // namespace
}  // namespace maestro::plays
