// StartOne and the image pulls it shares with pull and restart (PullOnce).
#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "maestro/base/memory_budget.h"
#include "maestro/base/status_macros.h"
#include "maestro/docker/registry_auth.h"
#include "maestro/plays/plays_internal.h"
#include "maestro/plays/resources.h"
#include "maestro/plays/secrets_delivery.h"
#include "maestro/spec/container_spec.h"
#include "maestro/ui/table_sink.h"

namespace maestro::plays::internal {

using docker::ParseDockerTime;
using ui::Tone;

namespace {

// What one container's create body costs while it is built and sent: per variable its JSON
// value (~100 bytes) and its text in the serialised body and the request (~2 x 45 bytes).
size_t CreateBodyBytes(const model::Instance& inst) { return (inst.env.size() + 64) * 200; }

// Every start in this process shares it: 8 MB of create bodies at once (2 bodies of a container
// with 17,000 link variables; hundreds of ordinary ones). docs/benchmarks.md §3.
MemoryBudget& CreateBodyBudget() {
  static MemoryBudget* budget = new MemoryBudget(8u << 20);
  return *budget;
}

}  // namespace

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

absl::Status PullOnce::Pull(PlayRunner& run, const Target& t, docker::DockerClient& client,
                            const CancellationToken& cancel) {
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
    run.sink().Pending(t.row, absl::StrCat("waiting for pull of ", t.instance->short_image, "..."));
    std::unique_lock<std::mutex> lock(entry->mu);
    // Bounded by the other pull, and cut short by Ctrl-C: observed at least every 100 ms.
    while (!entry->done) {
      if (cancel.cancelled()) {
        return absl::CancelledError(
            absl::StrCat("interrupted while waiting for the pull of ", t.instance->image));
      }
      entry->cv.wait_for(lock, std::chrono::milliseconds(100));
    }
    return entry->status;
  }
  absl::Status status = DoPull(run, t, client, cancel);
  {
    std::lock_guard<std::mutex> lock(entry->mu);
    entry->status = status;
    entry->done = true;
  }
  entry->cv.notify_all();
  return status;
}

bool PullOnce::KnownPresent(const Target& t) {
  std::lock_guard<std::mutex> lock(mu_);
  return present_.count({t.ship->name, t.instance->image}) > 0;
}

void PullOnce::MarkPresent(const Target& t) {
  std::lock_guard<std::mutex> lock(mu_);
  present_.insert({t.ship->name, t.instance->image});
}

absl::Status PullOnce::DoPull(PlayRunner& run, const Target& t, docker::DockerClient& client,
                              const CancellationToken& cancel) {
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
  return docker::LoginAndPull(
      client, request, Registries(*run.world().env), run.world().docker_config, progress,
      [clock, &cancel](absl::Duration d) { return clock->SleepFor(d, cancel.flag()); },
      run.world().credential_helper);
}

namespace {

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

}  // namespace

