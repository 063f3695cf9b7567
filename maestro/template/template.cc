#include "maestro/template/template.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "maestro/base/status_macros.h"
#include "maestro/template/ast.h"
#include "maestro/template/builtins.h"
#include "maestro/template/parser.h"

extern char** environ;

namespace maestro::jinja {

namespace {

using internal::FilterContext;

constexpr char kLocatedPayload[] = "maestro.jinja/located";

bool IsLocated(const absl::Status& s) { return s.GetPayload(kLocatedPayload).has_value(); }

absl::Status Locate(absl::Status s, const std::string& tmpl, int line) {
  if (s.ok() || IsLocated(s)) return s;
  absl::Status out(s.code() == absl::StatusCode::kNotFound ? absl::StatusCode::kInvalidArgument
                                                            : s.code(),
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

ScopePtr Child(const ScopePtr& parent) {
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

}  // namespace

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
    opts.known_test = [](const std::string& n) {
      return internal::BuiltinTests().count(n) > 0;
    };
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

namespace {

class Renderer;

// `self`: the blocks of the current context by name.
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

// `super`, `self.name`: entry `index` of a block's chain.
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
Value MakeBlockRef(Renderer* r, const CtxPtr& ctx, const std::string& name, size_t index) {
  auto it = ctx->blocks->find(name);
  if (it == ctx->blocks->end() || index >= it->second.size()) {
    return Value::Undefined(absl::StrCat("there is no parent block called '", name, "'."));
  }
  return Value::MakeObject(std::make_shared<BlockRef>(r, ctx, name, index));
}

Value TemplateRef::GetAttr(const std::string& name) const {
  if (ctx_ != nullptr && ctx_->blocks->count(name)) {
    return MakeBlockRef(renderer_, ctx_, name, 0);
  }
  return Value::Undefined(absl::StrCat(
      "'jinja2.runtime.TemplateReference object' has no attribute '", name, "'"));
}

Value BlockRef::GetAttr(const std::string& name) const {
  if (name == "super") return MakeBlockRef(renderer_, ctx_, name_, index_ + 1);
  return Value::Undefined(absl::StrCat(
      "'jinja2.runtime.BlockReference object' has no attribute '", name, "'"));
}

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

  absl::Status Tick(int64_t n) override {
    iterations_ += n;
    if (iterations_ > env_->limits.max_loop_iterations) {
      return absl::InvalidArgumentError(absl::StrCat(
          "too many loop iterations (limit ", env_->limits.max_loop_iterations, ")"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Value> ApplyFilter(const std::string& name, const Value& input,
                                    const CallArgs& args) override {
    auto uf = env_->filters.find(name);
    if (uf != env_->filters.end()) {
      CallArgs full;
      full.positional.reserve(args.positional.size() + 1);
      full.positional.push_back(input);
      full.positional.insert(full.positional.end(), args.positional.begin(),
                             args.positional.end());
      full.keyword = args.keyword;
      return uf->second(full);
    }
    auto bf = internal::BuiltinFilters().find(name);
    if (bf == internal::BuiltinFilters().end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown filter '", name, "'"));
    }
    return bf->second(*this, input, args);
  }

  absl::StatusOr<bool> ApplyTest(const std::string& name, const Value& input,
                                 const CallArgs& args) override {
    auto bt = internal::BuiltinTests().find(name);
    if (bt == internal::BuiltinTests().end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown test '", name, "'"));
    }
    return bt->second(*this, input, args);
  }

  // Renders a template (the top-level one, an include, an import) into `out` with `scope` as
  // its context; then, as long as the template just rendered extended another, that parent
  // with the same context (Jinja2's root render functions of an inheritance chain).
  absl::Status RenderRoot(const std::shared_ptr<const Template>& tmpl, const ScopePtr& scope,
                          std::string* out) {
    std::shared_ptr<const Template> saved_tmpl = std::move(tmpl_);
    CtxPtr saved_ctx = std::move(ctx_);
    BlockFrame saved_block = std::move(block_);
    bool saved_suppress = suppress_;
    std::shared_ptr<const Template> saved_parent = std::move(parent_);
    std::vector<const Template*>* saved_chain = chain_;

    std::vector<const Template*> chain;  // filled by `extends` only
    tmpl_ = tmpl;
    ctx_ = tmpl->has_extends || !tmpl->blocks.empty() ? NewContext(tmpl, scope) : nullptr;
    block_ = BlockFrame();
    suppress_ = false;
    parent_.reset();
    chain_ = &chain;
    absl::Status st = RenderBody(tmpl->body, scope, out);
    while (st.ok() && parent_ != nullptr) {
      tmpl_ = std::move(parent_);
      parent_.reset();
      suppress_ = false;
      st = RenderBody(tmpl_->body, scope, out);
    }

    tmpl_ = std::move(saved_tmpl);
    ctx_ = std::move(saved_ctx);
    block_ = std::move(saved_block);
    suppress_ = saved_suppress;
    parent_ = std::move(saved_parent);
    chain_ = saved_chain;
    return st;
  }

  // Entry `index` of block `name`'s chain in `ctx`, rendered into `out`. Errors are not
  // located (the caller knows the line).
  absl::Status RenderBlock(const CtxPtr& ctx, const std::string& name, size_t index,
                           std::string* out) {
    auto it = ctx->blocks->find(name);
    if (it == ctx->blocks->end() || index >= it->second.size()) {
      return absl::InvalidArgumentError(absl::StrCat("there is no block called '", name, "'"));
    }
    if (depth_ >= env_->limits.max_recursion_depth) {
      return absl::InvalidArgumentError(absl::StrCat("maximum recursion depth exceeded (limit ",
                                                     env_->limits.max_recursion_depth,
                                                     ") in block '", name, "'"));
    }
    BlockEntry entry = it->second[index];
    std::shared_ptr<const Template> saved_tmpl = std::move(tmpl_);
    CtxPtr saved_ctx = std::move(ctx_);
    BlockFrame saved_block = std::move(block_);
    tmpl_ = std::move(entry.owner);
    ctx_ = ctx;
    block_ = BlockFrame{ctx, &it->first, index};
    ++depth_;
    absl::Status st = RenderBody(entry.stmt->body, Child(ctx->root), out);
    --depth_;
    tmpl_ = std::move(saved_tmpl);
    ctx_ = std::move(saved_ctx);
    block_ = std::move(saved_block);
    return st;
  }

  absl::StatusOr<Value> CallBlockRef(const CtxPtr& ctx, const std::string& name, size_t index,
                                     const CallArgs& args) {
    if (!args.positional.empty() || !args.keyword.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "BlockReference.__call__() takes 1 positional argument but ",
          args.positional.size() + args.keyword.size() + 1, " were given"));
    }
    std::string buf;
    MAESTRO_RETURN_IF_ERROR(RenderBlock(ctx, name, index, &buf));
    return Value(std::move(buf));
  }

 private:
  absl::Status Err(int line, absl::string_view msg) const {
    return Locate(absl::InvalidArgumentError(msg), tmpl_->name, line);
  }
  absl::Status At(absl::Status s, int line) const { return Locate(std::move(s), tmpl_->name, line); }

  absl::Status CheckOutput(const std::string& out, int line) const {
    if (out.size() > env_->limits.max_output_bytes) {
      return Err(line, absl::StrCat("output too large (limit ", env_->limits.max_output_bytes,
                                    " bytes)"));
    }
    return absl::OkStatus();
  }

  // ---- statements ----
  absl::Status RenderBody(const Body& body, const ScopePtr& scope, std::string* out) {
    for (const StmtPtr& s : body) {
      MAESTRO_RETURN_IF_ERROR(RenderStmt(*s, scope, out));
    }
    return absl::OkStatus();
  }

  absl::Status RenderStmt(const Stmt& s, const ScopePtr& scope, std::string* out) {
    switch (s.kind) {
      case StmtKind::kOutput:
        out->append(s.text);
        return CheckOutput(*out, s.line);
      case StmtKind::kPrint: {
        MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*s.expr, scope));
        v.AppendStr(out);
        return CheckOutput(*out, s.line);
      }
      case StmtKind::kGatedOutput:
      case StmtKind::kGatedPrint:
        return RenderGated(s, scope, out);
      case StmtKind::kIf:
        for (const auto& [cond, body] : s.branches) {
          MAESTRO_ASSIGN_OR_RETURN(Value c, Eval(*cond, scope));
          if (c.Truthy()) return RenderBody(body, scope, out);
        }
        return RenderBody(s.else_body, scope, out);
      case StmtKind::kFor:
        return RenderFor(s, scope, out);
      case StmtKind::kSet: {
        MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*s.expr, scope));
        return Assign(s.target, v, scope, s.line);
      }
      case StmtKind::kSetBlock: {
        std::string buf;
        // What a set block assigns stays inside (Jinja2 renders it in an inner frame).
        MAESTRO_RETURN_IF_ERROR(RenderBody(s.body, Child(scope), &buf));
        Value v(std::move(buf));
        if (s.filter) {
          ScopePtr tmp = Child(scope);
          tmp->Set(" body", v);
          MAESTRO_ASSIGN_OR_RETURN(v, Eval(*s.filter, tmp));
        }
        return Assign(s.target, v, scope, s.line);
      }
      case StmtKind::kMacro:
        scope->Set(s.name, MakeMacro(s, s.name, scope));
        return absl::OkStatus();
      case StmtKind::kCallBlock:
        return RenderCallBlock(s, scope, out);
      case StmtKind::kInclude:
        return RenderInclude(s, scope, out);
      case StmtKind::kImport: {
        MAESTRO_ASSIGN_OR_RETURN(Value module, ImportModule(s, scope));
        scope->Set(s.name, module);
        return absl::OkStatus();
      }
      case StmtKind::kFromImport: {
        MAESTRO_ASSIGN_OR_RETURN(Value module, ImportModule(s, scope));
        for (const auto& [name, alias] : s.names) {
          if (!name.empty() && name[0] == '_') {
            return Err(s.line, "names starting with an underline can not be imported");
          }
          const Value* v = module.as_dict().FindString(name);
          if (v == nullptr) {
            return Err(s.line, absl::StrCat("the template does not export the requested name '",
                                            name, "'"));
          }
          scope->Set(alias, *v);
        }
        return absl::OkStatus();
      }
      case StmtKind::kWith: {
        ScopePtr inner = Child(scope);
        std::vector<Value> values;
        for (const auto& [target, expr] : s.assignments) {
          MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*expr, scope));
          values.push_back(std::move(v));
        }
        for (size_t i = 0; i < values.size(); ++i) {
          MAESTRO_RETURN_IF_ERROR(Assign(s.assignments[i].first, values[i], inner, s.line));
        }
        return RenderBody(s.body, inner, out);
      }
      case StmtKind::kFilterBlock: {
        std::string buf;
        ScopePtr inner = Child(scope);
        MAESTRO_RETURN_IF_ERROR(RenderBody(s.body, inner, &buf));
        inner->Set(" body", Value(std::move(buf)));
        MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*s.filter, inner));
        v.AppendStr(out);
        return CheckOutput(*out, s.line);
      }
      case StmtKind::kBlock:
        return RenderBlockStmt(s, scope, out);
      case StmtKind::kExtends:
        return RenderExtends(s, scope);
    }
    return absl::OkStatus();
  }

  // Output of a template with `extends`: dropped once it has extended another. This and the
  // other inheritance paths are kept out of line (and cold) so that RenderStmt and Eval, the
  // hot paths of every template, stay as they were.
  ABSL_ATTRIBUTE_NOINLINE absl::Status RenderGated(const Stmt& s, const ScopePtr& scope,
                                                   std::string* out) {
    if (suppress_) return absl::OkStatus();
    if (s.kind == StmtKind::kGatedOutput) {
      out->append(s.text);
    } else {
      MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*s.expr, scope));
      v.AppendStr(out);
    }
    return CheckOutput(*out, s.line);
  }

  // Jinja2 renders the first entry of the block's chain with the template's context (a
  // context derived from the local scope for `scoped`); a top-level block of a template that
  // has extended another is not rendered (its parent renders it).
  ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD absl::Status RenderBlockStmt(
      const Stmt& s, const ScopePtr& scope, std::string* out) {
    if (s.toplevel && suppress_) return absl::OkStatus();
    if (ctx_ == nullptr) return Err(s.line, "internal error: block outside of a context");
    CtxPtr ctx = ctx_;
    if (s.scoped) {
      auto derived = std::make_shared<Ctx>();
      derived->name = ctx->name;
      derived->root = scope;
      derived->blocks = ctx->blocks;
      derived->base = std::move(ctx);
      ctx = std::move(derived);
    }
    auto it = ctx->blocks->find(s.name);
    if (s.required && (it == ctx->blocks->end() || it->second.size() <= 1)) {
      return Err(s.line, absl::StrCat("required block '", s.name, "' not found"));
    }
    return At(RenderBlock(ctx, s.name, 0, out), s.line);
  }

  ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD absl::Status RenderExtends(const Stmt& s,
                                                                       const ScopePtr& scope) {
    if (parent_ != nullptr) return Err(s.line, "extended multiple times");
    MAESTRO_ASSIGN_OR_RETURN(Value name, Eval(*s.expr, scope));
    bool missing = false;
    MAESTRO_ASSIGN_OR_RETURN(std::shared_ptr<const Template> parent,
                             Load(name, s.line, false, &missing));
    if (chain_->empty() || chain_->back() != tmpl_.get()) chain_->push_back(tmpl_.get());
    for (const Template* t : *chain_) {
      if (t != parent.get()) continue;
      std::string path;
      for (const Template* c : *chain_) absl::StrAppend(&path, "'", c->name, "' -> ");
      return Err(s.line, absl::StrCat("template inheritance cycle: ", path, "'", parent->name,
                                      "'"));
    }
    if (chain_->size() >= static_cast<size_t>(env_->limits.max_recursion_depth)) {
      return Err(s.line, absl::StrCat("too many levels of template inheritance (limit ",
                                      env_->limits.max_recursion_depth, ")"));
    }
    for (const Stmt* b : parent->blocks) (*ctx_->blocks)[b->name].push_back({b, parent});
    parent_ = std::move(parent);
    suppress_ = true;  // the rest of this template only runs for its side effects
    return absl::OkStatus();
  }

  CtxPtr NewContext(const std::shared_ptr<const Template>& tmpl, const ScopePtr& scope) {
    auto ctx = std::make_shared<Ctx>();
    contexts_.push_back(ctx);
    ctx->name = tmpl->name;
    ctx->root = scope;
    ctx->blocks = &ctx->own_blocks;
    for (const Stmt* b : tmpl->blocks) ctx->own_blocks[b->name].push_back({b, tmpl});
    return ctx;
  }

  absl::Status Assign(const Target& t, const Value& v, const ScopePtr& scope, int line) {
    switch (t.kind) {
      case Target::Kind::kName:
        scope->Set(t.name, v);
        return absl::OkStatus();
      case Target::Kind::kAttr: {
        const Value* ns = scope->Find(t.name);
        if (ns == nullptr) ns = FindGlobal(t.name);
        if (ns == nullptr || !ns->is_namespace()) {
          return Err(line, "cannot assign attribute on non-namespace object");
        }
        ns->mutable_dict().Set(Value(t.attr), v);
        return absl::OkStatus();
      }
      case Target::Kind::kTuple: {
        absl::StatusOr<std::vector<Value>> items = internal::Iterate(v);
        if (!items.ok()) {
          return Err(line, absl::StrCat("cannot unpack non-iterable ", v.TypeName(), " object"));
        }
        if (items->size() != t.items.size()) {
          return Err(line, items->size() < t.items.size()
                               ? absl::StrCat("not enough values to unpack (expected ",
                                              t.items.size(), ", got ", items->size(), ")")
                               : absl::StrCat("too many values to unpack (expected ",
                                              t.items.size(), ")"));
        }
        for (size_t i = 0; i < items->size(); ++i) {
          MAESTRO_RETURN_IF_ERROR(Assign(t.items[i], (*items)[i], scope, line));
        }
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

  absl::Status RenderFor(const Stmt& s, const ScopePtr& scope, std::string* out) {
    MAESTRO_ASSIGN_OR_RETURN(Value seq, Eval(*s.expr, scope));
    absl::StatusOr<std::vector<Value>> items = internal::Iterate(seq);
    if (!items.ok()) return At(items.status(), s.line);
    return RenderLoop(s, scope, std::move(*items), 1, out);
  }

  // The loop `s` over `items` at `depth` (1, or deeper for `loop(items)` of a recursive loop).
  absl::Status RenderLoop(const Stmt& s, const ScopePtr& scope, std::vector<Value> items,
                          int depth, std::string* out) {
    if (s.cond) {
      std::vector<Value> kept;
      for (Value& item : items) {
        MAESTRO_RETURN_IF_ERROR(At(Tick(1), s.line));
        ScopePtr iter = Child(scope);
        MAESTRO_RETURN_IF_ERROR(Assign(s.target, item, iter, s.line));
        MAESTRO_ASSIGN_OR_RETURN(Value c, Eval(*s.cond, iter));
        if (c.Truthy()) kept.push_back(std::move(item));
      }
      items = std::move(kept);
    }
    if (items.empty()) return RenderBody(s.else_body, scope, out);
    auto state = std::make_shared<LoopState>();
    state->items = std::make_shared<const std::vector<Value>>(std::move(items));
    state->depth = depth;
    if (s.recursive) {
      state->stmt = &s;
      state->scope = scope;
      state->origin = Here();
    }
    Value loop = Value::MakeLoop(state);
    const std::vector<Value>& list = *state->items;
    for (size_t i = 0; i < list.size(); ++i) {
      MAESTRO_RETURN_IF_ERROR(At(Tick(1), s.line));
      state->index = i;
      auto iter = std::make_shared<Scope>();
      iter->parent = scope;
      iter->vars.reserve(4);
      iter->vars.emplace_back("loop", loop);
      MAESTRO_RETURN_IF_ERROR(Assign(s.target, list[i], iter, s.line));
      MAESTRO_RETURN_IF_ERROR(RenderBody(s.body, iter, out));
    }
    return absl::OkStatus();
  }

  // `loop(items)` of a recursive loop: the loop's body over `items`, one level deeper.
  // `loop(items)`, `super()`, `self.name()`...
  ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD absl::StatusOr<Value> CallObject(
      const Value& callee, const CallArgs& args, int line) {
    absl::StatusOr<Value> r =
        callee.is_loop() ? CallLoop(callee, args) : callee.object()->Call(args);
    if (!r.ok()) return At(r.status(), line);
    return r;
  }

  absl::StatusOr<Value> CallLoop(const Value& loop, const CallArgs& args) {
    auto* st = static_cast<LoopState*>(loop.object());
    if (st->stmt == nullptr) {
      return absl::InvalidArgumentError(
          "the loop must have the 'recursive' marker to be called recursively");
    }
    if (args.positional.size() != 1 || !args.keyword.empty()) {
      return absl::InvalidArgumentError("loop() takes exactly one argument (the items)");
    }
    ScopePtr scope = st->scope.lock();
    if (scope == nullptr) return absl::InvalidArgumentError("the recursive loop has ended");
    if (depth_ >= env_->limits.max_recursion_depth) {
      return absl::InvalidArgumentError(absl::StrCat(
          "maximum recursion depth exceeded (limit ", env_->limits.max_recursion_depth,
          ") in recursive loop"));
    }
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, internal::Iterate(args.positional[0]));
    Origin saved = Enter(st->origin);
    ++depth_;
    std::string buf;
    absl::Status r = RenderLoop(*st->stmt, scope, std::move(items), st->depth + 1, &buf);
    --depth_;
    Leave(std::move(saved));
    MAESTRO_RETURN_IF_ERROR(r);
    return Value(std::move(buf));
  }

  // Where new macros, callers and recursive loops are defined.
  Origin Here() const { return Origin{tmpl_, ctx_, block_}; }
  // Switches to `o`; returns what to Leave() with.
  Origin Enter(Origin o) {
    std::swap(tmpl_, o.tmpl);
    std::swap(ctx_, o.ctx);
    std::swap(block_, o.block);
    return o;
  }
  void Leave(Origin saved) { Enter(std::move(saved)); }

  Value LoopAttr(const Value& loop, const std::string& name) {
    auto* st = static_cast<LoopState*>(loop.object());
    int64_t n = static_cast<int64_t>(st->items->size());
    int64_t i = static_cast<int64_t>(st->index);
    if (name == "index") return Value(i + 1);
    if (name == "index0") return Value(i);
    if (name == "revindex") return Value(n - i);
    if (name == "revindex0") return Value(n - i - 1);
    if (name == "first") return Value(i == 0);
    if (name == "last") return Value(i == n - 1);
    if (name == "length") return Value(n);
    if (name == "depth") return Value(int64_t{st->depth});
    if (name == "depth0") return Value(int64_t{st->depth - 1});
    if (name == "previtem") {
      return i > 0 ? (*st->items)[i - 1] : Value::Undefined("there is no previous item");
    }
    if (name == "nextitem") {
      return i + 1 < n ? (*st->items)[i + 1] : Value::Undefined("there is no next item");
    }
    if (name == "cycle") {
      return Value::MakeCallable("cycle", [i](const CallArgs& a) -> absl::StatusOr<Value> {
        if (a.positional.empty()) {
          return absl::InvalidArgumentError("no items for cycling given");
        }
        return a.positional[static_cast<size_t>(i) % a.positional.size()];
      });
    }
    if (name == "changed") {
      Value self = loop;
      return Value::MakeCallable("changed", [self](const CallArgs& a) -> absl::StatusOr<Value> {
        if (!a.keyword.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "changed() got an unexpected keyword argument '", a.keyword[0].first, "'"));
        }
        auto* st = static_cast<LoopState*>(self.object());
        Value value = Value::MakeTuple(a.positional);
        if (st->changed_called && st->last_changed == value) return Value(false);
        st->last_changed = std::move(value);
        st->changed_called = true;
        return Value(true);
      });
    }
    return Value::Undefined(absl::StrCat("'LoopContext object' has no attribute '", name, "'"));
  }

  // ---- macros ----
  Value MakeMacro(const Stmt& s, const std::string& name, const ScopePtr& scope) {
    const Stmt* stmt = &s;
    Origin origin = Here();
    macro_scopes_.push_back(scope);
    Scope* def_scope = scope.get();
    return Value::MakeCallable(name, [this, stmt, origin, def_scope, name](const CallArgs& a) {
      return CallMacro(*stmt, name, origin, def_scope, a, Value());
    });
  }

  absl::StatusOr<Value> CallMacro(const Stmt& s, const std::string& name, const Origin& origin,
                                  Scope* def_scope, const CallArgs& a, Value caller) {
    Origin saved = Enter(origin);
    absl::StatusOr<Value> r =
        CallMacroInner(s, name, def_scope->shared_from_this(), a, std::move(caller));
    Leave(std::move(saved));
    return r;
  }

  absl::StatusOr<Value> CallMacroInner(const Stmt& s, const std::string& name,
                                       const ScopePtr& def_scope, const CallArgs& a,
                                       Value caller) {
    if (depth_ >= env_->limits.max_recursion_depth) {
      return Err(s.line, absl::StrCat("maximum recursion depth exceeded (limit ",
                                      env_->limits.max_recursion_depth, ") in macro '", name,
                                      "'"));
    }
    ScopePtr scope = Child(def_scope);
    const size_t np = s.params.size();
    if (a.positional.size() > np && !s.uses_varargs) {
      return absl::InvalidArgumentError(absl::StrCat("macro '", name, "' takes not more than ", np,
                                      " argument(s)"));
    }
    std::vector<bool> bound(np, false);
    std::vector<Value> vals(np);
    for (size_t i = 0; i < a.positional.size() && i < np; ++i) {
      vals[i] = a.positional[i];
      bound[i] = true;
    }
    Value::List varargs;
    for (size_t i = np; i < a.positional.size(); ++i) varargs.push_back(a.positional[i]);
    Dict kwargs;
    for (const auto& [k, v] : a.keyword) {
      bool found = false;
      for (size_t i = 0; i < np; ++i) {
        if (s.params[i] == k) {
          if (bound[i]) {
            return absl::InvalidArgumentError(absl::StrCat("macro '", name, "' got multiple values for argument '",
                                            k, "'"));
          }
          vals[i] = v;
          bound[i] = true;
          found = true;
          break;
        }
      }
      if (found) continue;
      if (k == "caller" && s.uses_caller) {
        caller = v;
        continue;
      }
      if (!s.uses_kwargs) {
        return absl::InvalidArgumentError(absl::StrCat("macro '", name, "' takes no keyword argument '", k, "'"));
      }
      kwargs.Set(Value(k), v);
    }
    ++depth_;
    for (size_t i = 0; i < np; ++i) {
      if (!bound[i]) {
        if (s.defaults[i]) {
          absl::StatusOr<Value> d = Eval(*s.defaults[i], scope);
          if (!d.ok()) {
            --depth_;
            return d.status();
          }
          vals[i] = *d;
        } else {
          vals[i] = Value::Undefined(absl::StrCat("parameter '", s.params[i],
                                                  "' was not provided"));
        }
      }
      scope->Set(s.params[i], vals[i]);
    }
    if (s.uses_varargs) scope->Set("varargs", Value::MakeTuple(std::move(varargs)));
    if (s.uses_kwargs) scope->Set("kwargs", Value::MakeDict(std::move(kwargs)));
    if (s.uses_caller) scope->Set("caller", caller);
    std::string buf;
    absl::Status st = RenderBody(s.body, scope, &buf);
    --depth_;
    if (!st.ok()) return st;
    return Value(std::move(buf));
  }

  absl::Status RenderCallBlock(const Stmt& s, const ScopePtr& scope, std::string* out) {
    const Expr& call = *s.expr;
    MAESTRO_ASSIGN_OR_RETURN(Value callee, Eval(*call.children[0], scope));
    MAESTRO_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(call.args, scope));
    const Stmt* stmt = &s;
    Origin origin = Here();
    macro_scopes_.push_back(scope);
    Scope* def_scope = scope.get();
    Value caller =
        Value::MakeCallable("caller", [this, stmt, origin, def_scope](const CallArgs& a) {
          return CallMacro(*stmt, "caller", origin, def_scope, a, Value());
        });
    args.keyword.emplace_back("caller", caller);
    MAESTRO_ASSIGN_OR_RETURN(Value r, CallValue(callee, args, call.line));
    r.AppendStr(out);
    return CheckOutput(*out, s.line);
  }

  // ---- include / import ----
  absl::StatusOr<std::shared_ptr<const Template>> Load(const Value& name, int line,
                                                       bool ignore_missing, bool* missing) {
    std::vector<Value> names;
    if (name.is_sequence_container()) {
      names = name.as_list();
    } else {
      names.push_back(name);
    }
    std::string tried;
    for (const Value& n : names) {
      if (n.is_undefined()) return At(internal::UndefinedError(n), line);
      if (!n.is_string()) {
        return Err(line, absl::StrCat("template name must be a string, got ", n.TypeName()));
      }
      absl::StatusOr<std::shared_ptr<const Template>> t = env_->Get(n.as_string());
      if (t.ok()) return t;
      if (t.status().code() != absl::StatusCode::kNotFound) return t.status();
      if (!tried.empty()) tried += ", ";
      tried += "'" + n.as_string() + "'";
    }
    if (ignore_missing) {
      *missing = true;
      return std::shared_ptr<const Template>();
    }
    return Err(line, absl::StrCat("template ", tried, " not found"));
  }

  absl::Status RenderInclude(const Stmt& s, const ScopePtr& scope, std::string* out) {
    MAESTRO_ASSIGN_OR_RETURN(Value name, Eval(*s.expr, scope));
    bool missing = false;
    MAESTRO_ASSIGN_OR_RETURN(auto tmpl, Load(name, s.line, s.ignore_missing, &missing));
    if (missing) return absl::OkStatus();
    if (depth_ >= env_->limits.max_recursion_depth) {
      return Err(s.line, "maximum recursion depth exceeded in include");
    }
    ++depth_;
    ScopePtr inner = s.with_context ? Child(scope) : std::make_shared<Scope>();
    if (!s.with_context) inner->parent = root_globals_;
    absl::Status st = RenderRoot(tmpl, inner, out);
    --depth_;
    return st;
  }

  absl::StatusOr<Value> ImportModule(const Stmt& s, const ScopePtr& scope) {
    MAESTRO_ASSIGN_OR_RETURN(Value name, Eval(*s.expr, scope));
    bool missing = false;
    MAESTRO_ASSIGN_OR_RETURN(auto tmpl, Load(name, s.line, false, &missing));
    if (depth_ >= env_->limits.max_recursion_depth) {
      return Err(s.line, "maximum recursion depth exceeded in import");
    }
    ++depth_;
    ScopePtr root = std::make_shared<Scope>();
    root->parent = s.with_context ? scope : root_globals_;
    std::string ignored;
    absl::Status st = RenderRoot(tmpl, root, &ignored);
    --depth_;
    MAESTRO_RETURN_IF_ERROR(st);
    Dict exports;
    for (const auto& [k, v] : root->vars) {
      if (!k.empty() && k[0] != '_') exports.Set(Value(k), v);
    }
    return Value::MakeNamespace(std::move(exports));
  }

 public:
  ScopePtr root_globals_;  // context of the top-level render (for imports without context)

 private:
  const Value* FindGlobal(const std::string& name) const {
    auto it = env_->globals.find(name);
    return it == env_->globals.end() ? nullptr : &it->second;
  }

  // A name that no scope or global defines: `self`, `super` in a block, else undefined.
  ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD Value LookupSpecial(const std::string& name) {
    if (name == "self") {
      return Value::MakeObject(
          std::make_shared<TemplateRef>(this, ctx_, ctx_ != nullptr ? ctx_->name : tmpl_->name));
    }
    if (name == "super" && block_.ctx != nullptr) {
      return MakeBlockRef(this, block_.ctx, *block_.name, block_.index + 1);
    }
    return Value::Undefined(absl::StrCat("'", name, "' is undefined"));
  }

  // ---- expressions ----
  absl::StatusOr<CallArgs> EvalArgs(const Args& args, const ScopePtr& scope) {
    CallArgs out;
    out.positional.reserve(args.positional.size());
    for (const ExprPtr& e : args.positional) {
      MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*e, scope));
      out.positional.push_back(std::move(v));
    }
    for (const auto& [k, e] : args.keyword) {
      MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*e, scope));
      out.keyword.emplace_back(k, std::move(v));
    }
    if (args.star) {
      MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*args.star, scope));
      absl::StatusOr<std::vector<Value>> items = internal::Iterate(v);
      if (!items.ok()) return At(items.status(), args.star->line);
      for (Value& i : *items) out.positional.push_back(std::move(i));
    }
    if (args.star_star) {
      MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*args.star_star, scope));
      if (!v.is_dict()) return Err(args.star_star->line, "argument after ** must be a mapping");
      for (const auto& [k, val] : v.as_dict().entries()) {
        out.keyword.emplace_back(k.Str(), val);
      }
    }
    return out;
  }

  absl::StatusOr<Value> CallValue(const Value& callee, const CallArgs& args, int line) {
    if (callee.is_undefined()) return At(internal::UndefinedError(callee), line);
    if (callee.is_loop() || callee.is_object()) return CallObject(callee, args, line);
    if (!callee.is_callable()) {
      return Err(line, absl::StrCat("'", callee.TypeName(), "' object is not callable"));
    }
    if (depth_ >= env_->limits.max_recursion_depth) {
      return Err(line, "maximum recursion depth exceeded");
    }
    ++depth_;
    absl::StatusOr<Value> r = callee.as_callable().fn(args);
    --depth_;
    if (!r.ok()) return At(r.status(), line);
    return r;
  }

  absl::StatusOr<Value> Eval(const Expr& e, const ScopePtr& scope) {
    switch (e.kind) {
      case ExprKind::kLiteral:
        return e.literal;
      case ExprKind::kName: {
        const Value* v = scope->Find(e.name);
        if (v == nullptr) v = FindGlobal(e.name);
        if (v == nullptr) return LookupSpecial(e.name);
        return *v;
      }
      case ExprKind::kGetAttr: {
        MAESTRO_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0], scope));
        if (obj.is_undefined()) return At(internal::UndefinedError(obj), e.line);
        if (obj.is_loop()) return LoopAttr(obj, e.name);
        return internal::GetAttribute(obj, e.name);
      }
      case ExprKind::kGetItem: {
        MAESTRO_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0], scope));
        MAESTRO_ASSIGN_OR_RETURN(Value key, Eval(*e.children[1], scope));
        if (obj.is_undefined()) return At(internal::UndefinedError(obj), e.line);
        if (obj.is_loop() && key.is_string()) return LoopAttr(obj, key.as_string());
        return internal::GetItem(obj, key);
      }
      case ExprKind::kSlice: {
        MAESTRO_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0], scope));
        Value parts[3];
        for (int i = 0; i < 3; ++i) {
          if (e.children[i + 1]) {
            MAESTRO_ASSIGN_OR_RETURN(parts[i], Eval(*e.children[i + 1], scope));
          } else {
            parts[i] = Value::None();
          }
        }
        if (obj.is_undefined()) return At(internal::UndefinedError(obj), e.line);
        absl::StatusOr<Value> r = internal::Slice(obj, parts[0], parts[1], parts[2]);
        if (!r.ok()) return At(r.status(), e.line);
        return r;
      }
      case ExprKind::kNeg:
      case ExprKind::kPos: {
        MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0], scope));
        if (v.is_undefined()) return At(internal::UndefinedError(v), e.line);
        if (!v.is_number()) {
          return Err(e.line, absl::StrCat("bad operand type for unary ",
                                          e.kind == ExprKind::kNeg ? "-" : "+", ": '",
                                          v.TypeName(), "'"));
        }
        if (e.kind == ExprKind::kPos) return v.is_bool() ? Value(int64_t{v.as_bool()}) : v;
        if (v.is_float()) return Value(-v.as_float());
        if (v.is_big_int()) return Value::MakeInt(v.ToBigInt().Negated());
        int64_t i = v.is_bool() ? v.as_bool() : v.as_int();
        if (i == INT64_MIN) return Value::MakeInt(BigInt(i).Negated());
        return Value(-i);
      }
      case ExprKind::kNot: {
        MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0], scope));
        return Value(!v.Truthy());
      }
      case ExprKind::kBinary: {
        MAESTRO_ASSIGN_OR_RETURN(Value a, Eval(*e.children[0], scope));
        MAESTRO_ASSIGN_OR_RETURN(Value b, Eval(*e.children[1], scope));
        absl::StatusOr<Value> r = internal::BinaryOp(e.op, a, b, env_->limits);
        if (!r.ok()) return At(r.status(), e.line);
        return r;
      }
      case ExprKind::kAnd: {
        MAESTRO_ASSIGN_OR_RETURN(Value a, Eval(*e.children[0], scope));
        if (!a.Truthy()) return a;
        return Eval(*e.children[1], scope);
      }
      case ExprKind::kOr: {
        MAESTRO_ASSIGN_OR_RETURN(Value a, Eval(*e.children[0], scope));
        if (a.Truthy()) return a;
        return Eval(*e.children[1], scope);
      }
      case ExprKind::kCompare: {
        MAESTRO_ASSIGN_OR_RETURN(Value left, Eval(*e.children[0], scope));
        for (size_t i = 0; i < e.cmp_ops.size(); ++i) {
          MAESTRO_ASSIGN_OR_RETURN(Value right, Eval(*e.children[i + 1], scope));
          absl::StatusOr<bool> r = internal::Compare(e.cmp_ops[i], left, right);
          if (!r.ok()) return At(r.status(), e.line);
          if (!*r) return Value(false);
          left = std::move(right);
        }
        return Value(true);
      }
      case ExprKind::kConcat: {
        std::string s;
        for (const ExprPtr& c : e.children) {
          MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*c, scope));
          v.AppendStr(&s);
          if (s.size() > env_->limits.max_output_bytes) return Err(e.line, "string too large");
        }
        return Value(std::move(s));
      }
      case ExprKind::kCond: {
        MAESTRO_ASSIGN_OR_RETURN(Value c, Eval(*e.children[0], scope));
        if (c.Truthy()) return Eval(*e.children[1], scope);
        if (e.children[2]) return Eval(*e.children[2], scope);
        return Value::Undefined("the inline if-expression evaluated to false and no else "
                                "section was defined.");
      }
      case ExprKind::kFilter: {
        MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0], scope));
        MAESTRO_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e.args, scope));
        absl::StatusOr<Value> r = ApplyFilter(e.name, v, args);
        if (!r.ok()) return At(r.status(), e.line);
        return r;
      }
      case ExprKind::kTest: {
        MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0], scope));
        MAESTRO_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e.args, scope));
        absl::StatusOr<bool> r = ApplyTest(e.name, v, args);
        if (!r.ok()) return At(r.status(), e.line);
        return Value(*r != e.negated);
      }
      case ExprKind::kCall: {
        const Expr& fn = *e.children[0];
        if (fn.kind == ExprKind::kGetAttr) {
          MAESTRO_ASSIGN_OR_RETURN(Value obj, Eval(*fn.children[0], scope));
          if (obj.is_undefined()) return At(internal::UndefinedError(obj), e.line);
          if (internal::HasMethod(obj, fn.name)) {
            MAESTRO_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e.args, scope));
            absl::StatusOr<Value> r = internal::CallMethod(obj, fn.name, args, env_->limits);
            if (!r.ok()) return At(r.status(), e.line);
            return r;
          }
          Value callee = obj.is_loop() ? LoopAttr(obj, fn.name)
                                       : internal::GetAttribute(obj, fn.name);
          MAESTRO_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e.args, scope));
          return CallValue(callee, args, e.line);
        }
        MAESTRO_ASSIGN_OR_RETURN(Value callee, Eval(fn, scope));
        MAESTRO_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e.args, scope));
        return CallValue(callee, args, e.line);
      }
      case ExprKind::kList:
      case ExprKind::kTuple: {
        Value::List items;
        items.reserve(e.children.size());
        for (const ExprPtr& c : e.children) {
          MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*c, scope));
          items.push_back(std::move(v));
        }
        return e.kind == ExprKind::kList ? Value::MakeList(std::move(items))
                                         : Value::MakeTuple(std::move(items));
      }
      case ExprKind::kDict: {
        Dict d;
        for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
          MAESTRO_ASSIGN_OR_RETURN(Value k, Eval(*e.children[i], scope));
          MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*e.children[i + 1], scope));
          if (k.is_list() || k.is_dict()) {
            return Err(e.line, absl::StrCat("unhashable type: '", k.TypeName(), "'"));
          }
          d.Set(std::move(k), std::move(v));
        }
        return Value::MakeDict(std::move(d));
      }
    }
    return Value();
  }

  Environment::Impl* env_;
  std::shared_ptr<const Template> tmpl_;  // whose statements are being rendered
  CtxPtr ctx_;                            // its context; null without blocks and extends
  BlockFrame block_;                      // the block being rendered, if any
  // The current root template has extended another: Jinja2 drops the rest of its output
  // (kGatedOutput, kGatedPrint) and its top-level blocks.
  bool suppress_ = false;
  std::shared_ptr<const Template> parent_;      // what the current root template extended
  std::vector<const Template*>* chain_ = nullptr;  // the current inheritance chain
  // Every non-derived context of this render, to break reference cycles at the end.
  std::vector<CtxPtr> contexts_;
  std::vector<ScopePtr> macro_scopes_;
  int depth_ = 0;
  int64_t iterations_ = 0;
};

