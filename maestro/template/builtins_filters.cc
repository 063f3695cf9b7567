// The built-in filters of the template engine (Jinja2's DEFAULT_FILTERS that apply here).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/bigint.h"
#include "maestro/base/status_macros.h"
#include "maestro/template/builtins_util.h"

namespace maestro::jinja::internal {

namespace {

// Python int(x) for filters (Jinja's do_int semantics).
Value JinjaInt(const Value& v, const Value& def, int64_t base) {
  if (v.is_int()) return v;
  if (v.is_bool()) return Value(AsInt(v));
  if (v.is_float()) {
    double d = v.as_float();
    if (!std::isfinite(d)) return def;  // Python: OverflowError / ValueError
    if (std::fabs(d) >= 9.2e18) return Value::MakeInt(*BigInt::FromDouble(d));
    return Value(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    std::string s(absl::StripAsciiWhitespace(v.as_string()));
    std::string t;
    for (char c : s) {
      if (c != '_') t.push_back(c);
    }
    if (!t.empty()) {
      const char* p = t.c_str();
      char* end = nullptr;
      errno = 0;
      long long r = std::strtoll(p, &end, static_cast<int>(base));
      if (end && *end == '\0' && errno == 0 && t.find_first_of(" \t") == std::string::npos) {
        return Value(static_cast<int64_t>(r));
      }
      if (end && *end == '\0' && errno == ERANGE) {  // an int beyond int64
        bool neg = t[0] == '-';
        std::string digits = (t[0] == '-' || t[0] == '+') ? t.substr(1) : t;
        if (std::optional<BigInt> big = BigInt::Parse(digits, static_cast<int>(base), neg)) {
          return Value::MakeInt(*big);
        }
      }
      errno = 0;
      double d = std::strtod(p, &end);
      if (end && *end == '\0' && errno == 0 && std::isfinite(d)) {
        if (std::fabs(d) >= 9.2e18) return Value::MakeInt(*BigInt::FromDouble(d));
        return Value(static_cast<int64_t>(d));
      }
    }
  }
  return def;
}

Value Lowered(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(absl::AsciiStrToLower(v.as_string()));
  return v;
}

std::string Center(const std::string& s, int64_t width) {
  int64_t len = CharLen(s);
  if (width <= len) return s;
  int64_t pad = width - len;
  int64_t left = pad / 2 + (pad & width & 1);
  return std::string(static_cast<size_t>(left), ' ') + s +
         std::string(static_cast<size_t>(pad - left), ' ');
}

absl::StatusOr<Value> Round(const Value& v, int64_t precision, const std::string& method) {
  if (!v.is_number()) {
    return TypeError(absl::StrCat("type ", v.TypeName(), " doesn't define __round__ method"));
  }
  double d = v.ToDouble();
  if (precision < 0 || precision > 300) return TypeError("unsupported round precision");
  double r;
  if (method == "common") {
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(precision), d);
    r = std::strtod(buf, nullptr);
    if (!v.is_float()) return Value::MakeInt(v.ToBigInt());  // round(int) is that int
  } else if (method == "floor" || method == "ceil") {
    double m = std::pow(10.0, static_cast<double>(precision));
    r = (method == "floor" ? std::floor(d * m) : std::ceil(d * m)) / m;
  } else {
    return TypeError("method must be common, ceil or floor");
  }
  return Value(r);
}

absl::StatusOr<Value> Sum(FilterContext& ctx, const std::vector<Value>& items,
                          const Value& attribute, Value start, const Limits& limits) {
  Value acc = std::move(start);
  for (const Value& item : items) {
    Value x = attribute.is_string() ? GetPath(item, attribute.as_string()) : item;
    MAESTRO_ASSIGN_OR_RETURN(acc, BinaryOp(BinOp::kAdd, acc, x, limits));
  }
  return acc;
}

absl::StatusOr<std::vector<Value>> SelectOrReject(FilterContext& ctx, const Value& input,
                                                  const CallArgs& args, bool select, bool by_attr) {
  MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(input));
  size_t off = 0;
  std::string attr;
  if (by_attr) {
    if (args.positional.empty()) return TypeError("missing parameter for attribute name");
    attr = args.positional[0].Str();
    off = 1;
  }
  std::string test;
  CallArgs targs;
  if (args.positional.size() > off) {
    test = args.positional[off].Str();
    targs.positional.assign(args.positional.begin() + off + 1, args.positional.end());
    targs.keyword = args.keyword;
  }
  std::vector<Value> out;
  for (const Value& item : items) {
    MAESTRO_RETURN_IF_ERROR(ctx.Tick(1));
    Value x = by_attr ? GetPath(item, attr) : item;
    bool ok;
    if (test.empty()) {
      ok = x.Truthy();
    } else {
      MAESTRO_ASSIGN_OR_RETURN(ok, ctx.ApplyTest(test, x, targs));
    }
    if (ok == select) out.push_back(item);
  }
  return out;
}

std::unordered_map<std::string, FilterFn>* MakeFilters() {
  auto* f = new std::unordered_map<std::string, FilterFn>();
  auto& m = *f;
  m["default"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "default", a, {"default_value", Value("")}, {"boolean", Value(false)});
    if (v.is_undefined() || (b[1].Truthy() && !v.Truthy())) return b[0];
    return v;
  };
  m["d"] = m["default"];
  auto str_filter = [](std::string (*fn)(const std::string&)) {
    return [fn](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
      return Value(fn(v.Str()));
    };
  };
  m["upper"] = str_filter(Upper);
  m["lower"] = str_filter(Lower);
  m["capitalize"] = str_filter(Capitalize);
  m["title"] = str_filter(Title);
  m["string"] = str_filter([](const std::string& s) { return s; });
  m["e"] =
      m["escape"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    std::string s = v.Str(), out;
    for (char c : s) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&#34;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          out.push_back(c);
      }
    }
    return Value(out);
  };
  m["trim"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "trim", a, {"chars", Value::None()});
    return Value(StripChars(v.Str(), b[0], true, true));
  };
  m["replace"] = [](FilterContext& ctx, const Value& v,
                    const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "replace", a, {"old", Value()}, {"new", Value()}, {"count", Value::None()});
    int64_t count = IsIntLike(b[2]) ? AsInt(b[2]) : -1;
    std::string r = Replace(v.Str(), b[0].Str(), b[1].Str(), count);
    if (r.size() > ctx.limits().max_output_bytes) return TypeError("string too large");
    return Value(std::move(r));
  };
  m["int"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "int", a, {"default", Value(0)}, {"base", Value(10)});
    if (v.is_undefined()) return UndefinedError(v);
    int64_t base = IsIntLike(b[1]) ? AsInt(b[1]) : 10;
    if (base < 2 || base > 36) base = 10;
    return JinjaInt(v, b[0], base);
  };
  m["float"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "float", a, {"default", Value(0.0)});
    if (v.is_undefined()) return UndefinedError(v);
    if (v.is_number()) return Value(v.ToDouble());
    if (v.is_string()) {
      std::string s(absl::StripAsciiWhitespace(v.as_string()));
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end && *end == '\0' && s.find_first_of("xX") == std::string::npos) {
        return Value(d);
      }
    }
    return b[0];
  };
  m["join"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "join", a, {"d", Value("")}, {"attribute", Value::None()});
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    std::string sep = b[0].Str(), out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += sep;
      if (b[1].is_none()) {
        items[i].AppendStr(&out);
      } else {
        Value x = IsIntLike(b[1]) ? GetItem(items[i], b[1]) : GetPath(items[i], b[1].Str());
        x.AppendStr(&out);
      }
    }
    return Value(std::move(out));
  };
  m["length"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    if (v.is_string()) return Value(CharLen(v.as_string()));
    if (v.is_sequence_container()) return Value(static_cast<int64_t>(v.as_list().size()));
    if (v.is_dict()) return Value(static_cast<int64_t>(v.as_dict().size()));
    if (v.is_undefined()) return Value(0);
    return TypeError(absl::StrCat("object of type '", v.TypeName(), "' has no len()"));
  };
  m["count"] = m["length"];
  m["first"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    if (items.empty()) return Value::Undefined("No first item, sequence was empty.");
    return items.front();
  };
  m["last"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    if (items.empty()) return Value::Undefined("No last item, sequence was empty.");
    return items.back();
  };
  m["list"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    return Value::MakeList(std::move(items));
  };
  m["sort"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "sort", a, {"reverse", Value(false)}, {"case_sensitive", Value(false)},
         {"attribute", Value::None()});
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    MAESTRO_ASSIGN_OR_RETURN(items,
                             SortValues(std::move(items), b[0].Truthy(), b[1].Truthy(), b[2]));
    return Value::MakeList(std::move(items));
  };
  m["unique"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "unique", a, {"case_sensitive", Value(false)}, {"attribute", Value::None()});
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    Dict seen;
    Value::List out;
    for (const Value& x : items) {
      Value key = Lowered(b[1].is_none() ? x : GetPath(x, b[1].Str()), b[0].Truthy());
      if (seen.Find(key) != nullptr) continue;
      seen.Set(key, Value(true));
      out.push_back(x);
    }
    return Value::MakeList(std::move(out));
  };
  m["reverse"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    if (v.is_string()) {
      std::vector<std::string> cs = Chars(v.as_string());
      std::string out;
      for (auto it = cs.rbegin(); it != cs.rend(); ++it) out += *it;
      return Value(std::move(out));
    }
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    std::reverse(items.begin(), items.end());
    return Value::MakeList(std::move(items));
  };
  m["indent"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "indent", a, {"width", Value(4)}, {"first", Value(false)}, {"blank", Value(false)});
    std::string pad;
    if (b[0].is_string()) {
      pad = b[0].as_string();
    } else {
      MAESTRO_ASSIGN_OR_RETURN(int64_t w, ToIndex(b[0], "width"));
      if (w > 10000) return TypeError("indent width too large");
      pad = std::string(static_cast<size_t>(std::max<int64_t>(w, 0)), ' ');
    }
    std::string s = v.Str();
    // Jinja: s += "\n"; lines = s.splitlines(); first line handled; join with "\n" + pad.
    std::string text = s + "\n";
    std::vector<std::string> lines;
    size_t i = 0;
    while (i < text.size()) {
      size_t j = text.find('\n', i);
      lines.push_back(text.substr(i, j - i));
      i = j + 1;
    }
    std::string rv;
    if (lines.empty()) return Value(rv);
    for (size_t k = 1; k < lines.size(); ++k) {
      rv += "\n";
      if (b[2].Truthy() || !lines[k].empty()) rv += pad;
      rv += lines[k];
    }
    rv = lines[0] + rv;
    if (b[1].Truthy()) rv = pad + rv;
    return Value(rv);
  };
  m["tojson"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "tojson", a, {"indent", Value::None()});
    int indent = IsIntLike(b[0]) ? static_cast<int>(std::min<int64_t>(AsInt(b[0]), 100)) : -1;
    std::string out;
    MAESTRO_RETURN_IF_ERROR(ToJson(v, indent, 0, &out, 0));
    return Value(std::move(out));
  };
  m["format"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    if (!a.keyword.empty()) {
      if (!a.positional.empty())
        return TypeError("can't handle positional and keyword arguments at the same time");
      Dict d;
      for (const auto& [k, x] : a.keyword) d.Set(Value(k), x);
      MAESTRO_ASSIGN_OR_RETURN(std::string s,
                               PercentFormat(v.Str(), Value::MakeDict(std::move(d))));
      return Value(s);
    }
    MAESTRO_ASSIGN_OR_RETURN(std::string s, PercentFormat(v.Str(), Value::MakeTuple(a.positional)));
    return Value(s);
  };
  m["abs"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    if (v.is_float()) return Value(std::fabs(v.as_float()));
    if (IsIntLike(v)) {
      int64_t i = AsInt(v);
      if (v.is_big_int() || i == INT64_MIN) return Value::MakeInt(v.ToBigInt().Abs());
      return Value(i < 0 ? -i : i);
    }
    return TypeError(absl::StrCat("bad operand type for abs(): '", v.TypeName(), "'"));
  };
  m["round"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "round", a, {"precision", Value(0)}, {"method", Value("common")});
    MAESTRO_ASSIGN_OR_RETURN(int64_t p, ToIndex(b[0], "precision"));
    return Round(v, p, b[1].Str());
  };
  auto minmax = [](bool is_max) {
    return [is_max](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
      BIND(b, is_max ? "max" : "min", a, {"case_sensitive", Value(false)},
           {"attribute", Value::None()});
      MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
      if (items.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
      size_t best = 0;
      auto key = [&](const Value& x) {
        return Lowered(b[1].is_none() ? x : GetPath(x, b[1].Str()), b[0].Truthy());
      };
      Value bk = key(items[0]);
      for (size_t i = 1; i < items.size(); ++i) {
        Value k = key(items[i]);
        MAESTRO_ASSIGN_OR_RETURN(bool lt, is_max ? LessThan(bk, k) : LessThan(k, bk));
        if (lt) {
          best = i;
          bk = k;
        }
      }
      return items[best];
    };
  };
  m["max"] = minmax(true);
  m["min"] = minmax(false);
  m["sum"] = [](FilterContext& ctx, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "sum", a, {"attribute", Value::None()}, {"start", Value(0)});
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    return Sum(ctx, items, b[0], b[1], ctx.limits());
  };
  m["select"] = [](FilterContext& ctx, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(auto r, SelectOrReject(ctx, v, a, true, false));
    return Value::MakeList(std::move(r));
  };
  m["reject"] = [](FilterContext& ctx, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(auto r, SelectOrReject(ctx, v, a, false, false));
    return Value::MakeList(std::move(r));
  };
  m["selectattr"] = [](FilterContext& ctx, const Value& v,
                       const CallArgs& a) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(auto r, SelectOrReject(ctx, v, a, true, true));
    return Value::MakeList(std::move(r));
  };
  m["rejectattr"] = [](FilterContext& ctx, const Value& v,
                       const CallArgs& a) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(auto r, SelectOrReject(ctx, v, a, false, true));
    return Value::MakeList(std::move(r));
  };
  m["map"] = [](FilterContext& ctx, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    Value::List out;
    out.reserve(items.size());
    const Value* attribute = nullptr;
    Value def;
    bool has_def = false;
    for (const auto& [k, x] : a.keyword) {
      if (k == "attribute") attribute = &x;
      if (k == "default") {
        def = x;
        has_def = true;
      }
    }
    if (attribute != nullptr) {
      for (const Value& item : items) {
        Value x =
            IsIntLike(*attribute) ? GetItem(item, *attribute) : GetPath(item, attribute->Str());
        if (x.is_undefined() && has_def) x = def;
        out.push_back(std::move(x));
      }
      return Value::MakeList(std::move(out));
    }
    if (a.positional.empty()) return TypeError("map requires a filter argument");
    std::string name = a.positional[0].Str();
    CallArgs fargs;
    fargs.positional.assign(a.positional.begin() + 1, a.positional.end());
    fargs.keyword = a.keyword;
    for (const Value& item : items) {
      MAESTRO_RETURN_IF_ERROR(ctx.Tick(1));
      MAESTRO_ASSIGN_OR_RETURN(Value x, ctx.ApplyFilter(name, item, fargs));
      out.push_back(std::move(x));
    }
    return Value::MakeList(std::move(out));
  };
  m["items"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    if (v.is_undefined()) return Value::MakeList({});
    if (!v.is_dict()) return TypeError("Can only get item pairs from a mapping.");
    Value::List out;
    for (const auto& [k, x] : v.as_dict().entries()) out.push_back(Value::MakeTuple({k, x}));
    return Value::MakeList(std::move(out));
  };
  m["dictsort"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "dictsort", a, {"case_sensitive", Value(false)}, {"by", Value("key")},
         {"reverse", Value(false)});
    if (!v.is_dict()) return TypeError("You can only sort by either \"key\" or \"value\"");
    size_t pos = b[1].Str() == "value" ? 1 : 0;
    if (b[1].Str() != "key" && b[1].Str() != "value") {
      return TypeError("You can only sort by either \"key\" or \"value\"");
    }
    std::vector<Value> pairs;
    for (const auto& [k, x] : v.as_dict().entries()) pairs.push_back(Value::MakeTuple({k, x}));
    MAESTRO_ASSIGN_OR_RETURN(pairs, SortValues(std::move(pairs), b[2].Truthy(), b[0].Truthy(),
                                               Value(static_cast<int64_t>(pos))));
    return Value::MakeList(std::move(pairs));
  };
  m["batch"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "batch", a, {"linecount", Value()}, {"fill_with", Value::None()});
    MAESTRO_ASSIGN_OR_RETURN(int64_t n, ToIndex(b[0], "linecount"));
    if (n <= 0) return TypeError("batch linecount must be positive");
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    Value::List out, cur;
    for (const Value& x : items) {
      cur.push_back(x);
      if (static_cast<int64_t>(cur.size()) == n) {
        out.push_back(Value::MakeList(std::move(cur)));
        cur.clear();
      }
    }
    if (!cur.empty()) {
      if (b.given(1)) {
        while (static_cast<int64_t>(cur.size()) < n) cur.push_back(b[1]);
      }
      out.push_back(Value::MakeList(std::move(cur)));
    }
    return Value::MakeList(std::move(out));
  };
  m["center"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "center", a, {"width", Value(80)});
    MAESTRO_ASSIGN_OR_RETURN(int64_t w, ToIndex(b[0], "width"));
    if (w > 100000) return TypeError("center width too large");
    return Value(Center(v.Str(), w));
  };
  m["wordcount"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    std::string s = v.Str();
    int64_t n = 0;
    bool in_word = false;
    for (char c : s) {
      bool w = std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
               static_cast<unsigned char>(c) >= 0x80;
      if (w && !in_word) ++n;
      in_word = w;
    }
    return Value(n);
  };
  m["truncate"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "truncate", a, {"length", Value(255)}, {"killwords", Value(false)},
         {"end", Value("...")}, {"leeway", Value(5)});
    std::string s = v.Str();
    MAESTRO_ASSIGN_OR_RETURN(int64_t length, ToIndex(b[0], "length"));
    MAESTRO_ASSIGN_OR_RETURN(int64_t leeway, ToIndex(b[3], "leeway"));
    std::string end = b[2].Str();
    std::vector<std::string> cs = Chars(s);
    int64_t n = static_cast<int64_t>(cs.size());
    if (n <= length + leeway) return Value(s);
    int64_t keep = std::max<int64_t>(0, length - CharLen(end));
    std::string head;
    for (int64_t i = 0; i < keep && i < n; ++i) head += cs[static_cast<size_t>(i)];
    if (b[1].Truthy()) return Value(head + end);
    size_t sp = head.rfind(' ');
    if (sp != std::string::npos) head.resize(sp);
    return Value(head + end);
  };
  m["attr"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "attr", a, {"name", Value()});
    // getattr() only: dict keys are not attributes.
    if (v.is_dict() && !HasMethod(v, b[0].Str())) {
      return Value::Undefined(absl::StrCat("'dict object' has no attribute '", b[0].Str(), "'"));
    }
    return GetAttribute(v, b[0].Str());
  };
  m["striptags"] = m["string"];
  m["urlencode"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    std::string s = v.Str(), out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~' || c == '/') {
        out.push_back(static_cast<char>(c));
      } else {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "%%%02X", c);
        out += buf;
      }
    }
    return Value(out);
  };
  return f;
}

}  // namespace

