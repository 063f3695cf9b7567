// Result<T>: a value or an error message, so the guest functions report failures without
// exceptions (the header library works with -fno-exceptions). A tiny, standard-library-only
// stand-in for absl::StatusOr, because guest/ must not depend on Abseil.
//
// Thread-safety: a const Result may be read from several threads.
#ifndef MAESTRO_GUEST_RESULT_H_
#define MAESTRO_GUEST_RESULT_H_

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

namespace maestro {
namespace guest {

// The error alternative of a Result: `return Error{"No port ..."};`.
struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}              // NOLINT: implicit on purpose.
  Result(Error error) : error_(std::move(error.message)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  // Calling value() on an error is a programming error: it aborts with the message.
  const T& value() const& {
    CheckOk();
    return *value_;
  }
  T& value() & {
    CheckOk();
    return *value_;
  }
  T&& value() && {
    CheckOk();
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

  T value_or(T fallback) const { return ok() ? *value_ : std::move(fallback); }

  // Empty when ok().
  const std::string& error() const { return error_; }

 private:
  void CheckOk() const {
    if (!ok()) {
      std::fprintf(stderr, "maestro::guest::Result::value() on error: %s\n", error_.c_str());
      std::abort();
    }
  }

  std::optional<T> value_;
  std::string error_;
};

}  // namespace guest
}  // namespace maestro

#endif  // MAESTRO_GUEST_RESULT_H_
