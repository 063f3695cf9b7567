// PlayReport (plays.h) and PlayRunner (plays_internal.h): rows, auditing, the scheduler run and
// one outcome and RowResult per container.
#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "maestro/plays/critical_path.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/plays_internal.h"

namespace maestro::plays {

int PlayReport::failed() const {
  return static_cast<int>(std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) {
    return o.state == NodeState::kFailed || o.state == NodeState::kSkipped;
  }));
}

int PlayReport::succeeded() const {
  return static_cast<int>(std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) {
    return o.state == NodeState::kSucceeded;
  }));
}

int PlayReport::ExitCode() const {
  if (interrupted) return 130;
  return failed() > 0 ? 1 : 0;
}

std::string PlayReport::FailureSummary() const {
  std::string out;
  for (const ContainerOutcome& o : outcomes) {
    if (o.state == NodeState::kSucceeded) continue;
    absl::StrAppend(&out, "  ", o.container, ": ", NodeStateName(o.state),
                    o.error.empty() ? "" : ": ", o.error, "\n");
  }
  return out;
}

namespace internal {

using ui::Tone;

PlayRunner::PlayRunner(const PlayWorld& world, std::string play,
                       const std::vector<std::string>& containers, bool reverse_numbering)
    : world_(world), play_(std::move(play)), names_(containers) {
  std::vector<ui::Row> rows;
  rows.reserve(containers.size());
  targets_.reserve(containers.size());
  for (size_t i = 0; i < containers.size(); ++i) {
    const model::Instance* inst = world.env->FindInstance(containers[i]);
    const model::Ship* ship = inst ? world.env->FindShip(inst->ship) : nullptr;
    targets_.push_back({i, inst, ship});
    int number =
        reverse_numbering ? static_cast<int>(containers.size() - i) : static_cast<int>(i + 1);
    rows.push_back({number, containers[i], inst ? inst->service : "", ship ? ship->name : ""});
  }
  slots_.resize(containers.size());
  spans_.resize(containers.size());
  rows_ = std::move(rows);
}

PlayReport PlayRunner::Run(NodeLists prerequisites, const std::vector<size_t>& node_to_container,
                           Scheduler& scheduler, const Work& work,
                           const std::vector<std::pair<size_t, size_t>>& triggers) {
  PlayReport report;
  report.play = play_;
  sink().Begin(rows_);
  if (world_.audit != nullptr) {
    absl::Status audit = world_.audit->Action(play_, names_, /*task=*/false);
    if (!audit.ok()) {
      // Nothing is attempted; every row (and the JSON result) says so and why.
      const std::string why = absl::StrCat("audit trail refused the play: ", audit.message());
      for (size_t c = 0; c < names_.size(); ++c) {
        sink().State(c, "refused", Tone::kBad);
        ui::RowResult result;
        result.state = "refused";
        result.action = "none";
        result.image = targets_[c].instance ? targets_[c].instance->image : "";
        result.error = why;
        sink().Result(c, result);
        report.outcomes.push_back({names_[c], NodeState::kFailed, "refused", why});
      }
      sink().End();
      return report;
    }
  }
  Clock* clock = world_.clock;
  auto now = [clock] { return clock != nullptr ? clock->Now() : absl::UnixEpoch(); };
  const absl::Time play_begin = now();
  const NodeLists node_prerequisites = prerequisites;
  std::vector<NodeSpan> node_spans(node_to_container.size());
  absl::StatusOr<Plan> plan = Plan::Create(std::move(prerequisites));
  if (!plan.ok()) {
    sink().End();
    report.outcomes.push_back({"(plan)", NodeState::kFailed, "", plan.status().ToString()});
    return report;
  }
  // Each top-level task is audited once per container (restart's two nodes are one task).
  std::vector<std::atomic<int>> pending_nodes(names_.size());
  for (size_t c : node_to_container) ++pending_nodes[c];
  std::vector<std::atomic<bool>> refused(names_.size());  // the audit trail refused the task
  auto audited = [&](size_t node, const CancellationToken& cancel) -> absl::Status {
    const size_t c = node_to_container[node];
    const std::vector<std::string> one = {names_[c]};
    const bool first = node == 0 || node_to_container[node - 1] != c;
    if (world_.audit != nullptr && first) {
      absl::Status audit = world_.audit->Action(play_, one, /*task=*/true);
      if (!audit.ok()) {
        refused[c] = true;
        sink().State(c, "refused", Tone::kBad);
        return absl::Status(audit.code(),
                            absl::StrCat("audit trail refused the task: ", audit.message()));
      }
    }
    const absl::Time begin = now();
    absl::Status status = work(node, cancel);
    node_spans[node] = {true, begin, now()};  // each node is one worker's alone
    if (world_.audit != nullptr) {
      if (!status.ok()) {
        world_.audit->Error(play_, one, std::string(status.message()), /*task=*/true);
      } else if (--pending_nodes[c] == 0) {
        world_.audit->Success(play_, one, /*task=*/true);
      }
    }
    return status;
  };
  for (const auto& [node, trigger] : triggers) plan->SetTrigger(node, trigger);
  std::vector<NodeResult> results = scheduler.Run(*plan, audited);
  report.interrupted = scheduler.cancelled();
  // A container this run created ahead but never started (its dependencies failed, Ctrl-C)
  // is not left behind silently.
  std::vector<std::string> unstarted(names_.size());
  for (size_t c = 0; c < names_.size(); ++c) unstarted[c] = RemoveUnstarted(c);

  // One outcome per container: the worst state among its nodes.
  auto rank = [](NodeState s) {
    switch (s) {
      case NodeState::kFailed:
        return 5;
      case NodeState::kSkipped:
        return 4;
      case NodeState::kCancelled:
        return 3;
      case NodeState::kSucceeded:
        return 1;
      default:
        return 2;
    }
  };
  std::vector<ContainerOutcome> outcomes(names_.size());
  std::vector<int> best(names_.size(), 0);
  for (size_t node = 0; node < results.size(); ++node) {
    size_t c = node_to_container[node];
    int r = rank(results[node].state);
    if (r <= best[c]) continue;
    best[c] = r;
    ContainerOutcome& o = outcomes[c];
    o.container = names_[c];
    o.state = results[node].state;
    if (results[node].state == NodeState::kFailed) {
      o.error = std::string(results[node].status.message());
    } else if (results[node].state == NodeState::kSkipped) {
      size_t root = plan->blocked_by(node);
      std::string root_name =
          root < node_to_container.size() ? names_[node_to_container[root]] : std::string("?");
      o.error = absl::StrCat("not attempted: ", root_name, " failed");
    } else if (results[node].state == NodeState::kCancelled) {
      o.error = "not attempted: interrupted";
    }
  }
  for (size_t c = 0; c < names_.size(); ++c) {
    if (unstarted[c].empty()) continue;
    ContainerOutcome& o = outcomes[c];
    o.error = o.error.empty() ? unstarted[c] : absl::StrCat(o.error, "; ", unstarted[c]);
  }
  for (size_t c = 0; c < names_.size(); ++c) {
    ContainerOutcome& o = outcomes[c];
    o.summary = slots_[c].summary;
    if (o.state == NodeState::kSkipped || o.state == NodeState::kCancelled) {
      sink().State(c, o.state == NodeState::kSkipped ? "skipped" : "interrupted", Tone::kBad);
    }
    if (!unstarted[c].empty()) sink().Note(c, absl::StrCat("(", unstarted[c], ")"), Tone::kInfo);
    ui::RowResult result;
    result.state = o.state == NodeState::kSucceeded ? (o.summary.empty() ? "ok" : o.summary)
                   : refused[c]                     ? "refused"
                                                    : NodeStateName(o.state);
    result.image = targets_[c].instance ? targets_[c].instance->image : "";
    result.container_id = container_ids_.count(c) ? container_ids_[c] : "";
    result.action = o.summary;
    result.error = o.error;
    double seconds = 0;
    for (size_t node = 0; node < results.size(); ++node) {
      if (node_to_container[node] == c) seconds += absl::ToDoubleSeconds(results[node].elapsed);
    }
    result.seconds = seconds;
    sink().Result(c, result);
  }
  if (timings_enabled_) {
    report.timings = Timings(node_prerequisites, node_spans, node_to_container, play_begin, now());
    sink().Timings(report.timings);
  }
  sink().End();
  report.outcomes = std::move(outcomes);
  if (world_.audit != nullptr) {
    if (report.failed() == 0 && !report.interrupted) {
      world_.audit->Success(play_, names_, /*task=*/false);
    } else {
      world_.audit->Error(play_, names_, report.FailureSummary(), /*task=*/false);
    }
  }
  return report;
}

void PlayRunner::SetContainerId(size_t c, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  container_ids_[c] = id;
}

void PlayRunner::RecordPhase(size_t c, ui::Phase phase, absl::Time begin, absl::Time end) {
  if (!timings_enabled_ || c >= spans_.size()) return;
  std::lock_guard<std::mutex> lock(mu_);
  spans_[c].push_back({phase, begin, std::max(begin, end)});
}

ui::PlayTimings PlayRunner::Timings(const NodeLists& prerequisites,
                                    const std::vector<NodeSpan>& node_spans,
                                    const std::vector<size_t>& node_to_container, absl::Time begin,
                                    absl::Time end) {
  ui::PlayTimings t;
  t.play = play_;
  t.begin = begin;
  t.end = end;
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t c = 0; c < names_.size(); ++c) {
    ui::ContainerTiming ct;
    ct.container = names_[c];
    ct.ship = targets_[c].ship != nullptr ? targets_[c].ship->name : "";
    ct.spans = spans_[c];
    std::stable_sort(
        ct.spans.begin(), ct.spans.end(),
        [](const ui::PhaseSpan& a, const ui::PhaseSpan& b) { return a.begin < b.begin; });
    t.containers.push_back(std::move(ct));
  }
  for (size_t node : CriticalPath(prerequisites, node_spans)) {
    const size_t c = node_to_container[node];
    if (t.critical_path.empty() || t.critical_path.back() != c) t.critical_path.push_back(c);
    t.containers[c].critical = true;
  }
  return t;
}

