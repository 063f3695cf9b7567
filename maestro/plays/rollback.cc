#include "maestro/plays/rollback.h"

#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "maestro/base/status_macros.h"
#include "maestro/docker/registry_auth.h"
#include "maestro/model/environment.h"
#include "maestro/plays/plays_internal.h"
#include "maestro/plays/resources.h"
#include "maestro/plays/rollout.h"
#include "maestro/plays/rollout_internal.h"

namespace maestro::plays {
namespace {

using internal::ClientFor;
using internal::FailRow;
using internal::InspectOrAbsent;
using internal::PlayRunner;
using internal::ShortId;
using internal::Slot;
using internal::TagAndId;
using internal::Target;
using ui::Tone;

// The image reference to create from: the recorded tag when it still names the recorded image
// id (or no id was recorded), the id itself when the tag has moved on, and the tag (pulled when
// absent) when the id is gone from the ship. `note` says what was chosen when it is not the tag.
absl::StatusOr<std::string> RecordedImage(PlayRunner& run, const Target& t,
                                          docker::DockerClient& client,
                                          const spec::RecordedSpec& previous,
                                          const CancellationToken& cancel, std::string* note) {
  const std::string tag = previous.body["Image"].get<std::string>();
  absl::StatusOr<docker::ImageInspect> by_tag = client.InspectImage(tag);
  if (!previous.image_id.empty()) {
    if (by_tag.ok() && by_tag->id == previous.image_id) return tag;
    absl::StatusOr<docker::ImageInspect> by_id = client.InspectImage(previous.image_id);
    if (by_id.ok()) {
      *note = absl::StrCat("(", tag, " has moved on: created from image ",
                           ShortId(previous.image_id), ")");
      return previous.image_id;
    }
    *note = absl::StrCat("(image ", ShortId(previous.image_id), " is gone from ", t.ship->name,
                         ": created from ", tag, " as it is now)");
  }
  if (by_tag.ok()) return tag;
  run.sink().Pending(t.row, absl::StrCat("pulling image ", tag, "..."));
  model::ImageDetails details = model::ParseImageDetails(tag);
  docker::PullRequest request;
  request.image = details.repository;
  request.tag = details.tag;
  Clock* clock = run.world().clock;
  absl::Status pulled = docker::LoginAndPull(
      client, request, internal::Registries(*run.world().env), run.world().docker_config,
      [](const docker::PullProgress&) {},
      [clock, &cancel](absl::Duration d) { return clock->SleepFor(d, cancel.flag()); },
      run.world().credential_helper);
  if (!pulled.ok()) {
    return absl::Status(pulled.code(),
                        absl::StrCat("pull of image ", tag, " failed: ", pulled.message()));
  }
  return tag;
}

// The policy a service's instances are rolled back with: its `update:` (batches, quorum, delay
// between batches, unhealthy first, leaders last), or one instance at a time without one.
model::UpdatePolicy RollbackPolicy(const model::Service& service) {
  if (service.update) return *service.update;
  model::UpdatePolicy one_at_a_time;
  one_at_a_time.parallelism = 1;
  one_at_a_time.pull_before = false;
  return one_at_a_time;
}

// One container: image, (delay, quorum and) stop, remove, create from the recorded spec, its
// secondary networks, start and checks.
absl::Status RollBackOne(PlayRunner& run, internal::Rollout& rollout, const Target& t,
                         const RollbackStep& step, const CancellationToken& cancel) {
  ui::ProgressSink& sink = run.sink();
  Slot& slot = run.slot(t.row);
  if (t.instance == nullptr) {
    return FailRow(run, t.row, "failed",
                   absl::FailedPreconditionError(
                       absl::StrCat(step.container, " is not a container of this environment")));
  }
  sink.Pending(t.row, "checking image...");
  MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run, t));
  // The image first: a rollback that cannot get its image leaves the container running.
  std::string note;
  absl::StatusOr<std::string> image = RecordedImage(run, t, *client, step.previous, cancel, &note);
  if (!image.ok()) return FailRow(run, t.row, "pull failed!", image.status());

