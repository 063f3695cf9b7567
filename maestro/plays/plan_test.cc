#include "maestro/plays/plan.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace maestro::plays {
namespace {

using Lists = std::vector<std::vector<size_t>>;

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

TEST(Plan, CancelKeepsFollowUpsOfWorkThatStarted) {
  // Restart of a (dependent) and b: stop a (0) -> stop b (2); start b (3) -> start a (1).
  auto created = Plan::Create({{}, {0, 3}, {0}, {2}});
  ASSERT_TRUE(created.ok());
  Plan plan = *std::move(created);
  plan.SetTrigger(1, 0);
  plan.SetTrigger(3, 2);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(0));
  plan.Cancel();  // while a is being stopped
  EXPECT_EQ(plan.state(2), NodeState::kCancelled) << "b was never stopped";
  EXPECT_EQ(plan.state(3), NodeState::kCancelled) << "so it needs no start";
  EXPECT_EQ(plan.state(1), NodeState::kWaiting) << "a will be started again";
  plan.MarkSucceeded(0);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(1)) << "b's cancelled start does not block a's";
  plan.MarkSucceeded(1);
  EXPECT_TRUE(plan.Finished());
}

TEST(Plan, FollowUpOfAFailedTriggerIsSkipped) {
  auto created = Plan::Create({{}, {0}});
  ASSERT_TRUE(created.ok());
  Plan plan = *std::move(created);
  plan.SetTrigger(1, 0);
  plan.TakeReady();
  plan.Cancel();
  plan.MarkFailed(0);
  EXPECT_EQ(plan.state(1), NodeState::kSkipped);
  EXPECT_TRUE(plan.Finished());
}

TEST(Plan, ReleaseLetsDependentsGoWhileTheNodeStillRuns) {
  Plan plan = Diamond();
  EXPECT_THAT(plan.TakeReady(), ElementsAre(0, 1, 4));
  plan.Release(0);
  EXPECT_TRUE(plan.released(0));
  EXPECT_FALSE(plan.HasReady()) << "kafka-1 still waits for zk-2";
  plan.Release(1);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(2)) << "both zks released: kafka-1 may run";
  EXPECT_EQ(plan.state(0), NodeState::kRunning);
  EXPECT_EQ(plan.running(), 4u);
  plan.MarkSucceeded(0);  // no second release of kafka-1
  EXPECT_FALSE(plan.HasReady());
  plan.MarkFailed(1);  // released: its failure does not skip what already went on
  EXPECT_EQ(plan.state(2), NodeState::kRunning);
  plan.MarkSucceeded(2);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(3));
  plan.MarkSucceeded(3);
  plan.MarkSucceeded(4);
  EXPECT_TRUE(plan.Finished());
  EXPECT_EQ(plan.state(1), NodeState::kFailed);
}

TEST(Plan, ReleaseIsIgnoredUnlessRunning) {
  Plan plan = Diamond();
  plan.Release(2);  // waiting
  EXPECT_FALSE(plan.released(2));
  plan.TakeReady();
  plan.MarkSucceeded(0);
  plan.Release(0);  // finished
  EXPECT_FALSE(plan.released(0));
  plan.MarkSucceeded(1);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(2));
}

TEST(Plan, CancelCountsReleasedNodesAsSatisfiedForKeptFollowUps) {
  // Restart-like: stop a (0) -> follow-up start a (1) also waits for stop b (2), which runs
  // and has been released when the play is cancelled.
  auto created = Plan::Create({{}, {0, 2}, {}});
  ASSERT_TRUE(created.ok());
  Plan plan = *std::move(created);
  plan.SetTrigger(1, 0);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(0, 2));
  plan.Release(2);
  plan.Cancel();
  EXPECT_EQ(plan.state(1), NodeState::kWaiting);
  plan.MarkSucceeded(0);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(1)) << "a released node is never waited for again";
  plan.MarkSucceeded(2);
  plan.MarkSucceeded(1);
  EXPECT_TRUE(plan.Finished());
}

TEST(Plan, ReleaseWithAHoldKeepsThatDependentWaiting) {
  // Restart of a (dependent) and b: stop a (0) -> stop b (2), start a (1); stop b (2) ->
  // start b (3) -> start a (1). Stop a releases stop b but its own start waits for it.
  auto created = Plan::Create({{}, {0, 3}, {0}, {2}});
  ASSERT_TRUE(created.ok());
  Plan plan = *std::move(created);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(0));
  plan.Release(0, 1);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(2));
  plan.MarkSucceeded(2);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(3));
  plan.MarkSucceeded(3);
  EXPECT_FALSE(plan.HasReady()) << "start a still waits for stop a";
  plan.MarkSucceeded(0);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(1));
  plan.MarkSucceeded(1);
  EXPECT_TRUE(plan.Finished());
}

