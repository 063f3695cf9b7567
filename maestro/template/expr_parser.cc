#include "maestro/template/expr_parser.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"

namespace maestro::jinja::internal {

ExprPtr ExprParser::Make(ExprKind kind, int line) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = line;
  return e;
}

// Sets the height of `e` from its children (complete by now) and refuses trees
// taller than kMaxExpressionHeight: chains such as 20,000 `+ 1` terms or
// filters are parsed in a loop but would make every later walk of the tree
// recurse that deep.
absl::StatusOr<ExprPtr> ExprParser::Seal(ExprPtr e) {
  int h = 0;
  auto take = [&h](const ExprPtr& c) {
    if (c && c->height > h) h = c->height;
  };
  for (const ExprPtr& c : e->children) take(c);
  for (const ExprPtr& c : e->args.positional) take(c);
  for (const auto& kv : e->args.keyword) take(kv.second);
  take(e->args.star);
  take(e->args.star_star);
  e->height = h + 1;
  if (e->height > kMaxExpressionHeight) {
    return Error(e->line,
                 absl::StrCat("expression nested too deeply (more than ", kMaxExpressionHeight,
                              " levels of operators, filters, calls or brackets)"));
  }
  return e;
}

bool ExprParser::AtTupleEnd(bool extra_end_if) const {
  const Token& t = Cur();
  if (t.type == TokenType::kVarEnd || t.type == TokenType::kBlockEnd || t.type == TokenType::kEof)
    return true;
  if (t.type == TokenType::kOperator &&
      (t.text == ")" || t.text == "]" || t.text == "}" || t.text == "="))
    return true;
  if (extra_end_if && t.type == TokenType::kName && (t.text == "if" || t.text == "recursive"))
    return true;
  return false;
}

absl::StatusOr<ExprPtr> ExprParser::ParseTuple(bool with_condexpr, bool extra_end_if) {
  int line = Cur().line;
  std::vector<ExprPtr> items;
  bool is_tuple = false;
  bool cond = with_condexpr;
  while (true) {
    if (!items.empty()) {
      if (!IsOp(",")) break;
      Next();
      is_tuple = true;
    }
    if (AtTupleEnd(extra_end_if)) break;
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(cond));
    items.push_back(std::move(e));
  }
  if (!is_tuple) {
    if (items.empty()) {
      return Error(Cur().line, absl::StrCat("expected an expression, got ", Describe(Cur())));
    }
    return std::move(items[0]);
  }
  ExprPtr t = Make(ExprKind::kTuple, line);
  t->children = std::move(items);
  return Seal(std::move(t));
}

absl::StatusOr<ExprPtr> ExprParser::ParseExpression(bool with_condexpr) {
  if (++depth_ > 400) return Error(Cur().line, "expression nested too deeply");
  absl::StatusOr<ExprPtr> r = with_condexpr ? ParseCondExpr() : ParseOr();
  --depth_;
  return r;
}

absl::StatusOr<ExprPtr> ExprParser::ParseCondExpr() {
  MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseOr());
  while (IsName("if")) {
    int line = Cur().line;
    Next();
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr c, ParseOr());
    ExprPtr other;
    if (IsName("else")) {
      Next();
      MAESTRO_ASSIGN_OR_RETURN(other, ParseCondExpr());
    }
    ExprPtr n = Make(ExprKind::kCond, line);
    n->children.push_back(std::move(c));
    n->children.push_back(std::move(e));
    n->children.push_back(std::move(other));
    MAESTRO_ASSIGN_OR_RETURN(e, Seal(std::move(n)));
  }
  return e;
}

absl::StatusOr<ExprPtr> ExprParser::ParseOr() {
  MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseAnd());
  while (IsName("or")) {
    int line = Cur().line;
    Next();
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr r, ParseAnd());
    ExprPtr n = Make(ExprKind::kOr, line);
    n->children.push_back(std::move(e));
    n->children.push_back(std::move(r));
    MAESTRO_ASSIGN_OR_RETURN(e, Seal(std::move(n)));
  }
  return e;
}

absl::StatusOr<ExprPtr> ExprParser::ParseAnd() {
  MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseNot());
  while (IsName("and")) {
    int line = Cur().line;
    Next();
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr r, ParseNot());
    ExprPtr n = Make(ExprKind::kAnd, line);
    n->children.push_back(std::move(e));
    n->children.push_back(std::move(r));
    MAESTRO_ASSIGN_OR_RETURN(e, Seal(std::move(n)));
  }
  return e;
}

absl::StatusOr<ExprPtr> ExprParser::ParseNot() {
  if (IsName("not")) {
    int line = Cur().line;
    Next();
    if (++depth_ > 400) return Error(line, "expression nested too deeply");
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr inner, ParseNot());
    --depth_;
    ExprPtr n = Make(ExprKind::kNot, line);
    n->children.push_back(std::move(inner));
    return Seal(std::move(n));
  }
  return ParseCompare();
}

