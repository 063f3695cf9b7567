// Rolling updates (rollout.h): batch planning, and `restart` under an `update:` policy against
// stateful fake daemons, a scripted check runner and simulated time: quorum that blocks and then
// allows, leader last, stopped and unhealthy first, each failure action, no container lost.
#include "maestro/plays/rollout.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/secret_values.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/test_world.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/ui/progress.h"

namespace maestro::plays {
namespace {

using ::testing::ElementsAre;
using testing::FakeClock;
using ::testing::HasSubstr;

std::vector<std::vector<std::string>> Named(const std::vector<RolloutMember>& members,
                                            const std::vector<std::vector<size_t>>& batches) {
  std::vector<std::vector<std::string>> out;
  for (const auto& b : batches) {
    out.emplace_back();
    for (size_t i : b) out.back().push_back(members[i].name);
  }
  return out;
}

std::vector<RolloutMember> Members(int n, int ships) {
  std::vector<RolloutMember> out;
  for (int i = 1; i <= n; ++i) {
    out.push_back({absl::StrCat("zk-", i), absl::StrCat("ship", (i - 1) % ships + 1),
                   MemberHealth::kHealthy, false});
  }
  return out;
}

TEST(PlanBatchesTest, ParallelismOverTheService) {
  model::UpdatePolicy p;
  p.parallelism = 2;
  std::vector<RolloutMember> m = Members(5, 1);
  using V = std::vector<std::string>;
  EXPECT_THAT(Named(m, PlanBatches(m, p, 5)),
              ElementsAre(V{"zk-1", "zk-2"}, V{"zk-3", "zk-4"}, V{"zk-5"}));
  p.parallelism = 0;
  p.parallelism_percent = 25;  // 25% of 8 = 2
  m = Members(8, 1);
  EXPECT_EQ(PlanBatches(m, p, 8).size(), 4u);
  p.parallelism_percent = 10;  // 10% of 5 rounds down to 0: at least one
  m = Members(5, 1);
  EXPECT_EQ(PlanBatches(m, p, 5).size(), 5u);
  model::UpdatePolicy none;  // no bound: everything at once
  EXPECT_EQ(PlanBatches(m, none, 5).size(), 1u);
}

TEST(PlanBatchesTest, PerShipBound) {
  model::UpdatePolicy p;
  p.parallelism = 4;
  p.per_ship = 1;
  std::vector<RolloutMember> m = Members(6, 2);  // ship1: 1, 3, 5; ship2: 2, 4, 6
  using V = std::vector<std::string>;
  EXPECT_THAT(Named(m, PlanBatches(m, p, 6)),
              ElementsAre(V{"zk-1", "zk-2"}, V{"zk-3", "zk-4"}, V{"zk-5", "zk-6"}));
  p.per_ship = 2;
  p.parallelism = 3;
  EXPECT_THAT(Named(m, PlanBatches(m, p, 6)),
              ElementsAre(V{"zk-1", "zk-2", "zk-3"}, V{"zk-4", "zk-5", "zk-6"}));
}

TEST(PlanBatchesTest, DownAndUnhealthyFirstLeadersLastAndAlone) {
  model::UpdatePolicy p;
  p.parallelism = 2;
  std::vector<RolloutMember> m = Members(5, 1);
  m[0].leader = true;                      // zk-1 leads
  m[3].health = MemberHealth::kUnhealthy;  // zk-4
  m[4].health = MemberHealth::kDown;       // zk-5
  using V = std::vector<std::string>;
  EXPECT_THAT(Named(m, PlanBatches(m, p, 5)),
              ElementsAre(V{"zk-5", "zk-4"}, V{"zk-2", "zk-3"}, V{"zk-1"}));
}

// Instances zk-1..zk-N of service zk on ship1, with `update` as the service's update: line.
constexpr char kSecretValue[] = "t0ken-0f-the-ensemble";

// `secret`: the service needs a secret `token` (from the variable TOKEN). `extra`: more keys of
// the service ("healthcheck: {...}").
std::string Env(int n, const std::string& update, bool secret = false,
                const std::string& extra = "") {
  std::string out = "name: test\n__maestro: {schema: 2}\nships:\n  ship1: {ip: 127.0.0.1}\n";
  if (secret) absl::StrAppend(&out, "secrets:\n  token: {environment: TOKEN}\n");
  absl::StrAppend(&out, "services:\n  zk:\n    image: zk:3.4\n");
  if (secret) absl::StrAppend(&out, "    secrets: [token]\n");
  if (!update.empty()) absl::StrAppend(&out, "    update: ", update, "\n");
  if (!extra.empty()) absl::StrAppend(&out, "    ", extra, "\n");
  absl::StrAppend(&out, "    instances:\n");
  for (int i = 1; i <= n; ++i) absl::StrAppend(&out, "      zk-", i, ": {ship: ship1}\n");
  return out;
}

class RolloutTest : public ::testing::Test {
 protected:
  void Init(int n, const std::string& update, bool secret = false, const std::string& extra = "") {
    env_ = test::LoadTestEnvironment(Env(n, update, secret, extra));
    if (secret) {
      config::FakeFileReader files;
      config::SecretSources sources;
      sources.files = &files;
      sources.getenv = [](const std::string&) { return std::optional<std::string>(kSecretValue); };
      ASSERT_TRUE(config::ResolveSecrets(env_, sources).ok());
    }
    ships_ = std::make_unique<test::FakeShips>(&clock_, std::vector<std::string>{"ship1"},
                                               std::vector<std::string>{"zk:3.4"});
    world_.env = &env_;
    world_.ships = ships_.get();
    world_.checks = &checks_;
    world_.clock = &clock_;
    world_.sink = &sink_;
    for (int i = 1; i <= n; ++i) names_.push_back(absl::StrCat("zk-", i));
    Scheduler scheduler({});
    PlayReport started = RunStart(world_, names_, {}, scheduler);
    ASSERT_EQ(started.ExitCode(), 0) << started.FailureSummary();
    for (const std::string& name : names_) ids_[name] = Id(name);
    clock_.Advance(absl::Seconds(1));
    init_events_ = test::EventLog(host(), clock_).size();
  }
  testing::FakeDockerHost& host() { return ships_->host("ship1"); }
  std::string Id(const std::string& name) {
    auto c = host().FindContainer(name);
    return c ? c->id : "";
  }
  bool Running(const std::string& name) {
    auto c = host().FindContainer(name);
    return c && c->state == testing::FakeContainerState::kRunning;
  }
  PlayReport Restart(std::vector<std::string> containers = {}, PlayOptions options = {}) {
    Scheduler scheduler({.concurrency = options.concurrency});
    return RunRestart(world_, containers.empty() ? names_ : containers, options, scheduler);
  }
  // The events since Init().
  std::vector<std::string> Events() {
    std::vector<std::string> all = test::EventLog(host(), clock_);
    return std::vector<std::string>(all.begin() + std::min(init_events_, all.size()), all.end());
  }
  static size_t Index(const std::vector<std::string>& v, const std::string& entry) {
    return std::find(v.begin(), v.end(), entry) - v.begin();
  }
  // No container of the service was lost, and none is left under the kept name.
  void ExpectAllThere() {
    for (const std::string& name : names_) EXPECT_TRUE(Running(name)) << name;
    for (const testing::FakeContainer& c : host().containers()) {
      EXPECT_FALSE(absl::StrContains(c.name, kPreviousSuffix)) << c.name;
    }
    EXPECT_EQ(host().containers().size(), names_.size());
  }

