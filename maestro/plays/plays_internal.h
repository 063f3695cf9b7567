// The building blocks of the plays (not part of the public API, plays.h): the per-play runner
// that numbers the rows, audits, drives the Scheduler and turns node results into a
// PlayReport, and the per-container tasks (StartOne, StopOne, CleanOne) that new plays reuse.
//
// Contracts shared by every task below:
//   * A task reports its row's progress on run.sink() and ends the row with exactly one final
//     state (good or bad) before it returns; an error return is the row's failure, its message
//     the root cause for the report.
//   * Every wait observes `cancel` (Clock::SleepFor with cancel.flag(), the check runner, the
//     shared pull): after Ctrl-C a task returns a Cancelled error (or finishes the step it is
//     in when that step cannot be abandoned safely) instead of waiting on.
//   * A task records what it did in run.slot(row).summary ("started", "stopped", ...) and the
//     container id it acted on with run.SetContainerId().
//
// Thread-safety: PlayRunner::Run() is called from one thread; the tasks run concurrently on
// the scheduler's workers, each on its own row, and may call the runner's const accessors,
// slot(row) for their own row, SetContainerId(), RecordPhase() and Adopt() concurrently. PullOnce
// is thread-safe. Ownership: the runner keeps non-owning pointers into the PlayWorld, which must
// outlive it.
#ifndef MAESTRO_PLAYS_PLAYS_INTERNAL_H_
#define MAESTRO_PLAYS_PLAYS_INTERNAL_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "maestro/docker/docker_client.h"
#include "maestro/docker/registry_auth.h"
#include "maestro/docker/short_id.h"
#include "maestro/graph/container_graph.h"
#include "maestro/model/environment.h"
#include "maestro/plays/critical_path.h"
#include "maestro/plays/node_lists.h"
#include "maestro/plays/plan.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/scheduler.h"
#include "maestro/plays/world.h"
#include "maestro/ui/timings.h"

namespace maestro::plays::internal {

// A container id in MaestroNG's rows and messages: docker::ShortId, 7 characters, "-" for none.
inline std::string ShortId(absl::string_view id) {
  return docker::ShortId(id, docker::kMaestroShortIdLength, "-");
}
// The tag part of an image reference ("latest" when none).
std::string TagOf(const std::string& image);
// "{tag}:{id7}" for a row's container column.
std::string TagAndId(const std::string& image, const std::string& id);

// prerequisites[i] for the containers of a play: forward plays wait for the containers each
// one depends on; reverse plays (stop, kill) wait for their dependents. Only edges between
// containers of the play count, transitively through containers outside it.
NodeLists Prerequisites(const model::Environment& env, const std::vector<std::string>& containers,
                        bool forward);
// The same over a graph already built (a play that needs both directions builds it once).
NodeLists Prerequisites(const graph::ContainerGraph& graph,
                        const std::vector<std::string>& containers, bool forward);

// Whether the daemon will start this stopped container again by itself: its restart policy is
// always or unless-stopped, or on-failure after a failure with retries left.
bool DaemonWillRestart(const docker::ContainerInspect& c);

// The last `lines` lines of a container's output, for error messages ("" on failure).
std::string LogsTail(docker::DockerClient& client, const std::string& id, int lines);

// [0, 1, ..., n-1]: the node-to-container map of plays with one node per container.
std::vector<size_t> Identity(size_t n);

// The environment's registries as docker::LoginAndPull takes them.
std::vector<docker::Registry> Registries(const model::Environment& env);

// Everything one container's task needs. `instance` and `ship` are null for a name the
// environment does not know (ClientFor() then fails the task).
struct Target {
  size_t row;
  const model::Instance* instance;
  const model::Ship* ship;
};

// The per-container state a play keeps between phases (restart's stop and start nodes, the
// prepare and launch halves of a start). A container's nodes never run at the same time.
struct Slot {
  std::string summary;     // what was done, for the report and the JSON `action`
  bool unchanged = false;  // restart --only-if-changed decided there is nothing to do
  // PrepareOne -> LaunchOne:
  bool done = false;  // nothing left to launch (already running, started by another run)
  // What PrepareOne found (not running). Held by pointer, as `replaced`: an inspect is ~500
  // bytes and a play has a slot per container (6,000 slots: 6 MB inline, docs/benchmarks.md).
  std::unique_ptr<docker::ContainerInspect> existing;
  bool create_deferred = false;  // pre-start checks: LaunchOne removes/creates after them
  // The container `up` removed before re-creating it (not reset by PrepareOne): its spec
  // becomes the new container's previous spec (spec::kPreviousSpecLabel).
  std::unique_ptr<docker::ContainerInspect> replaced;
  std::string id;  // the container LaunchOne starts
  // The container this run created itself, and whether a start of it was attempted. One
  // created and never started is removed when the play ends (PlayRunner::Run).
  std::string created_id;
  bool start_attempted = false;
};

// Watches one container's "die" event and calls `on_die` once when it comes (stop.cc says
// why). Best effort: a ship whose event stream fails just never calls `on_die`. The destructor
// stops the watch and joins its thread.
class DieWatcher {
 public:
  DieWatcher(docker::DockerClient& client, const docker::ContainerInspect& c,
             std::function<void()> on_die);
  DieWatcher(const DieWatcher&) = delete;
  DieWatcher& operator=(const DieWatcher&) = delete;
  ~DieWatcher();