TEST(Plan, FailureAfterAReleaseWithAHoldSkipsOnlyTheHeldDependent) {
  auto created = Plan::Create({{}, {0, 3}, {0}, {2}});
  ASSERT_TRUE(created.ok());
  Plan plan = *std::move(created);
  plan.TakeReady();
  plan.Release(0, 1);
  plan.TakeReady();
  plan.MarkFailed(0);
  EXPECT_EQ(plan.state(1), NodeState::kSkipped);
  EXPECT_EQ(plan.blocked_by(1), 0u);
  EXPECT_EQ(plan.state(2), NodeState::kRunning) << "released: not skipped";
  plan.MarkSucceeded(2);
  plan.TakeReady();
  plan.MarkSucceeded(3);
  EXPECT_TRUE(plan.Finished());
}

TEST(Plan, CancelKeepsAHeldFollowUpWaitingForItsTrigger) {
  auto created = Plan::Create({{}, {0}, {0}});
  ASSERT_TRUE(created.ok());
  Plan plan = *std::move(created);
  plan.SetTrigger(1, 0);
  plan.TakeReady();
  plan.Release(0, 1);
  plan.Cancel();
  EXPECT_FALSE(plan.HasReady()) << "the held follow-up still waits for its trigger";
  EXPECT_EQ(plan.state(1), NodeState::kWaiting);
  plan.MarkSucceeded(0);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(1));
  plan.MarkSucceeded(1);
  EXPECT_TRUE(plan.Finished());
}

TEST(Plan, RejectsCyclesSelfEdgesAndUnknownNodes) {
  EXPECT_FALSE(Plan::Create(Lists{{1}, {0}}).ok());
  EXPECT_FALSE(Plan::Create(Lists{{0}}).ok());
  EXPECT_FALSE(Plan::Create(Lists{{7}}).ok());
  auto cyclic = Plan::Create(Lists{{}, {2}, {1}});
  ASSERT_FALSE(cyclic.ok());
  EXPECT_NE(cyclic.status().message().find("1, 2"), absl::string_view::npos);
}

TEST(Plan, EmptyPlanIsFinished) {
  auto plan = Plan::Create(Lists{});
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

// Broken invariants are programmer errors: they crash loudly instead of being ignored.
TEST(PlanDeathTest, BadIndicesAbort) {
  auto plan = Plan::Create({{}, {0}});
  ASSERT_TRUE(plan.ok());
  EXPECT_DEATH(plan->SetTrigger(1, 7), "Plan::SetTrigger");
  EXPECT_DEATH(plan->SetTrigger(1, 1), "Plan::SetTrigger");
  EXPECT_DEATH(plan->Release(5), "Plan::Release");
  plan->TakeReady();
  EXPECT_DEATH(plan->Release(0, 9), "Plan::Release holds");
  EXPECT_DEATH(plan->MarkFailed(2), "outside the plan");
}

}  // namespace
}  // namespace maestro::plays

namespace maestro::plays {
namespace {

// Create-ahead shape over shared rows: creates 0..3 (db-1, db-2, app-1, app-2) and starts
// 4..7; each app start waits for the shared row {start db-1, start db-2} plus its own create.
TEST(Plan, SharedRowsAndOwnEntriesGateAndSkipLikeDenseLists) {
  NodeLists pre(8);
  for (size_t app : {2, 3}) pre.Set(4 + app, {4, 5});
  for (size_t c = 0; c < 4; ++c) pre.Add(4 + c, c);
  EXPECT_EQ(pre.row_of(6), pre.row_of(7));
  auto created = Plan::Create(std::move(pre));
  ASSERT_TRUE(created.ok());
  Plan plan = *std::move(created);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(0, 1, 2, 3));
  for (size_t c = 0; c < 4; ++c) plan.MarkSucceeded(c);
  EXPECT_THAT(plan.TakeReady(), ElementsAre(4, 5)) << "app starts wait for both db starts";
  plan.MarkSucceeded(4);
  EXPECT_FALSE(plan.HasReady());
  plan.MarkFailed(5);
  EXPECT_TRUE(plan.Finished());
  EXPECT_EQ(plan.state(6), NodeState::kSkipped);
  EXPECT_EQ(plan.state(7), NodeState::kSkipped);
  EXPECT_EQ(plan.blocked_by(7), 5u);
}

TEST(Plan, SharedRowsWithAnUnknownNodeOrACycleAreRejected) {
  NodeLists unknown(3);
  unknown.Set(1, {0, 9});
  unknown.Set(2, {0, 9});
  EXPECT_FALSE(Plan::Create(std::move(unknown)).ok());
  NodeLists cycle(3);
  cycle.Set(0, {1});
  cycle.Add(1, 2);
  cycle.Set(2, {0});
  auto cyclic = Plan::Create(std::move(cycle));
  ASSERT_FALSE(cyclic.ok());
  EXPECT_NE(cyclic.status().message().find("0, 1, 2"), absl::string_view::npos);
}

}  // namespace
}  // namespace maestro::plays
