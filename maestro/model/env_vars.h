// EnvVars: a container's injected environment (docs/environment.md#the-container-environment) as a
// read-mostly sorted map from variable name to value (nullopt for a variable written as just
// "KEY").
//
// It is two layers: the container's own variables (service and instance env, envfiles,
// seeds), and an optional shared, immutable overlay (the link variables of its service and
// of the services it requires) whose values win over the own ones. Every instance of a
// service carries the same link variables, so the loader builds that overlay once per
// service and all its instances point at it: an environment of n containers holds O(n)
// link variables instead of O(n²) copies. Reading (find, at, count, iteration in key order)
// sees the merged view; any mutation (operator[]) first folds the overlay into the own layer,
// so callers that write see plain map semantics.
//
// Value semantics: copying an EnvVars copies its own layer and shares the overlay, which is
// never modified once set, so copies are independent. Thread-safety as for std::map: const
// methods may be called from many threads at once.
#ifndef MAESTRO_MODEL_ENV_VARS_H_
#define MAESTRO_MODEL_ENV_VARS_H_

#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace maestro {
namespace model {

class EnvVars {
 public:
  using Map = std::map<std::string, std::optional<std::string>>;
  using key_type = Map::key_type;
  using mapped_type = Map::mapped_type;
  using value_type = Map::value_type;
  using size_type = std::size_t;

  // Iterates the merged view in key order; a key present in both layers is visited once,
  // with the overlay's value.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = EnvVars::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    const_iterator() = default;
    reference operator*() const { return *Current(); }
    pointer operator->() const { return &*Current(); }
    const_iterator& operator++();
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const const_iterator& o) const { return own_ == o.own_ && ov_ == o.ov_; }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    friend class EnvVars;
    const_iterator(Map::const_iterator own, Map::const_iterator own_end, Map::const_iterator ov,
                   Map::const_iterator ov_end)
        : own_(own), own_end_(own_end), ov_(ov), ov_end_(ov_end) {}
    Map::const_iterator Current() const;

    Map::const_iterator own_, own_end_, ov_, ov_end_;
  };
  using iterator = const_iterator;

  EnvVars() = default;
  EnvVars(const Map& own) : own_(own) {}        // NOLINT: implicit, a plain map converts
  EnvVars(Map&& own) : own_(std::move(own)) {}  // NOLINT
  EnvVars(std::initializer_list<value_type> init) : own_(init) {}
  EnvVars& operator=(std::initializer_list<value_type> init) {
    own_ = init;
    overlay_.reset();
    overlap_ = 0;
    return *this;
  }

  // Puts `overlay` over the own variables (replacing any previous overlay). Null clears it.
  void SetOverlay(std::shared_ptr<const Map> overlay);
  const std::shared_ptr<const Map>& overlay() const { return overlay_; }
  // The own variables alone, without the overlay.
  const Map& own() const { return own_; }

  const_iterator begin() const;
  const_iterator end() const;
  const_iterator find(const std::string& key) const;
  size_type count(const std::string& key) const { return find(key) == end() ? 0 : 1; }
  // Throws std::out_of_range when absent, like std::map::at.
  const mapped_type& at(const std::string& key) const;
  size_type size() const { return own_.size() + (overlay_ ? overlay_->size() : 0) - overlap_; }
  bool empty() const { return size() == 0; }

  // Writable access: folds the overlay into the own layer first (a copy of the overlay).
  mapped_type& operator[](const std::string& key);
  // The merged view as one plain map.
  Map Flatten() const;

  friend bool operator==(const EnvVars& a, const EnvVars& b);
  friend bool operator==(const EnvVars& a, const Map& b);
  friend bool operator==(const Map& a, const EnvVars& b) { return b == a; }
  friend bool operator!=(const EnvVars& a, const EnvVars& b) { return !(a == b); }
  friend bool operator!=(const EnvVars& a, const Map& b) { return !(a == b); }
  friend bool operator!=(const Map& a, const EnvVars& b) { return !(b == a); }

 private:
  const Map& OverlayOrEmpty() const;

  Map own_;
  std::shared_ptr<const Map> overlay_;
  size_type overlap_ = 0;  // keys present in both layers
};

}  // namespace model
}  // namespace maestro

#endif  // MAESTRO_MODEL_ENV_VARS_H_
