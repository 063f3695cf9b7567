// Rolling updates' pure part (rollout_batches.h): batches and the policy in words.
#include "maestro/plays/rollout_batches.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"

namespace maestro::plays {

const model::UpdatePolicy* UpdatePolicyOf(const model::Environment& env, const std::string& name) {
  const model::Instance* inst = env.FindInstance(name);
  const model::Service* service = inst ? env.FindService(inst->service) : nullptr;
  return service != nullptr && service->update.has_value() ? &*service->update : nullptr;
}

std::vector<std::vector<size_t>> PlanBatches(const std::vector<RolloutMember>& members,
                                             const model::UpdatePolicy& policy, int service_size) {
  std::vector<size_t> order(members.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto rank = [&](size_t i) {
    const RolloutMember& m = members[i];
    if (m.health == MemberHealth::kDown) return 0;
    if (m.health == MemberHealth::kUnhealthy) return 1;
    return m.leader ? 3 : 2;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rank(a) < rank(b); });
  const size_t size = static_cast<size_t>(
      policy.BatchSize(std::max(service_size, static_cast<int>(members.size()))));
  std::vector<std::vector<size_t>> batches;
  std::vector<size_t> left = order;
  // Bounded: every round takes at least the first member left.
  while (!left.empty()) {
    std::vector<size_t> batch;
    std::map<std::string, int> per_ship;
    const bool leaders = members[left.front()].leader && rank(left.front()) == 3;
    std::vector<size_t> rest;
    for (size_t i : left) {
      const bool fits = batch.size() < size && (rank(i) == 3) == leaders &&
                        (policy.per_ship <= 0 || per_ship[members[i].ship] < policy.per_ship);
      if (fits) {
        batch.push_back(i);
        ++per_ship[members[i].ship];
      } else {
        rest.push_back(i);
      }
    }
    batches.push_back(std::move(batch));
    left = std::move(rest);
  }
  return batches;
}

std::string DescribeRolling(const model::UpdatePolicy& policy, int service_size, bool role_probe) {
  const int size = policy.BatchSize(service_size);
  std::string out;
  if (policy.parallelism_percent > 0) {
    out = absl::StrCat(policy.parallelism_percent, "% at a time (", size, ")");
  } else if (policy.parallelism > 0 && size < service_size) {
    out = absl::StrCat(size, " at a time");
  } else {
    out = "all at once";
  }
  if (policy.per_ship > 0) absl::StrAppend(&out, ", at most ", policy.per_ship, " per ship");
  if (policy.quorum_majority) {
    absl::StrAppend(&out, ", quorum majority");
  } else if (policy.quorum > 0) {
    absl::StrAppend(&out, ", quorum ", policy.quorum);
  }
  if (role_probe) absl::StrAppend(&out, ", leader last by role probe");
  absl::StrAppend(&out, ", failure ", model::UpdateFailureName(policy.failure));
  if (policy.delay > 0) absl::StrAppend(&out, ", delay ", policy.delay, "s");
  if (policy.monitor > 0) absl::StrAppend(&out, ", monitor ", policy.monitor, "s");
  return out;
}

}  // namespace maestro::plays
