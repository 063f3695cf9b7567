#include "maestro/template/value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "maestro/model/py_format.h"

namespace maestro::jinja {
namespace {

struct UndefinedInfo {
  std::string hint;
};
struct NamespaceBox {
  mutable Dict dict;
};

const std::string& EmptyString() {
  static const std::string* s = new std::string();
  return *s;
}

// Canonical hash key following Python equality: 1 == 1.0 == True.
void AppendKey(const Value& v, std::string* out) {
  switch (v.kind()) {
    case Value::Kind::kString:
      out->push_back('s');
      out->append(v.as_string());
      return;
    case Value::Kind::kBool:
      absl::StrAppend(out, "i", v.as_bool() ? 1 : 0);
      return;
    case Value::Kind::kInt:
      if (v.is_big_int()) {
        absl::StrAppend(out, "i", v.ToBigInt().ToString());
      } else {
        absl::StrAppend(out, "i", v.as_int());
      }
      return;
    case Value::Kind::kFloat: {
      double d = v.as_float();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
        absl::StrAppend(out, "i", static_cast<int64_t>(d));
      } else if (std::isfinite(d) && d == std::floor(d) && BigInt::FromDouble(d)) {
        absl::StrAppend(out, "i", BigInt::FromDouble(d)->ToString());  // == the big int
      } else {
        absl::StrAppend(out, "f", model::PyFloatRepr(d));
      }
      return;
    }
    case Value::Kind::kNone:
      out->push_back('n');
      return;
    case Value::Kind::kTuple:
      out->append("t(");
      for (const Value& item : v.as_list()) {
        AppendKey(item, out);
        out->push_back('\x01');
      }
      out->push_back(')');
      return;
    default:
      absl::StrAppend(out, "x", static_cast<int>(v.kind()), ":");
      out->append(v.Repr());
      return;
  }
}

std::string KeyOf(const Value& v) {
  std::string k;
  AppendKey(v, &k);
  return k;
}

void AppendStringRepr(const std::string& s, std::string* out) {
  char quote = '\'';
  if (s.find('\'') != std::string::npos && s.find('"') == std::string::npos) quote = '"';
  out->push_back(quote);
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c == static_cast<unsigned char>(quote)) {
          out->push_back('\\');
          out->push_back(static_cast<char>(c));
        } else if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back(quote);
}

// 1 + the deepest nesting of `items`.
int64_t ItemsNesting(const Value::List& items) {
  int64_t deepest = 0;
  for (const Value& item : items) deepest = std::max(deepest, item.nesting());
  return deepest + 1;
}

// Counts the levels of one recursive walk (printing, comparing) on this thread.
class RecursionGuard {
 public:
  RecursionGuard() { ++depth_; }
  ~RecursionGuard() { --depth_; }
  bool too_deep() const { return depth_ > kMaxValueRecursion; }

 private:
  static thread_local int depth_;
};
thread_local int RecursionGuard::depth_ = 0;

// Frees containers without recursing once per level of nesting (a list chain built by
// `append` in a loop can be far deeper than kMaxValueNesting, see CheckStorable): below
// kMaxFreeDepth nested frees on this thread, a container is queued and freed by the outermost
// free (CPython's "trashcan"). The thread_locals are trivially destructible.
constexpr int kMaxFreeDepth = 64;
thread_local int free_depth = 0;
thread_local std::vector<std::pair<void*, void (*)(void*)>>* free_queue = nullptr;

template <typename T>
void DeleteNow(void* p) {
  delete static_cast<T*>(p);
}

template <typename T>
struct ContainerDeleter {
  void operator()(T* p) const {
    if (free_depth >= kMaxFreeDepth) {
      if (free_queue == nullptr) free_queue = new std::vector<std::pair<void*, void (*)(void*)>>;
      free_queue->emplace_back(p, &DeleteNow<T>);
      return;
    }
    ++free_depth;
    delete p;
    --free_depth;
    if (free_depth > 0 || free_queue == nullptr) return;
    ++free_depth;
    while (!free_queue->empty()) {
      auto [q, del] = free_queue->back();
      free_queue->pop_back();
      del(q);  // may queue more
    }
    delete free_queue;
    free_queue = nullptr;
    --free_depth;
  }
};