  // Only the container that was planned: one re-created since is not ours to replace.
  absl::StatusOr<std::optional<docker::ContainerInspect>> current =
      InspectOrAbsent(*client, step.container);
  if (!current.ok()) return FailRow(run, t.row, "failed", current.status());
  if (!current->has_value() || (**current).id != step.container_id) {
    return FailRow(run, t.row, "failed",
                   absl::FailedPreconditionError(
                       absl::StrCat(step.container, " on ", step.ship, " is no longer container ",
                                    ShortId(step.container_id), ": not rolled back")));
  }
  const docker::ContainerInspect old = **current;
  MAESTRO_RETURN_IF_ERROR(rollout.DelayQuorumAndStop(t.row, cancel));
  absl::StatusOr<std::optional<docker::ContainerInspect>> stopped =
      InspectOrAbsent(*client, old.id);
  if (!stopped.ok()) return FailRow(run, t.row, "failed", stopped.status());
  if (stopped->has_value()) {
    if ((**stopped).state.running) {
      return FailRow(run, t.row, "failed",
                     absl::FailedPreconditionError(absl::StrCat(
                         "container ", ShortId(old.id), " is running again after its stop (",
                         "restarted by someone else?); not removed")));
    }
    if (rollout.KeepsReplaced(t.row)) {
      // failure: rollback: kept until the whole service is rolled back, to be put back.
      MAESTRO_RETURN_IF_ERROR(rollout.KeepReplaced(t.row, *client, old));
    } else {
      sink.Pending(t.row, absl::StrCat("removing container ", ShortId(old.id), "..."));
      docker::RemoveContainerOptions remove;
      remove.volumes = true;  // never force: a container someone started meanwhile stays
      absl::Status removed = client->RemoveContainer(old.id, remove);
      if (!removed.ok() && !absl::IsNotFound(removed)) {
        return FailRow(run, t.row, "remove failed!", removed);
      }
    }
  }

