// `maestro plan`'s core against stateful fake daemons: every action and reason, no difference
// on daemon defaults, orphans, the preflight problems, the JSON and saved-plan forms.
#include "maestro/plays/convergence.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/plays/convergence_gather.h"
#include "maestro/plays/convergence_output.h"
#include "maestro/plays/test_world.h"
#include "maestro/spec/container_spec.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_host.h"

namespace maestro::plays {
namespace {

using test::Find;
using test::Problems;

using ::testing::ElementsAre;
using testing::FakeClock;
using testing::FakeDockerHost;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kEnvironment[] = R"(
name: shop
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
  ship2: {ip: 127.0.0.2}
services:
  db:
    image: db:1
    instances:
      db-1: {ship: ship1, ports: {sql: 5432}}
  api:
    image: api:1.2
    requires: [db]
    env: {JAVA_OPTS: -Xmx1g, DB_PASSWORD: hunter2}
    instances:
      api-1: {ship: ship1, ports: {http: 8080}}
      api-2: {ship: ship2, ports: {http: 8080}}
  web:
    image: web:1
    requires: [api]
    instances:
      web-1: {ship: ship2, ports: {http: 80}}
)";

class ConvergenceTest : public ::testing::Test {
 protected:
  ConvergenceTest()
      : env_(test::LoadTestEnvironment(kEnvironment)),
        ships_(&clock_, {"ship1", "ship2"}, {"db:1", "api:1.2", "api:1.3", "web:1"}) {
    world_.env = &env_;
    world_.ships = &ships_;
    world_.clock = &clock_;
  }

  FakeDockerHost& host(const std::string& ship) { return ships_.host(ship); }

  // Creates `name` on its ship as maestro would from `instance` (defaults: the file's).
  void Create(const model::Instance& inst, bool start = true, bool with_hash_label = true) {
    nlohmann::json body = spec::BuildCreateBody(inst, *env_.FindShip(inst.ship), "1.41");
    if (!with_hash_label) body["Labels"].erase(spec::kSpecHashLabel);
    FakeDockerHost& h = host(inst.ship);
    absl::StatusOr<docker::CreateContainerResult> created = h.CreateContainer(inst.name, body);
    ASSERT_TRUE(created.ok()) << created.status();
    if (start) {
      ASSERT_TRUE(h.StartContainer(created->id).ok());
    }
  }
  void Create(const std::string& name, bool start = true) {
    Create(*env_.FindInstance(name), start);
  }
  void CreateAll() {
    for (const model::Instance& inst : env_.instances) Create(inst);
  }

  std::vector<std::string> All() const {
    return {"db-1", "api-1", "api-2", "web-1"};  // dependency order
  }

  ConvergencePlan MakePlan(std::vector<std::string> containers = {}, PlanScope scope = {}) {
    if (containers.empty()) containers = All();
    Scheduler scheduler({});
    std::map<std::string, ShipLive> live =
        GatherLiveState(world_, containers, scope.orphan_ships, scheduler);
    return ComputeConvergencePlan(env_, containers, live, scope);
  }

