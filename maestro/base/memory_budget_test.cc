#include "maestro/base/memory_budget.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace maestro {
namespace {

TEST(MemoryBudgetTest, HoldsWhatFitsAndReturnsItOnRelease) {
  MemoryBudget budget(100);
  {
    std::optional<MemoryBudget::Lease> a = budget.Acquire(60);
    ASSERT_TRUE(a.has_value());
    std::optional<MemoryBudget::Lease> b = budget.Acquire(40);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(budget.held(), 100u);
  }
  EXPECT_EQ(budget.held(), 0u);
  EXPECT_EQ(budget.waits(), 0u);
}

TEST(MemoryBudgetTest, ARequestLargerThanTheBudgetProceedsAlone) {
  MemoryBudget budget(100);
  std::optional<MemoryBudget::Lease> huge = budget.Acquire(1000);
  ASSERT_TRUE(huge.has_value());
  EXPECT_EQ(budget.held(), 1000u);
}

TEST(MemoryBudgetTest, AWaiterProceedsOnceTheHolderReleases) {
  MemoryBudget budget(100);
  std::optional<MemoryBudget::Lease> first = budget.Acquire(80);
  ASSERT_TRUE(first.has_value());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    std::optional<MemoryBudget::Lease> second = budget.Acquire(50);
    got = second.has_value();
  });
  // The waiter cannot fit 50 next to 80: it waits (bounded: at most 10 s of polling here).
  for (int i = 0; i < 1000 && budget.waits() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(budget.waits(), 1u);
  EXPECT_FALSE(got.load());
  first.reset();
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(budget.held(), 0u);
}

TEST(MemoryBudgetTest, ARequestThatFitsIsServedEvenWhenCancelled) {
  MemoryBudget budget(100);
  std::atomic<bool> cancel{true};
  EXPECT_TRUE(budget.Acquire(10, &cancel).has_value());
}

TEST(MemoryBudgetTest, CancellationEndsTheWaitWithoutHolding) {
  MemoryBudget budget(100);
  std::optional<MemoryBudget::Lease> first = budget.Acquire(100);
  std::atomic<bool> cancel{false};
  std::atomic<bool> done{false};
  bool got = true;
  std::thread waiter([&] {
    got = budget.Acquire(1, &cancel).has_value();
    done = true;
  });
  for (int i = 0; i < 1000 && budget.waits() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  cancel = true;
  waiter.join();
  EXPECT_TRUE(done.load());
  EXPECT_FALSE(got);
  EXPECT_EQ(budget.held(), 100u);
}

}  // namespace
}  // namespace maestro
