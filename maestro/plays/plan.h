// Plan: the pure bookkeeping of one play (ninja's Plan/Builder split). Nodes are the
// containers of the play, numbered 0..n-1; each node lists the nodes that must succeed before
// it may run (dependencies for start-like plays, dependents for stop-like plays). The plan
// hands out ready nodes, records outcomes, and propagates failure: when a node fails or is
// skipped, every node that (transitively) waits on it is skipped, while independent work goes
// on. After Cancel(), nothing new is handed out and unstarted nodes end as kCancelled, except
// follow-up nodes whose trigger already started (SetTrigger): restart's "start again" after a
// stop that happened must still run, or the container would be left down.
//
// No I/O, no threads, no clock. Thread-compatible: the Scheduler guards it with a mutex.
#ifndef MAESTRO_PLAYS_PLAN_H_
#define MAESTRO_PLAYS_PLAN_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/plays/node_lists.h"

namespace maestro::plays {

enum class NodeState {
  kWaiting,  // some prerequisite has not succeeded yet
  kReady,    // may run, not handed out yet
  kRunning,  // handed out by TakeReady()
  kSucceeded,
  kFailed,
  kSkipped,    // a prerequisite failed or was skipped
  kCancelled,  // never started because the play was cancelled
};

const char* NodeStateName(NodeState state);
bool IsFinal(NodeState state);

class Plan {
 public:
  // prerequisites[i] lists the nodes that must succeed before node i. Errors on
  // out-of-range indices, self-edges and cycles (the cycle is named by node index). Memory is
  // linear in the nodes plus the distinct shared rows (node_lists.h), never in the edges.
  static absl::StatusOr<Plan> Create(NodeLists prerequisites);
  static absl::StatusOr<Plan> Create(const std::vector<std::vector<size_t>>& prerequisites) {
    return Create(NodeLists(prerequisites));
  }

  size_t size() const { return state_.size(); }
  NodeState state(size_t node) const { return state_[node]; }
  // For skipped nodes: the node whose failure caused the skip (the root cause).
  size_t blocked_by(size_t node) const { return blocked_by_[node]; }

  // `node` finishes what `trigger` began: once `trigger` has started, Cancel() does not cancel
  // `node`, and prerequisites of `node` that get cancelled count as satisfied (they never
  // changed anything). Call before the first TakeReady(). Indices outside the plan, or
  // node == trigger, are programmer errors: MAESTRO_CHECK aborts.
  void SetTrigger(size_t node, size_t trigger);

  // Hands out every ready node (lowest index first) and marks it running.
  std::vector<size_t> TakeReady();
  // Hands out at most `max` ready nodes.
  std::vector<size_t> TakeReady(size_t max);

  // A running node lets its dependents go before it finishes: they no longer wait for it, and
  // its later outcome (success or failure) does not hold them back or skip them. A stop that
  // has seen its container die releases the containers it depends on while the daemon still
  // tears the container down. `hold`, when given, is the one dependent that still waits for
  // the node's outcome (restart's start of the same container). No-op unless `node` is
  // running. Indices outside the plan abort (MAESTRO_CHECK).
  void Release(size_t node, std::optional<size_t> hold = std::nullopt);
  bool released(size_t node) const { return released_[node]; }

  // Records the outcome of a running node.
  void MarkSucceeded(size_t node);
  void MarkFailed(size_t node);

  // No more nodes are handed out; every node not yet running ends kCancelled.
  void Cancel();
  bool cancelled() const { return cancelled_; }

  // True when no node is waiting, ready or running.
  bool Finished() const { return unfinished_ == 0; }
  size_t running() const { return running_; }
  bool HasReady() const { return !ready_.empty(); }

 private:
  Plan() = default;
  void Finish(size_t node, NodeState state);
  void SkipDependents(size_t node, size_t root);
  void SkipFrom(size_t first, size_t root);  // `first` and what waits on it
  bool Kept(size_t node) const;
  void MakeReady(size_t node);
  // Makes the dependents of `node` one prerequisite closer to ready; only `hold` when
  // `only_hold`, every other one when not.
  void ReleaseDependents(size_t node, bool only_hold);
  // Whether prerequisite `p` no longer holds back `d`.
  bool Satisfies(size_t p, size_t d) const;
  // Calls f(d) for every node d whose list holds `node`: the users of each shared row holding
  // it, then the nodes holding it in their own list.
  template <typename F>
  void ForEachDependent(size_t node, F&& f) const {
    for (uint32_t r : rows_with_[node]) {
      for (size_t d : row_users_[r]) f(d);
    }
    for (size_t d : own_dependents_[node]) f(d);
  }

  std::vector<NodeState> state_;
  NodeLists prerequisites_;
  std::vector<std::vector<size_t>> row_users_;       // shared row id -> nodes with that row
  std::vector<std::vector<uint32_t>> rows_with_;     // node -> shared row ids holding it
  std::vector<std::vector<size_t>> own_dependents_;  // node -> nodes holding it in their own list
  std::vector<size_t> trigger_;                      // size() when none
  std::vector<size_t> pending_;                      // prerequisites not yet succeeded
  std::vector<size_t> blocked_by_;
  std::vector<bool> released_;
  std::vector<size_t> hold_;   // size() when none
  std::vector<size_t> ready_;  // kept sorted ascending
  size_t unfinished_ = 0;
  size_t running_ = 0;
  bool cancelled_ = false;
};

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_PLAN_H_