absl::StatusOr<Value> BlockRef::Call(const CallArgs& args) const {
  return renderer_->CallBlockRef(ctx_, name_, index_, args);
}

absl::StatusOr<std::string> Render(Environment::Impl* impl,
                                   const std::shared_ptr<const Template>& tmpl,
                                   const std::vector<std::pair<std::string, Value>>& context) {
  Renderer r(impl);
  auto root = std::make_shared<Scope>();
  for (const auto& [k, v] : context) root->Set(k, v);
  r.root_globals_ = std::make_shared<Scope>();
  r.root_globals_->vars = root->vars;
  std::string out;
  absl::Status st = r.RenderRoot(tmpl, root, &out);
  if (!st.ok()) {
    // Drop the internal payload; keep the message.
    return absl::Status(st.code(), st.message());
  }
  return out;
}

}  // namespace

Environment::Environment(Loader* loader, Limits limits) : impl_(std::make_unique<Impl>()) {
  impl_->loader = loader;
  impl_->limits = limits;
  for (auto& [k, v] : internal::BuiltinGlobals(impl_->limits)) impl_->globals[k] = v;
}

Environment::~Environment() = default;

void Environment::AddGlobal(std::string name, Value value) {
  impl_->globals[std::move(name)] = std::move(value);
}

void Environment::AddFilter(std::string name, NativeFunction fn) {
  impl_->filters[std::move(name)] = std::move(fn);
  impl_->cache.clear();
}

