#include "maestro/plays/plays.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "maestro/base/status_macros.h"
#include "maestro/docker/registry_auth.h"
#include "maestro/plays/plays_internal.h"
#include "maestro/spec/container_spec.h"
#include "maestro/spec/drift.h"
#include "maestro/ui/table_sink.h"

namespace maestro::plays {

using docker::ParseDockerTime;
using internal::LogsTail;
using internal::ShortId;
using internal::TagAndId;
using internal::TagOf;
using ui::Color;
using ui::ContainerCell;
using ui::StatusCell;

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

namespace {

// Everything one container's task needs.
struct Target {
  size_t row;
  const model::Instance* instance;
  const model::Ship* ship;
};

// Watches one container's "die" event and calls `on_die` once when it comes. The daemon
// reports the death (the process is gone, its FinishedAt recorded) before it tears the
// container down (network, mounts, the stop call's reply): 0.15-0.25 s per container on a
// 2-core machine, which a stop in dependency tiers would otherwise pay again in every tier.
// Not the earlier "kill" event with signal 9: the dependent would then get its FinishedAt
// after its dependencies', and Docker's record would contradict the order we promise.
// Best effort: a ship whose event stream fails just never calls `on_die`, and the stop's
// answer releases the dependents as before.
class DieWatcher {
 public:
  DieWatcher(docker::DockerClient& client, const docker::ContainerInspect& c,
             std::function<void()> on_die) {
    docker::EventsOptions o;
    o.filters = {{"type", {"container"}}, {"event", {"die"}}, {"container", {c.id}}};
    // From the container's own start, on the daemon's clock: a death after that is this
    // run's, and one that happens before the stream is set up is replayed, not missed.
    absl::Time started = ParseDockerTime(c.state.started_at);
    if (started != absl::InfinitePast()) o.since = docker::DockerTimeParam(started);
    o.cancel = &cancel_;
    thread_ = std::thread([&client, o = std::move(o), on_die = std::move(on_die)] {
      (void)client.Events(o, [&](const docker::Event& e) {
        if (e.action != "die") return true;
        on_die();
        return false;
      });
    });
  }
  DieWatcher(const DieWatcher&) = delete;
  DieWatcher& operator=(const DieWatcher&) = delete;
  ~DieWatcher() {
    cancel_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

// The per-container state a play keeps between phases (restart's stop and start nodes).
struct Slot {
  std::string summary;
  bool unchanged = false;  // restart --only-if-changed decided there is nothing to do
};

class PlayRunner {
 public:
  PlayRunner(const PlayWorld& world, std::string play, const std::vector<std::string>& containers,
             bool reverse_numbering)
      : world_(world), play_(std::move(play)), names_(containers) {
    std::vector<ui::Row> rows;
    for (size_t i = 0; i < containers.size(); ++i) {
      const model::Instance* inst = world.env->FindInstance(containers[i]);
      const model::Ship* ship = inst ? world.env->FindShip(inst->ship) : nullptr;
      targets_.push_back({i, inst, ship});
      int number =
          reverse_numbering ? static_cast<int>(containers.size() - i) : static_cast<int>(i + 1);
      rows.push_back({number, containers[i], inst ? inst->service : "", ship ? ship->name : ""});
    }
    slots_.resize(containers.size());
    rows_ = std::move(rows);
  }

  const Target& target(size_t i) const { return targets_[i]; }
  Slot& slot(size_t i) { return slots_[i]; }
  ui::ProgressSink& sink() { return *world_.sink; }
  const PlayWorld& world() const { return world_; }

  // Runs the plan; node_to_container maps plan nodes to containers (restart has two nodes per
  // container).
  // `triggers`: (follow-up node, trigger node) pairs, see Plan::SetTrigger.
  PlayReport Run(std::vector<std::vector<size_t>> prerequisites,
                 const std::vector<size_t>& node_to_container, Scheduler& scheduler,
                 const std::function<absl::Status(size_t node, const CancellationToken&)>& work,
                 const std::vector<std::pair<size_t, size_t>>& triggers = {}) {
    PlayReport report;
    report.play = play_;
    sink().Begin(rows_);
    if (world_.audit != nullptr) {
      absl::Status audit = world_.audit->Action(play_, names_, /*task=*/false);
      if (!audit.ok()) {
        // Nothing is attempted; every row (and the JSON result) says so and why.
        const std::string why = absl::StrCat("audit trail refused the play: ", audit.message());
        for (size_t c = 0; c < names_.size(); ++c) {
          sink().Commit(c, StatusCell("refused"), Color::kRed, 0);
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
          sink().Commit(c, StatusCell("refused"), Color::kRed, 0);
          return absl::Status(audit.code(),
                              absl::StrCat("audit trail refused the task: ", audit.message()));
        }
      }
      absl::Status status = work(node, cancel);
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
      ContainerOutcome& o = outcomes[c];
      o.summary = slots_[c].summary;
      if (o.state == NodeState::kSkipped || o.state == NodeState::kCancelled) {
        sink().Commit(c, StatusCell(o.state == NodeState::kSkipped ? "skipped" : "interrupted"),
                      Color::kRed, 0);
      }
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

  void SetContainerId(size_t c, const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    container_ids_[c] = id;
  }

  // Keeps a watcher until the play's end, so that a worker never waits for its stream to
  // notice cancellation.
  void Adopt(std::unique_ptr<DieWatcher> watcher) {
    std::lock_guard<std::mutex> lock(mu_);
    watchers_.push_back(std::move(watcher));
  }

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
};

std::vector<size_t> Identity(size_t n) {
  std::vector<size_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

// Fails a row with a red status and returns the error.
absl::Status FailRow(PlayRunner& run, size_t row, const std::string& status_text,
                     absl::Status error) {
  run.sink().Commit(row, status_text, Color::kRed, 0);
  return error;
}

absl::StatusOr<docker::DockerClient*> ClientFor(PlayRunner& run, const Target& t) {
  if (t.instance == nullptr || t.ship == nullptr) {
    return absl::InternalError("container is not in the environment");
  }
  absl::StatusOr<docker::DockerClient*> client = run.world().ships->Client(t.ship->name);
  if (!client.ok()) {
    run.sink().Commit(t.row, ContainerCell("-"), Color::kNone, 0);
    run.sink().Commit(t.row, StatusCell("host down"), Color::kRed, 0);
  }
  return client;
}

// Inspects a container by name; nullopt when it does not exist.
absl::StatusOr<std::optional<docker::ContainerInspect>> InspectOrAbsent(
    docker::DockerClient& client, const std::string& name) {
  absl::StatusOr<docker::ContainerInspect> inspect = client.InspectContainer(name);
  if (inspect.ok()) return std::optional<docker::ContainerInspect>(*std::move(inspect));
  if (absl::IsNotFound(inspect.status())) return std::optional<docker::ContainerInspect>();
  return inspect.status();
}

std::function<bool()> RunningCondition(docker::DockerClient& client, const std::string& name,
                                       bool want_running) {
  return [&client, name, want_running]() {
    absl::StatusOr<docker::ContainerInspect> inspect = client.InspectContainer(name);
    // A daemon that does not answer (restarting, a network blip) says nothing about the
    // container: keep going and let the checks' own deadlines decide.
    if (!inspect.ok() && !absl::IsNotFound(inspect.status())) return true;
    bool running = inspect.ok() && inspect->state.running;
    // A daemon that shuts down (restart, upgrade) stops its containers and still answers on
    // kept-alive connections for a moment: a container it will start again is not dead yet.
    // The checks' own deadlines still bound the wait.
    if (want_running && !running && inspect.ok() && internal::DaemonWillRestart(*inspect)) {
      return true;
    }
    return running == want_running;
  };
}

std::vector<docker::Registry> Registries(const model::Environment& env) {
  std::vector<docker::Registry> out;
  for (const model::Registry& r : env.registries) {
    docker::Registry d;
    d.name = r.name;
    d.url = r.url;
    d.username = r.username;
    d.password = r.password;
    d.email = r.email;
    d.retry.attempts = r.retry.attempts;
    d.retry.when.insert(r.retry.when.begin(), r.retry.when.end());
    out.push_back(std::move(d));
  }
  return out;
}

// Pulls each (ship, image) once per play even when many containers share it.
class PullOnce {
 public:
  absl::Status Pull(PlayRunner& run, const Target& t, docker::DockerClient& client) {
    std::shared_ptr<Entry> entry;
    bool first = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& slot = entries_[{t.ship->name, t.instance->image}];
      if (!slot) {
        slot = std::make_shared<Entry>();
        first = true;
      }
      entry = slot;
    }
    if (!first) {
      run.sink().Pending(t.row,
                         absl::StrCat("waiting for pull of ", t.instance->short_image, "..."));
      std::unique_lock<std::mutex> lock(entry->mu);
      entry->cv.wait(lock, [&] { return entry->done; });
      return entry->status;
    }
    absl::Status status = DoPull(run, t, client);
    {
      std::lock_guard<std::mutex> lock(entry->mu);
      entry->status = status;
      entry->done = true;
    }
    entry->cv.notify_all();
    return status;
  }

 private:
  struct Entry {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    absl::Status status;
  };

  absl::Status DoPull(PlayRunner& run, const Target& t, docker::DockerClient& client) {
    const std::string what = absl::StrCat("pulling image ", t.instance->short_image, "...");
    run.sink().Pending(t.row, what);
    std::map<std::string, double> layers;  // layer id -> percent
    int64_t bytes = 0;
    std::map<std::string, int64_t> layer_bytes;
    auto progress = [&](const docker::PullProgress& p) {
      if (p.id.empty()) return;
      double pct = 0;
      if (p.status == "Download complete" || p.status == "Pull complete" ||
          p.status == "Already exists") {
        pct = 100;
      } else if (p.total > 0) {
        pct = 100.0 * static_cast<double>(p.current) / static_cast<double>(p.total);
      }
      layers[p.id] = std::max(layers[p.id], pct);
      if (p.status == "Downloading") layer_bytes[p.id] = p.current;
      bytes = 0;
      for (const auto& [id, b] : layer_bytes) bytes += b;
      double sum = 0;
      for (const auto& [id, v] : layers) sum += v;
      run.sink().Pending(t.row, absl::StrFormat("%s %.1f%% (%d layers, %.1f MB)", what,
                                                sum / static_cast<double>(layers.size()),
                                                layers.size(), static_cast<double>(bytes) / 1e6));
    };
    docker::PullRequest request;
    request.image = t.instance->image_details.repository;
    request.tag = t.instance->image_details.tag;
    Clock* clock = run.world().clock;
    return docker::LoginAndPull(client, request, Registries(*run.world().env),
                                run.world().docker_config, progress,
                                [clock](absl::Duration d) { clock->SleepFor(d); });
  }

  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Entry>> entries_;
};

// ---- start -------------------------------------------------------------------------------

struct StartFlags {
  bool refresh = false;
  bool reuse = false;
};

// Whether the daemon answered a failed call (as opposed to a timeout or a lost connection,
// after which the call's outcome is unknown).
bool Answered(const absl::Status& status) { return docker::HttpStatusOf(status).has_value(); }

// Created from this instance's configuration (same spec hash) and never started.
bool NeverStartedFromThisSpec(const docker::ContainerInspect& c, const model::Instance& inst,
                              const model::Ship& ship) {
  if (c.state.running || c.state.status != "created") return false;
  if (ParseDockerTime(c.state.started_at) != absl::InfinitePast()) return false;
  auto label = c.labels.find(spec::kSpecHashLabel);
  return label != c.labels.end() && label->second == spec::SpecHash(inst, ship);
}

absl::Status StartOne(PlayRunner& run, const Target& t, const StartFlags& flags, PullOnce& pulls,
                      const CancellationToken& cancel) {
  ui::ProgressSink& sink = run.sink();
  const model::Instance& inst = *t.instance;
  const std::string& name = inst.name;
  Slot& slot = run.slot(t.row);
  sink.Pending(t.row, "checking service...");
  MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run, t));
  absl::StatusOr<std::optional<docker::ContainerInspect>> existing = InspectOrAbsent(*client, name);
  if (!existing.ok()) {
    return FailRow(run, t.row, StatusCell("failed"), existing.status());
  }
  Clock& clock = *run.world().clock;
  if (existing->has_value() && (*existing)->state.running) {
    const docker::ContainerInspect& c = **existing;
    run.SetContainerId(t.row, c.id);
    sink.Commit(t.row, ContainerCell(TagAndId(c.config_image, c.id)), Color::kCyan, 0);
    sink.Commit(t.row,
                StatusCell(absl::StrCat(
                    "up", ui::TimeAgo(ParseDockerTime(c.state.started_at), clock.Now()))),
                Color::kCyan, 0);
    slot.summary = "already running";
    auto label = c.labels.find(spec::kSpecHashLabel);
    if (label != c.labels.end() && label->second != spec::SpecHash(inst, *t.ship)) {
      // start never recreates a running container; say that it no longer matches the file.
      sink.Commit(t.row, "(configuration changed: `restart --only-if-changed` applies it)",
                  Color::kCyan, 0);
      slot.summary = "already running; configuration changed";
    }
    return absl::OkStatus();
  }

  if (inst.lifecycle.count("pre-start")) {
    sink.Pending(t.row, "running pre-start checks...");
    absl::Status pre = run.world().checks->Run("pre-start", inst, *t.ship, *client,
                                               RunningCondition(*client, name, false), cancel);
    if (!pre.ok()) {
      return FailRow(run, t.row, StatusCell("failed pre-start checks!"),
                     absl::FailedPreconditionError(
                         absl::StrCat("failed pre-start lifecycle checks: ", pre.message())));
    }
  }

  std::string id;
  // Whether `id` comes from this run's own successful create. Only such a container may be
  // removed by this run, and only once the daemon refused to start it.
  bool created_here = false;
  if (existing->has_value() && flags.reuse) {
    id = (*existing)->id;
  } else {
    if (existing->has_value() && NeverStartedFromThisSpec(**existing, inst, *t.ship)) {
      // Created from this very configuration but never started: another maestro run on the
      // same file is creating it right now (or one was interrupted). Starting it is what a
      // fresh create would give; removing it could destroy the other run's container.
      id = (*existing)->id;
    } else if (existing->has_value()) {
      sink.Pending(t.row, absl::StrCat("removing container ", ShortId((*existing)->id), "..."));
      docker::RemoveContainerOptions remove;
      remove.volumes = true;  // never force: a container someone started meanwhile stays
      absl::Status removed = client->RemoveContainer((*existing)->id, remove);
      if (!removed.ok() && !absl::IsNotFound(removed)) {
        return FailRow(run, t.row, StatusCell("failed"), removed);
      }
    }
  }
  if (id.empty()) {
    bool pull = flags.refresh;
    if (!pull) {
      // By name, so an untagged image matches its ":latest" (MaestroNG compared RepoTags
      // literally and pulled untagged images on every start).
      absl::StatusOr<docker::ImageInspect> image = client->InspectImage(inst.image);
      if (!image.ok()) {
        if (!absl::IsNotFound(image.status())) {
          return FailRow(run, t.row, StatusCell("failed"), image.status());
        }
        pull = true;
      }
    }
    if (pull) {
      absl::Status pulled = pulls.Pull(run, t, *client);
      if (!pulled.ok()) {
        return FailRow(run, t.row, StatusCell("pull failed!"),
                       absl::Status(pulled.code(), absl::StrCat("pull of image ", inst.image,
                                                                " failed: ", pulled.message())));
      }
    }
    sink.Pending(t.row, absl::StrCat("creating container from ", inst.short_image, "..."));
    absl::StatusOr<std::string> api = client->ApiVersion();
    if (!api.ok()) return FailRow(run, t.row, StatusCell("failed"), api.status());
    nlohmann::json body = spec::BuildCreateBody(inst, *t.ship, *api);
    absl::StatusOr<docker::CreateContainerResult> created = client->CreateContainer(name, body);
    if (created.ok()) {
      id = created->id;
      created_here = true;
      slot.summary = "created";
    } else if (absl::IsAlreadyExists(created.status()) || !Answered(created.status())) {
      // 409: another run created it since we looked. No answer: ours may exist anyway. Either
      // way the container under this name is not known to be this run's: use it, never
      // remove it.
      // The daemon reserves the name before the other create completes: it may take a
      // moment before the container can be inspected (bounded: 20 looks, 5 s).
      absl::StatusOr<std::optional<docker::ContainerInspect>> now = InspectOrAbsent(*client, name);
      for (int look = 0; look < 20 && now.ok() && !now->has_value(); ++look) {
        if (!clock.SleepFor(absl::Milliseconds(250), cancel.flag())) break;
        now = InspectOrAbsent(*client, name);
      }
      if (!now.ok() || !now->has_value()) {
        return FailRow(run, t.row, StatusCell("create failed!"), created.status());
      }
      id = (**now).id;
      if ((**now).state.running) {
        run.SetContainerId(t.row, id);
        sink.Commit(t.row, ContainerCell(TagAndId((**now).config_image, id)), Color::kCyan, 0);
        sink.Commit(t.row, StatusCell("up (started by another run)"), Color::kCyan, 0);
        slot.summary = "already running";
        return absl::OkStatus();
      }
    } else {
      return FailRow(run, t.row, StatusCell("create failed!"), created.status());
    }
  }
  run.SetContainerId(t.row, id);
  sink.Commit(t.row, ContainerCell(TagAndId(inst.image, id)), Color::kGreen, 0);

  sink.Pending(t.row, absl::StrCat("starting container ", ShortId(id), "..."));
  absl::Status started = client->StartContainer(id);
  if (!started.ok()) {
    absl::StatusOr<std::optional<docker::ContainerInspect>> now = InspectOrAbsent(*client, id);
    const bool running = now.ok() && now->has_value() && (**now).state.running;
    if (!running) {
      std::string fate;
      if (Answered(started) && created_here && now.ok() && now->has_value()) {
        // The daemon refused to start the container this run created: it is not wanted.
        docker::RemoveContainerOptions remove;
        remove.volumes = true;  // never force: if it runs after all, it stays
        (void)client->RemoveContainer(id, remove);
        now = InspectOrAbsent(*client, id);
      }
      if (!now.ok()) {
        fate = absl::StrCat(
            " (container ", ShortId(id),
            " may be left in place: its state could not be checked: ", now.status().message(), ")");
      } else if (!now->has_value()) {
        fate = created_here ? " (the created container was removed)"
                            : " (the container no longer exists)";
      } else {
        fate = absl::StrCat(" (container ", ShortId(id), " was left in place, status ",
                            (**now).state.status.empty() ? "unknown" : (**now).state.status, ")");
      }
      std::string what = Answered(started) ? "" : "no answer to the start: ";
      return FailRow(run, t.row, StatusCell("start failed!"),
                     absl::Status(started.code(), absl::StrCat(what, started.message(), fate)));
    }
    // No answer (or an error) but the daemon did start it: carry on as started.
  }

  sink.Pending(t.row, "waiting for initialization...");
  bool running = false;
  docker::ContainerInspect last;
  for (int attempt = 0; attempt < 11; ++attempt) {
    absl::StatusOr<docker::ContainerInspect> now = client->InspectContainer(id);
    if (now.ok()) {
      last = *now;
      if (now->state.running) {
        running = true;
        break;
      }
      if (now->state.status == "exited" || now->state.status == "dead") break;
    }
    if (!clock.SleepFor(absl::Milliseconds(500), cancel.flag())) {
      return FailRow(run, t.row, StatusCell("interrupted"),
                     absl::CancelledError(absl::StrCat(
                         "container ", ShortId(id),
                         " was started; interrupted while waiting for it to run (status ",
                         last.state.status.empty() ? "unknown" : last.state.status, ")")));
    }
  }
  if (!running) {
    std::string logs = LogsTail(*client, id, 10);
    return FailRow(
        run, t.row, StatusCell("container did not start!"),
        absl::FailedPreconditionError(absl::StrCat(
            "container ", name, " on ", t.ship->name, " is not running after start (status ",
            last.state.status.empty() ? "unknown" : last.state.status, ", exit code ",
            last.state.exit_code, ")", logs.empty() ? "" : "; last output:\n", logs)));
  }

  sink.Pending(t.row, "waiting for service...");
  absl::Status checks = run.world().checks->Run("running", inst, *t.ship, *client,
                                                RunningCondition(*client, name, true), cancel);
  if (!checks.ok()) {
    if (cancel.cancelled()) {
      return FailRow(
          run, t.row, StatusCell("interrupted"),
          absl::CancelledError(absl::StrCat(
              "container started, but its running checks were interrupted: ", checks.message())));
    }
    std::string logs = LogsTail(*client, id, 10);
    return FailRow(run, t.row, StatusCell("container did not start!"),
                   absl::FailedPreconditionError(absl::StrCat(
                       name, " (on ", t.ship->name, ") failed its running checks: ",
                       checks.message(), logs.empty() ? "" : "; last output:\n", logs)));
  }
  // A check can pass against Docker's userland proxy while the container is already gone:
  // make sure it is still up before calling it started.
  absl::StatusOr<docker::ContainerInspect> after = client->InspectContainer(id);
  if (after.ok() && !after->state.running) {
    std::string logs = LogsTail(*client, id, 10);
    return FailRow(run, t.row, StatusCell("container did not start!"),
                   absl::FailedPreconditionError(absl::StrCat(
                       "container ", name, " on ", t.ship->name,
                       " exited while its running checks passed (exit code ",
                       after->state.exit_code, ")", logs.empty() ? "" : "; last output:\n", logs)));
  }
  sink.Commit(t.row, StatusCell("started"), Color::kGreen, 0);
  if (slot.summary.empty() || slot.summary == "created") slot.summary = "started";
  return absl::OkStatus();
}

// ---- stop / kill --------------------------------------------------------------------------

enum class StopKind { kStop, kKill };

// `release`, when set, lets the containers this one depends on be stopped as soon as it has
// died (Scheduler::Release), before the daemon has finished tearing it down. Only without
// `stopped` checks: those must pass before anything goes on.
absl::Status StopOne(PlayRunner& run, const Target& t, StopKind kind,
                     const CancellationToken& cancel, std::function<void()> release) {
  ui::ProgressSink& sink = run.sink();
  const model::Instance& inst = *t.instance;
  Slot& slot = run.slot(t.row);
  sink.Pending(t.row, "checking container...");
  MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run, t));
  absl::StatusOr<std::optional<docker::ContainerInspect>> existing =
      InspectOrAbsent(*client, inst.name);
  if (!existing.ok()) return FailRow(run, t.row, StatusCell("failed"), existing.status());
  if (!existing->has_value() || !(*existing)->state.running) {
    std::string id = existing->has_value() ? (*existing)->id : "";
    std::string image = existing->has_value() ? (*existing)->config_image : inst.image;
    sink.Commit(t.row, ContainerCell(TagAndId(image, id)), Color::kNone, 0);
    sink.Commit(t.row, StatusCell(existing->has_value() ? "down" : "absent"), Color::kCyan, 0);
    slot.summary = existing->has_value() ? "already down" : "absent";
    return absl::OkStatus();
  }
  const docker::ContainerInspect& c = **existing;
  run.SetContainerId(t.row, c.id);
  sink.Commit(t.row, ContainerCell(TagAndId(c.config_image, c.id)), Color::kGreen, 0);

