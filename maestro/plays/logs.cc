#include "maestro/plays/logs.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "maestro/docker/docker_types.h"

namespace maestro::plays {

absl::Status RunLogs(const PlayWorld& world, const LogsRequest& request,
                     const docker::OutputCallback& output,
                     const std::function<void(const std::string&)>& notice,
                     const std::atomic<bool>* cancel) {
  const model::Instance* inst = world.env->FindInstance(request.container);
  if (inst == nullptr) {
    return absl::NotFoundError(absl::StrCat("no such container: ", request.container));
  }
  absl::StatusOr<docker::DockerClient*> client = world.ships->Client(inst->ship);
  if (!client.ok()) return client.status();
  auto cancelled = [&] { return cancel != nullptr && cancel->load(); };
  bool output_stopped = false;
  auto print = [&](docker::StdStream stream, absl::string_view data) {
    if (!output(stream, data)) output_stopped = true;
    return !output_stopped && !cancelled();
  };
  absl::StatusOr<docker::ContainerInspect> inspect = (*client)->InspectContainer(inst->name);
  if (!inspect.ok()) {
    return absl::Status(inspect.status().code(),
                        absl::StrCat(inst->name, " (on ", inst->ship, ") is not running! (",
                                     inspect.status().message(), ")"));
  }
  docker::LogsOptions logs;
  if (request.lines) logs.tail = std::to_string(*request.lines);
  logs.timestamps = request.timestamps;
  logs.cancel = cancel;
  if (!request.follow) return (*client)->Logs(inspect->id, logs, print);

  // Follow across restarts: stream until the container stops, then wait for it (or a new
  // container with the same name) to run again and go on with the output of the new run.
  // The restart may already have happened when the stream ends, so the container is inspected
  // first and the event stream is only the fallback.
  logs.follow = true;
  std::string id = inspect->id;
  std::string started_at = inspect->state.started_at;
  auto newer_run = [&](const docker::ContainerInspect& c) {
    return c.state.running && (c.id != id || c.state.started_at != started_at);
  };
  while (!cancelled()) {
    absl::Status status = (*client)->Logs(id, logs, print);
    if (output_stopped) return absl::OkStatus();
    if (cancelled()) break;
    if (!status.ok() && status.code() != absl::StatusCode::kNotFound) return status;
    notice(absl::StrCat(inst->name, " has died, waiting for respawn..."));
    std::optional<docker::ContainerInspect> next;
    while (!cancelled() && !next) {
      absl::StatusOr<docker::ContainerInspect> now = (*client)->InspectContainer(inst->name);
      if (now.ok() && newer_run(*now)) {
        next = *now;
        break;
      }
      // Wait for the next start event (or 2 s of clock time at most, then look again).
      const int64_t now_seconds = absl::ToUnixSeconds(world.clock->Now());
      docker::EventsOptions events;
      events.filters["type"] = {"container"};
      events.filters["event"] = {"start"};
      events.filters["container"] = {inst->name};
      events.since = absl::StrCat(now_seconds - 1);
      events.until = absl::StrCat(now_seconds + 2);
      events.cancel = cancel;
      absl::Status waited = (*client)->Events(events, [](const docker::Event&) { return false; });
      // A ship that went away: wait on the clock instead of asking it again at once.
      if (!waited.ok() && !world.clock->SleepFor(absl::Seconds(1), cancel)) break;
    }
    if (!next) break;
    // Only what the new run printed. A new container has only that; the same container,
    // restarted, keeps the old runs' output in its log, which ended when it last finished
    // (its StartedAt cannot be used: the first lines may be logged before it is recorded).
    logs.tail = "all";
    logs.since.clear();
    absl::Time finished = docker::ParseDockerTime(next->state.finished_at);
    if (next->id == id && finished != absl::InfinitePast()) {
      logs.since = docker::DockerTimeParam(finished);
    }
    id = next->id;
    started_at = next->state.started_at;
  }
  return absl::CancelledError(absl::StrCat("logs of ", inst->name, " interrupted"));
}

}  // namespace maestro::plays
