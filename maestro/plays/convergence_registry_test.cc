// `maestro plan`'s registry preflight against stateful fake daemons (the registry behind each
// FakeDockerHost): an image missing from the registry, a manifest without the ship's platform,
// refused credentials, an unreachable registry, an API too old to ask, and --refresh's digest
// comparison (moved, unchanged, and the pull `up` then does).
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/docker/registry_auth.h"
#include "maestro/plays/convergence.h"
#include "maestro/plays/convergence_gather.h"
#include "maestro/plays/convergence_output.h"
#include "maestro/plays/test_world.h"
#include "maestro/plays/up.h"
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
using ::testing::Not;

constexpr char kRegistry[] = "127.0.0.1:5000";
constexpr char kImage[] = "127.0.0.1:5000/shop/api:1.2";
constexpr char kPassword[] = "s3cr3t-pw";

constexpr char kEnvironment[] = R"(
name: shop
__maestro: {schema: 2}
registries:
  local:
    registry: http://127.0.0.1:5000/v2/
    username: maestro
    password: s3cr3t-pw
ships:
  ship1: {ip: 127.0.0.1}
  ship2: {ip: 127.0.0.2}
services:
  api:
    image: 127.0.0.1:5000/shop/api:1.2
    instances:
      api-1: {ship: ship1}
      api-2: {ship: ship2}
)";

class ConvergenceRegistryTest : public ::testing::Test {
 protected:
  ConvergenceRegistryTest()
      : env_(test::LoadTestEnvironment(kEnvironment)), ships_(&clock_, {"ship1", "ship2"}, {}) {
    world_.env = &env_;
    world_.ships = &ships_;
    world_.clock = &clock_;
    for (const char* ship : {"ship1", "ship2"}) {
      host(ship).RequireRegistryAuth(kRegistry, "maestro", kPassword);
    }
  }

  FakeDockerHost& host(const std::string& ship) { return ships_.host(ship); }

  ConvergencePlan MakePlan(bool refresh = false) {
    std::vector<std::string> containers = {"api-1", "api-2"};
    Scheduler scheduler({});
    std::map<std::string, ShipLive> live =
        GatherLiveState(world_, containers, {}, scheduler, {.refresh = refresh});
    return ComputeConvergencePlan(env_, containers, live, {});
  }

  // Pulls the image onto `ship` (with the credentials) and runs api-N there from it.
  void PullAndRun(const std::string& ship, const std::string& name) {
    FakeDockerHost& h = host(ship);
    std::string auth = docker::EncodeRegistryAuth({"maestro", kPassword, "", kRegistry});
    ASSERT_TRUE(h.PullImage("127.0.0.1:5000/shop/api", "1.2", auth, nullptr).ok());
    const model::Instance& inst = *env_.FindInstance(name);
    absl::StatusOr<docker::CreateContainerResult> created =
        h.CreateContainer(name, spec::BuildCreateBody(inst, *env_.FindShip(ship), "1.41"));
    ASSERT_TRUE(created.ok()) << created.status();
    ASSERT_TRUE(h.StartContainer(created->id).ok());
  }

  FakeClock clock_;
  model::Environment env_;
  test::FakeShips ships_;
  PlayWorld world_;
};

TEST_F(ConvergenceRegistryTest, ImageInTheRegistryIsANoteWithItsDigest) {
  host("ship1").SetRegistryImage(kImage, "sha256:ab12ab12ab12ab12ab12");
  host("ship2").SetRegistryImage(kImage, "sha256:ab12ab12ab12ab12ab12");
  ConvergencePlan plan = MakePlan();
  EXPECT_THAT(Problems(plan), IsEmpty());
  EXPECT_THAT(Find(plan, "api-1").notes,
              ElementsAre("image 127.0.0.1:5000/shop/api:1.2 is not on ship1: it will be pulled "
                          "from 127.0.0.1:5000 (sha256:ab12ab12ab12)"));
  // Asked with the configured credentials, through each ship.
  EXPECT_EQ(host("ship1").CountCalls("InspectDistribution", kImage), 1);
  EXPECT_EQ(host("ship2").CountCalls("InspectDistribution", kImage), 1);
}

TEST_F(ConvergenceRegistryTest, ImageMissingFromTheRegistryIsAProblemNamingImageShipRegistry) {
  host("ship1").SetRegistryImage(kImage);
  ConvergencePlan plan = MakePlan();  // ship2's registry view lacks the tag
  EXPECT_THAT(Problems(plan),
              ElementsAre("image 127.0.0.1:5000/shop/api:1.2 is neither on ship2 nor in registry "
                          "127.0.0.1:5000 (404 Not Found: manifest unknown: manifest unknown)"));
  EXPECT_EQ(plan.problems[0].ship, "ship2");
  EXPECT_EQ(plan.problems[0].container, "api-2");
  EXPECT_EQ(plan.ExitCode(false), 1);
}