  if (kind == StopKind::kStop && inst.lifecycle.count("pre-stop")) {
    sink.Pending(t.row, "running pre-stop checks...");
    absl::Status pre = run.world().checks->Run("pre-stop", inst, *t.ship, *client,
                                               RunningCondition(*client, inst.name, true), cancel);
    if (!pre.ok()) {
      return FailRow(run, t.row, StatusCell(absl::StrCat("failed: ", pre.message())),
                     absl::FailedPreconditionError(
                         absl::StrCat("failed pre-stop lifecycle checks: ", pre.message())));
    }
  }
  if (release && !inst.lifecycle.count("stopped")) {
    run.Adopt(std::make_unique<DieWatcher>(*client, c, std::move(release)));
  }
  absl::Status done;
  if (kind == StopKind::kStop) {
    sink.Pending(t.row, "stopping service...");
    done = client->StopContainer(c.id, inst.stop_timeout);
  } else {
    sink.Pending(t.row, "killing the service...");
    done = client->KillContainer(c.id, "SIGKILL");
  }
  if (!done.ok()) {
    return FailRow(run, t.row, StatusCell(absl::StrCat("failed: ", done.message())), done);
  }
  absl::Status after = run.world().checks->Run("stopped", inst, *t.ship, *client,
                                               RunningCondition(*client, inst.name, false), cancel);
  if (!after.ok()) {
    std::string what = kind == StopKind::kStop ? "stopped" : "killed";
    return FailRow(run, t.row, StatusCell(absl::StrCat("failed: ", after.message())),
                   absl::FailedPreconditionError(
                       absl::StrCat("failed ", what, " lifecycle checks: ", after.message())));
  }
  const char* word = kind == StopKind::kStop ? "stopped" : "killed";
  sink.Commit(t.row, StatusCell(word), Color::kGreen, 0);
  slot.summary = word;
  return absl::OkStatus();
}

PlayReport RunStopLike(const PlayWorld& world, const std::vector<std::string>& containers,
                       const PlayOptions& options, Scheduler& scheduler, StopKind kind) {
  PlayRunner run(world, kind == StopKind::kStop ? "stop" : "kill", containers, true);
  std::vector<std::vector<size_t>> pre =
      options.ignore_dependencies
          ? std::vector<std::vector<size_t>>(containers.size())
          : internal::Prerequisites(*world.env, containers, /*forward=*/false);
  std::vector<bool> has_dependents(containers.size(), false);
  for (const std::vector<size_t>& p : pre) {
    for (size_t node : p) has_dependents[node] = true;
  }
  return run.Run(std::move(pre), Identity(containers.size()), scheduler,
                 [&](size_t node, const CancellationToken& cancel) {
                   std::function<void()> release;
                   if (has_dependents[node])
                     release = [&scheduler, node] { scheduler.Release(node); };
                   return StopOne(run, run.target(node), kind, cancel, std::move(release));
                 });
}

// ---- clean --------------------------------------------------------------------------------

absl::Status CleanOne(PlayRunner& run, const Target& t) {
  ui::ProgressSink& sink = run.sink();
  Slot& slot = run.slot(t.row);
  sink.Pending(t.row, "checking container...");
  MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run, t));
  absl::StatusOr<std::optional<docker::ContainerInspect>> existing =
      InspectOrAbsent(*client, t.instance->name);
  if (!existing.ok()) return FailRow(run, t.row, StatusCell("failed"), existing.status());
  if (!existing->has_value()) {
    sink.Commit(t.row, ContainerCell("-"), Color::kNone, 0);
    sink.Commit(t.row, StatusCell("absent"), Color::kCyan, 0);
    slot.summary = "absent";
    return absl::OkStatus();
  }
  const docker::ContainerInspect& c = **existing;
  if (c.state.running) {
    sink.Commit(t.row, ContainerCell(TagAndId(c.config_image, c.id)), Color::kNone, 0);
    sink.Commit(t.row, StatusCell("skipped"), Color::kRed, 0);
    slot.summary = "running, not removed";
    return absl::OkStatus();
  }
  sink.Pending(t.row, absl::StrCat("removing container ", ShortId(c.id), "..."));
  docker::RemoveContainerOptions remove;
  remove.volumes = true;
  absl::Status removed = client->RemoveContainer(c.id, remove);
  if (!removed.ok() && !absl::IsNotFound(removed)) {
    return FailRow(run, t.row, StatusCell("failed"), removed);
  }
  sink.Commit(t.row, ContainerCell(ShortId(c.id)), Color::kNone, 0);
  sink.Commit(t.row, StatusCell("removed"), Color::kGreen, 0);
  slot.summary = "removed";
  return absl::OkStatus();
}

}  // namespace

