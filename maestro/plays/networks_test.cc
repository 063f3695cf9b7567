// Networks and named volumes in the plays (docs/environment.md#networks), against the stateful
// FakeDockerHost: created once before the first container that needs them, secondary networks
// connected before start, a network or volume with other options never re-created, and
// `clean --networks` / `--volumes` touching only this environment's unused ones.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/plays/convergence.h"
#include "maestro/plays/convergence_gather.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/resources.h"
#include "maestro/plays/test_world.h"
#include "maestro/spec/container_spec.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/ui/progress.h"

namespace maestro::plays {
namespace {

using ::testing::ElementsAre;
using testing::FakeCall;
using testing::FakeClock;
using testing::FakeDockerHost;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kEnvironment[] = R"(
name: demo
__maestro: {schema: 2}
networks:
  back: {subnet: 10.77.0.0/16, labels: {tier: back}}
  front: {}
volumes:
  data: {labels: {keep: "yes"}}
ships:
  ship1: {ip: 127.0.0.1}
services:
  db:
    image: db:1
    networks: {back: {aliases: [database]}}
    instances:
      db-1: {ship: ship1, volumes: {data: /var/lib/db}}
  web:
    image: web:1
    requires: [db]
    instances:
      web-1: {ship: ship1, networks: {back: {aliases: [app]}, front: {aliases: [www]}}}
      web-2: {ship: ship1, networks: [back, front]}
)";

class NetworksTest : public ::testing::Test {
 protected:
  explicit NetworksTest(const char* environment = kEnvironment)
      : env_(test::LoadTestEnvironment(environment)),
        ships_(&clock_, {"ship1"}, {"db:1", "web:1"}) {
    world_.env = &env_;
    world_.ships = &ships_;
    world_.checks = &checks_;
    world_.clock = &clock_;
    world_.sink = &sink_;
  }

  PlayReport Start(std::vector<std::string> containers) {
    Scheduler scheduler({});
    return RunStart(world_, containers, {}, scheduler);
  }
  FakeDockerHost& host() { return ships_.host("ship1"); }
  // Position of the first call of `method` on `target` ("" = any), or calls().size().
  size_t Position(const std::string& method, const std::string& target) {
    std::vector<FakeCall> calls = host().calls();
    for (size_t i = 0; i < calls.size(); ++i) {
      if (calls[i].method == method && (target.empty() || calls[i].target == target)) return i;
    }
    return calls.size();
  }

