// StopOne (stop, kill, restart's first half) and CleanOne.
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/plays/plays_internal.h"

namespace maestro::plays::internal {

using docker::ParseDockerTime;
using ui::Tone;

// Watches one container's "die" event and calls `on_die` once when it comes. The daemon
// reports the death (the process is gone, its FinishedAt recorded) before it tears the
// container down (network, mounts, the stop call's reply): 0.15-0.25 s per container on a
// 2-core machine, which a stop in dependency tiers would otherwise pay again in every tier.
// Not the earlier "kill" event with signal 9: the dependent would then get its FinishedAt
// after its dependencies', and Docker's record would contradict the order we promise.
// Best effort: a ship whose event stream fails just never calls `on_die`, and the stop's
// answer releases the dependents as before.
DieWatcher::DieWatcher(docker::DockerClient& client, const docker::ContainerInspect& c,
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

DieWatcher::~DieWatcher() {
  cancel_ = true;
  thread_.join();
}

absl::Status StopOne(PlayRunner& run, const Target& t, StopKind kind,
                     const CancellationToken& cancel, std::function<void()> release) {
  ui::ProgressSink& sink = run.sink();
  const model::Instance& inst = *t.instance;
  Slot& slot = run.slot(t.row);
  sink.Pending(t.row, "checking container...");
  PhaseTimer connect(run, t.row, ui::Phase::kConnect);
  MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run, t));
  absl::StatusOr<std::optional<docker::ContainerInspect>> existing =
      InspectOrAbsent(*client, inst.name);
  connect.Stop();
  if (!existing.ok()) return FailRow(run, t.row, "failed", existing.status());
  if (!existing->has_value() || !(*existing)->state.running) {
    std::string id = existing->has_value() ? (*existing)->id : "";
    std::string image = existing->has_value() ? (*existing)->config_image : inst.image;
    sink.Container(t.row, TagAndId(image, id), Tone::kNeutral);
    sink.State(t.row, existing->has_value() ? "down" : "absent", Tone::kInfo);
    slot.summary = existing->has_value() ? "already down" : "absent";
    return absl::OkStatus();
  }
  const docker::ContainerInspect& c = **existing;
  run.SetContainerId(t.row, c.id);
  sink.Container(t.row, TagAndId(c.config_image, c.id), Tone::kGood);

  if (kind == StopKind::kStop && inst.lifecycle.count("pre-stop")) {
    sink.Pending(t.row, "running pre-stop checks...");
    PhaseTimer timer(run, t.row, ui::Phase::kChecks);
    absl::Status pre = run.world().checks->Run("pre-stop", inst, *t.ship, *client,
                                               RunningCondition(*client, inst.name, true), cancel);
    timer.Stop();
    if (!pre.ok()) {
      return FailRow(run, t.row, absl::StrCat("failed: ", pre.message()),
                     absl::FailedPreconditionError(
                         absl::StrCat("failed pre-stop lifecycle checks: ", pre.message())));
    }
  }
  if (release && !inst.lifecycle.count("stopped")) {
    run.Adopt(std::make_unique<DieWatcher>(*client, c, std::move(release)));
  }
  absl::Status done;
  PhaseTimer stop_timer(run, t.row, ui::Phase::kStop);
  if (kind == StopKind::kStop) {
    sink.Pending(t.row, "stopping service...");
    done = client->StopContainer(c.id, inst.stop_timeout);
  } else {
    sink.Pending(t.row, "killing the service...");
    done = client->KillContainer(c.id, "SIGKILL");
  }
  stop_timer.Stop();
  if (!done.ok()) {
    return FailRow(run, t.row, absl::StrCat("failed: ", done.message()), done);
  }
  PhaseTimer checks_timer(run, t.row, ui::Phase::kChecks);
  absl::Status after = run.world().checks->Run("stopped", inst, *t.ship, *client,
                                               RunningCondition(*client, inst.name, false), cancel);
  checks_timer.Stop();
  if (!after.ok()) {
    std::string what = kind == StopKind::kStop ? "stopped" : "killed";
    return FailRow(run, t.row, absl::StrCat("failed: ", after.message()),
                   absl::FailedPreconditionError(
                       absl::StrCat("failed ", what, " lifecycle checks: ", after.message())));
  }
  const char* word = kind == StopKind::kStop ? "stopped" : "killed";
  sink.State(t.row, word, Tone::kGood);
  slot.summary = word;
  return absl::OkStatus();
}

// ---- clean --------------------------------------------------------------------------------

absl::Status CleanOne(PlayRunner& run, const Target& t) {
  ui::ProgressSink& sink = run.sink();
  Slot& slot = run.slot(t.row);
  sink.Pending(t.row, "checking container...");
  MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run, t));
  absl::StatusOr<std::optional<docker::ContainerInspect>> existing =
      InspectOrAbsent(*client, t.instance->name);
  if (!existing.ok()) return FailRow(run, t.row, "failed", existing.status());
  if (!existing->has_value()) {
    sink.Container(t.row, "-", Tone::kNeutral);
    sink.State(t.row, "absent", Tone::kInfo);
    slot.summary = "absent";
    return absl::OkStatus();
  }
  const docker::ContainerInspect& c = **existing;
  if (c.state.running) {
    sink.Container(t.row, TagAndId(c.config_image, c.id), Tone::kNeutral);
    sink.State(t.row, "skipped", Tone::kBad);
    slot.summary = "running, not removed";
    return absl::OkStatus();
  }
  sink.Pending(t.row, absl::StrCat("removing container ", ShortId(c.id), "..."));
  docker::RemoveContainerOptions remove;
  remove.volumes = true;
  absl::Status removed = client->RemoveContainer(c.id, remove);
  if (!removed.ok() && !absl::IsNotFound(removed)) {
    return FailRow(run, t.row, "failed", removed);
  }
  sink.Container(t.row, ShortId(c.id), Tone::kNeutral);
  sink.State(t.row, "removed", Tone::kGood);
  slot.summary = "removed";
  return absl::OkStatus();
}

}  // namespace maestro::plays::internal
