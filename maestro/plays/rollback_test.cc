// `maestro rollback` (PlanRollback, RunRollback) and the previous spec every re-create records,
// against stateful fake daemons: up v1, change the file, up v2, rollback -> v1, rollback -> v2.
#include "maestro/plays/rollback.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/plays/convergence.h"
#include "maestro/plays/convergence_gather.h"
#include "maestro/plays/rollout.h"
#include "maestro/plays/test_world.h"
#include "maestro/plays/up.h"
#include "maestro/spec/container_spec.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/ui/progress.h"

namespace maestro::plays {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using testing::FakeClock;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kEnvironment[] = R"(
name: shop
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
services:
  db:
    image: db:1
    env: {DB_MODE: fast, DB_PASSWORD: hunter2}
    instances:
      db-1: {ship: ship1, ports: {sql: 5432}}
  api:
    image: api:1
    requires: [db]
    env: {COLOR: blue}
    instances:
      api-1: {ship: ship1, ports: {http: 8080}}
      api-2: {ship: ship1, ports: {http: 8081}}
)";

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

class RollbackTest : public ::testing::Test {
 protected:
  RollbackTest() : ships_(&clock_, {"ship1"}, {"db:1", "api:1", "api:2"}) { Use(kEnvironment); }

  void Use(const std::string& text) {
    envs_.push_back(std::make_unique<model::Environment>(test::LoadTestEnvironment(text)));
    world_.env = envs_.back().get();
    world_.ships = &ships_;
    world_.checks = &checks_;
    world_.clock = &clock_;
    world_.sink = &sink_;
  }
  void UseEdited(const std::vector<std::pair<std::string, std::string>>& edits) {
    std::string text = kEnvironment;
    for (const auto& [from, to] : edits) {
      std::string edited = absl::StrReplaceAll(text, {{from, to}});
      ASSERT_NE(edited, text) << from;
      text = edited;
    }
    Use(text);
  }

  PlayReport Up() {
    std::vector<std::string> containers;
    for (const model::Instance& inst : world_.env->instances) containers.push_back(inst.name);
    PlanScope scope;
    Scheduler scheduler({});
    std::map<std::string, ShipLive> live = GatherLiveState(world_, containers, {}, scheduler);
    ConvergencePlan plan = ComputeConvergencePlan(*world_.env, containers, live, scope);
    EXPECT_THAT(plan.problems, IsEmpty());
    UpReport report = RunUp(world_, plan, {}, scheduler);
    EXPECT_EQ(report.play.ExitCode(), 0) << report.play.FailureSummary();
    return report.play;
  }

  PlayReport Rollback(const std::vector<std::string>& containers) {
    absl::StatusOr<RollbackPlan> plan = PlanRollback(world_, containers);
    EXPECT_TRUE(plan.ok()) << plan.status();
    if (!plan.ok()) return {};
    described_ = DescribeRollback(*plan);
    Scheduler scheduler({});
    PlayReport report = RunRollback(world_, *plan, {}, scheduler);
    EXPECT_EQ(report.ExitCode(), 0) << report.FailureSummary();
    return report;
  }

  docker::ContainerInspect Inspect(const std::string& name) {
    absl::StatusOr<docker::ContainerInspect> c = ships_.host("ship1").InspectContainer(name);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : docker::ContainerInspect{};
  }
  std::string Label(const std::string& name, const std::string& label) {
    docker::ContainerInspect c = Inspect(name);
    auto it = c.labels.find(label);
    return it == c.labels.end() ? "" : it->second;
  }

  FakeClock clock_;
  test::FakeShips ships_;
  RunningChecks checks_;
  ui::RecordingSink sink_;
  PlayWorld world_;
  std::vector<std::unique_ptr<model::Environment>> envs_;
  std::vector<std::string> described_;
};

TEST_F(RollbackTest, ARecreateRecordsTheSpecOfTheContainerItReplaced) {
  Up();
  EXPECT_EQ(Label("api-1", spec::kPreviousSpecLabel), "");  // a first create has none
  const std::string v1_spec = Label("api-1", spec::kSpecLabel);
  ASSERT_NE(v1_spec, "");
  const std::string v1_image_id = Inspect("api-1").image_id;

  UseEdited({{"COLOR: blue", "COLOR: green"}});
  Up();
  std::string previous = Label("api-1", spec::kPreviousSpecLabel);
  absl::StatusOr<spec::RecordedSpec> recorded = spec::ParseRecordedSpec(previous);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_THAT(recorded->body["Env"], Contains("COLOR=blue"));
  EXPECT_EQ(recorded->body["Image"], "api:1");
  EXPECT_EQ(recorded->image_id, v1_image_id);
  EXPECT_THAT(v1_spec, ::testing::StartsWith(spec::kSpecLabelPrefix));  // stored compressed
  absl::StatusOr<std::string> v1_text = spec::DecodeSpecLabel(v1_spec, spec::kSpecLabel);
  ASSERT_TRUE(v1_text.ok()) << v1_text.status();
  EXPECT_EQ(recorded->body, nlohmann::json::parse(*v1_text));
  // db-1 was not re-created: no previous spec.
  EXPECT_EQ(Label("db-1", spec::kPreviousSpecLabel), "");
}