  FakeClock clock_;
  model::Environment env_;
  test::FakeShips ships_;
  test::ScriptedChecks checks_;
  ui::RecordingSink sink_;
  PlayWorld world_;
};

TEST_F(NetworksTest, StartCreatesEachNetworkOnceAndConnectsTheOthersBeforeStart) {
  PlayReport report = Start({"db-1", "web-1", "web-2"});
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_EQ(host().CountCalls("CreateNetwork"), 2);
  EXPECT_EQ(host().CountCalls("CreateNetwork", "demo_back"), 1);
  EXPECT_EQ(host().CountCalls("CreateNetwork", "demo_front"), 1);
  EXPECT_EQ(host().CountCalls("CreateVolume", "demo_data"), 1);

  docker::NetworkInfo back = host().InspectNetwork("demo_back").value();
  EXPECT_EQ(back.subnet, "10.77.0.0/16");
  EXPECT_EQ(back.labels.at(spec::kEnvironmentLabel), "demo");
  EXPECT_EQ(back.labels.at("tier"), "back");

  EXPECT_THAT(host().ContainerNetworks("db-1"), ElementsAre("demo_back"));
  EXPECT_THAT(host().ContainerNetworks("web-1"), ElementsAre("demo_back", "demo_front"));
  EXPECT_THAT(host().ContainerNetworks("web-2"), ElementsAre("demo_back", "demo_front"));
  for (const char* name : {"web-1", "web-2"}) {
    std::string id = host().FindContainer(name)->id;
    EXPECT_LT(Position("ConnectNetwork", id), Position("StartContainer", id)) << name;
    EXPECT_LT(Position("CreateNetwork", "demo_front"), Position("CreateContainer", name)) << name;
  }
  nlohmann::json body = host().FindContainer("web-1")->create_body;
  EXPECT_EQ(body["HostConfig"]["NetworkMode"], "demo_back");
  EXPECT_EQ(body["NetworkingConfig"]["EndpointsConfig"]["demo_back"]["Aliases"],
            nlohmann::json({"app"}));
  EXPECT_THAT(host().FindContainer("db-1")->create_body["HostConfig"]["Binds"],
              ::testing::Contains("demo_data:/var/lib/db:rw"));
}

TEST_F(NetworksTest, ANetworkWithOtherOptionsIsNeverRecreated) {
  ASSERT_TRUE(host()
                  .CreateNetwork({{"Name", "demo_back"},
                                  {"Driver", "macvlan"},
                                  {"IPAM", {{"Config", {{{"Subnet", "10.9.0.0/16"}}}}}}})
                  .ok());
  host().ClearCalls();
  PlayReport report = Start({"db-1"});
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(test::OutcomeOf(report, "db-1").error,
              HasSubstr("network back (demo_back) on ship1 (fake://ship1) exists with other "
                        "options than configured: driver is macvlan, configured bridge; subnet "
                        "is 10.9.0.0/16, configured 10.77.0.0/16; label tier is missing, "
                        "configured \"back\"; maestro never re-creates it"));
  EXPECT_EQ(host().CountCalls("CreateNetwork"), 0);
  EXPECT_EQ(host().CountCalls("RemoveNetwork"), 0);
  EXPECT_EQ(host().CountCalls("CreateContainer"), 0);
  // plan's preflight sees the same, without creating anything.
  EXPECT_THAT(ResourceProblems(env_, *env_.FindInstance("db-1"), host()),
              ElementsAre(HasSubstr("driver is macvlan, configured bridge")));
  EXPECT_THAT(ResourceProblems(env_, *env_.FindInstance("web-1"), host()),
              ElementsAre(HasSubstr("network back (demo_back)")));
  EXPECT_EQ(host().CountCalls("CreateNetwork"), 0);
}

TEST_F(NetworksTest, PlanListsADifferingNetworkAsAPreflightProblem) {
  ASSERT_TRUE(host().CreateNetwork({{"Name", "demo_back"}, {"Driver", "macvlan"}}).ok());
  host().ClearCalls();
  const std::vector<std::string> all = {"db-1", "web-1", "web-2"};
  Scheduler scheduler({});
  std::map<std::string, ShipLive> live = GatherLiveState(world_, all, {}, scheduler);
  ConvergencePlan plan = ComputeConvergencePlan(env_, all, live, {});
  EXPECT_THAT(test::Problems(plan),
              ElementsAre(HasSubstr("network back (demo_back) on ship1 (fake://ship1) exists "
                                    "with other options than configured: driver is macvlan, "
                                    "configured bridge")));
  EXPECT_EQ(plan.ExitCode(false), 1);
  EXPECT_EQ(host().CountCalls("CreateNetwork"), 0) << "plan changes nothing";
}

TEST_F(NetworksTest, AVolumeWithOtherOptionsIsAnError) {
  ASSERT_TRUE(host().CreateVolume({{"Name", "demo_data"}, {"Driver", "nfs"}}).ok());
  PlayReport report = Start({"db-1"});
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(test::OutcomeOf(report, "db-1").error,
              HasSubstr("volume data (demo_data) on ship1 (fake://ship1) exists with other "
                        "options than configured: driver is nfs, configured local"));
}

TEST_F(NetworksTest, CleanRemovesOnlyThisEnvironmentsUnusedNetworksAndVolumes) {
  ASSERT_EQ(Start({"db-1"}).ExitCode(), 0);
  ASSERT_TRUE(
      host()
          .CreateNetwork({{"Name", "demo_front"}, {"Labels", {{spec::kEnvironmentLabel, "demo"}}}})
          .ok());
  ASSERT_TRUE(
      host()
          .CreateNetwork({{"Name", "other_net"}, {"Labels", {{spec::kEnvironmentLabel, "other"}}}})
          .ok());
  ASSERT_TRUE(host().CreateNetwork({{"Name", "unlabelled"}}).ok());
  ASSERT_TRUE(host().CreateVolume({{"Name", "foreign"}}).ok());

  // Networks only: the volume stays even without users.
  absl::StatusOr<CleanedResources> cleaned = CleanResources(env_, host(), true, false);
  ASSERT_TRUE(cleaned.ok()) << cleaned.status();
  EXPECT_THAT(cleaned->removed, ElementsAre("network demo_front"));
  EXPECT_THAT(cleaned->kept, ElementsAre(HasSubstr("network demo_back (")));
  EXPECT_TRUE(host().InspectNetwork("demo_back").ok()) << "db-1 runs on it";
  EXPECT_TRUE(host().InspectNetwork("other_net").ok());
  EXPECT_TRUE(host().InspectNetwork("unlabelled").ok());
  EXPECT_TRUE(host().InspectVolume("demo_data").ok());

  // Once the container is gone, --volumes removes the volume, never the foreign one.
  ASSERT_TRUE(host().StopContainer("db-1", 0).ok());
  cleaned = CleanResources(env_, host(), false, true);
  ASSERT_TRUE(cleaned.ok());
  EXPECT_THAT(cleaned->kept, ElementsAre(HasSubstr("volume demo_data (")))
      << "a stopped container still mounts it";
  ASSERT_TRUE(host().RemoveContainer("db-1", {}).ok());
  cleaned = CleanResources(env_, host(), true, true);
  ASSERT_TRUE(cleaned.ok());
  EXPECT_THAT(cleaned->removed, ElementsAre("network demo_back", "volume demo_data"));
  EXPECT_THAT(cleaned->kept, IsEmpty());
  EXPECT_TRUE(host().InspectVolume("foreign").ok());
  EXPECT_TRUE(host().InspectNetwork("other_net").ok());
}

TEST_F(NetworksTest, ANamedVolumeOutlivesItsContainer) {
  ASSERT_EQ(Start({"db-1"}).ExitCode(), 0);
  ASSERT_TRUE(host().StopContainer("db-1", 0).ok());
  ASSERT_TRUE(host().RemoveContainer("db-1", {}).ok());  // v=1: anonymous volumes only
  ASSERT_EQ(Start({"db-1"}).ExitCode(), 0);
  EXPECT_EQ(host().CountCalls("CreateVolume", "demo_data"), 1) << "the existing one is reused";
  EXPECT_TRUE(host().InspectVolume("demo_data").ok());
}

constexpr char kOverlayEnvironment[] = R"(
name: demo
networks:
  back: {}
  mesh: {driver: overlay, attachable: true}
ships:
  ship1: {ip: 127.0.0.1}
services:
  app:
    image: web:1
    instances:
      app-1: {ship: ship1, networks: [back, mesh]}
      app-2: {ship: ship1, networks: [back]}
)";

