#include "maestro/graph/fnmatch.h"

#include "gtest/gtest.h"

namespace maestro {
namespace graph {
namespace {

TEST(FnMatchTest, PythonSemantics) {
  EXPECT_TRUE(FnMatch("webapp-a", "*-a"));
  EXPECT_FALSE(FnMatch("webapp-b", "*-a"));
  EXPECT_TRUE(FnMatch("ship2", "ship*2"));
  EXPECT_TRUE(FnMatch("zk-1", "zk-?"));
  EXPECT_FALSE(FnMatch("zk-10", "zk-?"));
  EXPECT_TRUE(FnMatch("zk-1", "zk-[12]"));
  EXPECT_FALSE(FnMatch("zk-3", "zk-[12]"));
  EXPECT_TRUE(FnMatch("zk-3", "zk-[!12]"));
  EXPECT_TRUE(FnMatch("zk-5", "zk-[1-7]"));
  EXPECT_TRUE(FnMatch("a[b", "a[b"));  // unclosed class is literal
  EXPECT_TRUE(FnMatch("a]", "a[]]"));
  EXPECT_TRUE(FnMatch("", "*"));
  EXPECT_TRUE(FnMatch("abc", "a**c"));
  EXPECT_FALSE(FnMatch("ZK-1", "zk-*"));  // case-sensitive (fnmatchcase on POSIX)
  EXPECT_TRUE(FnMatch("kafka-broker-1", "*broker*"));
}

}  // namespace
}  // namespace graph
}  // namespace maestro
