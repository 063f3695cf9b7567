#include "maestro/plays/plan.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/base/check.h"

namespace maestro::plays {

const char* NodeStateName(NodeState state) {
  switch (state) {
    case NodeState::kWaiting:
      return "waiting";
    case NodeState::kReady:
      return "ready";
    case NodeState::kRunning:
      return "running";
    case NodeState::kSucceeded:
      return "succeeded";
    case NodeState::kFailed:
      return "failed";
    case NodeState::kSkipped:
      return "skipped";
    case NodeState::kCancelled:
      return "cancelled";
  }
  return "?";
}

bool IsFinal(NodeState state) {
  return state == NodeState::kSucceeded || state == NodeState::kFailed ||
         state == NodeState::kSkipped || state == NodeState::kCancelled;
}

absl::StatusOr<Plan> Plan::Create(NodeLists prerequisites) {
  Plan plan;
  const size_t n = prerequisites.size();
  plan.state_.assign(n, NodeState::kWaiting);
  plan.pending_.assign(n, 0);
  plan.blocked_by_.assign(n, n);
  plan.trigger_.assign(n, n);
  plan.released_.assign(n, false);
  plan.hold_.assign(n, n);
  plan.unfinished_ = n;
  plan.row_users_.assign(prerequisites.row_count(), {});
  plan.rows_with_.assign(n, {});
  plan.own_dependents_.assign(n, {});
  for (size_t r = 1; r < prerequisites.row_count(); ++r) {
    for (size_t p : prerequisites.row(r)) {
      if (p >= n) break;  // reported below, with a node that uses the row
      plan.rows_with_[p].push_back(static_cast<uint32_t>(r));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    absl::Status bad = absl::OkStatus();
    prerequisites.ForEach(i, [&](size_t p) {
      if (!bad.ok()) return;
      if (p >= n) {
        bad = absl::InvalidArgumentError(
            absl::StrCat("plan: node ", i, " depends on unknown node ", p));
      } else if (p == i) {
        bad = absl::InvalidArgumentError(absl::StrCat("plan: node ", i, " depends on itself"));
      }
    });
    if (!bad.ok()) return bad;
    if (prerequisites.row_of(i) != 0) plan.row_users_[prerequisites.row_of(i)].push_back(i);
    for (size_t p : prerequisites.own(i)) plan.own_dependents_[p].push_back(i);
    plan.pending_[i] = prerequisites.Count(i);
  }
  // Kahn's algorithm to reject cycles up front; a cyclic plan would never finish.
  std::vector<size_t> indegree = plan.pending_;
  std::vector<size_t> queue;
  for (size_t i = 0; i < n; ++i) {
    if (indegree[i] == 0) queue.push_back(i);
  }
  size_t seen = 0;
  while (!queue.empty()) {
    size_t node = queue.back();
    queue.pop_back();
    ++seen;
    plan.ForEachDependent(node, [&](size_t d) {
      if (--indegree[d] == 0) queue.push_back(d);
    });
  }
  if (seen != n) {
    std::vector<size_t> cyclic;
    for (size_t i = 0; i < n; ++i) {
      if (indegree[i] != 0) cyclic.push_back(i);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("plan: dependency cycle among nodes ", absl::StrJoin(cyclic, ", ")));
  }
  plan.prerequisites_ = std::move(prerequisites);
  for (size_t i = 0; i < n; ++i) {
    if (plan.pending_[i] == 0) {
      plan.state_[i] = NodeState::kReady;
      plan.ready_.push_back(i);
    }
  }
  return plan;
}

void Plan::SetTrigger(size_t node, size_t trigger) {
  MAESTRO_CHECK_MSG(node < trigger_.size() && trigger < trigger_.size() && node != trigger,
                    "Plan::SetTrigger takes two distinct nodes of the plan");
  trigger_[node] = trigger;
}

bool Plan::Kept(size_t node) const {
  size_t t = trigger_[node];
  if (t >= state_.size()) return false;
  return state_[t] == NodeState::kRunning || state_[t] == NodeState::kSucceeded;
}

void Plan::MakeReady(size_t node) {
  state_[node] = NodeState::kReady;
  ready_.insert(std::upper_bound(ready_.begin(), ready_.end(), node), node);
}

std::vector<size_t> Plan::TakeReady() { return TakeReady(ready_.size()); }

std::vector<size_t> Plan::TakeReady(size_t max) {
  // After Cancel() only kept follow-up nodes are ever ready.
  std::vector<size_t> out;
  size_t take = std::min(max, ready_.size());
  out.assign(ready_.begin(), ready_.begin() + take);
  ready_.erase(ready_.begin(), ready_.begin() + take);
  for (size_t node : out) {
    state_[node] = NodeState::kRunning;
    ++running_;
  }
  return out;
}

void Plan::Finish(size_t node, NodeState state) {
  state_[node] = state;
  --unfinished_;
}

void Plan::Release(size_t node, std::optional<size_t> hold) {
  MAESTRO_CHECK_MSG(node < state_.size(), "Plan::Release of a node outside the plan");
  MAESTRO_CHECK_MSG(!hold.has_value() || (*hold < state_.size() && *hold != node),
                    "Plan::Release holds a node outside the plan");
  if (state_[node] != NodeState::kRunning || released_[node]) return;
  released_[node] = true;
  if (hold.has_value()) hold_[node] = *hold;
  ReleaseDependents(node, /*only_hold=*/false);
}

void Plan::MarkSucceeded(size_t node) {
  MAESTRO_CHECK_MSG(node < state_.size(), "Plan: outcome of a node outside the plan");
  if (state_[node] != NodeState::kRunning) return;
  --running_;
  Finish(node, NodeState::kSucceeded);
  ReleaseDependents(node, /*only_hold=*/released_[node]);
}

bool Plan::Satisfies(size_t p, size_t d) const {
  return state_[p] == NodeState::kSucceeded || state_[p] == NodeState::kCancelled ||
         (released_[p] && hold_[p] != d);
}

void Plan::ReleaseDependents(size_t node, bool only_hold) {
  ForEachDependent(node, [&](size_t d) {
    if ((d == hold_[node]) != only_hold) return;
    if (state_[d] != NodeState::kWaiting) return;
    if (--pending_[d] == 0) {
      if (cancelled_ && !Kept(d)) {
        Finish(d, NodeState::kCancelled);
      } else {
        MakeReady(d);
      }
    }
  });
}

void Plan::MarkFailed(size_t node) {
  MAESTRO_CHECK_MSG(node < state_.size(), "Plan: outcome of a node outside the plan");
  if (state_[node] != NodeState::kRunning) return;
  --running_;
  Finish(node, NodeState::kFailed);
  if (!released_[node]) {
    SkipDependents(node, node);
  } else if (hold_[node] < state_.size()) {
    SkipFrom(hold_[node], node);
  }
}

void Plan::SkipDependents(size_t node, size_t root) {
  ForEachDependent(node, [&](size_t d) { SkipFrom(d, root); });
}

void Plan::SkipFrom(size_t first, size_t root) {
  std::vector<size_t> stack = {first};
  while (!stack.empty()) {
    size_t d = stack.back();
    stack.pop_back();
    if (state_[d] != NodeState::kWaiting) continue;
    blocked_by_[d] = root;
    Finish(d, NodeState::kSkipped);
    ForEachDependent(d, [&](size_t next) {
      if (state_[next] == NodeState::kWaiting) stack.push_back(next);
    });
  }
}

void Plan::Cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  std::vector<bool> keep(state_.size(), false);
  for (size_t i = 0; i < state_.size(); ++i) keep[i] = Kept(i);
  ready_.clear();
  for (size_t i = 0; i < state_.size(); ++i) {
    if ((state_[i] == NodeState::kWaiting || state_[i] == NodeState::kReady) && !keep[i]) {
      Finish(i, NodeState::kCancelled);
    }
  }
  // Kept nodes wait only for prerequisites that will still run.
  for (size_t i = 0; i < state_.size(); ++i) {
    if (!keep[i] || IsFinal(state_[i]) || state_[i] == NodeState::kRunning) continue;
    size_t pending = 0;
    prerequisites_.ForEach(i, [&](size_t p) {
      if (!Satisfies(p, i)) ++pending;
    });
    pending_[i] = pending;
    if (pending == 0) {
      MakeReady(i);
    } else {
      state_[i] = NodeState::kWaiting;
    }
  }
}

}  // namespace maestro::plays
