// RunUp and CheckSamePlan (up.h): the plan's actions as nodes on the scheduler, built from the
// tasks the other plays use (plays_internal.h).
#include "maestro/plays/up.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "maestro/base/status_macros.h"
#include "maestro/docker/docker_types.h"
#include "maestro/plays/convergence_gather.h"
#include "maestro/plays/convergence_output.h"
#include "maestro/plays/plays_internal.h"
#include "maestro/plays/rollout.h"
#include "maestro/plays/rollout_internal.h"

namespace maestro::plays {

using internal::ClientFor;
using internal::FailRow;
using internal::InspectOrAbsent;
using internal::PlayRunner;
using internal::PullOnce;
using internal::ShortId;
using internal::StartFlags;
using internal::StartOne;
using internal::StopKind;
using internal::StopOne;
using internal::TagAndId;
using internal::Target;
using ui::Tone;

namespace {

// Containers whose node 2c prepares them (PrepareOne: look, pull, create) while node 2c+1
// launches them once their dependencies run (LaunchOne), as `start` does (create-ahead).
bool CreatesAhead(ConvergeAction a) {
  return a == ConvergeAction::kCreate || a == ConvergeAction::kStart;
}

bool Acts(ConvergeAction a) {
  return a == ConvergeAction::kCreate || a == ConvergeAction::kStart ||
         a == ConvergeAction::kRecreate;
}

// Node 2c takes container c down (recreate: stop + remove; orphan: stop + remove) or, for a
// container to create or start, prepares it (create-ahead: pull, create) while its
// dependencies still come up; node 2c+1 brings it up (start, or recreate's second half: create
// and start) or reports it (none, orphan left alone).
// A container that rolls (RollsUnderPolicy) is the rollout's: node 2c makes sure its image is there
// (pull: before), node 2c+1 updates it in its batch (Rollout::Update).
class UpPlay {
 public:
  UpPlay(const PlayWorld& world, const ConvergencePlan& plan, const UpOptions& options)
      : world_(world), plan_(plan), options_(options), run_(world, "up", Names(plan), false) {
    run_.EnableTimings();
    for (size_t c = 0; c < plan.containers.size(); ++c) {
      const PlannedContainer& pc = plan.containers[c];
      if (pc.action == ConvergeAction::kOrphan) {
        run_.MarkForeign(c, pc.service, pc.ship);
      } else {
        planned_.push_back(c);
      }
    }
    std::vector<size_t> rolled;
    for (size_t p : planned_) {
      if (RollsUnderPolicy(*world.env, plan.containers[p])) rolled.push_back(p);
    }
    if (!rolled.empty()) {
      PlayOptions play_options;
      play_options.ignore_dependencies = options.ignore_dependencies;
      rollout_ = std::make_unique<internal::Rollout>(
          run_, pulls_, play_options,
          [play_options](const model::Service& s) { return EffectivePolicy(s, play_options); },
          rolled);
      for (size_t c : rolled) {
        rolled_.insert(c);
        if (plan.containers[c].pull) rollout_->SetRefresh(c);
      }
    }
    std::vector<std::string> names;
    for (size_t p : planned_) names.push_back(plan.containers[p].name);
    const NodeLists deps = internal::Prerequisites(*world.env, names, /*forward=*/true);
    for (size_t i = 0; i < planned_.size(); ++i) {
      deps.ForEach(i, [&](size_t j) {
        if (plan.containers[planned_[j]].action == ConvergeAction::kRecreate) {
          recreated_dependency_[planned_[i]] = plan.containers[planned_[j]].name;
        }
      });
    }
  }

  UpReport Run(Scheduler& scheduler) {
    UpReport report;
    scheduler_ = &scheduler;
    if (rollout_) rollout_->Survey();  // before anything changes
    report.play = run_.Run(
        Prerequisites(), Nodes(), scheduler,
        [this](size_t node, const CancellationToken& cancel) { return Work(node, cancel); });
    if (report.play.failed() > 0 || report.play.interrupted) {
      report.never_started = NeverStarted();
    }
    return report;
  }

