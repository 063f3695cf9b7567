#include "maestro/base/memory_budget.h"

#include <chrono>

namespace maestro {

std::optional<MemoryBudget::Lease> MemoryBudget::Acquire(size_t bytes,
                                                         const std::atomic<bool>* cancel) {
  std::unique_lock<std::mutex> lock(mu_);
  auto fits = [&] { return held_ == 0 || held_ + bytes <= capacity_; };
  if (!fits()) ++waits_;
  while (!fits()) {
    if (cancel != nullptr && cancel->load()) return std::nullopt;
    cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
  held_ += bytes;
  return Lease(this, bytes);
}

void MemoryBudget::Release(size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    held_ -= bytes;
  }
  cv_.notify_all();
}

size_t MemoryBudget::held() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_;
}

size_t MemoryBudget::waits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waits_;
}

}  // namespace maestro
