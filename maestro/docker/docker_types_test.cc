#include "maestro/docker/docker_types.h"

#include "gtest/gtest.h"

namespace maestro::docker {
namespace {

TEST(DockerTypesTest, CompareApiVersions) {
  EXPECT_EQ(CompareApiVersions("1.9", "1.18"), -1);
  EXPECT_EQ(CompareApiVersions("1.41", "1.41"), 0);
  EXPECT_EQ(CompareApiVersions("1.41", "1.4"), 1);
  EXPECT_EQ(CompareApiVersions("1.41", "1.41.0"), 0);
  EXPECT_EQ(CompareApiVersions("x.41", "0.41"), 0);  // unparsable parts count as 0
}

TEST(DockerTypesTest, ParseDockerTimeKeepsNanosecondsAndOffsets) {
  absl::Time t = ParseDockerTime("2026-11-25T14:32:53.123456789Z");
  EXPECT_EQ(absl::ToUnixNanos(t), int64_t{1795617173123456789});
  EXPECT_EQ(ParseDockerTime("2026-11-25T15:32:53.123456789+01:00"), t);
  EXPECT_LT(ParseDockerTime("2026-11-25T14:32:53.1Z"), ParseDockerTime("2026-11-25T14:32:53.2Z"));
}

TEST(DockerTypesTest, ParseDockerTimeNeverIsInfinitePast) {
  EXPECT_EQ(ParseDockerTime(""), absl::InfinitePast());
  EXPECT_EQ(ParseDockerTime("0001-01-01T00:00:00Z"), absl::InfinitePast());
  EXPECT_EQ(ParseDockerTime("yesterday"), absl::InfinitePast());
}

TEST(DockerTypesTest, DockerTimeParam) {
  EXPECT_EQ(DockerTimeParam(ParseDockerTime("2026-11-25T14:32:53.5Z")), "1795617173.500000000");
  EXPECT_EQ(DockerTimeParam(absl::FromUnixSeconds(7)), "7.000000000");
}

}  // namespace
}  // namespace maestro::docker
