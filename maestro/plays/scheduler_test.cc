#include "maestro/plays/scheduler.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "maestro/testing/fake_clock.h"

namespace maestro::plays {
namespace {

// Latches, not sleeps, order the work in these tests. A latch that never opens is a bug in
// the scheduler; the wait is bounded only so that such a bug fails the test instead of
// hanging it (the bound is never reached when the scheduler works).
constexpr absl::Duration kHangGuard = absl::Seconds(60);

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
  // The first three nodes hold until all three run at once (they can only if the scheduler
  // allows three); a fourth at the same time would raise the peak above 3.
  Plan plan = MakePlan(std::vector<std::vector<size_t>>(12));
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::atomic<int> arrived{0};
  absl::Notification three_running;
  Scheduler scheduler({.concurrency = 3});
  auto results = scheduler.Run(plan, [&](size_t, const CancellationToken&) {
    int now = ++running;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    absl::Status status = absl::OkStatus();
    if (const int n = ++arrived; n <= 3) {
      if (n == 3) three_running.Notify();
      if (!three_running.WaitForNotificationWithTimeout(kHangGuard)) {
        status = absl::DeadlineExceededError("three nodes never ran at once");
      }
    }
    --running;
    return status;
  });
  EXPECT_EQ(peak.load(), 3);
  for (const NodeResult& r : results) EXPECT_TRUE(r.status.ok()) << r.status;
}

TEST(Scheduler, IndependentWorkDoesNotWaitForSlowWork) {
  // Node 0 only finishes once node 2 (which depends only on the fast node 1) has finished.
  Plan plan = MakePlan({{}, {}, {1}});
  std::mutex mu;
  std::vector<size_t> finished;
  absl::Notification node2_done;
  Scheduler scheduler({.concurrency = 0});
  auto results = scheduler.Run(plan, [&](size_t node, const CancellationToken&) {
    if (node == 0 && !node2_done.WaitForNotificationWithTimeout(kHangGuard)) {
      return absl::DeadlineExceededError("node 2 waited for the slow node 0");
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      finished.push_back(node);
    }
    if (node == 2) node2_done.Notify();
    return absl::OkStatus();
  });
  ASSERT_EQ(finished.size(), 3u);
  EXPECT_EQ(finished.back(), 0u);
  EXPECT_TRUE(results[0].status.ok()) << results[0].status;
}

TEST(Scheduler, ElapsedIsMeasuredOnTheInjectedClock) {
  testing::FakeClock clock;
  Plan plan = MakePlan({{}});
  Scheduler scheduler({.clock = &clock});
  auto results = scheduler.Run(plan, [&](size_t, const CancellationToken&) {
    clock.Advance(absl::Seconds(3));
    return absl::OkStatus();
  });
  EXPECT_EQ(results[0].elapsed, absl::Seconds(3));

  Plan plan2 = MakePlan({{}});
  Scheduler no_clock({});
  results = no_clock.Run(plan2, [&](size_t, const CancellationToken&) {
    clock.Advance(absl::Seconds(3));
    return absl::OkStatus();
  });
  EXPECT_EQ(results[0].elapsed, absl::ZeroDuration());
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
  // The fourth call (and any later one) holds until another thread has cancelled.
  Plan plan = MakePlan(std::vector<std::vector<size_t>>(50));
  Scheduler scheduler({.concurrency = 2});
  std::atomic<int> calls{0};
  absl::Notification fourth_started;
  absl::Notification cancelled;
  std::thread canceller([&] {
    fourth_started.WaitForNotification();
    scheduler.Cancel();
    cancelled.Notify();
  });
  auto results = scheduler.Run(plan, [&](size_t, const CancellationToken&) {
    const int n = ++calls;
    if (n < 4) return absl::OkStatus();
    if (n == 4) fourth_started.Notify();
    if (!cancelled.WaitForNotificationWithTimeout(kHangGuard)) {
      return absl::DeadlineExceededError("never cancelled");
    }
    return absl::OkStatus();
  });
  if (calls.load() < 4) fourth_started.Notify();  // a broken scheduler: never hang the join
  canceller.join();
  int succeeded = 0, cancelled_nodes = 0;
  for (const NodeResult& r : results) {
    if (r.state == NodeState::kSucceeded) ++succeeded;
    if (r.state == NodeState::kCancelled) ++cancelled_nodes;
  }
  EXPECT_EQ(succeeded, calls.load());
  EXPECT_LE(calls.load(), 5) << "at most the two running nodes finish after Cancel()";
  EXPECT_EQ(succeeded + cancelled_nodes, 50);
  EXPECT_GT(cancelled_nodes, 0);
}

TEST(Scheduler, ReleasedWorkLetsDependentsStartBeforeItReturns) {
  // 0 <- 1: node 0 releases node 1, then waits until node 1 has run. Without Release this
  // would never finish (the latch's guard turns that into a failure).
  Plan plan = MakePlan({{}, {0}});
  absl::Notification dependent_ran;
  Scheduler scheduler({.concurrency = 2});
  auto results = scheduler.Run(plan, [&](size_t node, const CancellationToken&) {
    if (node == 1) {
      dependent_ran.Notify();
      return absl::OkStatus();
    }
    scheduler.Release(0);
    return dependent_ran.WaitForNotificationWithTimeout(kHangGuard)
               ? absl::OkStatus()
               : absl::InternalError("dependent did not run");
  });
  EXPECT_EQ(results[0].state, NodeState::kSucceeded) << results[0].status;
  EXPECT_EQ(results[1].state, NodeState::kSucceeded);
  scheduler.Release(0);  // after Run(): ignored, no crash
}

TEST(Scheduler, EmptyPlan) {
  Plan plan = MakePlan({});
  Scheduler scheduler({});
  EXPECT_TRUE(scheduler.Run(plan, [](size_t, const CancellationToken&) { return absl::OkStatus(); })
                  .empty());
}

}  // namespace
}  // namespace maestro::plays
