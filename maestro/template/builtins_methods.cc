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
      "split",   "rsplit",     "strip",      "lstrip",   "rstrip",  "upper",   "lower",
      "title",   "capitalize", "startswith", "endswith", "replace", "format",  "join",
      "find",    "rfind",      "count",      "isdigit",  "isalpha", "isalnum", "isspace",
      "isupper", "islower",    "splitlines", "zfill",    "ljust",   "rjust",   "center",
      "index",   "partition",  "swapcase"};
  for (const char* k : kNames) {
    if (n == k) return true;
  }
  return false;
}
bool IsDictMethod(const std::string& n) {
  static const char* kNames[] = {"get",   "items", "keys",    "values",     "copy",
                                 "clear", "pop",   "popitem", "setdefault", "update"};
  for (const char* k : kNames) {
    if (n == k) return true;
  }
  return false;
}
bool IsListMethod(const std::string& n) {
  static const char* kNames[] = {"count", "index",  "copy",    "append", "extend", "insert",
                                 "pop",   "remove", "reverse", "sort",   "clear"};
  for (const char* k : kNames) {
    if (n == k) return true;
  }
  return false;
}
bool IsTupleMethod(const std::string& n) { return n == "count" || n == "index"; }
}  // namespace

bool HasMethod(const Value& obj, const std::string& name) {
  if (obj.is_string()) return IsStrMethod(name);
  if (obj.is_dict()) return IsDictMethod(name);
  if (obj.is_list()) return IsListMethod(name);
  if (obj.is_tuple()) return IsTupleMethod(name);
  return false;
}

