// End to end: `maestro plan`'s registry preflight against the real daemon and the test
// environment's authenticated registry, asked through the ship (GET /distribution). A tag the
// registry does not have is a problem naming image, ship and registry, and `up` then touches
// nothing; refused credentials are a problem that never shows the password; `--refresh` on an
// image pulled from the registry compares the real RepoDigests with the registry's digest.
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

}  // namespace
}  // namespace maestro::integration
