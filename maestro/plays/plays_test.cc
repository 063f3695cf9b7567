// The plays against stateful fake daemons (one FakeDockerHost per ship), a scripted check
// runner and simulated time.
#include "maestro/plays/plays.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"
#include "maestro/plays/plays_internal.h"
#include "maestro/plays/test_world.h"
#include "maestro/spec/container_spec.h"
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
ships:
  ship1: {ip: 127.0.0.1}
  ship2: {ip: 127.0.0.2}
services:
  zookeeper:
    image: zk:3.4
    instances:
      zk-1: {ship: ship1, ports: {client: 2181}}
      zk-2: {ship: ship2, ports: {client: "2181:2182"}}
  kafka:
    image: kafka:1
    requires: [zookeeper]
    instances:
      kafka-1: {ship: ship1, ports: {broker: 9092}}
  web:
    image: web:1
    instances:
      web-1: {ship: ship2}
)";

model::Environment Load(const std::string& text) { return test::LoadTestEnvironment(text); }

class FakeShips : public test::FakeShips {
 public:
  explicit FakeShips(Clock* clock)
      : test::FakeShips(clock, {"ship1", "ship2"}, {"zk:3.4", "kafka:1", "web:1"}) {}
};

using test::ScriptedChecks;

class PlaysTest : public ::testing::Test {
 protected:
  PlaysTest() : env_(Load(kEnvironment)), ships_(&clock_) {
    world_.env = &env_;
    world_.ships = &ships_;
    world_.checks = &checks_;
    world_.clock = &clock_;
    world_.sink = &sink_;
  }

  const ContainerOutcome& Outcome(const PlayReport& report, const std::string& name) {
    return test::OutcomeOf(report, name);
  }

  // "action:name" of every event on `ship` so far, in order.
  std::vector<std::string> EventLog(const std::string& ship) {
    return test::EventLog(ships_.host(ship), clock_);
  }
  static size_t Index(const std::vector<std::string>& v, const std::string& entry) {
    return std::find(v.begin(), v.end(), entry) - v.begin();
  }

  PlayReport Start(std::vector<std::string> containers, PlayOptions options = {}) {
    Scheduler scheduler({.concurrency = options.concurrency});
    return RunStart(world_, containers, options, scheduler);
  }

  const std::vector<std::string> all_ = {"zk-1", "zk-2", "web-1", "kafka-1"};
  FakeClock clock_;
  model::Environment env_;
  FakeShips ships_;
  ScriptedChecks checks_;
  ui::RecordingSink sink_;
  PlayWorld world_;
};

TEST(DaemonWillRestart, FollowsTheRestartPolicy) {
  auto with = [](nlohmann::json policy, int exit_code, int restarts) {
    docker::ContainerInspect c;
    c.host_config = {{"RestartPolicy", std::move(policy)}};
    c.state.exit_code = exit_code;
    c.restart_count = restarts;
    return internal::DaemonWillRestart(c);
  };
  EXPECT_TRUE(with({{"Name", "always"}}, 0, 0));
  EXPECT_TRUE(with({{"Name", "unless-stopped"}}, 143, 3));
  EXPECT_FALSE(with({{"Name", "no"}}, 1, 0));
  EXPECT_FALSE(with({{"Name", ""}}, 1, 0));
  EXPECT_FALSE(with({{"Name", "on-failure"}}, 0, 0)) << "a clean exit is not restarted";
  EXPECT_TRUE(with({{"Name", "on-failure"}, {"MaximumRetryCount", 0}}, 1, 7)) << "unlimited";
  EXPECT_TRUE(with({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}, 1, 2));
  EXPECT_FALSE(with({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}, 1, 3));
  EXPECT_FALSE(internal::DaemonWillRestart(docker::ContainerInspect{})) << "no HostConfig";
}

TEST_F(PlaysTest, StartCreatesAndStartsEverythingInDependencyOrder) {
  PlayReport report = Start(all_);
  EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  for (const std::string& name : all_) {
    EXPECT_EQ(Outcome(report, name).state, NodeState::kSucceeded) << name;
  }
  EXPECT_LT(checks_.Position("running:zk-1"), checks_.Position("running:kafka-1"));
  EXPECT_LT(checks_.Position("running:zk-2"), checks_.Position("running:kafka-1"));
  auto kafka = ships_.host("ship1").FindContainer("kafka-1");
  ASSERT_TRUE(kafka.has_value());
  EXPECT_EQ(kafka->state, testing::FakeContainerState::kRunning);
  EXPECT_EQ(kafka->image, "kafka:1");
  // The injected environment reaches the daemon.
  std::vector<std::string> env = kafka->create_body["Env"];
  EXPECT_THAT(env, ::testing::Contains("ZOOKEEPER_ZK_2_CLIENT_PORT=2182"));
  EXPECT_THAT(env, ::testing::Contains("ZOOKEEPER_INSTANCES=zk-1,zk-2"));
  EXPECT_TRUE(sink_.ended());
}