// ---- public entry points ------------------------------------------------------------------

PlayReport RunStart(const PlayWorld& world, const std::vector<std::string>& containers,
                    const PlayOptions& options, Scheduler& scheduler) {
  PlayRunner run(world, "start", containers, false);
  PullOnce pulls;
  StartFlags flags{options.refresh_images, options.reuse};
  std::vector<std::vector<size_t>> pre =
      options.ignore_dependencies
          ? std::vector<std::vector<size_t>>(containers.size())
          : internal::Prerequisites(*world.env, containers, /*forward=*/true);
  return run.Run(std::move(pre), Identity(containers.size()), scheduler,
                 [&](size_t node, const CancellationToken& cancel) {
                   return StartOne(run, run.target(node), flags, pulls, cancel);
                 });
}

PlayReport RunStop(const PlayWorld& world, const std::vector<std::string>& containers,
                   const PlayOptions& options, Scheduler& scheduler) {
  return RunStopLike(world, containers, options, scheduler, StopKind::kStop);
}

PlayReport RunKill(const PlayWorld& world, const std::vector<std::string>& containers,
                   const PlayOptions& options, Scheduler& scheduler) {
  return RunStopLike(world, containers, options, scheduler, StopKind::kKill);
}

PlayReport RunClean(const PlayWorld& world, const std::vector<std::string>& containers,
                    const PlayOptions& options, Scheduler& scheduler) {
  PlayRunner run(world, "clean", containers, false);
  // Clean always honours dependency order (MaestroNG), so dependents' volumes go first... it
  // removes stopped containers only, which are independent: order by dependencies anyway.
  std::vector<std::vector<size_t>> pre =
      internal::Prerequisites(*world.env, containers, /*forward=*/true);
  return run.Run(
      std::move(pre), Identity(containers.size()), scheduler,
      [&](size_t node, const CancellationToken&) { return CleanOne(run, run.target(node)); });
}