 private:
  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

// One play over a list of containers: its rows (numbered as MaestroNG does), targets and
// slots, and Run(), which reports Begin/End to the sink, audits the play and each task, runs
// the plan on the scheduler and reports one outcome and one RowResult per container.
class PlayRunner {
 public:
  // The node work: `node` is a plan node (see Run's node_to_container).
  using Work = std::function<absl::Status(size_t node, const CancellationToken&)>;

  PlayRunner(const PlayWorld& world, std::string play, const std::vector<std::string>& containers,
             bool reverse_numbering);

  const Target& target(size_t i) const { return targets_[i]; }
  const std::string& name(size_t i) const { return names_[i]; }
  const std::string& play() const { return play_; }  // "restart", "up", "rollback", ...
  Slot& slot(size_t i) { return slots_[i]; }
  ui::ProgressSink& sink() const { return *world_.sink; }
  const PlayWorld& world() const { return world_; }

  // Runs the plan; node_to_container maps plan nodes to containers (restart has two nodes per
  // container, consecutive). `triggers`: (follow-up node, trigger node) pairs, see
  // Plan::SetTrigger.
  PlayReport Run(NodeLists prerequisites, const std::vector<size_t>& node_to_container,
                 Scheduler& scheduler, const Work& work,
                 const std::vector<std::pair<size_t, size_t>>& triggers = {});

  void SetContainerId(size_t c, const std::string& id);

  // Timings (ui/timings.h): a play that reports them calls EnableTimings() before Run(); Run()
  // then gives them to the sink (ProgressSink::Timings) and the report. RecordPhase is a no-op
  // otherwise. Thread-safe.
  void EnableTimings() { timings_enabled_ = true; }
  void RecordPhase(size_t c, ui::Phase phase, absl::Time begin, absl::Time end);

  // Before Run(): row `c` is a container the environment does not describe (an orphan of
  // `up`) on `ship`; its target gets no instance or ship, even when an instance of the same
  // name lives on another ship.
  void MarkForeign(size_t c, const std::string& service, const std::string& ship);

  // Keeps a watcher until the play's end, so that a worker never waits for its stream to
  // notice cancellation.
  void Adopt(std::unique_ptr<DieWatcher> watcher);

 private:
  const PlayWorld& world_;
  std::string play_;
  std::vector<std::string> names_;
  std::vector<Target> targets_;
  std::vector<Slot> slots_;
  std::vector<ui::Row> rows_;
  std::mutex mu_;
  std::map<size_t, std::string> container_ids_;
  std::vector<std::unique_ptr<DieWatcher>> watchers_;  // joined when the runner goes
  bool timings_enabled_ = false;
  std::vector<std::vector<ui::PhaseSpan>> spans_;  // per container, guarded by mu_

  // Removes the container this run created for container `c` and never started, when the
  // daemon confirms it is still created and never started; returns what happened, for the row
  // and the report ("" when there is nothing to say).
  std::string RemoveUnstarted(size_t c);
  // The PlayTimings of the finished run: the recorded spans per container and the critical
  // path over the plan's nodes, as containers.
  ui::PlayTimings Timings(const NodeLists& prerequisites, const std::vector<NodeSpan>& node_spans,
                          const std::vector<size_t>& node_to_container, absl::Time begin,
                          absl::Time end);
};

// Times one phase of one container from construction to Stop() (or destruction) on the
// world's clock and records it with PlayRunner::RecordPhase. Not thread-safe (one task).
class PhaseTimer {
 public:
  PhaseTimer(PlayRunner& run, size_t c, ui::Phase phase);
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;
  ~PhaseTimer() { Stop(); }
  void Stop();

