#include "maestro/model/env_vars.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
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

// Compute() blocks until released, so that other threads ask for the same key meanwhile.
class GatedSource : public CachingOverlaySource {
 public:
  GatedSource() : CachingOverlaySource(4) {}
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  int entered() const { return entered_.load(); }

 protected:
  Map Compute(const std::string& key) const override {
    ++entered_;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return released_; });
    return Map{{key, "v"}};
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool released_ = false;
  mutable std::atomic<int> entered_{0};
};

TEST(EnvVarsTest, ConcurrentRequestsForOneOverlayComputeItOnce) {
  // 256 start workers asking at once for a 17,000-variable overlay used to build 256 copies.
  GatedSource source;
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<const Map>> got(8);
  threads.emplace_back([&] { got[0] = source.Get("front"); });
  for (int i = 0; i < 1000 && source.entered() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(source.entered(), 1);
  for (int t = 1; t < 8; ++t) threads.emplace_back([&, t] { got[t] = source.Get("front"); });
  // Bounded: at most 10 s for the 7 others to be waiting (they would compute, before the fix).
  for (int i = 0; i < 1000 && source.waiting() < 7 && source.entered() == 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(source.waiting(), 7u);
  source.Release();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(source.entered(), 1);
  EXPECT_EQ(source.computed(), 1u);
  for (const auto& overlay : got) EXPECT_EQ(overlay, got[0]);
}

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
