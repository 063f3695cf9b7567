// `maestro rollback`: re-creates containers from the spec of the container each one replaced
// (the spec::kPreviousSpecLabel that every re-create records, container_spec.h).
//
// Two steps, so that nothing is touched when any named container cannot be rolled back:
//   PlanRollback  looks at every container (read-only): it must exist and carry a previous
//                 spec; the result says, per container, what a rollback changes back (the
//                 field-level reasons of `plan`, spec::DiffRecorded). A container with no
//                 previous spec (or one too large to have been recorded) is an error naming it,
//                 with every other such container.
//   RunRollback   per container: makes sure the recorded image is on the ship (by id when the
//                 tag has moved on since, pulling the tag when neither is there), stops it with
//                 its lifecycle checks (StopOne), removes it, creates it from the recorded body
//                 (whose own previous spec is now the container it replaced, so a second
//                 rollback goes forward again), joins the instance's networks after the first
//                 as start does, starts it and waits for its `running` checks (LaunchOne).
//                 Dependencies first; the instances of one service in the batches of its
//                 `update:` policy (rollout_internal.h: unhealthy first, leaders last, the
//                 quorum gate and the delay before each stop), one at a time without a policy
//                 (-c bounds the whole play).
//                 A failure takes the policy's `failure:` action (pause without a policy):
//                 pause: the service's later batches are skipped and the error says where
//                 ("rollback paused at api-2 (batch 2 of 3 of api)"); continue: the next batches
//                 go on and the failure is reported; rollback: the replaced containers were kept
//                 stopped as `<name>.maestro-prev` (removed once the whole service is rolled
//                 back) and every one this rollback changed goes back to the container it
//                 replaced ("put back as before this rollback: api-1").
//
// Thread-safety: as the other plays (plays.h). Ownership: nothing is kept after a call returns.
#ifndef MAESTRO_PLAYS_ROLLBACK_H_
#define MAESTRO_PLAYS_ROLLBACK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/docker/docker_types.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/scheduler.h"
#include "maestro/plays/world.h"
#include "maestro/spec/container_spec.h"
#include "maestro/spec/drift.h"

namespace maestro::plays {

struct RollbackStep {
  std::string container;
  std::string ship;
  std::string container_id;               // the container rolled back (acted on only if still it)
  spec::RecordedSpec previous;            // what it is re-created from
  std::vector<spec::Difference> changes;  // what that changes back ("" none: same spec)
};

struct RollbackPlan {
  std::vector<RollbackStep> steps;  // in the order of `containers`
};

struct RollbackOptions {
  bool ignore_dependencies = false;  // -i: no ordering between the containers
};

// Read-only. FailedPrecondition naming every container that is absent or has no usable
// previous spec ("web-1 on ship1 has no previous spec (...)"); Unavailable-like errors of a
// ship that cannot be asked, naming it.
absl::StatusOr<RollbackPlan> PlanRollback(const PlayWorld& world,
                                          const std::vector<std::string>& containers);

// "web-1 on ship1: env: A changed from \"2\" to \"1\"" per step (no change: "... : same spec,
// re-created as recorded"). Secret-looking variables never show their values.
std::vector<std::string> DescribeRollback(const RollbackPlan& plan);

// Applies `plan` (from PlanRollback on the same world) as a play named "rollback".
PlayReport RunRollback(const PlayWorld& world, const RollbackPlan& plan,
                       const RollbackOptions& options, Scheduler& scheduler);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_ROLLBACK_H_