  FakeClock clock_;
  model::Environment env_;
  std::unique_ptr<test::FakeShips> ships_;
  test::ScriptedChecks checks_;
  ui::RecordingSink sink_;
  PlayWorld world_;
  std::vector<std::string> names_;
  std::map<std::string, std::string> ids_;  // before the restart
  size_t init_events_ = 0;
};

TEST_F(RolloutTest, ParallelismOneUpdatesOneAtATime) {
  Init(3, "{parallelism: 1}");
  PlayReport report = Restart();
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  std::vector<std::string> ev = Events();
  // Each instance is back (started) before the next one is stopped.
  EXPECT_LT(Index(ev, "start:zk-1"), Index(ev, "stop:zk-2"));
  EXPECT_LT(Index(ev, "stop:zk-2"), Index(ev, "start:zk-2"));
  EXPECT_LT(Index(ev, "start:zk-2"), Index(ev, "stop:zk-3"));
  for (const std::string& name : names_) {
    EXPECT_NE(Id(name), ids_[name]) << name << " was re-created";
    EXPECT_THAT(test::OutcomeOf(report, name).summary, HasSubstr("updated (batch"));
  }
  ExpectAllThere();
}

TEST_F(RolloutTest, LeaderIsUpdatedLast) {
  Init(5, "{parallelism: 2, role: {type: rexec, command: is-leader}}");
  for (const char* follower : {"zk-1", "zk-2", "zk-4", "zk-5"}) {
    checks_.Fail(absl::StrCat("role:", follower), "follower");
  }
  PlayReport report = Restart();
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  std::vector<std::string> ev = Events();
  for (const char* follower : {"zk-1", "zk-2", "zk-4", "zk-5"}) {
    EXPECT_LT(Index(ev, absl::StrCat("start:", follower)), Index(ev, "stop:zk-3")) << follower;
  }
  EXPECT_THAT(test::OutcomeOf(report, "zk-3").summary, HasSubstr("batch 3 of 3"));
  ExpectAllThere();
}

TEST_F(RolloutTest, StoppedAndUnhealthyFirst) {
  Init(3, "{parallelism: 1}");
  ASSERT_TRUE(host().StopContainer("zk-3", 10).ok());
  // zk-2 fails its running checks once (before the rollout), then passes.
  int calls = 0;
  checks_.OnCheck("running:zk-2", [&] {
    if (++calls == 1) {
      checks_.Fail("running:zk-2", "unhealthy");
    } else {
      checks_.Pass("running:zk-2");
    }
  });
  PlayReport report = Restart();
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  std::vector<std::string> ev = Events();
  EXPECT_LT(Index(ev, "start:zk-3"), Index(ev, "stop:zk-2")) << "stopped first";
  EXPECT_LT(Index(ev, "start:zk-2"), Index(ev, "stop:zk-1")) << "unhealthy before healthy";
  ExpectAllThere();
}

TEST_F(RolloutTest, QuorumBlocksThenAllows) {
  Init(3, "{quorum: majority}");
  // zk-2 fails its running checks for its first 3 measurements: zk-1 may not go down (it needs
  // both others of 3), then it recovers.
  int calls = 0;
  checks_.Fail("running:zk-2", "not serving");
  checks_.OnCheck("running:zk-2", [&] {
    if (++calls == 3) checks_.Pass("running:zk-2");
  });
  const absl::Time before = clock_.Now();
  PlayReport report = Restart({"zk-1"});
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_NE(Id("zk-1"), ids_["zk-1"]);
  EXPECT_GE(clock_.Now() - before, absl::Seconds(2)) << "it waited for the quorum";
  bool waited = false;
  for (const auto& e : sink_.events()) {
    waited = waited || absl::StrContains(e.text,
                                         "waiting for quorum: 1 of 2 others pass (need 2); "
                                         "down: zk-2");
  }
  EXPECT_TRUE(waited);
}

TEST_F(RolloutTest, QuorumNeverMetFailsNamingWhoIsDownAndLeavesItRunning) {
  Init(3, "{quorum: majority, quorum_timeout: 5}");
  checks_.Fail("running:zk-3", "not serving");
  PlayReport report = Restart({"zk-1"});
  EXPECT_EQ(report.ExitCode(), 1);
  const ContainerOutcome& o = test::OutcomeOf(report, "zk-1");
  EXPECT_EQ(o.state, NodeState::kFailed);
  EXPECT_THAT(o.error, HasSubstr("quorum of zk not met before taking zk-1 down: 1 of the other 2 "
                                 "instances pass their running checks (need 2)"));
  EXPECT_THAT(o.error, HasSubstr("down: zk-3"));
  EXPECT_EQ(Id("zk-1"), ids_["zk-1"]);
  EXPECT_TRUE(Running("zk-1"));
}

// zk-2's new container fails its running checks (its first check, before the rollout, passes).
void FailSecondCheckOfZk2(test::ScriptedChecks& checks, int* calls) {
  checks.OnCheck("running:zk-2", [&checks, calls] {
    if (++*calls == 2) checks.Fail("running:zk-2", "port closed");
  });
}

TEST_F(RolloutTest, FailurePauseStopsAndSaysWhere) {
  Init(3, "{parallelism: 1, failure: pause}");
  int calls = 0;
  FailSecondCheckOfZk2(checks_, &calls);
  PlayReport report = Restart();
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_EQ(test::OutcomeOf(report, "zk-1").state, NodeState::kSucceeded);
  EXPECT_THAT(test::OutcomeOf(report, "zk-2").error,
              HasSubstr("rollout paused at zk-2 (batch 2 of 3 of zk)"));
  EXPECT_EQ(test::OutcomeOf(report, "zk-3").state, NodeState::kSkipped);
  EXPECT_THAT(test::OutcomeOf(report, "zk-3").error, HasSubstr("zk-2 failed"));
  EXPECT_EQ(Id("zk-3"), ids_["zk-3"]) << "left alone";
  EXPECT_TRUE(Running("zk-3"));
}

TEST_F(RolloutTest, FailureContinueGoesOnAndReportsAtTheEnd) {
  Init(3, "{parallelism: 1, failure: continue}");
  int calls = 0;
  FailSecondCheckOfZk2(checks_, &calls);
  PlayReport report = Restart();
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_EQ(test::OutcomeOf(report, "zk-2").state, NodeState::kFailed);
  EXPECT_EQ(test::OutcomeOf(report, "zk-3").state, NodeState::kSucceeded);
  EXPECT_NE(Id("zk-3"), ids_["zk-3"]);
  EXPECT_THAT(report.FailureSummary(), HasSubstr("zk-2"));
}

TEST_F(RolloutTest, FailureRollbackPutsBackEveryUpdatedInstance) {
  Init(3, "{parallelism: 1, failure: rollback}");
  int calls = 0;
  FailSecondCheckOfZk2(checks_, &calls);
  PlayReport report = Restart();
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(test::OutcomeOf(report, "zk-2").error, HasSubstr("rolled back: zk-1, zk-2"));
  EXPECT_EQ(test::OutcomeOf(report, "zk-3").state, NodeState::kSkipped);
  // The very containers of before, running, under their names; the new ones are gone.
  for (const std::string& name : names_) EXPECT_EQ(Id(name), ids_[name]) << name;
  ExpectAllThere();
}

TEST_F(RolloutTest, RolledBackContainersGetTheirSecretsAgain) {
  Init(3, "{parallelism: 1, failure: rollback}", /*secret=*/true);
  auto deliveries = [&](const std::string& name) {
    int n = 0;
    for (const testing::FakeExec& e : host().execs()) {
      if (e.container == name && e.stdin_data == kSecretValue) ++n;
    }
    return n;
  };
  ASSERT_EQ(deliveries("zk-1"), 1) << "delivered at the first start";
  ASSERT_EQ(deliveries("zk-2"), 1);
  int calls = 0;
  FailSecondCheckOfZk2(checks_, &calls);
  PlayReport report = Restart();
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(test::OutcomeOf(report, "zk-2").error, HasSubstr("rolled back: zk-1, zk-2"));
  // The kept (original) container got its secret once more when it was started again, its tmpfs
  // mounts empty again. (The fake names an exec by its container's current name: the removed
  // new containers' deliveries have none.)
  EXPECT_EQ(deliveries("zk-1"), 2);
  EXPECT_EQ(deliveries("zk-2"), 2);
  ExpectAllThere();
}

TEST_F(RolloutTest, SuccessfulRollbackPolicyRemovesTheKeptContainers) {
  Init(3, "{parallelism: 2, failure: rollback, monitor: 3}");
  const absl::Time before = clock_.Now();
  PlayReport report = Restart();
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  for (const std::string& name : names_) EXPECT_NE(Id(name), ids_[name]) << name;
  EXPECT_GE(clock_.Now() - before, absl::Seconds(6)) << "two batches monitored 3 s each";
  std::vector<std::string> ev = Events();
  EXPECT_NE(Index(ev, "rename:zk-1.maestro-prev"), ev.size()) << "kept while unproven";
  ExpectAllThere();
}

TEST_F(RolloutTest, MonitorFailureCountsAsAFailure) {
  Init(2, "{parallelism: 1, monitor: 5, failure: rollback}");
  int calls = 0;
  // zk-1: survey (1), start (2) pass; the first monitoring round (3) fails.
  checks_.OnCheck("running:zk-1", [&] {
    if (++calls == 3) checks_.Fail("running:zk-1", "crashed");
  });
  PlayReport report = Restart();
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(test::OutcomeOf(report, "zk-1").error, HasSubstr("failed while monitored"));
  checks_.Pass("running:zk-1");
  for (const std::string& name : names_) EXPECT_EQ(Id(name), ids_[name]) << name;
  ExpectAllThere();
}

TEST_F(RolloutTest, OnlyIfChangedLeavesMatchingContainersAlone) {
  Init(2, "{parallelism: 1}");
  PlayOptions options;
  options.only_if_changed = true;
  PlayReport report = Restart({}, options);
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  for (const std::string& name : names_) {
    EXPECT_EQ(Id(name), ids_[name]) << name;
    EXPECT_EQ(test::OutcomeOf(report, name).summary, "unchanged");
  }
}

TEST_F(RolloutTest, WithoutAPolicyRestartKeepsItsPlan) {
  Init(2, "");
  EXPECT_FALSE(UsesRollout(env_, names_));
  PlayReport report = Restart();
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_THAT(test::OutcomeOf(report, "zk-1").summary, ::testing::Not(HasSubstr("batch")));
}

constexpr char kHealthcheck[] = "healthcheck: {test: ruok, interval: 2s, retries: 2}";

TEST_F(RolloutTest, DockerUnhealthyInstancesGoFirst) {
  Init(3, "{parallelism: 1}", false, kHealthcheck);
  // Every running check passes: only Docker's own health tells zk-3 is unhealthy.
  host().SetHealth("zk-1", {"healthy"});
  host().SetHealth("zk-2", {"healthy"});
  host().SetHealth("zk-3", {"unhealthy", "healthy"});
  PlayReport report = Restart();
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  std::vector<std::string> ev = Events();
  EXPECT_LT(Index(ev, "start:zk-3"), Index(ev, "stop:zk-1")) << "unhealthy first";
  EXPECT_THAT(test::OutcomeOf(report, "zk-3").summary, HasSubstr("batch 1 of 3"));
  ExpectAllThere();
}

TEST_F(RolloutTest, NewContainerThatDockerCallsUnhealthyFailsItsUpdate) {
  Init(3, "{parallelism: 1, failure: rollback}", false, kHealthcheck);
  for (const std::string& name : names_) host().SetHealth(name, {"healthy"});
  // zk-2's new container passes its running checks, then Docker calls it unhealthy.
  checks_.OnCheck("running:zk-2", [&] {
    host().SetHealth("zk-2", {"starting", "unhealthy"}, "imok expected, got nothing");
  });
  PlayReport report = Restart();
  EXPECT_EQ(report.ExitCode(), 1);
  const ContainerOutcome& o = test::OutcomeOf(report, "zk-2");
  EXPECT_THAT(o.error, HasSubstr("container zk-2 is unhealthy: imok expected, got nothing"));
  EXPECT_THAT(o.error, HasSubstr("rolled back: zk-1, zk-2"));
  host().SetHealth("zk-2", {"healthy"});
  for (const std::string& name : names_) EXPECT_EQ(Id(name), ids_[name]) << name;
  ExpectAllThere();
}

TEST_F(RolloutTest, NewContainerMustBecomeHealthyBeforeTheNextBatch) {
  Init(2, "{parallelism: 1}", false, kHealthcheck);
  host().SetHealth("zk-1", {"healthy"});
  host().SetHealth("zk-2", {"healthy"});
  checks_.OnCheck("running:zk-1", [&] {
    // (A few inspects of the running checks take the first of these.)
    host().SetHealth("zk-1", {"starting", "starting", "starting", "starting", "starting",
                              "starting", "starting", "healthy"});
  });
  const absl::Time before = clock_.Now();
  PlayReport report = Restart();
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_GE(clock_.Now() - before, absl::Seconds(3)) << "it waited for healthy";
  bool waited = false;
  for (const auto& e : sink_.events()) {
    waited =
        waited || absl::StrContains(e.text, "waiting for Docker to call it healthy (starting)");
  }
  EXPECT_TRUE(waited);
  std::vector<std::string> ev = Events();
  EXPECT_LT(Index(ev, "start:zk-1"), Index(ev, "stop:zk-2"));
  ExpectAllThere();
}

TEST_F(RolloutTest, QuorumCountsDockerHealth) {
  Init(3, "{quorum: majority, quorum_timeout: 5}", false, kHealthcheck);
  host().SetHealth("zk-2", {"healthy"});
  host().SetHealth("zk-3", {"unhealthy"});  // its running checks pass
  PlayReport report = Restart({"zk-1"});
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(test::OutcomeOf(report, "zk-1").error, HasSubstr("down: zk-3"));
  EXPECT_EQ(Id("zk-1"), ids_["zk-1"]);
}

TEST(EffectivePolicyTest, StepDelayMapsOntoDelay) {
  model::Service with;
  with.update = model::UpdatePolicy{};
  with.update->parallelism = 2;
  PlayOptions options;
  options.step_delay = 7;
  model::UpdatePolicy p = EffectivePolicy(with, options);
  EXPECT_EQ(p.delay, 7);
  EXPECT_EQ(p.parallelism, 2);
  with.update->delay = 3;
  EXPECT_EQ(EffectivePolicy(with, options).delay, 3) << "the policy's own delay wins";
  model::Service without;
  p = EffectivePolicy(without, options);
  EXPECT_EQ(p.parallelism, 1);
  EXPECT_FALSE(p.pull_before);
}

}  // namespace
}  // namespace maestro::plays
