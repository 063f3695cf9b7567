// Scheduler: drives a Plan with a bounded pool of worker threads. One scheduler serves every
// play: a node runs as soon as its prerequisites have succeeded, never waiting on unrelated
// work; `concurrency` bounds how many nodes run at once; a failure skips only the nodes that
// depend on it. Cancel() (e.g. on Ctrl-C) lets running work finish, starts nothing new, and
// marks the rest kCancelled.
//
// The time each node's work took is measured on Options::clock (a seam: RealClock in the CLI,
// FakeClock in tests); without a clock NodeResult::elapsed stays zero. The scheduler itself
// never reads the system clock or sleeps.
//
// Thread-safety: Run() is called from one thread; Cancel() and cancelled() may be called from
// any thread, including while Run() is in progress. The work function is called concurrently
// from worker threads and must be thread-safe.
#ifndef MAESTRO_PLAYS_SCHEDULER_H_
#define MAESTRO_PLAYS_SCHEDULER_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "maestro/base/clock.h"
#include "maestro/plays/plan.h"

namespace maestro::plays {

// Observed by long-running work (lifecycle waits) so it can stop early after Cancel().
class CancellationToken {
 public:
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  void Cancel() { cancelled_.store(true, std::memory_order_release); }
  // For Clock::SleepFor and other waits that take a cancel flag.
  const std::atomic<bool>* flag() const { return &cancelled_; }

 private:
  std::atomic<bool> cancelled_{false};
};

struct NodeResult {
  NodeState state = NodeState::kWaiting;
  absl::Status status;  // the work's status for kSucceeded/kFailed
  absl::Duration elapsed;
};

class Scheduler {
 public:
  struct Options {
    size_t concurrency = 0;    // 0 = unlimited (bounded by max_threads)
    size_t max_threads = 256;  // hard cap on worker threads
    Clock* clock = nullptr;    // measures NodeResult::elapsed; not owned; may be null
  };
  using Work = std::function<absl::Status(size_t node, const CancellationToken& cancel)>;

  explicit Scheduler(Options options) : options_(options) {}

  // Runs every node of `plan` to a final state and returns one result per node.
  std::vector<NodeResult> Run(Plan& plan, const Work& work);

  void Cancel();
  // From inside `work` (any thread): `node`'s dependents may start before its work returns
  // (Plan::Release). Ignored when no Run() is active or the node is not running.
  void Release(size_t node, std::optional<size_t> hold = std::nullopt);
  bool cancelled() const { return token_.cancelled(); }
  const CancellationToken& token() const { return token_; }

 private:
  Options options_;
  CancellationToken token_;
  std::mutex mu_;
  std::condition_variable cv_;
  Plan* plan_ = nullptr;  // guarded by mu_ while Run() is active
};

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_SCHEDULER_H_