absl::StatusOr<ExprPtr> ExprParser::ParseCompare() {
  int line = Cur().line;
  MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseMath1());
  ExprPtr n;
  while (true) {
    CmpOp op;
    const Token& t = Cur();
    if (t.type == TokenType::kOperator && t.text == "==") {
      op = CmpOp::kEq;
    } else if (t.type == TokenType::kOperator && t.text == "!=") {
      op = CmpOp::kNe;
    } else if (t.type == TokenType::kOperator && t.text == "<") {
      op = CmpOp::kLt;
    } else if (t.type == TokenType::kOperator && t.text == "<=") {
      op = CmpOp::kLe;
    } else if (t.type == TokenType::kOperator && t.text == ">") {
      op = CmpOp::kGt;
    } else if (t.type == TokenType::kOperator && t.text == ">=") {
      op = CmpOp::kGe;
    } else if (IsName("in")) {
      op = CmpOp::kIn;
    } else if (IsName("not") && Peek().type == TokenType::kName && Peek().text == "in") {
      Next();
      op = CmpOp::kNotIn;
    } else {
      break;
    }
    Next();
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr r, ParseMath1());
    if (!n) {
      n = Make(ExprKind::kCompare, line);
      n->children.push_back(std::move(e));
    }
    n->cmp_ops.push_back(op);
    n->children.push_back(std::move(r));
  }
  if (!n) return e;
  return Seal(std::move(n));
}

absl::StatusOr<ExprPtr> ExprParser::MakeBinary(BinOp op, ExprPtr l, ExprPtr r, int line) {
  ExprPtr n = Make(ExprKind::kBinary, line);
  n->op = op;
  n->children.push_back(std::move(l));
  n->children.push_back(std::move(r));
  return Seal(std::move(n));
}

absl::StatusOr<ExprPtr> ExprParser::ParseMath1() {
  MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseConcat());
  while (IsOp("+") || IsOp("-")) {
    BinOp op = IsOp("+") ? BinOp::kAdd : BinOp::kSub;
    int line = Cur().line;
    Next();
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr r, ParseConcat());
    MAESTRO_ASSIGN_OR_RETURN(e, MakeBinary(op, std::move(e), std::move(r), line));
  }
  return e;
}

absl::StatusOr<ExprPtr> ExprParser::ParseConcat() {
  int line = Cur().line;
  MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseMath2());
  if (!IsOp("~")) return e;
  ExprPtr n = Make(ExprKind::kConcat, line);
  n->children.push_back(std::move(e));
  while (IsOp("~")) {
    Next();
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr r, ParseMath2());
    n->children.push_back(std::move(r));
  }
  return Seal(std::move(n));
}

absl::StatusOr<ExprPtr> ExprParser::ParseMath2() {
  MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParsePow());
  while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
    BinOp op = IsOp("*")    ? BinOp::kMul
               : IsOp("/")  ? BinOp::kDiv
               : IsOp("//") ? BinOp::kFloorDiv
                            : BinOp::kMod;
    int line = Cur().line;
    Next();
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr r, ParsePow());
    MAESTRO_ASSIGN_OR_RETURN(e, MakeBinary(op, std::move(e), std::move(r), line));
  }
  return e;
}

absl::StatusOr<ExprPtr> ExprParser::ParsePow() {
  MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseUnary(true));
  while (IsOp("**")) {
    int line = Cur().line;
    Next();
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr r, ParseUnary(true));
    MAESTRO_ASSIGN_OR_RETURN(e, MakeBinary(BinOp::kPow, std::move(e), std::move(r), line));
  }
  return e;
}

absl::StatusOr<ExprPtr> ExprParser::ParseUnary(bool with_filter) {
  int line = Cur().line;
  ExprPtr e;
  if (IsOp("-") || IsOp("+")) {
    ExprKind k = IsOp("-") ? ExprKind::kNeg : ExprKind::kPos;
    Next();
    if (++depth_ > 400) return Error(line, "expression nested too deeply");
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr inner, ParseUnary(false));
    --depth_;
    e = Make(k, line);
    e->children.push_back(std::move(inner));
    MAESTRO_ASSIGN_OR_RETURN(e, Seal(std::move(e)));
  } else {
    MAESTRO_ASSIGN_OR_RETURN(e, ParsePrimary());
  }
  MAESTRO_ASSIGN_OR_RETURN(e, ParsePostfix(std::move(e)));
  if (with_filter) {
    MAESTRO_ASSIGN_OR_RETURN(e, ParseFilterExpr(std::move(e)));
  }
  return e;
}

