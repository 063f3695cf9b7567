#include "maestro/template/parser.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/base/status_macros.h"
#include "maestro/template/lexer.h"

namespace maestro::jinja {
namespace {

const char kBodyName[] = " body";

class Parser {
 public:
  Parser(std::vector<Token> tokens, const std::string& name, const ParseOptions& options)
      : toks_(std::move(tokens)), name_(name), options_(options) {}

  absl::StatusOr<std::shared_ptr<const Template>> Run() {
    auto tmpl = std::make_shared<Template>();
    tmpl->name = name_;
    MAESTRO_ASSIGN_OR_RETURN(tmpl->body, ParseBody({}, "", 0));
    // Checks Jinja2 makes when compiling the parsed template, in its order.
    std::set<std::string> names;
    for (const Stmt* b : blocks_) {
      if (!names.insert(b->name).second) {
        return Error(b->line, absl::StrCat("block '", b->name, "' defined twice"));
      }
    }
    if (misplaced_extends_ > 0) {
      return Error(misplaced_extends_, "cannot use extend from a non top-level scope");
    }
    tmpl->blocks = std::move(blocks_);
    tmpl->has_extends = has_extends_;
    if (has_extends_) GateOutput(&tmpl->body);
    return std::shared_ptr<const Template>(std::move(tmpl));
  }

  // See StmtKind::kGatedOutput.
  static void GateOutput(Body* body) {
    for (StmtPtr& s : *body) {
      switch (s->kind) {
        case StmtKind::kOutput:
          s->kind = StmtKind::kGatedOutput;
          break;
        case StmtKind::kPrint:
          s->kind = StmtKind::kGatedPrint;
          break;
        case StmtKind::kIf:
          for (auto& branch : s->branches) GateOutput(&branch.second);
          GateOutput(&s->else_body);
          break;
        case StmtKind::kFor:
        case StmtKind::kWith:
        case StmtKind::kFilterBlock:
          GateOutput(&s->body);
          GateOutput(&s->else_body);
          break;
        default:
          break;
      }
    }
  }

 private:
  const Token& Cur() const { return toks_[pos_]; }
  const Token& Peek(size_t n = 1) const {
    return toks_[pos_ + n < toks_.size() ? pos_ + n : toks_.size() - 1];
  }
  void Next() {
    if (pos_ + 1 < toks_.size()) ++pos_;
  }
  bool IsOp(const char* op) const {
    return Cur().type == TokenType::kOperator && Cur().text == op;
  }
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

  // Parses statements until a `{% <end> %}` tag whose name is in `ends` (left unconsumed:
  // current token is then that name). `block`/`open_line` describe the enclosing block.
  absl::StatusOr<Body> ParseBody(const std::set<std::string>& ends, const std::string& block,
                                 int open_line) {
    Body body;
    while (true) {
      const Token& t = Cur();
      if (t.type == TokenType::kEof) {
        if (ends.empty()) return body;
        std::vector<std::string> quoted;
        for (const auto& e : ends) quoted.push_back("'" + e + "'");
        return Error(t.line, absl::StrCat("unexpected end of template, expected ",
                                          absl::StrJoin(quoted, " or "), " (in '", block,
                                          "' block opened at line ", open_line, ")"));
      }
      if (t.type == TokenType::kData) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::kOutput;
        s->line = t.line;
        s->text = t.text;
        body.push_back(std::move(s));
        Next();
        continue;
      }
      if (t.type == TokenType::kVarBegin) {
        Next();
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::kPrint;
        s->line = t.line;
        MAESTRO_ASSIGN_OR_RETURN(s->expr, ParseTuple(true));
        if (Cur().type != TokenType::kVarEnd) {
          return Error(Cur().line,
                       absl::StrCat("expected end of print statement, got ", Describe(Cur())));
        }
        Next();
        body.push_back(std::move(s));
        continue;
      }
      if (t.type == TokenType::kBlockBegin) {
        Next();
        if (Cur().type != TokenType::kName) {
          return Error(Cur().line, "tag name expected");
        }
        if (ends.count(Cur().text)) return body;
        MAESTRO_ASSIGN_OR_RETURN(StmtPtr s, ParseStatement(ends, block, open_line));
        if (s) body.push_back(std::move(s));
        continue;
      }
      return Error(t.line, absl::StrCat("unexpected ", Describe(t)));
    }
  }

