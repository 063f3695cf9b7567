#include "maestro/plays/critical_path.h"

#include "gtest/gtest.h"

namespace maestro::plays {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

NodeSpan Ran(int begin, int end) {
  return {true, kT0 + absl::Seconds(begin), kT0 + absl::Seconds(end)};
}

TEST(CriticalPath, FollowsThePrerequisiteThatEndedLast) {
  // 0 and 1 are independent; 2 waits for both (1 ended later); 3 is independent and short.
  std::vector<std::vector<size_t>> pre = {{}, {}, {0, 1}, {}};
  std::vector<NodeSpan> spans = {Ran(0, 2), Ran(0, 5), Ran(5, 9), Ran(0, 1)};
  EXPECT_EQ(CriticalPath(pre, spans), (std::vector<size_t>{1, 2}));
  spans[0] = Ran(0, 6);
  spans[2] = Ran(6, 9);
  EXPECT_EQ(CriticalPath(pre, spans), (std::vector<size_t>{0, 2}));
}

TEST(CriticalPath, AnIndependentSlowNodeIsThePathAlone) {
  std::vector<std::vector<size_t>> pre = {{}, {0}, {}};
  std::vector<NodeSpan> spans = {Ran(0, 1), Ran(1, 2), Ran(0, 10)};
  EXPECT_EQ(CriticalPath(pre, spans), (std::vector<size_t>{2}));
}

TEST(CriticalPath, NodesThatNeverRanAreIgnored) {
  std::vector<std::vector<size_t>> pre = {{}, {0}, {1}};
  std::vector<NodeSpan> spans = {Ran(0, 3), Ran(3, 4), NodeSpan{}};
  EXPECT_EQ(CriticalPath(pre, spans), (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(CriticalPath(pre, std::vector<NodeSpan>(3)).empty());
  EXPECT_TRUE(CriticalPath({}, {}).empty());
}

TEST(CriticalPath, ABadGraphNeitherLoopsNorCrashes) {
  std::vector<std::vector<size_t>> pre = {{1}, {0, 7}};
  std::vector<NodeSpan> spans = {Ran(0, 1), Ran(0, 1)};
  std::vector<size_t> path = CriticalPath(pre, spans);
  EXPECT_LE(path.size(), 2u);
}

}  // namespace
}  // namespace maestro::plays
