// The `health` lifecycle check against FakeDockerHost: Docker's own State.Health decides.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "maestro/lifecycle/checks.h"
#include "maestro/model/environment.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_host.h"
#include "nlohmann/json.hpp"

namespace maestro::lifecycle {
namespace {

model::Check Health(int attempts) {
  model::Check c;
  c.type = model::CheckType::kHealth;
  c.attempts = attempts;
  return c;
}

class HealthCheckTest : public ::testing::Test {
 protected:
  HealthCheckTest() : host_("ship1", &clock_) {
    instance_.name = "zk-1";
    ctx_.instance = &instance_;
    ctx_.clock = &clock_;
    ctx_.docker = &host_;
    host_.AddImage("busybox");
  }

  // A running container zk-1, created with `healthcheck` in its body (none when null).
  void Run(const nlohmann::json& healthcheck) {
    nlohmann::json body = {{"Image", "busybox"}};
    if (!healthcheck.is_null()) body["Healthcheck"] = healthcheck;
    auto created = host_.CreateContainer("zk-1", body);
    ASSERT_TRUE(created.ok()) << created.status();
    ASSERT_TRUE(host_.StartContainer(created->id).ok());
  }

  maestro::testing::FakeClock clock_;
  maestro::testing::FakeDockerHost host_;
  model::Instance instance_;
  CheckContext ctx_;
};

TEST_F(HealthCheckTest, WaitsUntilHealthy) {
  Run({{"Test", {"CMD-SHELL", "test -f /tmp/ok"}}});
  host_.SetHealth("zk-1", {"starting", "starting", "healthy"});
  CheckOutcome o = RunCheck(Health(10), ctx_);
  EXPECT_TRUE(o.ok) << o.last_error;
  EXPECT_EQ(o.attempts, 3);
  EXPECT_EQ(host_.CountCalls("InspectContainer", "zk-1"), 3);
  EXPECT_EQ(clock_.total_slept(), absl::Seconds(2));  // 1 s between inspects
  EXPECT_EQ(DescribeCheck(Health(1)), "health check (Docker healthcheck)");
}

TEST_F(HealthCheckTest, UnhealthyFailsAtOnceWithTheLastOutputLine) {
  Run({{"Test", {"CMD-SHELL", "test -f /tmp/ok"}}});
  host_.SetHealth("zk-1", {"starting", "unhealthy", "healthy"},
                  "checking\nimok missing: no such file\n");
  CheckOutcome o = RunCheck(Health(10), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 2);
  EXPECT_EQ(o.last_error, "container zk-1 is unhealthy: imok missing: no such file");
}

TEST_F(HealthCheckTest, StillStartingAfterTheAttempts) {
  Run({{"Test", {"CMD-SHELL", "sleep 100"}}});  // the fake reports "starting" by itself
  CheckOutcome o = RunCheck(Health(3), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 3);
  EXPECT_EQ(o.last_error, "not healthy after 3 attempts: container zk-1 is starting");
}

TEST_F(HealthCheckTest, ContainerWithoutHealthcheckIsAClearError) {
  Run(nullptr);
  CheckOutcome o = RunCheck(Health(180), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 1);
  EXPECT_EQ(o.last_error,
            "container zk-1 has no Docker healthcheck (configure `healthcheck:` or use an image "
            "with a HEALTHCHECK)");
}

TEST_F(HealthCheckTest, DisabledHealthcheckHasNoHealth) {
  Run({{"Test", {"NONE"}}});
  CheckOutcome o = RunCheck(Health(5), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 1);
  EXPECT_NE(o.last_error.find("has no Docker healthcheck"), std::string::npos) << o.last_error;
}

TEST_F(HealthCheckTest, MissingContainerIsRetriedThenReported) {
  CheckOutcome o = RunCheck(Health(2), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 2);
  EXPECT_NE(o.last_error.find("No such container: zk-1"), std::string::npos) << o.last_error;
}

TEST_F(HealthCheckTest, RulesRejectAHealthCheckOfADisabledHealthcheck) {
  instance_.healthcheck = model::Healthcheck{{"NONE"}, {}, {}, {}, {}};
  absl::Status s = ValidateCheck(Health(3), &instance_);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("needs a Docker healthcheck, but it is disabled"), std::string::npos)
      << s;
}

}  // namespace
}  // namespace maestro::lifecycle
