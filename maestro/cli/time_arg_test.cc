#include "maestro/cli/time_arg.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace maestro::cli {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'764'817'200);  // 2025-12-04T03:00:00Z

absl::Time Parse(absl::string_view text) {
  absl::StatusOr<absl::Time> t = ParseTimeArgument("--since", text, kNow, absl::UTCTimeZone());
  EXPECT_TRUE(t.ok()) << t.status();
  return t.value_or(absl::InfinitePast());
}

TEST(TimeArgTest, Forms) {
  EXPECT_EQ(Parse("2025-12-04T03:00:00Z"), kNow);
  EXPECT_EQ(Parse("2025-12-04T04:00:00+01:00"), kNow);
  EXPECT_EQ(Parse("2025-12-04T03:00:00.5Z"), kNow + absl::Milliseconds(500));
  EXPECT_EQ(Parse("2025-12-04T03:00:00"), kNow);
  EXPECT_EQ(Parse("2025-12-04"), kNow - absl::Hours(3));
  EXPECT_EQ(Parse("1764817200"), kNow);
  EXPECT_EQ(Parse("1764817200.25"), kNow + absl::Milliseconds(250));
  EXPECT_EQ(Parse("10m"), kNow - absl::Minutes(10));
  EXPECT_EQ(Parse("1h30m"), kNow - absl::Minutes(90));
}

// Docker reads a time without an offset in the local zone; so do `events` and `logs`.
TEST(TimeArgTest, NoOffsetIsReadInTheGivenZone) {
  const absl::TimeZone plus_one = absl::FixedTimeZone(3600);
  EXPECT_EQ(*ParseTimeArgument("--since", "2025-12-04T04:00:00", kNow, plus_one), kNow);
  EXPECT_EQ(*ParseTimeArgument("--since", "2025-12-04T04:00", kNow, plus_one), kNow);
  EXPECT_EQ(*ParseTimeArgument("--since", "2025-12-04", kNow, plus_one), kNow - absl::Hours(4));
  // An explicit offset or Unix seconds do not depend on the zone.
  EXPECT_EQ(*ParseTimeArgument("--since", "2025-12-04T03:00:00Z", kNow, plus_one), kNow);
  EXPECT_EQ(*ParseTimeArgument("--since", "1764817200", kNow, plus_one), kNow);
}

TEST(TimeArgTest, GarbageNamesTheFlag) {
  for (const char* bad :
       {"", "yesterday", "-5m", "12abc", "1764817200.x", "inf", "10 minutes", "2025-13-40"}) {
    absl::StatusOr<absl::Time> t = ParseTimeArgument("--until", bad, kNow);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(t.status().message()), ::testing::StartsWith("--until: \""));
  }
}

}  // namespace
}  // namespace maestro::cli