absl::StatusOr<std::string> Environment::RenderFile(
    const std::string& name, const std::vector<std::pair<std::string, Value>>& context) {
  absl::StatusOr<std::shared_ptr<const Template>> tmpl = impl_->Get(name);
  if (!tmpl.ok()) {
    if (tmpl.status().code() == absl::StatusCode::kNotFound) {
      return absl::InvalidArgumentError(tmpl.status().message());
    }
    return tmpl.status();
  }
  return Render(impl_.get(), *tmpl, context);
}

absl::StatusOr<std::string> Environment::RenderString(
    absl::string_view source, const std::string& display_name,
    const std::vector<std::pair<std::string, Value>>& context) {
  MAESTRO_ASSIGN_OR_RETURN(auto tmpl, impl_->Parse(source, display_name));
  return Render(impl_.get(), tmpl, context);
}

FileSystemLoader::FileSystemLoader(std::string base_dir) : base_dir_(std::move(base_dir)) {}

absl::StatusOr<std::string> FileSystemLoader::Load(const std::string& name) {
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part == "..") {
      return absl::NotFoundError(absl::StrCat("template '", name, "' not found"));
    }
  }
  std::string path = base_dir_.empty() ? name : absl::StrCat(base_dir_, "/", name);
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("template '", name, "' not found"));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat("error reading template '", name, "'"));
  }
  return ss.str();
}

absl::StatusOr<std::string> MapLoader::Load(const std::string& name) {
  auto it = files_.find(name);
  if (it == files_.end()) {
    return absl::NotFoundError(absl::StrCat("template '", name, "' not found"));
  }
  return it->second;
}

Value MakeEnvDict() {
  Dict d;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq == nullptr) continue;
    d.Set(Value(std::string(*e, static_cast<size_t>(eq - *e))), Value(std::string(eq + 1)));
  }
  return Value::MakeDict(std::move(d));
}

Value MakeEnvDict(const std::vector<std::pair<std::string, std::string>>& vars) {
  Dict d;
  for (const auto& [k, v] : vars) d.Set(Value(k), Value(v));
  return Value::MakeDict(std::move(d));
}

Value MakeEnvDict(const std::map<std::string, std::string>& vars) {
  Dict d;
  for (const auto& [k, v] : vars) d.Set(Value(k), Value(v));
  return Value::MakeDict(std::move(d));
}

}  // namespace maestro::jinja
