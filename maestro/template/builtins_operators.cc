// Python operators of the template engine: arithmetic, containment, comparison, iteration.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/bigint.h"
#include "maestro/base/status_macros.h"
#include "maestro/template/builtins_util.h"

namespace maestro::jinja::internal {

absl::Status UndefinedError(const Value& v) {
  const std::string& hint = v.undefined_name();
  return absl::InvalidArgumentError(hint.empty() ? "value is undefined" : hint);
}

absl::StatusOr<std::vector<Value>> Iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return std::vector<Value>();
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      return v.as_list();
    case Value::Kind::kDict: {
      std::vector<Value> out;
      out.reserve(v.as_dict().size());
      for (const auto& [k, x] : v.as_dict().entries()) out.push_back(k);
      return out;
    }
    case Value::Kind::kString: {
      std::vector<Value> out;
      for (std::string& c : Chars(v.as_string())) out.emplace_back(std::move(c));
      return out;
    }
    default:
      return TypeError(absl::StrCat("'", v.TypeName(), "' object is not iterable"));
  }
}

namespace {

absl::Status Unsupported(const char* op, const Value& a, const Value& b) {
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  return TypeError(absl::StrCat("unsupported operand type(s) for ", op, ": '", a.TypeName(),
                                "' and '", b.TypeName(), "'"));
}

absl::StatusOr<Value> Repeat(const Value& seq, int64_t n, const Limits& limits) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    const std::string& s = seq.as_string();
    if (!s.empty() && static_cast<uint64_t>(n) > limits.max_output_bytes / s.size()) {
      return TypeError("string repetition result too large");
    }
    std::string out;
    out.reserve(s.size() * static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out += s;
    return Value(std::move(out));
  }
  const auto& items = seq.as_list();
  if (!items.empty() && n > limits.max_range_length / static_cast<int64_t>(items.size())) {
    return TypeError("sequence repetition result too large");
  }
  Value::List out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return seq.is_list() ? Value::MakeList(std::move(out)) : Value::MakeTuple(std::move(out));
}

constexpr absl::string_view kOverflow = "integer overflow";

absl::Status TooLarge() {
  return TypeError(
      absl::StrCat("integer too large (more than ", BigInt::kMaxBits, " bits; maestro only)"));
}

