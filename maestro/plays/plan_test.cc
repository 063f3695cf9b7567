#include "maestro/plays/plan.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace maestro::plays {
namespace {

using ::testing::ElementsAre;

// zk-1, zk-2 (0, 1) <- kafka-1 (2) <- tools (3); web (4) independent.
Plan Diamond() {
  auto plan = Plan::Create({{}, {}, {0, 1}, {2}, {}});
  EXPECT_TRUE(plan.ok()) << plan.status();
  return *std::move(plan);
}

TEST(Plan, HandsOutReadyNodesInDependencyOrder) {
  Plan plan = Diamond();
  EXPECT_THAT(plan.TakeReady(), ElementsAre(0, 1, 4));
  EXPECT_TRUE(plan.TakeReady().empty());
  plan.MarkSucceeded(0);
  EXPECT_TRUE(plan.TakeReady().empty()) << "kafka still waits on zk-2";
  plan.MarkSucceeded(1);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(2));
  plan.MarkSucceeded(2);
  plan.MarkSucceeded(4);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(3));
  EXPECT_FALSE(plan.Finished());
  plan.MarkSucceeded(3);
  EXPECT_TRUE(plan.Finished());
}

TEST(Plan, TakeReadyRespectsMax) {
  Plan plan = Diamond();
  EXPECT_THAT(plan.TakeReady(2), ElementsAre(0, 1));
  EXPECT_THAT(plan.TakeReady(2), ElementsAre(4));
  EXPECT_EQ(plan.running(), 3u);
}

TEST(Plan, FailureSkipsOnlyDependents) {
  Plan plan = Diamond();
  plan.TakeReady();
  plan.MarkFailed(1);
  EXPECT_EQ(plan.state(2), NodeState::kSkipped);
  EXPECT_EQ(plan.state(3), NodeState::kSkipped);
  EXPECT_EQ(plan.blocked_by(3), 1u) << "root cause is reported, not the direct prerequisite";
  EXPECT_EQ(plan.state(0), NodeState::kRunning) << "independent work goes on";
  EXPECT_EQ(plan.state(4), NodeState::kRunning);
  plan.MarkSucceeded(0);
  plan.MarkSucceeded(4);
  EXPECT_TRUE(plan.TakeReady().empty());
  EXPECT_TRUE(plan.Finished());
  EXPECT_EQ(plan.state(0), NodeState::kSucceeded);
}

TEST(Plan, CancelStopsHandingOutWorkButLetsRunningFinish) {
  Plan plan = Diamond();
  plan.TakeReady(1);  // zk-1 running
  plan.Cancel();
  EXPECT_TRUE(plan.TakeReady().empty());
  EXPECT_EQ(plan.state(1), NodeState::kCancelled);
  EXPECT_EQ(plan.state(2), NodeState::kCancelled);
  EXPECT_FALSE(plan.Finished());
  plan.MarkSucceeded(0);
  EXPECT_TRUE(plan.Finished());
  EXPECT_EQ(plan.state(0), NodeState::kSucceeded);
}

TEST(Plan, RejectsCyclesSelfEdgesAndUnknownNodes) {
  EXPECT_FALSE(Plan::Create({{1}, {0}}).ok());
  EXPECT_FALSE(Plan::Create({{0}}).ok());
  EXPECT_FALSE(Plan::Create({{7}}).ok());
  auto cyclic = Plan::Create({{}, {2}, {1}});
  ASSERT_FALSE(cyclic.ok());
  EXPECT_NE(cyclic.status().message().find("1, 2"), absl::string_view::npos);
}

TEST(Plan, EmptyPlanIsFinished) {
  auto plan = Plan::Create({});
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->Finished());
}

TEST(Plan, DuplicatePrerequisitesCountOnce) {
  auto plan = Plan::Create({{}, {0, 0, 0}});
  ASSERT_TRUE(plan.ok());
  plan->TakeReady();
  plan->MarkSucceeded(0);
  EXPECT_THAT(plan->TakeReady(), ElementsAre(1));
}

}  // namespace
}  // namespace maestro::plays
