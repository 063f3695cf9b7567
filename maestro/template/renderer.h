// The renderer of the template engine: walks a parsed Template with a Scope chain and writes
// the output (render_statements.cc: statements, loops and the loop object, blocks and
// inheritance, macros, include/import, the step budget and the stack floor;
// render_expressions.cc: expressions, calls, the byte budget and the stack guard). Internal to
// maestro/template; one Renderer per render, single-threaded; Environment::Impl is shared by
// the renders of one Environment (not thread-safe either).
#ifndef MAESTRO_TEMPLATE_RENDERER_H_
#define MAESTRO_TEMPLATE_RENDERER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "maestro/template/ast.h"
#include "maestro/template/builtins.h"
#include "maestro/template/parser.h"
#include "maestro/template/template.h"
#include "maestro/template/value.h"

namespace maestro::jinja {

struct Environment::Impl {
  Loader* loader;
  Limits limits;
  std::unordered_map<std::string, Value> globals;
  std::unordered_map<std::string, NativeFunction> filters;
  std::unordered_map<std::string, std::shared_ptr<const Template>> cache;

  absl::StatusOr<std::shared_ptr<const Template>> Parse(absl::string_view src,
                                                        const std::string& name) {
    ParseOptions opts;
    opts.known_filter = [this](const std::string& n) {
      return filters.count(n) > 0 || internal::BuiltinFilters().count(n) > 0;
    };
    opts.known_test = [](const std::string& n) { return internal::BuiltinTests().count(n) > 0; };
    return ParseTemplate(src, name, opts);
  }

  absl::StatusOr<std::shared_ptr<const Template>> Get(const std::string& name) {
    auto it = cache.find(name);
    if (it != cache.end()) return it->second;
    if (loader == nullptr) {
      return absl::NotFoundError(absl::StrCat("template '", name, "' not found (no loader)"));
    }
    absl::StatusOr<std::string> src = loader->Load(name);
    if (!src.ok()) return src.status();
    MAESTRO_ASSIGN_OR_RETURN(auto tmpl, Parse(*src, name));
    cache[name] = tmpl;
    return tmpl;
  }
};

namespace internal {

inline constexpr char kLocatedPayload[] = "maestro.jinja/located";

inline bool IsLocated(const absl::Status& s) { return s.GetPayload(kLocatedPayload).has_value(); }

inline absl::Status Locate(absl::Status s, const std::string& tmpl, int line) {
  if (s.ok() || IsLocated(s)) return s;
  absl::Status out(
      s.code() == absl::StatusCode::kNotFound ? absl::StatusCode::kInvalidArgument : s.code(),
      absl::StrCat(tmpl, ":", line, ": ", s.message()));
  out.SetPayload(kLocatedPayload, absl::Cord("1"));
  return out;
}

struct Scope : std::enable_shared_from_this<Scope> {
  std::shared_ptr<Scope> parent;
  std::vector<std::pair<std::string, Value>> vars;

  const Value* Find(const std::string& name) const {
    for (const Scope* s = this; s != nullptr; s = s->parent.get()) {
      for (const auto& [k, v] : s->vars) {
        if (k == name) return &v;
      }
    }
    return nullptr;
  }
  void Set(const std::string& name, Value v) {
    for (auto& [k, old] : vars) {
      if (k == name) {
        old = std::move(v);
        return;
      }
    }
    vars.emplace_back(name, std::move(v));
  }
};
using ScopePtr = std::shared_ptr<Scope>;

inline ScopePtr Child(const ScopePtr& parent) {
  auto s = std::make_shared<Scope>();
  s->parent = parent;
  return s;
}

// One template of a block's chain: the most derived template's override comes first.
struct BlockEntry {
  const Stmt* stmt;
  std::shared_ptr<const Template> owner;
};
using BlockMap = std::unordered_map<std::string, std::vector<BlockEntry>>;

// Jinja2's Context of one template render (the top-level render, an include, an import),
// created only for templates with blocks or `extends`: the scope blocks render in (the
// template's top-level variables, also those of its parents) and the block chains of the
// inheritance chain. A scoped block renders with a derived context whose root is the scope
// of the block statement; it lives as long as something refers to it.
struct Ctx {
  std::string name;  // of the template the context was made for (`self`'s repr)
  ScopePtr root;
  BlockMap* blocks = nullptr;  // &own_blocks, or the base context's for a derived one
  BlockMap own_blocks;
  std::shared_ptr<Ctx> base;  // of a derived context
};
using CtxPtr = std::shared_ptr<Ctx>;

// The block being rendered; `super` is the next entry of its chain.
struct BlockFrame {
  CtxPtr ctx;
  const std::string* name = nullptr;  // a key of *ctx->blocks
  size_t index = 0;
};

// Where a macro, caller or recursive loop was defined: its body renders there.
struct Origin {
  std::shared_ptr<const Template> tmpl;
  CtxPtr ctx;
  BlockFrame block;
};

// Jinja2's LoopContext.
struct LoopState : Object {
  std::shared_ptr<const std::vector<Value>> items;
  size_t index = 0;
  int depth = 1;
  // loop.changed()
  Value last_changed;
  bool changed_called = false;
  // Recursive loops only: what loop(items) renders with.
  const Stmt* stmt = nullptr;
  std::weak_ptr<Scope> scope;
  Origin origin;