TEST_F(ConvergenceRegistryTest, ShipPlatformMissingFromTheManifestIsAProblemNamingBoth) {
  host("ship1").SetRegistryImage(kImage, "", {{"linux", "amd64", ""}, {"linux", "arm", "v7"}});
  host("ship2").SetRegistryImage(kImage, "", {{"linux", "amd64", ""}, {"linux", "arm", "v7"}});
  host("ship2").SetPlatform("linux", "aarch64");
  ConvergencePlan plan = MakePlan();
  EXPECT_THAT(Problems(plan),
              ElementsAre("image 127.0.0.1:5000/shop/api:1.2 in registry 127.0.0.1:5000 has no "
                          "manifest for linux/arm64 (the platform of ship2; it has linux/amd64, "
                          "linux/arm/v7)"));
  // The platform is asked once per ship.
  EXPECT_EQ(host("ship2").CountCalls("Version"), 1);
}

TEST_F(ConvergenceRegistryTest, RefusedCredentialsAreAProblemWithoutTheSecret) {
  for (const char* ship : {"ship1", "ship2"}) {
    host(ship).SetRegistryImage(kImage);
    host(ship).RequireRegistryAuth(kRegistry, "maestro", "another-password");
  }
  ConvergencePlan plan = MakePlan();
  ASSERT_EQ(plan.problems.size(), 2u);
  EXPECT_EQ(plan.problems[0].message,
            "cannot check image 127.0.0.1:5000/shop/api:1.2 in registry 127.0.0.1:5000 for "
            "ship1: 401 Unauthorized: unauthorized: authentication required");
  for (const PlanProblem& p : plan.problems) {
    EXPECT_THAT(p.message, Not(HasSubstr(kPassword)));
    EXPECT_THAT(p.message, Not(HasSubstr("another-password")));
  }
}

TEST_F(ConvergenceRegistryTest, UnreachableRegistryIsAProblemWithTheReasonAndNeverTheSecret) {
  host("ship1").SetRegistryImage(kImage);
  host("ship2").SetRegistryImage(kImage);
  // The daemon's words, as if the registry echoed what it was sent.
  host("ship1").FailNext("InspectDistribution",
                         FakeDockerHost::ApiError(500, absl::StrCat("Get \"http://127.0.0.1:5000/"
                                                                    "v2/\": dial tcp: connection "
                                                                    "refused (",
                                                                    kPassword, ")")));
  ConvergencePlan plan = MakePlan();
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_THAT(plan.problems[0].message,
              HasSubstr("cannot check image 127.0.0.1:5000/shop/api:1.2 in registry "
                        "127.0.0.1:5000 for ship1: 500 Internal Server Error: Get "));
  EXPECT_THAT(plan.problems[0].message, HasSubstr("connection refused (***)"));
}

TEST_F(ConvergenceRegistryTest, OldApiSkipsTheRegistryCheckWithANote) {
  host("ship1").SetApiVersion("1.29");
  host("ship2").SetRegistryImage(kImage);
  ConvergencePlan plan = MakePlan();
  EXPECT_THAT(Problems(plan), IsEmpty());
  EXPECT_THAT(Find(plan, "api-1").notes,
              ElementsAre("image 127.0.0.1:5000/shop/api:1.2 is not on ship1: it will be pulled "
                          "(registry 127.0.0.1:5000 not checked: Docker API 1.29 is older than "
                          "1.30)"));
  EXPECT_EQ(host("ship1").CountCalls("InspectDistribution"), 0);
}

TEST_F(ConvergenceRegistryTest, PresentImagesAreNotAskedWithoutRefresh) {
  for (const char* ship : {"ship1", "ship2"}) host(ship).SetRegistryImage(kImage, "sha256:aa");
  PullAndRun("ship1", "api-1");
  PullAndRun("ship2", "api-2");
  for (const char* ship : {"ship1", "ship2"}) host(ship).ClearCalls();
  ConvergencePlan plan = MakePlan();
  EXPECT_FALSE(plan.HasChanges());
  EXPECT_EQ(host("ship1").CountCalls("InspectDistribution"), 0);
  EXPECT_EQ(host("ship2").CountCalls("InspectDistribution"), 0);
}

TEST_F(ConvergenceRegistryTest, RefreshWithAnUnchangedDigestChangesNothing) {
  for (const char* ship : {"ship1", "ship2"}) host(ship).SetRegistryImage(kImage, "sha256:aa");
  PullAndRun("ship1", "api-1");
  PullAndRun("ship2", "api-2");
  ConvergencePlan plan = MakePlan(/*refresh=*/true);
  EXPECT_THAT(Problems(plan), IsEmpty());
  EXPECT_FALSE(plan.HasChanges());
  EXPECT_FALSE(Find(plan, "api-1").pull);
  EXPECT_EQ(host("ship1").CountCalls("InspectDistribution", kImage), 1);
}

