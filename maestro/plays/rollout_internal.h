// The rollout engine (rollout.h) that `restart`, `up` and `rollback` share: one home for the
// survey (health and role before anything changes), the batches, the pull before the first
// instance goes down, the delay between batches, the quorum gate, the update of one container
// (stop, keep or remove the old one, create and start the new one, its running checks, Docker's
// own health, `monitor`) and the failure actions. A play owns the PlayRunner and its plan; it
// hands the rows that roll to a Rollout and calls Pull/Update (or DelayQuorumAndStop) from its
// node work.
//
// Health: an instance with a `healthcheck:` (not disabled) is measured by Docker's own
// State.Health.Status (healthy; unhealthy and starting are not), one without by its `running`
// checks. The survey orders by it, the quorum counts by it (running checks and, with a
// healthcheck, Docker's `healthy`), and an updated instance with a healthcheck succeeds only once
// Docker calls it healthy (it fails at once on `unhealthy`, with the last health output).
//
// Thread-safety: the constructor, Survey() and AddPrerequisites() run on the play's thread
// before the plan runs; Pull, Update and DelayQuorumAndStop run on the scheduler's workers, one
// per row at a time, and synchronise per service. Ownership: keeps references to the runner,
// the pulls and the world, which must outlive it.
#ifndef MAESTRO_PLAYS_ROLLOUT_INTERNAL_H_
#define MAESTRO_PLAYS_ROLLOUT_INTERNAL_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "maestro/docker/docker_client.h"
#include "maestro/model/environment.h"
#include "maestro/plays/node_lists.h"
#include "maestro/plays/plays_internal.h"
#include "maestro/plays/rollout.h"
#include "maestro/plays/scheduler.h"

namespace maestro::plays::internal {

// Docker's health of an inspected container: State.Health.Status ("" when it has none).
std::string DockerHealthOf(const docker::ContainerInspect& c);

// Whether `inst` is measured by Docker's own health: it has a `healthcheck:` that is not
// disabled.
bool UsesDockerHealth(const model::Instance& inst);

class Rollout {
 public:
  // The policy a service rolls with in this play.
  using PolicyOf = std::function<model::UpdatePolicy(const model::Service&)>;

  // `rows`: the rows of `run` that roll (others are the play's own business).
  Rollout(PlayRunner& run, PullOnce& pulls, PlayOptions options, PolicyOf policy_of,
          std::vector<size_t> rows);
  Rollout(const Rollout&) = delete;
  Rollout& operator=(const Rollout&) = delete;
  ~Rollout();

  // Before the plan runs: each row's health and role, and the batches of each service.
  void Survey();

  // Row `row` pulls with --refresh semantics (the registry moved its tag on).
  void SetRefresh(size_t row) { refresh_.insert(row); }

  // The batch edges: every update node waits for every pull node (when `pull_node` is set) and
  // for the update nodes of the previous batch of its service.
  void AddPrerequisites(NodeLists& pre, const std::function<size_t(size_t row)>& pull_node,
                        const std::function<size_t(size_t row)>& update_node) const;

  // pull: before (or a refresh): the row's image is on its ship.
  absl::Status Pull(size_t row, const CancellationToken& cancel);

  // Updates one row (the restart of a rollout, or up's re-create): delay, quorum, stop, keep
  // or remove the old container, create and start the new one, checks, health, monitor; then
  // the failure action. `node` is the row's update node (released on `continue`).
  absl::Status Update(size_t row, size_t node, Scheduler& scheduler,
                      const CancellationToken& cancel);

  // The part of Update before the container goes down, for plays that bring the new one up
  // themselves (rollback): the delay before a later batch, the quorum gate and the stop (with
  // its lifecycle checks). An error has ended the row.
  absl::Status DelayQuorumAndStop(size_t row, const CancellationToken& cancel);

  // For plays that bring the new container up themselves (rollback), the failure action
  // (rollout.h) around their own work: under `failure: rollback` (KeepsReplaced) the stopped
  // old container of `row` is kept as `<name>.maestro-prev` (KeepReplaced, instead of removing
  // it) until the whole service is proven; Conclude ends the row with its outcome and applies
  // the action: pause (later batches are skipped; the message says where), continue (the next
  // batch goes on), rollback (every kept container of the service goes back).
  bool KeepsReplaced(size_t row) const;
  absl::Status KeepReplaced(size_t row, docker::DockerClient& client,
                            const docker::ContainerInspect& old);
  absl::Status Conclude(size_t row, size_t node, Scheduler& scheduler, absl::Status outcome);

  // "batch 2 of 3 of zk".
  std::string Where(size_t row) const;

 private:
  struct Service;

  absl::Status AwaitQuorum(Service& r, size_t c, const CancellationToken& cancel);
  absl::Status AwaitHealthy(size_t c, docker::DockerClient& client,
                            const CancellationToken& cancel);
  absl::Status Monitor(Service& r, size_t c, docker::DockerClient& client,
                       const CancellationToken& cancel);
  std::string Restore(size_t c, const std::string& kept_id);
  absl::Status Redeliver(docker::DockerClient& client, const std::string& id,
                         const model::Instance& inst);
  std::string RollBackLocked(Service& r);
  absl::Status Finish(Service& r, size_t c, size_t node, Scheduler& scheduler, absl::Status error);
  std::optional<absl::Status> LeaveIfUnchanged(size_t c, docker::DockerClient& client);
  const std::string& NameOf(size_t c) const;
  // "rollback" in the rollback play (whose failure action undoes a rollback), else "rollout".
  const char* Noun() const;

  PlayRunner& run_;
  PullOnce& pulls_;
  const PlayWorld& world_;
  const PlayOptions options_;
  PolicyOf policy_of_;
  std::vector<size_t> rows_;
  std::set<size_t> refresh_;
  std::vector<std::unique_ptr<Service>> services_;
  std::map<size_t, Service*> service_of_;
};

}  // namespace maestro::plays::internal

#endif  // MAESTRO_PLAYS_ROLLOUT_INTERNAL_H_