Value GetAttribute(const Value& obj, const std::string& name) {
  if (obj.is_object()) return obj.object()->GetAttr(name);
  if (HasMethod(obj, name)) {
    Value self = obj;
    return Value::MakeCallable(
        name, [self, name](const CallArgs& a) { return CallMethod(self, name, a, Limits()); });
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
    if (i < 0 || i >= n)
      return Value::Undefined(absl::StrCat("'", ObjName(obj), "' has no element ", AsInt(key)));
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

namespace {

// Positional-only arguments as Python's C methods take them: between min and max of them.
absl::Status CheckArgs(const char* type, const std::string& name, const CallArgs& a, size_t min,
                       size_t max) {
  if (!a.keyword.empty()) {
    return TypeError(absl::StrCat(type, ".", name, "() takes no keyword arguments"));
  }
  size_t n = a.positional.size();
  if (n < min || n > max) {
    std::string want = min == 1 && max == 1 ? "exactly one argument"
                       : min == max         ? absl::StrCat("exactly ", min, " argument(s)")
                       : n < min            ? absl::StrCat("at least ", min, " argument(s)")
                                            : absl::StrCat("at most ", max, " argument(s)");
    return TypeError(absl::StrCat(type, ".", name, "() takes ", want, " (", n, " given)"));
  }
  return absl::OkStatus();
}

// A list or dict may not (even indirectly) contain itself here: Python allows it, but printing,
// comparing and freeing such a value would need cycle handling everywhere (maestro only). Nor
// may it take an item nested deeper than kMaxValueNesting, as a namespace may not (the
// renderer's Assign). Adds the containers looked at to *work.
absl::Status CheckStorableIn(const Value& container, const Value& item, int64_t* work) {
  switch (CheckStorable(item, container.identity(), kMaxValueNesting, work)) {
    case Storable::kOk:
      return absl::OkStatus();
    case Storable::kCycle:
      return TypeError(
          absl::StrCat("a ", container.TypeName(), " cannot contain itself (maestro only)"));
    case Storable::kTooDeep:
      break;
  }
  return TypeError(absl::StrCat("value nested too deeply (more than ", kMaxValueNesting,
                                " levels of lists, dicts and namespaces)"));
}

absl::Status CheckHashable(const Value& key) {
  if (key.is_list() || key.is_dict() || key.is_namespace()) {
    return TypeError(absl::StrCat("unhashable type: '", key.TypeName(), "'"));
  }
  return absl::OkStatus();
}

absl::Status CheckSize(size_t n, const Limits& limits) {
  if (n > static_cast<size_t>(limits.max_range_length)) {
    return TypeError(absl::StrCat("list too large, maximum length is ", limits.max_range_length,
                                  " (maestro only)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> CallDictMethod(const Value& obj, const std::string& name, const CallArgs& a,
                                     const Limits& limits, int64_t* work) {
  const Dict& d = obj.as_dict();
  if (name == "get") {
    BIND(b, "get", a, {"key", Value()}, {"default", Value::None()});
    const Value* v = d.Find(b[0]);
    return v ? *v : b[1];
  }
  if (name == "items" || name == "keys" || name == "values") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs("dict", name, a, 0, 0));
    Value::List out;
    out.reserve(d.size());
    for (const auto& [k, v] : d.entries()) {
      if (name == "items") out.push_back(Value::MakeTuple({k, v}));
      if (name == "keys") out.push_back(k);
      if (name == "values") out.push_back(v);
    }
    return Value::MakeList(std::move(out));
  }
  if (name == "copy") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs("dict", name, a, 0, 0));
    return Value::MakeDict(d);  // a new, shallow copy
  }
  if (name == "clear") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs("dict", name, a, 0, 0));
    obj.mutable_dict().Clear();
    return Value::None();
  }
  if (name == "pop") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs("dict", name, a, 1, 2));
    const Value& key = a.positional[0];
    MAESTRO_RETURN_IF_ERROR(CheckHashable(key));
    const Value* v = d.Find(key);
    if (v == nullptr) {
      if (a.positional.size() == 2) return a.positional[1];
      return TypeError(absl::StrCat("KeyError: ", key.Repr()));
    }
    Value out = *v;
    obj.mutable_dict().Erase(key);
    return out;
  }
  if (name == "popitem") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs("dict", name, a, 0, 0));
    if (d.empty()) return TypeError("KeyError: 'popitem(): dictionary is empty'");
    Value key = d.entries().back().first;
    Value out = Value::MakeTuple({key, d.entries().back().second});
    obj.mutable_dict().Erase(key);
    return out;
  }
  if (name == "setdefault") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs("dict", name, a, 1, 2));
    const Value& key = a.positional[0];
    MAESTRO_RETURN_IF_ERROR(CheckHashable(key));
    if (const Value* v = d.Find(key)) return *v;
    Value def = a.positional.size() == 2 ? a.positional[1] : Value::None();
    MAESTRO_RETURN_IF_ERROR(CheckStorableIn(obj, def, work));
    MAESTRO_RETURN_IF_ERROR(CheckSize(d.size() + 1, limits));
    obj.mutable_dict().Set(key, def);
    return def;
  }
  // update([other], **kwargs): other is a dict or an iterable of key/value pairs.
  if (a.positional.size() > 1) {
    return TypeError(absl::StrCat("update expected at most 1 argument, got ", a.positional.size()));
  }
  std::vector<std::pair<Value, Value>> pairs;
  if (!a.positional.empty()) {
    const Value& other = a.positional[0];
    if (other.is_dict()) {
      pairs = other.as_dict().entries();
    } else {
      MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(other));
      for (size_t i = 0; i < items.size(); ++i) {
        const Value& it = items[i];
        if (!it.is_sequence_container() && !it.is_string()) {
          return TypeError(absl::StrCat("cannot convert dictionary update sequence element #", i,
                                        " to a sequence"));
        }
        MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> kv, Iterate(it));
        if (kv.size() != 2) {
          return TypeError(absl::StrCat("dictionary update sequence element #", i, " has length ",
                                        kv.size(), "; 2 is required"));
        }
        pairs.emplace_back(kv[0], kv[1]);
      }
    }
  }
  for (const auto& [k, v] : a.keyword) pairs.emplace_back(Value(k), v);
  for (const auto& [k, v] : pairs) {
    MAESTRO_RETURN_IF_ERROR(CheckHashable(k));
    MAESTRO_RETURN_IF_ERROR(CheckStorableIn(obj, v, work));
  }
  MAESTRO_RETURN_IF_ERROR(CheckSize(d.size() + pairs.size(), limits));
  Dict& m = obj.mutable_dict();
  for (auto& [k, v] : pairs) m.Set(k, v);
  return Value::None();
}

// Python's list index normalisation for insert(): negative counts from the end, then clamped.
int64_t ClampIndex(int64_t i, int64_t n) {
  if (i < 0) i += n;
  return std::min(std::max<int64_t>(i, 0), n);
}

