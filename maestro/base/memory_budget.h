// MemoryBudget: bounds how many bytes of transient work are alive at once across threads (for
// example the create bodies of `start`, each carrying thousands of link variables, while up to
// 256 worker threads build and send them). Acquire() waits until `bytes` fit in what is left; a
// request larger than the whole budget proceeds alone (when nothing else is held), so every
// request is eventually served and a single huge one never deadlocks.
//
// Thread-safety: thread-safe. A Lease returns its bytes when destroyed; it must not outlive the
// budget. The budget does not own the cancel flag handed to Acquire.
#ifndef MAESTRO_BASE_MEMORY_BUDGET_H_
#define MAESTRO_BASE_MEMORY_BUDGET_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>

namespace maestro {

class MemoryBudget {
 public:
  explicit MemoryBudget(size_t capacity_bytes) : capacity_(capacity_bytes) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  class Lease {
   public:
    Lease(Lease&& o) noexcept : budget_(o.budget_), bytes_(o.bytes_) { o.budget_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (budget_ != nullptr) budget_->Release(bytes_);
    }
    size_t bytes() const { return bytes_; }

   private:
    friend class MemoryBudget;
    Lease(MemoryBudget* budget, size_t bytes) : budget_(budget), bytes_(bytes) {}
    MemoryBudget* budget_;
    size_t bytes_;
  };

  // Waits until `bytes` fit (or nothing is held, for a request above the capacity) and holds
  // them. A request that fits at once is served even when `*cancel` is already true (callers
  // decide elsewhere whether to go on); while waiting, `*cancel` is checked at least every
  // 100 ms and ends the wait with nullopt, holding nothing. `cancel` may be null.
  std::optional<Lease> Acquire(size_t bytes, const std::atomic<bool>* cancel = nullptr);

  size_t capacity() const { return capacity_; }
  size_t held() const;
  // How many Acquire calls had to wait (for tests and benchmarks).
  size_t waits() const;

 private:
  void Release(size_t bytes);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t held_ = 0;
  size_t waits_ = 0;
};

}  // namespace maestro

#endif  // MAESTRO_BASE_MEMORY_BUDGET_H_