 private:
  static std::vector<std::string> Names(const ConvergencePlan& plan) {
    std::vector<std::string> names;
    for (const PlannedContainer& pc : plan.containers) names.push_back(pc.name);
    return names;
  }

  std::vector<size_t> Nodes() const {
    std::vector<size_t> out;
    for (size_t c = 0; c < plan_.containers.size(); ++c) {
      out.push_back(c);
      out.push_back(c);
    }
    return out;
  }

  NodeLists Prerequisites() const {
    const std::vector<PlannedContainer>& all = plan_.containers;
    NodeLists pre(2 * all.size());
    // Dependencies among the planned containers (the orphans come after them in the plan).
    if (!options_.ignore_dependencies) {
      std::vector<std::string> names;
      for (size_t c : planned_) names.push_back(all[c].name);
      const NodeLists deps = internal::Prerequisites(*world_.env, names, /*forward=*/true);
      std::vector<size_t> ups;
      std::vector<std::pair<size_t, size_t>> stop_first;  // (node, waits for), after the Sets
      for (size_t i = 0; i < planned_.size(); ++i) {
        const size_t c = planned_[i];
        if (!Acts(all[c].action)) continue;  // none, unknown: nothing to wait for
        ups.clear();
        deps.ForEach(i, [&](size_t j) {
          const size_t d = planned_[j];
          ups.push_back(2 * d + 1);  // its dependencies are up first
          if (all[c].action == ConvergeAction::kRecreate &&
              all[d].action == ConvergeAction::kRecreate) {
            // And a recreated dependent is stopped first (a rolled dependency's node 2d is its
            // pull: the dependent is down before its update instead).
            stop_first.emplace_back(rolled_.count(d) ? 2 * d + 1 : 2 * d, 2 * c);
          }
        });
        pre.Set(2 * c + 1, ups);
        if (CreatesAhead(all[c].action)) {
          // Create-ahead (as start): node 2c pulls and creates c while its dependencies are
          // still coming up, once they exist (a create may name them: links, volumes_from,
          // net: container:). A created or started dependency exists after its node 2d, a
          // recreated (or rolled) one only after its node 2d+1.
          std::vector<size_t> creates;
          deps.ForEach(i, [&](size_t j) {
            const size_t d = planned_[j];
            if (CreatesAhead(all[d].action)) {
              creates.push_back(2 * d);
            } else if (all[d].action == ConvergeAction::kRecreate) {
              creates.push_back(2 * d + 1);
            }
          });
          pre.Set(2 * c, creates);
        }
      }
      for (const auto& [node, first] : stop_first) pre.Add(node, first);
    }
    for (size_t c = 0; c < all.size(); ++c) pre.Add(2 * c + 1, 2 * c);
    if (rollout_) {
      rollout_->AddPrerequisites(
          pre, [](size_t c) { return 2 * c; }, [](size_t c) { return 2 * c + 1; });
    }
    if (!options_.remove_orphans) return pre;
    // Orphans are removed before anything on their ship comes up (they may hold its ports),
    // dependents first as far as the file still knows their services.
    for (size_t o = 0; o < all.size(); ++o) {
      if (all[o].action != ConvergeAction::kOrphan) continue;
      for (size_t c : planned_) {
        if (all[c].ship != all[o].ship || !Acts(all[c].action)) continue;
        pre.Add(2 * c + 1, 2 * o);
        // A container created ahead is created after the orphan went too: nothing of the new
        // state exists beside what it replaces, on disk or in `docker ps -a`.
        if (CreatesAhead(all[c].action)) pre.Add(2 * c, 2 * o);
      }
      if (options_.ignore_dependencies) continue;
      const model::Service* service = world_.env->FindService(all[o].service);
      if (service == nullptr) continue;
      std::set<std::string> deps;
      for (const std::string& s : service->Dependencies()) deps.insert(s);
      deps.insert(service->wants_info.begin(), service->wants_info.end());
      for (size_t d = 0; d < all.size(); ++d) {
        if (d != o && all[d].action == ConvergeAction::kOrphan && deps.count(all[d].service)) {
          pre.Add(2 * d, 2 * o);
        }
      }
    }
    return pre;
  }

