// The expression half of the template parser (parser.cc holds the statements):
// a cursor over the tokens and Jinja2's expression grammar and precedence,
// building Expr trees no taller than kMaxExpressionHeight. Internal to
// maestro/template; thread-compatible.
#ifndef MAESTRO_TEMPLATE_EXPR_PARSER_H_
#define MAESTRO_TEMPLATE_EXPR_PARSER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "maestro/template/ast.h"
#include "maestro/template/lexer.h"
#include "maestro/template/parser.h"

namespace maestro::jinja::internal {

class ExprParser {
 public:
  ExprParser(std::vector<Token> tokens, const std::string& name, const ParseOptions& options)
      : toks_(std::move(tokens)), name_(name), options_(options) {}

 protected:
  const Token& Cur() const { return toks_[pos_]; }
  const Token& Peek(size_t n = 1) const {
    return toks_[pos_ + n < toks_.size() ? pos_ + n : toks_.size() - 1];
  }
  void Next() {
    if (pos_ + 1 < toks_.size()) ++pos_;
  }
  bool IsOp(const char* op) const { return Cur().type == TokenType::kOperator && Cur().text == op; }
  bool IsName(const char* n) const { return Cur().type == TokenType::kName && Cur().text == n; }

  absl::Status Error(int line, absl::string_view msg) const {
    return absl::InvalidArgumentError(absl::StrCat(name_, ":", line, ": ", msg));
  }

  static std::string Describe(const Token& t) {
    switch (t.type) {
      case TokenType::kData:
        return "template data";
      case TokenType::kVarBegin:
        return "'{{'";
      case TokenType::kVarEnd:
        return "end of print statement";
      case TokenType::kBlockBegin:
        return "'{%'";
      case TokenType::kBlockEnd:
        return "end of statement block";
      case TokenType::kName:
        return "'" + t.text + "'";
      case TokenType::kString:
        return "string";
      case TokenType::kInt:
      case TokenType::kFloat:
        return "number " + t.text;
      case TokenType::kOperator:
        return "'" + t.text + "'";
      case TokenType::kEof:
        return "end of template";
    }
    return "token";
  }

  absl::Status Expect(const char* op) {
    if (!IsOp(op)) {
      return Error(Cur().line, absl::StrCat("expected '", op, "', got ", Describe(Cur())));
    }
    Next();
    return absl::OkStatus();
  }
  absl::Status ExpectName(const char* n) {
    if (!IsName(n)) {
      return Error(Cur().line, absl::StrCat("expected '", n, "', got ", Describe(Cur())));
    }
    Next();
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> ExpectIdentifier() {
    if (Cur().type != TokenType::kName) {
      return Error(Cur().line, absl::StrCat("expected a name, got ", Describe(Cur())));
    }
    std::string n = Cur().text;
    Next();
    return n;
  }
  absl::Status ExpectBlockEnd() {
    if (Cur().type != TokenType::kBlockEnd) {
      return Error(Cur().line,
                   absl::StrCat("expected end of statement block, got ", Describe(Cur())));
    }
    Next();
    return absl::OkStatus();
  }

  // ---- expressions ----
  ExprPtr Make(ExprKind kind, int line);
  // Sets the height of `e` from its children (complete by now) and refuses
  // trees taller than kMaxExpressionHeight: chains such as 20,000 `+ 1` terms
  // or filters are parsed in a loop but would make every later walk of the tree
  // recurse that deep.
  absl::StatusOr<ExprPtr> Seal(ExprPtr e);
  bool AtTupleEnd(bool extra_end_if) const;
  absl::StatusOr<ExprPtr> ParseTuple(bool with_condexpr, bool extra_end_if = false);
  absl::StatusOr<ExprPtr> ParseExpression(bool with_condexpr);
  absl::StatusOr<ExprPtr> ParseCondExpr();
  absl::StatusOr<ExprPtr> ParseOr();
  absl::StatusOr<ExprPtr> ParseAnd();
  absl::StatusOr<ExprPtr> ParseNot();
  absl::StatusOr<ExprPtr> ParseCompare();
  absl::StatusOr<ExprPtr> MakeBinary(BinOp op, ExprPtr l, ExprPtr r, int line);
  absl::StatusOr<ExprPtr> ParseMath1();
  absl::StatusOr<ExprPtr> ParseConcat();
  absl::StatusOr<ExprPtr> ParseMath2();
  absl::StatusOr<ExprPtr> ParsePow();
  absl::StatusOr<ExprPtr> ParseUnary(bool with_filter);
  absl::StatusOr<ExprPtr> ParsePrimary();
  ExprPtr Literal(Value v, int line);
  absl::StatusOr<ExprPtr> ParsePostfix(ExprPtr e);
  absl::StatusOr<ExprPtr> ParseSubscript(ExprPtr e);
  absl::Status ParseArgs(Args* args);
  absl::StatusOr<ExprPtr> ParseCall(ExprPtr e);
  absl::StatusOr<ExprPtr> ParseFilter(ExprPtr e);
  absl::StatusOr<ExprPtr> ParseTest(ExprPtr e);
  absl::StatusOr<ExprPtr> ParseFilterExpr(ExprPtr e);

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;  // recursion of expression parsing
  const std::string& name_;
  const ParseOptions& options_;
};

}  // namespace maestro::jinja::internal

#endif  // MAESTRO_TEMPLATE_EXPR_PARSER_H_