template <typename T>
std::shared_ptr<T> NewContainer(T&& contents) {
  return std::shared_ptr<T>(new T(std::move(contents)), ContainerDeleter<T>());
}

}  // namespace

const Value* Dict::Find(const Value& key) const {
  if (key.is_string()) return FindString(key.as_string());
  auto it = index_.find(KeyOf(key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

const Value* Dict::FindString(absl::string_view key) const {
  std::string k;
  k.reserve(key.size() + 1);
  k.push_back('s');
  k.append(key.data(), key.size());
  auto it = index_.find(k);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

void Dict::Set(Value key, Value value) {
  std::string k = KeyOf(key);
  auto it = index_.find(k);
  if (it != index_.end()) {
    entries_[it->second].second = std::move(value);
    return;
  }
  index_.emplace(std::move(k), entries_.size());
  entries_.emplace_back(std::move(key), std::move(value));
}

bool Dict::Erase(const Value& key) {
  auto it = index_.find(KeyOf(key));
  if (it == index_.end()) return false;
  size_t pos = it->second;
  index_.erase(it);
  entries_.erase(entries_.begin() + static_cast<ptrdiff_t>(pos));
  for (auto& [k, i] : index_) {
    if (i > pos) --i;
  }
  return true;
}

void Dict::Clear() {
  entries_.clear();
  index_.clear();
}

Value::Value(std::string s) : kind_(Kind::kString) {
  ptr_ = std::make_shared<const std::string>(std::move(s));
}

Value Value::MakeInt(const BigInt& i) {
  if (i.FitsInt64()) return Value(i.ToInt64());
  Value v;
  v.kind_ = Kind::kInt;
  v.scalar_.i = i.negative() ? INT64_MIN : INT64_MAX;
  v.ptr_ = std::make_shared<const BigInt>(i);
  return v;
}

BigInt Value::ToBigInt() const {
  if (kind_ == Kind::kBool) return BigInt(scalar_.b ? 1 : 0);
  if (ptr_ != nullptr && kind_ == Kind::kInt) return *static_cast<const BigInt*>(ptr_.get());
  return BigInt(scalar_.i);
}

Value Value::Undefined(std::string name) {
  Value v;
  if (!name.empty()) v.ptr_ = std::make_shared<const UndefinedInfo>(UndefinedInfo{std::move(name)});
  return v;
}

Value Value::None() {
  Value v;
  v.kind_ = Kind::kNone;
  return v;
}

Value Value::MakeList(List items) {
  Value v;
  v.kind_ = Kind::kList;
  v.scalar_.i = ItemsNesting(items);
  v.ptr_ = NewContainer(std::move(items));  // non-const: mutable_list() writes it
  return v;
}

Value Value::MakeTuple(List items) {
  Value v;
  v.kind_ = Kind::kTuple;
  v.scalar_.i = ItemsNesting(items);
  v.ptr_ = NewContainer(std::move(items));  // non-const: mutable_list() writes it
  return v;
}

Value Value::MakeDict(Dict dict) {
  Value v;
  v.kind_ = Kind::kDict;
  int64_t deepest = 0;
  for (const auto& [key, value] : dict.entries()) {
    deepest = std::max({deepest, key.nesting(), value.nesting()});
  }
  v.scalar_.i = deepest + 1;
  v.ptr_ = NewContainer(std::move(dict));  // non-const: mutable_dict() writes it
  return v;
}

Value Value::MakeCallable(std::string name, NativeFunction fn) {
  Value v;
  v.kind_ = Kind::kCallable;
  v.ptr_ = std::make_shared<const Callable>(Callable{std::move(name), std::move(fn)});
  return v;
}

Value Value::MakeNamespace(Dict attrs) {
  Value v;
  v.kind_ = Kind::kNamespace;
  v.ptr_ = NewContainer(NamespaceBox{std::move(attrs)});
  return v;
}

Value Value::MakeLoop(std::shared_ptr<Object> state) {
  Value v;
  v.kind_ = Kind::kLoop;
  v.ptr_ = std::shared_ptr<const void>(std::move(state));
  return v;
}

Value Value::MakeObject(std::shared_ptr<Object> object) {
  Value v;
  v.kind_ = Kind::kObject;
  v.ptr_ = std::shared_ptr<const void>(std::move(object));
  return v;
}

Value Object::GetAttr(const std::string& name) const {
  return Value::Undefined(absl::StrCat("'", TypeName(), " object' has no attribute '", name, "'"));
}

absl::StatusOr<Value> Object::Call(const CallArgs&) const {
  return absl::InvalidArgumentError(absl::StrCat("'", TypeName(), "' object is not callable"));
}

double Value::ToDouble() const {
  switch (kind_) {
    case Kind::kBool:
      return scalar_.b ? 1.0 : 0.0;
    case Kind::kInt:
      return ptr_ ? ToBigInt().ToDouble() : static_cast<double>(scalar_.i);
    case Kind::kFloat:
      return scalar_.d;
    default:
      return 0.0;
  }
}

const std::string& Value::as_string() const {
  if (kind_ != Kind::kString) return EmptyString();
  return *static_cast<const std::string*>(ptr_.get());
}

const Value::List& Value::as_list() const {
  static const List* empty = new List();
  if (kind_ != Kind::kList && kind_ != Kind::kTuple) return *empty;
  return *static_cast<const List*>(ptr_.get());
}

const Dict& Value::as_dict() const {
  static const Dict* empty = new Dict();
  if (kind_ == Kind::kDict) return *static_cast<const Dict*>(ptr_.get());
  if (kind_ == Kind::kNamespace) return static_cast<const NamespaceBox*>(ptr_.get())->dict;
  return *empty;
}

Dict& Value::mutable_dict() const {
  if (kind_ == Kind::kDict) return *const_cast<Dict*>(static_cast<const Dict*>(ptr_.get()));
  return static_cast<const NamespaceBox*>(ptr_.get())->dict;
}

Value::List& Value::mutable_list() const {
  // Created non-const by MakeList, so writing through it is defined.
  return *const_cast<List*>(static_cast<const List*>(ptr_.get()));
}

const Value::Callable& Value::as_callable() const {
  return *static_cast<const Callable*>(ptr_.get());
}

Object* Value::object() const {
  return const_cast<Object*>(static_cast<const Object*>(ptr_.get()));
}

const std::string& Value::undefined_name() const {
  if (kind_ != Kind::kUndefined || !ptr_) return EmptyString();
  return static_cast<const UndefinedInfo*>(ptr_.get())->hint;
}

bool Value::Truthy() const {
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return scalar_.b;
    case Kind::kInt:
      return scalar_.i != 0;
    case Kind::kFloat:
      return scalar_.d != 0.0;
    case Kind::kString:
      return !as_string().empty();
    case Kind::kList:
    case Kind::kTuple:
      return !as_list().empty();
    case Kind::kDict:
      return !as_dict().empty();
    default:
      return true;
  }
}

std::string Value::Str() const {
  if (kind_ == Kind::kString) return as_string();
  std::string out;
  AppendStr(&out);
  return out;
}

std::string Value::Repr() const {
  std::string out;
  AppendRepr(&out);
  return out;
}

void Value::AppendStr(std::string* out) const {
  switch (kind_) {
    case Kind::kUndefined:
      return;
    case Kind::kString:
      out->append(as_string());
      return;
    default:
      AppendRepr(out);
  }
}

void Value::AppendRepr(std::string* out) const {
  RecursionGuard guard;
  if (guard.too_deep()) {
    out->append("...");
    return;
  }
  switch (kind_) {
    case Kind::kUndefined:
      return;
    case Kind::kNone:
      out->append("None");
      return;
    case Kind::kBool:
      out->append(scalar_.b ? "True" : "False");
      return;
    case Kind::kInt:
      if (ptr_) {
        out->append(ToBigInt().ToString());
      } else {
        absl::StrAppend(out, scalar_.i);
      }
      return;
    case Kind::kFloat:
      out->append(model::PyFloatRepr(scalar_.d));
      return;
    case Kind::kString:
      AppendStringRepr(as_string(), out);
      return;
    case Kind::kList:
    case Kind::kTuple: {
      const List& items = as_list();
      out->push_back(kind_ == Kind::kList ? '[' : '(');
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out->append(", ");
        items[i].AppendRepr(out);
      }
      if (kind_ == Kind::kTuple && items.size() == 1) out->push_back(',');
      out->push_back(kind_ == Kind::kList ? ']' : ')');
      return;
    }
    case Kind::kDict:
    case Kind::kNamespace: {
      if (kind_ == Kind::kNamespace) out->append("<Namespace ");
      out->push_back('{');
      bool first = true;
      for (const auto& [k, v] : as_dict().entries()) {
        if (!first) out->append(", ");
        first = false;
        k.AppendRepr(out);
        out->append(": ");
        v.AppendRepr(out);
      }
      out->push_back('}');
      if (kind_ == Kind::kNamespace) out->push_back('>');
      return;
    }
    case Kind::kCallable:
      absl::StrAppend(out, "<function ", as_callable().name, ">");
      return;
    case Kind::kLoop:
    case Kind::kObject:
      object()->AppendRepr(out);
      return;
  }
}

const char* Value::TypeName() const {
  switch (kind_) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kDict:
      return "dict";
    case Kind::kCallable:
      return "function";
    case Kind::kNamespace:
      return "Namespace";
    case Kind::kLoop:
    case Kind::kObject:
      return object()->TypeName();
  }
  return "object";
}

namespace {
// Python's exact int/float comparison for a big int: -1, 0, 1 (a float is never a big int's
// equal unless integral; inf/nan compare as Python does).
int CompareBigWithFloat(const BigInt& i, double d) {
  if (std::isnan(d)) return 2;  // unordered
  if (std::isinf(d)) return d > 0 ? -1 : 1;
  BigInt f = *BigInt::FromDouble(std::floor(d));
  int c = BigInt::Compare(i, f);
  if (c != 0) return c;
  return d == std::floor(d) ? 0 : -1;
}

bool NumEq(const Value& a, const Value& b) {
  if (a.is_big_int() || b.is_big_int()) {
    if (a.is_float()) return CompareBigWithFloat(b.ToBigInt(), a.as_float()) == 0;
    if (b.is_float()) return CompareBigWithFloat(a.ToBigInt(), b.as_float()) == 0;
    return BigInt::Compare(a.ToBigInt(), b.ToBigInt()) == 0;
  }
  if (a.is_float() || b.is_float()) {
    if (a.is_float() && b.is_float()) return a.as_float() == b.as_float();
    const Value& f = a.is_float() ? a : b;
    const Value& i = a.is_float() ? b : a;
    double d = f.as_float();
    int64_t iv = i.is_bool() ? (i.as_bool() ? 1 : 0) : i.as_int();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) >= 9.3e18) return false;
    if (d >= 9.2e18 || d <= -9.2e18) return static_cast<long double>(iv) == d;
    return static_cast<int64_t>(d) == iv;
  }
  int64_t x = a.is_bool() ? (a.as_bool() ? 1 : 0) : a.as_int();
  int64_t y = b.is_bool() ? (b.as_bool() ? 1 : 0) : b.as_int();
  return x == y;
}
}  // namespace