TEST_F(PlaysTest, StartTwiceLeavesRunningContainersAlone) {
  ASSERT_EQ(Start(all_).ExitCode(), 0);
  ships_.host("ship1").ClearCalls();
  PlayReport again = Start(all_);
  EXPECT_EQ(again.ExitCode(), 0);
  EXPECT_EQ(Outcome(again, "zk-1").summary, "already running");
  EXPECT_EQ(ships_.host("ship1").CountCalls("CreateContainer"), 0);
  EXPECT_EQ(ships_.host("ship1").CountCalls("StartContainer"), 0);
}

TEST_F(PlaysTest, StartSaysWhenARunningContainerNoLongerMatchesTheFile) {
  ASSERT_EQ(Start({"zk-1"}).ExitCode(), 0);
  model::Environment changed = Load(std::string(kEnvironment) + R"(
    env: {NEW_SETTING: 1}
)");
  world_.env = &changed;
  PlayReport report = Start({"web-1"});
  EXPECT_EQ(Outcome(report, "web-1").summary, "started");
  // zk-1's file entry is unchanged; web-1 (last service) got a new env: start leaves a
  // running container alone but says it differs.
  PlayReport again = Start({"web-1"});
  EXPECT_EQ(Outcome(again, "web-1").summary, "already running");
  world_.env = &env_;
  PlayReport original = Start({"web-1"});
  EXPECT_EQ(Outcome(original, "web-1").summary, "already running; configuration changed");
}

TEST_F(PlaysTest, InterruptedStepDelayLeavesTheContainerRunning) {
  ASSERT_EQ(Start({"zk-1", "zk-2"}).ExitCode(), 0);
  PlayOptions options;
  options.step_delay = 5;
  options.concurrency = 1;
  Scheduler scheduler({.concurrency = 1});
  checks_.OnCheck("zk-1", [&] { scheduler.Cancel(); });  // during zk-1's restart
  PlayReport report = RunRestart(world_, {"zk-1", "zk-2"}, options, scheduler);
  EXPECT_EQ(report.ExitCode(), 130);
  EXPECT_EQ(ships_.host("ship2").FindContainer("zk-2")->state,
            testing::FakeContainerState::kRunning)
      << "zk-2 was waiting for its step delay and must not be stopped; "
      << absl::StrJoin(checks_.log(), " ") << "\n"
      << report.FailureSummary();
  EXPECT_EQ(ships_.host("ship1").FindContainer("zk-1")->state,
            testing::FakeContainerState::kRunning);
}

TEST_F(PlaysTest, ShipDownFailsItsContainersAndSkipsOnlyTheirDependents) {
  ships_.host("ship2").SetDown(true);
  PlayReport report = Start(all_);
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_EQ(Outcome(report, "zk-1").state, NodeState::kSucceeded);
  EXPECT_EQ(Outcome(report, "zk-2").state, NodeState::kFailed);
  EXPECT_THAT(Outcome(report, "zk-2").error, HasSubstr("connection refused"));
  EXPECT_EQ(Outcome(report, "web-1").state, NodeState::kFailed);
  EXPECT_EQ(Outcome(report, "kafka-1").state, NodeState::kSkipped);
  EXPECT_THAT(Outcome(report, "kafka-1").error, HasSubstr("zk-2 failed"));
  EXPECT_FALSE(ships_.host("ship1").FindContainer("kafka-1").has_value())
      << "nothing that depends on the failure is created";
  EXPECT_THAT(report.FailureSummary(), HasSubstr("kafka-1: skipped"));
}

