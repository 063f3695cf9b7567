// AST of a parsed template: expressions (Expr) and statements (Stmt).
//
// Produced by the parser, immutable afterwards, walked by the renderer. A Template owns its
// whole tree; nodes refer to children through unique_ptr.
#ifndef MAESTRO_TEMPLATE_AST_H_
#define MAESTRO_TEMPLATE_AST_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "maestro/template/value.h"

namespace maestro::jinja {

// Static limits of the parser, which keep every recursive walk of a tree (parsing, rendering,
// destruction) far from the end of the stack. Jinja2 itself stops much earlier (Python's
// recursion and indentation limits: about 490 chained `+ 1` terms, 98 nested `if` blocks).
inline constexpr int kMaxExpressionHeight = 1000;  // chained operators/filters/calls, nesting
inline constexpr int kMaxStatementNesting = 200;   // blocks inside blocks
// And of the renderer: lists/tuples/dicts an expression creates may nest this deep (Python's
// repr() of such a value stops near 1000 levels with RecursionError).
inline constexpr int kMaxValueNesting = 500;

enum class ExprKind {
  kLiteral,
  kName,
  kGetAttr,  // children[0].name
  kGetItem,  // children[0][children[1]]
  kSlice,    // children[0][children[1]:children[2]:children[3]] (null parts allowed)
  kNeg,
  kPos,
  kNot,
  kBinary,  // op
  kAnd,
  kOr,
  kCompare,  // children[0] cmp_ops[i] children[i+1]
  kConcat,   // children joined with ~
  kCond,     // children[1] if children[0] else children[2] (children[2] may be null)
  kFilter,   // children[0]|name(args)
  kTest,     // children[0] is [not] name(args)
  kCall,     // children[0](args)
  kList,
  kTuple,
  kDict,  // children: key, value, key, value...
};

enum class BinOp { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow };
enum class CmpOp { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Args {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
  ExprPtr star;       // *args
  ExprPtr star_star;  // **kwargs
};

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  int line = 0;
  int height = 1;  // levels of this subtree (1 for a leaf); at most kMaxExpressionHeight
  Value literal;
  std::string name;
  BinOp op = BinOp::kAdd;
  bool negated = false;
  std::vector<CmpOp> cmp_ops;
  std::vector<ExprPtr> children;
  Args args;
};

// Assignment target: a name, `ns.attr`, or a tuple of targets.
struct Target {
  enum class Kind { kName, kAttr, kTuple } kind = Kind::kName;
  std::string name;
  std::string attr;
  std::vector<Target> items;
};

enum class StmtKind {
  kOutput,       // text
  kPrint,        // expr
  kIf,           // branches, else_body
  kFor,          // target in expr [if cond] body else_body
  kSet,          // target = expr
  kSetBlock,     // target, body, optional filter expr applied to " body"
  kMacro,        // name, params, defaults, body
  kCallBlock,    // expr (the call), params/defaults (caller's), body
  kInclude,      // expr, ignore_missing, with_context
  kImport,       // expr as name
  kFromImport,   // from expr import names
  kWith,         // assignments, body
  kFilterBlock,  // filter (expr on " body"), body
  kBlock,        // name, body, scoped, required, toplevel
  kExtends,      // expr (the parent template's name)
  // kOutput / kPrint of a template with `extends`, where Jinja2 drops them once the template
  // has extended another: in the root body and its if/for/with/filter bodies (not in macros,
  // call or set blocks, blocks). Templates without `extends` never pay for the check.
  kGatedOutput,
  kGatedPrint,
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  StmtKind kind = StmtKind::kOutput;
  int line = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr cond;
  ExprPtr filter;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  Target target;
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // same size as params; null = required
  bool uses_caller = false;
  bool uses_varargs = false;
  bool uses_kwargs = false;
  bool ignore_missing = false;
  bool with_context = false;
  bool recursive = false;  // for ... recursive
  bool scoped = false;     // block
  bool required = false;   // block
  // The statement sits in the template's top-level frame: the root body, possibly inside
  // if/elif/else (Jinja2's `frame.toplevel`). A top-level block is not rendered once the
  // template has extended another; `extends` is only allowed there.
  bool toplevel = false;
  std::vector<std::pair<std::string, std::string>> names;  // from-import: name, alias
  std::vector<std::pair<Target, ExprPtr>> assignments;     // with
};

struct Template {
  std::string name;
  Body body;
  // Every block of the template (nested ones too) in source order, names unique; the
  // statements are owned by `body`.
  std::vector<const Stmt*> blocks;
  bool has_extends = false;
};

}  // namespace maestro::jinja

#endif  // MAESTRO_TEMPLATE_AST_H_
