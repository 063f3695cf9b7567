// Clock: the one way maestro code reads time and sleeps, so tests can run on simulated time.
// RealClock uses the system clock. FakeClock (maestro/testing/fake_clock.h) advances only when
// told to or when something sleeps on it.
//
// Thread-safety: implementations are thread-safe. The process-wide RealClock returned by
// RealClock::Get() lives forever.
#ifndef MAESTRO_BASE_CLOCK_H_
#define MAESTRO_BASE_CLOCK_H_

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace maestro {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  // Sleeps for `d`, or less if `*cancel` becomes true (checked at least every 50 ms of real
  // time). Returns false if it woke up because of the cancellation.
  virtual bool SleepFor(absl::Duration d, const std::atomic<bool>* cancel = nullptr) = 0;
};

class RealClock : public Clock {
 public:
  static RealClock* Get();
  absl::Time Now() override { return absl::Now(); }
  bool SleepFor(absl::Duration d, const std::atomic<bool>* cancel = nullptr) override;
};

}  // namespace maestro

#endif  // MAESTRO_BASE_CLOCK_H_
