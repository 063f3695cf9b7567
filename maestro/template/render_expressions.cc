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

// ---- expressions ----
absl::StatusOr<CallArgs> Renderer::EvalArgs(const Args& args, const ScopePtr& scope) {
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

absl::StatusOr<Value> Renderer::CallValue(const Value& callee, const CallArgs& args, int line) {
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

// One step of the render (a statement or an expression that creates a value): counted
// against Limits::max_steps, and refused when the stack is nearly exhausted (macro
// recursion inside deep blocks inside deep expressions multiply; the parser's static limits
// bound each alone).
absl::Status Renderer::Step(int line) {
  if (reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) < stack_floor_) {
    return Err(line, "the template nests too deeply (the render would exhaust the stack)");
  }
  return At(Tick(1), line);
}

// Counts a value an expression created against Limits::max_value_bytes (a shallow size:
// the bytes of a string, 32 per item of a list or dict; items were counted when made), and
// refuses containers nested deeper than kMaxValueNesting (printing, comparing and freeing
// them recurse once per level).
absl::Status Renderer::Charge(const Value& v, int line) {
  if (v.nesting() > kMaxValueNesting) {
    return Err(line, absl::StrCat("value nested too deeply (more than ", kMaxValueNesting,
                                  " levels of lists and dicts)"));
  }
  if (v.is_string()) return ChargeBytes(v.as_string().size(), line);
  if (v.is_sequence_container()) return ChargeBytes(32 * v.as_list().size(), line);
  if (v.is_dict() || v.is_namespace()) return ChargeBytes(64 * v.as_dict().size(), line);
  return absl::OkStatus();
}

absl::Status Renderer::ChargeBytes(size_t bytes, int line) {
  value_bytes_ += bytes;
  if (value_bytes_ > env_->limits.max_value_bytes) {
    return Err(line, absl::StrCat("the template creates too much data (limit ",
                                  env_->limits.max_value_bytes >> 20,
                                  " MiB of strings and lists per render)"));
  }
  return absl::OkStatus();
}

// Steps for work proportional to the size of `v` (scanning, sorting, copying it).
absl::Status Renderer::TickFor(const Value& v, int line) {
  int64_t n = 0;
  if (v.is_string()) {
    n = static_cast<int64_t>(v.as_string().size() / 1024);
  } else if (v.is_sequence_container()) {
    n = static_cast<int64_t>(v.as_list().size() / 64);
  } else if (v.is_dict() || v.is_namespace()) {
    n = static_cast<int64_t>(v.as_dict().size() / 64);
  }
  return n == 0 ? absl::OkStatus() : At(Tick(n), line);
}

absl::StatusOr<Value> Renderer::Eval(const Expr& e, const ScopePtr& scope) {
  switch (e.kind) {
    case ExprKind::kLiteral:
    case ExprKind::kName:
    case ExprKind::kGetAttr:
    case ExprKind::kGetItem:
    case ExprKind::kNeg:
    case ExprKind::kPos:
    case ExprKind::kNot:
    case ExprKind::kAnd:
    case ExprKind::kOr:
    case ExprKind::kCond:
      // No new containers or strings: only the stack needs watching.
      if (e.kind != ExprKind::kLiteral && e.kind != ExprKind::kName &&
          reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) < stack_floor_) {
        return Err(e.line, "the template nests too deeply (the render would exhaust the stack)");
      }
      return EvalNode(e, scope);
    default: {
      MAESTRO_RETURN_IF_ERROR(Step(e.line));
      MAESTRO_ASSIGN_OR_RETURN(Value v, EvalNode(e, scope));
      MAESTRO_RETURN_IF_ERROR(Charge(v, e.line));
      return v;
    }
  }
}

absl::StatusOr<Value> Renderer::EvalNode(const Expr& e, const ScopePtr& scope) {
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
        return Err(e.line,
                   absl::StrCat("bad operand type for unary ", e.kind == ExprKind::kNeg ? "-" : "+",
                                ": '", v.TypeName(), "'"));
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
      MAESTRO_RETURN_IF_ERROR(TickFor(a, e.line));
      MAESTRO_RETURN_IF_ERROR(TickFor(b, e.line));
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
        if (e.cmp_ops[i] == CmpOp::kIn || e.cmp_ops[i] == CmpOp::kNotIn) {
          MAESTRO_RETURN_IF_ERROR(TickFor(right, e.line));
        }
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
      return Value::Undefined(
          "the inline if-expression evaluated to false and no else "
          "section was defined.");
    }
    case ExprKind::kFilter: {
      MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0], scope));
      MAESTRO_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e.args, scope));
      MAESTRO_RETURN_IF_ERROR(TickFor(v, e.line));
      absl::StatusOr<Value> r = ApplyFilter(e.name, v, args);
      if (!r.ok()) return At(r.status(), e.line);
      return r;
    }
    case ExprKind::kTest: {
      MAESTRO_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0], scope));
      MAESTRO_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e.args, scope));
      MAESTRO_RETURN_IF_ERROR(TickFor(v, e.line));
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
          MAESTRO_RETURN_IF_ERROR(TickFor(obj, e.line));
          // List and dict methods change `obj` in place (shared like Python references):
          // what they look at counts as steps, what they add against the byte budget.
          auto size = [&obj]() -> size_t {
            if (obj.is_sequence_container()) return 32 * obj.as_list().size();
            if (obj.is_dict()) return 64 * obj.as_dict().size();
            return 0;
          };
          size_t bytes_before = size();
          int64_t work = 0;
          absl::StatusOr<Value> r = internal::CallMethod(obj, fn.name, args, env_->limits, &work);
          if (!r.ok()) return At(r.status(), e.line);
          MAESTRO_RETURN_IF_ERROR(At(Tick(work / 64), e.line));
          size_t bytes_after = size();
          if (bytes_after > bytes_before) {
            MAESTRO_RETURN_IF_ERROR(ChargeBytes(bytes_after - bytes_before, e.line));
          }
          return r;
        }
        Value callee =
            obj.is_loop() ? LoopAttr(obj, fn.name) : internal::GetAttribute(obj, fn.name);
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

}  // namespace maestro::jinja::internal