  const char* TypeName() const override { return "LoopContext"; }
  void AppendRepr(std::string* out) const override {
    absl::StrAppend(out, "<LoopContext ", index + 1, "/", items->size(), ">");
  }
  bool IsCallable() const override { return true; }
};

class Renderer;

class TemplateRef : public Object {
 public:
  TemplateRef(Renderer* r, CtxPtr ctx, std::string name)
      : renderer_(r), ctx_(std::move(ctx)), name_(std::move(name)) {}
  const char* TypeName() const override { return "TemplateReference"; }
  void AppendRepr(std::string* out) const override {
    out->append("<TemplateReference ");
    Value(name_).AppendRepr(out);
    out->push_back('>');
  }
  Value GetAttr(const std::string& name) const override;

 private:
  Renderer* renderer_;
  CtxPtr ctx_;  // null when the template has no blocks
  std::string name_;
};

class BlockRef : public Object {
 public:
  BlockRef(Renderer* r, CtxPtr ctx, std::string name, size_t index)
      : renderer_(r), ctx_(std::move(ctx)), name_(std::move(name)), index_(index) {}
  const char* TypeName() const override { return "BlockReference"; }
  void AppendRepr(std::string* out) const override {
    out->append("<jinja2.runtime.BlockReference object>");
  }
  Value GetAttr(const std::string& name) const override;
  bool IsCallable() const override { return true; }
  absl::StatusOr<Value> Call(const CallArgs& args) const override;

 private:
  Renderer* renderer_;
  CtxPtr ctx_;
  std::string name_;
  size_t index_;
};

// The reference to entry `index` of block `name`'s chain, or Jinja2's undefined.
Value MakeBlockRef(Renderer* r, const CtxPtr& ctx, const std::string& name, size_t index);

class Renderer : public FilterContext {
 public:
  explicit Renderer(Environment::Impl* env) : env_(env) {}
  ~Renderer() override {
    // Macros reference their defining scope without owning it; the scopes are kept alive
    // here and cleared at the end so that scope <-> macro references never leak.
    for (const ScopePtr& s : macro_scopes_) s->vars.clear();
    for (const CtxPtr& c : contexts_) {
      if (c->root != nullptr) c->root->vars.clear();
      c->root.reset();
    }
  }

  const Limits& limits() const override { return env_->limits; }

  absl::Status Tick(int64_t n) override;

  // Sets the lowest stack address the render may reach: the current thread's stack minus a
  // reserve for the deepest work between two checks (filters, printing, error messages).
  void SetStackFloor();

  absl::StatusOr<Value> ApplyFilter(const std::string& name, const Value& input,
                                    const CallArgs& args) override;

  absl::StatusOr<bool> ApplyTest(const std::string& name, const Value& input,
                                 const CallArgs& args) override;

  // Renders a template (the top-level one, an include, an import) into `out` with `scope` as
  // its context; then, as long as the template just rendered extended another, that parent
  // with the same context (Jinja2's root render functions of an inheritance chain).
  absl::Status RenderRoot(const std::shared_ptr<const Template>& tmpl, const ScopePtr& scope,
                          std::string* out);

  // Entry `index` of block `name`'s chain in `ctx`, rendered into `out`. Errors are not
  // located (the caller knows the line).
  absl::Status RenderBlock(const CtxPtr& ctx, const std::string& name, size_t index,
                           std::string* out);

  absl::StatusOr<Value> CallBlockRef(const CtxPtr& ctx, const std::string& name, size_t index,
                                     const CallArgs& args);

 private:
  absl::Status Err(int line, absl::string_view msg) const;
  absl::Status At(absl::Status s, int line) const {
    return Locate(std::move(s), tmpl_->name, line);
  }

  absl::Status CheckOutput(const std::string& out, int line) const;

  // ---- statements ----
  absl::Status RenderBody(const Body& body, const ScopePtr& scope, std::string* out);

  absl::Status RenderStmt(const Stmt& s, const ScopePtr& scope, std::string* out);

  // Output of a template with `extends`: dropped once it has extended another. This and the
  // other inheritance paths are kept out of line (and cold) so that RenderStmt and Eval, the
  // hot paths of every template, stay as they were.
  ABSL_ATTRIBUTE_NOINLINE absl::Status RenderGated(const Stmt& s, const ScopePtr& scope,
                                                   std::string* out);

  // Jinja2 renders the first entry of the block's chain with the template's context (a
  // context derived from the local scope for `scoped`); a top-level block of a template that
  // has extended another is not rendered (its parent renders it).
  ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD absl::Status RenderBlockStmt(const Stmt& s,
                                                                           const ScopePtr& scope,
                                                                           std::string* out);

  ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD absl::Status RenderExtends(const Stmt& s,
                                                                         const ScopePtr& scope);