// Attribute path lookup as Jinja's make_attrgetter ("a.b", "0").
Value GetPath(const Value& item, const std::string& path) {
  Value v = item;
  size_t i = 0;
  while (true) {
    size_t dot = path.find('.', i);
    std::string part = path.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
    if (v.is_undefined()) return v;
    if (!part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      v = GetItem(v, Value(static_cast<int64_t>(std::strtoll(part.c_str(), nullptr, 10))));
    } else {
      v = GetItem(v, Value(part));
    }
    if (dot == std::string::npos) return v;
    i = dot + 1;
  }
}

absl::StatusOr<std::vector<Value>> SortValues(std::vector<Value> items, bool reverse,
                                              bool case_sensitive, const Value& attribute) {
  std::vector<std::pair<Value, Value>> keyed;
  keyed.reserve(items.size());
  for (Value& v : items) {
    Value key = attribute.is_string()  ? GetPath(v, attribute.as_string())
                : IsIntLike(attribute) ? GetItem(v, attribute)
                                       : v;
    keyed.emplace_back(Lowered(key, case_sensitive), std::move(v));
  }
  absl::Status err;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    if (!err.ok()) return false;
    absl::StatusOr<bool> lt = reverse ? LessThan(b.first, a.first) : LessThan(a.first, b.first);
    if (!lt.ok()) {
      err = lt.status();
      return false;
    }
    return *lt;
  });
  MAESTRO_RETURN_IF_ERROR(err);
  std::vector<Value> out;
  out.reserve(keyed.size());
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return out;
}

const std::unordered_map<std::string, FilterFn>& BuiltinFilters() {
  static const auto* filters = MakeFilters();
  return *filters;
}

}  // namespace maestro::jinja::internal