// Python int arithmetic on int64 operands; kOverflow when the result needs a big int.
absl::StatusOr<Value> SmallIntOp(BinOp op, int64_t x, int64_t y) {
  int64_t r;
  switch (op) {
    case BinOp::kAdd:
      if (__builtin_add_overflow(x, y, &r)) return TypeError(kOverflow);
      return Value(r);
    case BinOp::kSub:
      if (__builtin_sub_overflow(x, y, &r)) return TypeError(kOverflow);
      return Value(r);
    case BinOp::kMul:
      if (__builtin_mul_overflow(x, y, &r)) return TypeError(kOverflow);
      return Value(r);
    case BinOp::kDiv:
      if (y == 0) return TypeError("division by zero");
      return Value(static_cast<double>(x) / static_cast<double>(y));
    case BinOp::kFloorDiv: {
      if (y == 0) return TypeError("integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) return TypeError(kOverflow);
      int64_t q = x / y;
      if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
      return Value(q);
    }
    case BinOp::kMod: {
      if (y == 0) return TypeError("integer division or modulo by zero");
      if (y == -1) return Value(0);
      int64_t m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      return Value(m);
    }
    case BinOp::kPow: {
      if (y < 0) {
        if (x == 0) return TypeError("0.0 cannot be raised to a negative power");
        return Value(std::pow(static_cast<double>(x), static_cast<double>(y)));
      }
      int64_t result = 1, base = x;
      int64_t e = y;
      while (e > 0) {
        if (e & 1) {
          if (__builtin_mul_overflow(result, base, &result)) return TypeError(kOverflow);
        }
        e >>= 1;
        if (e > 0 && __builtin_mul_overflow(base, base, &base)) {
          if (x == 1 || x == 0 || x == -1) break;
          return TypeError(kOverflow);
        }
      }
      if (x == 1) return Value(int64_t{1});
      if (x == 0) return Value(int64_t{y == 0 ? 1 : 0});
      if (x == -1) return Value(int64_t{y % 2 ? -1 : 1});
      return Value(result);
    }
  }
  return TypeError(kOverflow);
}

// The same on ints of any size (Python semantics, bounded by BigInt::kMaxBits).
absl::StatusOr<Value> BigIntOp(BinOp op, const BigInt& x, const BigInt& y) {
  std::optional<BigInt> r;
  switch (op) {
    case BinOp::kAdd:
      r = BigInt::Add(x, y);
      break;
    case BinOp::kSub:
      r = BigInt::Sub(x, y);
      break;
    case BinOp::kMul:
      r = BigInt::Mul(x, y);
      break;
    case BinOp::kDiv: {
      if (y.is_zero()) return TypeError("division by zero");
      double q = x.ToDouble() / y.ToDouble();
      if (std::isinf(q)) return TypeError("integer division result too large for a float");
      return Value(q);
    }
    case BinOp::kFloorDiv:
    case BinOp::kMod: {
      if (y.is_zero()) return TypeError("integer division or modulo by zero");
      BigInt q, m;
      BigInt::DivMod(x, y, &q, &m);
      return Value::MakeInt(op == BinOp::kMod ? m : q);
    }
    case BinOp::kPow:
      if (y.negative()) {
        if (x.is_zero()) return TypeError("0.0 cannot be raised to a negative power");
        double p = std::pow(x.ToDouble(), y.ToDouble());
        if (std::isinf(p)) return TypeError("int too large to convert to float");
        return Value(p);
      }
      if (!y.FitsInt64()) {
        r = BigInt::Pow(x, UINT64_MAX);  // 0, 1, -1 stay small; others are too large
      } else {
        r = BigInt::Pow(x, static_cast<uint64_t>(y.ToInt64()));
      }
      break;
  }
  if (!r) return TooLarge();
  return Value::MakeInt(*r);
}

}  // namespace

absl::StatusOr<Value> BinaryOp(BinOp op, const Value& a, const Value& b, const Limits& limits) {
  static const char* kNames[] = {"+", "-", "*", "/", "//", "%", "** or pow()"};
  const char* name = kNames[static_cast<int>(op)];
  if (a.is_number() && b.is_number()) {
    bool fl = a.is_float() || b.is_float();
    if (!fl) {
      if (!a.is_big_int() && !b.is_big_int()) {
        absl::StatusOr<Value> r = SmallIntOp(op, AsInt(a), AsInt(b));
        if (r.ok() || r.status().message() != kOverflow) return r;
      }
      return BigIntOp(op, a.ToBigInt(), b.ToBigInt());
    }
    double x = a.ToDouble(), y = b.ToDouble();
    switch (op) {
      case BinOp::kAdd:
        return Value(x + y);
      case BinOp::kSub:
        return Value(x - y);
      case BinOp::kMul:
        return Value(x * y);
      case BinOp::kDiv:
        if (y == 0) return TypeError("float division by zero");
        return Value(x / y);
      case BinOp::kFloorDiv:
        if (y == 0) return TypeError("float floor division by zero");
        return Value(std::floor(x / y));
      case BinOp::kMod: {
        if (y == 0) return TypeError("float modulo");
        double m = std::fmod(x, y);
        if (m != 0 && ((m < 0) != (y < 0))) m += y;
        if (m == 0) m = std::copysign(0.0, y);
        return Value(m);
      }
      case BinOp::kPow: {
        if (x == 0 && y < 0) return TypeError("0.0 cannot be raised to a negative power");
        double r = std::pow(x, y);
        if (std::isnan(r) && !std::isnan(x) && !std::isnan(y)) {
          return TypeError("negative number cannot be raised to a fractional power");
        }
        if (std::isinf(r) && std::isfinite(x) && std::isfinite(y)) {
          return TypeError("numerical result out of range");
        }
        return Value(r);
      }
    }
  }
  switch (op) {
    case BinOp::kAdd:
      if (a.is_string() && b.is_string()) {
        if (a.as_string().size() + b.as_string().size() > limits.max_output_bytes) {
          return TypeError("string too large");
        }
        return Value(a.as_string() + b.as_string());
      }
      if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
        // Bounded like `[..] * n`: a list doubling itself in a loop must not run away.
        if (a.as_list().size() + b.as_list().size() >
            static_cast<uint64_t>(limits.max_range_length)) {
          return TypeError("list too large");
        }
        Value::List out = a.as_list();
        out.insert(out.end(), b.as_list().begin(), b.as_list().end());
        return a.is_list() ? Value::MakeList(std::move(out)) : Value::MakeTuple(std::move(out));
      }
      break;
    case BinOp::kMul:
      if ((a.is_string() || a.is_sequence_container()) && IsIntLike(b)) {
        return Repeat(a, AsInt(b), limits);
      }
      if ((b.is_string() || b.is_sequence_container()) && IsIntLike(a)) {
        return Repeat(b, AsInt(a), limits);
      }
      break;
    case BinOp::kMod:
      if (a.is_string()) {
        MAESTRO_ASSIGN_OR_RETURN(std::string s, PercentFormat(a.as_string(), b));
        return Value(std::move(s));
      }
      break;
    default:
      break;
  }
  return Unsupported(name, a, b);
}