class OverlayNetworksTest : public NetworksTest {
 protected:
  OverlayNetworksTest() : NetworksTest(kOverlayEnvironment) {}
};

// An overlay network needs a swarm node (GET /info Swarm.LocalNodeState): otherwise start fails
// before creating anything (not even the other network), and plan reports it.
TEST_F(OverlayNetworksTest, OverlayOnAShipThatIsNotASwarmNodeFailsBeforeCreatingAnything) {
  PlayReport report = Start({"app-1"});
  EXPECT_EQ(report.ExitCode(), 1);
  EXPECT_THAT(test::OutcomeOf(report, "app-1").error,
              HasSubstr("network mesh (demo_mesh) uses the overlay driver, but ship1 "
                        "(fake://ship1) is not an active swarm node (Swarm.LocalNodeState is "
                        "'inactive'): run docker swarm init or join there, or use another "
                        "driver"));
  EXPECT_EQ(host().CountCalls("CreateNetwork"), 0);
  EXPECT_EQ(host().CountCalls("CreateContainer"), 0);

  const std::vector<std::string> all = {"app-1", "app-2"};
  Scheduler scheduler({});
  std::map<std::string, ShipLive> live = GatherLiveState(world_, all, {}, scheduler);
  ConvergencePlan plan = ComputeConvergencePlan(env_, all, live, {});
  EXPECT_THAT(test::Problems(plan),
              ElementsAre(HasSubstr("network mesh (demo_mesh) uses the overlay driver, but "
                                    "ship1 (fake://ship1) is not an active swarm node")));
  EXPECT_EQ(plan.ExitCode(false), 1);
  // An instance without the overlay network is not held back.
  EXPECT_THAT(ResourceProblems(env_, *env_.FindInstance("app-2"), host()), IsEmpty());
  EXPECT_EQ(host().CountCalls("SwarmNodeState"), 2) << "asked only for app-1";
}

TEST_F(OverlayNetworksTest, OverlayOnAnActiveSwarmNodeIsCreated) {
  host().SetSwarmNodeState("active");
  PlayReport report = Start({"app-1"});
  ASSERT_EQ(report.ExitCode(), 0) << report.FailureSummary();
  EXPECT_EQ(host().CountCalls("CreateNetwork", "demo_mesh"), 1);
  EXPECT_EQ(host().InspectNetwork("demo_mesh").value().driver, "overlay");
}

}  // namespace
}  // namespace maestro::plays
