#include "maestro/plays/node_lists.h"

#include <vector>

#include "gtest/gtest.h"

namespace maestro::plays {
namespace {

using List = std::vector<size_t>;

TEST(NodeListsTest, EqualListsShareOneRow) {
  NodeLists lists(5);
  lists.Set(2, {1, 0});
  lists.Set(3, {0, 1, 1});  // same set: sorted and de-duplicated
  lists.Set(4, {0});
  EXPECT_EQ(lists.row_of(2), lists.row_of(3));
  EXPECT_NE(lists.row_of(2), lists.row_of(4));
  EXPECT_EQ(lists.row_count(), 3u);  // the empty row, {0, 1}, {0}
  EXPECT_EQ(lists.Of(3), (List{0, 1}));
  EXPECT_EQ(lists.Of(0), List{});
  EXPECT_EQ(lists.row_of(0), 0u);
}

TEST(NodeListsTest, OwnEntriesAreKeptApartSortedAndNeverDuplicated) {
  NodeLists lists(6);
  lists.Set(5, {0, 1});
  lists.Set(4, {0, 1});
  lists.Add(5, 3);
  lists.Add(5, 2);
  lists.Add(5, 3);  // already there
  lists.Add(5, 1);  // in the shared row
  EXPECT_EQ(lists.Count(5), 4u);
  EXPECT_EQ(lists.Of(5), (List{0, 1, 2, 3}));
  EXPECT_EQ(lists.own(5), (List{2, 3}));
  EXPECT_EQ(lists.Of(4), (List{0, 1}));  // the shared row itself is untouched
  EXPECT_TRUE(lists.Contains(5, 2));
  EXPECT_FALSE(lists.Contains(4, 2));
  // A new shared row absorbs own entries it holds.
  lists.Set(5, {2, 0});
  EXPECT_EQ(lists.own(5), List{3});
  EXPECT_EQ(lists.Of(5), (List{0, 2, 3}));
}

TEST(NodeListsTest, FromDenseListsAndForEachVisitsEachEntryOnce) {
  NodeLists lists(std::vector<List>{{}, {0}, {0}, {2, 1, 2}});
  EXPECT_EQ(lists.size(), 4u);
  EXPECT_EQ(lists.row_of(1), lists.row_of(2));
  List seen;
  lists.ForEach(3, [&](size_t n) { seen.push_back(n); });
  EXPECT_EQ(seen, (List{1, 2}));
}

// 3,000 nodes each waiting for the same 3,000 others are stored as one row, not 9 million
// entries (the memory of `start` of the 6,000-instance benchmark file, issue #10).
TEST(NodeListsTest, ManyNodesWithTheSameListStoreItOnce) {
  const size_t kTier = 3000;
  NodeLists lists(2 * kTier);
  List lower;
  for (size_t i = 0; i < kTier; ++i) lower.push_back(i);
  for (size_t i = kTier; i < 2 * kTier; ++i) lists.Set(i, lower);
  EXPECT_EQ(lists.row_count(), 2u);
  size_t stored = 0;
  for (size_t r = 0; r < lists.row_count(); ++r) stored += lists.row(r).size();
  EXPECT_EQ(stored, kTier);
  EXPECT_EQ(lists.Count(2 * kTier - 1), kTier);
}

}  // namespace
}  // namespace maestro::plays
