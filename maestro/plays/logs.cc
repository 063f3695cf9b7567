#include "maestro/plays/logs.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "maestro/docker/docker_types.h"
#include "maestro/plays/logs_merge.h"
#include "maestro/plays/logs_multi.h"

namespace maestro::plays {
namespace {

// Follow reads the log with Docker's timestamps always on, so that a broken stream can resume
// from the last line shown: each line is held until its end (at most kMaxLine bytes, then cut),
// its time remembered, the repeats at a resumption seam dropped (SeamDeduper), and the
// timestamp passed on only with -t, so the bytes shown are the same as without follow.
class StampedLines {
 public:
  static constexpr size_t kMaxLine = 64 << 10;
  StampedLines(bool show, std::function<bool(docker::StdStream, absl::string_view)> print)
      : show_(show), print_(std::move(print)) {}

  bool Feed(docker::StdStream stream, absl::string_view data) {
    std::string& buf = pending_[stream == docker::StdStream::kStderr ? 1 : 0];
    while (!data.empty()) {
      size_t nl = data.find('\n');
      size_t take = nl == absl::string_view::npos ? data.size() : nl + 1;
      take = std::min(take, kMaxLine - buf.size());  // buf stays below kMaxLine
      buf.append(data.data(), take);
      data.remove_prefix(take);
      if (buf.back() == '\n' || buf.size() >= kMaxLine) {
        std::string line = std::move(buf);
        buf.clear();
        if (!Emit(stream, line)) return false;
      }
    }
    return true;
  }
  // The stream ended: the last line without its newline is shown as it is.
  bool Flush() {
    for (int i = 0; i < 2; ++i) {
      std::string line = std::move(pending_[i]);
      pending_[i].clear();
      if (!line.empty() &&
          !Emit(i == 1 ? docker::StdStream::kStderr : docker::StdStream::kStdout, line)) {
        return false;
      }
    }
    return true;
  }
  // The stream broke: an unfinished line comes again whole after the resumption.
  void Resume() {
    pending_[0].clear();
    pending_[1].clear();
    seam_.Resume();
  }
  void Reset() { seam_.Reset(); }
  absl::Time last_time() const { return seam_.last_time(); }

 private:
  bool Emit(docker::StdStream stream, absl::string_view line) {
    absl::string_view text = line;
    size_t space = line.find(' ');
    absl::Time time = absl::InfinitePast();
    if (space != absl::string_view::npos && space < 48) {
      time = docker::ParseDockerTime(line.substr(0, space));
      if (time != absl::InfinitePast()) text = line.substr(space + 1);
    }
    if (time != absl::InfinitePast() && !seam_.Accept(time, stream, text)) return true;
    return print_(stream, show_ ? line : text);
  }

  bool show_;
  std::function<bool(docker::StdStream, absl::string_view)> print_;
  std::string pending_[2];
  SeamDeduper seam_;
};

bool StreamBroke(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         s.code() == absl::StatusCode::kDeadlineExceeded;
}

}  // namespace

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
  logs.timestamps = true;
  StampedLines stamped(request.timestamps, print);
  auto feed = [&](docker::StdStream stream, absl::string_view data) {
    return stamped.Feed(stream, data) && !cancelled();
  };
  absl::Duration backoff = kMinBackoff;
  std::string id = inspect->id;
  std::string started_at = inspect->state.started_at;
  auto newer_run = [&](const docker::ContainerInspect& c) {
    return c.state.running && (c.id != id || c.state.started_at != started_at);
  };
  while (!cancelled()) {
    absl::Status status = (*client)->Logs(id, logs, feed);
    if (output_stopped) return absl::OkStatus();
    if (cancelled()) break;
    if (StreamBroke(status)) {
      // A dropped connection, a ship down, a broken SSH tunnel: read again from the last line
      // shown (its repeats dropped), after a bounded backoff.
      notice(absl::StrCat(inst->name, ": ", status.message(), "; reconnecting..."));
      if (!world.clock->SleepFor(backoff, cancel)) break;
      backoff = std::min(backoff * 2, kMaxBackoff);
      stamped.Resume();
      if (stamped.last_time() != absl::InfinitePast()) {
        logs.since = docker::DockerTimeParam(stamped.last_time());
        logs.tail = "all";
      }
      continue;
    }
    backoff = kMinBackoff;
    if (!stamped.Flush()) return absl::OkStatus();
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
    if (next->id != id) stamped.Reset();
    id = next->id;
    started_at = next->state.started_at;
  }
  return absl::CancelledError(absl::StrCat("logs of ", inst->name, " interrupted"));
}

}  // namespace maestro::plays