TEST_F(RollbackTest, RollbackRestoresThePreviousImageEnvAndPortsThenGoesForwardAgain) {
  Up();
  const std::string v1_id = Inspect("api-1").image_id;
  UseEdited(
      {{"image: api:1", "image: api:2"},
       {"COLOR: blue", "COLOR: green"},
       {"api-1: {ship: ship1, ports: {http: 8080}}", "api-1: {ship: ship1, ports: {http: 9090}}"}});
  Up();
  docker::ContainerInspect v2 = Inspect("api-1");
  EXPECT_EQ(v2.config_image, "api:2");
  const std::string v2_hash = v2.labels.at(spec::kSpecHashLabel);

  PlayReport back = Rollback({"api-1"});
  docker::ContainerInspect now = Inspect("api-1");
  EXPECT_TRUE(now.state.running);
  EXPECT_EQ(now.config_image, "api:1");
  EXPECT_EQ(now.image_id, v1_id);
  EXPECT_THAT(now.env, Contains("COLOR=blue"));
  EXPECT_THAT(now.env, Not(Contains("COLOR=green")));
  EXPECT_TRUE(now.host_config["PortBindings"].contains("8080/tcp")) << now.host_config.dump();
  EXPECT_FALSE(now.host_config["PortBindings"].contains("9090/tcp"));
  EXPECT_NE(now.labels.at(spec::kSpecHashLabel), v2_hash);
  ASSERT_EQ(described_.size(), 1u);
  EXPECT_THAT(described_[0], HasSubstr("api-1 on ship1: image: api:2 -> api:1"));
  EXPECT_THAT(described_[0], HasSubstr("COLOR changed from \"green\" to \"blue\""));
  EXPECT_THAT(test::OutcomeOf(back, "api-1").summary, HasSubstr("rolled back: image"));
  // Only api-1 was touched.
  EXPECT_EQ(Inspect("api-2").config_image, "api:2");

  // The rolled-back container records the one it replaced: a second rollback goes forward.
  Rollback({"api-1"});
  now = Inspect("api-1");
  EXPECT_EQ(now.config_image, "api:2");
  EXPECT_THAT(now.env, Contains("COLOR=green"));
  EXPECT_TRUE(now.host_config["PortBindings"].contains("9090/tcp"));
  EXPECT_EQ(now.labels.at(spec::kSpecHashLabel), v2_hash);
  EXPECT_THAT(described_[0], HasSubstr("COLOR changed from \"blue\" to \"green\""));
}

TEST_F(RollbackTest, ATagThatMovedOnIsRolledBackToTheImageIdItRan) {
  Up();
  const std::string v1_id = Inspect("api-1").image_id;
  UseEdited({{"COLOR: blue", "COLOR: green"}});
  Up();
  // The tag moves on; the old image stays on the ship (as a real daemon keeps it, untagged).
  ships_.host("ship1").AddImage("api:kept", v1_id);
  ships_.host("ship1").AddImage("api:1", "sha256:" + std::string(64, 'e'));
  Rollback({"api-1"});
  EXPECT_EQ(Inspect("api-1").image_id, v1_id);
  EXPECT_THAT(Inspect("api-1").env, Contains("COLOR=blue"));
}

TEST_F(RollbackTest, AnImageGoneFromTheShipIsPulledByItsTagBeforeAnythingIsStopped) {
  Up();
  UseEdited({{"image: api:1", "image: api:2"}});
  Up();
  ships_.host("ship1").RemoveImage("api:1");
  ships_.host("ship1").SetPullable("api:1");
  ships_.host("ship1").ClearCalls();
  Rollback({"api-1"});
  EXPECT_EQ(ships_.host("ship1").CountCalls("PullImage"), 1);
  EXPECT_EQ(Inspect("api-1").config_image, "api:1");
  EXPECT_TRUE(Inspect("api-1").state.running);
}

