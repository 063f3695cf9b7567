#include "maestro/docker/short_id.h"

#include "gtest/gtest.h"

namespace maestro::docker {
namespace {

TEST(ShortIdTest, DockersAndMaestroNGsForms) {
  EXPECT_EQ(ShortId("0123456789abcdef0123"), "0123456789ab");  // docker ps
  EXPECT_EQ(ShortId("sha256:0123456789abcdef0123"), "0123456789ab");
  EXPECT_EQ(ShortId("0123456789abcdef", kMaestroShortIdLength), "0123456");  // MaestroNG
  EXPECT_EQ(ShortId("abc"), "abc");
  EXPECT_EQ(ShortId(""), "");
  EXPECT_EQ(ShortId("sha256:"), "");
  EXPECT_EQ(ShortId("", kMaestroShortIdLength, "-"), "-");
}

}  // namespace
}  // namespace maestro::docker
