// `maestro up` (RunUp, RecheckSavedPlan) against stateful fake daemons: every action, link
// variables deciding which dependents are recreated, orphans with and without
// --remove-orphans, stale saved plans, idempotence, containers left created on a failure.
#include "maestro/plays/up.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/plays/convergence.h"
#include "maestro/plays/convergence_gather.h"
#include "maestro/plays/convergence_output.h"
#include "maestro/plays/test_world.h"
#include "maestro/spec/container_spec.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/ui/progress.h"

namespace maestro::plays {
namespace {

using ::testing::ElementsAre;
using testing::FakeClock;
using testing::FakeContainerState;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kEnvironment[] = R"(
name: shop
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
  ship2: {ip: 127.0.0.2}
services:
  db:
    image: db:1
    env: {DB_MODE: fast}
    instances:
      db-1: {ship: ship1, ports: {sql: 5432}}
  api:
    image: api:1
    requires: [db]
    instances:
      api-1: {ship: ship1, ports: {http: 8080}}
      api-2: {ship: ship2, ports: {http: 8080}}
  cache:
    image: cache:1
    instances:
      cache-1: {ship: ship2}
)";

// The running check passes when the container runs (as the real check runner's default).
class RunningChecks : public CheckRunner {
 public:
  absl::Status Run(const std::string& state, const model::Instance&, const model::Ship&,
                   docker::DockerClient&, const std::function<bool()>& condition,
                   const CancellationToken&) override {
    if (state == "running" && !condition()) {
      return absl::FailedPreconditionError("container is not running");
    }
    return absl::OkStatus();
  }
};

class UpTest : public ::testing::Test {
 protected:
  UpTest() : ships_(&clock_, {"ship1", "ship2"}, {"db:1", "api:1", "cache:1"}) {
    Use(kEnvironment);
  }

  // Makes `text` the environment file from now on.
  void Use(const std::string& text) {
    envs_.push_back(std::make_unique<model::Environment>(test::LoadTestEnvironment(text)));
    world_.env = envs_.back().get();
    world_.ships = &ships_;
    world_.checks = &checks_;
    world_.clock = &clock_;
    world_.sink = &sink_;
  }
  void UseEdited(const std::string& from, const std::string& to) {
    std::string text = absl::StrReplaceAll(kEnvironment, {{from, to}});
    ASSERT_NE(text, kEnvironment) << from;
    Use(text);
  }

  // The plan of the whole environment, as `maestro plan` makes it.
  ConvergencePlan MakePlan() {
    std::vector<std::string> containers;  // the file's order is a dependency order here
    for (const model::Instance& inst : world_.env->instances) containers.push_back(inst.name);
    PlanScope scope;
    scope.orphans = true;
    scope.orphan_ships = {"ship1", "ship2"};
    Scheduler scheduler({});
    std::map<std::string, ShipLive> live =
        GatherLiveState(world_, containers, scope.orphan_ships, scheduler);
    return ComputeConvergencePlan(*world_.env, containers, live, scope);
  }

  UpReport Up(const ConvergencePlan& plan, UpOptions options = {}) {
    EXPECT_THAT(plan.problems, IsEmpty());
    Scheduler scheduler({});
    return RunUp(world_, plan, options, scheduler);
  }
  UpReport Up(UpOptions options = {}) { return Up(MakePlan(), options); }

  // Container ids by name on both ships ("" when absent).
  std::map<std::string, std::string> Ids() {
    std::map<std::string, std::string> out;
    for (const char* ship : {"ship1", "ship2"}) {
      for (const testing::FakeContainer& c : ships_.host(ship).containers()) {
        out[c.name] = c.id;
      }
    }
    return out;
  }
  bool Running(const std::string& ship, const std::string& name) {
    auto c = ships_.host(ship).FindContainer(name);
    return c.has_value() && c->state == FakeContainerState::kRunning;
  }
  int Changes(const std::string& ship) {
    auto& h = ships_.host(ship);
    return h.CountCalls("CreateContainer") + h.CountCalls("StartContainer") +
           h.CountCalls("StopContainer") + h.CountCalls("RemoveContainer") +
           h.CountCalls("KillContainer");
  }
  static const PlannedContainer& Planned(const ConvergencePlan& plan, const std::string& name) {
    for (const PlannedContainer& c : plan.containers) {
      if (c.name == name) return c;
    }
    ADD_FAILURE() << name << " is not in the plan";
    static const PlannedContainer kMissing;
    return kMissing;
  }
  static std::string Summary(const UpReport& r, const std::string& name) {
    return test::OutcomeOf(r.play, name).summary;
  }
  std::vector<std::string> Events(const std::string& ship) {
    return test::EventLog(ships_.host(ship), clock_);
  }
  static size_t Index(const std::vector<std::string>& v, const std::string& e) {
    return std::find(v.begin(), v.end(), e) - v.begin();
  }

