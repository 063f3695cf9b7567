// The built-in tests and global functions of the template engine.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/template/builtins_util.h"

namespace maestro::jinja::internal {

namespace {

std::unordered_map<std::string, TestFn>* MakeTests() {
  auto* t = new std::unordered_map<std::string, TestFn>();
  auto& m = *t;
  auto simple = [](bool (*fn)(const Value&)) {
    return [fn](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<bool> {
      return fn(v);
    };
  };
  m["defined"] = simple([](const Value& v) { return !v.is_undefined(); });
  m["undefined"] = simple([](const Value& v) { return v.is_undefined(); });
  m["none"] = simple([](const Value& v) { return v.is_none(); });
  m["boolean"] = simple([](const Value& v) { return v.is_bool(); });
  m["true"] = simple([](const Value& v) { return v.is_bool() && v.as_bool(); });
  m["false"] = simple([](const Value& v) { return v.is_bool() && !v.as_bool(); });
  m["integer"] = simple([](const Value& v) { return v.is_int(); });
  m["float"] = simple([](const Value& v) { return v.is_float(); });
  m["number"] = simple([](const Value& v) { return v.is_number(); });
  m["string"] = simple([](const Value& v) { return v.is_string(); });
  m["mapping"] = simple([](const Value& v) { return v.is_dict(); });
  m["sequence"] = simple(
      [](const Value& v) { return v.is_string() || v.is_sequence_container() || v.is_dict(); });
  m["iterable"] = simple([](const Value& v) {
    return v.is_string() || v.is_sequence_container() || v.is_dict() || v.is_undefined();
  });
  // Jinja2's Undefined and LoopContext define __call__.
  m["callable"] = simple([](const Value& v) {
    return v.is_callable() || v.is_undefined() || v.is_loop() ||
           (v.is_object() && v.object()->IsCallable());
  });
  m["lower"] = simple([](const Value& v) {
    const std::string s = v.Str();
    return s == absl::AsciiStrToLower(s);
  });
  m["upper"] = simple([](const Value& v) {
    const std::string s = v.Str();
    return s == absl::AsciiStrToUpper(s);
  });
  auto int_test = [](bool odd) {
    return [odd](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<bool> {
      if (!IsIntLike(v)) {
        if (v.is_float()) return std::fmod(v.as_float(), 2.0) != 0 ? odd : !odd;
        return TypeError(
            absl::StrCat("unsupported operand type(s) for %: '", v.TypeName(), "' and 'int'"));
      }
      if (v.is_big_int()) {
        BigInt q, r;
        BigInt::DivMod(v.ToBigInt(), BigInt(2), &q, &r);
        return !r.is_zero() == odd;
      }
      return (AsInt(v) % 2 != 0) == odd;
    };
  };
  m["odd"] = int_test(true);
  m["even"] = int_test(false);
  m["divisibleby"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<bool> {
    BIND(b, "divisibleby", a, {"num", Value()});
    MAESTRO_ASSIGN_OR_RETURN(Value r, BinaryOp(BinOp::kMod, v, b[0], Limits()));
    return r == Value(0);
  };
  m["in"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<bool> {
    BIND(b, "in", a, {"seq", Value()});
    return Contains(b[0], v);
  };
  m["sameas"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<bool> {
    BIND(b, "sameas", a, {"other", Value()});
    const Value& o = b[0];
    if (v.kind() != o.kind()) return false;
    if (v.is_none() || v.is_bool()) return v == o;
    if (v.is_int()) return v == o && v.as_int() >= -5 && v.as_int() <= 256;
    return false;
  };
  auto cmp_test = [](CmpOp op) {
    return [op](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<bool> {
      BIND(b, "compare", a, {"other", Value()});
      return Compare(op, v, b[0]);
    };
  };
  m["eq"] = m["equalto"] = m["=="] = cmp_test(CmpOp::kEq);
  m["ne"] = m["!="] = cmp_test(CmpOp::kNe);
  m["lt"] = m["lessthan"] = m["<"] = cmp_test(CmpOp::kLt);
  m["le"] = m["<="] = cmp_test(CmpOp::kLe);
  m["gt"] = m["greaterthan"] = m[">"] = cmp_test(CmpOp::kGt);
  m["ge"] = m[">="] = cmp_test(CmpOp::kGe);
  m["filter"] = simple([](const Value& v) { return false; });
  m["test"] = simple([](const Value& v) { return false; });
  m["escaped"] = simple([](const Value& v) { return false; });
  return t;
}

}  // namespace

const std::unordered_map<std::string, TestFn>& BuiltinTests() {
  static const auto* tests = MakeTests();
  return *tests;
}

std::vector<std::pair<std::string, Value>> BuiltinGlobals(const Limits& limits) {
  std::vector<std::pair<std::string, Value>> g;
  int64_t max_len = limits.max_range_length;
  g.emplace_back(
      "range", Value::MakeCallable("range", [max_len](const CallArgs& a) -> absl::StatusOr<Value> {
        if (!a.keyword.empty()) return TypeError("range() takes no keyword arguments");
        if (a.positional.empty() || a.positional.size() > 3) {
          return TypeError(
              absl::StrCat("range expected 1 to 3 arguments, got ", a.positional.size()));
        }
        int64_t p[3] = {0, 0, 0};
        for (size_t i = 0; i < a.positional.size(); ++i) {
          if (!IsIntLike(a.positional[i])) {
            return TypeError(absl::StrCat("'", a.positional[i].TypeName(),
                                          "' object cannot be interpreted as an integer"));
          }
          p[i] = AsInt(a.positional[i]);
        }
        int64_t start = 0, stop, step = 1;
        if (a.positional.size() == 1) {
          stop = p[0];
        } else {
          start = p[0];
          stop = p[1];
          if (a.positional.size() == 3) step = p[2];
        }
        if (step == 0) return TypeError("range() arg 3 must not be zero");
        __int128 n = 0;
        if (step > 0 && stop > start) n = ((__int128)stop - start + step - 1) / step;
        if (step < 0 && stop < start)
          n = ((__int128)start - stop + (-(__int128)step) - 1) / -(__int128)step;
        if (n > max_len) {
          return TypeError(absl::StrCat("range too big, maximum length is ", max_len));
        }
        Value::List out;
        out.reserve(static_cast<size_t>(n));
        for (int64_t i = 0; i < static_cast<int64_t>(n); ++i) {
          out.push_back(Value(static_cast<int64_t>(start + (__int128)i * step)));
        }
        return Value::MakeList(std::move(out));
      }));
  g.emplace_back("dict",
                 Value::MakeCallable("dict", [](const CallArgs& a) -> absl::StatusOr<Value> {
                   Dict d;
                   for (const Value& p : a.positional) {
                     if (p.is_dict()) {
                       for (const auto& [k, v] : p.as_dict().entries()) d.Set(k, v);
                     } else {
                       MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(p));
                       for (const Value& it : items) {
                         if (!it.is_sequence_container() || it.as_list().size() != 2) {
                           return TypeError("dictionary update sequence element has wrong length");
                         }
                         d.Set(it.as_list()[0], it.as_list()[1]);
                       }
                     }
                   }
                   for (const auto& [k, v] : a.keyword) d.Set(Value(k), v);
                   return Value::MakeDict(std::move(d));
                 }));
  g.emplace_back("namespace",
                 Value::MakeCallable("namespace", [](const CallArgs& a) -> absl::StatusOr<Value> {
                   Dict d;
                   for (const Value& p : a.positional) {
                     for (const auto& [k, v] : p.as_dict().entries()) d.Set(k, v);
                   }
                   for (const auto& [k, v] : a.keyword) d.Set(Value(k), v);
                   return Value::MakeNamespace(std::move(d));
                 }));
  return g;
}

}  // namespace maestro::jinja::internal
