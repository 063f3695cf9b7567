#include "maestro/plays/logs_multi.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/docker/docker_types.h"
#include "maestro/docker/stream_parsers.h"

namespace maestro::plays {
namespace {

// What the reader threads hand to the calling thread besides lines.
class Mailbox {
 public:
  void Notice(std::string text) {
    std::lock_guard<std::mutex> lock(mu_);
    notices_.push_back(std::move(text));
  }
  void Error(size_t source, absl::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    errors_.emplace_back(source, std::move(status));
  }
  std::vector<std::string> TakeNotices() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(notices_, {});
  }
  // In container order.
  std::vector<absl::Status> errors() {
    std::lock_guard<std::mutex> lock(mu_);
    std::sort(errors_.begin(), errors_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<absl::Status> out;
    for (const auto& e : errors_) out.push_back(e.second);
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> notices_;
  std::vector<std::pair<size_t, absl::Status>> errors_;
};

// Reads one container's log, following and reconnecting as the request says (logs_multi.h).
class ContainerReader {
 public:
  ContainerReader(const PlayWorld& world, const MultiLogsRequest& request, size_t index,
                  const model::Instance& instance, const LineFilter& filter, LogMerger& merger,
                  Mailbox& mailbox, const std::atomic<bool>& stop)
      : world_(world),
        request_(request),
        index_(index),
        instance_(instance),
        label_(absl::StrCat(instance.name, "@", instance.ship)),
        filter_(filter),
        merger_(merger),
        mailbox_(mailbox),
        stop_(stop) {}

  void Run() {
    ReadLoop();
    merger_.Finish(index_);
  }

 private:
  bool Stopped() const { return stop_.load() || pushes_refused_; }
  bool UntilPassed() const {
    return request_.until != absl::InfiniteFuture() && world_.clock->Now() > request_.until;
  }
  // Sleeps the backoff on the clock and doubles it (bounded); false when stopped meanwhile.
  bool Backoff() {
    bool slept = world_.clock->SleepFor(backoff_, &stop_);
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    return slept && !Stopped();
  }
  // A notice once per distinct problem (a ship down for an hour says so once).
  void Problem(const std::string& text) {
    if (text == last_problem_) return;
    last_problem_ = text;
    mailbox_.Notice(text);
  }

  void ReadLoop();
  bool OnLine(docker::StdStream stream, absl::string_view line);

  const PlayWorld& world_;
  const MultiLogsRequest& request_;
  const size_t index_;
  const model::Instance& instance_;
  const std::string label_;
  const LineFilter& filter_;
  LogMerger& merger_;
  Mailbox& mailbox_;
  const std::atomic<bool>& stop_;

  SeamDeduper seam_;
  absl::Duration backoff_ = kMinBackoff;
  std::string last_problem_;
  bool pushes_refused_ = false;
  size_t lines_this_read_ = 0;
  absl::Time last_time_[4] = {absl::InfinitePast(), absl::InfinitePast(), absl::InfinitePast(),
                              absl::InfinitePast()};
};

bool ContainerReader::OnLine(docker::StdStream stream, absl::string_view line) {
  absl::Time time;
  absl::string_view text;
  absl::Time& last = last_time_[static_cast<int>(stream) & 3];
  if (!SplitTimestamp(line, &time, &text)) {
    // The rest of a line cut at max_line (or a daemon that sent no timestamp): the time of
    // the line before it.
    time = last == absl::InfinitePast() ? world_.clock->Now() : last;
    text = line;
  }
  last = time;
  if (!seam_.Accept(time, stream, text)) return true;
  ++lines_this_read_;
  // A line longer than max_line goes out in pieces of at most max_line bytes.
  do {
    absl::string_view piece = text.substr(0, std::max<size_t>(request_.max_line, 1));
    text.remove_prefix(piece.size());
    if (!filter_.Matches(piece)) continue;
    LogLine out{index_, stream, time, std::string(piece)};
    if (!merger_.Push(std::move(out), world_.clock->Now(), &stop_)) {
      pushes_refused_ = true;
      return false;
    }
  } while (!text.empty());
  return true;
}

void ContainerReader::ReadLoop() {
  const bool follow = request_.follow;
  std::string current_id;  // the container whose log is being read
  std::string drained_id;  // a container whose log was read to its end
  bool first = true;
  bool died_noted = false;
  absl::Time read_started = absl::InfinitePast();
  while (!Stopped()) {
    if (follow && UntilPassed()) return;
    absl::StatusOr<docker::DockerClient*> client = world_.ships->Client(instance_.ship);
    absl::StatusOr<docker::ContainerInspect> inspect =
        client.ok() ? (*client)->InspectContainer(instance_.name)
                    : absl::StatusOr<docker::ContainerInspect>(client.status());
    if (!inspect.ok()) {
      const bool missing = inspect.status().code() == absl::StatusCode::kNotFound;
      std::string why =
          missing ? absl::StrCat(instance_.name, " (on ", instance_.ship, ") does not exist")
                  : std::string(inspect.status().message());
      if (!follow) {
        mailbox_.Error(index_,
                       absl::Status(inspect.status().code(), absl::StrCat(label_, ": ", why)));
        return;
      }
      Problem(
          absl::StrCat(label_, ": ", why, "; ", missing ? "waiting for it..." : "reconnecting..."));
      if (!Backoff()) return;
      continue;
    }
    if (follow && inspect->id == drained_id && !inspect->state.running) {
      if (!died_noted) mailbox_.Notice(absl::StrCat(label_, " has died, waiting for respawn..."));
      died_noted = true;
      if (!Backoff()) return;
      continue;
    }
    died_noted = false;
    if (!last_problem_.empty()) {
      mailbox_.Notice(absl::StrCat(label_, ": reading the log again"));
      last_problem_.clear();
    }

    docker::LogsOptions o;
    o.timestamps = true;
    o.stdout_ = request_.stdout_;
    o.stderr_ = request_.stderr_;
    o.follow = follow;
    o.tty = inspect->tty;
    o.cancel = &stop_;
    if (request_.until != absl::InfiniteFuture()) o.until = docker::DockerTimeParam(request_.until);
    const std::string user_since =
        request_.since != absl::InfinitePast() ? docker::DockerTimeParam(request_.since) : "";
    if (inspect->id != current_id) {
      // The first read, or a container re-created under the name: from its first line.
      if (!current_id.empty()) {
        seam_.Reset();
        mailbox_.Notice(absl::StrCat(label_, " was re-created, following the new container"));
      }
      o.tail = first && request_.tail ? std::to_string(*request_.tail) : "all";
      o.since = user_since;
      current_id = inspect->id;
    } else {
      // The same container again (restarted, or the stream dropped): from the last line shown.
      seam_.Resume();
      o.tail = "all";
      if (!seam_.empty()) {
        o.since = docker::DockerTimeParam(seam_.last_time());
      } else if (request_.tail) {
        o.since = docker::DockerTimeParam(read_started);  // nothing shown yet: only new lines
      } else {
        o.since = user_since;
      }
    }
    first = false;
    lines_this_read_ = 0;
    read_started = world_.clock->Now();
    const size_t max_line = request_.max_line + 64;  // room for the timestamp
    const int flags = docker::LineSplitter::kKeepEmpty | docker::LineSplitter::kSplitLong;
    docker::LineSplitter out_lines(
        [&](absl::string_view l) { return OnLine(docker::StdStream::kStdout, l); }, max_line,
        flags);
    docker::LineSplitter err_lines(
        [&](absl::string_view l) { return OnLine(docker::StdStream::kStderr, l); }, max_line,
        flags);
    absl::Status st =
        (*client)->Logs(current_id, o, [&](docker::StdStream stream, absl::string_view data) {
          if (stream == docker::StdStream::kStderr) return err_lines.Feed(data);
          if (stream == docker::StdStream::kStdout) return out_lines.Feed(data);
          return true;  // stdin/system frames carry no log lines
        });
    if (!Stopped()) {
      out_lines.Finish();
      err_lines.Finish();
    }
    if (Stopped()) return;
    if (lines_this_read_ > 0) backoff_ = kMinBackoff;
    if (!follow) {
      if (!st.ok())
        mailbox_.Error(index_, absl::Status(st.code(), absl::StrCat(label_, ": ", st.message())));
      return;
    }
    if (!st.ok()) {
      Problem(absl::StrCat(label_, ": the log stream broke (", st.message(), "); reconnecting..."));
      if (!Backoff()) return;
      continue;
    }
    // The stream ended: the container stopped (or the daemon closed it). Look again.
    drained_id = current_id;
    if (UntilPassed()) return;
    if (lines_this_read_ == 0 && !world_.clock->SleepFor(kMinBackoff, &stop_)) return;
  }
}

}  // namespace

absl::Status RunMultiLogs(const PlayWorld& world, const MultiLogsRequest& request,
                          const MultiLogsOutput& output, const std::atomic<bool>* cancel) {
  std::vector<const model::Instance*> instances;
  std::vector<LogSourceName> names;
  for (const std::string& name : request.containers) {
    const model::Instance* inst = world.env->FindInstance(name);
    if (inst == nullptr)
      return absl::InvalidArgumentError(absl::StrCat("no such container: ", name));
    instances.push_back(inst);
  }
  absl::StatusOr<LineFilter> filter = LineFilter::Compile(request.grep);
  if (!filter.ok()) return filter.status();

  LogMerger merger(instances.size(), request.reorder_window, request.max_queued_bytes);
  Mailbox mailbox;
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<ContainerReader>> readers;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < instances.size(); ++i) {
    readers.push_back(std::make_unique<ContainerReader>(world, request, i, *instances[i], *filter,
                                                        merger, mailbox, stop));
  }
  for (auto& r : readers) threads.emplace_back([reader = r.get()] { reader->Run(); });