bool operator==(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return NumEq(a, b);
  RecursionGuard guard;
  if (guard.too_deep()) return false;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
      return a.as_string() == b.as_string();
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      const auto& x = a.as_list();
      const auto& y = b.as_list();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (x[i] != y[i]) return false;
      }
      return true;
    }
    case Value::Kind::kDict: {
      const Dict& x = a.as_dict();
      const Dict& y = b.as_dict();
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x.entries()) {
        const Value* o = y.Find(k);
        if (o == nullptr || *o != v) return false;
      }
      return true;
    }
    default:
      return a.ptr_ == b.ptr_;
  }
}

absl::StatusOr<bool> LessThan(const Value& a, const Value& b) {
  RecursionGuard guard;
  if (guard.too_deep()) {
    return absl::InvalidArgumentError("maximum recursion depth exceeded in comparison");
  }
  if (a.is_number() && b.is_number()) {
    if (a.is_big_int() || b.is_big_int()) {
      if (a.is_float()) return CompareBigWithFloat(b.ToBigInt(), a.as_float()) == 1;
      if (b.is_float()) return CompareBigWithFloat(a.ToBigInt(), b.as_float()) == -1;
      return BigInt::Compare(a.ToBigInt(), b.ToBigInt()) < 0;
    }
    if (a.is_float() || b.is_float()) return a.ToDouble() < b.ToDouble();
    int64_t x = a.is_bool() ? a.as_bool() : a.as_int();
    int64_t y = b.is_bool() ? b.as_bool() : b.as_int();
    return x < y;
  }
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();
  if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
    const auto& x = a.as_list();
    const auto& y = b.as_list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (x[i] == y[i]) continue;
      return LessThan(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  return absl::InvalidArgumentError(absl::StrCat("'<' not supported between instances of '",
                                                 a.TypeName(), "' and '", b.TypeName(), "'"));
}

}  // namespace maestro::jinja

