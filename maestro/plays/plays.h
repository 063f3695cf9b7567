// The plays: status, pull, start, stop, kill, restart and clean over a list of containers
// (already resolved and ordered by graph::ResolveThings). Each play numbers its rows as
// MaestroNG does, builds a Plan whose edges are the dependency edges between the play's
// containers (start-like plays: dependencies first; stop-like plays: dependents first;
// restart: every dependent stopped before its dependencies, then started in the reverse
// order), and runs it on the Scheduler. A failure skips only what depends on it; Cancel()
// (Ctrl-C) lets running work finish and starts nothing new.
//
// Thread-safety: a play runs on the calling thread plus the scheduler's workers; Cancel()
// on the Scheduler may come from any thread.
#ifndef MAESTRO_PLAYS_PLAYS_H_
#define MAESTRO_PLAYS_PLAYS_H_

#include <cstdio>
#include <string>
#include <vector>

#include "maestro/plays/scheduler.h"
#include "maestro/plays/world.h"
#include "maestro/ui/timings.h"

namespace maestro::plays {

struct PlayOptions {
  size_t concurrency = 0;            // 0 = unlimited
  bool ignore_dependencies = false;  // -i
  bool refresh_images = false;       // -r
  bool reuse = false;                // --reuse
  int step_delay = 0;                // restart --step-delay (seconds)
  int stop_start_delay = 0;          // restart --stop-start-delay (seconds)
  bool only_if_changed = false;      // restart --only-if-changed
};

// What happened to one container.
struct ContainerOutcome {
  std::string container;
  NodeState state = NodeState::kWaiting;
  std::string summary;  // "started", "already running", "stopped", "removed", ...
  std::string error;    // for failed/skipped/cancelled: why (with the root cause)
};

struct PlayReport {
  std::string play;  // "start", "stop", ...
  std::vector<ContainerOutcome> outcomes;
  bool interrupted = false;
  // Where the time went (start, stop, kill, restart; empty for the other plays).
  ui::PlayTimings timings;
  int failed() const;
  int succeeded() const;
  // 0 all fine, 1 something failed, 130 interrupted.
  int ExitCode() const;
  // Human summary for the end of a play ("" when everything succeeded).
  std::string FailureSummary() const;
};

PlayReport RunStatus(const PlayWorld& world, const std::vector<std::string>& containers,
                     const PlayOptions& options, bool show_hosts, Scheduler& scheduler);
// status -F: container, image and port details; printed in order to `out`.
PlayReport RunFullStatus(const PlayWorld& world, const std::vector<std::string>& containers,
                         bool color, FILE* out, Scheduler& scheduler);
PlayReport RunPull(const PlayWorld& world, const std::vector<std::string>& containers,
                   const PlayOptions& options, Scheduler& scheduler);
PlayReport RunStart(const PlayWorld& world, const std::vector<std::string>& containers,
                    const PlayOptions& options, Scheduler& scheduler);
PlayReport RunStop(const PlayWorld& world, const std::vector<std::string>& containers,
                   const PlayOptions& options, Scheduler& scheduler);
PlayReport RunKill(const PlayWorld& world, const std::vector<std::string>& containers,
                   const PlayOptions& options, Scheduler& scheduler);
PlayReport RunRestart(const PlayWorld& world, const std::vector<std::string>& containers,
                      const PlayOptions& options, Scheduler& scheduler);
PlayReport RunClean(const PlayWorld& world, const std::vector<std::string>& containers,
                    const PlayOptions& options, Scheduler& scheduler);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_PLAYS_H_