absl::StatusOr<bool> Contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kUndefined:
      return false;
    case Value::Kind::kString:
      if (!item.is_string()) {
        if (item.is_undefined()) return UndefinedError(item);
        return TypeError(
            absl::StrCat("'in <string>' requires string as left operand, not ", item.TypeName()));
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      for (const Value& x : container.as_list()) {
        if (x == item) return true;
      }
      return false;
    case Value::Kind::kDict:
      return container.as_dict().Find(item) != nullptr;
    default:
      return TypeError(
          absl::StrCat("argument of type '", container.TypeName(), "' is not iterable"));
  }
}

absl::StatusOr<bool> Compare(CmpOp op, const Value& a, const Value& b) {
  switch (op) {
    case CmpOp::kEq:
      return a == b;
    case CmpOp::kNe:
      return a != b;
    case CmpOp::kIn:
      return Contains(b, a);
    case CmpOp::kNotIn: {
      MAESTRO_ASSIGN_OR_RETURN(bool r, Contains(b, a));
      return !r;
    }
    default:
      break;
  }
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  static const char* kOps[] = {"==", "!=", "<", "<=", ">", ">="};
  auto wrap = [&](absl::StatusOr<bool> r) -> absl::StatusOr<bool> {
    if (r.ok()) return r;
    // LessThan's depth guard (Python's RecursionError) is not a type error.
    if (absl::StartsWith(r.status().message(), "maximum recursion depth")) return r;
    return TypeError(absl::StrCat("'", kOps[static_cast<int>(op)],
                                  "' not supported between instances of '", a.TypeName(), "' and '",
                                  b.TypeName(), "'"));
  };
  switch (op) {
    case CmpOp::kLt:
      return wrap(LessThan(a, b));
    case CmpOp::kGt:
      return wrap(LessThan(b, a));
    case CmpOp::kLe: {
      MAESTRO_ASSIGN_OR_RETURN(bool r, wrap(LessThan(b, a)));
      return !r;
    }
    case CmpOp::kGe: {
      MAESTRO_ASSIGN_OR_RETURN(bool r, wrap(LessThan(a, b)));
      return !r;
    }
    default:
      return false;
  }
}

}  // namespace maestro::jinja::internal