namespace maestro::jinja {

Storable CheckStorable(const Value& v, const void* target, int64_t max_nesting, int64_t* visited) {
  auto is_container = [](const Value& x) {
    return x.is_sequence_container() || x.is_dict() || x.is_namespace();
  };
  // Child `i` of a container (dict keys and values alternate), or null past the end.
  auto child = [](const Value& x, size_t i) -> const Value* {
    if (x.is_sequence_container()) {
      const Value::List& items = x.as_list();
      return i < items.size() ? &items[i] : nullptr;
    }
    const auto& entries = x.as_dict().entries();
    if (i / 2 >= entries.size()) return nullptr;
    return i % 2 == 0 ? &entries[i / 2].first : &entries[i / 2].second;
  };
  if (!is_container(v)) return Storable::kOk;
  struct Frame {
    const Value* value;
    size_t next_child;
    int64_t nesting;  // 1 + the deepest child finished so far
  };
  std::unordered_map<const void*, int64_t> nesting_of;  // finished containers
  std::unordered_set<const void*> open;                 // containers on the stack
  std::vector<Frame> stack;
  ++*visited;
  if (v.identity() == target) return Storable::kCycle;
  open.insert(v.identity());
  stack.push_back({&v, 0, 1});
  int64_t nesting = 0;
  while (!stack.empty()) {
    Frame& top = stack.back();
    const Value* c = child(*top.value, top.next_child++);
    if (c == nullptr) {
      int64_t n = top.nesting;
      open.erase(top.value->identity());
      nesting_of.emplace(top.value->identity(), n);
      stack.pop_back();
      if (stack.empty()) {
        nesting = n;
      } else {
        stack.back().nesting = std::max(stack.back().nesting, n + 1);
      }
      continue;
    }
    if (!is_container(*c)) continue;
    ++*visited;
    const void* id = c->identity();
    if (id == target || open.count(id) != 0) return Storable::kCycle;
    auto done = nesting_of.find(id);
    if (done != nesting_of.end()) {
      top.nesting = std::max(top.nesting, done->second + 1);
      continue;
    }
    if (static_cast<int64_t>(stack.size()) >= max_nesting) return Storable::kTooDeep;
    open.insert(id);
    stack.push_back({c, 0, 1});  // invalidates `top`
  }
  return nesting > max_nesting ? Storable::kTooDeep : Storable::kOk;
}

}  // namespace maestro::jinja
