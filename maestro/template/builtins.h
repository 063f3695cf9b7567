// Internal: built-in filters, tests, globals, methods and Python operators of the template
// engine. Used by the renderer (template.cc) only. Functions are pure except that filters
// may call back into the renderer through FilterContext (e.g. `map` applies other filters).
#ifndef MAESTRO_TEMPLATE_BUILTINS_H_
#define MAESTRO_TEMPLATE_BUILTINS_H_

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "maestro/template/ast.h"
#include "maestro/template/template.h"
#include "maestro/template/value.h"

namespace maestro::jinja::internal {

class FilterContext {
 public:
  virtual ~FilterContext() = default;
  virtual absl::StatusOr<Value> ApplyFilter(const std::string& name, const Value& input,
                                            const CallArgs& args) = 0;
  virtual absl::StatusOr<bool> ApplyTest(const std::string& name, const Value& input,
                                         const CallArgs& args) = 0;
  virtual const Limits& limits() const = 0;
  // Counts loop-like work against Limits::max_steps.
  virtual absl::Status Tick(int64_t n) = 0;
};

using FilterFn =
    std::function<absl::StatusOr<Value>(FilterContext&, const Value&, const CallArgs&)>;
using TestFn = std::function<absl::StatusOr<bool>(FilterContext&, const Value&, const CallArgs&)>;

const std::unordered_map<std::string, FilterFn>& BuiltinFilters();
const std::unordered_map<std::string, TestFn>& BuiltinTests();
// range, dict, namespace, lipsum-free set of Jinja2 default globals.
std::vector<std::pair<std::string, Value>> BuiltinGlobals(const Limits& limits);

// Python semantics of operators (errors are TypeError-like messages, unlocated).
absl::StatusOr<Value> BinaryOp(BinOp op, const Value& a, const Value& b, const Limits& limits);
absl::StatusOr<bool> Contains(const Value& container, const Value& item);
absl::StatusOr<bool> Compare(CmpOp op, const Value& a, const Value& b);
// Python iteration: list/tuple items, dict keys, string characters; undefined is empty.
absl::StatusOr<std::vector<Value>> Iterate(const Value& v);
// obj.name / obj[key] with Jinja2's attribute-then-item (resp. item-then-attribute) lookup.
// Returns Undefined (with a hint) when absent. Never called with an undefined obj.
Value GetAttribute(const Value& obj, const std::string& name);
Value GetItem(const Value& obj, const Value& key);
absl::StatusOr<Value> Slice(const Value& obj, const Value& start, const Value& stop,
                            const Value& step);
// True when obj.name is a built-in method (then CallMethod handles it).
bool HasMethod(const Value& obj, const std::string& name);
// Adds to *work (when not null) the values a list/dict method looked at beyond the object
// itself (checking what it stores: CheckStorable), for the caller to count as steps.
absl::StatusOr<Value> CallMethod(const Value& obj, const std::string& name, const CallArgs& args,
                                 const Limits& limits, int64_t* work = nullptr);
// Python `fmt % args`.
absl::StatusOr<std::string> PercentFormat(const std::string& fmt, const Value& args);
// Error for using an undefined value in an operation.
absl::Status UndefinedError(const Value& v);

}  // namespace maestro::jinja::internal

#endif  // MAESTRO_TEMPLATE_BUILTINS_H_
