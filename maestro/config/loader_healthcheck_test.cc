// `healthcheck:` (docs/environment.md#healthcheck): the forms of `test`, durations, retries,
// disable, service-to-instance inheritance per key, and located errors for bad values.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/config_test_util.h"

namespace maestro {
namespace config {
namespace {

using test_util::LoadErrors;
using test_util::LoadText;

// Service svc (with `service` settings) and its instance c1 (with `instance` settings).
std::string Env(const std::string& service, const std::string& instance) {
  return "name: t\nships: {s1: {ip: 10.0.0.1}}\nservices:\n  svc:\n    image: busybox\n" +
         (service.empty() ? "" : "    " + service + "\n") + "    instances:\n      c1: {ship: s1" +
         (instance.empty() ? "" : ", " + instance) + "}\n";
}

model::Healthcheck Loaded(const std::string& text) {
  absl::StatusOr<LoadResult> r = LoadText(text);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok() || r->environment.instances.empty()) return {};
  const auto& hc = r->environment.instances[0].healthcheck;
  EXPECT_TRUE(hc.has_value());
  return hc.value_or(model::Healthcheck{});
}

TEST(LoaderHealthcheckTest, NoneByDefault) {
  absl::StatusOr<LoadResult> r = LoadText(Env("", ""));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->environment.instances[0].healthcheck.has_value());
}

TEST(LoaderHealthcheckTest, AllKeys) {
  model::Healthcheck h =
      Loaded(Env("healthcheck: {test: [CMD, /bin/check, --fast], interval: 1m30s, timeout: 5, "
                 "start_period: 500ms, retries: 4}",
                 ""));
  EXPECT_EQ(h.test, (std::vector<std::string>{"CMD", "/bin/check", "--fast"}));
  EXPECT_EQ(h.interval_ns, 90'000'000'000);
  EXPECT_EQ(h.timeout_ns, 5'000'000'000);
  EXPECT_EQ(h.start_period_ns, 500'000'000);
  EXPECT_EQ(h.retries, 4);
}

TEST(LoaderHealthcheckTest, StringTestIsShell) {
  model::Healthcheck h = Loaded(Env("", "healthcheck: {test: 'test -f /tmp/ok'}"));
  EXPECT_EQ(h.test, (std::vector<std::string>{"CMD-SHELL", "test -f /tmp/ok"}));
  EXPECT_FALSE(h.interval_ns.has_value());
  EXPECT_FALSE(h.retries.has_value());
}

TEST(LoaderHealthcheckTest, InstanceOverridesServicePerKey) {
  model::Healthcheck h = Loaded(
      Env("healthcheck: {test: 'true', interval: 10s, retries: 3}", "healthcheck: {interval: 2s}"));
  EXPECT_EQ(h.test, (std::vector<std::string>{"CMD-SHELL", "true"}));
  EXPECT_EQ(h.interval_ns, 2'000'000'000);
  EXPECT_EQ(h.retries, 3);
}

TEST(LoaderHealthcheckTest, DisableGivesNone) {
  model::Healthcheck h =
      Loaded(Env("healthcheck: {test: 'true', interval: 10s}", "healthcheck: {disable: true}"));
  EXPECT_EQ(h.test, (std::vector<std::string>{"NONE"}));
  EXPECT_TRUE(h.disabled());
}

TEST(LoaderHealthcheckTest, BadValuesAreLocated) {
  EXPECT_EQ(LoadErrors(Env("", "healthcheck: {test: 'true', interval: 5x}")),
            "maestro.yaml:7:60: services.svc.instances.c1.healthcheck.interval: invalid "
            "healthcheck.interval: invalid duration '5x': unknown unit 'x' (use ns, us, ms, s, m "
            "or h)");
  EXPECT_EQ(LoadErrors(Env("healthcheck: {test: 'true', retries: many}", "")),
            "maestro.yaml:6:42: services.svc.healthcheck.retries: healthcheck.retries must be an "
            "integer, got a string 'many'");
  EXPECT_EQ(LoadErrors(Env("", "healthcheck: {test: [RUN, x]}")),
            "maestro.yaml:7:42: services.svc.instances.c1.healthcheck.test: healthcheck.test must "
            "start with CMD, CMD-SHELL or NONE, as [\"CMD\", \"prog\", \"arg\"] or "
            "[\"CMD-SHELL\", \"command\"]");
  EXPECT_EQ(LoadErrors(Env("", "healthcheck: {test: 'true', disable: true}")),
            "maestro.yaml:7:42: services.svc.instances.c1.healthcheck.test: healthcheck.test "
            "cannot be combined with 'disable: true'");
  EXPECT_EQ(LoadErrors(Env("", "healthcheck: {test: 'true', intervall: 5s}")),
            "maestro.yaml:7:50: services.svc.instances.c1.healthcheck.intervall: unknown "
            "healthcheck key 'intervall' (did you mean 'interval'?); expected one of test, "
            "interval, timeout, start_period, retries, disable");
  EXPECT_EQ(LoadErrors(Env("", "healthcheck: 'true'")),
            "maestro.yaml:7:35: services.svc.instances.c1.healthcheck: healthcheck must be a "
            "mapping (test, interval, timeout, start_period, retries, disable), got a string");
}

TEST(LoaderHealthcheckTest, HealthCheckType) {
  absl::StatusOr<LoadResult> r = LoadText(
      Env("healthcheck: {test: 'true'}", "lifecycle: {running: [{type: health, attempts: 5}]}"));
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Check& check = r->environment.instances[0].lifecycle.at("running").at(0);
  EXPECT_EQ(check.type, model::CheckType::kHealth);
  EXPECT_EQ(check.attempts, 5);
  EXPECT_THAT(
      LoadErrors(Env("", "healthcheck: {disable: true}, lifecycle: {running: [{type: health}]}")),
      ::testing::HasSubstr("health check on c1 needs a Docker healthcheck, but it is disabled"));
  EXPECT_THAT(LoadErrors(Env("", "lifecycle: {running: [{type: health, port: 80}]}")),
              ::testing::HasSubstr("unknown option 'port' for lifecycle check type health"));
}

}  // namespace
}  // namespace config
}  // namespace maestro