  FakeClock clock_;
  std::vector<std::unique_ptr<model::Environment>> envs_;
  test::FakeShips ships_;
  RunningChecks checks_;
  ui::RecordingSink sink_;
  PlayWorld world_;
};

TEST_F(UpTest, CreatesEverythingInDependencyOrderThenASecondUpDoesNothing) {
  UpReport first = Up();
  EXPECT_EQ(first.play.play, "up");
  EXPECT_EQ(first.play.ExitCode(), 0) << first.play.FailureSummary();
  for (const char* name : {"db-1", "api-1", "api-2", "cache-1"}) {
    EXPECT_EQ(Summary(first, name), "created+started") << name;
  }
  EXPECT_TRUE(Running("ship1", "db-1"));
  EXPECT_TRUE(Running("ship2", "api-2"));
  std::vector<std::string> ship1 = Events("ship1");
  // api-1 may be created ahead, while db-1 starts; it starts only once db-1 runs.
  EXPECT_LT(Index(ship1, "create:db-1"), Index(ship1, "create:api-1"));
  EXPECT_LT(Index(ship1, "start:db-1"), Index(ship1, "start:api-1"));

  std::map<std::string, std::string> ids = Ids();
  ships_.host("ship1").ClearCalls();
  ships_.host("ship2").ClearCalls();
  ConvergencePlan again = MakePlan();
  EXPECT_FALSE(again.HasChanges()) << again.Summary();
  UpReport second = Up(again);
  EXPECT_EQ(second.play.ExitCode(), 0);
  for (const ContainerOutcome& o : second.play.outcomes) {
    EXPECT_EQ(o.summary, "no change") << o.container;
  }
  EXPECT_EQ(Changes("ship1"), 0);
  EXPECT_EQ(Changes("ship2"), 0);
  EXPECT_EQ(Ids(), ids);
}

TEST_F(UpTest, UnchangedRowsSayWhyTheyWereLeftAlone) {
  Up();  // everything created: no row is left alone yet
  Up();
  bool said = false;
  for (const ui::RecordingSink::Event& e : sink_.events()) {
    if (e.kind == "note" && absl::StrContains(e.text, "left alone: it matches the file")) {
      said = true;
    }
  }
  EXPECT_TRUE(said);
}

TEST_F(UpTest, StoppedUnchangedContainerIsStartedNotRecreated) {
  Up();
  std::string id = Ids()["cache-1"];
  ASSERT_TRUE(ships_.host("ship2").StopContainer(id, 1).ok());
  ConvergencePlan plan = MakePlan();
  EXPECT_EQ(Planned(plan, "cache-1").action, ConvergeAction::kStart);
  UpReport r = Up(plan);
  EXPECT_EQ(Summary(r, "cache-1"), "started");
  EXPECT_EQ(Ids()["cache-1"], id);
  EXPECT_TRUE(Running("ship2", "cache-1"));
  EXPECT_EQ(Summary(r, "db-1"), "no change");
}

TEST_F(UpTest, ChangedPortRecreatesTheDependentsThatGetItAsALinkVariable) {
  Up();
  std::map<std::string, std::string> before = Ids();
  UseEdited("sql: 5432", "sql: 5433");
  ConvergencePlan plan = MakePlan();
  // plan and up agree: the dependents' env differs by the link variable, with the reason.
  EXPECT_EQ(Planned(plan, "db-1").action, ConvergeAction::kRecreate);
  for (const char* dependent : {"api-1", "api-2"}) {
    const PlannedContainer& pc = Planned(plan, dependent);
    EXPECT_EQ(pc.action, ConvergeAction::kRecreate) << dependent;
    EXPECT_THAT(absl::StrJoin(pc.reasons, "; "), HasSubstr("5433")) << dependent;
    EXPECT_THAT(pc.reasons, ::testing::Contains("link variables from db-1 changed")) << dependent;
  }
  EXPECT_EQ(Planned(plan, "cache-1").action, ConvergeAction::kNone);

  ships_.host("ship1").ClearCalls();
  UpReport r = Up(plan);
  ASSERT_EQ(r.play.ExitCode(), 0) << r.play.FailureSummary();
  std::map<std::string, std::string> after = Ids();
  for (const char* name : {"db-1", "api-1", "api-2"}) {
    EXPECT_NE(after[name], before[name]) << name;
    EXPECT_THAT(Summary(r, name), HasSubstr("recreated: ")) << name;
    EXPECT_TRUE(Running(name == std::string("api-2") ? "ship2" : "ship1", name)) << name;
  }
  EXPECT_EQ(after["cache-1"], before["cache-1"]);
  // The dependent goes down before its dependency and comes up after it.
  std::vector<std::string> ship1 = Events("ship1");
  const size_t n = ship1.size();
  auto last = [&](const std::string& e) {
    for (size_t i = n; i > 0; --i) {
      if (ship1[i - 1] == e) return i - 1;
    }
    return n;
  };
  EXPECT_LT(last("die:api-1"), last("die:db-1"));
  EXPECT_LT(last("start:db-1"), last("start:api-1"));
  // A second up finds nothing to do.
  EXPECT_FALSE(MakePlan().HasChanges());
}

TEST_F(UpTest, ChangeThatIsNoLinkVariableLeavesTheDependentsAlone) {
  Up();
  std::map<std::string, std::string> before = Ids();
  UseEdited("DB_MODE: fast", "DB_MODE: slow");
  ConvergencePlan plan = MakePlan();
  EXPECT_EQ(Planned(plan, "db-1").action, ConvergeAction::kRecreate);
  EXPECT_THAT(Planned(plan, "db-1").reasons,
              ::testing::Not(::testing::Contains(HasSubstr("link variables"))));
  EXPECT_EQ(Planned(plan, "api-1").action, ConvergeAction::kNone);
  UpReport r = Up(plan);
  ASSERT_EQ(r.play.ExitCode(), 0) << r.play.FailureSummary();
  std::map<std::string, std::string> after = Ids();
  EXPECT_NE(after["db-1"], before["db-1"]);
  EXPECT_EQ(after["api-1"], before["api-1"]);
  EXPECT_EQ(after["api-2"], before["api-2"]);
  EXPECT_TRUE(Running("ship1", "api-1"));
  EXPECT_THAT(Events("ship1"), ::testing::Not(::testing::Contains("die:api-1")));
  // Its row says why it was not touched.
  bool said = false;
  for (const ui::RecordingSink::Event& e : sink_.events()) {
    if (e.kind == "note" && absl::StrContains(e.text, "link variables it gets from db-1")) {
      said = true;
    }
  }
  EXPECT_TRUE(said);
}

TEST_F(UpTest, OrphansAreReportedAndLeftAloneWithoutTheFlag) {
  Up();
  std::string cache = Ids()["cache-1"];
  UseEdited("  cache:\n    image: cache:1\n    instances:\n      cache-1: {ship: ship2}\n", "");
  ConvergencePlan plan = MakePlan();
  EXPECT_EQ(Planned(plan, "cache-1").action, ConvergeAction::kOrphan);
  UpReport r = Up(plan);
  EXPECT_EQ(r.play.ExitCode(), 0);
  EXPECT_EQ(Summary(r, "cache-1"), "orphan, left alone");
  EXPECT_EQ(Ids()["cache-1"], cache);
  EXPECT_TRUE(Running("ship2", "cache-1"));
}

TEST_F(UpTest, RemoveOrphansStopsAndRemovesThem) {
  Up();
  UseEdited("  cache:\n    image: cache:1\n    instances:\n      cache-1: {ship: ship2}\n", "");
  UpReport r = Up({.remove_orphans = true});
  EXPECT_EQ(r.play.ExitCode(), 0) << r.play.FailureSummary();
  EXPECT_EQ(Summary(r, "cache-1"), "orphan removed");
  EXPECT_FALSE(ships_.host("ship2").FindContainer("cache-1").has_value());
  std::vector<std::string> ship2 = Events("ship2");
  EXPECT_LT(Index(ship2, "die:cache-1"), Index(ship2, "destroy:cache-1"));
  EXPECT_FALSE(MakePlan().HasChanges());
}

TEST_F(UpTest, OrphansAreRemovedBeforeAnythingOnTheirShipComesUp) {
  Up();
  // cache-1 becomes cache-9: the old one is an orphan, the new one is created after it went.
  UseEdited("cache-1: {ship: ship2}", "cache-9: {ship: ship2}");
  ConvergencePlan plan = MakePlan();
  EXPECT_EQ(Planned(plan, "cache-9").action, ConvergeAction::kCreate);
  EXPECT_EQ(Planned(plan, "cache-1").action, ConvergeAction::kOrphan);
  UpReport r = Up(plan, {.remove_orphans = true});
  EXPECT_EQ(r.play.ExitCode(), 0) << r.play.FailureSummary();
  std::vector<std::string> ship2 = Events("ship2");
  EXPECT_LT(Index(ship2, "destroy:cache-1"), Index(ship2, "create:cache-9"));
}

TEST_F(UpTest, SavedPlanIsAppliedWhileCurrentAndRefusedOnceAShipChanged) {
  Up();
  UseEdited("DB_MODE: fast", "DB_MODE: slow");
  absl::StatusOr<ConvergencePlan> saved = LoadPlanFile(SavePlanFile(MakePlan()));
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_TRUE(saved->scope.orphans);
  {
    Scheduler scheduler({});
    EXPECT_TRUE(RecheckSavedPlan(world_, *saved, scheduler).ok());
  }
  // Someone stops api-2 meanwhile: refused, naming the ship and the container.
  ASSERT_TRUE(ships_.host("ship2").StopContainer(Ids()["api-2"], 1).ok());
  Scheduler scheduler({});
  absl::StatusOr<ConvergencePlan> stale = RecheckSavedPlan(world_, *saved, scheduler);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(stale.status().message(), HasSubstr("ship2: api-2 was running"));
}

TEST_F(UpTest, SavedPlanIsRefusedWhenTheFileNowAsksForSomethingElse) {
  Up();
  absl::StatusOr<ConvergencePlan> saved = LoadPlanFile(SavePlanFile(MakePlan()));
  ASSERT_TRUE(saved.ok());
  UseEdited("DB_MODE: fast", "DB_MODE: slow");
  Scheduler scheduler({});
  absl::StatusOr<ConvergencePlan> stale = RecheckSavedPlan(world_, *saved, scheduler);
  ASSERT_FALSE(stale.ok());
  EXPECT_THAT(stale.status().message(), HasSubstr("ship1: db-1 was planned as none, now recreate"));
}

TEST_F(UpTest, SavedPlanIsRefusedWhenTheFileChangedAgainForTheSameAction) {
  Up();
  UseEdited("DB_MODE: fast", "DB_MODE: slow");
  absl::StatusOr<ConvergencePlan> saved = LoadPlanFile(SavePlanFile(MakePlan()));
  ASSERT_TRUE(saved.ok());
  ASSERT_EQ(Planned(*saved, "db-1").action, ConvergeAction::kRecreate);
  // Still a recreate of db-1, but not the one the plan showed.
  UseEdited("DB_MODE: fast", "DB_MODE: other");
  Scheduler scheduler({});
  absl::StatusOr<ConvergencePlan> stale = RecheckSavedPlan(world_, *saved, scheduler);
  ASSERT_FALSE(stale.ok());
  EXPECT_THAT(stale.status().message(),
              HasSubstr("ship1: db-1: the file asks for another configuration"));
}

TEST_F(UpTest, SavedPlanSeesANewOrphanWhenItLookedForOrphans) {
  Up();
  absl::StatusOr<ConvergencePlan> saved = LoadPlanFile(SavePlanFile(MakePlan()));
  ASSERT_TRUE(saved.ok());
  // A container of this environment that the file does not have appears on ship2.
  nlohmann::json body = {{"Image", "cache:1"}, {"Labels", {{"maestro.environment", "shop"}}}};
  ASSERT_TRUE(ships_.host("ship2").CreateContainer("stray", body).ok());
  Scheduler scheduler({});
  absl::StatusOr<ConvergencePlan> stale = RecheckSavedPlan(world_, *saved, scheduler);
  ASSERT_FALSE(stale.ok());
  EXPECT_THAT(stale.status().message(), HasSubstr("ship2: stray appeared"));
}

TEST_F(UpTest, FailedDependencySkipsItsDependentsAndTheReportNamesTheRootCause) {
  ships_.host("ship1").SetExitOnStart("db:1");
  UpReport r = Up();
  EXPECT_EQ(r.play.ExitCode(), 1);
  EXPECT_EQ(test::OutcomeOf(r.play, "db-1").state, NodeState::kFailed);
  EXPECT_EQ(test::OutcomeOf(r.play, "api-1").state, NodeState::kSkipped);
  EXPECT_THAT(test::OutcomeOf(r.play, "api-1").error, HasSubstr("db-1 failed"));
  EXPECT_EQ(test::OutcomeOf(r.play, "cache-1").state, NodeState::kSucceeded);
  EXPECT_FALSE(ships_.host("ship1").FindContainer("api-1").has_value());
}

TEST_F(UpTest, ContainerLeftCreatedButNeverStartedIsReported) {
  // The start gets no answer and the container stays created: the play fails and says so.
  ships_.host("ship2").FailNext("StartContainer", absl::UnavailableError("connection reset"));
  UpReport r = Up();
  EXPECT_EQ(r.play.ExitCode(), 1);
  auto created = [&](const std::string& name) {
    auto c = ships_.host("ship2").FindContainer(name);
    return c.has_value() && c->state == FakeContainerState::kCreated;
  };
  std::string left = created("cache-1") ? "cache-1" : "api-2";
  ASSERT_TRUE(created(left));
  ASSERT_EQ(r.never_started.size(), 1u) << absl::StrJoin(r.never_started, "\n");
  EXPECT_THAT(r.never_started[0], HasSubstr(left + " on ship2: container "));
  EXPECT_THAT(r.never_started[0], HasSubstr("created but never started"));
  // A successful play reports nothing.
  EXPECT_THAT(Up().never_started, IsEmpty());
}

// `up` under a service's `update:` policy: a re-create of running containers is a rollout.
constexpr char kQuorumEnvironment[] = R"(
name: ens
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
services:
  zk:
    image: zk:1
    env: {TICK: "2000"}
    update: UPDATE
    instances:
      zk-1: {ship: ship1}
      zk-2: {ship: ship1}
      zk-3: {ship: ship1}
)";

