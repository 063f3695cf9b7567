// `maestro up`: applies a convergence plan (convergence.h) with the machinery of the other
// plays: one row per planned container in dependency order, the Scheduler, the lifecycle
// checks, the live table / plain / JSON output of the ProgressSink.
//
// Per planned action:
//   create    create and start (StartOne);
//   start     start the existing stopped container (StartOne with reuse);
//   recreate  stop it (StopOne, with its pre-stop/stopped checks), remove it, then create and
//             start it again; dependents that are recreated too are stopped before it and
//             started after it (the plan marks a dependent recreate exactly when its link
//             variables, part of its env, changed);
//   none      nothing; the row says why it was left alone;
//   orphan    with remove_orphans: stopped (dependents first, as far as their services' are
//             known to the file) and removed, before anything on its ship is started; without:
//             reported and left alone;
//   unknown   fails its row (its ship could not be asked).
// A failure skips only what depends on it. After a failed or interrupted play, every
// container of the play is looked up on its ship, and one that is created but was never
// started is reported (UpReport::never_started), not silently left behind.
//
// CheckSamePlan is the part of `up --plan FILE` that convergence_output.h's
// CheckPlanStillCurrent does not cover: the environment file must still give every container
// the saved action.
//
// Thread-safety: RunUp runs on the calling thread plus the scheduler's workers (plays.h).
// Ownership: nothing is kept after RunUp returns.
#ifndef MAESTRO_PLAYS_UP_H_
#define MAESTRO_PLAYS_UP_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "maestro/plays/convergence.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/scheduler.h"
#include "maestro/plays/world.h"

namespace maestro::plays {

struct UpOptions {
  bool ignore_dependencies = false;  // -i
  bool remove_orphans = false;       // --remove-orphans
};

struct UpReport {
  PlayReport play;  // play "up": one outcome per planned container, orphans included
  // "web-1 on ship2: container 3f2a1b0 was created but never started" for each container of
  // a failed or interrupted play that the daemon shows in that state afterwards.
  std::vector<std::string> never_started;
};

// Applies `plan` (computed for world.env, or a saved plan that CheckPlanStillCurrent and
// CheckSamePlan accepted). The plan's problems are not looked at: callers refuse such a plan.
UpReport RunUp(const PlayWorld& world, const ConvergencePlan& plan, const UpOptions& options,
               Scheduler& scheduler);

// OK when `current` (a fresh plan of the same scope) has the same containers with the same
// actions as `saved`; otherwise FailedPrecondition naming every container whose action changed
// ("ship2: web-1 was planned as none, now recreate (env: A changed ...)").
absl::Status CheckSamePlan(const ConvergencePlan& saved, const ConvergencePlan& current);

// `up --plan FILE` before anything is touched: looks at the ships again in the saved plan's
// scope (its containers, its orphan search) and returns `saved` when it still applies:
// CheckPlanStillCurrent and CheckSamePlan against the fresh plan, and no preflight problem
// now. Otherwise FailedPrecondition naming each ship and container that changed (or the
// problems); Cancelled when the scheduler was.
absl::StatusOr<ConvergencePlan> RecheckSavedPlan(const PlayWorld& world,
                                                 const ConvergencePlan& saved,
                                                 Scheduler& scheduler);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_UP_H_
