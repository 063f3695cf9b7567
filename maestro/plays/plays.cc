// The public plays (plays.h): each builds its plan's prerequisites and runs the tasks of
// plays_internal.h on a PlayRunner. status lives in status.cc.
#include "maestro/plays/plays.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "maestro/base/status_macros.h"
#include "maestro/plays/plays_internal.h"
#include "maestro/plays/rollout.h"
#include "maestro/spec/drift.h"

namespace maestro::plays {

using internal::CleanOne;
using internal::ClientFor;
using internal::FailRow;
using internal::Identity;
using internal::InspectOrAbsent;
using internal::PlayRunner;
using internal::PullOnce;
using internal::Slot;
using internal::StartFlags;
using internal::StartOne;
using internal::StopKind;
using internal::StopOne;
using internal::TagAndId;
using internal::Target;
using ui::Tone;

namespace {

PlayReport RunStopLike(const PlayWorld& world, const std::vector<std::string>& containers,
                       const PlayOptions& options, Scheduler& scheduler, StopKind kind) {
  PlayRunner run(world, kind == StopKind::kStop ? "stop" : "kill", containers, true);
  run.EnableTimings();
  NodeLists pre = options.ignore_dependencies
                      ? NodeLists(containers.size())
                      : internal::Prerequisites(*world.env, containers, /*forward=*/false);
  std::vector<bool> has_dependents(containers.size(), false);
  for (size_t i = 0; i < pre.size(); ++i) {
    pre.ForEach(i, [&](size_t node) { has_dependents[node] = true; });
  }
  return run.Run(std::move(pre), Identity(containers.size()), scheduler,
                 [&](size_t node, const CancellationToken& cancel) {
                   std::function<void()> release;
                   if (has_dependents[node])
                     release = [&scheduler, node] { scheduler.Release(node); };
                   return StopOne(run, run.target(node), kind, cancel, std::move(release));
                 });
}

}  // namespace

// ---- public entry points ------------------------------------------------------------------

PlayReport RunStart(const PlayWorld& world, const std::vector<std::string>& containers,
                    const PlayOptions& options, Scheduler& scheduler) {
  PlayRunner run(world, "start", containers, false);
  run.EnableTimings();
  PullOnce pulls;
  StartFlags flags{options.refresh_images, options.reuse};
  NodeLists deps = options.ignore_dependencies
                       ? NodeLists(containers.size())
                       : internal::Prerequisites(*world.env, containers, /*forward=*/true);
  // Create-ahead: node 2i prepares (pulls, creates) container i at once, node 2i+1 starts it
  // once its dependencies run.
  std::vector<size_t> node_to_container(2 * containers.size());
  for (size_t node = 0; node < node_to_container.size(); ++node) node_to_container[node] = node / 2;
  return run.Run(internal::CreateAheadPrerequisites(deps), node_to_container, scheduler,
                 [&](size_t node, const CancellationToken& cancel) {
                   const internal::Target& t = run.target(node / 2);
                   return node % 2 == 0 ? internal::PrepareOne(run, t, flags, pulls, cancel)
                                        : internal::LaunchOne(run, t, flags, cancel);
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
  NodeLists pre = internal::Prerequisites(*world.env, containers, /*forward=*/true);
  return run.Run(
      std::move(pre), Identity(containers.size()), scheduler,
      [&](size_t node, const CancellationToken&) { return CleanOne(run, run.target(node)); });
}

PlayReport RunPull(const PlayWorld& world, const std::vector<std::string>& containers,
                   const PlayOptions& options, Scheduler& scheduler) {
  PlayRunner run(world, "pull", containers, false);
  PullOnce pulls;
  NodeLists pre = options.ignore_dependencies
                      ? NodeLists(containers.size())
                      : internal::Prerequisites(*world.env, containers, /*forward=*/true);
  return run.Run(std::move(pre), Identity(containers.size()), scheduler,
                 [&](size_t node, const CancellationToken& cancel) -> absl::Status {
                   const Target& t = run.target(node);
                   MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run, t));
                   absl::Status pulled = pulls.Pull(run, t, *client, cancel);
                   if (!pulled.ok()) {
                     return FailRow(run, t.row, cancel.cancelled() ? "interrupted" : "failed",
                                    pulled);
                   }
                   run.sink().Container(t.row, "", Tone::kNeutral);
                   run.sink().State(t.row, "done", Tone::kGood);
                   run.slot(t.row).summary = "pulled";
                   return absl::OkStatus();
                 });
}

PlayReport RunRestart(const PlayWorld& world, const std::vector<std::string>& containers,
                      const PlayOptions& options, Scheduler& scheduler) {
  // Services with an `update:` policy roll (rollout.h); the rest keep restart's plan below.
  if (UsesRollout(*world.env, containers)) {
    return RunRollingRestart(world, containers, options, scheduler);
  }
  PlayRunner run(world, "restart", containers, false);
  run.EnableTimings();
  PullOnce pulls;
  const size_t n = containers.size();
  // Node 3i stops container i, node 3i+1 prepares its new container (create-ahead: right
  // after its own stop), node 3i+2 starts it once its dependencies run again.
  NodeLists pre(3 * n);
  std::vector<size_t> node_to_container(3 * n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < 3; ++k) node_to_container[3 * i + k] = i;
  }
  if (!options.ignore_dependencies) {
    // deps.Of(i): containers of the play that container i depends on; dependents.Of(i): those
    // that depend on it. Instances of one service share each of the three rows.
    const graph::ContainerGraph graph(*world.env);
    const NodeLists deps = internal::Prerequisites(graph, containers, /*forward=*/true);
    const NodeLists dependents = internal::Prerequisites(graph, containers, /*forward=*/false);
    std::vector<size_t> list;
    for (size_t i = 0; i < n; ++i) {
      list.clear();
      dependents.ForEach(i, [&](size_t d) { list.push_back(3 * d); });
      pre.Set(3 * i, list);  // stop the dependents first
      list.clear();
      deps.ForEach(i, [&](size_t d) { list.push_back(3 * d + 1); });
      pre.Set(3 * i + 1, list);  // create the dependencies first (volumes_from)
      list.clear();
      deps.ForEach(i, [&](size_t d) { list.push_back(3 * d + 2); });
      pre.Set(3 * i + 2, list);  // start the dependencies first
    }
  }
  for (size_t i = 0; i < n; ++i) {
    pre.Add(3 * i + 1, 3 * i);
    pre.Add(3 * i + 2, 3 * i + 1);
  }
  // Stop nodes that other containers' stops wait for (beyond their own prepare).
  std::vector<bool> stop_has_dependents(n, false);
  for (size_t node = 0; node < 3 * n; node += 3) {
    pre.ForEach(node, [&](size_t p) { stop_has_dependents[p / 3] = true; });
  }
  StartFlags flags{false, options.reuse};
  // A container this play stopped is started again, even after Ctrl-C.
  std::vector<std::pair<size_t, size_t>> triggers;
  for (size_t i = 0; i < n; ++i) {
    triggers.emplace_back(3 * i + 1, 3 * i);
    triggers.emplace_back(3 * i + 2, 3 * i);
  }
  return run.Run(
      std::move(pre), node_to_container, scheduler,
      [&](size_t node, const CancellationToken& cancel) -> absl::Status {
        const size_t c = node / 3;
        const Target& t = run.target(c);
        Slot& slot = run.slot(c);
        Clock& clock = *world.clock;
        if (node % 3 == 1) {
          if (slot.unchanged) return absl::OkStatus();
          const std::string why = slot.summary;  // "restarted: image: ..." when known
          absl::Status prepared = internal::PrepareOne(run, t, flags, pulls, cancel);
          slot.summary = why;
          return prepared;
        }
        if (node % 3 == 2) {
          if (slot.unchanged) return absl::OkStatus();
          if (options.stop_start_delay > 0) {
            run.sink().Pending(
                c, absl::StrCat("waiting ", options.stop_start_delay, "s before starting..."));
            // Even when interrupted here the container is started again: it was stopped by
            // this play and must not be left down.
            clock.SleepFor(absl::Seconds(options.stop_start_delay), cancel.flag());
          }
          const std::string why = slot.summary;  // "restarted: image: ..." when known
          absl::Status started = internal::LaunchOne(run, t, flags, cancel);
          if (started.ok()) slot.summary = why.empty() ? "restarted" : why;
          return started;
        }
        MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run, t));
        if (options.refresh_images) {
          absl::Status pulled = pulls.Pull(run, t, *client, cancel);
          if (!pulled.ok()) {
            return FailRow(run, c, cancel.cancelled() ? "interrupted" : "pull failed!", pulled);
          }
        }
        if (options.only_if_changed) {
          run.sink().Pending(c, "checking for changes...");
          absl::StatusOr<std::optional<docker::ContainerInspect>> existing =
              InspectOrAbsent(*client, t.instance->name);
          if (!existing.ok()) return FailRow(run, c, "failed", existing.status());
          if (existing->has_value() && (*existing)->state.running) {
            std::optional<docker::ImageInspect> image;
            absl::StatusOr<docker::ImageInspect> got = client->InspectImage(t.instance->image);
            if (got.ok()) image = *got;
            std::vector<spec::Difference> diffs =
                spec::Diff(*t.instance, *t.ship, **existing, image);
            if (diffs.empty()) {
              run.sink().Container(c, TagAndId((*existing)->config_image, (*existing)->id),
                                   Tone::kNeutral);
              run.sink().State(c, "up to date", Tone::kInfo);
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
            return FailRow(run, c, "interrupted",
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