class UpPolicyTest : public ::testing::Test {
 protected:
  void Init(const std::string& update) {
    update_ = update;
    ships_ = std::make_unique<test::FakeShips>(&clock_, std::vector<std::string>{"ship1"},
                                               std::vector<std::string>{"zk:1"});
    Use("2000");
    UpReport first = Up(MakePlan(names_));
    ASSERT_EQ(first.play.ExitCode(), 0) << first.play.FailureSummary();
    for (const std::string& name : names_) ids_[name] = Id(name);
    clock_.Advance(absl::Seconds(1));
    Use("3000");  // from now on every running instance is planned as a recreate
  }
  void Use(const std::string& tick) {
    envs_.push_back(std::make_unique<model::Environment>(test::LoadTestEnvironment(
        absl::StrReplaceAll(kQuorumEnvironment, {{"UPDATE", update_}, {"2000", tick}}))));
    world_.env = envs_.back().get();
    world_.ships = ships_.get();
    world_.checks = &checks_;
    world_.clock = &clock_;
    world_.sink = &sink_;
  }
  ConvergencePlan MakePlan(const std::vector<std::string>& containers) {
    Scheduler scheduler({});
    PlanScope scope;
    std::map<std::string, ShipLive> live = GatherLiveState(world_, containers, {}, scheduler);
    return ComputeConvergencePlan(*world_.env, containers, live, scope);
  }
  UpReport Up(const ConvergencePlan& plan) {
    EXPECT_THAT(plan.problems, IsEmpty());
    Scheduler scheduler({});
    return RunUp(world_, plan, {}, scheduler);
  }
  testing::FakeDockerHost& host() { return ships_->host("ship1"); }
  std::string Id(const std::string& name) {
    auto c = host().FindContainer(name);
    return c ? c->id : "";
  }
  bool Running(const std::string& name) {
    auto c = host().FindContainer(name);
    return c && c->state == FakeContainerState::kRunning;
  }
  std::vector<std::string> Events() { return test::EventLog(host(), clock_); }
  static size_t Index(const std::vector<std::string>& v, const std::string& e) {
    return std::find(v.begin(), v.end(), e) - v.begin();
  }