absl::StatusOr<Value> CallListMethod(const Value& obj, const std::string& name, const CallArgs& a,
                                     const Limits& limits, int64_t* work) {
  const Value::List& items = obj.as_list();
  const int64_t n = static_cast<int64_t>(items.size());
  const char* type = obj.TypeName();
  if (name == "count") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs(type, name, a, 1, 1));
    return Value(static_cast<int64_t>(std::count(items.begin(), items.end(), a.positional[0])));
  }
  if (name == "index") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs(type, name, a, 1, 3));
    int64_t lo = 0, hi = n;
    if (a.positional.size() > 1) {
      MAESTRO_ASSIGN_OR_RETURN(lo, ToIndex(a.positional[1], "slice index"));
      lo = ClampIndex(lo, n);
    }
    if (a.positional.size() > 2) {
      MAESTRO_ASSIGN_OR_RETURN(hi, ToIndex(a.positional[2], "slice index"));
      hi = ClampIndex(hi, n);
    }
    for (int64_t i = lo; i < hi; ++i) {
      if (items[static_cast<size_t>(i)] == a.positional[0]) return Value(i);
    }
    if (obj.is_tuple()) return TypeError("tuple.index(x): x not in tuple");
    return TypeError(absl::StrCat(a.positional[0].Repr(), " is not in list"));
  }
  if (name == "copy") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs(type, name, a, 0, 0));
    return Value::MakeList(items);  // a new, shallow copy
  }
  if (name == "sort") {
    if (!a.positional.empty()) return TypeError("sort() takes no positional arguments");
    BIND(b, "sort", a, {"key", Value::None()}, {"reverse", Value(false)});
    std::vector<Value> keyed = items;
    if (!b[0].is_none()) {
      if (!b[0].is_callable()) {
        return TypeError(absl::StrCat("'", b[0].TypeName(), "' object is not callable"));
      }
      for (Value& v : keyed) {
        CallArgs ka;
        ka.positional.push_back(v);
        MAESTRO_ASSIGN_OR_RETURN(Value k, b[0].as_callable().fn(ka));
        v = Value::MakeTuple({std::move(k), v});
      }
    }
    MAESTRO_ASSIGN_OR_RETURN(keyed,
                             SortValues(std::move(keyed), b[1].Truthy(), /*case_sensitive=*/true,
                                        b[0].is_none() ? Value::None() : Value(int64_t{0})));
    if (!b[0].is_none()) {
      for (Value& v : keyed) v = v.as_list()[1];
    }
    obj.mutable_list() = std::move(keyed);
    return Value::None();
  }
  if (name == "reverse" || name == "clear") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs(type, name, a, 0, 0));
    Value::List& m = obj.mutable_list();
    if (name == "clear") {
      m.clear();
    } else {
      std::reverse(m.begin(), m.end());
    }
    return Value::None();
  }
  if (name == "pop") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs(type, name, a, 0, 1));
    if (n == 0) return TypeError("pop from empty list");
    int64_t i = n - 1;
    if (!a.positional.empty()) {
      MAESTRO_ASSIGN_OR_RETURN(i, ToIndex(a.positional[0], "list indices"));
      if (i < 0) i += n;
      if (i < 0 || i >= n) return TypeError("pop index out of range");
    }
    Value::List& m = obj.mutable_list();
    Value out = std::move(m[static_cast<size_t>(i)]);
    m.erase(m.begin() + i);
    return out;
  }
  if (name == "remove") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs(type, name, a, 1, 1));
    auto it = std::find(items.begin(), items.end(), a.positional[0]);
    if (it == items.end()) return TypeError("list.remove(x): x not in list");
    Value::List& m = obj.mutable_list();
    m.erase(m.begin() + (it - items.begin()));
    return Value::None();
  }
  // append, insert, extend: the new items must not contain the list itself.
  std::vector<Value> added;
  int64_t at = n;
  if (name == "append") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs(type, name, a, 1, 1));
    added.push_back(a.positional[0]);
  } else if (name == "insert") {
    MAESTRO_RETURN_IF_ERROR(CheckArgs(type, name, a, 2, 2));
    MAESTRO_ASSIGN_OR_RETURN(at, ToIndex(a.positional[0], "list indices"));
    at = ClampIndex(at, n);
    added.push_back(a.positional[1]);
  } else {  // extend
    MAESTRO_RETURN_IF_ERROR(CheckArgs(type, name, a, 1, 1));
    MAESTRO_ASSIGN_OR_RETURN(added, Iterate(a.positional[0]));
  }
  for (const Value& v : added) MAESTRO_RETURN_IF_ERROR(CheckStorableIn(obj, v, work));
  MAESTRO_RETURN_IF_ERROR(CheckSize(items.size() + added.size(), limits));
  Value::List& m = obj.mutable_list();
  m.insert(m.begin() + at, std::make_move_iterator(added.begin()),
           std::make_move_iterator(added.end()));
  return Value::None();
}

}  // namespace

absl::StatusOr<Value> CallMethod(const Value& obj, const std::string& name, const CallArgs& a,
                                 const Limits& limits, int64_t* work) {
  int64_t ignored = 0;
  if (work == nullptr) work = &ignored;
  if (obj.is_dict()) return CallDictMethod(obj, name, a, limits, work);
  if (obj.is_sequence_container()) return CallListMethod(obj, name, a, limits, work);
  return CallStrMethod(obj.as_string(), name, a, limits);
}

}  // namespace maestro::jinja::internal