  absl::StatusOr<StmtPtr> ParseStatement(const std::set<std::string>& ends,
                                         const std::string& block, int open_line) {
    const std::string tag = Cur().text;
    int line = Cur().line;
    auto s = std::make_unique<Stmt>();
    s->line = line;
    const bool toplevel = toplevel_;
    s->toplevel = toplevel;
    // Only if/elif/else keep the top-level frame (Jinja2's soft frames).
    toplevel_ = toplevel && tag == "if";
    absl::StatusOr<StmtPtr> r = ParseTag(tag, std::move(s), ends, block, open_line);
    toplevel_ = toplevel;
    return r;
  }

  absl::StatusOr<StmtPtr> ParseTag(const std::string& tag, StmtPtr s,
                                   const std::set<std::string>& ends, const std::string& block,
                                   int open_line) {
    const int line = s->line;
    static const std::set<std::string> kKnownTags = {
        "if",   "for",  "set",    "macro", "call",   "include",
        "import", "from", "with", "filter", "block", "extends"};
    if (!kKnownTags.count(tag)) {
      std::string msg = absl::StrCat("encountered unknown tag '", tag, "'");
      if (!block.empty()) {
        std::vector<std::string> quoted;
        for (const auto& e : ends) quoted.push_back("'" + e + "'");
        absl::StrAppend(&msg, ", expected ", absl::StrJoin(quoted, " or "), " (in '", block,
                        "' block opened at line ", open_line, ")");
      }
      // Tags of Jinja2 extensions, which MaestroNG never loads.
      if (tag == "break" || tag == "continue") {
        absl::StrAppend(&msg, "; break and continue need Jinja2's loopcontrols extension, "
                              "which MaestroNG does not enable");
      } else if (tag == "do") {
        absl::StrAppend(&msg, "; do needs Jinja2's do extension, which MaestroNG does not "
                              "enable");
      }
      return Error(line, msg);
    }
    Next();
    if (tag == "if") return ParseIf(std::move(s));
    if (tag == "for") return ParseFor(std::move(s));
    if (tag == "set") return ParseSet(std::move(s));
    if (tag == "macro") return ParseMacro(std::move(s));
    if (tag == "call") return ParseCallBlock(std::move(s));
    if (tag == "include") return ParseInclude(std::move(s));
    if (tag == "import") return ParseImport(std::move(s));
    if (tag == "from") return ParseFromImport(std::move(s));
    if (tag == "with") return ParseWith(std::move(s));
    if (tag == "filter") return ParseFilterBlock(std::move(s));
    if (tag == "block") return ParseBlock(std::move(s));
    return ParseExtends(std::move(s));
  }

  // Consumes `{% <name> %}` after ParseBody stopped at it (current token is the name).
  absl::Status EndTag() {
    Next();
    return ExpectBlockEnd();
  }

  absl::StatusOr<StmtPtr> ParseIf(StmtPtr s) {
    s->kind = StmtKind::kIf;
    int open = s->line;
    while (true) {
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr cond, ParseTuple(false));
      MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
      MAESTRO_ASSIGN_OR_RETURN(Body body, ParseBody({"elif", "else", "endif"}, "if", open));
      s->branches.emplace_back(std::move(cond), std::move(body));
      std::string t = Cur().text;
      Next();
      if (t == "elif") continue;
      MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
      if (t == "else") {
        MAESTRO_ASSIGN_OR_RETURN(s->else_body, ParseBody({"endif"}, "if", open));
        MAESTRO_RETURN_IF_ERROR(EndTag());
      }
      return s;
    }
  }