  FakeClock clock_;
  model::Environment env_;
  test::FakeShips ships_;
  PlayWorld world_;
};

TEST_F(ConvergenceTest, EverythingAbsentIsCreatedInDependencyOrder) {
  ConvergencePlan plan = MakePlan();
  ASSERT_EQ(plan.containers.size(), 4u);
  std::vector<std::string> order;
  for (const PlannedContainer& c : plan.containers) {
    order.push_back(c.name);
    EXPECT_EQ(c.action, ConvergeAction::kCreate) << c.name;
  }
  EXPECT_THAT(order, ElementsAre("db-1", "api-1", "api-2", "web-1"));
  EXPECT_THAT(Find(plan, "db-1").reasons, ElementsAre("no container db-1 on ship1"));
  EXPECT_THAT(plan.problems, IsEmpty());
  EXPECT_EQ(plan.ExitCode(true), 2);
  EXPECT_EQ(plan.ExitCode(false), 0);
  EXPECT_EQ(plan.Summary(), "4 to create");
}

TEST_F(ConvergenceTest, UnchangedRunningEnvironmentIsNoChangeFromTheListAlone) {
  CreateAll();
  host("ship1").ClearCalls();
  host("ship2").ClearCalls();
  ConvergencePlan plan = MakePlan();
  for (const PlannedContainer& c : plan.containers) {
    EXPECT_EQ(c.action, ConvergeAction::kNone) << c.name;
    EXPECT_THAT(c.reasons, IsEmpty());
  }
  EXPECT_FALSE(plan.HasChanges());
  EXPECT_EQ(plan.ExitCode(true), 0);
  // One list per ship; the spec-hash labels settle everything: no container inspect.
  for (const char* ship : {"ship1", "ship2"}) {
    EXPECT_EQ(host(ship).CountCalls("ListContainers"), 1) << ship;
    EXPECT_EQ(host(ship).CountCalls("InspectContainer"), 0) << ship;
  }
  EXPECT_EQ(host("ship1").CountCalls("InspectImage"), 2);  // db:1 and api:1.2, once each
}

TEST_F(ConvergenceTest, StoppedUnchangedContainerIsStarted) {
  CreateAll();
  ASSERT_TRUE(host("ship1").SimulateExit("db-1", 0).ok());
  ConvergencePlan plan = MakePlan();
  const PlannedContainer& db = Find(plan, "db-1");
  EXPECT_EQ(db.action, ConvergeAction::kStart);
  EXPECT_THAT(db.reasons, ElementsAre("stopped (exited), unchanged"));
  EXPECT_EQ(Find(plan, "api-1").action, ConvergeAction::kNone);
}

TEST_F(ConvergenceTest, CreatedNeverStartedIsStarted) {
  Create("db-1", /*start=*/false);
  ConvergencePlan plan = MakePlan({"db-1"});
  EXPECT_EQ(Find(plan, "db-1").action, ConvergeAction::kStart);
  EXPECT_THAT(Find(plan, "db-1").reasons, ElementsAre("created but never started, unchanged"));
}

TEST_F(ConvergenceTest, ChangedEnvNamesExactlyThatVariableAndInspectsOnlyThatContainer) {
  model::Instance old = *env_.FindInstance("api-1");
  old.env["JAVA_OPTS"] = "-Xmx512m";
  Create(old);
  Create("db-1");
  host("ship1").ClearCalls();
  ConvergencePlan plan = MakePlan({"db-1", "api-1"});
  const PlannedContainer& api = Find(plan, "api-1");
  EXPECT_EQ(api.action, ConvergeAction::kRecreate);
  EXPECT_THAT(api.reasons, ElementsAre("env: JAVA_OPTS changed from \"-Xmx512m\" to \"-Xmx1g\""));
  EXPECT_EQ(Find(plan, "db-1").action, ConvergeAction::kNone);
  EXPECT_EQ(host("ship1").CountCalls("InspectContainer"), 1);
  EXPECT_EQ(host("ship1").CountCalls("InspectContainer", "api-1"), 1);
}

TEST_F(ConvergenceTest, ChangedSecretNeverShowsItsValue) {
  model::Instance old = *env_.FindInstance("api-1");
  old.env["DB_PASSWORD"] = "old-secret";
  Create(old);
  ConvergencePlan plan = MakePlan({"api-1"});
  const PlannedContainer& api = Find(plan, "api-1");
  ASSERT_EQ(api.action, ConvergeAction::kRecreate);
  std::string all = absl::StrJoin(api.reasons, "\n");
  EXPECT_THAT(all, HasSubstr("DB_PASSWORD changed (value hidden)"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("old-secret")));
  EXPECT_THAT(PlanToJson(plan).dump(), ::testing::Not(HasSubstr("hunter2")));
}

TEST_F(ConvergenceTest, BytesThatAreNotUtf8NeverBreakTheJson) {
  model::Instance old = *env_.FindInstance("api-1");
  old.env["JAVA_OPTS"] = "\xff";
  Create(old);
  ConvergencePlan plan = MakePlan({"api-1"});
  ASSERT_EQ(Find(plan, "api-1").action, ConvergeAction::kRecreate);
  std::string text;
  ASSERT_NO_THROW(text = PlanJsonText(plan));
  EXPECT_THAT(text, HasSubstr("JAVA_OPTS changed from \\\"\xef\xbf\xbd\\\""));
  absl::StatusOr<ConvergencePlan> saved;
  ASSERT_NO_THROW(saved = LoadPlanFile(SavePlanFile(plan)));
  EXPECT_TRUE(saved.ok()) << saved.status();
}

TEST_F(ConvergenceTest, OtherImageTagInTheFileIsNamed) {
  model::Instance old = *env_.FindInstance("api-1");
  old.image = "api:1.3";
  Create(old);
  ConvergencePlan plan = MakePlan({"api-1"});
  const PlannedContainer& api = Find(plan, "api-1");
  EXPECT_EQ(api.action, ConvergeAction::kRecreate);
  ASSERT_FALSE(api.reasons.empty());
  EXPECT_EQ(api.reasons[0], "image: api:1.3 -> api:1.2");
}

TEST_F(ConvergenceTest, TagNowPointingElsewhereOnTheShipIsAnImageChange) {
  Create("api-1");
  host("ship1").AddImage("api:1.2", "sha256:" + std::string(64, 'e'));
  ConvergencePlan plan = MakePlan({"api-1"});
  const PlannedContainer& api = Find(plan, "api-1");
  EXPECT_EQ(api.action, ConvergeAction::kRecreate);
  ASSERT_EQ(api.reasons.size(), 1u);
  EXPECT_THAT(api.reasons[0], HasSubstr("image: api:1.2 now resolves to image eeeeeeeeeeee"));
  EXPECT_EQ(host("ship1").CountCalls("InspectContainer"), 0);  // the label settled the rest
}

TEST_F(ConvergenceTest, UnlabelledContainerWithTheSameSpecIsNoChange) {
  // Created by MaestroNG or an older maestro: no spec-hash label; inspect decides, and the
  // daemon's own defaults (image env, MemorySwap, NetworkMode bridge, ...) are no difference.
  for (const model::Instance& inst : env_.instances) {
    Create(inst, /*start=*/true, /*with_hash_label=*/false);
  }
  ConvergencePlan plan = MakePlan();
  for (const PlannedContainer& c : plan.containers) {
    EXPECT_EQ(c.action, ConvergeAction::kNone) << c.name << ": " << absl::StrJoin(c.reasons, "; ");
  }
  EXPECT_EQ(host("ship1").CountCalls("InspectContainer"), 2);
}

TEST_F(ConvergenceTest, OrphansAreContainersOfThisEnvironmentTheFileNoLongerHas) {
  for (const model::Instance& inst : env_.instances) {
    if (inst.name != "web-1") Create(inst);
  }
  model::Instance gone = *env_.FindInstance("web-1");
  gone.name = "web-old";
  Create(gone);  // running, holding web-1's port 80
  // Another environment's container and an unlabelled one are not orphans.
  model::Instance foreign = gone;
  foreign.name = "other-web";
  foreign.env[std::string("MAESTRO_ENVIRONMENT_NAME")] = "other";
  foreign.ports.clear();
  Create(foreign);
  ConvergencePlan plan = MakePlan({}, {.orphans = true});
  const PlannedContainer& orphan = Find(plan, "web-old");
  EXPECT_EQ(orphan.action, ConvergeAction::kOrphan);
  EXPECT_EQ(orphan.ship, "ship2");
  EXPECT_EQ(orphan.service, "web");
  EXPECT_THAT(orphan.reasons, ElementsAre("instance web-old is no longer in the environment"));
  for (const PlannedContainer& c : plan.containers) EXPECT_NE(c.name, "other-web");
  EXPECT_EQ(plan.containers.back().name, "web-old");  // orphans come last
  EXPECT_EQ(plan.ExitCode(true), 1);                  // web-old holds web-1's port 80
  EXPECT_THAT(Problems(plan),
              ElementsAre("host port 80/tcp on ship2 wanted by web-1 is held by orphan web-old"));
  // Without the orphan scope (things named) they are not looked for.
  ConvergencePlan scoped = MakePlan({"db-1"});
  EXPECT_EQ(scoped.containers.size(), 1u);
}

TEST_F(ConvergenceTest, UnreachableShipIsAProblemAndItsContainersUnknown) {
  host("ship2").SetDown(true);
  ConvergencePlan plan = MakePlan();
  EXPECT_EQ(Find(plan, "db-1").action, ConvergeAction::kCreate);
  EXPECT_EQ(Find(plan, "api-2").action, ConvergeAction::kUnknown);
  EXPECT_EQ(Find(plan, "web-1").action, ConvergeAction::kUnknown);
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_EQ(plan.problems[0].ship, "ship2");
  EXPECT_THAT(plan.problems[0].message, HasSubstr("connection refused"));
  EXPECT_EQ(plan.ExitCode(true), 1);
  EXPECT_EQ(plan.ExitCode(false), 1);
}

TEST_F(ConvergenceTest, TooOldApiIsAProblem) {
  host("ship1").SetApiVersion("1.17");
  ConvergencePlan plan = MakePlan({"db-1"});
  EXPECT_EQ(Find(plan, "db-1").action, ConvergeAction::kUnknown);
  EXPECT_THAT(Problems(plan), ElementsAre(HasSubstr("Docker API 1.17 is too old")));
  EXPECT_EQ(host("ship1").CountCalls("ListContainers"), 0);
}

constexpr char kPortsAndVolumes[] = R"(
name: shop
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
services:
  data:
    image: db:1
    instances:
      data-1: {ship: ship1, volumes: {/data: /srv/data}}
  web:
    image: web:1
    instances:
      web-1: {ship: ship1, ports: {http: 8080}, volumes_from: [data-1]}
      web-2: {ship: ship1, ports: {http: "8080", admin: "9000"}}
      web-3: {ship: ship1, ports: {http: {exposed: 80, external: [127.0.0.1, 8081]}}}
)";