  // The name of a recreated container that `c` depends on (directly or not), or "".
  std::string RecreatedDependency(size_t c) const {
    auto it = recreated_dependency_.find(c);
    return it == recreated_dependency_.end() ? "" : it->second;
  }

  absl::Status Work(size_t node, const CancellationToken& cancel) {
    const size_t c = node / 2;
    const bool down = node % 2 == 0;
    const PlannedContainer& pc = plan_.containers[c];
    switch (pc.action) {
      case ConvergeAction::kNone:
        return down ? absl::OkStatus() : Unchanged(c);
      case ConvergeAction::kCreate:
      case ConvergeAction::kStart:
        return down ? Prepare(c, cancel) : Launch(c, cancel);
      case ConvergeAction::kRecreate:
        if (rolled_.count(c)) return down ? rollout_->Pull(c, cancel) : Roll(c, node, cancel);
        return down ? TakeDown(c, cancel) : Up(c, cancel);
      case ConvergeAction::kOrphan:
        if (!options_.remove_orphans) return down ? absl::OkStatus() : LeaveOrphan(c);
        return down ? RemoveOrphan(c, cancel) : absl::OkStatus();
      case ConvergeAction::kUnknown:
        if (down) return absl::OkStatus();
        return FailRow(run_, c, "unknown",
                       absl::FailedPreconditionError(
                           absl::StrCat("not applied: ", absl::StrJoin(pc.reasons, "; "))));
    }
    return absl::OkStatus();
  }

  // A saved plan naming a container the environment file does not have.
  absl::Status NotInFile(size_t c) {
    return FailRow(run_, c, "failed",
                   absl::FailedPreconditionError(absl::StrCat(
                       plan_.containers[c].name, " is not a container of this environment")));
  }

  absl::Status Unchanged(size_t c) {
    const PlannedContainer& pc = plan_.containers[c];
    ui::ProgressSink& sink = run_.sink();
    run_.SetContainerId(c, pc.container_id);
    sink.Container(c, TagAndId(pc.image, pc.container_id), Tone::kNeutral);
    sink.State(c, "no change", Tone::kInfo);
    std::string recreated = RecreatedDependency(c);
    std::string why =
        recreated.empty()
            ? std::string("(left alone: it matches the file)")
            : absl::StrCat("(left alone: it matches the file; the link variables it gets from ",
                           recreated, " are unchanged)");
    sink.Note(c, why, Tone::kNeutral);
    run_.slot(c).summary = "no change";
    return absl::OkStatus();
  }

  StartFlags FlagsFor(size_t c) const {
    const PlannedContainer& pc = plan_.containers[c];
    StartFlags flags;
    flags.reuse = pc.action == ConvergeAction::kStart;
    flags.refresh = pc.pull;  // the registry moved the tag on (plan --refresh)
    return flags;
  }

  // Create-ahead's first half (CreatesAhead): needs no dependency running.
  absl::Status Prepare(size_t c, const CancellationToken& cancel) {
    const Target& t = run_.target(c);
    if (t.instance == nullptr) return NotInFile(c);
    return internal::PrepareOne(run_, t, FlagsFor(c), pulls_, cancel);
  }

  // Its second half, once the dependencies run.
  absl::Status Launch(size_t c, const CancellationToken& cancel) {
    const Target& t = run_.target(c);
    if (t.instance == nullptr) return NotInFile(c);
    MAESTRO_RETURN_IF_ERROR(internal::LaunchOne(run_, t, FlagsFor(c), cancel));
    return Summarize(c);
  }

