#include "maestro/template/lexer.h"

#include "gtest/gtest.h"

namespace maestro::jinja {
namespace {

TEST(LexerTest, SplitsDataAndTags) {
  auto toks = Tokenize("a {{ x }} b {% if y %}c{% endif %}", "t");
  ASSERT_TRUE(toks.ok()) << toks.status();
  std::vector<TokenType> types;
  for (const Token& t : *toks) types.push_back(t.type);
  std::vector<TokenType> want = {
      TokenType::kData,     TokenType::kVarBegin,   TokenType::kName,       TokenType::kVarEnd,
      TokenType::kData,     TokenType::kBlockBegin, TokenType::kName,       TokenType::kName,
      TokenType::kBlockEnd, TokenType::kData,       TokenType::kBlockBegin, TokenType::kName,
      TokenType::kBlockEnd, TokenType::kEof};
  EXPECT_EQ(types, want);
}

TEST(LexerTest, WhitespaceControlStripsNeighbours) {
  auto toks = Tokenize("a  \n {{- 1 -}} \n b", "t");
  ASSERT_TRUE(toks.ok());
  EXPECT_EQ((*toks)[0].text, "a");
  EXPECT_EQ((*toks)[4].text, "b");
}

TEST(LexerTest, DecodesStringsAndNumbers) {
  auto toks = Tokenize("{{ 'a\\nb' 1_000 2.5e1 }}", "t");
  ASSERT_TRUE(toks.ok());
  EXPECT_EQ((*toks)[1].text, "a\nb");
  EXPECT_EQ((*toks)[2].int_value, 1000);
  EXPECT_DOUBLE_EQ((*toks)[3].float_value, 25.0);
}

TEST(LexerTest, BracesInsideExpressionDoNotCloseTag) {
  auto toks = Tokenize("{{ {'a': {'b': 1}} }}", "t");
  ASSERT_TRUE(toks.ok()) << toks.status();
  EXPECT_EQ(toks->back().type, TokenType::kEof);
}

TEST(LexerTest, RemovesOneTrailingNewlineAndNormalizesCrLf) {
  auto toks = Tokenize("x\r\ny\n\n", "t");
  ASSERT_TRUE(toks.ok());
  EXPECT_EQ((*toks)[0].text, "x\ny\n");
}

TEST(LexerTest, ReportsLineOfUnterminatedTag) {
  auto toks = Tokenize("a\nb\n{{ x", "f.j2");
  ASSERT_FALSE(toks.ok());
  EXPECT_EQ(toks.status().message(), "f.j2:3: unexpected end of template, expected '}}'");
}

// Python ints never overflow: a literal past int64 is a big int; only one past the BigInt
// bound (about 4,300 digits) is an error.
TEST(LexerTest, IntegerLiteralBeyondInt64IsABigInt) {
  auto toks = Tokenize("{{ 99999999999999999999 }}", "t");
  ASSERT_TRUE(toks.ok()) << toks.status();
  const Token& t = (*toks)[1];
  ASSERT_TRUE(t.big_value.has_value());
  EXPECT_EQ(t.big_value->ToString(), "99999999999999999999");
  auto huge = Tokenize("{{ " + std::string(5000, '9') + " }}", "t");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("too large"), absl::string_view::npos);
}

}  // namespace
}  // namespace maestro::jinja
