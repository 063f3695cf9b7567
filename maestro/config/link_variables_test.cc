// The link variables are computed on demand (issue #10): loading a long chain of services
// must not materialise each container's link environment, and reading one gives exactly the
// variables of its service and of every service below it.
#include "maestro/config/link_variables.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "maestro/config/config_test_util.h"

namespace maestro {
namespace config {
namespace {

using test_util::LoadText;

// n services s00000..s<n-1>, each requiring the previous, one instance c<i> with one port.
std::string Chain(int n) {
  std::string out = "name: chain\nships: {ship1: {ip: 10.0.0.1}}\nservices:\n";
  for (int i = 0; i < n; ++i) {
    absl::StrAppendFormat(&out, "  s%05d:\n    image: busybox\n", i);
    if (i > 0) absl::StrAppendFormat(&out, "    requires: [s%05d]\n", i - 1);
    absl::StrAppendFormat(&out, "    instances: {c%05d: {ship: ship1, ports: {p: %d}}}\n", i,
                          10000 + i);
  }
  return out;
}

const model::CachingOverlaySource* Source(const model::Instance& c) {
  return dynamic_cast<const model::CachingOverlaySource*>(c.env.overlay_source().get());
}

// Regression (#10): every service's transitive link variables were built at load, O(n²)
// variables for a chain (> 1 GB at 3,000 services). Now the loader builds none of them.
TEST(LinkVariablesTest, LoadingAChainMaterialisesNoLinkEnvironment) {
  constexpr int kServices = 2000;
  auto r = LoadText(Chain(kServices));
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Environment& env = r->environment;
  ASSERT_EQ(env.instances.size(), static_cast<size_t>(kServices));
  const model::CachingOverlaySource* source = Source(env.instances[0]);
  ASSERT_NE(source, nullptr);
  for (const model::Instance& c : env.instances) {
    ASSERT_EQ(Source(c), source) << c.name;  // one shared source, no per-container copies
    EXPECT_TRUE(c.env.overlay_source() != nullptr);
  }
  EXPECT_EQ(source->computed(), 0u);
  EXPECT_EQ(source->LiveOverlays(), 0u);

  // The top of the chain sees every service below it; the bottom only its own.
  const model::Instance& top = env.instances.back();
  EXPECT_EQ(top.env.at("S00000_C00000_HOST"), "10.0.0.1");
  EXPECT_EQ(top.env.at("S00000_C00000_P_PORT"), "10000");
  EXPECT_EQ(top.env.count("S00000_C00000_P_INTERNAL_PORT"), 0u);  // only its own service's
  EXPECT_EQ(top.env.at("S01999_C01999_P_INTERNAL_PORT"), "11999");
  EXPECT_EQ(top.env.at("S01998_INSTANCES"), "c01998");
  size_t own = top.env.own().size();
  // 3 variables per service below (HOST, PORT, INSTANCES), 4 for its own.
  EXPECT_EQ(top.env.size(), own + 3 * (kServices - 1) + 4);
  EXPECT_EQ(env.instances.front().env.size(), env.instances.front().env.own().size() + 4);

  // Reading many containers' environments keeps only a bounded number of overlays alive.
  size_t total = 0;
  for (size_t i = kServices - 100; i < env.instances.size(); ++i) {
    total += env.instances[i].DockerEnv().size();
  }
  EXPECT_GT(total, static_cast<size_t>(100 * 3 * (kServices - 100)));
  EXPECT_LE(source->LiveOverlays(), 4u);
}

// An iterator keeps its overlay alive and the cache hands the same one out while it is held.
TEST(LinkVariablesTest, OverlayLivesWhileIterated) {
  auto r = LoadText(Chain(20));
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Environment& env = r->environment;
  const model::Instance& top = env.instances.back();
  auto it = top.env.find("S00000_C00000_HOST");
  ASSERT_TRUE(it != top.env.end());
  // Touch more services than the cache keeps: the iterated overlay must survive.
  for (const model::Instance& c : env.instances) c.env.size();
  EXPECT_EQ(it->second, "10.0.0.1");
  ++it;
  EXPECT_EQ(it->first, "S00000_C00000_P_PORT");
  EXPECT_EQ(top.env.overlay(), top.env.overlay());  // same object while held
  size_t n = 0;
  for (auto i = top.env.begin(); i != top.env.end(); ++i) ++n;
  EXPECT_EQ(n, top.env.size());
}

// A copied environment shares the (immutable) source and reads the same variables; writing
// to a copy's env detaches it.
TEST(LinkVariablesTest, CopiesShareTheSourceAndWritesDetach) {
  auto r = LoadText(Chain(3));
  ASSERT_TRUE(r.ok()) << r.status();
  model::Environment copy = r->environment;
  model::Instance& c = copy.instances.back();
  EXPECT_EQ(c.env, r->environment.instances.back().env);
  c.env["S00000_C00000_HOST"] = "changed";
  EXPECT_EQ(c.env.overlay_source(), nullptr);
  EXPECT_EQ(c.env.at("S00000_C00000_HOST"), "changed");
  EXPECT_EQ(c.env.at("S00001_INSTANCES"), "c00001");
  EXPECT_EQ(r->environment.instances.back().env.at("S00000_C00000_HOST"), "10.0.0.1");
}

}  // namespace
}  // namespace config
}  // namespace maestro
