#include "maestro/cli/stream_commands.h"

#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "maestro/cli/exec_interactive.h"
#include "maestro/cli/time_arg.h"
#include "maestro/cli/watch_views.h"
#include "maestro/docker/docker_types.h"
#include "maestro/plays/events.h"
#include "maestro/plays/exec.h"
#include "maestro/plays/status_watch.h"

namespace maestro::cli {
namespace {

void PrintError(const Streams& io, absl::string_view message) {
  std::fprintf(io.err, "maestro: error: %s\n", std::string(message).c_str());
}

// The things of a watching command: like status, no things means every service, omitted ones
// included.
absl::StatusOr<std::vector<std::string>> ResolveWatched(const plays::PlayWorld& world,
                                                        const Options& options) {
  Options resolve = options;
  resolve.command = Command::kStatus;
  return ResolveCommandThings(*world.env, resolve);
}

// Sets `either` once `cancel` or `stop` is set; ends when `done` is set. The plays take one flag.
class FlagRelay {
 public:
  FlagRelay(const std::atomic<bool>* cancel, const std::atomic<bool>* stop)
      : thread_([this, cancel, stop] {
          while (!done_.load()) {
            if ((cancel != nullptr && cancel->load()) || (stop != nullptr && stop->load())) {
              either_.store(true);
              return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}
  ~FlagRelay() {
    done_.store(true);
    thread_.join();
  }
  const std::atomic<bool>* flag() const { return &either_; }

 private:
  std::atomic<bool> done_{false};
  std::atomic<bool> either_{false};
  std::thread thread_;
};

}  // namespace

int RunStatusWatchCommand(const plays::PlayWorld& world, const Options& options,
                          const std::atomic<bool>* cancel, bool color, const Streams& io) {
  absl::StatusOr<std::vector<std::string>> containers = ResolveWatched(world, options);
  if (!containers.ok()) {
    PrintError(io, containers.status().message());
    return kExitUsage;
  }
  ui::TerminalInfo terminal = ui::DetectTerminal(fileno(io.out), nullptr);
  terminal.color = color;
  std::atomic<bool> write_failed{false};
  std::unique_ptr<plays::WatchView> view;
  PlainWatchView* plain = nullptr;
  if (options.format == OutputFormat::kText && terminal.is_tty) {
    view = std::make_unique<TableWatchView>(io.out, terminal);
  } else {
    auto p = std::make_unique<PlainWatchView>(io.out, options.format == OutputFormat::kJson);
    plain = p.get();
    view = std::move(p);
  }
  // A view that notices a failed write ends the watch.
  class Guard : public plays::WatchView {
   public:
    Guard(plays::WatchView& inner, PlainWatchView* plain, std::atomic<bool>& failed)
        : inner_(inner), plain_(plain), failed_(failed) {}
    void Begin(const std::vector<plays::WatchRow>& rows, absl::Time now) override {
      inner_.Begin(rows, now);
    }
    void Changed(const std::vector<plays::WatchRow>& rows, const std::vector<size_t>& changed,
                 absl::Time now) override {
      inner_.Changed(rows, changed, now);
      if (plain_ != nullptr && plain_->write_failed()) failed_.store(true);
    }
    void Tick(const std::vector<plays::WatchRow>& rows, absl::Time now) override {
      inner_.Tick(rows, now);
    }
    void End() override { inner_.End(); }

   private:
    plays::WatchView& inner_;
    PlainWatchView* plain_;
    std::atomic<bool>& failed_;
  } guard(*view, plain, write_failed);
  {
    FlagRelay relay(cancel, &write_failed);
    plays::RunStatusWatch(world, *containers, guard, relay.flag());
  }
  if (write_failed.load()) return FinishOutput(io, kExitFailed);
  return FinishOutput(io, kExitInterrupted);
}

int RunExecCommand(const plays::PlayWorld& world, const Options& options,
                   plays::Scheduler& scheduler, const std::atomic<bool>* cancel,
                   const Streams& io) {
  absl::StatusOr<std::vector<std::string>> containers = ResolveCommandThings(*world.env, options);
  if (!containers.ok()) {
    PrintError(io, containers.status().message());
    return kExitUsage;
  }
  if (containers->empty()) {
    PrintError(io, "no containers to run the command in");
    return kExitUsage;
  }
  if (containers->size() == 1) {
    // One container: stdin goes to the command. From a terminal it is interactive, like
    // `docker exec -it`; from a pipe or file like `docker exec -i` (the command's stdin ends
    // when maestro's does).
    const model::Instance* inst = world.env->FindInstance(containers->front());
    absl::StatusOr<docker::DockerClient*> client = world.ships->Client(inst->ship);
    std::fflush(io.out);
    std::fflush(io.err);
    absl::StatusOr<int> code =
        !client.ok() ? absl::StatusOr<int>(client.status())
        : isatty(fileno(stdin))
            ? RunInteractiveExec(**client, inst->name, options.exec_command, fileno(stdin),
                                 fileno(io.out), cancel)
            : RunPipedExec(**client, inst->name, options.exec_command, fileno(stdin),
                           fileno(io.out), fileno(io.err), cancel);
    if (!code.ok()) {
      if (absl::IsCancelled(code.status())) return FinishOutput(io, kExitInterrupted);
      PrintError(io, absl::StrCat(inst->name, ": ", code.status().message()));
      return FinishOutput(io, kExitFailed);
    }
    return FinishOutput(io, *code & 0xff);
  }
  plays::ExecRequest request;
  request.containers = *containers;
  request.command = options.exec_command;
  bool write_failed = false;
  std::vector<plays::ExecResult> results = plays::RunExec(
      world, request, scheduler,
      [&](const std::string& instance, const std::string& ship, docker::StdStream stream,
          absl::string_view line) {
        FILE* f = stream == docker::StdStream::kStderr ? io.err : io.out;
        std::string text = absl::StrCat(instance, "@", ship, " | ", line);
        if (text.back() != '\n') text.push_back('\n');
        if (std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fflush(f) != 0) {
          write_failed = true;
        }
      });
  if (write_failed) return FinishOutput(io, kExitFailed);
  const int code = plays::ExecExitCode(results);
  int succeeded = 0;
  for (const plays::ExecResult& r : results) succeeded += r.exit_code && *r.exit_code == 0;
  std::fprintf(io.err, "\nexec: %d of %zu container(s) succeeded:\n", succeeded, results.size());
  for (const plays::ExecResult& r : results) {
    std::string what = r.cancelled   ? "interrupted"
                       : r.exit_code ? absl::StrCat("exit ", *r.exit_code)
                                     : absl::StrCat("failed: ", r.error);
    std::fprintf(io.err, "  %s@%s: %s\n", r.instance.c_str(), r.ship.c_str(), what.c_str());
  }
  return FinishOutput(io, code);
}

int RunEventsCommand(const plays::PlayWorld& world, const Options& options,
                     const std::atomic<bool>* cancel, const Streams& io) {
  absl::StatusOr<std::vector<std::string>> containers = ResolveWatched(world, options);
  if (!containers.ok()) {
    PrintError(io, containers.status().message());
    return kExitUsage;
  }
  plays::EventsRequest request;
  request.containers = *containers;
  const absl::Time now = world.clock->Now();
  for (auto [flag, text, out] : {std::make_tuple("--since", &options.since, &request.since),
                                 std::make_tuple("--until", &options.until, &request.until)}) {
    if (text->empty()) continue;
    absl::StatusOr<absl::Time> t = ParseTimeArgument(flag, *text, now);
    if (!t.ok()) {
      PrintError(io, t.status().message());
      return kExitUsage;
    }
    *out = docker::DockerTimeParam(*t);
  }
  const bool json = options.format == OutputFormat::kJson;
  bool write_failed = false;
  std::atomic<bool> stop{false};
  auto output = [&](const plays::EnvironmentEvent& e) {
    std::string line = json ? plays::FormatEventJson(e) : plays::FormatEventText(e);
    line.push_back('\n');
    if (std::fwrite(line.data(), 1, line.size(), io.out) != line.size() ||
        std::fflush(io.out) != 0) {
      write_failed = true;
      stop.store(true);
    }
  };
  auto notice = [&](const std::string& text) {
    std::fprintf(io.err, "maestro: %s\n", text.c_str());
  };
  absl::Status status;
  {
    // One flag for the play: Ctrl-C or a failed write (a closed pipe).
    FlagRelay relay(cancel, &stop);
    status = plays::RunEvents(world, request, output, notice, relay.flag());
  }
  if (write_failed) return FinishOutput(io, kExitFailed);
  if (cancel != nullptr && cancel->load()) return FinishOutput(io, kExitInterrupted);
  if (!status.ok()) {
    PrintError(io, status.message());
    return FinishOutput(io, kExitFailed);
  }
  return FinishOutput(io, kExitOk);
}

}  // namespace maestro::cli
