#include "maestro/template/parser.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/base/status_macros.h"
#include "maestro/template/expr_parser.h"
#include "maestro/template/lexer.h"

namespace maestro::jinja {
namespace {

const char kBodyName[] = " body";

class Parser : public internal::ExprParser {
 public:
  Parser(std::vector<Token> tokens, const std::string& name, const ParseOptions& options)
      : ExprParser(std::move(tokens), name, options) {}

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
    if (nesting_ >= kMaxStatementNesting) {
      return Error(line, absl::StrCat("blocks nested too deeply (more than ", kMaxStatementNesting,
                                      " levels)"));
    }
    const bool toplevel = toplevel_;
    s->toplevel = toplevel;
    // Only if/elif/else keep the top-level frame (Jinja2's soft frames).
    toplevel_ = toplevel && tag == "if";
    ++nesting_;
    absl::StatusOr<StmtPtr> r = ParseTag(tag, std::move(s), ends, block, open_line);
    --nesting_;
    toplevel_ = toplevel;
    return r;
  }

  absl::StatusOr<StmtPtr> ParseTag(const std::string& tag, StmtPtr s,
                                   const std::set<std::string>& ends, const std::string& block,
                                   int open_line) {
    const int line = s->line;
    static const std::set<std::string> kKnownTags = {"if",   "for",     "set",    "macro",
                                                     "call", "include", "import", "from",
                                                     "with", "filter",  "block",  "extends"};
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
        absl::StrAppend(&msg,
                        "; break and continue need Jinja2's loopcontrols extension, "
                        "which MaestroNG does not enable");
      } else if (tag == "do") {
        absl::StrAppend(&msg,
                        "; do needs Jinja2's do extension, which MaestroNG does not "
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
        if (++depth_ > 400) return Error(Cur().line, "assignment target nested too deeply");
        MAESTRO_ASSIGN_OR_RETURN(t, ParseAssignTarget(false));
        --depth_;
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

  int nesting_ = 0;                  // statements being parsed, one inside the other
  bool toplevel_ = true;             // see Stmt::toplevel
  std::vector<const Stmt*> blocks_;  // in source order
  bool has_extends_ = false;
  int misplaced_extends_ = 0;  // line of the first extends outside the top level
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