absl::StatusOr<ExprPtr> ExprParser::ParsePrimary() {
  const Token t = Cur();
  if (t.type == TokenType::kName) {
    Next();
    if (t.text == "true" || t.text == "True") return Literal(Value(true), t.line);
    if (t.text == "false" || t.text == "False") return Literal(Value(false), t.line);
    if (t.text == "none" || t.text == "None") return Literal(Value::None(), t.line);
    ExprPtr n = Make(ExprKind::kName, t.line);
    n->name = t.text;
    return n;
  }
  if (t.type == TokenType::kString) {
    std::string s = t.text;
    Next();
    while (Cur().type == TokenType::kString) {
      s += Cur().text;
      Next();
    }
    return Literal(Value(std::move(s)), t.line);
  }
  if (t.type == TokenType::kInt) {
    Next();
    return Literal(t.big_value ? Value::MakeInt(*t.big_value) : Value(t.int_value), t.line);
  }
  if (t.type == TokenType::kFloat) {
    Next();
    return Literal(Value(t.float_value), t.line);
  }
  if (IsOp("(")) {
    Next();
    if (IsOp(")")) {
      Next();
      return Make(ExprKind::kTuple, t.line);
    }
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseTuple(true));
    MAESTRO_RETURN_IF_ERROR(Expect(")"));
    return e;
  }
  if (IsOp("[")) {
    Next();
    ExprPtr l = Make(ExprKind::kList, t.line);
    while (!IsOp("]")) {
      if (!l->children.empty()) {
        MAESTRO_RETURN_IF_ERROR(Expect(","));
        if (IsOp("]")) break;
      }
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(true));
      l->children.push_back(std::move(e));
    }
    Next();
    return Seal(std::move(l));
  }
  if (IsOp("{")) {
    Next();
    ExprPtr d = Make(ExprKind::kDict, t.line);
    while (!IsOp("}")) {
      if (!d->children.empty()) {
        MAESTRO_RETURN_IF_ERROR(Expect(","));
        if (IsOp("}")) break;
      }
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr k, ParseExpression(true));
      MAESTRO_RETURN_IF_ERROR(Expect(":"));
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr v, ParseExpression(true));
      d->children.push_back(std::move(k));
      d->children.push_back(std::move(v));
    }
    Next();
    return Seal(std::move(d));
  }
  return Error(t.line, absl::StrCat("unexpected ", Describe(t)));
}

ExprPtr ExprParser::Literal(Value v, int line) {
  ExprPtr e = Make(ExprKind::kLiteral, line);
  e->literal = std::move(v);
  return e;
}

absl::StatusOr<ExprPtr> ExprParser::ParsePostfix(ExprPtr e) {
  while (true) {
    if (IsOp(".")) {
      int line = Cur().line;
      Next();
      ExprPtr n;
      if (Cur().type == TokenType::kName) {
        n = Make(ExprKind::kGetAttr, line);
        n->name = Cur().text;
      } else if (Cur().type == TokenType::kInt) {
        n = Make(ExprKind::kGetItem, line);
        n->children.push_back(nullptr);
        n->children.push_back(Literal(Value(Cur().int_value), line));
        n->children[0] = std::move(e);
        Next();
        MAESTRO_ASSIGN_OR_RETURN(e, Seal(std::move(n)));
        continue;
      } else {
        return Error(line, absl::StrCat("expected name or number, got ", Describe(Cur())));
      }
      Next();
      n->children.push_back(std::move(e));
      MAESTRO_ASSIGN_OR_RETURN(e, Seal(std::move(n)));
    } else if (IsOp("[")) {
      MAESTRO_ASSIGN_OR_RETURN(e, ParseSubscript(std::move(e)));
    } else if (IsOp("(")) {
      MAESTRO_ASSIGN_OR_RETURN(e, ParseCall(std::move(e)));
    } else {
      return e;
    }
  }
}

absl::StatusOr<ExprPtr> ExprParser::ParseSubscript(ExprPtr e) {
  int line = Cur().line;
  Next();  // [
  ExprPtr parts[3];
  bool is_slice = false;
  int idx = 0;
  while (!IsOp("]")) {
    if (IsOp(":")) {
      is_slice = true;
      if (++idx > 2) return Error(Cur().line, "invalid slice");
      Next();
      continue;
    }
    if (parts[idx]) return Error(Cur().line, absl::StrCat("unexpected ", Describe(Cur())));
    MAESTRO_ASSIGN_OR_RETURN(parts[idx], ParseTuple(true));
  }
  Next();
  if (!is_slice) {
    if (!parts[0]) return Error(line, "expected subscript expression");
    ExprPtr n = Make(ExprKind::kGetItem, line);
    n->children.push_back(std::move(e));
    n->children.push_back(std::move(parts[0]));
    return Seal(std::move(n));
  }
  ExprPtr n = Make(ExprKind::kSlice, line);
  n->children.push_back(std::move(e));
  for (auto& p : parts) n->children.push_back(std::move(p));
  return Seal(std::move(n));
}

