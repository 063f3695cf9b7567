#include "maestro/base/check.h"

#include "gtest/gtest.h"

namespace maestro {
namespace {

int Calls(int* n) { return ++*n; }

TEST(CheckTest, PassingCheckEvaluatesTheConditionOnce) {
  int n = 0;
  MAESTRO_CHECK(Calls(&n) == 1);
  MAESTRO_CHECK_MSG(Calls(&n) == 2, "second call");
  EXPECT_EQ(n, 2);
}

TEST(CheckDeathTest, FailingCheckAbortsWithFileLineAndCondition) {
  // Built with -c opt (NDEBUG): the check still fires.
  EXPECT_DEATH(MAESTRO_CHECK(1 + 1 == 3), "check_test.cc:[0-9]+: check failed: 1 \\+ 1 == 3");
  EXPECT_DEATH(MAESTRO_CHECK_MSG(false, "index out of range"),
               "check failed: false: index out of range");
}

}  // namespace
}  // namespace maestro
