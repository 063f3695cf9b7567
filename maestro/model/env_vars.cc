#include "maestro/model/env_vars.h"

#include <stdexcept>
#include <utility>

namespace maestro {
namespace model {

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

const EnvVars::Map& EnvVars::OverlayOrEmpty() const {
  static const Map* const kEmpty = new Map();
  return overlay_ ? *overlay_ : *kEmpty;
}

void EnvVars::SetOverlay(std::shared_ptr<const Map> overlay) {
  overlay_ = std::move(overlay);
  overlap_ = 0;
  if (overlay_ == nullptr) return;
  if (overlay_->empty()) {
    overlay_.reset();
    return;
  }
  for (const auto& entry : own_) overlap_ += overlay_->count(entry.first);
}

EnvVars::const_iterator EnvVars::begin() const {
  const Map& ov = OverlayOrEmpty();
  return const_iterator(own_.begin(), own_.end(), ov.begin(), ov.end());
}

EnvVars::const_iterator EnvVars::end() const {
  const Map& ov = OverlayOrEmpty();
  return const_iterator(own_.end(), own_.end(), ov.end(), ov.end());
}

EnvVars::const_iterator EnvVars::find(const std::string& key) const {
  const Map& ov = OverlayOrEmpty();
  auto in_ov = ov.find(key);
  if (in_ov != ov.end()) {
    return const_iterator(own_.lower_bound(key), own_.end(), in_ov, ov.end());
  }
  auto in_own = own_.find(key);
  if (in_own != own_.end()) {
    return const_iterator(in_own, own_.end(), ov.upper_bound(key), ov.end());
  }
  return end();
}

const EnvVars::mapped_type& EnvVars::at(const std::string& key) const {
  auto it = find(key);
  if (it == end()) throw std::out_of_range("EnvVars::at: no variable " + key);
  return it->second;
}

EnvVars::mapped_type& EnvVars::operator[](const std::string& key) {
  if (overlay_ != nullptr) {
    for (const auto& [k, v] : *overlay_) own_[k] = v;
    overlay_.reset();
    overlap_ = 0;
  }
  return own_[key];
}

EnvVars::Map EnvVars::Flatten() const {
  if (overlay_ == nullptr) return own_;
  return Map(begin(), end());
}

bool operator==(const EnvVars& a, const EnvVars& b) {
  if (a.size() != b.size()) return false;
  auto j = b.begin();
  for (auto i = a.begin(); i != a.end(); ++i, ++j) {
    if (*i != *j) return false;
  }
  return true;
}

bool operator==(const EnvVars& a, const EnvVars::Map& b) {
  if (a.size() != b.size()) return false;
  auto j = b.begin();
  for (auto i = a.begin(); i != a.end(); ++i, ++j) {
    if (*i != *j) return false;
  }
  return true;
}

}  // namespace model
}  // namespace maestro