  FakeClock clock_;
  std::string update_;
  std::vector<std::unique_ptr<model::Environment>> envs_;
  std::unique_ptr<test::FakeShips> ships_;
  test::ScriptedChecks checks_;
  ui::RecordingSink sink_;
  PlayWorld world_;
  std::vector<std::string> names_ = {"zk-1", "zk-2", "zk-3"};
  std::map<std::string, std::string> ids_;  // before the second up
};

TEST_F(UpPolicyTest, RecreatesRunningInstancesBatchByBatch) {
  Init("{parallelism: 1}");
  ConvergencePlan plan = MakePlan(names_);
  for (const std::string& name : names_) {
    ASSERT_EQ(test::Find(plan, name).action, ConvergeAction::kRecreate) << name;
  }
  UpReport report = Up(plan);
  ASSERT_EQ(report.play.ExitCode(), 0) << report.play.FailureSummary();
  std::vector<std::string> ev = Events();
  // Each instance is back before the next one goes down (up alone stops all three at once).
  EXPECT_LT(Index(ev, "start:zk-1"), Index(ev, "stop:zk-2"));
  EXPECT_LT(Index(ev, "start:zk-2"), Index(ev, "stop:zk-3"));
  for (const std::string& name : names_) {
    EXPECT_NE(Id(name), ids_[name]) << name;
    EXPECT_TRUE(Running(name)) << name;
  }
  EXPECT_THAT(test::OutcomeOf(report.play, "zk-2").summary,
              HasSubstr("recreated: env: TICK changed from \"2000\" to \"3000\" (batch 2 of 3 "
                        "of zk)"));
  // The new container records the old one's spec: `rollback` can go back.
  EXPECT_EQ(host().FindContainer("zk-1")->labels.count(spec::kPreviousSpecLabel), 1u);
}