std::string PlayRunner::RemoveUnstarted(size_t c) {
  Slot& slot = slots_[c];
  if (slot.created_id.empty() || slot.start_attempted) return "";
  const std::string id = ShortId(slot.created_id);
  const Target& t = targets_[c];
  absl::StatusOr<docker::DockerClient*> client =
      t.ship != nullptr ? world_.ships->Client(t.ship->name)
                        : absl::StatusOr<docker::DockerClient*>(absl::InternalError("no ship"));
  absl::StatusOr<std::optional<docker::ContainerInspect>> now =
      client.ok() ? InspectOrAbsent(**client, slot.created_id)
                  : absl::StatusOr<std::optional<docker::ContainerInspect>>(client.status());
  if (!now.ok()) {
    return absl::StrCat("container ", id,
                        ", created by this run and never started, may be left "
                        "in place: its state could not be checked: ",
                        now.status().message());
  }
  if (!now->has_value()) return "";
  const docker::ContainerInspect& found = **now;
  if (found.state.running || found.state.status != "created" ||
      docker::ParseDockerTime(found.state.started_at) != absl::InfinitePast()) {
    return absl::StrCat("container ", id,
                        ", created by this run, was started by someone else: "
                        "left in place");
  }
  docker::RemoveContainerOptions remove;
  remove.volumes = true;  // never force: if it runs after all, it stays
  absl::Status removed = (*client)->RemoveContainer(slot.created_id, remove);
  if (!removed.ok() && !absl::IsNotFound(removed)) {
    return absl::StrCat("container ", id,
                        ", created by this run and never started, could not "
                        "be removed: ",
                        removed.message());
  }
  return absl::StrCat("container ", id, ", created by this run and never started, was removed");
}

PhaseTimer::PhaseTimer(PlayRunner& run, size_t c, ui::Phase phase)
    : run_(run), c_(c), phase_(phase), begin_(run.world().clock->Now()) {}

void PhaseTimer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  run_.RecordPhase(c_, phase_, begin_, run_.world().clock->Now());
}

void PlayRunner::MarkForeign(size_t c, const std::string& service, const std::string& ship) {
  targets_[c].instance = nullptr;
  targets_[c].ship = nullptr;
  rows_[c].service = service;
  rows_[c].ship = ship;
}

void PlayRunner::Adopt(std::unique_ptr<DieWatcher> watcher) {
  std::lock_guard<std::mutex> lock(mu_);
  watchers_.push_back(std::move(watcher));
}

}  // namespace internal
}  // namespace maestro::plays