namespace {

// The image of `t` on its ship, pulled when missing (or always with -r).
absl::Status EnsureImage(PlayRunner& run, const Target& t, docker::DockerClient& client,
                         const StartFlags& flags, PullOnce& pulls,
                         const CancellationToken& cancel) {
  const model::Instance& inst = *t.instance;
  bool pull = flags.refresh;
  if (!pull && !pulls.KnownPresent(t)) {
    // By name, so an untagged image matches its ":latest" (MaestroNG compared RepoTags
    // literally and pulled untagged images on every start).
    absl::StatusOr<docker::ImageInspect> image = client.InspectImage(inst.image);
    if (image.ok()) {
      pulls.MarkPresent(t);
    } else {
      if (!absl::IsNotFound(image.status())) {
        return FailRow(run, t.row, "failed", image.status());
      }
      pull = true;
    }
  }
  if (!pull) return absl::OkStatus();
  PhaseTimer timer(run, t.row, ui::Phase::kPull);
  absl::Status pulled = pulls.Pull(run, t, client, cancel);
  if (!pulled.ok() && cancel.cancelled()) {
    return FailRow(run, t.row, "interrupted",
                   absl::CancelledError(absl::StrCat("interrupted during the pull of image ",
                                                     inst.image, ": ", pulled.message())));
  }
  if (!pulled.ok()) {
    return FailRow(run, t.row, "pull failed!",
                   absl::Status(pulled.code(), absl::StrCat("pull of image ", inst.image,
                                                            " failed: ", pulled.message())));
  }
  pulls.MarkPresent(t);
  return absl::OkStatus();
}

// Whether the container PrepareOne found is the one to start as it is (--reuse, or created
// from this configuration by another run and never started): no image, no create needed.
bool StartsAsFound(const Slot& slot, const Target& t, const StartFlags& flags) {
  if (slot.existing == nullptr) return false;
  return flags.reuse || NeverStartedFromThisSpec(*slot.existing, *t.instance, *t.ship);
}

// The kPreviousSpecLabel for the container about to be created for `inst` (container_spec.h):
// the spec of the one it replaces (slot.existing, or slot.replaced when `up` removed it
// already). A container re-created from the very same spec and image (a plain restart) passes
// on its own previous spec instead, so that the history survives restarts.
std::string PreviousSpec(docker::DockerClient& client, const model::Instance& inst,
                         const Slot& slot, const nlohmann::json& body) {
  const docker::ContainerInspect* old =
      slot.existing != nullptr ? slot.existing.get() : slot.replaced.get();
  if (old == nullptr) return "";
  auto own = old->labels.find(spec::kSpecLabel);
  if (own != old->labels.end() && own->second == spec::SpecLabelValue(body)) {
    absl::StatusOr<docker::ImageInspect> image = client.InspectImage(inst.image);
    if (image.ok() && image->id == old->image_id) {
      auto previous = old->labels.find(spec::kPreviousSpecLabel);
      return previous == old->labels.end() ? "" : previous->second;
    }
  }
  return spec::PreviousSpecLabelValue(old->labels, old->image_id);
}

// Removes a stale container and creates the new one (or takes the one found, StartsAsFound),
// setting slot.id and, for this run's own create, slot.created_id. A container another run
// started meanwhile ends the row ("already running", slot.done).
absl::Status CreateOrAdopt(PlayRunner& run, const Target& t, docker::DockerClient& client,
                           const StartFlags& flags, const CancellationToken& cancel) {
  ui::ProgressSink& sink = run.sink();
  const model::Instance& inst = *t.instance;
  const std::string& name = inst.name;
  Slot& slot = run.slot(t.row);
  Clock& clock = *run.world().clock;
  if (StartsAsFound(slot, t, flags)) {
    // --reuse; or created from this very configuration but never started: another maestro run
    // on the same file is creating it right now (or one was interrupted). Starting it is what
    // a fresh create would give; removing it could destroy the other run's container.
    slot.id = slot.existing->id;
    run.SetContainerId(t.row, slot.id);
    sink.Container(t.row, TagAndId(inst.image, slot.id), Tone::kGood);
    return absl::OkStatus();
  }
  PhaseTimer timer(run, t.row, ui::Phase::kCreate);
  if (slot.existing != nullptr) {
    sink.Pending(t.row, absl::StrCat("removing container ", ShortId(slot.existing->id), "..."));
    docker::RemoveContainerOptions remove;
    remove.volumes = true;  // never force: a container someone started meanwhile stays
    absl::Status removed = client.RemoveContainer(slot.existing->id, remove);
    if (!removed.ok() && !absl::IsNotFound(removed)) {
      return FailRow(run, t.row, "failed", removed);
    }
  }
  sink.Pending(t.row, absl::StrCat("creating container from ", inst.short_image, "..."));
  absl::StatusOr<std::string> api = client.ApiVersion();
  if (!api.ok()) return FailRow(run, t.row, "failed", api.status());
  // Never create a container without what the configuration asks for (a healthcheck on an old
  // daemon): say so instead.
  if (absl::Status supported = spec::CheckApiSupport(inst, *api); !supported.ok()) {
    return FailRow(run, t.row, "failed", supported);
  }
  // The networks and named volumes it joins exist (as configured) before the create.
  if (absl::Status ready = EnsureResources(*run.world().env, inst, client); !ready.ok()) {
    return FailRow(run, t.row, "failed", ready);
  }
  // With secrets the entrypoint is wrapped (docs/architecture.md#secrets): it needs the image's.
  nlohmann::json image_config;
  if (!inst.secrets.empty()) {
    absl::StatusOr<docker::ImageInspect> image = client.InspectImage(inst.image);
    if (!image.ok()) return FailRow(run, t.row, "failed", image.status());
    image_config = image->config;
  }
  absl::StatusOr<docker::CreateContainerResult> created;
  {
    // The create bodies alive at once share one budget (each can carry thousands of link
    // variables while up to 256 workers run): built and sent under the lease, freed with it.
    std::optional<MemoryBudget::Lease> lease =
        CreateBodyBudget().Acquire(CreateBodyBytes(inst), cancel.flag());
    if (!lease) {
      return FailRow(run, t.row, "interrupted",
                     absl::CancelledError("interrupted before the container was created"));
    }
    nlohmann::json body = spec::BuildCreateBody(inst, *t.ship, *api);
    spec::WrapEntrypointForSecrets(body, inst, image_config);
    spec::AddSpecLabels(body, PreviousSpec(client, inst, slot, body));
    created = client.CreateContainer(name, body);
  }
  if (created.ok()) {
    // Its other networks are joined before it starts (the primary one came with the create).
    if (absl::Status joined = ConnectSecondaryNetworks(inst, client, created->id); !joined.ok()) {
      docker::RemoveContainerOptions remove;
      remove.volumes = true;
      (void)client.RemoveContainer(created->id, remove);  // this run's own, never started
      return FailRow(run, t.row, "create failed!", joined);
    }
    slot.id = created->id;
    slot.created_id = created->id;
    timer.Stop();
    run.SetContainerId(t.row, slot.id);
    sink.Container(t.row, TagAndId(inst.image, slot.id), Tone::kGood);
    return absl::OkStatus();
  }
  if (!absl::IsAlreadyExists(created.status()) && Answered(created.status())) {
    return FailRow(run, t.row, "create failed!", created.status());
  }
  // 409: another run created it since we looked. No answer: ours may exist anyway. Either
  // way the container under this name is not known to be this run's: use it, never remove it.
  // The daemon reserves the name before the other create completes: it may take a moment
  // before the container can be inspected (bounded: 20 looks, 5 s).
  absl::StatusOr<std::optional<docker::ContainerInspect>> now = InspectOrAbsent(client, name);
  for (int look = 0; look < 20 && now.ok() && !now->has_value(); ++look) {
    if (!clock.SleepFor(absl::Milliseconds(250), cancel.flag())) break;
    now = InspectOrAbsent(client, name);
  }
  if (!now.ok() || !now->has_value()) {
    return FailRow(run, t.row, "create failed!", created.status());
  }
  slot.id = (**now).id;
  if ((**now).state.running) {
    run.SetContainerId(t.row, slot.id);
    sink.Container(t.row, TagAndId((**now).config_image, slot.id), Tone::kInfo);
    sink.State(t.row, "up (started by another run)", Tone::kInfo);
    slot.summary = "already running";
    slot.done = true;
    return absl::OkStatus();
  }
  run.SetContainerId(t.row, slot.id);
  sink.Container(t.row, TagAndId(inst.image, slot.id), Tone::kGood);
  return absl::OkStatus();
}

}  // namespace