 private:
  PlayRunner& run_;
  size_t c_;
  ui::Phase phase_;
  absl::Time begin_;
  bool stopped_ = false;
};

// Ends a row with the bad-news `state` ("failed", "pull failed!", "interrupted") and returns
// `error`.
absl::Status FailRow(PlayRunner& run, size_t row, const std::string& state, absl::Status error);

// The Docker client of the target's ship; when the ship cannot be reached the row says
// "host down" and the error is returned.
absl::StatusOr<docker::DockerClient*> ClientFor(PlayRunner& run, const Target& t);

// Inspects a container by name or id; nullopt when it does not exist.
absl::StatusOr<std::optional<docker::ContainerInspect>> InspectOrAbsent(
    docker::DockerClient& client, const std::string& name);

// The `condition` for CheckRunner::Run: the container is (or is not) running. A daemon that
// does not answer, or that will restart the container itself, keeps the condition true.
std::function<bool()> RunningCondition(docker::DockerClient& client, const std::string& name,
                                       bool want_running);

// Pulls each (ship, image) once per play even when many containers share it: the first
// caller pulls (with the registry's login and retries), the others wait for its result.
// Thread-safety: thread-safe.
class PullOnce {
 public:
  // Cancelled, without waiting on, when `cancel` is set while another container's pull of
  // the same image is awaited or between the registry's retries; the pull itself ends on
  // Ctrl-C through the client (HttpDockerClient::SetInterrupt).
  absl::Status Pull(PlayRunner& run, const Target& t, docker::DockerClient& client,
                    const CancellationToken& cancel);

  // Whether the target's ship is known (in this play) to have its image: it answered an image
  // inspect, or a pull of it succeeded. Lets the containers sharing an image ask the daemon
  // once instead of once each.
  bool KnownPresent(const Target& t);
  void MarkPresent(const Target& t);

 private:
  struct Entry {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    absl::Status status;
  };

  absl::Status DoPull(PlayRunner& run, const Target& t, docker::DockerClient& client,
                      const CancellationToken& cancel);

  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Entry>> entries_;
  std::set<std::pair<std::string, std::string>> present_;  // (ship, image), guarded by mu_
};

struct StartFlags {
  bool refresh = false;  // pull the image even when the ship has it (-r)
  bool reuse = false;    // start an existing stopped container instead of recreating it
};

// Brings one container up: leaves a running one alone (noting a changed configuration),
// runs pre-start checks, removes a stale container, pulls when needed, creates, starts,
// waits for it to run and for its `running` checks. Summary: "started", "already running".
// PrepareOne then LaunchOne.
absl::Status StartOne(PlayRunner& run, const Target& t, const StartFlags& flags, PullOnce& pulls,
                      const CancellationToken& cancel);

// The half of StartOne that needs no dependency running (create-ahead): looks at the
// container (a running one ends the row: "already running"), pulls the image when needed and,
// unless the instance has pre-start checks (they come before the create and may need its
// dependencies), removes a stale container and creates the new one. Leaves the row pending.
absl::Status PrepareOne(PlayRunner& run, const Target& t, const StartFlags& flags, PullOnce& pulls,
                        const CancellationToken& cancel);
// The other half, once the dependencies run: pre-start checks and the create PrepareOne left,
// start, wait for it to run, `running` checks.
absl::Status LaunchOne(PlayRunner& run, const Target& t, const StartFlags& flags,
                       const CancellationToken& cancel);

// The plan of a start over `n` containers with create-ahead: node 2i prepares container i
// (PrepareOne, after the preparations of the containers `deps[i]` it depends on: a create may
// name them, by volumes_from, links or net: container:, and the daemon refuses a name that
// does not exist yet), node 2i+1 launches it (LaunchOne, after node 2i and the launches of
// `deps[i]`). Creates of later tiers still overlap the starts and checks of earlier ones. Lower
// nodes are handed out first, so a launch that is ready goes before the preparation of later
// containers.
NodeLists CreateAheadPrerequisites(const NodeLists& deps);

enum class StopKind { kStop, kKill };

// Brings one container down (stop with its stop_timeout, or SIGKILL), with pre-stop and
// stopped checks. `release`, when set, lets the containers this one depends on be stopped as
// soon as it has died (Scheduler::Release), before the daemon has finished tearing it down.
// Only without `stopped` checks: those must pass before anything goes on. Summary:
// "stopped", "killed", "already down", "absent".
absl::Status StopOne(PlayRunner& run, const Target& t, StopKind kind,
                     const CancellationToken& cancel, std::function<void()> release);

// Removes one stopped container with its volumes; a running one is left ("skipped").
// Summary: "removed", "absent", "running, not removed".
absl::Status CleanOne(PlayRunner& run, const Target& t);

}  // namespace maestro::plays::internal

#endif  // MAESTRO_PLAYS_PLAYS_INTERNAL_H_
