#include "maestro/base/bigint.h"

#include "gtest/gtest.h"

namespace maestro {
namespace {

BigInt P(const std::string& s) {
  bool neg = !s.empty() && s[0] == '-';
  return *BigInt::Parse(neg ? s.substr(1) : s, 10, neg);
}

// Expected values computed with python3.
TEST(BigIntTest, ParseAndPrint) {
  EXPECT_EQ(P("12345678901234567890").ToString(), "12345678901234567890");
  EXPECT_EQ(P("-9223372036854775809").ToString(), "-9223372036854775809");
  EXPECT_EQ(BigInt::Parse("ff", 16, false)->ToString(), "255");
  EXPECT_EQ(P("18446744073709551616").ToString(16), "10000000000000000");
  EXPECT_EQ(P("-0").ToString(), "0");
  EXPECT_FALSE(BigInt::Parse("12a", 10, false).has_value());
  EXPECT_TRUE(P("9223372036854775807").FitsInt64());
  EXPECT_FALSE(P("9223372036854775808").FitsInt64());
  EXPECT_TRUE(P("-9223372036854775808").FitsInt64());
  EXPECT_EQ(P("-9223372036854775808").ToInt64(), INT64_MIN);
}

TEST(BigIntTest, Arithmetic) {
  EXPECT_EQ(BigInt::Add(P("9223372036854775807"), BigInt(1))->ToString(), "9223372036854775808");
  EXPECT_EQ(BigInt::Sub(BigInt(INT64_MIN), BigInt(1))->ToString(), "-9223372036854775809");
  EXPECT_EQ(BigInt::Mul(P("12345678901234567890"), P("-98765432109876543210"))->ToString(),
            "-1219326311370217952237463801111263526900");
  EXPECT_EQ(BigInt::Pow(BigInt(2), 100)->ToString(), "1267650600228229401496703205376");
  EXPECT_EQ(BigInt::Pow(BigInt(-3), 41)->ToString(), "-36472996377170786403");
  BigInt q, r;
  ASSERT_TRUE(
      BigInt::DivMod(P("-1267650600228229401496703205376"), P("98765432109876543210"), &q, &r));
  EXPECT_EQ(q.ToString(), "-12834962326");  // floor division
  EXPECT_EQ(r.ToString(), "13146723114757901084");
  ASSERT_TRUE(BigInt::DivMod(P("100000000000000000000"), BigInt(-7), &q, &r));
  EXPECT_EQ(q.ToString(), "-14285714285714285715");
  EXPECT_EQ(r.ToString(), "-5");
  EXPECT_FALSE(BigInt::DivMod(BigInt(1), BigInt(0), &q, &r));
  EXPECT_EQ(BigInt::Compare(P("-100000000000000000000"), BigInt(-5)), -1);
  EXPECT_EQ(BigInt::Compare(P("100000000000000000000"), P("100000000000000000000")), 0);
}

TEST(BigIntTest, Doubles) {
  EXPECT_EQ(BigInt::Pow(BigInt(2), 63)->ToDouble(), 9223372036854775808.0);
  EXPECT_EQ(P("12345678901234567890").ToDouble(), 12345678901234567890.0);
  EXPECT_EQ(BigInt::FromDouble(1e20)->ToString(), "100000000000000000000");
  EXPECT_EQ(BigInt::FromDouble(-2.5)->ToString(), "-2");
  EXPECT_FALSE(BigInt::FromDouble(1.0 / 0.0).has_value());
}

TEST(BigIntTest, SizeIsBounded) {
  EXPECT_FALSE(BigInt::Pow(BigInt(2), 20000).has_value());
  EXPECT_FALSE(BigInt::Parse(std::string(5000, '9'), 10, false).has_value());
  EXPECT_EQ(BigInt::Pow(BigInt(-1), 1u << 30)->ToString(), "1");
}

}  // namespace
}  // namespace maestro
