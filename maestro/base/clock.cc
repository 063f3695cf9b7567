#include "maestro/base/clock.h"

#include <algorithm>

namespace maestro {

RealClock* RealClock::Get() {
  static RealClock* const kClock = new RealClock();
  return kClock;
}

bool RealClock::SleepFor(absl::Duration d, const std::atomic<bool>* cancel) {
  const absl::Time deadline = absl::Now() + d;
  while (true) {
    if (cancel != nullptr && cancel->load(std::memory_order_acquire)) return false;
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return true;
    absl::SleepFor(std::min(left, absl::Milliseconds(50)));
  }
}

}  // namespace maestro
