#include <pthread.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/template/ast.h"
#include "maestro/template/builtins.h"
#include "maestro/template/renderer.h"

namespace maestro::jinja::internal {

// `self`: the blocks of the current context by name.

// `super`, `self.name`: entry `index` of a block's chain.

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
  return Value::Undefined(
      absl::StrCat("'jinja2.runtime.TemplateReference object' has no attribute '", name, "'"));
}

Value BlockRef::GetAttr(const std::string& name) const {
  if (name == "super") return MakeBlockRef(renderer_, ctx_, name_, index_ + 1);
  return Value::Undefined(
      absl::StrCat("'jinja2.runtime.BlockReference object' has no attribute '", name, "'"));
}

absl::Status Renderer::Tick(int64_t n) {
  steps_ += n;
  if (steps_ > env_->limits.max_steps) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the template takes too many steps (limit ", env_->limits.max_steps,
        " statements, loop iterations and calls per render): an endless loop or recursion?"));
  }
  return absl::OkStatus();
}

// Sets the lowest stack address the render may reach: the current thread's stack minus a
// reserve for the deepest work between two checks (filters, printing, error messages).
void Renderer::SetStackFloor() {
  const uintptr_t here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  size_t budget = size_t{2} << 20;  // when the thread's stack cannot be asked for
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* low = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &low, &size) == 0 && low != nullptr &&
        here > reinterpret_cast<uintptr_t>(low)) {
      const size_t available = here - reinterpret_cast<uintptr_t>(low);
      const size_t reserve = std::max<size_t>(size_t{256} << 10, size / 8);
      budget = available > reserve ? available - reserve : 0;
    }
    pthread_attr_destroy(&attr);
  }
  stack_floor_ = here > budget ? here - budget : 0;
}

absl::StatusOr<Value> Renderer::ApplyFilter(const std::string& name, const Value& input,
                                            const CallArgs& args) {
  auto uf = env_->filters.find(name);
  if (uf != env_->filters.end()) {
    CallArgs full;
    full.positional.reserve(args.positional.size() + 1);
    full.positional.push_back(input);
    full.positional.insert(full.positional.end(), args.positional.begin(), args.positional.end());
    full.keyword = args.keyword;
    return uf->second(full);
  }
  auto bf = internal::BuiltinFilters().find(name);
  if (bf == internal::BuiltinFilters().end()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown filter '", name, "'"));
  }
  return bf->second(*this, input, args);
}

absl::StatusOr<bool> Renderer::ApplyTest(const std::string& name, const Value& input,
                                         const CallArgs& args) {
  auto bt = internal::BuiltinTests().find(name);
  if (bt == internal::BuiltinTests().end()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown test '", name, "'"));
  }
  return bt->second(*this, input, args);
}

