#include "maestro/plays/scheduler.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "gtest/gtest.h"

namespace maestro::plays {
namespace {

Plan MakePlan(std::vector<std::vector<size_t>> pre) {
  auto plan = Plan::Create(std::move(pre));
  EXPECT_TRUE(plan.ok());
  return *std::move(plan);
}

TEST(Scheduler, RunsInDependencyOrder) {
  // Three tiers: 0,1,2 <- 3,4 <- 5.
  Plan plan = MakePlan({{}, {}, {}, {0, 1, 2}, {0}, {3, 4}});
  std::mutex mu;
  std::vector<size_t> order;
  Scheduler scheduler({.concurrency = 3});
  auto results = scheduler.Run(plan, [&](size_t node, const CancellationToken&) {
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(node);
    return absl::OkStatus();
  });
  ASSERT_EQ(order.size(), 6u);
  auto pos = [&](size_t n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
  EXPECT_LT(pos(0), pos(3));
  EXPECT_LT(pos(1), pos(3));
  EXPECT_LT(pos(2), pos(3));
  EXPECT_LT(pos(0), pos(4));
  EXPECT_LT(pos(3), pos(5));
  EXPECT_LT(pos(4), pos(5));
  for (const NodeResult& r : results) EXPECT_EQ(r.state, NodeState::kSucceeded);
}

TEST(Scheduler, ConcurrencyIsBounded) {
  Plan plan = MakePlan(std::vector<std::vector<size_t>>(12));
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  Scheduler scheduler({.concurrency = 3});
  scheduler.Run(plan, [&](size_t, const CancellationToken&) {
    int now = ++running;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    --running;
    return absl::OkStatus();
  });
  EXPECT_EQ(peak.load(), 3);
}

TEST(Scheduler, IndependentWorkDoesNotWaitForSlowWork) {
  // Node 0 is slow; node 2 depends only on the fast node 1 and must finish before node 0.
  Plan plan = MakePlan({{}, {}, {1}});
  std::mutex mu;
  std::vector<size_t> finished;
  Scheduler scheduler({.concurrency = 0});
  scheduler.Run(plan, [&](size_t node, const CancellationToken&) {
    if (node == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard<std::mutex> lock(mu);
    finished.push_back(node);
    return absl::OkStatus();
  });
  ASSERT_EQ(finished.size(), 3u);
  EXPECT_EQ(finished.back(), 0u);
}

TEST(Scheduler, FailureSkipsDependentsAndKeepsStatus) {
  Plan plan = MakePlan({{}, {0}, {}});
  Scheduler scheduler({.concurrency = 1});
  std::atomic<int> calls{0};
  auto results = scheduler.Run(plan, [&](size_t node, const CancellationToken&) {
    ++calls;
    if (node == 0) return absl::UnavailableError("ship1 down");
    return absl::OkStatus();
  });
  EXPECT_EQ(calls.load(), 2) << "node 1 never runs";
  EXPECT_EQ(results[0].state, NodeState::kFailed);
  EXPECT_EQ(results[0].status.message(), "ship1 down");
  EXPECT_EQ(results[1].state, NodeState::kSkipped);
  EXPECT_EQ(results[2].state, NodeState::kSucceeded);
}

TEST(Scheduler, CancelLetsRunningWorkFinishAndStartsNothingNew) {
  Plan plan = MakePlan({{}, {0}, {1}});
  Scheduler scheduler({.concurrency = 1});
  std::atomic<int> calls{0};
  auto results = scheduler.Run(plan, [&](size_t node, const CancellationToken& token) {
    ++calls;
    scheduler.Cancel();  // as a Ctrl-C would, mid-work
    EXPECT_TRUE(token.cancelled());
    return absl::OkStatus();
  });
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(results[0].state, NodeState::kSucceeded);
  EXPECT_EQ(results[1].state, NodeState::kCancelled);
  EXPECT_EQ(results[2].state, NodeState::kCancelled);
}

TEST(Scheduler, CancelFromAnotherThread) {
  Plan plan = MakePlan(std::vector<std::vector<size_t>>(50));
  Scheduler scheduler({.concurrency = 2});
  std::atomic<int> calls{0};
  std::thread canceller([&] {
    while (calls.load() < 4) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    scheduler.Cancel();
  });
  auto results = scheduler.Run(plan, [&](size_t, const CancellationToken&) {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return absl::OkStatus();
  });
  canceller.join();
  int succeeded = 0, cancelled = 0;
  for (const NodeResult& r : results) {
    if (r.state == NodeState::kSucceeded) ++succeeded;
    if (r.state == NodeState::kCancelled) ++cancelled;
  }
  EXPECT_EQ(succeeded, calls.load());
  EXPECT_EQ(succeeded + cancelled, 50);
  EXPECT_GT(cancelled, 0);
}

TEST(Scheduler, ReleasedWorkLetsDependentsStartBeforeItReturns) {
  // 0 <- 1: node 0 releases node 1, then waits until node 1 has run. Without Release this
  // would never finish; the wait is bounded so a regression fails instead of hanging.
  Plan plan = MakePlan({{}, {0}});
  std::atomic<bool> dependent_ran{false};
  Scheduler scheduler({.concurrency = 2});
  auto results = scheduler.Run(plan, [&](size_t node, const CancellationToken&) {
    if (node == 1) {
      dependent_ran = true;
      return absl::OkStatus();
    }
    scheduler.Release(0);
    for (int i = 0; i < 2000 && !dependent_ran; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return dependent_ran ? absl::OkStatus() : absl::InternalError("dependent did not run");
  });
  EXPECT_EQ(results[0].state, NodeState::kSucceeded) << results[0].status;
  EXPECT_EQ(results[1].state, NodeState::kSucceeded);
  scheduler.Release(0);  // after Run(): ignored, no crash
}

TEST(Scheduler, EmptyPlan) {
  Plan plan = MakePlan({});
  Scheduler scheduler({});
  EXPECT_TRUE(scheduler.Run(plan, [](size_t, const CancellationToken&) {
                return absl::OkStatus();
              }).empty());
}

}  // namespace
}  // namespace maestro::plays
