// The pure part of rolling updates (rollout.h), apart so that `maestro plan` (convergence.h) can
// say in advance how a re-create rolls without depending on the plays that do it.
//
// UpdatePolicyOf: the `update:` policy an instance rolls under, if any.
// PlanBatches: the order (stopped or unhealthy instances first, then healthy followers, leaders
// last) and the batches (the policy's parallelism over the whole service, per_ship on each
// ship; leaders never share a batch with followers). DescribeRolling: the policy in words, as
// `plan` shows it ("1 at a time, quorum majority, leader last by role probe, failure pause").
//
// Thread-safety: pure functions over values.
#ifndef MAESTRO_PLAYS_ROLLOUT_BATCHES_H_
#define MAESTRO_PLAYS_ROLLOUT_BATCHES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "maestro/model/environment.h"

namespace maestro::plays {

// The `update:` policy of the service of instance `name`; null when it has none (or the name is
// not an instance of `env`).
const model::UpdatePolicy* UpdatePolicyOf(const model::Environment& env, const std::string& name);

enum class MemberHealth { kDown, kUnhealthy, kHealthy };

// One instance of a service as the rollout found it before it began.
struct RolloutMember {
  std::string name;
  std::string ship;
  MemberHealth health = MemberHealth::kHealthy;
  bool leader = false;  // passed the service's role probe
};

// Batches of indices into `members`, in the order they are updated. `service_size` is the number
// of instances of the service in the environment (percentages are of it).
std::vector<std::vector<size_t>> PlanBatches(const std::vector<RolloutMember>& members,
                                             const model::UpdatePolicy& policy, int service_size);

// `policy` in words for a service of `service_size` instances: the batch size ("1 at a time",
// "25% at a time (2)", "all at once"), ", at most N per ship", ", quorum majority" or
// ", quorum N", ", leader last by role probe" when `role_probe`, ", failure pause|continue|
// rollback", then ", delay Ns" and ", monitor Ns" when set.
std::string DescribeRolling(const model::UpdatePolicy& policy, int service_size, bool role_probe);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_ROLLOUT_BATCHES_H_