  CtxPtr NewContext(const std::shared_ptr<const Template>& tmpl, const ScopePtr& scope);

  absl::Status Assign(const Target& t, const Value& v, const ScopePtr& scope, int line);

  absl::Status RenderFor(const Stmt& s, const ScopePtr& scope, std::string* out);

  // The loop `s` over `items` at `depth` (1, or deeper for `loop(items)` of a recursive loop).
  absl::Status RenderLoop(const Stmt& s, const ScopePtr& scope, std::vector<Value> items, int depth,
                          std::string* out);

  // `loop(items)` of a recursive loop: the loop's body over `items`, one level deeper.
  // `loop(items)`, `super()`, `self.name()`...
  ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD absl::StatusOr<Value> CallObject(const Value& callee,
                                                                               const CallArgs& args,
                                                                               int line);

  absl::StatusOr<Value> CallLoop(const Value& loop, const CallArgs& args);

  // Where new macros, callers and recursive loops are defined.
  Origin Here() const { return Origin{tmpl_, ctx_, block_}; }
  // Switches to `o`; returns what to Leave() with.
  Origin Enter(Origin o);
  void Leave(Origin saved) { Enter(std::move(saved)); }

  Value LoopAttr(const Value& loop, const std::string& name);

  // ---- macros ----
  Value MakeMacro(const Stmt& s, const std::string& name, const ScopePtr& scope);

  absl::StatusOr<Value> CallMacro(const Stmt& s, const std::string& name, const Origin& origin,
                                  Scope* def_scope, const CallArgs& a, Value caller);

  absl::StatusOr<Value> CallMacroInner(const Stmt& s, const std::string& name,
                                       const ScopePtr& def_scope, const CallArgs& a, Value caller);

  absl::Status RenderCallBlock(const Stmt& s, const ScopePtr& scope, std::string* out);

  // ---- include / import ----
  absl::StatusOr<std::shared_ptr<const Template>> Load(const Value& name, int line,
                                                       bool ignore_missing, bool* missing);

  absl::Status RenderInclude(const Stmt& s, const ScopePtr& scope, std::string* out);

  absl::StatusOr<Value> ImportModule(const Stmt& s, const ScopePtr& scope);

 public:
  ScopePtr root_globals_;  // context of the top-level render (for imports without context)

 private:
  const Value* FindGlobal(const std::string& name) const;

  // A name that no scope or global defines: `self`, `super` in a block, else undefined.
  ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD Value LookupSpecial(const std::string& name);

  // ---- expressions ----
  absl::StatusOr<CallArgs> EvalArgs(const Args& args, const ScopePtr& scope);

  absl::StatusOr<Value> CallValue(const Value& callee, const CallArgs& args, int line);

  // One step of the render (a statement or an expression that creates a value): counted
  // against Limits::max_steps, and refused when the stack is nearly exhausted (macro
  // recursion inside deep blocks inside deep expressions multiply; the parser's static limits
  // bound each alone).
  absl::Status Step(int line);

  // Counts a value an expression created against Limits::max_value_bytes (a shallow size:
  // the bytes of a string, 32 per item of a list or dict; items were counted when made).
  absl::Status Charge(const Value& v, int line);
  // Adds `bytes` to the render's Limits::max_value_bytes budget.
  absl::Status ChargeBytes(size_t bytes, int line);

  // Steps for work proportional to the size of `v` (scanning, sorting, copying it).
  absl::Status TickFor(const Value& v, int line);

  absl::StatusOr<Value> Eval(const Expr& e, const ScopePtr& scope);

  absl::StatusOr<Value> EvalNode(const Expr& e, const ScopePtr& scope);

  Environment::Impl* env_;
  std::shared_ptr<const Template> tmpl_;  // whose statements are being rendered
  CtxPtr ctx_;                            // its context; null without blocks and extends
  BlockFrame block_;                      // the block being rendered, if any
  // The current root template has extended another: Jinja2 drops the rest of its output
  // (kGatedOutput, kGatedPrint) and its top-level blocks.
  bool suppress_ = false;
  std::shared_ptr<const Template> parent_;         // what the current root template extended
  std::vector<const Template*>* chain_ = nullptr;  // the current inheritance chain
  // Every non-derived context of this render, to break reference cycles at the end.
  std::vector<CtxPtr> contexts_;
  std::vector<ScopePtr> macro_scopes_;
  int depth_ = 0;
  int64_t steps_ = 0;
  size_t value_bytes_ = 0;
  uintptr_t stack_floor_ = 0;  // see SetStackFloor
};

// Renders `tmpl` with `context` as its variables.
absl::StatusOr<std::string> Render(Environment::Impl* impl,
                                   const std::shared_ptr<const Template>& tmpl,
                                   const std::vector<std::pair<std::string, Value>>& context);

}  // namespace internal
}  // namespace maestro::jinja

#endif  // MAESTRO_TEMPLATE_RENDERER_H_
