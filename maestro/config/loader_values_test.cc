// Values the loader rejects with a position because Docker or maestro could not use them:
// env names and NUL bytes, empty images, negative CPU shares, port ranges of different
// lengths, non-finite auditor timeouts.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/config_test_util.h"
#include "maestro/config/loader.h"

namespace maestro {
namespace config {
namespace {

std::string Errors(const std::string& text) {
  FakeFileReader files({{"/cfg/bad.env", std::string("A=1\nB=x\0y\n", 10)}});
  return test_util::LoadErrors(text, &files);
}

// An instance c1 of service svc whose instance mapping body is `settings`.
std::string Instance(const std::string& settings, const std::string& service_image = "busybox") {
  return "name: t\nships: {s1: {ip: 10.0.0.1}}\nservices:\n  svc:\n    image: " + service_image +
         "\n    instances:\n      c1: {ship: s1" + (settings.empty() ? "" : ", " + settings) +
         "}\n";
}

TEST(LoaderValuesTest, Baseline) { EXPECT_EQ(Errors(Instance("")), "<ok>"); }

TEST(LoaderValuesTest, EnvNamesAndNulBytes) {
  EXPECT_EQ(Errors(Instance("env: {'': x}")),
            "maestro.yaml:7:28: services.svc.instances.c1.env.: empty environment variable name");
  EXPECT_EQ(Errors(Instance("env: {'A=B': x}")),
            "maestro.yaml:7:28: services.svc.instances.c1.env.A=B: environment variable name 'A=B' "
            "contains '='");
  EXPECT_EQ(Errors(Instance("env: {TOKEN: \"a\\0b\"}")),
            "maestro.yaml:7:35: services.svc.instances.c1.env.TOKEN: the value of environment "
            "variable TOKEN contains a NUL byte (a container environment cannot hold it)");
  EXPECT_EQ(Errors(Instance("envfile: bad.env")),
            "maestro.yaml:7:31: services.svc.instances.c1.envfile: environment file "
            "/cfg/bad.env, line 2: the value of environment variable B contains a NUL byte (a "
            "container environment cannot hold it)");
}

TEST(LoaderValuesTest, EmptyImage) {
  EXPECT_EQ(Errors(Instance("", "''")),
            "maestro.yaml:5:12: services.svc.image: service 'svc' has an empty 'image'");
  EXPECT_EQ(Errors(Instance("image: ' '")),
            "maestro.yaml:7:29: services.svc.instances.c1.image: instance 'c1' has an empty "
            "'image'");
}

TEST(LoaderValuesTest, NegativeCpu) {
  EXPECT_EQ(Errors(Instance("limits: {cpu: -2}")),
            "maestro.yaml:7:36: services.svc.instances.c1.limits.cpu: limits.cpu (CPU shares) "
            "must not be negative, got -2");
}

TEST(LoaderValuesTest, PortRangesOfDifferentLengths) {
  EXPECT_EQ(Errors(Instance("ports: {rtp: '10000-10010:20000-20005'}")),
            "maestro.yaml:7:35: services.svc.instances.c1.ports.rtp: port 'rtp' maps 11 exposed "
            "ports (10000-10010) to 6 external ports (20000-20005); both sides of a range need "
            "the same length");
}

TEST(LoaderValuesTest, AuditorTimeoutMustBeFinite) {
  for (const char* bad : {".inf", ".nan", "0", "-3", "fast"}) {
    std::string text = Instance("") +
                       "audit:\n  - {type: http, endpoint: 'http://127.0.0.1:9', "
                       "timeout: " +
                       bad + "}\n";
    EXPECT_THAT(Errors(text),
                ::testing::StartsWith("maestro.yaml:9:59: audit[0].timeout: the timeout of an "
                                      "auditor must be a positive, finite number of seconds"))
        << bad;
  }
  EXPECT_EQ(Errors(Instance("") + "audit:\n  - {type: http, endpoint: 'http://127.0.0.1:9', "
                                  "timeout: 2.5}\n"),
            "<ok>");
}

// Regression: an integer beyond int64 was saturated to 9223372036854775807 and loaded (dump
// printed it) instead of being refused where it is written.
TEST(LoaderValuesTest, HugeIntegersAreOutOfRange) {
  EXPECT_EQ(Errors(Instance("limits: {cpu: 99999999999999999999999}")),
            "maestro.yaml:7:36: services.svc.instances.c1.limits.cpu: limits.cpu is out of range: "
            "99999999999999999999999 (an integer from -9223372036854775808 to "
            "9223372036854775807)");
  EXPECT_EQ(Errors(Instance("stop_timeout: '-99999999999999999999999'")),
            "maestro.yaml:7:36: services.svc.instances.c1.stop_timeout: stop_timeout is out of "
            "range: -99999999999999999999999 (an integer from -9223372036854775808 to "
            "9223372036854775807)");
  EXPECT_EQ(Errors(Instance("ulimits: {nofile: 99999999999999999999999}")),
            "maestro.yaml:7:40: services.svc.instances.c1.ulimits.nofile: ulimit 'nofile' is out "
            "of range: 99999999999999999999999 (an integer from -9223372036854775808 to "
            "9223372036854775807)");
  EXPECT_EQ(Errors(Instance("limits: {memory: 99999999999999999999999}")),
            "maestro.yaml:7:39: services.svc.instances.c1.limits.memory: invalid memory limit: "
            "size 99999999999999999999999 is out of range");
  EXPECT_THAT(Errors(Instance("ports: {p: 99999999999999999999999}")),
              ::testing::HasSubstr("is out of range (1-65535)"));
  EXPECT_EQ(Errors(Instance("limits: {cpu: 9223372036854775807}")), "<ok>");
}

}  // namespace
}  // namespace config
}  // namespace maestro