  // The networks it joins exist, as for a start (the recorded body names its primary one).
  if (absl::Status ready = EnsureResources(*run.world().env, *t.instance, *client); !ready.ok()) {
    return FailRow(run, t.row, "failed", ready);
  }
  // The recorded body, which now records the container it replaces as its previous spec.
  sink.Pending(t.row, absl::StrCat("creating container from ", *image, "..."));
  nlohmann::json body = step.previous.body;
  spec::AddSpecLabels(body, spec::PreviousSpecLabelValue(old.labels, old.image_id));
  body["Image"] = *image;
  internal::PhaseTimer create_timer(run, t.row, ui::Phase::kCreate);
  absl::StatusOr<docker::CreateContainerResult> created =
      client->CreateContainer(step.container, body);
  create_timer.Stop();
  if (!created.ok()) return FailRow(run, t.row, "create failed!", created.status());
  // Its other networks are joined before it starts, as start does (a create body carries one).
  if (absl::Status joined = ConnectSecondaryNetworks(*t.instance, *client, created->id);
      !joined.ok()) {
    docker::RemoveContainerOptions remove;
    remove.volumes = true;
    (void)client->RemoveContainer(created->id, remove);  // this run's own, never started
    return FailRow(run, t.row, "create failed!", joined);
  }
  slot.id = created->id;
  slot.created_id = created->id;
  slot.existing.reset();
  slot.create_deferred = false;
  slot.done = false;
  slot.start_attempted = false;
  run.SetContainerId(t.row, slot.id);
  sink.Container(t.row, TagAndId(*image, slot.id), Tone::kGood);
  MAESTRO_RETURN_IF_ERROR(internal::LaunchOne(run, t, internal::StartFlags{}, cancel));
  std::string what =
      step.changes.empty() ? std::string("same spec") : spec::FormatDifferences(step.changes);
  slot.summary = absl::StrCat("rolled back: ", what, " (", rollout.Where(t.row), ")");
  sink.Note(t.row, absl::StrCat("(rolled back: ", what, "; ", rollout.Where(t.row), ")"),
            Tone::kInfo);
  if (!note.empty()) sink.Note(t.row, note, Tone::kInfo);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RollbackPlan> PlanRollback(const PlayWorld& world,
                                          const std::vector<std::string>& containers) {
  RollbackPlan plan;
  std::vector<std::string> problems;
  for (const std::string& name : containers) {
    const model::Instance* inst = world.env->FindInstance(name);
    if (inst == nullptr) {
      problems.push_back(absl::StrCat(name, " is not a container of this environment"));
      continue;
    }
    absl::StatusOr<docker::DockerClient*> client = world.ships->Client(inst->ship);
    if (!client.ok()) {
      problems.push_back(absl::StrCat(name, " on ", inst->ship,
                                      ": the ship cannot be asked: ", client.status().message()));
      continue;
    }
    absl::StatusOr<std::optional<docker::ContainerInspect>> current =
        InspectOrAbsent(**client, name);
    if (!current.ok()) {
      problems.push_back(absl::StrCat(name, " on ", inst->ship,
                                      ": cannot be inspected: ", current.status().message()));
      continue;
    }
    if (!current->has_value()) {
      problems.push_back(
          absl::StrCat(name, " on ", inst->ship, " does not exist: nothing to roll back"));
      continue;
    }
    const docker::ContainerInspect& c = **current;
    auto label = c.labels.find(spec::kPreviousSpecLabel);
    if (label == c.labels.end()) {
      problems.push_back(absl::StrCat(name, " on ", inst->ship, " has no previous spec (container ",
                                      ShortId(c.id),
                                      " was not created by maestro re-creating an earlier one: no ",
                                      spec::kPreviousSpecLabel, " label)"));
      continue;
    }
    absl::StatusOr<spec::RecordedSpec> previous = spec::ParseRecordedSpec(label->second);
    if (!previous.ok()) {
      problems.push_back(absl::StrCat(
          name, " on ", inst->ship, " has no usable previous spec: ", previous.status().message()));
      continue;
    }
    RollbackStep step;
    step.container = name;
    step.ship = inst->ship;
    step.container_id = c.id;
    std::optional<docker::ImageInspect> image;
    if (absl::StatusOr<docker::ImageInspect> own = (*client)->InspectImage(c.image_id); own.ok()) {
      image = std::move(*own);
    }
    step.changes = spec::DiffRecorded(previous->body, previous->image_id, c, image);
    step.previous = std::move(*previous);
    plan.steps.push_back(std::move(step));
  }
  if (!problems.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot roll back (nothing was touched): ", absl::StrJoin(problems, "; ")));
  }
  return plan;
}

std::vector<std::string> DescribeRollback(const RollbackPlan& plan) {
  std::vector<std::string> out;
  for (const RollbackStep& step : plan.steps) {
    out.push_back(absl::StrCat(step.container, " on ", step.ship, ": ",
                               step.changes.empty()
                                   ? std::string("same spec, re-created as recorded")
                                   : spec::FormatDifferences(step.changes)));
  }
  return out;
}

PlayReport RunRollback(const PlayWorld& world, const RollbackPlan& plan,
                       const RollbackOptions& options, Scheduler& scheduler) {
  std::vector<std::string> containers;
  for (const RollbackStep& step : plan.steps) containers.push_back(step.container);
  PlayRunner run(world, "rollback", containers, false);
  run.EnableTimings();
  NodeLists pre = options.ignore_dependencies
                      ? NodeLists(containers.size())
                      : internal::Prerequisites(*world.env, containers, /*forward=*/true);
  // The instances of a service go in the batches of its rolling policy (rollout_internal.h):
  // each batch waits for the previous one of its service.
  internal::PullOnce pulls;  // unused: the image is looked at per container
  internal::Rollout rollout(run, pulls, PlayOptions{}, RollbackPolicy,
                            internal::Identity(containers.size()));
  rollout.Survey();
  rollout.AddPrerequisites(pre, nullptr, [](size_t c) { return c; });
  return run.Run(std::move(pre), internal::Identity(containers.size()), scheduler,
                 [&](size_t node, const CancellationToken& cancel) {
                   // The service's failure action (rollout_internal.h) on the row's outcome.
                   return rollout.Conclude(
                       node, node, scheduler,
                       RollBackOne(run, rollout, run.target(node), plan.steps[node], cancel));
                 });
}

}  // namespace maestro::plays