  absl::StatusOr<StmtPtr> ParseFor(StmtPtr s) {
    s->kind = StmtKind::kFor;
    MAESTRO_ASSIGN_OR_RETURN(s->target, ParseAssignTarget(false));
    MAESTRO_RETURN_IF_ERROR(ExpectName("in"));
    MAESTRO_ASSIGN_OR_RETURN(s->expr, ParseTuple(false, /*extra_end_if=*/true));
    if (IsName("if")) {
      Next();
      MAESTRO_ASSIGN_OR_RETURN(s->cond, ParseExpression(true));
    }
    if (IsName("recursive")) {
      s->recursive = true;
      Next();
    }
    MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
    MAESTRO_ASSIGN_OR_RETURN(s->body, ParseBody({"endfor", "else"}, "for", s->line));
    if (Cur().text == "else") {
      Next();
      MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
      MAESTRO_ASSIGN_OR_RETURN(s->else_body, ParseBody({"endfor"}, "for", s->line));
    }
    MAESTRO_RETURN_IF_ERROR(EndTag());
    return s;
  }

  absl::StatusOr<StmtPtr> ParseSet(StmtPtr s) {
    MAESTRO_ASSIGN_OR_RETURN(s->target, ParseAssignTarget(true));
    if (IsOp("=")) {
      Next();
      s->kind = StmtKind::kSet;
      MAESTRO_ASSIGN_OR_RETURN(s->expr, ParseTuple(true));
      MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    s->kind = StmtKind::kSetBlock;
    if (IsOp("|")) {
      MAESTRO_ASSIGN_OR_RETURN(s->filter, ParseFilterChainOnBody());
    }
    MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
    MAESTRO_ASSIGN_OR_RETURN(s->body, ParseBody({"endset"}, "set", s->line));
    MAESTRO_RETURN_IF_ERROR(EndTag());
    return s;
  }

  absl::StatusOr<ExprPtr> ParseFilterChainOnBody() {
    auto base = std::make_unique<Expr>();
    base->kind = ExprKind::kName;
    base->name = kBodyName;
    base->line = Cur().line;
    ExprPtr e = std::move(base);
    while (IsOp("|")) {
      Next();
      MAESTRO_ASSIGN_OR_RETURN(e, ParseFilter(std::move(e)));
    }
    return e;
  }

  absl::Status ParseSignature(Stmt* s) {
    MAESTRO_RETURN_IF_ERROR(Expect("("));
    while (!IsOp(")")) {
      if (!s->params.empty()) MAESTRO_RETURN_IF_ERROR(Expect(","));
      if (IsOp(")")) break;
      MAESTRO_ASSIGN_OR_RETURN(std::string p, ExpectIdentifier());
      ExprPtr def;
      if (IsOp("=")) {
        Next();
        MAESTRO_ASSIGN_OR_RETURN(def, ParseExpression(true));
      } else if (!s->defaults.empty() && s->defaults.back()) {
        return Error(Cur().line, "non-default argument follows default argument");
      }
      s->params.push_back(std::move(p));
      s->defaults.push_back(std::move(def));
    }
    Next();
    return absl::OkStatus();
  }

  static void ScanNames(const Expr* e, Stmt* s) {
    if (!e) return;
    if (e->kind == ExprKind::kName) {
      if (e->name == "caller") s->uses_caller = true;
      if (e->name == "varargs") s->uses_varargs = true;
      if (e->name == "kwargs") s->uses_kwargs = true;
    }
    for (const auto& c : e->children) ScanNames(c.get(), s);
    for (const auto& c : e->args.positional) ScanNames(c.get(), s);
    for (const auto& c : e->args.keyword) ScanNames(c.second.get(), s);
    ScanNames(e->args.star.get(), s);
    ScanNames(e->args.star_star.get(), s);
  }
  static void ScanBody(const Body& body, Stmt* s) {
    for (const auto& st : body) {
      ScanNames(st->expr.get(), s);
      ScanNames(st->cond.get(), s);
      ScanNames(st->filter.get(), s);
      for (const auto& b : st->branches) {
        ScanNames(b.first.get(), s);
        ScanBody(b.second, s);
      }
      for (const auto& d : st->defaults) ScanNames(d.get(), s);
      for (const auto& a : st->assignments) ScanNames(a.second.get(), s);
      ScanBody(st->body, s);
      ScanBody(st->else_body, s);
    }
  }

  absl::StatusOr<StmtPtr> ParseMacro(StmtPtr s) {
    s->kind = StmtKind::kMacro;
    MAESTRO_ASSIGN_OR_RETURN(s->name, ExpectIdentifier());
    MAESTRO_RETURN_IF_ERROR(ParseSignature(s.get()));
    MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
    MAESTRO_ASSIGN_OR_RETURN(s->body, ParseBody({"endmacro"}, "macro", s->line));
    MAESTRO_RETURN_IF_ERROR(EndTag());
    ScanBody(s->body, s.get());
    return s;
  }

  absl::StatusOr<StmtPtr> ParseCallBlock(StmtPtr s) {
    s->kind = StmtKind::kCallBlock;
    if (IsOp("(")) MAESTRO_RETURN_IF_ERROR(ParseSignature(s.get()));
    int line = Cur().line;
    MAESTRO_ASSIGN_OR_RETURN(s->expr, ParseExpression(true));
    if (s->expr->kind != ExprKind::kCall) return Error(line, "expected call");
    MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
    MAESTRO_ASSIGN_OR_RETURN(s->body, ParseBody({"endcall"}, "call", s->line));
    MAESTRO_RETURN_IF_ERROR(EndTag());
    ScanBody(s->body, s.get());
    return s;
  }

  absl::Status ParseContextModifier(Stmt* s, bool default_context) {
    s->with_context = default_context;
    if ((IsName("with") || IsName("without")) && Peek().type == TokenType::kName &&
        Peek().text == "context") {
      s->with_context = IsName("with");
      Next();
      Next();
    }
    return absl::OkStatus();
  }

  absl::StatusOr<StmtPtr> ParseInclude(StmtPtr s) {
    s->kind = StmtKind::kInclude;
    MAESTRO_ASSIGN_OR_RETURN(s->expr, ParseExpression(true));
    if (IsName("ignore") && Peek().type == TokenType::kName && Peek().text == "missing") {
      s->ignore_missing = true;
      Next();
      Next();
    }
    MAESTRO_RETURN_IF_ERROR(ParseContextModifier(s.get(), true));
    MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  absl::StatusOr<StmtPtr> ParseImport(StmtPtr s) {
    s->kind = StmtKind::kImport;
    MAESTRO_ASSIGN_OR_RETURN(s->expr, ParseExpression(true));
    MAESTRO_RETURN_IF_ERROR(ExpectName("as"));
    MAESTRO_ASSIGN_OR_RETURN(s->name, ExpectIdentifier());
    MAESTRO_RETURN_IF_ERROR(ParseContextModifier(s.get(), false));
    MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  absl::StatusOr<StmtPtr> ParseFromImport(StmtPtr s) {
    s->kind = StmtKind::kFromImport;
    MAESTRO_ASSIGN_OR_RETURN(s->expr, ParseExpression(true));
    MAESTRO_RETURN_IF_ERROR(ExpectName("import"));
    s->with_context = false;
    while (true) {
      if ((IsName("with") || IsName("without")) && Peek().type == TokenType::kName &&
          Peek().text == "context") {
        MAESTRO_RETURN_IF_ERROR(ParseContextModifier(s.get(), false));
        break;
      }
      MAESTRO_ASSIGN_OR_RETURN(std::string n, ExpectIdentifier());
      std::string alias = n;
      if (IsName("as")) {
        Next();
        MAESTRO_ASSIGN_OR_RETURN(alias, ExpectIdentifier());
      }
      s->names.emplace_back(std::move(n), std::move(alias));
      if (!IsOp(",")) {
        MAESTRO_RETURN_IF_ERROR(ParseContextModifier(s.get(), false));
        break;
      }
      Next();
    }
    MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  absl::StatusOr<StmtPtr> ParseWith(StmtPtr s) {
    s->kind = StmtKind::kWith;
    while (Cur().type != TokenType::kBlockEnd) {
      if (!s->assignments.empty()) MAESTRO_RETURN_IF_ERROR(Expect(","));
      MAESTRO_ASSIGN_OR_RETURN(Target t, ParseAssignTarget(false));
      MAESTRO_RETURN_IF_ERROR(Expect("="));
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(true));
      s->assignments.emplace_back(std::move(t), std::move(e));
    }
    Next();
    MAESTRO_ASSIGN_OR_RETURN(s->body, ParseBody({"endwith"}, "with", s->line));
    MAESTRO_RETURN_IF_ERROR(EndTag());
    return s;
  }

  absl::StatusOr<StmtPtr> ParseFilterBlock(StmtPtr s) {
    s->kind = StmtKind::kFilterBlock;
    auto base = std::make_unique<Expr>();
    base->kind = ExprKind::kName;
    base->name = kBodyName;
    base->line = s->line;
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseFilter(std::move(base)));
    while (IsOp("|")) {
      Next();
      MAESTRO_ASSIGN_OR_RETURN(e, ParseFilter(std::move(e)));
    }
    s->filter = std::move(e);
    MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
    MAESTRO_ASSIGN_OR_RETURN(s->body, ParseBody({"endfilter"}, "filter", s->line));
    MAESTRO_RETURN_IF_ERROR(EndTag());
    return s;
  }

  absl::StatusOr<StmtPtr> ParseBlock(StmtPtr s) {
    s->kind = StmtKind::kBlock;
    MAESTRO_ASSIGN_OR_RETURN(s->name, ExpectIdentifier());
    if (IsName("scoped")) {
      s->scoped = true;
      Next();
    }
    if (IsName("required")) {
      s->required = true;
      Next();
    }
    if (IsOp("-")) {
      return Error(Cur().line,
                   "block names have to be valid Python identifiers and may not contain "
                   "hyphens, use an underscore instead");
    }
    MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
    blocks_.push_back(s.get());
    MAESTRO_ASSIGN_OR_RETURN(s->body, ParseBody({"endblock"}, "block", s->line));
    if (s->required) {
      for (const StmtPtr& st : s->body) {
        if (st->kind != StmtKind::kOutput ||
            st->text.find_first_not_of(" \t\n\r\f\v") != std::string::npos) {
          return Error(st->line, "required blocks can only contain comments or whitespace");
        }
      }
    }
    Next();  // endblock
    if (Cur().type == TokenType::kName && Cur().text == s->name) Next();
    MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  absl::StatusOr<StmtPtr> ParseExtends(StmtPtr s) {
    s->kind = StmtKind::kExtends;
    MAESTRO_ASSIGN_OR_RETURN(s->expr, ParseExpression(true));
    MAESTRO_RETURN_IF_ERROR(ExpectBlockEnd());
    has_extends_ = true;
    if (!s->toplevel && misplaced_extends_ == 0) misplaced_extends_ = s->line;
    return s;
  }

  // name | name.attr (if allow_attr) | a, b | (a, b)
  absl::StatusOr<Target> ParseAssignTarget(bool allow_attr) {
    std::vector<Target> items;
    bool tuple = false;
    while (true) {
      Target t;
      if (IsOp("(")) {
        Next();
        MAESTRO_ASSIGN_OR_RETURN(t, ParseAssignTarget(false));
        MAESTRO_RETURN_IF_ERROR(Expect(")"));
      } else {
        MAESTRO_ASSIGN_OR_RETURN(t.name, ExpectIdentifier());
        if (allow_attr && IsOp(".")) {
          Next();
          t.kind = Target::Kind::kAttr;
          MAESTRO_ASSIGN_OR_RETURN(t.attr, ExpectIdentifier());
        }
      }
      items.push_back(std::move(t));
      if (!IsOp(",")) break;
      tuple = true;
      Next();
      if (Cur().type != TokenType::kName && !IsOp("(")) break;
    }
    if (!tuple) return std::move(items[0]);
    Target t;
    t.kind = Target::Kind::kTuple;
    t.items = std::move(items);
    return t;
  }

  // ---- expressions ----
  ExprPtr Make(ExprKind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
  }

  bool AtTupleEnd(bool extra_end_if) const {
    const Token& t = Cur();
    if (t.type == TokenType::kVarEnd || t.type == TokenType::kBlockEnd ||
        t.type == TokenType::kEof)
      return true;
    if (t.type == TokenType::kOperator && (t.text == ")" || t.text == "]" || t.text == "}" ||
                                           t.text == "="))
      return true;
    if (extra_end_if && t.type == TokenType::kName && (t.text == "if" || t.text == "recursive"))
      return true;
    return false;
  }

  absl::StatusOr<ExprPtr> ParseTuple(bool with_condexpr, bool extra_end_if = false) {
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
    return t;
  }

  absl::StatusOr<ExprPtr> ParseExpression(bool with_condexpr) {
    if (++depth_ > 400) return Error(Cur().line, "expression nested too deeply");
    absl::StatusOr<ExprPtr> r = with_condexpr ? ParseCondExpr() : ParseOr();
    --depth_;
    return r;
  }

  absl::StatusOr<ExprPtr> ParseCondExpr() {
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
      e = std::move(n);
    }
    return e;
  }

  absl::StatusOr<ExprPtr> ParseOr() {
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseAnd());
    while (IsName("or")) {
      int line = Cur().line;
      Next();
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr r, ParseAnd());
      ExprPtr n = Make(ExprKind::kOr, line);
      n->children.push_back(std::move(e));
      n->children.push_back(std::move(r));
      e = std::move(n);
    }
    return e;
  }

