// FakeClock: simulated time for tests. Now() returns the simulated time; SleepFor() advances
// it immediately (no real waiting), so code that polls with sleeps runs instantly and
// deterministically. Advance() moves time forward from the test.
//
// Thread-safety: thread-safe. Concurrent sleepers each advance the shared time by their own
// duration, so with several threads simulated time is an upper bound, not exact.
#ifndef MAESTRO_TESTING_FAKE_CLOCK_H_
#define MAESTRO_TESTING_FAKE_CLOCK_H_

#include <atomic>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "maestro/base/clock.h"

namespace maestro::testing {

class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}

  absl::Time Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  bool SleepFor(absl::Duration d, const std::atomic<bool>* cancel = nullptr) override {
    if (cancel != nullptr && cancel->load()) return false;
    Advance(d);
    std::lock_guard<std::mutex> lock(mu_);
    total_slept_ += d;
    return true;
  }
  void Advance(absl::Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
  }
  absl::Duration total_slept() {
    std::lock_guard<std::mutex> lock(mu_);
    return total_slept_;
  }

 private:
  std::mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  absl::Duration total_slept_ ABSL_GUARDED_BY(mu_);
};

}  // namespace maestro::testing

#endif  // MAESTRO_TESTING_FAKE_CLOCK_H_
