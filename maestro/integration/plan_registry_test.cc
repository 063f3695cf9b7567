// End to end: `maestro plan`'s registry preflight against the real daemon and the test
// environment's authenticated registry, asked through the ship (GET /distribution). A tag the
// registry does not have is a problem naming image, ship and registry, and `up` then touches
// nothing; refused credentials are a problem that never shows the password; `--refresh` on an
// image pulled from the registry compares the real RepoDigests with the registry's digest, and
// a tag pushed again after `plan -o` makes the saved plan stale, then is recreated by `up`.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"

namespace maestro::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kMissingTag[] = "maestro-no-such-tag";

constexpr char kEnvironment[] = R"(
__maestro: {schema: 2}
name: "{{P}}planreg"
registries:
  testreg:
    registry: "http://{{REGISTRY}}/v2/"
    username: "{{REGISTRY_USER}}"
    password: "{{PASSWORD}}"
ships:
  ship1: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 20}
services:
  app:
    image: "{{APP_IMAGE}}"
    instances:
      "{{P}}app-1": {ship: ship1, command: sleep 1000, stop_timeout: 1}
)";

class PlanRegistryTest : public E2eTest {
 protected:
  std::string Write(const std::string& image, const std::string& password) {
    return WriteEnvironment("planreg.yaml", kEnvironment,
                            {{"APP_IMAGE", image}, {"PASSWORD", password}});
  }
  // The docker CLI with its own configuration (a login to the test registry) in dir_.
  RunResult DockerCli(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/docker"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv,
                      {{"DOCKER_CONFIG", absl::StrCat(dir_, "/docker-config")},
                       {"DOCKER_HOST", absl::StrCat("unix://", Env()->docker_socket)}},
                      absl::Seconds(60));
  }
  // Tags `local_image` as `remote` and pushes it to the test registry.
  void Push(const std::string& local_image, const std::string& remote) {
    RunResult login = DockerCli(
        {"login", "-u", Env()->registry_user, "-p", Env()->registry_password, Env()->registry});
    ASSERT_EQ(login.exit_code, 0) << login.all();
    RunResult tag = DockerCli({"tag", local_image, remote});
    ASSERT_EQ(tag.exit_code, 0) << tag.all();
    RunResult push = DockerCli({"push", remote});
    ASSERT_EQ(push.exit_code, 0) << push.all();
    // Untagged again, so that maestro has to pull what the registry has.
    RunResult rmi = DockerCli({"rmi", remote});
    ASSERT_EQ(rmi.exit_code, 0) << rmi.all();
  }
  std::string MissingImage() const {
    return absl::StrCat(Env()->registry, "/maestro/busybox:", kMissingTag);
  }
};

TEST_F(PlanRegistryTest, TagMissingFromTheRegistryIsAProblemAndUpTouchesNothing) {
  std::string file = Write(MissingImage(), Env()->registry_password);
  RunResult plan = RunMaestro(file, {"plan", "--detailed-exitcode"});
  EXPECT_EQ(plan.exit_code, 1) << plan.all();
  EXPECT_THAT(plan.out,
              HasSubstr(absl::StrCat("problem: image ", MissingImage(),
                                     " is neither on ship1 nor in registry ", Env()->registry,
                                     " (404 Not Found: manifest "
                                     "unknown")))
      << plan.all();

  RunResult up = RunMaestro(file, {"up"});
  EXPECT_EQ(up.exit_code, 1) << up.all();
  EXPECT_THAT(up.err, HasSubstr("the plan has problems; nothing was changed"));
  EXPECT_THAT(up.err, HasSubstr(MissingImage()));
  EXPECT_THAT(ContainersWithPrefix(C("")), IsEmpty());
  EXPECT_THAT(up.all(), Not(HasSubstr(Env()->registry_password)));
}