TEST_F(RollbackTest, NoPreviousSpecIsAnErrorNamingEachContainerAndTouchesNothing) {
  Up();
  UseEdited({{"COLOR: blue", "COLOR: green"}});
  Up();  // api-1 and api-2 have a previous spec, db-1 has none
  std::map<std::string, std::string> ids;
  for (const char* name : {"db-1", "api-1", "api-2"}) ids[name] = Inspect(name).id;
  size_t calls = ships_.host("ship1").calls().size();

  absl::StatusOr<RollbackPlan> plan = PlanRollback(world_, {"db-1", "api-1", "api-2"});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(plan.status().message(), HasSubstr("nothing was touched"));
  EXPECT_THAT(plan.status().message(), HasSubstr("db-1 on ship1 has no previous spec"));
  EXPECT_THAT(plan.status().message(), Not(HasSubstr("api-1")));
  for (const auto& [name, id] : ids) EXPECT_EQ(Inspect(name).id, id) << name;
  std::vector<testing::FakeCall> after = ships_.host("ship1").calls();
  for (size_t i = calls; i < after.size(); ++i) {
    const std::string& m = after[i].method;
    EXPECT_TRUE(m == "InspectContainer" || m == "InspectImage") << m;
  }
}

TEST_F(RollbackTest, APreviousSpecAboveTheBoundIsNotRecordedAndRollbackSaysWhy) {
  // Text deflate cannot shrink below the bound (hex of a linear congruential sequence): the
  // bound applies after compression.
  std::string big = "s";
  for (uint64_t x = 1; big.size() < 2 * spec::kMaxSpecLabelBytes;) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    big += absl::StrCat(absl::Hex(x >> 16, absl::kZeroPad12));
  }
  UseEdited({{"COLOR: blue", absl::StrCat("COLOR: blue, BIG: ", big)}});
  Up();
  absl::StatusOr<std::string> own =
      spec::DecodeSpecLabel(Label("api-1", spec::kSpecLabel), spec::kSpecLabel);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_THAT(*own, HasSubstr("\"Omitted\""));
  EXPECT_LE(Label("api-1", spec::kSpecLabel).size(), 128u);
  UseEdited({{"COLOR: blue", "COLOR: green"}});
  Up();
  absl::StatusOr<RollbackPlan> plan = PlanRollback(world_, {"api-1"});
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(),
              HasSubstr(absl::StrCat("above the ", spec::kMaxSpecLabelBytes, "-byte bound")));
  EXPECT_THAT(plan.status().message(), HasSubstr("api-1 on ship1"));
}

TEST_F(RollbackTest, AnUnreadablePreviousSpecIsAnErrorNamingTheContainerAndTheLabel) {
  Up();
  UseEdited({{"COLOR: blue", "COLOR: green"}});
  Up();
  // api-1 made again by hand with its previous spec cut short (a label edited or truncated).
  const std::string previous = Label("api-1", spec::kPreviousSpecLabel);
  ASSERT_GT(previous.size(), 23u);
  testing::FakeDockerHost& host = ships_.host("ship1");
  docker::RemoveContainerOptions force;
  force.force = true;
  ASSERT_TRUE(host.RemoveContainer("api-1", force).ok());
  nlohmann::json body = {{"Image", "api:1"},
                         {"Labels", {{spec::kPreviousSpecLabel, previous.substr(0, 23)}}}};
  ASSERT_TRUE(host.CreateContainer("api-1", body).ok());
  absl::StatusOr<RollbackPlan> plan = PlanRollback(world_, {"api-1"});
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(),
              HasSubstr("api-1 on ship1 has no usable previous spec: the maestro.previous-spec "
                        "label is truncated"));
}