TEST_F(ConvergenceTest, PreflightListsEveryProblemAtOnce) {
  env_ = test::LoadTestEnvironment(kPortsAndVolumes);
  // A foreign container on ship1 publishing 9000 and 8081 on every address.
  nlohmann::json body = {{"Image", "web:1"},
                         {"HostConfig",
                          {{"PortBindings",
                            {{"9000/tcp", {{{"HostIp", ""}, {"HostPort", "9000"}}}},
                             {"80/tcp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "8081"}}}}}}}}};
  absl::StatusOr<docker::CreateContainerResult> foreign =
      host("ship1").CreateContainer("foreign", body);
  ASSERT_TRUE(foreign.ok());
  ASSERT_TRUE(host("ship1").StartContainer(foreign->id).ok());
  // Plan the web containers alone: data-1 is neither on the ship nor planned.
  ConvergencePlan plan = MakePlan({"web-1", "web-2", "web-3"});
  EXPECT_THAT(
      Problems(plan),
      ElementsAre("web-1 takes volumes_from data-1, which is not on ship1 and not in this plan",
                  "host port 8080/tcp on ship1 is wanted by both web-1 and web-2",
                  "host port 8081/tcp on ship1 wanted by web-3 is held by running container "
                  "foreign (not in this plan)",
                  "host port 9000/tcp on ship1 wanted by web-2 is held by running container "
                  "foreign (not in this plan)"));
  EXPECT_EQ(plan.ExitCode(true), 1);
  // With data-1 in the plan, its volumes will exist.
  ConvergencePlan with_data = MakePlan({"data-1", "web-1"});
  EXPECT_THAT(Problems(with_data), IsEmpty());
}

TEST_F(ConvergenceTest, AbsentImageIsANoteAndABrokenImageInspectAProblem) {
  host("ship1").RemoveImage("db:1");
  host("ship1").SetPullable("db:1");  // the registry has it
  host("ship1").FailNext("InspectImage", FakeDockerHost::ApiError(500, "disk on fire"));
  ConvergencePlan plan = MakePlan({"api-1", "db-1"});
  // api-1 is listed first here, so its image inspect is the one that fails.
  EXPECT_THAT(Problems(plan), ElementsAre(HasSubstr("cannot inspect image api:1.2")));
  EXPECT_THAT(Find(plan, "db-1").notes,
              ElementsAre(HasSubstr("image db:1 is not on ship1: it will be pulled from Docker "
                                    "Hub (sha256:")));
}

TEST_F(ConvergenceTest, DependencyCycleIsReportedWithItsPath) {
  // The loader rejects cycles; a hand-made environment can still have one.
  for (model::Service& s : env_.services) {
    if (s.name == "db") s.requires.push_back("web");
  }
  ConvergencePlan plan = ComputeConvergencePlan(env_, {}, {}, {});
  EXPECT_THAT(Problems(plan), ElementsAre(HasSubstr("dependency cycle: ")));
  EXPECT_THAT(plan.problems[0].message, HasSubstr(" -> "));
}

TEST_F(ConvergenceTest, JsonHasTheSameContentAndRoundTrips) {
  CreateAll();
  ASSERT_TRUE(host("ship1").SimulateExit("db-1", 0).ok());
  ConvergencePlan plan = MakePlan();
  nlohmann::json j = PlanToJson(plan);
  EXPECT_EQ(j["environment"], "shop");
  EXPECT_EQ(j["changes"], true);
  EXPECT_EQ(j["summary"], "1 to start, 3 unchanged");
  EXPECT_EQ(j["containers"][0]["name"], "db-1");
  EXPECT_EQ(j["containers"][0]["action"], "start");
  EXPECT_EQ(j["containers"][0]["reasons"][0], "stopped (exited), unchanged");
  absl::StatusOr<ConvergencePlan> back = PlanFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(PlanToJson(*back), j);
}

TEST_F(ConvergenceTest, SavedPlanIsCurrentUntilAShipChanges) {
  CreateAll();
  ConvergencePlan plan = MakePlan();
  absl::StatusOr<ConvergencePlan> saved = LoadPlanFile(SavePlanFile(plan));
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_TRUE(CheckPlanStillCurrent(*saved, MakePlan()).ok());

  ASSERT_TRUE(host("ship2").SimulateExit("web-1", 1).ok());
  absl::Status stale = CheckPlanStillCurrent(*saved, MakePlan());
  EXPECT_EQ(stale.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(stale.message(), HasSubstr("ship2: web-1 was running ("));
  EXPECT_THAT(stale.message(), HasSubstr("now exited ("));
  EXPECT_THAT(stale.message(), ::testing::Not(HasSubstr("ship1")));

  host("ship1").AddImage("db:1", "sha256:" + std::string(64, 'f'));
  stale = CheckPlanStillCurrent(*saved, MakePlan());
  EXPECT_THAT(stale.message(), HasSubstr("ship1: image db:1 was "));
}

TEST(ConvergencePlanFileTest, RejectsWhatIsNotAPlan) {
  EXPECT_EQ(LoadPlanFile("not json").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(LoadPlanFile("{}").status().message(), HasSubstr("\"format\""));
  EXPECT_THAT(LoadPlanFile(R"({"format": "maestro-plan/1", "containers": [{"name": "a",
              "action": "explode"}], "fingerprint": {}})")
                  .status()
                  .message(),
              HasSubstr("unknown action \"explode\""));
  EXPECT_FALSE(LoadPlanFile(R"({"format": "maestro-plan/1", "containers": 3})").ok());
}

TEST_F(ConvergenceTest, TextGroupsByShipInDependencyOrder) {
  Create("db-1");
  model::Instance old = *env_.FindInstance("api-1");
  old.env["JAVA_OPTS"] = "-Xmx512m";
  Create(old);
  ConvergencePlan plan = MakePlan();
  EXPECT_EQ(RenderPlanText(plan, {.table = true, .color = false}),
            "ship1\n"
            "  ACTION     CONTAINER  SERVICE  REASONS\n"
            "  no change  db-1       db\n"
            "  recreate   api-1      api      env: JAVA_OPTS changed from \"-Xmx512m\" to "
            "\"-Xmx1g\"\n"
            "\n"
            "ship2\n"
            "  ACTION     CONTAINER  SERVICE  REASONS\n"
            "  create     api-2      api      no container api-2 on ship2\n"
            "  create     web-1      web      no container web-1 on ship2\n"
            "\n"
            "Plan: 2 to create, 1 to recreate, 1 unchanged.\n");
  EXPECT_EQ(RenderPlanText(plan, {.table = false}),
            "ship1 db-1 no change\n"
            "ship1 api-1 recreate: env: JAVA_OPTS changed from \"-Xmx512m\" to \"-Xmx1g\"\n"
            "ship2 api-2 create: no container api-2 on ship2\n"
            "ship2 web-1 create: no container web-1 on ship2\n"
            "Plan: 2 to create, 1 to recreate, 1 unchanged.\n");
}

// A changed running instance of a service with `update:` is a recreate that rolls, and the plan
// says how, in every form.
constexpr char kRollingEnvironment[] = R"(
name: cluster
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
  ship2: {ip: 127.0.0.2}
services:
  zk:
    image: db:1
    env: {V: "2"}
    update: {parallelism: 2, per_ship: 1, quorum: majority, failure: rollback, delay: 5s}
    instances:
      zk-1: {ship: ship1}
      zk-2: {ship: ship1}
      zk-3: {ship: ship2}
  kafka:
    image: api:1.2
    env: {V: "2"}
    update: {parallelism: 1, role: {type: exec, command: "test -f /leader"}}
    instances:
      kafka-1: {ship: ship1}
      kafka-2: {ship: ship2}
  web:
    image: web:1
    env: {V: "2"}
    instances:
      web-1: {ship: ship2}
)";

class RollingPlanTest : public ConvergenceTest {
 protected:
  RollingPlanTest() {
    env_ = test::LoadTestEnvironment(kRollingEnvironment);
    world_.env = &env_;
    // Every container runs V=1: each is re-created.
    for (const model::Instance& inst : env_.instances) {
      model::Instance old = inst;
      old.env["V"] = "1";
      Create(old);
    }
  }
  ConvergencePlan Plan() {
    return MakePlan({"zk-1", "zk-2", "zk-3", "kafka-1", "kafka-2", "web-1"});
  }
};

TEST_F(RollingPlanTest, RecreatesUnderAPolicySayHowAndInWhichBatch) {
  ConvergencePlan plan = Plan();
  for (const PlannedContainer& c : plan.containers) {
    EXPECT_EQ(c.action, ConvergeAction::kRecreate) << c.name;
  }
  const PlannedContainer& zk1 = Find(plan, "zk-1");
  ASSERT_TRUE(zk1.rolling.has_value());
  EXPECT_EQ(zk1.rolling->how,
            "2 at a time, at most 1 per ship, quorum majority, failure rollback, delay 5s");
  EXPECT_EQ(zk1.rolling->quorum, 2);
  // Two at a time but one per ship: zk-1 with zk-3, then zk-2.
  EXPECT_EQ(zk1.rolling->batch, 1);
  EXPECT_EQ(Find(plan, "zk-3").rolling->batch, 1);
  EXPECT_EQ(Find(plan, "zk-2").rolling->batch, 2);
  EXPECT_EQ(Find(plan, "zk-2").rolling->batches, 2);
  const PlannedContainer& kafka = Find(plan, "kafka-2");
  ASSERT_TRUE(kafka.rolling.has_value());
  EXPECT_EQ(kafka.rolling->how, "1 at a time, leader last by role probe, failure pause");
  EXPECT_TRUE(kafka.rolling->leader_last);
  EXPECT_EQ(kafka.rolling->batch, 0) << "the leader is known only at the rollout";
  EXPECT_FALSE(Find(plan, "web-1").rolling.has_value()) << "no policy: up's own re-create";

  EXPECT_THAT(DescribeRollouts(plan),
              ElementsAre("zk rolls 2 at a time, at most 1 per ship, quorum majority, failure "
                          "rollback, delay 5s in 2 batches: zk-1, zk-3 | zk-2",
                          "kafka rolls 1 at a time, leader last by role probe, failure pause: "
                          "kafka-1, kafka-2 (batches found by the role probe at the rollout, the "
                          "leader last)"));
  const std::string lines = RenderPlanText(plan, {.table = false});
  EXPECT_THAT(lines, HasSubstr("ship1 zk-2 recreate: env: V changed from \"1\" to \"2\"; "
                               "rolling: 2 at a time, at most 1 per ship, quorum majority, "
                               "failure rollback, delay 5s; batch 2 of 2\n"));
  EXPECT_THAT(lines, HasSubstr("ship2 web-1 recreate: env: V changed from \"1\" to \"2\"\n"));
  EXPECT_THAT(lines, HasSubstr("rolling: zk rolls 2 at a time"));
  const std::string table = RenderPlanText(plan, {.table = true});
  EXPECT_THAT(table, HasSubstr("\nRolling updates:\n  zk rolls 2 at a time"));
  EXPECT_THAT(table, HasSubstr("rolling: 1 at a time, leader last by role probe, failure pause; "
                               "batch order found by the role probe at the rollout\n"));
}

TEST_F(RollingPlanTest, JsonCarriesTheRollingPolicyAndRoundTrips) {
  ConvergencePlan plan = Plan();
  nlohmann::json j = PlanToJson(plan);
  const nlohmann::json* zk2 = nullptr;
  const nlohmann::json* kafka1 = nullptr;
  const nlohmann::json* web1 = nullptr;
  for (const nlohmann::json& c : j["containers"]) {
    if (c["name"] == "zk-2") zk2 = &c;
    if (c["name"] == "kafka-1") kafka1 = &c;
    if (c["name"] == "web-1") web1 = &c;
  }
  ASSERT_TRUE(zk2 != nullptr && kafka1 != nullptr && web1 != nullptr);
  EXPECT_EQ((*zk2)["rolling"]["batch_size"], 2);
  EXPECT_EQ((*zk2)["rolling"]["per_ship"], 1);
  EXPECT_EQ((*zk2)["rolling"]["quorum"], 2);
  EXPECT_EQ((*zk2)["rolling"]["failure"], "rollback");
  EXPECT_EQ((*zk2)["rolling"]["delay"], 5.0);
  EXPECT_EQ((*zk2)["rolling"]["batch"], 2);
  EXPECT_EQ((*zk2)["rolling"]["batches"], 2);
  EXPECT_EQ((*kafka1)["rolling"]["leader_last"], true);
  EXPECT_TRUE((*kafka1)["rolling"]["batch"].is_null());
  EXPECT_TRUE((*web1)["rolling"].is_null());
  absl::StatusOr<ConvergencePlan> back = PlanFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(PlanToJson(*back), j);
  EXPECT_EQ(DescribeRollouts(*back), DescribeRollouts(plan));
}

TEST_F(RollingPlanTest, AStoppedInstanceIsNotRolled) {
  ASSERT_TRUE(host("ship1").SimulateExit("zk-1", 0).ok());
  ConvergencePlan plan = Plan();
  EXPECT_EQ(Find(plan, "zk-1").action, ConvergeAction::kRecreate);
  EXPECT_FALSE(Find(plan, "zk-1").rolling.has_value());
  EXPECT_EQ(Find(plan, "zk-2").rolling->batch, 1);
  EXPECT_EQ(Find(plan, "zk-3").rolling->batch, 1);
  EXPECT_EQ(Find(plan, "zk-3").rolling->batches, 1);
}

}  // namespace
}  // namespace maestro::plays