  absl::StatusOr<ExprPtr> ParseAnd() {
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseNot());
    while (IsName("and")) {
      int line = Cur().line;
      Next();
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr r, ParseNot());
      ExprPtr n = Make(ExprKind::kAnd, line);
      n->children.push_back(std::move(e));
      n->children.push_back(std::move(r));
      e = std::move(n);
    }
    return e;
  }

  absl::StatusOr<ExprPtr> ParseNot() {
    if (IsName("not")) {
      int line = Cur().line;
      Next();
      if (++depth_ > 400) return Error(line, "expression nested too deeply");
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr inner, ParseNot());
      --depth_;
      ExprPtr n = Make(ExprKind::kNot, line);
      n->children.push_back(std::move(inner));
      return n;
    }
    return ParseCompare();
  }

  absl::StatusOr<ExprPtr> ParseCompare() {
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
    return n ? std::move(n) : std::move(e);
  }

  ExprPtr MakeBinary(BinOp op, ExprPtr l, ExprPtr r, int line) {
    ExprPtr n = Make(ExprKind::kBinary, line);
    n->op = op;
    n->children.push_back(std::move(l));
    n->children.push_back(std::move(r));
    return n;
  }

  absl::StatusOr<ExprPtr> ParseMath1() {
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseConcat());
    while (IsOp("+") || IsOp("-")) {
      BinOp op = IsOp("+") ? BinOp::kAdd : BinOp::kSub;
      int line = Cur().line;
      Next();
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr r, ParseConcat());
      e = MakeBinary(op, std::move(e), std::move(r), line);
    }
    return e;
  }

  absl::StatusOr<ExprPtr> ParseConcat() {
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
    return n;
  }

  absl::StatusOr<ExprPtr> ParseMath2() {
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParsePow());
    while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
      BinOp op = IsOp("*")    ? BinOp::kMul
                 : IsOp("/")  ? BinOp::kDiv
                 : IsOp("//") ? BinOp::kFloorDiv
                              : BinOp::kMod;
      int line = Cur().line;
      Next();
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr r, ParsePow());
      e = MakeBinary(op, std::move(e), std::move(r), line);
    }
    return e;
  }

  absl::StatusOr<ExprPtr> ParsePow() {
    MAESTRO_ASSIGN_OR_RETURN(ExprPtr e, ParseUnary(true));
    while (IsOp("**")) {
      int line = Cur().line;
      Next();
      MAESTRO_ASSIGN_OR_RETURN(ExprPtr r, ParseUnary(true));
      e = MakeBinary(BinOp::kPow, std::move(e), std::move(r), line);
    }
    return e;
  }

  absl::StatusOr<ExprPtr> ParseUnary(bool with_filter) {
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
    } else {
      MAESTRO_ASSIGN_OR_RETURN(e, ParsePrimary());
    }
    MAESTRO_ASSIGN_OR_RETURN(e, ParsePostfix(std::move(e)));
    if (with_filter) {
      MAESTRO_ASSIGN_OR_RETURN(e, ParseFilterExpr(std::move(e)));
    }
    return e;
  }

  absl::StatusOr<ExprPtr> ParsePrimary() {
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
      return l;
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
      return d;
    }
    return Error(t.line, absl::StrCat("unexpected ", Describe(t)));
  }

  ExprPtr Literal(Value v, int line) {
    ExprPtr e = Make(ExprKind::kLiteral, line);
    e->literal = std::move(v);
    return e;
  }

  absl::StatusOr<ExprPtr> ParsePostfix(ExprPtr e) {
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
          e = std::move(n);
          continue;
        } else {
          return Error(line, absl::StrCat("expected name or number, got ", Describe(Cur())));
        }
        Next();
        n->children.push_back(std::move(e));
        e = std::move(n);
      } else if (IsOp("[")) {
        MAESTRO_ASSIGN_OR_RETURN(e, ParseSubscript(std::move(e)));
      } else if (IsOp("(")) {
        MAESTRO_ASSIGN_OR_RETURN(e, ParseCall(std::move(e)));
      } else {
        return e;
      }
    }
  }

  absl::StatusOr<ExprPtr> ParseSubscript(ExprPtr e) {
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
      return n;
    }
    ExprPtr n = Make(ExprKind::kSlice, line);
    n->children.push_back(std::move(e));
    for (auto& p : parts) n->children.push_back(std::move(p));
    return n;
  }

  absl::Status ParseArgs(Args* args) {
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

  absl::StatusOr<ExprPtr> ParseCall(ExprPtr e) {
    ExprPtr n = Make(ExprKind::kCall, Cur().line);
    MAESTRO_RETURN_IF_ERROR(ParseArgs(&n->args));
    n->children.push_back(std::move(e));
    return n;
  }

  absl::StatusOr<ExprPtr> ParseFilter(ExprPtr e) {
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
    return n;
  }

  absl::StatusOr<ExprPtr> ParseTest(ExprPtr e) {
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
      if (arg_start && !(t.type == TokenType::kName &&
                         (t.text == "else" || t.text == "or" || t.text == "and"))) {
        if (IsName("is")) return Error(t.line, "you cannot chain multiple tests with is");
        MAESTRO_ASSIGN_OR_RETURN(ExprPtr a, ParsePrimary());
        MAESTRO_ASSIGN_OR_RETURN(a, ParsePostfix(std::move(a)));
        n->args.positional.push_back(std::move(a));
      }
    }
    n->children.push_back(std::move(e));
    return n;
  }

  absl::StatusOr<ExprPtr> ParseFilterExpr(ExprPtr e) {
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

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  bool toplevel_ = true;           // see Stmt::toplevel
  std::vector<const Stmt*> blocks_;  // in source order
  bool has_extends_ = false;
  int misplaced_extends_ = 0;      // line of the first extends outside the top level
  const std::string& name_;
  const ParseOptions& options_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const Template>> ParseTemplate(absl::string_view source,
                                                              const std::string& name,
                                                              const ParseOptions& options) {
  MAESTRO_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(source, name));
  Parser parser(std::move(tokens), name, options);
  return parser.Run();
}

}  // namespace maestro::jinja