TEST_F(PlanRegistryTest, RefusedCredentialsAreAProblemWithoutThePassword) {
  const std::string wrong = "wrong-Pa55word-0815";
  std::string file = Write(MissingImage(), wrong);
  RunResult plan = RunMaestro(file, {"plan"});
  EXPECT_EQ(plan.exit_code, 1) << plan.all();
  EXPECT_THAT(plan.out, HasSubstr(absl::StrCat("problem: cannot check image ", MissingImage(),
                                               " in registry ", Env()->registry,
                                               " for ship1: 401 Unauthorized")))
      << plan.all();
  EXPECT_THAT(plan.all(), Not(HasSubstr(wrong)));
  EXPECT_THAT(plan.all(), Not(HasSubstr(Env()->registry_password)));
}

TEST_F(PlanRegistryTest, RefreshComparesThePulledDigestWithTheRegistry) {
  std::string file = Write(Env()->registry_image, Env()->registry_password);
  RunResult up = RunMaestro(file, {"up"});
  ASSERT_EQ(up.exit_code, 0) << up.all();
  // The image was pulled from the registry (now, or by an earlier test): its RepoDigests
  // carry the digest the registry still has, so nothing moved.
  RunResult plan = RunMaestro(file, {"plan", "--refresh", "--detailed-exitcode"});
  EXPECT_EQ(plan.exit_code, 0) << plan.all();
  EXPECT_EQ(plan.out, absl::StrCat("ship1 ", C("app-1"), " no change\nPlan: 1 unchanged.\n"));
}

TEST_F(PlanRegistryTest, TagPushedAgainMakesTheSavedPlanStaleAndUpRefreshRecreates) {
  // A repository of this test alone: the tag is moved from the v1 image to the v2 image.
  const std::string image = absl::StrCat(Env()->registry, "/maestro/", C("moved"), ":1");
  ASSERT_NO_FATAL_FAILURE(Push(Env()->image, image));
  std::string file = Write(image, Env()->registry_password);
  RunResult up = RunMaestro(file, {"up"});
  ASSERT_EQ(up.exit_code, 0) << up.all();
  const std::string saved = absl::StrCat(dir_, "/saved.json");
  RunResult plan = RunMaestro(file, {"plan", "--refresh", "-o", saved, "--detailed-exitcode"});
  ASSERT_EQ(plan.exit_code, 0) << plan.all();

  // Pushed from "elsewhere": the ship (the same daemon) keeps its tag on the v1 image.
  ASSERT_NO_FATAL_FAILURE(Push(Env()->image_v2, image));
  RunResult retag = DockerCli({"tag", Env()->image, image});
  ASSERT_EQ(retag.exit_code, 0) << retag.all();
  RunResult stale = RunMaestro(file, {"up", "--plan", saved});
  EXPECT_EQ(stale.exit_code, 1) << stale.all();
  EXPECT_THAT(stale.err, HasSubstr(absl::StrCat("ship1: image ", image, " in the registry was ")))
      << stale.all();
  std::optional<nlohmann::json> before = Inspect(C("app-1"));
  ASSERT_TRUE(before.has_value());

  RunResult moved = RunMaestro(file, {"plan", "--refresh", "--detailed-exitcode"});
  EXPECT_EQ(moved.exit_code, 2) << moved.all();
  EXPECT_THAT(moved.out, HasSubstr(absl::StrCat(C("app-1"), " recreate: image digest sha256:")))
      << moved.all();
  RunResult refreshed = RunMaestro(file, {"up", "--refresh"});
  ASSERT_EQ(refreshed.exit_code, 0) << refreshed.all();
  std::optional<nlohmann::json> after = Inspect(C("app-1"));
  ASSERT_TRUE(after.has_value());
  absl::StatusOr<docker::ImageInspect> v2 = Docker().InspectImage(Env()->image_v2);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ((*after)["Image"].get<std::string>(), v2->id);
  EXPECT_NE((*after)["Id"], (*before)["Id"]);
  EXPECT_THAT(refreshed.all(), Not(HasSubstr(Env()->registry_password)));
}

}  // namespace
}  // namespace maestro::integration