TEST_F(UpPolicyTest, SavedPlanRollsToo) {
  Init("{parallelism: 1}");
  absl::StatusOr<ConvergencePlan> saved = LoadPlanFile(SavePlanFile(MakePlan(names_)));
  ASSERT_TRUE(saved.ok()) << saved.status();
  Scheduler scheduler({});
  absl::StatusOr<ConvergencePlan> current = RecheckSavedPlan(world_, *saved, scheduler);
  ASSERT_TRUE(current.ok()) << current.status();
  UpReport report = Up(*current);
  ASSERT_EQ(report.play.ExitCode(), 0) << report.play.FailureSummary();
  EXPECT_THAT(test::OutcomeOf(report.play, "zk-3").summary, HasSubstr("(batch 3 of 3 of zk)"));
}

TEST_F(UpPolicyTest, QuorumBlocksTheRecreate) {
  Init("{quorum: majority, quorum_timeout: 5}");
  checks_.Fail("running:zk-3", "not serving");
  UpReport report = Up(MakePlan({"zk-1"}));
  EXPECT_EQ(report.play.ExitCode(), 1);
  EXPECT_THAT(test::OutcomeOf(report.play, "zk-1").error,
              HasSubstr("quorum of zk not met before taking zk-1 down: 1 of the other 2 "
                        "instances pass their running checks (need 2)"));
  EXPECT_EQ(Id("zk-1"), ids_["zk-1"]) << "left alone";
  EXPECT_TRUE(Running("zk-1"));
}

