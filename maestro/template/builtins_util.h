// Internal helpers shared by the files of the built-ins (builtins_*.cc): argument binding,
// Python int/str helpers, string functions, formatting, JSON and filter helpers. Used only by
// the template engine. All functions are pure and thread-compatible.
#ifndef MAESTRO_TEMPLATE_BUILTINS_UTIL_H_
#define MAESTRO_TEMPLATE_BUILTINS_UTIL_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "maestro/base/status_macros.h"
#include "maestro/template/builtins.h"
#include "maestro/template/value.h"

namespace maestro::jinja::internal {

inline absl::Status TypeError(absl::string_view msg) { return absl::InvalidArgumentError(msg); }

inline int64_t AsInt(const Value& v) { return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int(); }
inline bool IsIntLike(const Value& v) { return v.is_int() || v.is_bool(); }

// Binds positional/keyword arguments of a filter/test/method to named parameters.
class Binder {
 public:
  Binder(absl::string_view fname, const CallArgs& args,
         std::initializer_list<std::pair<const char*, Value>> params)
      : params_(params) {
    values_.resize(params_.size());
    given_.resize(params_.size(), false);
    if (args.positional.size() > params_.size()) {
      status_ = TypeError(absl::StrCat(fname, "() takes at most ", params_.size(), " argument(s) (",
                                       args.positional.size(), " given)"));
      return;
    }
    for (size_t i = 0; i < args.positional.size(); ++i) {
      values_[i] = args.positional[i];
      given_[i] = true;
    }
    for (const auto& [k, v] : args.keyword) {
      bool found = false;
      for (size_t i = 0; i < params_.size(); ++i) {
        if (k == params_[i].first) {
          values_[i] = v;
          given_[i] = true;
          found = true;
        }
      }
      if (!found) {
        status_ = TypeError(absl::StrCat(fname, "() got an unexpected keyword argument '", k, "'"));
        return;
      }
    }
    for (size_t i = 0; i < params_.size(); ++i) {
      if (!given_[i]) values_[i] = params_[i].second;
    }
  }
  const absl::Status& status() const { return status_; }
  const Value& operator[](size_t i) const { return values_[i]; }
  bool given(size_t i) const { return given_[i]; }

 private:
  std::vector<std::pair<const char*, Value>> params_;
  std::vector<Value> values_;
  std::vector<bool> given_;
  absl::Status status_;
};

#define BIND(name, fname, args, ...)       \
  Binder name(fname, args, {__VA_ARGS__}); \
  MAESTRO_RETURN_IF_ERROR(name.status())

inline absl::StatusOr<int64_t> ToIndex(const Value& v, absl::string_view what) {
  if (IsIntLike(v)) return AsInt(v);
  return TypeError(absl::StrCat(what, " must be an integer, not '", v.TypeName(), "'"));
}

// ---- strings (builtins_strings.cc): Python strings index by code point ----
bool IsAscii(const std::string& s);
std::vector<std::string> Chars(const std::string& s);
int64_t CharLen(const std::string& s);
bool IsPySpace(char c);
std::string Upper(const std::string& s);
std::string Lower(const std::string& s);
std::string Capitalize(const std::string& s);
std::string Title(const std::string& s);
std::string StripChars(const std::string& s, const Value& chars, bool left, bool right);
absl::StatusOr<Value> Split(const std::string& s, const Value& sep, int64_t maxsplit);
std::string Replace(const std::string& s, const std::string& old, const std::string& repl,
                    int64_t count);
// str.<name>(args) for the methods HasMethod lists for strings.
absl::StatusOr<Value> CallStrMethod(const std::string& s, const std::string& name,
                                    const CallArgs& a, const Limits& limits);

// ---- formatting (builtins_format.cc) ----
// Python str.format(*args, **kwargs).
absl::StatusOr<std::string> StrFormat(const std::string& fmt, const CallArgs& args);

// ---- JSON (builtins_json.cc) ----
absl::Status ToJson(const Value& v, int indent, int level, std::string* out, int depth);

// ---- filter helpers (builtins_filters.cc) ----
// Attribute path lookup as Jinja's make_attrgetter ("a.b", "0").
Value GetPath(const Value& item, const std::string& path);
absl::StatusOr<std::vector<Value>> SortValues(std::vector<Value> items, bool reverse,
                                              bool case_sensitive, const Value& attribute);

}  // namespace maestro::jinja::internal

#endif  // MAESTRO_TEMPLATE_BUILTINS_UTIL_H_