TEST_F(PlaysTest, MissingImageIsPulledOncePerShip) {
  ships_.host("ship1").RemoveImage("zk:3.4");
  ships_.host("ship1").SetPullable("zk:3.4");
  model::Environment env = Load(absl::StrCat(kEnvironment, R"(
  more:
    image: zk:3.4
    instances:
      more-1: {ship: ship1}
      more-2: {ship: ship1}
)"));
  world_.env = &env;
  Scheduler scheduler({});
  PlayReport report = RunStart(world_, {"zk-1", "more-1", "more-2"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_EQ(ships_.host("ship1").CountCalls("PullImage"), 1);
  EXPECT_TRUE(ships_.host("ship1").FindContainer("more-2").has_value());
}

TEST_F(PlaysTest, PullFailureNamesTheImage) {
  ships_.host("ship1").RemoveImage("zk:3.4");
  PlayReport report = Start({"zk-1"});
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(Outcome(report, "zk-1").error, HasSubstr("pull of image zk:3.4 failed"));
  EXPECT_FALSE(ships_.host("ship1").FindContainer("zk-1").has_value());
}

TEST_F(PlaysTest, ContainerThatExitsRightAwayFailsWithItsExitCodeAndOutput) {
  ships_.host("ship1").SetExitOnStart("zk-1", 3);
  ships_.host("ship1").SetLogs("zk-1", {"fatal: no config"});
  PlayReport report = Start({"zk-1", "kafka-1"});
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(Outcome(report, "zk-1").error, HasSubstr("exit code 3"));
  EXPECT_THAT(Outcome(report, "zk-1").error, HasSubstr("fatal: no config"));
  EXPECT_EQ(Outcome(report, "kafka-1").state, NodeState::kSkipped);
}

TEST_F(PlaysTest, FailedRunningCheckSaysWhichCheck) {
  checks_.Fail("running:zk-1", "tcp check on port client (127.0.0.1:2181): connection refused");
  PlayReport report = Start({"zk-1"});
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(Outcome(report, "zk-1").error, HasSubstr("tcp check on port client"));
  EXPECT_THAT(Outcome(report, "zk-1").error, HasSubstr("connection refused"));
}

TEST_F(PlaysTest, ADaemonBrieflyUnreachableDuringChecksIsNotAContainerDeath) {
  // The daemon stops answering while zk-1's running checks poll "is it still running?".
  checks_.OnCheck("zk-1", [&] { ships_.host("ship1").SetDown(true); });
  PlayReport report = Start({"zk-1"});
  ships_.host("ship1").SetDown(false);
  EXPECT_EQ(Outcome(report, "zk-1").state, NodeState::kSucceeded) << report.FailureSummary();
}

TEST_F(PlaysTest, StartFailureRemovesTheContainerItCreated) {
  ships_.host("ship1").FailNext("StartContainer",
                                FakeDockerHost::ApiError(500, "port is already allocated"));
  PlayReport report = Start({"zk-1"});
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(Outcome(report, "zk-1").error, HasSubstr("port is already allocated"));
  EXPECT_THAT(Outcome(report, "zk-1").error, HasSubstr("removed"));
  EXPECT_FALSE(ships_.host("ship1").FindContainer("zk-1").has_value());
}

TEST_F(PlaysTest, StartWithoutAnAnswerNeverRemovesAndReportsWhatTheDaemonSays) {
  // The start's outcome is unknown (the answer never came): the container may start on the
  // daemon anyway, so it is never removed; the message says what the daemon reports.
  ships_.host("ship1").FailNext("StartContainer",
                                absl::DeadlineExceededError("no response within 400ms"));
  PlayReport report = Start({"zk-1"});
  EXPECT_EQ(report.ExitCode(), 1);
  const std::string& error = Outcome(report, "zk-1").error;
  EXPECT_THAT(error, HasSubstr("no answer to the start: no response within 400ms"));
  EXPECT_THAT(error, HasSubstr("was left in place, status created"));
  EXPECT_EQ(ships_.host("ship1").CountCalls("RemoveContainer"), 0);
  ASSERT_TRUE(ships_.host("ship1").FindContainer("zk-1").has_value());
  // A second run starts that very container instead of replacing it.
  std::string id = ships_.host("ship1").FindContainer("zk-1")->id;
  ASSERT_EQ(Start({"zk-1"}).ExitCode(), 0);
  EXPECT_EQ(ships_.host("ship1").FindContainer("zk-1")->id, id);
  EXPECT_EQ(ships_.host("ship1").FindContainer("zk-1")->state,
            testing::FakeContainerState::kRunning);
}

TEST_F(PlaysTest, CreateConflictUsesTheOtherRunsContainerAndNeverRemovesIt) {
  // Another run created web-1 between our look and our create: our create gets a 409.
  FakeDockerHost& host = ships_.host("ship2");
  auto theirs = host.CreateContainer("web-1", {{"Image", "web:1"}});
  ASSERT_TRUE(theirs.ok());
  host.FailNext("InspectContainer", FakeDockerHost::ApiError(404, "No such container: web-1"));
  PlayReport report = Start({"web-1"});
  EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_EQ(host.CountCalls("CreateContainer"), 2);  // theirs, then our 409
  EXPECT_EQ(host.CountCalls("RemoveContainer"), 0);
  ASSERT_TRUE(host.FindContainer("web-1").has_value());
  EXPECT_EQ(host.FindContainer("web-1")->id, theirs->id);
  EXPECT_EQ(host.FindContainer("web-1")->state, testing::FakeContainerState::kRunning);

  // When the other run has started it already, it is reported as running.
  FakeDockerHost& host1 = ships_.host("ship1");
  auto running = host1.CreateContainer("zk-1", {{"Image", "zk:3.4"}});
  ASSERT_TRUE(running.ok());
  ASSERT_TRUE(host1.StartContainer(running->id).ok());
  host1.FailNext("InspectContainer", FakeDockerHost::ApiError(404, "No such container: zk-1"));
  PlayReport again = Start({"zk-1"});
  EXPECT_EQ(again.ExitCode(), 0) << again.FailureSummary();
  EXPECT_EQ(Outcome(again, "zk-1").summary, "already running");
  EXPECT_EQ(host1.CountCalls("RemoveContainer"), 0);
  EXPECT_EQ(host1.FindContainer("zk-1")->id, running->id);
}

TEST_F(PlaysTest, NeverStartedContainerOfTheSameSpecIsStartedNotReplaced) {
  const model::Instance& inst = *env_.FindInstance("zk-1");
  const model::Ship& ship = *env_.FindShip(inst.ship);
  FakeDockerHost& host = ships_.host("ship1");
  // What a concurrent run on the same file has just created and not yet started.
  auto pending = host.CreateContainer("zk-1", spec::BuildCreateBody(inst, ship, "1.41"));
  ASSERT_TRUE(pending.ok());
  PlayReport report = Start({"zk-1"});
  EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_EQ(host.CountCalls("RemoveContainer"), 0);
  EXPECT_EQ(host.FindContainer("zk-1")->id, pending->id);
  // A never-started container of another configuration is replaced as before.
  FakeDockerHost& host2 = ships_.host("ship2");
  auto other = host2.CreateContainer("zk-2", {{"Image", "zk:3.4"}});
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(Start({"zk-2"}).ExitCode(), 0);
  EXPECT_EQ(host2.CountCalls("RemoveContainer"), 1);
  EXPECT_NE(host2.FindContainer("zk-2")->id, other->id);
}

// Ctrl-C the moment a row starts its container.
class CancelAtStartSink : public ui::RecordingSink {
 public:
  explicit CancelAtStartSink(Scheduler& scheduler) : scheduler_(scheduler) {}
  void Pending(size_t row, const std::string& message) override {
    ui::RecordingSink::Pending(row, message);
    if (absl::StartsWith(message, "starting container")) scheduler_.Cancel();
  }

 private:
  Scheduler& scheduler_;
};

TEST_F(PlaysTest, WaitAfterStartObservesCancellation) {
  FakeDockerHost& host = ships_.host("ship1");
  host.FailNext("InspectContainer", FakeDockerHost::ApiError(404, "No such container: zk-1"));
  // The daemon stops answering inspections right after the start: the wait would poll 11 times.
  for (int i = 0; i < 11; ++i) {
    host.FailNext("InspectContainer", absl::UnavailableError("connection refused"));
  }
  Scheduler scheduler({});
  CancelAtStartSink sink(scheduler);
  world_.sink = &sink;
  PlayReport report = RunStart(world_, {"zk-1"}, {}, scheduler);
  world_.sink = &sink_;
  EXPECT_EQ(report.ExitCode(), 130);
  EXPECT_THAT(Outcome(report, "zk-1").error, HasSubstr("interrupted while waiting for it to run"));
  EXPECT_EQ(clock_.total_slept(), absl::ZeroDuration()) << "no poll sleep after Ctrl-C";
  EXPECT_EQ(host.FindContainer("zk-1")->state, testing::FakeContainerState::kRunning);
}

TEST_F(PlaysTest, StopStopsDependentsFirst) {
  ASSERT_EQ(Start(all_).ExitCode(), 0);
  Scheduler scheduler({});
  PlayReport report = RunStop(world_, {"kafka-1", "zk-1", "zk-2"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  // ship1's event log is in order: kafka-1 died before zk-1 got its SIGTERM. (kafka-1's row
  // may end after zk-1's: zk-1 need not wait for the daemon to answer kafka-1's stop.)
  std::vector<std::string> events = EventLog("ship1");
  ASSERT_LT(Index(events, "die:kafka-1"), events.size());
  EXPECT_LT(Index(events, "die:kafka-1"), Index(events, "kill:zk-1")) << absl::StrJoin(events, " ");
  EXPECT_EQ(ships_.host("ship1").FindContainer("zk-1")->state,
            testing::FakeContainerState::kExited);
  EXPECT_EQ(ships_.host("ship2").FindContainer("zk-2")->state,
            testing::FakeContainerState::kExited);
  // Stop rows count down, as MaestroNG numbers them.
  EXPECT_EQ(sink_.rows().front().number, 3);
}

// A daemon answers a stop only after it has torn the container down (network, mounts), well
// after the container died. The containers it depends on are stopped as soon as it died.
TEST_F(PlaysTest, StopGoesOnToDependenciesOnceTheDependentDied) {
  ASSERT_EQ(Start(all_).ExitCode(), 0);
  FakeDockerHost& ship1 = ships_.host("ship1");
  ship1.SetTeardownHold("kafka-1", absl::Seconds(30));
  ship1.ClearCalls();
  Scheduler scheduler({});
  PlayReport report = RunStop(world_, {"kafka-1", "zk-1", "zk-2"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_EQ(ship1.teardown_holds_timed_out(), 0)
      << "zk-1 was stopped only after kafka-1's teardown, not at its death";
  std::vector<std::string> stops;
  for (const testing::FakeCall& call : ship1.calls()) {
    if (call.method == "StopContainer") stops.push_back(call.target);
  }
  ASSERT_EQ(stops.size(), 2u);
  EXPECT_EQ(stops[0], ship1.FindContainer("kafka-1")->id) << "the dependent is stopped first";
  for (const char* name : {"kafka-1", "zk-1"}) {
    EXPECT_EQ(ship1.FindContainer(name)->state, testing::FakeContainerState::kExited) << name;
  }
  EXPECT_EQ(Outcome(report, "kafka-1").summary, "stopped");
}

TEST_F(PlaysTest, KillGoesOnToDependenciesOnceTheDependentDied) {
  ASSERT_EQ(Start(all_).ExitCode(), 0);
  FakeDockerHost& ship1 = ships_.host("ship1");
  ship1.SetTeardownHold("kafka-1", absl::Seconds(30));
  Scheduler scheduler({});
  PlayReport report = RunKill(world_, {"kafka-1", "zk-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_EQ(ship1.teardown_holds_timed_out(), 0);
  EXPECT_EQ(Outcome(report, "kafka-1").summary, "killed");
}

TEST_F(PlaysTest, RestartStopsDependenciesOnceTheDependentDiedAndStartsItAfterItsStop) {
  ASSERT_EQ(Start(all_).ExitCode(), 0);
  FakeDockerHost& ship1 = ships_.host("ship1");
  const std::string old_kafka = ship1.FindContainer("kafka-1")->id;
  ship1.SetTeardownHold("kafka-1", absl::Seconds(30));
  ship1.ClearCalls();
  Scheduler scheduler({});
  PlayReport report = RunRestart(world_, {"kafka-1", "zk-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_EQ(ship1.teardown_holds_timed_out(), 0) << "zk-1's stop waited for kafka-1's teardown";
  // kafka-1 was created again only after its stop ended (never while it was tearing down).
  std::vector<std::string> calls;
  for (const testing::FakeCall& call : ship1.calls()) {
    if (call.method == "StopContainer" || call.method == "CreateContainer") {
      calls.push_back(call.method + ":" + call.target);
    }
  }
  auto pos = [&](const std::string& c) {
    return std::find(calls.begin(), calls.end(), c) - calls.begin();
  };
  EXPECT_LT(pos("StopContainer:" + old_kafka), pos("CreateContainer:kafka-1"));
  EXPECT_EQ(ship1.FindContainer("kafka-1")->state, testing::FakeContainerState::kRunning);
  EXPECT_EQ(ship1.FindContainer("zk-1")->state, testing::FakeContainerState::kRunning);
}

TEST_F(PlaysTest, StoppedChecksHoldDependenciesUntilTheyPass) {
  std::string text = kEnvironment;
  const std::string requires = "requires: [zookeeper]\n";
  text.insert(text.find(requires) + requires.size(),
              "    lifecycle: {stopped: [{type: tcp, port: broker}]}\n");
  model::Environment env = Load(text);
  world_.env = &env;
  ASSERT_EQ(Start(all_).ExitCode(), 0);
  FakeDockerHost& ship1 = ships_.host("ship1");
  ship1.SetTeardownHold("kafka-1", absl::Milliseconds(300));
  Scheduler scheduler({});
  PlayReport report = RunStop(world_, {"kafka-1", "zk-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_EQ(ship1.teardown_holds_timed_out(), 1)
      << "zk-1 must wait for kafka-1's stop to end and its stopped checks to pass";
  EXPECT_LT(checks_.Position("stopped:kafka-1"), checks_.Position("stopped:zk-1"));
}

TEST_F(PlaysTest, StopOfAbsentAndStoppedContainersSucceeds) {
  Scheduler scheduler({});
  PlayReport report = RunStop(world_, {"zk-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 0);
  EXPECT_EQ(Outcome(report, "zk-1").summary, "absent");
}

TEST_F(PlaysTest, StopUsesTheInstanceStopTimeout) {
  ASSERT_EQ(Start({"zk-1"}).ExitCode(), 0);
  ships_.host("ship1").SetIgnoresSigterm("zk-1");
  absl::Duration before = clock_.total_slept();
  Scheduler scheduler({});
  PlayReport report = RunStop(world_, {"zk-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 0);
  EXPECT_GE(clock_.total_slept() - before, absl::Seconds(10)) << "default stop_timeout is 10";
}

TEST_F(PlaysTest, KillKillsInReverseOrder) {
  ASSERT_EQ(Start(all_).ExitCode(), 0);
  Scheduler scheduler({});
  PlayReport report = RunKill(world_, {"kafka-1", "zk-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 0);
  EXPECT_EQ(Outcome(report, "zk-1").summary, "killed");
  EXPECT_EQ(ships_.host("ship1").CountCalls("KillContainer"), 2);
  EXPECT_EQ(ships_.host("ship1").CountCalls("StopContainer"), 0);
}

TEST_F(PlaysTest, RestartStopsDependentsFirstAndStartsDependenciesFirst) {
  ASSERT_EQ(Start(all_).ExitCode(), 0);
  Scheduler scheduler({});
  PlayReport report = RunRestart(world_, {"kafka-1", "zk-1", "zk-2"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  // MaestroNG issue #186: kafka must not be restarted before zookeeper is back. Stops go
  // dependents first: kafka-1 died before zk-1 got its SIGTERM.
  std::vector<std::string> events = EventLog("ship1");
  ASSERT_LT(Index(events, "die:kafka-1"), events.size());
  EXPECT_LT(Index(events, "die:kafka-1"), Index(events, "kill:zk-1")) << absl::StrJoin(events, " ");
  std::vector<std::string> log = checks_.log();
  auto last = [&](const std::string& entry) {
    return std::find(log.rbegin(), log.rend(), entry).base() - log.begin();
  };
  EXPECT_LT(last("running:zk-1"), last("running:kafka-1"));
  EXPECT_LT(last("running:zk-2"), last("running:kafka-1"));
  EXPECT_LT(last("stopped:zk-1"), last("running:zk-1"));
  EXPECT_EQ(Outcome(report, "kafka-1").summary, "restarted");
  EXPECT_EQ(ships_.host("ship1").FindContainer("kafka-1")->state,
            testing::FakeContainerState::kRunning);
}

TEST_F(PlaysTest, RestartWhoseStopFailedDoesNotClaimSuccess) {
  ASSERT_EQ(Start({"zk-1"}).ExitCode(), 0);
  ships_.host("ship1").FailNext("StopContainer", FakeDockerHost::ApiError(500, "stop exploded"));
  Scheduler scheduler({});
  PlayReport report = RunRestart(world_, {"zk-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(Outcome(report, "zk-1").error, HasSubstr("stop exploded"));
}

TEST_F(PlaysTest, RestartOnlyIfChangedLeavesUnchangedContainersRunning) {
  ASSERT_EQ(Start({"zk-1", "web-1"}).ExitCode(), 0);
  std::string old_id = ships_.host("ship1").FindContainer("zk-1")->id;
  // web:1 now points to a new image on ship2; zk:3.4 is unchanged.
  ships_.host("ship2").AddImage("web:1", "sha256:" + std::string(64, 'b'));
  PlayOptions options;
  options.only_if_changed = true;
  Scheduler scheduler({});
  PlayReport report = RunRestart(world_, {"zk-1", "web-1"}, options, scheduler);
  EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_EQ(Outcome(report, "zk-1").summary, "unchanged");
  EXPECT_EQ(ships_.host("ship1").FindContainer("zk-1")->id, old_id);
  EXPECT_EQ(ships_.host("ship1").CountCalls("StopContainer"), 0);
  EXPECT_THAT(Outcome(report, "web-1").summary, HasSubstr("restarted"));
  EXPECT_THAT(Outcome(report, "web-1").summary, HasSubstr("image"))
      << Outcome(report, "web-1").error;
  EXPECT_EQ(ships_.host("ship2").FindContainer("web-1")->image_id,
            "sha256:" + std::string(64, 'b'));
}

TEST_F(PlaysTest, CleanRemovesStoppedContainersOnly) {
  ASSERT_EQ(Start({"zk-1", "web-1"}).ExitCode(), 0);
  Scheduler stop_scheduler({});
  ASSERT_EQ(RunStop(world_, {"zk-1"}, {}, stop_scheduler).ExitCode(), 0);
  Scheduler scheduler({});
  PlayReport report = RunClean(world_, {"zk-1", "web-1", "kafka-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 0);
  EXPECT_EQ(Outcome(report, "zk-1").summary, "removed");
  EXPECT_EQ(Outcome(report, "web-1").summary, "running, not removed");
  EXPECT_EQ(Outcome(report, "kafka-1").summary, "absent");
  EXPECT_FALSE(ships_.host("ship1").FindContainer("zk-1").has_value());
  EXPECT_TRUE(ships_.host("ship2").FindContainer("web-1").has_value());
}

TEST_F(PlaysTest, StatusListsEachShipOnce) {
  ASSERT_EQ(Start({"zk-1", "zk-2"}).ExitCode(), 0);
  ships_.host("ship1").ClearCalls();
  ships_.host("ship2").ClearCalls();
  Scheduler scheduler({});
  PlayReport report = RunStatus(world_, all_, {}, false, scheduler);
  EXPECT_EQ(report.ExitCode(), 0);
  EXPECT_EQ(ships_.host("ship1").calls().size(), 1u);
  EXPECT_EQ(ships_.host("ship1").CountCalls("ListContainers"), 1);
  EXPECT_EQ(ships_.host("ship2").CountCalls("ListContainers"), 1);
  EXPECT_EQ(ships_.host("ship2").CountCalls("InspectContainer"), 0);
  std::vector<ui::RowResult> results = sink_.results();
  EXPECT_EQ(results[0].state, "running");
  EXPECT_EQ(results[3].state, "absent");  // kafka-1 never started
}

TEST_F(PlaysTest, StatusShowsAnUnreachableShipWithoutFailing) {
  ships_.host("ship2").SetDown(true);
  Scheduler scheduler({});
  PlayReport report = RunStatus(world_, all_, {}, false, scheduler);
  EXPECT_EQ(report.ExitCode(), 0);
  std::vector<ui::RowResult> results = sink_.results();
  EXPECT_EQ(results[1].state, "unreachable");  // zk-2
  EXPECT_EQ(results[0].state, "absent");       // zk-1 on the healthy ship
}

TEST_F(PlaysTest, CancelMidStartFinishesRunningWorkAndStartsNothingNew) {
  Scheduler scheduler({});
  checks_.OnCheck("zk-1", [&] { scheduler.Cancel(); });
  PlayReport report = RunStart(world_, {"zk-1", "kafka-1"}, {}, scheduler);
  EXPECT_TRUE(report.interrupted);
  EXPECT_EQ(report.ExitCode(), 130);
  EXPECT_EQ(Outcome(report, "kafka-1").state, NodeState::kCancelled);
  EXPECT_FALSE(ships_.host("ship1").FindContainer("kafka-1").has_value());
  // zk-1 was already being started: it is created and started, not left half-way.
  EXPECT_EQ(ships_.host("ship1").FindContainer("zk-1")->state,
            testing::FakeContainerState::kRunning);
}

TEST_F(PlaysTest, IgnoreDependenciesDropsOrdering) {
  // With -i, kafka does not wait for zookeeper: with zk-2's ship down kafka still starts.
  ships_.host("ship2").SetDown(true);
  PlayOptions options;
  options.ignore_dependencies = true;
  PlayReport report = Start({"zk-2", "kafka-1"}, options);
  EXPECT_EQ(Outcome(report, "kafka-1").state, NodeState::kSucceeded);
}

TEST_F(PlaysTest, PullPullsEachImage) {
  ships_.host("ship1").SetPullable("zk:3.4");
  ships_.host("ship1").SetPullable("kafka:1");
  Scheduler scheduler({});
  PlayReport report = RunPull(world_, {"zk-1", "kafka-1"}, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_EQ(ships_.host("ship1").CountCalls("PullImage"), 2);
}

class RecordingAudit : public AuditSink {
 public:
  absl::Status Action(const std::string& action, const std::vector<std::string>& containers,
                      bool task) override {
    Record("action", action, containers, task);
    if (!task && refuse_play_) return absl::UnavailableError("webhook down");
    if (task && containers.size() == 1 && containers[0] == refuse_task_) {
      return absl::UnavailableError("webhook busy");
    }
    return absl::OkStatus();
  }
  void Success(const std::string& action, const std::vector<std::string>& containers,
               bool task) override {
    Record("success", action, containers, task);
  }
  void Error(const std::string& action, const std::vector<std::string>& containers,
             const std::string& message, bool task) override {
    Record("error", action, containers, task);
  }
  std::vector<std::string> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  bool refuse_play_ = false;
  std::string refuse_task_;  // a container whose task is refused

 private:
  void Record(const std::string& kind, const std::string& action,
              const std::vector<std::string>& containers, bool task) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(absl::StrCat(task ? "task " : "play ", kind, " ", action, " ",
                                   absl::StrJoin(containers, ",")));
  }
  std::mutex mu_;
  std::vector<std::string> events_;
};

TEST_F(PlaysTest, AuditsThePlayAndEachTask) {
  RecordingAudit audit;
  world_.audit = &audit;
  ships_.host("ship2").SetDown(true);
  PlayReport report = Start({"zk-1", "zk-2"});
  EXPECT_EQ(report.ExitCode(), 1);
  std::vector<std::string> events = audit.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front(), "play action start zk-1,zk-2");
  EXPECT_EQ(events.back(), "play error start zk-1,zk-2");
  EXPECT_THAT(events, ::testing::Contains("task action start zk-1"));
  EXPECT_THAT(events, ::testing::Contains("task success start zk-1"));
  EXPECT_THAT(events, ::testing::Contains("task error start zk-2"));
}

TEST_F(PlaysTest, RestartAuditsOneTaskPerContainer) {
  ASSERT_EQ(Start({"zk-1"}).ExitCode(), 0);
  RecordingAudit audit;
  world_.audit = &audit;
  Scheduler scheduler({});
  ASSERT_EQ(RunRestart(world_, {"zk-1"}, {}, scheduler).ExitCode(), 0);
  EXPECT_THAT(audit.events(),
              ::testing::ElementsAre("play action restart zk-1", "task action restart zk-1",
                                     "task success restart zk-1", "play success restart zk-1"));
}

TEST_F(PlaysTest, FailingAuditActionAbortsThePlayBeforeAnythingHappens) {
  RecordingAudit audit;
  audit.refuse_play_ = true;
  world_.audit = &audit;
  PlayReport report = Start({"zk-1"});
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(report.FailureSummary(), HasSubstr("webhook down"));
  EXPECT_EQ(ships_.host("ship1").calls().size(), 0u);
  // Every row says the run was refused and why (the JSON result: state and error).
  ASSERT_EQ(sink_.results().size(), 1u);
  EXPECT_EQ(sink_.results()[0].state, "refused");
  EXPECT_EQ(sink_.results()[0].error, "audit trail refused the play: webhook down");
  EXPECT_EQ(Outcome(report, "zk-1").error, "audit trail refused the play: webhook down");
  std::vector<ui::RecordingSink::Event> row = sink_.events_for(0);
  ASSERT_FALSE(row.empty());
  EXPECT_THAT(row.back().text, HasSubstr("refused"));
}

TEST_F(PlaysTest, RefusedTaskSaysSoInItsRowAndResult) {
  RecordingAudit audit;
  audit.refuse_task_ = "zk-2";
  world_.audit = &audit;
  PlayReport report = Start({"zk-1", "zk-2"});
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_EQ(Outcome(report, "zk-2").error, "audit trail refused the task: webhook busy");
  EXPECT_FALSE(ships_.host("ship2").FindContainer("zk-2").has_value());
  std::vector<ui::RowResult> results = sink_.results();
  EXPECT_EQ(results[1].state, "refused");
  EXPECT_EQ(results[1].error, "audit trail refused the task: webhook busy");
  EXPECT_EQ(results[0].state, "started") << results[0].error;
  std::vector<ui::RecordingSink::Event> row = sink_.events_for(1);
  ASSERT_FALSE(row.empty());
  EXPECT_THAT(row.back().text, HasSubstr("refused"));
}

}  // namespace
}  // namespace maestro::plays