PlayReport RunPull(const PlayWorld& world, const std::vector<std::string>& containers,
                   const PlayOptions& options, Scheduler& scheduler) {
  PlayRunner run(world, "pull", containers, false);
  PullOnce pulls;
  std::vector<std::vector<size_t>> pre =
      options.ignore_dependencies
          ? std::vector<std::vector<size_t>>(containers.size())
          : internal::Prerequisites(*world.env, containers, /*forward=*/true);
  return run.Run(std::move(pre), Identity(containers.size()), scheduler,
                 [&](size_t node, const CancellationToken&) -> absl::Status {
                   const Target& t = run.target(node);
                   MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run, t));
                   absl::Status pulled = pulls.Pull(run, t, *client);
                   if (!pulled.ok()) {
                     return FailRow(run, t.row, StatusCell("failed"), pulled);
                   }
                   run.sink().Commit(t.row, ContainerCell(""), Color::kNone, 0);
                   run.sink().Commit(t.row, StatusCell("done"), Color::kGreen, 0);
                   run.slot(t.row).summary = "pulled";
                   return absl::OkStatus();
                 });
}

PlayReport RunRestart(const PlayWorld& world, const std::vector<std::string>& containers,
                      const PlayOptions& options, Scheduler& scheduler) {
  PlayRunner run(world, "restart", containers, false);
  PullOnce pulls;
  const size_t n = containers.size();
  // Node 2i stops container i, node 2i+1 starts it again.
  std::vector<std::vector<size_t>> pre(2 * n);
  std::vector<size_t> node_to_container(2 * n);
  for (size_t i = 0; i < n; ++i) {
    node_to_container[2 * i] = i;
    node_to_container[2 * i + 1] = i;
    pre[2 * i + 1].push_back(2 * i);
  }
  if (!options.ignore_dependencies) {
    // deps[i]: containers of the play that container i depends on.
    std::vector<std::vector<size_t>> deps =
        internal::Prerequisites(*world.env, containers, /*forward=*/true);
    for (size_t i = 0; i < n; ++i) {
      for (size_t d : deps[i]) {
        pre[2 * d].push_back(2 * i);          // stop the dependent first
        pre[2 * i + 1].push_back(2 * d + 1);  // start the dependency first
      }
    }
  }
  // Stop nodes that other containers' stops wait for (beyond their own start).
  std::vector<bool> stop_has_dependents(n, false);
  for (size_t node = 0; node < 2 * n; node += 2) {
    for (size_t p : pre[node]) stop_has_dependents[p / 2] = true;
  }
  StartFlags flags{false, options.reuse};
  std::vector<std::pair<size_t, size_t>> triggers;
  for (size_t i = 0; i < n; ++i) triggers.emplace_back(2 * i + 1, 2 * i);
  return run.Run(
      std::move(pre), node_to_container, scheduler,
      [&](size_t node, const CancellationToken& cancel) -> absl::Status {
        const size_t c = node / 2;
        const Target& t = run.target(c);
        Slot& slot = run.slot(c);
        Clock& clock = *world.clock;
        if (node % 2 == 1) {
          if (slot.unchanged) return absl::OkStatus();
          if (options.stop_start_delay > 0) {
            run.sink().Pending(
                c, absl::StrCat("waiting ", options.stop_start_delay, "s before starting..."));
            // Even when interrupted here the container is started again: it was stopped by
            // this play and must not be left down.
            clock.SleepFor(absl::Seconds(options.stop_start_delay), cancel.flag());
          }
          const std::string why = slot.summary;  // "restarted: image: ..." when known
          absl::Status started = StartOne(run, t, flags, pulls, cancel);
          if (started.ok()) slot.summary = why.empty() ? "restarted" : why;
          return started;
        }
        MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run, t));
        if (options.refresh_images) {
          absl::Status pulled = pulls.Pull(run, t, *client);
          if (!pulled.ok()) return FailRow(run, c, StatusCell("pull failed!"), pulled);
        }
        if (options.only_if_changed) {
          run.sink().Pending(c, "checking for changes...");
          absl::StatusOr<std::optional<docker::ContainerInspect>> existing =
              InspectOrAbsent(*client, t.instance->name);
          if (!existing.ok()) return FailRow(run, c, StatusCell("failed"), existing.status());
          if (existing->has_value() && (*existing)->state.running) {
            std::optional<docker::ImageInspect> image;
            absl::StatusOr<docker::ImageInspect> got = client->InspectImage(t.instance->image);
            if (got.ok()) image = *got;
            std::vector<spec::Difference> diffs =
                spec::Diff(*t.instance, *t.ship, **existing, image);
            if (diffs.empty()) {
              run.sink().Commit(c,
                                ContainerCell(TagAndId((*existing)->config_image, (*existing)->id)),
                                Color::kNone, 0);
              run.sink().Commit(c, StatusCell("up to date"), Color::kCyan, 0);
              slot.unchanged = true;
              slot.summary = "unchanged";
              return absl::OkStatus();
            }
            std::vector<std::string> reasons;
            for (const spec::Difference& d : diffs) reasons.push_back(d.ToString());
            run.sink().Pending(c, absl::StrCat("changed: ", absl::StrJoin(reasons, "; ")));
            slot.summary = absl::StrCat("restarted: ", absl::StrJoin(reasons, "; "));
          }
        }
        if (options.step_delay > 0 && c > 0) {
          run.sink().Pending(c,
                             absl::StrCat("waiting ", options.step_delay, "s before restart..."));
          if (!clock.SleepFor(absl::Seconds(options.step_delay), cancel.flag())) {
            return FailRow(run, c, StatusCell("interrupted"),
                           absl::CancelledError("interrupted before it was stopped"));
          }
        }
        std::string keep = slot.summary;
        // Once it died, the containers it depends on may be stopped; its own start waits
        // for the stop to end.
        std::function<void()> release;
        if (stop_has_dependents[c]) {
          release = [&scheduler, node] { scheduler.Release(node, node + 1); };
        }
        absl::Status stopped = StopOne(run, t, StopKind::kStop, cancel, std::move(release));
        slot.summary = keep;
        return stopped;
      },
      triggers);
}

}  // namespace maestro::plays