TEST_F(RollbackTest, SecretValuesAreNeverDescribed) {
  Up();
  UseEdited({{"DB_PASSWORD: hunter2", "DB_PASSWORD: correct-horse"}});
  Up();
  absl::StatusOr<RollbackPlan> plan = PlanRollback(world_, {"db-1"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::string text = absl::StrJoin(DescribeRollback(*plan), "\n");
  EXPECT_THAT(text, HasSubstr("DB_PASSWORD changed (value hidden)"));
  EXPECT_THAT(text, Not(HasSubstr("hunter2")));
  EXPECT_THAT(text, Not(HasSubstr("correct-horse")));
}

TEST_F(RollbackTest, APlainRestartKeepsThePreviousSpec) {
  Up();
  UseEdited({{"COLOR: blue", "COLOR: green"}});
  Up();
  const std::string previous = Label("api-1", spec::kPreviousSpecLabel);
  ASSERT_NE(previous, "");
  Scheduler scheduler({});
  PlayReport restarted = RunRestart(world_, {"api-1"}, {}, scheduler);
  ASSERT_EQ(restarted.ExitCode(), 0) << restarted.FailureSummary();
  EXPECT_EQ(Label("api-1", spec::kPreviousSpecLabel), previous);
}

TEST_F(RollbackTest, InstancesGoInTheBatchesOfTheServicesPolicy) {
  Up();
  UseEdited({{"COLOR: blue", "COLOR: red"},
             {"    requires: [db]\n", "    requires: [db]\n    update: {parallelism: 2}\n"}});
  Up();
  PlayReport back = Rollback({"api-1", "api-2"});
  // Both in one batch (without the policy: one at a time, "batch 1 of 2" and "batch 2 of 2").
  EXPECT_THAT(test::OutcomeOf(back, "api-1").summary, HasSubstr("(batch 1 of 1 of api)"));
  EXPECT_THAT(test::OutcomeOf(back, "api-2").summary, HasSubstr("(batch 1 of 1 of api)"));
  EXPECT_THAT(Inspect("api-1").env, Contains("COLOR=blue"));
}

TEST_F(RollbackTest, WithoutAPolicyOneInstanceAtATime) {
  Up();
  UseEdited({{"COLOR: blue", "COLOR: red"}});
  Up();
  PlayReport back = Rollback({"api-1", "api-2"});
  EXPECT_THAT(test::OutcomeOf(back, "api-1").summary, HasSubstr("(batch 1 of 2 of api)"));
  EXPECT_THAT(test::OutcomeOf(back, "api-2").summary, HasSubstr("(batch 2 of 2 of api)"));
}

TEST_F(RollbackTest, QuorumBlocksTheRollbackAndLeavesTheContainerRunning) {
  Up();
  UseEdited({{"COLOR: blue", "COLOR: red"},
             {"    requires: [db]\n",
              "    requires: [db]\n    update: {parallelism: 1, quorum: 1, quorum_timeout: 3}\n"}});
  Up();
  test::ScriptedChecks scripted;
  scripted.Fail("running:api-2", "not serving");
  world_.checks = &scripted;
  const std::string before = Inspect("api-1").id;
  absl::StatusOr<RollbackPlan> plan = PlanRollback(world_, {"api-1"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  Scheduler scheduler({});
  PlayReport report = RunRollback(world_, *plan, {}, scheduler);
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(test::OutcomeOf(report, "api-1").error,
              HasSubstr("quorum of api not met before taking api-1 down"));
  EXPECT_EQ(Inspect("api-1").id, before);
  EXPECT_TRUE(Inspect("api-1").state.running);
}

TEST_F(RollbackTest, SecondaryNetworksAreJoinedAgain) {
  const std::string with_networks = absl::StrReplaceAll(
      kEnvironment, {{"ships:\n", "networks:\n  back: {}\n  front: {}\nships:\n"},
                     {"api-1: {ship: ship1, ports: {http: 8080}}",
                      "api-1: {ship: ship1, ports: {http: 8080}, networks: [back, front]}"}});
  Use(with_networks);
  Up();
  Use(absl::StrReplaceAll(with_networks, {{"COLOR: blue", "COLOR: red"}}));
  Up();
  ASSERT_THAT(ships_.host("ship1").ContainerNetworks("api-1"),
              ElementsAre("shop_back", "shop_front"));
  Rollback({"api-1"});
  EXPECT_THAT(Inspect("api-1").env, Contains("COLOR=blue"));
  EXPECT_THAT(ships_.host("ship1").ContainerNetworks("api-1"),
              ElementsAre("shop_back", "shop_front"));
}

// The `failure:` action of the service's policy when an instance's rollback fails: api-1..3
// ran COLOR=blue, then red; the rollback goes one at a time and api-2's re-created container
// fails its running checks (its check before the rollback passes).
class RollbackFailureTest : public RollbackTest {
 protected:
  PlayReport RollBackWith(const std::string& failure) {
    const std::string v1 = absl::StrReplaceAll(
        kEnvironment, {{"    requires: [db]\n",
                        absl::StrCat("    requires: [db]\n    update: {parallelism: 1, failure: ",
                                     failure, "}\n")},
                       {"      api-2: {ship: ship1, ports: {http: 8081}}\n",
                        "      api-2: {ship: ship1, ports: {http: 8081}}\n"
                        "      api-3: {ship: ship1, ports: {http: 8082}}\n"}});
    Use(v1);
    Up();
    Use(absl::StrReplaceAll(v1, {{"COLOR: blue", "COLOR: red"}}));
    Up();
    for (const char* name : {"api-1", "api-2", "api-3"}) red_[name] = Inspect(name).id;
    checks_calls_ = 0;
    scripted_.OnCheck("running:api-2", [this] {
      if (++checks_calls_ == 2) scripted_.Fail("running:api-2", "port closed");
    });
    world_.checks = &scripted_;
    absl::StatusOr<RollbackPlan> plan = PlanRollback(world_, {"api-1", "api-2", "api-3"});
    EXPECT_TRUE(plan.ok()) << plan.status();
    if (!plan.ok()) return {};
    Scheduler scheduler({});
    return RunRollback(world_, *plan, {}, scheduler);
  }
  bool Exists(const std::string& name) { return ships_.host("ship1").InspectContainer(name).ok(); }

  test::ScriptedChecks scripted_;
  int checks_calls_ = 0;
  std::map<std::string, std::string> red_;  // ids of the containers before the rollback
};

TEST_F(RollbackFailureTest, PauseStopsTheServiceAndSaysWhere) {
  PlayReport report = RollBackWith("pause");
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_EQ(test::OutcomeOf(report, "api-1").state, NodeState::kSucceeded);
  EXPECT_THAT(test::OutcomeOf(report, "api-2").error,
              HasSubstr("rollback paused at api-2 (batch 2 of 3 of api)"));
  EXPECT_EQ(test::OutcomeOf(report, "api-3").state, NodeState::kSkipped);
  EXPECT_THAT(Inspect("api-1").env, Contains("COLOR=blue"));
  EXPECT_EQ(Inspect("api-3").id, red_["api-3"]) << "never touched";
  EXPECT_TRUE(Inspect("api-3").state.running);
}

TEST_F(RollbackFailureTest, ContinueGoesOnWithTheNextBatchesAndReportsTheFailure) {
  PlayReport report = RollBackWith("continue");
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_EQ(test::OutcomeOf(report, "api-2").state, NodeState::kFailed);
  EXPECT_THAT(report.FailureSummary(), HasSubstr("api-2"));
  EXPECT_EQ(test::OutcomeOf(report, "api-3").state, NodeState::kSucceeded);
  for (const char* name : {"api-1", "api-3"}) {
    EXPECT_THAT(Inspect(name).env, Contains("COLOR=blue")) << name;
    EXPECT_TRUE(Inspect(name).state.running) << name;
  }
}

TEST_F(RollbackFailureTest, RollbackPutsBackWhatThisRollbackChanged) {
  PlayReport report = RollBackWith("rollback");
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(test::OutcomeOf(report, "api-2").error,
              HasSubstr("put back as before this rollback: api-1, api-2"));
  EXPECT_EQ(test::OutcomeOf(report, "api-3").state, NodeState::kSkipped);
  // The very containers of before the rollback, running, under their names; nothing kept.
  for (const char* name : {"api-1", "api-2", "api-3"}) {
    EXPECT_EQ(Inspect(name).id, red_[name]) << name;
    EXPECT_THAT(Inspect(name).env, Contains("COLOR=red")) << name;
    EXPECT_TRUE(Inspect(name).state.running) << name;
    EXPECT_FALSE(Exists(absl::StrCat(name, kPreviousSuffix))) << name;
  }
}

TEST_F(RollbackFailureTest, ARollbackPolicyThatSucceedsLeavesNothingKept) {
  PlayReport report = RollBackWith("rollback");
  (void)report;
  // Same set-up without the failure: every instance rolled back, the kept containers removed.
  scripted_.Pass("running:api-2");
  absl::StatusOr<RollbackPlan> plan = PlanRollback(world_, {"api-1", "api-2", "api-3"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  Scheduler scheduler({});
  checks_calls_ = 100;  // the hook fails nothing any more
  PlayReport again = RunRollback(world_, *plan, {}, scheduler);
  ASSERT_EQ(again.ExitCode(), 0) << again.FailureSummary();
  bool kept = false;
  for (const ui::RecordingSink::Event& e : sink_.events()) {
    kept = kept || (e.kind == "pending" && absl::StrContains(e.text, "as api-3.maestro-prev"));
  }
  EXPECT_TRUE(kept) << "the replaced container was kept until the service was proven";
  for (const char* name : {"api-1", "api-2", "api-3"}) {
    EXPECT_THAT(Inspect(name).env, Contains("COLOR=blue")) << name;
    EXPECT_FALSE(Exists(absl::StrCat(name, kPreviousSuffix))) << name;
  }
}

}  // namespace
}  // namespace maestro::plays