  // A recreate's second half: the whole start, after TakeDown.
  absl::Status Up(size_t c, const CancellationToken& cancel) {
    const Target& t = run_.target(c);
    if (t.instance == nullptr) return NotInFile(c);
    MAESTRO_RETURN_IF_ERROR(StartOne(run_, t, FlagsFor(c), pulls_, cancel));
    return Summarize(c);
  }

  absl::Status Summarize(size_t c) {
    const PlannedContainer& pc = plan_.containers[c];
    internal::Slot& slot = run_.slot(c);
    if (slot.summary == "already running") return absl::OkStatus();  // someone else did it
    switch (pc.action) {
      case ConvergeAction::kCreate:
        slot.summary = "created+started";
        break;
      case ConvergeAction::kRecreate:
        slot.summary = absl::StrCat("recreated: ", absl::StrJoin(pc.reasons, "; "));
        run_.sink().Note(c, absl::StrCat("(recreated: ", absl::StrJoin(pc.reasons, "; "), ")"),
                         Tone::kInfo);
        break;
      default:
        slot.summary = "started";
        break;
    }
    return absl::OkStatus();
  }

  // A recreate under the service's rolling policy.
  absl::Status Roll(size_t c, size_t node, const CancellationToken& cancel) {
    const PlannedContainer& pc = plan_.containers[c];
    if (run_.target(c).instance == nullptr) return NotInFile(c);
    MAESTRO_RETURN_IF_ERROR(rollout_->Update(c, node, *scheduler_, cancel));
    internal::Slot& slot = run_.slot(c);
    if (slot.summary == "already running") return absl::OkStatus();  // someone else did it
    const std::string reasons = absl::StrJoin(pc.reasons, "; ");
    slot.summary = absl::StrCat("recreated: ", reasons, " (", rollout_->Where(c), ")");
    run_.sink().Note(c, absl::StrCat("(recreated: ", reasons, "; ", rollout_->Where(c), ")"),
                     Tone::kInfo);
    return absl::OkStatus();
  }

  // Recreate's first half: stop (with the lifecycle checks) and remove.
  absl::Status TakeDown(size_t c, const CancellationToken& cancel) {
    const Target& t = run_.target(c);
    if (t.instance == nullptr) return NotInFile(c);
    MAESTRO_RETURN_IF_ERROR(StopOne(run_, t, StopKind::kStop, cancel, nullptr));
    MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run_, t));
    absl::StatusOr<std::optional<docker::ContainerInspect>> existing =
        InspectOrAbsent(*client, t.instance->name);
    if (!existing.ok()) return FailRow(run_, c, "failed", existing.status());
    if (!existing->has_value()) return absl::OkStatus();
    const docker::ContainerInspect& old = **existing;
    if (old.state.running) {
      return FailRow(run_, c, "failed",
                     absl::FailedPreconditionError(absl::StrCat(
                         "container ", ShortId(old.id), " is running again after its stop (",
                         "restarted by someone else?); not removed")));
    }
    run_.slot(c).replaced = std::make_unique<docker::ContainerInspect>(
        old);  // its spec becomes the new container's previous one
    run_.sink().Pending(c, absl::StrCat("removing container ", ShortId(old.id), "..."));
    docker::RemoveContainerOptions remove;
    remove.volumes = true;  // never force: a container someone started meanwhile stays
    absl::Status removed = client->RemoveContainer(old.id, remove);
    if (!removed.ok() && !absl::IsNotFound(removed)) {
      return FailRow(run_, c, "remove failed!", removed);
    }
    return absl::OkStatus();
  }

  absl::Status LeaveOrphan(size_t c) {
    const PlannedContainer& pc = plan_.containers[c];
    ui::ProgressSink& sink = run_.sink();
    run_.SetContainerId(c, pc.container_id);
    sink.Container(c, TagAndId(pc.image, pc.container_id), Tone::kNeutral);
    sink.State(c, "orphan", Tone::kInfo);
    sink.Note(c, "(left alone: --remove-orphans removes it)", Tone::kNeutral);
    run_.slot(c).summary = "orphan, left alone";
    return absl::OkStatus();
  }

