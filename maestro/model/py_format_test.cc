#include "maestro/model/py_format.h"

#include <cmath>

#include "gtest/gtest.h"

namespace maestro {
namespace model {
namespace {

TEST(PyFloatReprTest, MatchesPython) {
  EXPECT_EQ(PyFloatRepr(1.5), "1.5");
  EXPECT_EQ(PyFloatRepr(1.0), "1.0");
  EXPECT_EQ(PyFloatRepr(0.1), "0.1");
  EXPECT_EQ(PyFloatRepr(1e-05), "1e-05");
  EXPECT_EQ(PyFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(PyFloatRepr(1e+20), "1e+20");
  EXPECT_EQ(PyFloatRepr(1e16), "1e+16");
  EXPECT_EQ(PyFloatRepr(1e15), "1000000000000000.0");
  EXPECT_EQ(PyFloatRepr(123456789.125), "123456789.125");
  EXPECT_EQ(PyFloatRepr(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(PyFloatRepr(1.2345e+20), "1.2345e+20");
  EXPECT_EQ(PyFloatRepr(0.3), "0.3");
  EXPECT_EQ(PyFloatRepr(2.0 / 3.0), "0.6666666666666666");
  EXPECT_EQ(PyFloatRepr(-0.0), "-0.0");
  EXPECT_EQ(PyFloatRepr(INFINITY), "inf");
  EXPECT_EQ(PyFloatRepr(-INFINITY), "-inf");
  EXPECT_EQ(PyFloatRepr(NAN), "nan");
}

}  // namespace
}  // namespace model
}  // namespace maestro
