// Value: the dynamically typed value of the Jinja2-compatible template engine.
//
// A Value is one of: undefined, none, bool, int (int64 inline, or a shared BigInt when it does
// not fit, as Python ints never overflow), float (double), string (UTF-8 bytes),
// list, tuple, dict (insertion ordered, Python key equality), callable, namespace, a loop
// context, or another object of the renderer (`self`, `super`). Scalars are stored inline;
// strings and containers sit behind a shared_ptr, so copying a Value is cheap. Containers are
// shared between copies like Python references: list and dict methods (`append`, `update`,
// ...) and namespace attribute assignment mutate the one shared object through
// mutable_list()/mutable_dict(), and every Value bound to it sees the change. Strings and
// tuples are immutable.
//
// Printing follows Python: Str() is str(x) as Jinja2 prints it, Repr() is repr(x), down to
// kMaxValueRecursion levels.
//
// Thread-safety: a Value may be read from several threads only if nobody mutates it.
#ifndef MAESTRO_TEMPLATE_VALUE_H_
#define MAESTRO_TEMPLATE_VALUE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "maestro/base/bigint.h"

namespace maestro::jinja {

class Value;
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};
using NativeFunction = std::function<absl::StatusOr<Value>(const CallArgs&)>;

// An object defined by the renderer: the `loop` context, `self` (Jinja2's TemplateReference)
// and block references (`super`, `self.name`).
class Object {
 public:
  virtual ~Object() = default;
  // Python type name as Jinja2 error messages use it ("LoopContext", "TemplateReference").
  virtual const char* TypeName() const = 0;
  virtual void AppendRepr(std::string* out) const = 0;
  // `obj.name` / `obj['name']`; undefined (with Jinja2's hint) when there is no such attribute.
  virtual Value GetAttr(const std::string& name) const;
  virtual bool IsCallable() const { return false; }
  virtual absl::StatusOr<Value> Call(const CallArgs& args) const;
};

// Insertion-ordered mapping with Python key semantics (1 == 1.0 == True).
class Dict {
 public:
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Returns null when absent.
  const Value* Find(const Value& key) const;
  const Value* FindString(absl::string_view key) const;
  void Set(Value key, Value value);
  // Removes `key`; false when absent. O(size).
  bool Erase(const Value& key);
  void Clear();
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<Value, Value>> entries_;
  std::unordered_map<std::string, size_t> index_;
};

class Value {
 public:
  enum class Kind {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kTuple,
    kDict,
    kCallable,
    kNamespace,
    kLoop,    // the renderer's loop context (an Object)
    kObject,  // another Object
  };
  using List = std::vector<Value>;
  struct Callable {
    std::string name;
    NativeFunction fn;
  };
  Value() = default;  // undefined
  Value(bool b) : kind_(Kind::kBool) { scalar_.b = b; }
  Value(int i) : kind_(Kind::kInt) { scalar_.i = i; }
  Value(int64_t i) : kind_(Kind::kInt) { scalar_.i = i; }
  Value(double d) : kind_(Kind::kFloat) { scalar_.d = d; }
  Value(std::string s);
  Value(const char* s) : Value(std::string(s)) {}
  Value(absl::string_view s) : Value(std::string(s)) {}

  // An int of any size: inline when it fits int64, else a big int.
  static Value MakeInt(const BigInt& i);
  static Value Undefined(std::string name = "");
  static Value None();
  static Value MakeList(List items);
  static Value MakeTuple(List items);
  static Value MakeDict(Dict dict);
  static Value MakeCallable(std::string name, NativeFunction fn);
  static Value MakeNamespace(Dict attrs);
  static Value MakeLoop(std::shared_ptr<Object> state);
  static Value MakeObject(std::shared_ptr<Object> object);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  // Python numbers: bool, int and float.
  bool is_number() const { return is_bool() || is_int() || is_float(); }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kTuple; }
  bool is_sequence_container() const { return is_list() || is_tuple(); }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_callable() const { return kind_ == Kind::kCallable; }
  bool is_namespace() const { return kind_ == Kind::kNamespace; }
  bool is_loop() const { return kind_ == Kind::kLoop; }
  bool is_object() const { return kind_ == Kind::kObject; }

  // An int beyond int64 (is_int() is true for it too).
  bool is_big_int() const { return kind_ == Kind::kInt && ptr_ != nullptr; }
  bool as_bool() const { return scalar_.b; }
  // For a big int: INT64_MAX or INT64_MIN (its sign), so size and index checks reject it.
  int64_t as_int() const { return scalar_.i; }
  // The exact value of a bool or int.
  BigInt ToBigInt() const;
  double as_float() const { return scalar_.d; }
  // Numeric value of a bool/int/float as double.
  double ToDouble() const;
  const std::string& as_string() const;
  const List& as_list() const;  // list or tuple
  const Dict& as_dict() const;  // dict or namespace
  // The shared list of a list value (not a tuple) / the shared dict of a dict or namespace
  // value, for the methods that mutate it in place. Only valid for those kinds.
  List& mutable_list() const;
  Dict& mutable_dict() const;
  // Identity of the shared container (Python `is`); null for scalars.
  const void* identity() const { return ptr_.get(); }
  const Callable& as_callable() const;
  // The Object of a loop or object value.
  Object* object() const;
  // For undefined values: the name that was looked up (may be empty).
  const std::string& undefined_name() const;

  // Python truthiness.
  bool Truthy() const;
  // Python str() / repr().
  std::string Str() const;
  std::string Repr() const;
  void AppendStr(std::string* out) const;
  void AppendRepr(std::string* out) const;
  // Python type name as Jinja2 error messages use it ("int", "str", "dict", ...).
  const char* TypeName() const;
  // Levels of lists, tuples and dicts in this value: 0 for anything else (namespaces too, whose
  // attributes change), 1 + the deepest item or entry for a container, computed when made: a
  // list or dict changed in place since (append, update, ...) may be deeper, so this is only a
  // cheap first check; CheckStorable measures exactly when something is put into a container.
  int64_t nesting() const { return is_list() || is_tuple() || is_dict() ? scalar_.i : 0; }

  // Python ==.
  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  Kind kind_ = Kind::kUndefined;
  union {
    bool b;
    int64_t i;
    double d;
  } scalar_{};
  std::shared_ptr<const void> ptr_;
};

// Printing and comparing stop descending below this many levels (a namespace may contain
// itself): printing shows "..." there, comparing says "not equal".
inline constexpr int kMaxValueRecursion = 1000;

// Python ordering (<) for numbers, strings, and sequences; error for other pairs (and below
// kMaxValueRecursion levels).
absl::StatusOr<bool> LessThan(const Value& a, const Value& b);

// What putting `v` into the list, dict or namespace whose identity() is `target` would make:
// a cycle (`target`, or a container on the way down, reachable from `v` through lists, tuples,
// dicts and namespaces), which could never be printed or compared; or a value more than
// `max_nesting` levels deep (v itself is level 1). Iterative and linear in the containers
// reachable from `v` (each counted once in *visited, which the caller charges as work).
// Containers are freed iteratively however deep they are, so a chain built by putting
// shallow values into containers that are themselves deep inside others stays harmless.
enum class Storable { kOk, kCycle, kTooDeep };
Storable CheckStorable(const Value& v, const void* target, int64_t max_nesting, int64_t* visited);

}  // namespace maestro::jinja

#endif  // MAESTRO_TEMPLATE_VALUE_H_
