// EnvVars: a container's injected environment (docs/environment.md#the-container-environment) as a
// read-mostly sorted map from variable name to value (nullopt for a variable written as just
// "KEY").
//
// It is two layers: the container's own variables (service and instance env, envfiles,
// seeds), and an optional immutable overlay (the link variables of its service and of the
// services it requires) whose values win over the own ones. The overlay is not stored in the
// EnvVars: it comes from an OverlaySource, which computes it on demand from the dependency
// graph (config/link_variables.h) and keeps only the few most recently used ones. A chain of n
// services each requiring the previous has O(n²) link variables in total; an environment holds
// O(n) of them at any time, and a container's overlay exists only while something reads its
// environment. Reading (find, at, count, size, iteration in key order) sees the merged view;
// an iterator keeps the overlay it walks alive. Any mutation (operator[]) first folds the
// overlay into the own layer, so callers that write see plain map semantics.
//
// Value semantics: copying an EnvVars copies its own layer and shares the source, which is
// immutable (its cache is internal and guarded), so copies are independent. Thread-safety as
// for std::map: const methods may be called from many threads at once.
#ifndef MAESTRO_MODEL_ENV_VARS_H_
#define MAESTRO_MODEL_ENV_VARS_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace maestro {
namespace model {

// Where an EnvVars' overlay comes from: overlays by key (the loader's key is the service name).
// Implementations are immutable once shared and thread-safe.
class OverlaySource {
 public:
  using Map = std::map<std::string, std::optional<std::string>>;

  virtual ~OverlaySource() = default;
  // The overlay named `key`; never null, possibly empty. The caller may hold it as long as it
  // likes; the source does not change it.
  virtual std::shared_ptr<const Map> Get(const std::string& key) const = 0;
};

// An OverlaySource that builds each overlay with Compute() on first request and caches it
// boundedly. One key is computed by one thread at a time: threads asking for an overlay that
// another thread is computing wait for it instead of each building a copy (256 workers of
// `start` asking at once for a 17,000-variable overlay held 256 copies). an overlay someone still
// holds is handed out again instead of recomputed, and the `keep` most recently requested ones stay
// alive after their last holder lets go (instances of one service are usually read one after
// another). Everything else is freed.
class CachingOverlaySource : public OverlaySource {
 public:
  explicit CachingOverlaySource(size_t keep = 4) : keep_(keep) {}
  std::shared_ptr<const Map> Get(const std::string& key) const final;
  // How many overlays are alive now (held by the cache or by anyone else). For tests and
  // benchmarks: loading must leave this at 0.
  size_t LiveOverlays() const;
  // How many times Compute() ran.
  size_t computed() const;
  // How many Get calls wait right now for another thread's Compute() of their key (tests).
  size_t waiting() const;

 protected:
  // Builds the overlay of `key`. Must be thread-safe (it runs without the cache's lock).
  virtual Map Compute(const std::string& key) const = 0;

 private:
  const size_t keep_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, std::weak_ptr<const Map>> live_;
  mutable std::deque<std::shared_ptr<const Map>> recent_;  // most recent first, at most keep_
  mutable size_t prune_at_ = 64;
  mutable size_t computed_ = 0;
  mutable std::condition_variable computed_cv_;
  mutable std::unordered_set<std::string> computing_;
  mutable size_t waiting_ = 0;
};

class EnvVars {
 public:
  using Map = std::map<std::string, std::optional<std::string>>;
  using key_type = Map::key_type;
  using mapped_type = Map::mapped_type;
  using value_type = Map::value_type;
  using size_type = std::size_t;

  // Iterates the merged view in key order; a key present in both layers is visited once,
  // with the overlay's value. Holds the overlay it walks (not the own layer: the EnvVars must
  // outlive it, as for std::map).
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
    // All end iterators of one EnvVars are equal, whichever overlay they walked.
    bool operator==(const const_iterator& o) const {
      if (at_end() || o.at_end()) return at_end() == o.at_end();
      return own_ == o.own_ && ov_ == o.ov_;
    }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    friend class EnvVars;
    const_iterator(Map::const_iterator own, Map::const_iterator own_end,
                   std::shared_ptr<const Map> pin, Map::const_iterator ov,
                   Map::const_iterator ov_end)
        : own_(own), own_end_(own_end), ov_(ov), ov_end_(ov_end), pin_(std::move(pin)) {}
    bool at_end() const { return own_ == own_end_ && ov_ == ov_end_; }
    Map::const_iterator Current() const;

    Map::const_iterator own_, own_end_, ov_, ov_end_;
    std::shared_ptr<const Map> pin_;  // keeps the overlay alive; null without one
  };
  using iterator = const_iterator;

  EnvVars() = default;
  EnvVars(const Map& own) : own_(own) {}        // NOLINT: implicit, a plain map converts
  EnvVars(Map&& own) : own_(std::move(own)) {}  // NOLINT
  EnvVars(std::initializer_list<value_type> init) : own_(init) {}
  EnvVars& operator=(std::initializer_list<value_type> init) {
    own_ = init;
    source_.reset();
    key_.clear();
    return *this;
  }

  // Puts a fixed `overlay` over the own variables (replacing any previous overlay). Null
  // clears it.
  void SetOverlay(std::shared_ptr<const Map> overlay);
  // Puts the overlay `source->Get(key)` over the own variables, fetched on each read.
  void SetOverlaySource(std::shared_ptr<const OverlaySource> source, std::string key);
  // The overlay now (computed if needed), or null without one.
  std::shared_ptr<const Map> overlay() const;
  const std::shared_ptr<const OverlaySource>& overlay_source() const { return source_; }
  // The own variables alone, without the overlay.
  const Map& own() const { return own_; }

  const_iterator begin() const;
  const_iterator end() const;
  const_iterator find(const std::string& key) const;
  size_type count(const std::string& key) const { return find(key) == end() ? 0 : 1; }
  // A copy of the value (the overlay may not outlive the call). Throws std::out_of_range when
  // absent, like std::map::at.
  mapped_type at(const std::string& key) const;
  size_type size() const;
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
  Map own_;
  std::shared_ptr<const OverlaySource> source_;  // null: no overlay
  std::string key_;                              // the overlay's key in source_
};

}  // namespace model
}  // namespace maestro

#endif  // MAESTRO_MODEL_ENV_VARS_H_
