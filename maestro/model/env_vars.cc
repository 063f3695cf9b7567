#include "maestro/model/env_vars.h"

#include <stdexcept>
#include <utility>

namespace maestro {
namespace model {
namespace {

using Map = EnvVars::Map;

// SetOverlay's source: one fixed map for every key.
class FixedOverlaySource : public OverlaySource {
 public:
  explicit FixedOverlaySource(std::shared_ptr<const Map> map) : map_(std::move(map)) {}
  std::shared_ptr<const Map> Get(const std::string&) const override { return map_; }

 private:
  std::shared_ptr<const Map> map_;
};

const Map& EmptyMap() {
  static const Map* const kEmpty = new Map();
  return *kEmpty;
}

}  // namespace

std::shared_ptr<const Map> CachingOverlaySource::Get(const std::string& key) const {
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      auto it = live_.find(key);
      if (it != live_.end()) {
        if (std::shared_ptr<const Map> alive = it->second.lock()) {
          if (recent_.empty() || recent_.front() != alive) {
            for (auto r = recent_.begin(); r != recent_.end(); ++r) {
              if (*r == alive) {
                recent_.erase(r);
                break;
              }
            }
            recent_.push_front(alive);
            if (recent_.size() > keep_) recent_.pop_back();
          }
          return alive;
        }
      }
      if (computing_.count(key) == 0) break;
      ++waiting_;  // another thread builds this overlay: wait for it, then look again
      computed_cv_.wait(lock);
      --waiting_;
    }
    computing_.insert(key);
  }
  // Whatever happens below (bad_alloc included), the key is no longer being computed after.
  struct Done {
    const CachingOverlaySource* self;
    const std::string& key;
    ~Done() {
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->computing_.erase(key);
      }
      self->computed_cv_.notify_all();
    }
  } done{this, key};
  auto built = std::make_shared<const Map>(Compute(key));
  std::shared_ptr<const Map> dropped;  // freed outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  ++computed_;
  std::weak_ptr<const Map>& slot = live_[key];
  if (std::shared_ptr<const Map> raced = slot.lock()) return raced;  // another thread was first
  slot = built;
  if (keep_ > 0) {
    recent_.push_front(built);
    if (recent_.size() > keep_) {
      dropped = std::move(recent_.back());
      recent_.pop_back();
    }
  }
  if (live_.size() >= prune_at_) {
    for (auto it = live_.begin(); it != live_.end();) {
      it = it->second.expired() ? live_.erase(it) : std::next(it);
    }
    prune_at_ = 2 * live_.size() + 64;
  }
  return built;
}

size_t CachingOverlaySource::LiveOverlays() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& entry : live_) n += entry.second.expired() ? 0 : 1;
  return n;
}

size_t CachingOverlaySource::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_;
}

size_t CachingOverlaySource::computed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return computed_;
}

EnvVars::Map::const_iterator EnvVars::const_iterator::Current() const {
  if (own_ == own_end_) return ov_;
  if (ov_ == ov_end_) return own_;
  // On equal keys the overlay's entry is the visible one.
  return ov_->first <= own_->first ? ov_ : own_;
}

EnvVars::const_iterator& EnvVars::const_iterator::operator++() {
  if (own_ == own_end_) {
    ++ov_;
  } else if (ov_ == ov_end_) {
    ++own_;
  } else {
    int cmp = own_->first.compare(ov_->first);
    if (cmp <= 0) ++own_;
    if (cmp >= 0) ++ov_;
  }
  return *this;
}

void EnvVars::SetOverlay(std::shared_ptr<const Map> overlay) {
  key_.clear();
  if (overlay == nullptr || overlay->empty()) {
    source_.reset();
    return;
  }
  source_ = std::make_shared<const FixedOverlaySource>(std::move(overlay));
}

void EnvVars::SetOverlaySource(std::shared_ptr<const OverlaySource> source, std::string key) {
  source_ = std::move(source);
  key_ = source_ ? std::move(key) : std::string();
}

std::shared_ptr<const Map> EnvVars::overlay() const {
  return source_ ? source_->Get(key_) : nullptr;
}

EnvVars::const_iterator EnvVars::begin() const {
  std::shared_ptr<const Map> pin = overlay();
  const Map& ov = pin ? *pin : EmptyMap();
  return const_iterator(own_.begin(), own_.end(), pin, ov.begin(), ov.end());
}

EnvVars::const_iterator EnvVars::end() const {
  const Map& ov = EmptyMap();
  return const_iterator(own_.end(), own_.end(), nullptr, ov.end(), ov.end());
}

EnvVars::const_iterator EnvVars::find(const std::string& key) const {
  std::shared_ptr<const Map> pin = overlay();
  const Map& ov = pin ? *pin : EmptyMap();
  auto in_ov = ov.find(key);
  if (in_ov != ov.end()) {
    return const_iterator(own_.lower_bound(key), own_.end(), pin, in_ov, ov.end());
  }
  auto in_own = own_.find(key);
  if (in_own != own_.end()) {
    return const_iterator(in_own, own_.end(), pin, ov.upper_bound(key), ov.end());
  }
  return end();
}

EnvVars::mapped_type EnvVars::at(const std::string& key) const {
  auto it = find(key);
  if (it == end()) throw std::out_of_range("EnvVars::at: no variable " + key);
  return it->second;
}

EnvVars::size_type EnvVars::size() const {
  std::shared_ptr<const Map> ov = overlay();
  if (ov == nullptr) return own_.size();
  size_type overlap = 0;
  for (const auto& entry : own_) overlap += ov->count(entry.first);
  return own_.size() + ov->size() - overlap;
}

EnvVars::mapped_type& EnvVars::operator[](const std::string& key) {
  if (std::shared_ptr<const Map> ov = overlay()) {
    for (const auto& [k, v] : *ov) own_[k] = v;
  }
  source_.reset();
  key_.clear();
  return own_[key];
}

EnvVars::Map EnvVars::Flatten() const {
  if (source_ == nullptr) return own_;
  return Map(begin(), end());
}

bool operator==(const EnvVars& a, const EnvVars& b) {
  auto i = a.begin(), j = b.begin();
  for (; i != a.end() && j != b.end(); ++i, ++j) {
    if (*i != *j) return false;
  }
  return i == a.end() && j == b.end();
}

bool operator==(const EnvVars& a, const EnvVars::Map& b) {
  auto i = a.begin();
  auto j = b.begin();
  for (; i != a.end() && j != b.end(); ++i, ++j) {
    if (*i != *j) return false;
  }
  return i == a.end() && j == b.end();
}

}  // namespace model
}  // namespace maestro