absl::Status StartOne(PlayRunner& run, const Target& t, const StartFlags& flags, PullOnce& pulls,
                      const CancellationToken& cancel) {
  MAESTRO_RETURN_IF_ERROR(PrepareOne(run, t, flags, pulls, cancel));
  return LaunchOne(run, t, flags, cancel);
}

absl::Status PrepareOne(PlayRunner& run, const Target& t, const StartFlags& flags, PullOnce& pulls,
                        const CancellationToken& cancel) {
  ui::ProgressSink& sink = run.sink();
  Slot& slot = run.slot(t.row);
  // A container's slot is reused by restart's second start only after the first ended.
  slot.done = false;
  slot.existing.reset();
  slot.create_deferred = false;
  slot.id.clear();
  slot.created_id.clear();
  slot.start_attempted = false;
  sink.Pending(t.row, "checking service...");
  PhaseTimer connect(run, t.row, ui::Phase::kConnect);
  MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run, t));
  const model::Instance& inst = *t.instance;
  absl::StatusOr<std::optional<docker::ContainerInspect>> existing =
      InspectOrAbsent(*client, inst.name);
  connect.Stop();
  if (!existing.ok()) {
    return FailRow(run, t.row, "failed", existing.status());
  }
  if (existing->has_value() && (*existing)->state.running) {
    const docker::ContainerInspect& c = **existing;
    run.SetContainerId(t.row, c.id);
    sink.Container(t.row, TagAndId(c.config_image, c.id), Tone::kInfo);
    sink.State(t.row,
               absl::StrCat("up", ui::TimeAgo(ParseDockerTime(c.state.started_at),
                                              run.world().clock->Now())),
               Tone::kInfo);
    slot.summary = "already running";
    slot.done = true;
    auto label = c.labels.find(spec::kSpecHashLabel);
    if (label != c.labels.end() && label->second != spec::SpecHash(inst, *t.ship)) {
      // start never recreates a running container; say that it no longer matches the file.
      sink.Note(t.row, "(configuration changed: `restart --only-if-changed` applies it)",
                Tone::kInfo);
      slot.summary = "already running; configuration changed";
    }
    if (!inst.secrets.empty()) {
      // Restarted by its restart policy: its tmpfs came back empty. Deliver them again.
      absl::StatusOr<bool> delivered = SecretsDelivered(*client, c.id, inst, *run.world().clock);
      if (delivered.ok() && !*delivered) {
        absl::Status again = DeliverSecrets(*client, c.id, *run.world().env, inst,
                                            *run.world().clock, cancel.flag());
        if (!again.ok()) return FailRow(run, t.row, "secrets not delivered!", again);
        sink.Note(t.row, "(secrets delivered again)", Tone::kInfo);
        slot.summary = "already running; secrets delivered again";
      }
    }
    return absl::OkStatus();
  }
  slot.existing = existing->has_value()
                      ? std::make_unique<docker::ContainerInspect>(std::move(**existing))
                      : nullptr;
  if (!StartsAsFound(slot, t, flags)) {
    MAESTRO_RETURN_IF_ERROR(EnsureImage(run, t, *client, flags, pulls, cancel));
  }
  if (inst.lifecycle.count("pre-start")) {
    // Pre-start checks come before the create and may need the dependencies running.
    slot.create_deferred = true;
    return absl::OkStatus();
  }
  return CreateOrAdopt(run, t, *client, flags, cancel);
}