  auto deliver_notices = [&] {
    for (const std::string& n : mailbox.TakeNotices()) {
      if (output.notice) output.notice(n);
    }
  };
  bool cancelled = false;
  const absl::Duration kPoll = absl::Milliseconds(50);
  for (;;) {
    if (cancel != nullptr && cancel->load()) {
      cancelled = true;
      break;
    }
    deliver_notices();
    LogLine line;
    absl::Time wake;
    const absl::Time now = world.clock->Now();
    LogMerger::Next next = merger.Pop(now, &line, &wake);
    if (next == LogMerger::Next::kLine) {
      if (!output.line(line)) break;
      continue;
    }
    if (next == LogMerger::Next::kDone) break;
    if (request.follow && request.until != absl::InfiniteFuture() &&
        now > request.until + request.reorder_window && merger.queued_bytes() == 0) {
      break;
    }
    if (output.idle) output.idle();
    merger.WaitForChange(std::clamp(wake - now, absl::ZeroDuration(), kPoll));
  }
  stop = true;
  merger.Close();
  for (std::thread& t : threads) t.join();
  deliver_notices();
  if (output.idle) output.idle();
  if (cancelled) return absl::CancelledError("logs interrupted");
  std::vector<absl::Status> errors = mailbox.errors();
  if (errors.empty()) return absl::OkStatus();
  std::vector<std::string> messages;
  for (const absl::Status& e : errors) messages.emplace_back(e.message());
  return absl::Status(errors.front().code(), absl::StrJoin(messages, "\n"));
}

}  // namespace maestro::plays