TEST_F(ConvergenceRegistryTest, RefreshRecreatesWhatTheRegistryMovedOnAndPullsFirst) {
  for (const char* ship : {"ship1", "ship2"}) {
    host(ship).SetRegistryImage(kImage, "sha256:ab12ab12ab12ab12ab12ab12");
  }
  PullAndRun("ship1", "api-1");
  PullAndRun("ship2", "api-2");
  // The tag now points elsewhere in ship1's registry view.
  host("ship1").SetRegistryImage(kImage, "sha256:cd34cd34cd34cd34cd34cd34");
  ConvergencePlan plan = MakePlan(/*refresh=*/true);
  EXPECT_THAT(Problems(plan), IsEmpty());
  const PlannedContainer& api1 = Find(plan, "api-1");
  EXPECT_EQ(api1.action, ConvergeAction::kRecreate);
  EXPECT_THAT(api1.reasons, ElementsAre("image digest sha256:ab12ab12ab12 -> sha256:cd34cd34cd34"));
  EXPECT_TRUE(api1.pull);
  EXPECT_EQ(Find(plan, "api-2").action, ConvergeAction::kNone);
  // Without --refresh the same ships show nothing to do.
  EXPECT_FALSE(MakePlan().HasChanges());
  // The saved plan keeps the pull.
  absl::StatusOr<ConvergencePlan> loaded = LoadPlanFile(SavePlanFile(plan));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(Find(*loaded, "api-1").pull);
  EXPECT_FALSE(Find(*loaded, "api-2").pull);
}

TEST_F(ConvergenceRegistryTest, SavedPlanIsStaleWhenTheRegistryMovedTheTagSince) {
  for (const char* ship : {"ship1", "ship2"}) {
    host(ship).SetRegistryImage(kImage, "sha256:ab12ab12ab12ab12ab12ab12");
  }
  PullAndRun("ship1", "api-1");
  PullAndRun("ship2", "api-2");
  ConvergencePlan plan = MakePlan(/*refresh=*/true);
  plan.scope.refresh = true;  // as `maestro plan --refresh` records it
  ASSERT_FALSE(plan.HasChanges());
  absl::StatusOr<ConvergencePlan> saved = LoadPlanFile(SavePlanFile(plan));
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_TRUE(saved->scope.refresh);
  EXPECT_EQ(saved->fingerprint.at("ship1").registry.at(kImage), "sha256:ab12ab12ab12ab12ab12ab12");
  Scheduler scheduler({});
  // Nothing moved: the saved plan still holds.
  EXPECT_TRUE(RecheckSavedPlan(world_, *saved, scheduler).ok());
  // The tag moved in the registry after the plan (ship2's view): `up --plan` refuses.
  host("ship2").SetRegistryImage(kImage, "sha256:cd34cd34cd34cd34cd34cd34");
  absl::StatusOr<ConvergencePlan> again = RecheckSavedPlan(world_, *saved, scheduler);
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.status().message(),
              HasSubstr("ship2: image 127.0.0.1:5000/shop/api:1.2 in the registry was "
                        "sha256:ab12ab12ab12, now sha256:cd34cd34cd34"));
  EXPECT_THAT(again.status().message(), Not(HasSubstr("ship1:")));
}

TEST_F(ConvergenceRegistryTest, SavedPlanOfAnAbsentImageIsStaleWhenItsTagMoved) {
  for (const char* ship : {"ship1", "ship2"}) host(ship).SetRegistryImage(kImage, "sha256:aa11");
  ConvergencePlan plan = MakePlan();  // no --refresh: absent images are asked anyway
  absl::StatusOr<ConvergencePlan> saved = LoadPlanFile(SavePlanFile(plan));
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_FALSE(saved->scope.refresh);
  host("ship1").SetRegistryImage(kImage, "sha256:bb22");
  Scheduler scheduler({});
  absl::StatusOr<ConvergencePlan> again = RecheckSavedPlan(world_, *saved, scheduler);
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.status().message(),
              HasSubstr("ship1: image 127.0.0.1:5000/shop/api:1.2 in the registry was "
                        "sha256:aa11, now sha256:bb22"));
}

TEST_F(ConvergenceRegistryTest, RefreshNotesAnImageThatWasNeverPulled) {
  for (const char* ship : {"ship1", "ship2"}) {
    host(ship).SetRegistryImage(kImage);
    host(ship).AddImage(kImage);  // built or loaded on the ship: no registry digest
  }
  ConvergencePlan plan = MakePlan(/*refresh=*/true);
  EXPECT_THAT(Problems(plan), IsEmpty());
  EXPECT_THAT(Find(plan, "api-1").notes,
              ElementsAre("image 127.0.0.1:5000/shop/api:1.2 on ship1 was not pulled from "
                          "127.0.0.1:5000 (no digest): not compared with the registry's"));
}

}  // namespace
}  // namespace maestro::plays