absl::Status LaunchOne(PlayRunner& run, const Target& t, const StartFlags& flags,
                       const CancellationToken& cancel) {
  ui::ProgressSink& sink = run.sink();
  const model::Instance& inst = *t.instance;
  const std::string& name = inst.name;
  Slot& slot = run.slot(t.row);
  if (slot.done) return absl::OkStatus();
  MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run, t));
  Clock& clock = *run.world().clock;

  if (slot.create_deferred) {
    {
      sink.Pending(t.row, "running pre-start checks...");
      PhaseTimer timer(run, t.row, ui::Phase::kChecks);
      absl::Status pre = run.world().checks->Run("pre-start", inst, *t.ship, *client,
                                                 RunningCondition(*client, name, false), cancel);
      if (!pre.ok()) {
        return FailRow(run, t.row, "failed pre-start checks!",
                       absl::FailedPreconditionError(
                           absl::StrCat("failed pre-start lifecycle checks: ", pre.message())));
      }
    }
    MAESTRO_RETURN_IF_ERROR(CreateOrAdopt(run, t, *client, flags, cancel));
    if (slot.done) return absl::OkStatus();
  }
  const std::string id = slot.id;
  // Whether `id` comes from this run's own successful create. Only such a container may be
  // removed by this run, and only once the daemon refused to start it.
  const bool created_here = !slot.created_id.empty() && slot.created_id == id;
  if (created_here) slot.summary = "created";

  PhaseTimer start_timer(run, t.row, ui::Phase::kStart);
  sink.Pending(t.row, absl::StrCat("starting container ", ShortId(id), "..."));
  slot.start_attempted = true;
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
      return FailRow(run, t.row, "start failed!",
                     absl::Status(started.code(), absl::StrCat(what, started.message(), fate)));
    }
    // No answer (or an error) but the daemon did start it: carry on as started.
  }
  if (!inst.secrets.empty()) {
    // The wrapped entrypoint waits for them: the application starts once they are there.
    sink.Pending(t.row, "delivering secrets...");
    absl::Status delivered =
        DeliverSecrets(*client, id, *run.world().env, inst, clock, cancel.flag());
    if (!delivered.ok()) {
      return FailRow(run, t.row, "secrets not delivered!",
                     absl::Status(delivered.code(),
                                  absl::StrCat(delivered.message(), " (container ", ShortId(id),
                                               " waits ", spec::kSecretsWaitSeconds,
                                               " s for them, then exits with code 70)")));
    }
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
      return FailRow(run, t.row, "interrupted",
                     absl::CancelledError(absl::StrCat(
                         "container ", ShortId(id),
                         " was started; interrupted while waiting for it to run (status ",
                         last.state.status.empty() ? "unknown" : last.state.status, ")")));
    }
  }
  start_timer.Stop();
  if (!running) {
    std::string logs = LogsTail(*client, id, 10);
    return FailRow(
        run, t.row, "container did not start!",
        absl::FailedPreconditionError(absl::StrCat(
            "container ", name, " on ", t.ship->name, " is not running after start (status ",
            last.state.status.empty() ? "unknown" : last.state.status, ", exit code ",
            last.state.exit_code, ")", logs.empty() ? "" : "; last output:\n", logs)));
  }

  sink.Pending(t.row, "waiting for service...");
  PhaseTimer checks_timer(run, t.row, ui::Phase::kChecks);
  absl::Status checks = run.world().checks->Run("running", inst, *t.ship, *client,
                                                RunningCondition(*client, name, true), cancel);
  checks_timer.Stop();
  if (!checks.ok()) {
    if (cancel.cancelled()) {
      return FailRow(
          run, t.row, "interrupted",
          absl::CancelledError(absl::StrCat(
              "container started, but its running checks were interrupted: ", checks.message())));
    }
    std::string logs = LogsTail(*client, id, 10);
    return FailRow(run, t.row, "container did not start!",
                   absl::FailedPreconditionError(absl::StrCat(
                       name, " (on ", t.ship->name, ") failed its running checks: ",
                       checks.message(), logs.empty() ? "" : "; last output:\n", logs)));
  }
  // A check can pass against Docker's userland proxy while the container is already gone:
  // make sure it is still up before calling it started. Without `running` checks the check
  // runner's only step was that very look (the running condition, MaestroNG's is_running):
  // asking the daemon a third time in a row tells nothing new (docs/benchmarks.md §2b).
  auto running_checks = inst.lifecycle.find("running");
  const bool has_running_checks =
      running_checks != inst.lifecycle.end() && !running_checks->second.empty();
  absl::StatusOr<docker::ContainerInspect> after =
      has_running_checks ? client->InspectContainer(id)
                         : absl::StatusOr<docker::ContainerInspect>(last);
  if (after.ok() && !after->state.running) {
    std::string logs = LogsTail(*client, id, 10);
    return FailRow(run, t.row, "container did not start!",
                   absl::FailedPreconditionError(absl::StrCat(
                       "container ", name, " on ", t.ship->name,
                       " exited while its running checks passed (exit code ",
                       after->state.exit_code, ")", logs.empty() ? "" : "; last output:\n", logs)));
  }
  sink.State(t.row, "started", Tone::kGood);
  if (slot.summary.empty() || slot.summary == "created") slot.summary = "started";
  return absl::OkStatus();
}

NodeLists CreateAheadPrerequisites(const NodeLists& deps) {
  NodeLists pre(2 * deps.size());
  std::vector<size_t> creates, starts;
  for (size_t i = 0; i < deps.size(); ++i) {
    creates.clear();
    starts.clear();
    deps.ForEach(i, [&](size_t d) {
      creates.push_back(2 * d);
      starts.push_back(2 * d + 1);
    });
    pre.Set(2 * i, creates);  // instances of one service share both rows
    pre.Set(2 * i + 1, starts);
    pre.Add(2 * i + 1, 2 * i);
  }
  return pre;
}

}  // namespace maestro::plays::internal
