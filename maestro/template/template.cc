#include "maestro/template/template.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

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

struct Value::LoopState {
  std::shared_ptr<const std::vector<Value>> items;
  size_t index = 0;
};

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

class Renderer : public FilterContext {
 public:
  explicit Renderer(Environment::Impl* env) : env_(env) {}
  ~Renderer() override {
    // Macros reference their defining scope without owning it; the scopes are kept alive
    // here and cleared at the end so that scope <-> macro references never leak.
    for (const ScopePtr& s : macro_scopes_) s->vars.clear();
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

  absl::Status RenderRoot(const std::shared_ptr<const Template>& tmpl, const ScopePtr& scope,
                          std::string* out) {
    std::shared_ptr<const Template> saved = tmpl_;
    tmpl_ = tmpl;
    absl::Status st = RenderBody(tmpl->body, scope, out);
    tmpl_ = std::move(saved);
    return st;
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
        MAESTRO_RETURN_IF_ERROR(RenderBody(s.body, scope, &buf));
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
        return RenderBody(s.body, Child(scope), out);
    }
    return absl::OkStatus();
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
    absl::StatusOr<std::vector<Value>> items_or = internal::Iterate(seq);
    if (!items_or.ok()) return At(items_or.status(), s.line);
    std::vector<Value> items = std::move(*items_or);
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
    auto state = std::make_shared<Value::LoopState>();
    state->items = std::make_shared<const std::vector<Value>>(std::move(items));
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

  Value LoopAttr(const Value& loop, const std::string& name) {
    Value::LoopState* st = loop.loop_state();
    int64_t n = static_cast<int64_t>(st->items->size());
    int64_t i = static_cast<int64_t>(st->index);
    if (name == "index") return Value(i + 1);
    if (name == "index0") return Value(i);
    if (name == "revindex") return Value(n - i);
    if (name == "revindex0") return Value(n - i - 1);
    if (name == "first") return Value(i == 0);
    if (name == "last") return Value(i == n - 1);
    if (name == "length") return Value(n);
    if (name == "depth") return Value(1);
    if (name == "depth0") return Value(0);
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
    return Value::Undefined(absl::StrCat("'LoopContext object' has no attribute '", name, "'"));
  }

  // ---- macros ----
  Value MakeMacro(const Stmt& s, const std::string& name, const ScopePtr& scope) {
    const Stmt* stmt = &s;
    std::shared_ptr<const Template> owner = tmpl_;
    macro_scopes_.push_back(scope);
    Scope* def_scope = scope.get();
    return Value::MakeCallable(name, [this, stmt, owner, def_scope, name](const CallArgs& a) {
      return CallMacro(*stmt, name, owner, def_scope, a, Value());
    });
  }

  absl::StatusOr<Value> CallMacro(const Stmt& s, const std::string& name,
                                  const std::shared_ptr<const Template>& owner, Scope* def_scope,
                                  const CallArgs& a, Value caller) {
    std::shared_ptr<const Template> saved = tmpl_;
    tmpl_ = owner;
    absl::StatusOr<Value> r =
        CallMacroInner(s, name, def_scope->shared_from_this(), a, std::move(caller));
    tmpl_ = std::move(saved);
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
    std::shared_ptr<const Template> owner = tmpl_;
    macro_scopes_.push_back(scope);
    Scope* def_scope = scope.get();
    Value caller =
        Value::MakeCallable("caller", [this, stmt, owner, def_scope](const CallArgs& a) {
          return CallMacro(*stmt, "caller", owner, def_scope, a, Value());
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
        if (v == nullptr) return Value::Undefined(absl::StrCat("'", e.name, "' is undefined"));
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
        int64_t i = v.is_bool() ? v.as_bool() : v.as_int();
        if (i == INT64_MIN) return Err(e.line, "integer overflow");
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
  std::shared_ptr<const Template> tmpl_;
  std::vector<ScopePtr> macro_scopes_;
  int depth_ = 0;
  int64_t iterations_ = 0;
};

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
