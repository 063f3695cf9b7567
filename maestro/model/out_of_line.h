// Values stored out of line, so that a struct with many rarely-set members stays small (one
// pointer each instead of the member's full size): model::Instance holds thousands of copies.
//
// - Indirect<T>: always holds a T. An unset one (no allocation) reads as a default T. Reading
//   (`inst.options->tmpfs`, `*inst.options`) is const even through a non-const owner, so it
//   never allocates and many threads may read at once; writing is explicit and allocates on
//   first use: `inst.options.mutable_value().tmpfs = ...`, or assigning a whole T.
// - IndirectOptional<T>: std::optional<T>'s interface (has_value, operator bool, *, ->, value,
//   value_or, reset, emplace, assignment from T or std::nullopt, comparisons with T, nullopt and
//   std::optional<T>) with the T on the heap; it converts to std::optional<T> by copy.
//
// Both have value semantics (copies are deep). Like the T they hold, not synchronised: a const
// one may be read from many threads at once.
#ifndef MAESTRO_MODEL_OUT_OF_LINE_H_
#define MAESTRO_MODEL_OUT_OF_LINE_H_

#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace maestro {
namespace model {

template <typename T>
class IndirectOptional {
 public:
  using value_type = T;

  IndirectOptional() = default;
  IndirectOptional(std::nullopt_t) {}                                         // NOLINT: implicit
  IndirectOptional(const T& value) : p_(std::make_unique<T>(value)) {}        // NOLINT: implicit
  IndirectOptional(T&& value) : p_(std::make_unique<T>(std::move(value))) {}  // NOLINT: implicit
  IndirectOptional(const std::optional<T>& o)                                 // NOLINT: implicit
      : p_(o ? std::make_unique<T>(*o) : nullptr) {}
  IndirectOptional(std::optional<T>&& o)  // NOLINT: implicit
      : p_(o ? std::make_unique<T>(std::move(*o)) : nullptr) {}
  IndirectOptional(const IndirectOptional& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  IndirectOptional(IndirectOptional&&) noexcept = default;
  IndirectOptional& operator=(const IndirectOptional& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  IndirectOptional& operator=(IndirectOptional&&) noexcept = default;
  IndirectOptional& operator=(std::nullopt_t) {
    p_.reset();
    return *this;
  }
  // Any value a T can be built from (a std::string from a literal, a vector from a brace list).
  template <typename U = T, typename = std::enable_if_t<
                                !std::is_same_v<std::decay_t<U>, IndirectOptional> &&
                                std::is_constructible_v<T, U&&> && std::is_assignable_v<T&, U&&>>>
  IndirectOptional& operator=(U&& value) {
    if (p_) {
      *p_ = std::forward<U>(value);
    } else {
      p_ = std::make_unique<T>(std::forward<U>(value));
    }
    return *this;
  }
  IndirectOptional& operator=(const std::optional<T>& o) {
    p_ = o ? std::make_unique<T>(*o) : nullptr;
    return *this;
  }

  bool has_value() const { return p_ != nullptr; }
  explicit operator bool() const { return p_ != nullptr; }
  const T& operator*() const { return *p_; }
  T& operator*() { return *p_; }
  const T* operator->() const { return p_.get(); }
  T* operator->() { return p_.get(); }
  const T& value() const {
    if (!p_) throw std::bad_optional_access();
    return *p_;
  }
  T& value() {
    if (!p_) throw std::bad_optional_access();
    return *p_;
  }
  template <typename U>
  T value_or(U&& fallback) const {
    return p_ ? *p_ : static_cast<T>(std::forward<U>(fallback));
  }
  void reset() { p_.reset(); }
  template <typename... Args>
  T& emplace(Args&&... args) {
    p_ = std::make_unique<T>(std::forward<Args>(args)...);
    return *p_;
  }
  operator std::optional<T>() const {  // NOLINT: implicit, a copy
    return p_ ? std::optional<T>(*p_) : std::nullopt;
  }

 private:
  std::unique_ptr<T> p_;
};

// An IndirectOptional that is never empty to its readers: the copies are IndirectOptional's.
template <typename T>
class Indirect {
 public:
  Indirect() = default;
  Indirect(const T& value) : v_(value) {}        // NOLINT: implicit
  Indirect(T&& value) : v_(std::move(value)) {}  // NOLINT: implicit

  // Only const access: a read through a non-const Instance must not be a hidden write (the
  // allocation of an unset value), which would race with other readers.
  const T& operator*() const { return v_ ? *v_ : Default(); }
  const T* operator->() const { return &**this; }
  T& mutable_value() { return v_ ? *v_ : v_.emplace(); }
  bool allocated() const { return v_.has_value(); }

 private:
  static const T& Default() {
    static const T* const kDefault = new T();
    return *kDefault;
  }
  IndirectOptional<T> v_;
};

// Not nullopt, an IndirectOptional nor a std::optional (those have their own overloads).
template <typename U>
struct IsPlainValue : std::true_type {};
template <>
struct IsPlainValue<std::nullopt_t> : std::false_type {};
template <typename T>
struct IsPlainValue<IndirectOptional<T>> : std::false_type {};
template <typename T>
struct IsPlainValue<std::optional<T>> : std::false_type {};

template <typename T>
bool operator==(const IndirectOptional<T>& a, const IndirectOptional<T>& b) {
  return a.has_value() == b.has_value() && (!a.has_value() || *a == *b);
}
template <typename T>
bool operator!=(const IndirectOptional<T>& a, const IndirectOptional<T>& b) {
  return !(a == b);
}
template <typename T>
bool operator==(const IndirectOptional<T>& a, std::nullopt_t) {
  return !a.has_value();
}
template <typename T>
bool operator==(std::nullopt_t, const IndirectOptional<T>& a) {
  return !a.has_value();
}
template <typename T>
bool operator!=(const IndirectOptional<T>& a, std::nullopt_t) {
  return a.has_value();
}
template <typename T>
bool operator!=(std::nullopt_t, const IndirectOptional<T>& a) {
  return a.has_value();
}
template <typename T>
bool operator==(const IndirectOptional<T>& a, const std::optional<T>& b) {
  return a.has_value() == b.has_value() && (!a.has_value() || *a == *b);
}
template <typename T>
bool operator==(const std::optional<T>& b, const IndirectOptional<T>& a) {
  return a == b;
}
template <typename T>
bool operator!=(const IndirectOptional<T>& a, const std::optional<T>& b) {
  return !(a == b);
}
template <typename T>
bool operator!=(const std::optional<T>& b, const IndirectOptional<T>& a) {
  return !(a == b);
}
// With a value (anything T compares with): equal when set and equal, as std::optional.
template <typename T, typename U, typename = std::enable_if_t<IsPlainValue<U>::value>>
auto operator==(const IndirectOptional<T>& a, const U& b) -> decltype(*a == b) {
  return a.has_value() && *a == b;
}
template <typename T, typename U, typename = std::enable_if_t<IsPlainValue<U>::value>>
auto operator==(const U& b, const IndirectOptional<T>& a) -> decltype(*a == b) {
  return a.has_value() && *a == b;
}
template <typename T, typename U, typename = std::enable_if_t<IsPlainValue<U>::value>>
auto operator!=(const IndirectOptional<T>& a, const U& b) -> decltype(*a == b) {
  return !(a == b);
}
template <typename T, typename U, typename = std::enable_if_t<IsPlainValue<U>::value>>
auto operator!=(const U& b, const IndirectOptional<T>& a) -> decltype(*a == b) {
  return !(a == b);
}

}  // namespace model
}  // namespace maestro

#endif  // MAESTRO_MODEL_OUT_OF_LINE_H_