// Renders a template (the top-level one, an include, an import) into `out` with `scope` as
// its context; then, as long as the template just rendered extended another, that parent
// with the same context (Jinja2's root render functions of an inheritance chain).
absl::Status Renderer::RenderRoot(const std::shared_ptr<const Template>& tmpl,
                                  const ScopePtr& scope, std::string* out) {
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
absl::Status Renderer::RenderBlock(const CtxPtr& ctx, const std::string& name, size_t index,
                                   std::string* out) {
  auto it = ctx->blocks->find(name);
  if (it == ctx->blocks->end() || index >= it->second.size()) {
    return absl::InvalidArgumentError(absl::StrCat("there is no block called '", name, "'"));
  }
  if (depth_ >= env_->limits.max_recursion_depth) {
    return absl::InvalidArgumentError(absl::StrCat("maximum recursion depth exceeded (limit ",
                                                   env_->limits.max_recursion_depth, ") in block '",
                                                   name, "'"));
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

absl::StatusOr<Value> Renderer::CallBlockRef(const CtxPtr& ctx, const std::string& name,
                                             size_t index, const CallArgs& args) {
  if (!args.positional.empty() || !args.keyword.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("BlockReference.__call__() takes 1 positional argument but ",
                     args.positional.size() + args.keyword.size() + 1, " were given"));
  }
  std::string buf;
  MAESTRO_RETURN_IF_ERROR(RenderBlock(ctx, name, index, &buf));
  return Value(std::move(buf));
}

absl::Status Renderer::Err(int line, absl::string_view msg) const {
  return Locate(absl::InvalidArgumentError(msg), tmpl_->name, line);
}

absl::Status Renderer::CheckOutput(const std::string& out, int line) const {
  if (out.size() > env_->limits.max_output_bytes) {
    return Err(line,
               absl::StrCat("output too large (limit ", env_->limits.max_output_bytes, " bytes)"));
  }
  return absl::OkStatus();
}

// ---- statements ----
absl::Status Renderer::RenderBody(const Body& body, const ScopePtr& scope, std::string* out) {
  for (const StmtPtr& s : body) {
    MAESTRO_RETURN_IF_ERROR(RenderStmt(*s, scope, out));
  }
  return absl::OkStatus();
}

absl::Status Renderer::RenderStmt(const Stmt& s, const ScopePtr& scope, std::string* out) {
  MAESTRO_RETURN_IF_ERROR(Step(s.line));
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
      MAESTRO_RETURN_IF_ERROR(Charge(v, s.line));
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
          return Err(s.line,
                     absl::StrCat("the template does not export the requested name '", name, "'"));
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
absl::Status Renderer::RenderGated(const Stmt& s, const ScopePtr& scope, std::string* out) {
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
absl::Status Renderer::RenderBlockStmt(const Stmt& s, const ScopePtr& scope, std::string* out) {
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

absl::Status Renderer::RenderExtends(const Stmt& s, const ScopePtr& scope) {
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
    return Err(s.line, absl::StrCat("template inheritance cycle: ", path, "'", parent->name, "'"));
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

CtxPtr Renderer::NewContext(const std::shared_ptr<const Template>& tmpl, const ScopePtr& scope) {
  auto ctx = std::make_shared<Ctx>();
  contexts_.push_back(ctx);
  ctx->name = tmpl->name;
  ctx->root = scope;
  ctx->blocks = &ctx->own_blocks;
  for (const Stmt* b : tmpl->blocks) ctx->own_blocks[b->name].push_back({b, tmpl});
  return ctx;
}

absl::Status Renderer::Assign(const Target& t, const Value& v, const ScopePtr& scope, int line) {
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
      int64_t visited = 0;
      Storable storable = CheckStorable(v, ns->identity(), kMaxValueNesting, &visited);
      MAESTRO_RETURN_IF_ERROR(At(Tick(visited / 64), line));
      if (storable == Storable::kCycle) {
        return Err(line, "a namespace cannot contain itself (directly or through other values)");
      }
      if (storable == Storable::kTooDeep) {
        return Err(line, absl::StrCat("value nested too deeply (more than ", kMaxValueNesting,
                                      " levels of lists, dicts and namespaces)"));
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
        return Err(line,
                   items->size() < t.items.size()
                       ? absl::StrCat("not enough values to unpack (expected ", t.items.size(),
                                      ", got ", items->size(), ")")
                       : absl::StrCat("too many values to unpack (expected ", t.items.size(), ")"));
      }
      for (size_t i = 0; i < items->size(); ++i) {
        MAESTRO_RETURN_IF_ERROR(Assign(t.items[i], (*items)[i], scope, line));
      }
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::Status Renderer::RenderFor(const Stmt& s, const ScopePtr& scope, std::string* out) {
  MAESTRO_ASSIGN_OR_RETURN(Value seq, Eval(*s.expr, scope));
  absl::StatusOr<std::vector<Value>> items = internal::Iterate(seq);
  if (!items.ok()) return At(items.status(), s.line);
  return RenderLoop(s, scope, std::move(*items), 1, out);
}

// The loop `s` over `items` at `depth` (1, or deeper for `loop(items)` of a recursive loop).
absl::Status Renderer::RenderLoop(const Stmt& s, const ScopePtr& scope, std::vector<Value> items,
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
absl::StatusOr<Value> Renderer::CallObject(const Value& callee, const CallArgs& args, int line) {
  absl::StatusOr<Value> r = callee.is_loop() ? CallLoop(callee, args) : callee.object()->Call(args);
  if (!r.ok()) return At(r.status(), line);
  return r;
}

absl::StatusOr<Value> Renderer::CallLoop(const Value& loop, const CallArgs& args) {
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
    return absl::InvalidArgumentError(absl::StrCat("maximum recursion depth exceeded (limit ",
                                                   env_->limits.max_recursion_depth,
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

// Switches to `o`; returns what to Leave() with.
Origin Renderer::Enter(Origin o) {
  std::swap(tmpl_, o.tmpl);
  std::swap(ctx_, o.ctx);
  std::swap(block_, o.block);
  return o;
}

Value Renderer::LoopAttr(const Value& loop, const std::string& name) {
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
Value Renderer::MakeMacro(const Stmt& s, const std::string& name, const ScopePtr& scope) {
  const Stmt* stmt = &s;
  Origin origin = Here();
  macro_scopes_.push_back(scope);
  Scope* def_scope = scope.get();
  return Value::MakeCallable(name, [this, stmt, origin, def_scope, name](const CallArgs& a) {
    return CallMacro(*stmt, name, origin, def_scope, a, Value());
  });
}

absl::StatusOr<Value> Renderer::CallMacro(const Stmt& s, const std::string& name,
                                          const Origin& origin, Scope* def_scope, const CallArgs& a,
                                          Value caller) {
  Origin saved = Enter(origin);
  absl::StatusOr<Value> r =
      CallMacroInner(s, name, def_scope->shared_from_this(), a, std::move(caller));
  Leave(std::move(saved));
  return r;
}

absl::StatusOr<Value> Renderer::CallMacroInner(const Stmt& s, const std::string& name,
                                               const ScopePtr& def_scope, const CallArgs& a,
                                               Value caller) {
  if (depth_ >= env_->limits.max_recursion_depth) {
    return Err(s.line, absl::StrCat("maximum recursion depth exceeded (limit ",
                                    env_->limits.max_recursion_depth, ") in macro '", name, "'"));
  }
  ScopePtr scope = Child(def_scope);
  const size_t np = s.params.size();
  if (a.positional.size() > np && !s.uses_varargs) {
    return absl::InvalidArgumentError(
        absl::StrCat("macro '", name, "' takes not more than ", np, " argument(s)"));
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
          return absl::InvalidArgumentError(
              absl::StrCat("macro '", name, "' got multiple values for argument '", k, "'"));
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
      return absl::InvalidArgumentError(
          absl::StrCat("macro '", name, "' takes no keyword argument '", k, "'"));
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
        vals[i] = Value::Undefined(absl::StrCat("parameter '", s.params[i], "' was not provided"));
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

absl::Status Renderer::RenderCallBlock(const Stmt& s, const ScopePtr& scope, std::string* out) {
  const Expr& call = *s.expr;
  MAESTRO_ASSIGN_OR_RETURN(Value callee, Eval(*call.children[0], scope));
  MAESTRO_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(call.args, scope));
  const Stmt* stmt = &s;
  Origin origin = Here();
  macro_scopes_.push_back(scope);
  Scope* def_scope = scope.get();
  Value caller = Value::MakeCallable("caller", [this, stmt, origin, def_scope](const CallArgs& a) {
    return CallMacro(*stmt, "caller", origin, def_scope, a, Value());
  });
  args.keyword.emplace_back("caller", caller);
  MAESTRO_ASSIGN_OR_RETURN(Value r, CallValue(callee, args, call.line));
  r.AppendStr(out);
  return CheckOutput(*out, s.line);
}

// ---- include / import ----
absl::StatusOr<std::shared_ptr<const Template>> Renderer::Load(const Value& name, int line,
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
    if (t.status().code() != absl::StatusCode::kNotFound) return At(t.status(), line);
    if (!tried.empty()) tried += ", ";
    tried += "'" + n.as_string() + "'";
  }
  if (ignore_missing) {
    *missing = true;
    return std::shared_ptr<const Template>();
  }
  return Err(line, absl::StrCat("template ", tried, " not found"));
}

absl::Status Renderer::RenderInclude(const Stmt& s, const ScopePtr& scope, std::string* out) {
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

absl::StatusOr<Value> Renderer::ImportModule(const Stmt& s, const ScopePtr& scope) {
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

const Value* Renderer::FindGlobal(const std::string& name) const {
  auto it = env_->globals.find(name);
  return it == env_->globals.end() ? nullptr : &it->second;
}

// A name that no scope or global defines: `self`, `super` in a block, else undefined.
Value Renderer::LookupSpecial(const std::string& name) {
  if (name == "self") {
    return Value::MakeObject(
        std::make_shared<TemplateRef>(this, ctx_, ctx_ != nullptr ? ctx_->name : tmpl_->name));
  }
  if (name == "super" && block_.ctx != nullptr) {
    return MakeBlockRef(this, block_.ctx, *block_.name, block_.index + 1);
  }
  return Value::Undefined(absl::StrCat("'", name, "' is undefined"));
}

absl::StatusOr<Value> BlockRef::Call(const CallArgs& args) const {
  return renderer_->CallBlockRef(ctx_, name_, index_, args);
}

absl::StatusOr<std::string> Render(Environment::Impl* impl,
                                   const std::shared_ptr<const Template>& tmpl,
                                   const std::vector<std::pair<std::string, Value>>& context) {
  Renderer r(impl);
  r.SetStackFloor();
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

}  // namespace maestro::jinja::internal