  // An orphan has no configuration in the file: no lifecycle checks, the daemon's stop
  // timeout. Acted on by id, so a container of the same name made since is never touched.
  absl::Status RemoveOrphan(size_t c, const CancellationToken& cancel) {
    const PlannedContainer& pc = plan_.containers[c];
    ui::ProgressSink& sink = run_.sink();
    run_.SetContainerId(c, pc.container_id);
    sink.Pending(c, "checking orphan...");
    absl::StatusOr<docker::DockerClient*> client = world_.ships->Client(pc.ship);
    if (!client.ok()) return FailRow(run_, c, "host down", client.status());
    absl::StatusOr<std::optional<docker::ContainerInspect>> existing =
        InspectOrAbsent(**client, pc.container_id);
    if (!existing.ok()) return FailRow(run_, c, "failed", existing.status());
    if (!existing->has_value()) {
      sink.Container(c, TagAndId(pc.image, pc.container_id), Tone::kNeutral);
      sink.State(c, "absent", Tone::kInfo);
      run_.slot(c).summary = "orphan already gone";
      return absl::OkStatus();
    }
    sink.Container(c, TagAndId(pc.image, pc.container_id), Tone::kNeutral);
    if ((*existing)->state.running) {
      if (cancel.cancelled()) {
        return FailRow(run_, c, "interrupted", absl::CancelledError("interrupted before its stop"));
      }
      sink.Pending(c, "stopping orphan...");
      absl::Status stopped = (*client)->StopContainer(pc.container_id, absl::nullopt);
      if (!stopped.ok()) return FailRow(run_, c, "failed", stopped);
    }
    sink.Pending(c, absl::StrCat("removing orphan ", ShortId(pc.container_id), "..."));
    docker::RemoveContainerOptions remove;
    remove.volumes = true;
    absl::Status removed = (*client)->RemoveContainer(pc.container_id, remove);
    if (!removed.ok() && !absl::IsNotFound(removed)) {
      return FailRow(run_, c, "remove failed!", removed);
    }
    sink.State(c, "removed", Tone::kGood);
    sink.Note(c, absl::StrCat("(orphan: ", absl::StrJoin(pc.reasons, "; "), ")"), Tone::kNeutral);
    run_.slot(c).summary = "orphan removed";
    return absl::OkStatus();
  }

  // The containers of the play that the daemon shows as created and never started.
  std::vector<std::string> NeverStarted() {
    std::vector<std::string> out;
    for (size_t c : planned_) {
      const PlannedContainer& pc = plan_.containers[c];
      if (!Acts(pc.action)) continue;
      absl::StatusOr<docker::DockerClient*> client = world_.ships->Client(pc.ship);
      if (!client.ok()) {
        out.push_back(absl::StrCat(pc.name, " on ", pc.ship,
                                   ": could not be checked for a container left created but "
                                   "never started: ",
                                   client.status().message()));
        continue;
      }
      absl::StatusOr<std::optional<docker::ContainerInspect>> now =
          InspectOrAbsent(**client, pc.name);
      if (!now.ok()) {
        out.push_back(absl::StrCat(pc.name, " on ", pc.ship,
                                   ": could not be checked for a container left created but "
                                   "never started: ",
                                   now.status().message()));
        continue;
      }
      if (!now->has_value()) continue;
      const docker::ContainerInspect& ci = **now;
      if (ci.state.running || ci.state.status != "created") continue;
      if (docker::ParseDockerTime(ci.state.started_at) != absl::InfinitePast()) continue;
      out.push_back(absl::StrCat(pc.name, " on ", pc.ship, ": container ", ShortId(ci.id),
                                 " was created but never started (left in place; the next "
                                 "`maestro up` starts it)"));
    }
    return out;
  }

