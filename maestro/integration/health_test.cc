// End to end: `healthcheck:` reaches the real daemon as Docker's Healthcheck, the `health`
// lifecycle check waits for Docker's own `healthy` and fails on `unhealthy` with the health
// log's last line, and `status` shows the health.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kEnvironment[] = R"(
__maestro: {schema: 2}
name: health-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 10}
services:
  app:
    image: "{{IMAGE}}"
    healthcheck:
      test: "echo probe: no /tmp/ok yet; test -f /tmp/ok"
      interval: 1s
      timeout: 5s
      retries: 2
    lifecycle:
      running: [{type: health, attempts: 60}]
    instances:
      "{{P}}ready":
        ship: local
        command: "sh -c 'sleep 3; touch /tmp/ok; exec sleep 1000'"
        stop_timeout: 1
        healthcheck: {retries: 30}
      "{{P}}sick":
        ship: local
        command: sleep 1000
        stop_timeout: 1
)";

class HealthTest : public E2eTest {};

TEST_F(HealthTest, HealthCheckPassesWhenHealthyAndFailsOnUnhealthy) {
  std::string file = WriteEnvironment("health.yaml", kEnvironment);
  RunResult r = RunMaestro(file, {"start"}, absl::Seconds(90));
  ASSERT_FALSE(r.timed_out) << r.all();
  EXPECT_EQ(r.exit_code, 1) << r.all();

  // The healthcheck reached the daemon, in nanoseconds, the instance's retries over the
  // service's.
  std::optional<nlohmann::json> ready = Inspect(C("ready"));
  ASSERT_TRUE(ready.has_value());
  const nlohmann::json& hc = (*ready)["Config"]["Healthcheck"];
  EXPECT_EQ(hc["Test"],
            nlohmann::json({"CMD-SHELL", "echo probe: no /tmp/ok yet; test -f /tmp/ok"}))
      << hc.dump();
  EXPECT_EQ(hc["Interval"], 1'000'000'000) << hc.dump();
  EXPECT_EQ(hc["Retries"], 30) << hc.dump();
  EXPECT_EQ((*ready)["State"]["Health"]["Status"], "healthy") << (*ready)["State"].dump();
  EXPECT_THAT(LastLine(r.out, C("ready")), HasSubstr("started")) << r.out;

  // The sick one never creates /tmp/ok: unhealthy after 2 failures, reported with its output.
  EXPECT_THAT(r.err, AllOf(HasSubstr(C("sick")), HasSubstr("health check"),
                           HasSubstr(absl::StrCat("container ", C("sick"),
                                                  " is unhealthy: probe: no /tmp/ok yet"))))
      << r.all();

  RunResult status = RunMaestro(file, {"status", "--format", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.all();
  nlohmann::json doc = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << status.out;
  bool seen = false;
  for (const nlohmann::json& row : doc["results"]) {
    if (row["instance"] == C("ready")) {
      seen = true;
      EXPECT_EQ(row["health"], "healthy") << row.dump();
    }
  }
  EXPECT_TRUE(seen) << status.out;
  RunResult table = RunMaestro(file, {"status", C("ready")});
  EXPECT_THAT(table.out, HasSubstr("(healthy)")) << table.all();
}

}  // namespace
}  // namespace maestro::integration