TEST_F(UpPolicyTest, FailureRollbackPutsBackTheOldContainers) {
  Init("{parallelism: 1, failure: rollback}");
  int calls = 0;  // zk-2: the survey's check passes, its new container's fails
  checks_.OnCheck("running:zk-2", [&] {
    if (++calls == 2) checks_.Fail("running:zk-2", "port closed");
  });
  UpReport report = Up(MakePlan(names_));
  EXPECT_EQ(report.play.ExitCode(), 1);
  EXPECT_THAT(test::OutcomeOf(report.play, "zk-2").error, HasSubstr("rolled back: zk-1, zk-2"));
  EXPECT_EQ(test::OutcomeOf(report.play, "zk-3").state, NodeState::kSkipped);
  for (const std::string& name : names_) {
    EXPECT_EQ(Id(name), ids_[name]) << name;
    EXPECT_TRUE(Running(name)) << name;
  }
  EXPECT_EQ(host().containers().size(), 3u) << "nothing kept, nothing lost";
}

TEST_F(UpPolicyTest, StoppedInstancesKeepUpsOwnPath) {
  Init("{quorum: majority, quorum_timeout: 5}");
  for (const std::string& name : names_) ASSERT_TRUE(host().StopContainer(name, 1).ok());
  // No instance runs, so no quorum could ever be met: stopped ones are not rolled.
  UpReport report = Up(MakePlan(names_));
  ASSERT_EQ(report.play.ExitCode(), 0) << report.play.FailureSummary();
  for (const std::string& name : names_) EXPECT_TRUE(Running(name)) << name;
  EXPECT_THAT(test::OutcomeOf(report.play, "zk-1").summary, Not(HasSubstr("batch")));
}

}  // namespace
}  // namespace maestro::plays