  const PlayWorld& world_;
  const ConvergencePlan& plan_;
  const UpOptions options_;
  PlayRunner run_;
  PullOnce pulls_;
  std::unique_ptr<internal::Rollout> rollout_;  // the containers that roll, when any
  std::set<size_t> rolled_;
  Scheduler* scheduler_ = nullptr;  // during Run
  std::vector<size_t> planned_;     // indices of the containers that are not orphans
  std::map<size_t, std::string> recreated_dependency_;  // see RecreatedDependency
};

}  // namespace

UpReport RunUp(const PlayWorld& world, const ConvergencePlan& plan, const UpOptions& options,
               Scheduler& scheduler) {
  UpPlay play(world, plan, options);
  return play.Run(scheduler);
}

absl::Status CheckSamePlan(const ConvergencePlan& saved, const ConvergencePlan& current) {
  using Key = std::pair<std::string, std::string>;  // ship, name
  std::map<Key, const PlannedContainer*> now;
  for (const PlannedContainer& pc : current.containers) now[{pc.ship, pc.name}] = &pc;
  std::vector<std::string> changes;
  std::set<Key> seen;
  for (const PlannedContainer& was : saved.containers) {
    seen.insert({was.ship, was.name});
    auto it = now.find({was.ship, was.name});
    if (it == now.end()) {
      changes.push_back(absl::StrCat(was.ship, ": ", was.name, " is no longer planned"));
      continue;
    }
    const PlannedContainer& is = *it->second;
    if (is.action == was.action && is.spec_hash != was.spec_hash && !was.spec_hash.empty()) {
      changes.push_back(absl::StrCat(was.ship, ": ", was.name,
                                     ": the file asks for another configuration than when the "
                                     "plan was made"));
      continue;
    }
    if (is.action == was.action) continue;
    changes.push_back(absl::StrCat(was.ship, ": ", was.name, " was planned as ",
                                   ConvergeActionName(was.action), ", now ",
                                   ConvergeActionName(is.action), is.reasons.empty() ? "" : " (",
                                   absl::StrJoin(is.reasons, "; "), is.reasons.empty() ? "" : ")"));
  }
  for (const PlannedContainer& pc : current.containers) {
    if (!seen.count({pc.ship, pc.name})) {
      changes.push_back(absl::StrCat(pc.ship, ": ", pc.name, " is now planned as ",
                                     ConvergeActionName(pc.action)));
    }
  }
  if (changes.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the saved plan is stale: the environment file changed since it was made "
                   "(make a new plan):\n  ",
                   absl::StrJoin(changes, "\n  ")));
}

absl::StatusOr<ConvergencePlan> RecheckSavedPlan(const PlayWorld& world,
                                                 const ConvergencePlan& saved,
                                                 Scheduler& scheduler) {
  std::vector<std::string> containers;
  GatherOptions gather;
  gather.refresh = saved.scope.refresh;
  for (const PlannedContainer& pc : saved.containers) {
    if (pc.action != ConvergeAction::kOrphan) containers.push_back(pc.name);
    // A plan made with --refresh that pulls: ask the registry again, as the plan did.
    gather.refresh = gather.refresh || pc.pull;
  }
  std::map<std::string, ShipLive> live =
      GatherLiveState(world, containers, saved.scope.orphan_ships, scheduler, gather);
  if (scheduler.cancelled()) return absl::CancelledError("interrupted while checking the plan");
  ConvergencePlan current = ComputeConvergencePlan(*world.env, containers, live, saved.scope);
  MAESTRO_RETURN_IF_ERROR(CheckPlanStillCurrent(saved, current));
  MAESTRO_RETURN_IF_ERROR(CheckSamePlan(saved, current));
  if (!current.problems.empty() || !saved.problems.empty()) {
    const ConvergencePlan& bad = current.problems.empty() ? saved : current;
    std::vector<std::string> lines;
    for (const PlanProblem& p : bad.problems) lines.push_back(p.message);
    return absl::FailedPreconditionError(absl::StrCat(
        "the plan has problems; nothing was changed:\n  ", absl::StrJoin(lines, "\n  ")));
  }
  return saved;
}

}  // namespace maestro::plays
