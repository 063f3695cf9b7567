// Attribute and item access, slicing, and the methods of str, list and dict values.
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
const char* ObjName(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kDict:
      return "dict object";
    case Value::Kind::kString:
      return "str object";
    case Value::Kind::kList:
      return "list object";
    case Value::Kind::kTuple:
      return "tuple object";
    case Value::Kind::kInt:
      return "int object";
    case Value::Kind::kFloat:
      return "float object";
    case Value::Kind::kBool:
      return "bool object";
    case Value::Kind::kNone:
      return "None";
    default:
      return "object";
  }
}

bool IsStrMethod(const std::string& n) {
  static const char* kNames[] = {
      "split",  "rsplit", "strip",      "lstrip",  "rstrip",  "upper",   "lower",
      "title",  "capitalize", "startswith", "endswith", "replace", "format", "join",
      "find",   "rfind",  "count",      "isdigit", "isalpha", "isalnum", "isspace",
      "isupper", "islower", "splitlines", "zfill", "ljust",   "rjust",   "center",
      "index", "partition", "swapcase"};
  for (const char* k : kNames) {
    if (n == k) return true;
  }
  return false;
}
bool IsDictMethod(const std::string& n) {
  return n == "get" || n == "items" || n == "keys" || n == "values" || n == "copy";
}
bool IsListMethod(const std::string& n) { return n == "count" || n == "index" || n == "copy"; }
}  // namespace

bool HasMethod(const Value& obj, const std::string& name) {
  if (obj.is_string()) return IsStrMethod(name);
  if (obj.is_dict()) return IsDictMethod(name);
  if (obj.is_sequence_container()) return IsListMethod(name);
  return false;
}

Value GetAttribute(const Value& obj, const std::string& name) {
  if (obj.is_object()) return obj.object()->GetAttr(name);
  if (HasMethod(obj, name)) {
    Value self = obj;
    return Value::MakeCallable(name, [self, name](const CallArgs& a) {
      return CallMethod(self, name, a, Limits());
    });
  }
  if (obj.is_dict() || obj.is_namespace()) {
    const Value* v = obj.as_dict().FindString(name);
    if (v != nullptr) return *v;
  }
  return Value::Undefined(absl::StrCat("'", ObjName(obj), "' has no attribute '", name, "'"));
}

Value GetItem(const Value& obj, const Value& key) {
  if (obj.is_object() && key.is_string()) return obj.object()->GetAttr(key.as_string());
  if (obj.is_dict()) {
    const Value* v = obj.as_dict().Find(key);
    if (v != nullptr) return *v;
    if (key.is_string() && HasMethod(obj, key.as_string())) {
      return GetAttribute(obj, key.as_string());
    }
    return Value::Undefined(absl::StrCat("'", ObjName(obj), "' has no attribute ", key.Repr()));
  }
  if ((obj.is_sequence_container() || obj.is_string()) && IsIntLike(key)) {
    int64_t i = AsInt(key);
    if (obj.is_string()) {
      const std::string& s = obj.as_string();
      if (IsAscii(s)) {
        int64_t n = static_cast<int64_t>(s.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Value::Undefined("string index out of range");
        return Value(std::string(1, s[static_cast<size_t>(i)]));
      }
      std::vector<std::string> cs = Chars(s);
      int64_t n = static_cast<int64_t>(cs.size());
      if (i < 0) i += n;
      if (i < 0 || i >= n) return Value::Undefined("string index out of range");
      return Value(cs[static_cast<size_t>(i)]);
    }
    const auto& items = obj.as_list();
    int64_t n = static_cast<int64_t>(items.size());
    if (i < 0) i += n;
    if (i < 0 || i >= n) return Value::Undefined(absl::StrCat("'", ObjName(obj), "' has no element ", AsInt(key)));
    return items[static_cast<size_t>(i)];
  }
  if (key.is_string()) return GetAttribute(obj, key.as_string());
  return Value::Undefined(absl::StrCat("'", ObjName(obj), "' has no element ", key.Repr()));
}

absl::StatusOr<Value> Slice(const Value& obj, const Value& start_v, const Value& stop_v,
                            const Value& step_v) {
  auto get = [](const Value& v, int64_t def) -> absl::StatusOr<int64_t> {
    if (v.is_none()) return def;
    if (!IsIntLike(v)) return TypeError("slice indices must be integers or None");
    return AsInt(v);
  };
  std::vector<std::string> chars;
  const Value::List* items = nullptr;
  int64_t n;
  if (obj.is_string()) {
    chars = Chars(obj.as_string());
    n = static_cast<int64_t>(chars.size());
  } else if (obj.is_sequence_container()) {
    items = &obj.as_list();
    n = static_cast<int64_t>(items->size());
  } else {
    return TypeError(absl::StrCat("'", obj.TypeName(), "' object is not subscriptable"));
  }
  MAESTRO_ASSIGN_OR_RETURN(int64_t step, get(step_v, 1));
  if (step == 0) return TypeError("slice step cannot be zero");
  int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? n : n - 1;
  auto clamp = [&](int64_t i) {
    if (i < 0) {
      i += n;
      if (i < 0) i = step > 0 ? 0 : -1;
    } else if (i >= n) {
      i = step > 0 ? n : n - 1;
    }
    return i;
  };
  int64_t start = start_v.is_none() ? (step > 0 ? lo : hi) : 0;
  int64_t stop = stop_v.is_none() ? (step > 0 ? hi : lo) : 0;
  if (!start_v.is_none()) {
    MAESTRO_ASSIGN_OR_RETURN(int64_t s, get(start_v, 0));
    start = clamp(s);
  }
  if (!stop_v.is_none()) {
    MAESTRO_ASSIGN_OR_RETURN(int64_t s, get(stop_v, 0));
    stop = clamp(s);
  }
  std::string out_s;
  Value::List out_l;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (items) {
      out_l.push_back((*items)[static_cast<size_t>(i)]);
    } else {
      out_s += chars[static_cast<size_t>(i)];
    }
  }
  if (!items) return Value(std::move(out_s));
  return obj.is_list() ? Value::MakeList(std::move(out_l)) : Value::MakeTuple(std::move(out_l));
}

absl::StatusOr<Value> CallMethod(const Value& obj, const std::string& name, const CallArgs& a,
                                 const Limits& limits) {
  if (obj.is_dict()) {
    const Dict& d = obj.as_dict();
    if (name == "get") {
      BIND(b, "get", a, {"key", Value()}, {"default", Value::None()});
      const Value* v = d.Find(b[0]);
      return v ? *v : b[1];
    }
    Value::List out;
    if (name == "copy") return obj;
    for (const auto& [k, v] : d.entries()) {
      if (name == "items") out.push_back(Value::MakeTuple({k, v}));
      if (name == "keys") out.push_back(k);
      if (name == "values") out.push_back(v);
    }
    return Value::MakeList(std::move(out));
  }
  if (obj.is_sequence_container()) {
    if (name == "copy") return obj;
    BIND(b, name, a, {"x", Value()});
    int64_t count = 0;
    const auto& items = obj.as_list();
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i] == b[0]) {
        if (name == "index") return Value(static_cast<int64_t>(i));
        ++count;
      }
    }
    if (name == "index") return TypeError("value is not in list");
    return Value(count);
  }
  return CallStrMethod(obj.as_string(), name, a, limits);
}

}  // namespace maestro::jinja::internal