absl::Status ExprParser::ParseArgs(Args* args) {
  MAESTRO_RETURN_IF_ERROR(Expect("("));
  bool first = true;
  while (!IsOp(")")) {
    if (!first) {
      MAESTRO_RETURN_IF_ERROR(Expect(","));
      if (IsOp(")")) break;
    }
    first = false;
    if (IsOp("*")) {
      Next();
      MAESTRO_ASSIGN_OR_RETURN(args->star, ParseExpression(true));
    } else if (IsOp("**")) {
      Next();
      MAESTRO_ASSIGN_OR_RETURN(args->star_star, ParseExpression(true));
    } else if (Cur().type == TokenType::kName && Peek().type == TokenType::kOperator &&
               Peek().text == "=") {
      std::string key = Cur().text;
      Next();
      Next();
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr v, ParseExpression(true));
      args->keyword.emplace_back(std::move(key), std::move(v));
    } else {
      if (!args->keyword.empty()) {
        return Error(Cur().line, "positional argument follows keyword argument");
      }
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr v, ParseExpression(true));
      args->positional.push_back(std::move(v));
    }
  }
  Next();
  return absl::OkStatus();
}

absl::StatusOr<ExprPtr> ExprParser::ParseCall(ExprPtr e) {
  ExprPtr n = Make(ExprKind::kCall, Cur().line);
  MAESTRO_RETURN_IF_ERROR(ParseArgs(&n->args));
  n->children.push_back(std::move(e));
  return Seal(std::move(n));
}

absl::StatusOr<ExprPtr> ExprParser::ParseFilter(ExprPtr e) {
  int line = Cur().line;
  MAESTRO_ASSIGN_OR_RETURN(std::string name, ExpectIdentifier());
  while (IsOp(".")) {
    Next();
    MAESTRO_ASSIGN_OR_RETURN(std::string part, ExpectIdentifier());
    name += "." + part;
  }
  if (options_.known_filter && !options_.known_filter(name)) {
    return Error(line, absl::StrCat("unknown filter '", name, "'"));
  }
  ExprPtr n = Make(ExprKind::kFilter, line);
  n->name = std::move(name);
  if (IsOp("(")) MAESTRO_RETURN_IF_ERROR(ParseArgs(&n->args));
  n->children.push_back(std::move(e));
  return Seal(std::move(n));
}

absl::StatusOr<ExprPtr> ExprParser::ParseTest(ExprPtr e) {
  int line = Cur().line;
  bool negated = false;
  if (IsName("not")) {
    negated = true;
    Next();
  }
  MAESTRO_ASSIGN_OR_RETURN(std::string name, ExpectIdentifier());
  while (IsOp(".")) {
    Next();
    MAESTRO_ASSIGN_OR_RETURN(std::string part, ExpectIdentifier());
    name += "." + part;
  }
  if (options_.known_test && !options_.known_test(name)) {
    return Error(line, absl::StrCat("unknown test '", name, "'"));
  }
  ExprPtr n = Make(ExprKind::kTest, line);
  n->name = std::move(name);
  n->negated = negated;
  if (IsOp("(")) {
    MAESTRO_RETURN_IF_ERROR(ParseArgs(&n->args));
  } else {
    const Token& t = Cur();
    bool arg_start = t.type == TokenType::kName || t.type == TokenType::kString ||
                     t.type == TokenType::kInt || t.type == TokenType::kFloat ||
                     (t.type == TokenType::kOperator && (t.text == "[" || t.text == "{"));
    if (arg_start &&
        !(t.type == TokenType::kName && (t.text == "else" || t.text == "or" || t.text == "and"))) {
      if (IsName("is")) return Error(t.line, "you cannot chain multiple tests with is");
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr a, ParsePrimary());
      MAESTRO_ASSIGN_OR_RETURN(a, ParsePostfix(std::move(a)));
      n->args.positional.push_back(std::move(a));
    }
  }
  n->children.push_back(std::move(e));
  return Seal(std::move(n));
}

absl::StatusOr<ExprPtr> ExprParser::ParseFilterExpr(ExprPtr e) {
  while (true) {
    if (IsOp("|")) {
      Next();
      MAESTRO_ASSIGN_OR_RETURN(e, ParseFilter(std::move(e)));
    } else if (IsName("is")) {
      Next();
      MAESTRO_ASSIGN_OR_RETURN(e, ParseTest(std::move(e)));
    } else if (IsOp("(")) {
      MAESTRO_ASSIGN_OR_RETURN(e, ParseCall(std::move(e)));
    } else {
      return e;
    }
  }
}

}  // namespace maestro::jinja::internal
