// `update:` (docs/environment.md#update): every field, service_defaults, the role probe resolved
// per instance, and located errors for bad values.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/config_test_util.h"

namespace maestro {
namespace config {
namespace {

using test_util::LoadErrors;
using test_util::LoadText;
using ::testing::HasSubstr;

// Service zk (with `service` settings under it) and instances zk1 (s1), zk2 (s2).
std::string Env(const std::string& service, const std::string& top = "") {
  return "name: t\nships: {s1: {ip: 10.0.0.1}, s2: {ip: 10.0.0.2}}\n" + top +
         "services:\n  zk:\n    image: busybox\n    ports: {client: 2181}\n" +
         (service.empty() ? "" : "    " + service + "\n") +
         "    instances:\n      zk1: {ship: s1}\n      zk2: {ship: s2}\n";
}

model::UpdatePolicy Loaded(const std::string& text) {
  absl::StatusOr<LoadResult> r = LoadText(text);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  const model::Service* s = r->environment.FindService("zk");
  EXPECT_TRUE(s != nullptr && s->update.has_value());
  return s && s->update ? *s->update : model::UpdatePolicy{};
}

TEST(LoaderUpdateTest, NoneByDefault) {
  absl::StatusOr<LoadResult> r = LoadText(Env(""));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->environment.FindService("zk")->update.has_value());
  EXPECT_FALSE(r->environment.FindInstance("zk1")->role_probe.has_value());
}

TEST(LoaderUpdateTest, AllKeys) {
  model::UpdatePolicy p =
      Loaded(Env("update: {parallelism: 2, per_ship: 1, quorum: majority, quorum_timeout: 1m, "
                 "pull: never, failure: rollback, delay: 5s, monitor: 1.5}"));
  EXPECT_EQ(p.parallelism, 2);
  EXPECT_EQ(p.per_ship, 1);
  EXPECT_TRUE(p.quorum_majority);
  EXPECT_EQ(p.quorum_timeout, 60);
  EXPECT_FALSE(p.pull_before);
  EXPECT_EQ(p.failure, model::UpdatePolicy::Failure::kRollback);
  EXPECT_EQ(p.delay, 5);
  EXPECT_EQ(p.monitor, 1.5);
  EXPECT_EQ(p.BatchSize(5), 2);
  EXPECT_EQ(p.RequiredQuorum(5), 3);
}

TEST(LoaderUpdateTest, DefaultsAndPercentage) {
  model::UpdatePolicy p = Loaded(Env("update: {max_unavailable: \"25%\", quorum: 2}"));
  EXPECT_EQ(p.parallelism_percent, 25);
  EXPECT_EQ(p.BatchSize(8), 2);
  EXPECT_EQ(p.BatchSize(3), 1);  // at least one
  EXPECT_EQ(p.quorum, 2);
  EXPECT_TRUE(p.pull_before);
  EXPECT_EQ(p.failure, model::UpdatePolicy::Failure::kPause);
  EXPECT_EQ(p.quorum_timeout, 300);
}

TEST(LoaderUpdateTest, ServiceDefaultsApplyWhenTheServiceHasNone) {
  model::UpdatePolicy p = Loaded(Env("", "service_defaults: {update: {parallelism: 3}}\n"));
  EXPECT_EQ(p.parallelism, 3);
  // The service's own update: wins as a whole.
  p = Loaded(Env("update: {per_ship: 1}", "service_defaults: {update: {parallelism: 3}}\n"));
  EXPECT_EQ(p.parallelism, 0);
  EXPECT_EQ(p.per_ship, 1);
}

TEST(LoaderUpdateTest, RoleProbeIsResolvedPerInstance) {
  absl::StatusOr<LoadResult> r =
      LoadText(Env("update: {role: {type: http, port: client, path: /role, "
                   "match_regex: leader}}"));
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& zk1 = r->environment.FindInstance("zk1")->role_probe;
  const auto& zk2 = r->environment.FindInstance("zk2")->role_probe;
  ASSERT_TRUE(zk1.has_value());
  ASSERT_TRUE(zk2.has_value());
  EXPECT_EQ(zk1->type, model::CheckType::kHttp);
  EXPECT_EQ(zk1->host, "10.0.0.1");
  EXPECT_EQ(zk2->host, "10.0.0.2");
  EXPECT_EQ(zk1->port, 2181);
  EXPECT_EQ(zk1->match_regex, "leader");
  EXPECT_EQ(zk1->max_wait, 5);  // a probe answers once, not for 300 s
}

TEST(LoaderUpdateTest, ExecProbeAttemptsDefaultToOne) {
  absl::StatusOr<LoadResult> r =
      LoadText(Env("update: {role: {type: rexec, command: 'test -f /leader'}}"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->environment.FindInstance("zk1")->role_probe->attempts, 1);
}

TEST(LoaderUpdateTest, LocatedErrors) {
  EXPECT_THAT(LoadErrors(Env("update: 3")),
              HasSubstr("maestro.yaml:7:13: services.zk.update: update must be a mapping"));
  EXPECT_THAT(LoadErrors(Env("update: {parallel: 2}")),
              HasSubstr("maestro.yaml:7:14: services.zk.update.parallel: unknown update option "
                        "'parallel'"));
  EXPECT_THAT(LoadErrors(Env("update: {parallelism: 0}")),
              HasSubstr("7:27: services.zk.update.parallelism: update.parallelism must be "
                        "between 1 and 1000000"));
  EXPECT_THAT(LoadErrors(Env("update: {parallelism: \"150%\"}")),
              HasSubstr("percentage from 1% to 100%, got '150%'"));
  EXPECT_THAT(LoadErrors(Env("update: {parallelism: 1, max_unavailable: 1}")),
              HasSubstr("services.zk.update.max_unavailable: update.max_unavailable and "
                        "update.parallelism are the same setting"));
  EXPECT_THAT(LoadErrors(Env("update: {quorum: most}")),
              HasSubstr("services.zk.update.quorum: update.quorum must be 'majority' or a "
                        "number of instances, got a string 'most'"));
  EXPECT_THAT(LoadErrors(Env("update: {failure: retry}")),
              HasSubstr("services.zk.update.failure: update.failure must be 'pause', "
                        "'continue' or 'rollback', got 'retry'"));
  EXPECT_THAT(LoadErrors(Env("update: {pull: always}")),
              HasSubstr("services.zk.update.pull: update.pull must be 'before' or 'never'"));
  EXPECT_THAT(LoadErrors(Env("update: {delay: soon}")),
              HasSubstr("services.zk.update.delay: invalid update.delay:"));
  EXPECT_THAT(LoadErrors(Env("update: {per_ship: x}")),
              HasSubstr("services.zk.update.per_ship: update.per_ship must be a whole number"));
  EXPECT_THAT(LoadErrors(Env("update: {role: {type: tcp, port: nope}}")),
              HasSubstr("services.zk.update.role"));
  EXPECT_THAT(LoadErrors(Env("update: {role: {type: sleep, wait: 1}}")),
              HasSubstr("update.role must be an exec, rexec, http or tcp probe"));
}

}  // namespace
}  // namespace config
}  // namespace maestro
