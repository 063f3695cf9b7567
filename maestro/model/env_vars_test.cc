#include "maestro/model/env_vars.h"

#include <memory>
#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"

namespace maestro {
namespace model {
namespace {

using Map = EnvVars::Map;

std::vector<std::string> Keys(const EnvVars& e) {
  std::vector<std::string> out;
  for (const auto& [k, v] : e) out.push_back(k + "=" + v.value_or("<null>"));
  return out;
}

TEST(EnvVarsTest, PlainMapWithoutOverlay) {
  EnvVars e = {{"B", "2"}, {"A", "1"}, {"N", std::nullopt}};
  EXPECT_EQ(e.size(), 3u);
  EXPECT_EQ(Keys(e), (std::vector<std::string>{"A=1", "B=2", "N=<null>"}));
  EXPECT_EQ(e.at("B"), "2");
  EXPECT_EQ(e.count("Z"), 0u);
  EXPECT_TRUE(e.find("Z") == e.end());
  EXPECT_THROW(e.at("Z"), std::out_of_range);
  EXPECT_EQ(e, (Map{{"A", "1"}, {"B", "2"}, {"N", std::nullopt}}));
}

TEST(EnvVarsTest, OverlayWinsAndMergesInOrder) {
  EnvVars e = Map{{"A", "own"}, {"C", "own"}, {"E", "own"}};
  e.SetOverlay(std::make_shared<const Map>(Map{{"B", "ov"}, {"C", "ov"}, {"F", std::nullopt}}));
  EXPECT_EQ(e.size(), 5u);
  EXPECT_EQ(Keys(e), (std::vector<std::string>{"A=own", "B=ov", "C=ov", "E=own", "F=<null>"}));
  EXPECT_EQ(e.at("C"), "ov");
  EXPECT_EQ(e.at("A"), "own");
  EXPECT_EQ(e.count("F"), 1u);
  // find() positions an iterator that goes on through the merged view.
  auto it = e.find("C");
  ASSERT_TRUE(it != e.end());
  EXPECT_EQ(it->second, "ov");
  ++it;
  EXPECT_EQ(it->first, "E");
  it = e.find("E");
  ++it;
  EXPECT_EQ(it->first, "F");
  ++it;
  EXPECT_TRUE(it == e.end());
  EXPECT_EQ(e, (Map{{"A", "own"}, {"B", "ov"}, {"C", "ov"}, {"E", "own"}, {"F", std::nullopt}}));
  EXPECT_EQ(e.Flatten(),
            (Map{{"A", "own"}, {"B", "ov"}, {"C", "ov"}, {"E", "own"}, {"F", std::nullopt}}));
}

TEST(EnvVarsTest, WritingFoldsTheOverlayAndCopiesAreIndependent) {
  auto shared = std::make_shared<const Map>(Map{{"L", "link"}});
  EnvVars a = Map{{"X", "1"}};
  a.SetOverlay(shared);
  EnvVars b = a;
  b["L"] = "changed";
  b["Y"] = "2";
  EXPECT_EQ(b, (Map{{"L", "changed"}, {"X", "1"}, {"Y", "2"}}));
  EXPECT_EQ(a, (Map{{"L", "link"}, {"X", "1"}}));
  EXPECT_EQ(shared->at("L"), "link");
  EXPECT_NE(a, b);
  EnvVars c = Map{{"L", "link"}, {"X", "1"}};
  EXPECT_EQ(a, c);
}

TEST(EnvVarsTest, EmptyOverlayIsNoOverlay) {
  EnvVars e;
  EXPECT_TRUE(e.empty());
  e.SetOverlay(std::make_shared<const Map>());
  EXPECT_TRUE(e.empty());
  EXPECT_TRUE(e.begin() == e.end());
}

// Counts Compute() calls; the overlay of key K is {K: "v"}.
class CountingSource : public CachingOverlaySource {
 public:
  explicit CountingSource(size_t keep) : CachingOverlaySource(keep) {}

 protected:
  Map Compute(const std::string& key) const override { return Map{{key, "v"}}; }
};

TEST(EnvVarsTest, CachingSourceKeepsOnlyRecentAndHeldOverlays) {
  auto source = std::make_shared<const CountingSource>(2);
  EnvVars a = Map{{"OWN", "1"}}, b = Map{}, c = Map{};
  a.SetOverlaySource(source, "A");
  b.SetOverlaySource(source, "B");
  c.SetOverlaySource(source, "C");
  EXPECT_EQ(source->computed(), 0u);
  EXPECT_EQ(a.at("A"), "v");
  EXPECT_EQ(a.size(), 2u);  // cached: computed once
  EXPECT_EQ(source->computed(), 1u);
  std::shared_ptr<const Map> held = a.overlay();
  EXPECT_EQ(b.size(), 1u);
  EXPECT_EQ(c.size(), 1u);  // A falls out of the 2 most recent, but is held
  EXPECT_EQ(source->LiveOverlays(), 3u);
  EXPECT_EQ(a.overlay(), held);  // now the most recent, with C; B is freed
  EXPECT_EQ(source->computed(), 3u);
  EXPECT_EQ(source->LiveOverlays(), 2u);
  held.reset();
  EXPECT_EQ(b.size(), 1u);                // B again; C drops out
  EXPECT_EQ(c.size(), 1u);                // C again; A drops out and nothing holds it
  EXPECT_EQ(source->LiveOverlays(), 2u);  // A is gone
  EXPECT_EQ(source->computed(), 5u);
  EXPECT_EQ(Keys(a), (std::vector<std::string>{"A=v", "OWN=1"}));
  EXPECT_EQ(source->computed(), 6u);
}

}  // namespace
}  // namespace model
}  // namespace maestro
