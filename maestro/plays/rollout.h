// Rolling updates (docs/environment.md#update, docs/usage.md#rolling-updates): `restart` over
// services that carry an `update:` policy goes through a rollout instead of restart's
// stop-all-then-start-all plan; `up` re-creates running containers of such services the same
// way, and `rollback` goes batch by batch under the same policy. The engine the three share is
// internal::Rollout (rollout_internal.h); an instance with a `healthcheck:` is measured by
// Docker's own health there.
//
// PlanBatches (rollout_batches.h) is the pure part: the order and the batches. RunRollingRestart
// drives it on the scheduler: node 2i makes sure container i's image is on its ship (pull: before),
// node 2i+1 updates it (quorum gate, stop, keep or remove the old container, create and start
// the new one, its running checks, `monitor`); each batch waits for the previous batch of its
// service and for the containers it depends on, and every update waits for every pull.
//
// Failure actions: pause (later batches are skipped and name the failed container), continue
// (the failed update lets the next batch go; failures are reported at the end), rollback (the
// replaced container is kept stopped as `<name>.maestro-prev`; on a failure every instance this
// rollout updated gets it back: the new container is stopped and removed, the kept one is
// renamed back and started; on success the kept containers are removed). Only containers this
// rollout created or renamed are ever removed.
//
// Thread-safety: RunRollingRestart is called from one thread and runs its work on the
// scheduler's workers; PlanBatches is a pure function.
#ifndef MAESTRO_PLAYS_ROLLOUT_H_
#define MAESTRO_PLAYS_ROLLOUT_H_

#include <string>
#include <vector>

#include "maestro/model/environment.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/rollout_batches.h"
#include "maestro/plays/scheduler.h"
#include "maestro/plays/world.h"

namespace maestro::plays {

// The suffix a replaced container is kept under until its successor is proven (rollback).
inline constexpr char kPreviousSuffix[] = ".maestro-prev";

// Whether `restart` of `containers` goes through a rollout: one of them belongs to a service
// with an `update:` policy.
bool UsesRollout(const model::Environment& env, const std::vector<std::string>& containers);

// The policy a service is rolled with under `options`: its `update:` (or none: every instance
// at once), with --step-delay as `delay` when the policy sets none (and one instance at a time
// for a service without a policy, as MaestroNG's restart).
model::UpdatePolicy EffectivePolicy(const model::Service& service, const PlayOptions& options);

PlayReport RunRollingRestart(const PlayWorld& world, const std::vector<std::string>& containers,
                             const PlayOptions& options, Scheduler& scheduler);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_ROLLOUT_H_
