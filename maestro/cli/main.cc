// maestro's composition root: parse the command line, load the environment, wire the real
// clients, clock, output and signal handling, and run the command.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "maestro/base/clock.h"
#include "maestro/base/heap.h"
#include "maestro/cli/commands.h"
#include "maestro/cli/load.h"
#include "maestro/cli/lock_command.h"
#include "maestro/cli/options.h"
#include "maestro/cli/real_world.h"
#include "maestro/cli/ship_clients.h"
#include "maestro/cli/stream_commands.h"
#include "maestro/docker/registry_auth.h"
#include "maestro/ui/table_sink.h"

namespace maestro::cli {
namespace {

std::atomic<bool> g_interrupted{false};
// The play to cancel on the first signal; null while the file is read, rendered and loaded
// (nothing has been touched yet, so a signal then ends the process at once).
std::atomic<plays::Scheduler*> g_scheduler{nullptr};

// Ctrl-C (or SIGTERM): before the play starts, exit 130 at once; during a play the first one
// cancels it (running work finishes, nothing new starts, the summary is printed, exit 130); a
// second one exits at once. Started before loading, so that a large file is interruptible. A
// parent that left SIGINT ignored (a shell's background job) does not make maestro
// uninterruptible: maestro handles the signal itself.
void StartSignalThread() {
  static sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // Blocked first, then the default action: a signal in between is pending, never fatal.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  std::thread([] {
    int count = 0;
    int sig = 0;
    while (sigwait(&set, &sig) == 0) {
      plays::Scheduler* scheduler = g_scheduler.load();
      if (++count == 1 && scheduler != nullptr) {
        g_interrupted.store(true);
        scheduler->Cancel();
        static const char kMsg[] =
            "\nmaestro: interrupted: letting in-flight operations finish, starting nothing new "
            "(Ctrl-C again to quit now)\n";
        (void)!write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
      } else {
        if (scheduler == nullptr) {
          static const char kMsg[] = "\nmaestro: interrupted\n";
          (void)!write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
        }
        _exit(kExitInterrupted);
      }
    }
  }).detach();
}

int Run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  ParseOutcome parsed = ParseCommandLine(args);
  switch (parsed.kind) {
    case ParseOutcome::Kind::kHelp:
    case ParseOutcome::Kind::kVersion:
      std::fputs(parsed.text.c_str(), stdout);
      return kExitOk;
    case ParseOutcome::Kind::kUsageError:
      std::fputs(parsed.text.c_str(), stderr);
      return kExitUsage;
    case ParseOutcome::Kind::kRun:
      break;
  }
  Options& options = parsed.options;
  Streams io;

  if (options.command == Command::kComplete) {
    // Completion must never fail loudly: without a loadable file, offer commands only.
    absl::StatusOr<LoadedEnvironment> loaded = LoadEnvironmentFile(options.file, stdin);
    for (const std::string& word :
         Completions(loaded.ok() ? &loaded->environment : nullptr, options.tokens)) {
      std::printf("%s\n", word.c_str());
    }
    return kExitOk;
  }

  if (IsStopLike(options.command) && options.things.empty() && !options.expand_all) {
    std::fprintf(stderr,
                 "maestro: error: No services or containers specified for %s, and --all not "
                 "set.\n",
                 CommandName(options.command));
    return kExitUsage;
  }

  // Only the commands that create containers (start, restart), run lifecycle checks with a
  // container's environment (stop, kill: `envfrom: env` exec checks) or print it (dump) need
  // the link variables; the others skip them (the whole file is still parsed and validated).
  StartSignalThread();
  const bool link_variables =
      options.command != Command::kDeptree &&
      (options.command != Command::kStatus || options.watch) &&  // --watch: spec drift
      options.command != Command::kPull && options.command != Command::kClean &&
      options.command != Command::kLogs && options.command != Command::kComplete &&
      options.command != Command::kLock && options.command != Command::kEvents &&
      options.command != Command::kSwarm &&
      options.command != Command::kExec;  // export needs them: the stack carries them
  absl::StatusOr<LoadedEnvironment> loaded =
      LoadEnvironmentFile(options.file, stdin, link_variables);
  if (!loaded.ok()) {
    std::fprintf(stderr, "maestro: error: %s\n", std::string(loaded.status().message()).c_str());
    return kExitUsage;
  }
  for (const config::Diagnostic& w : loaded->warnings) {
    std::fprintf(stderr, "maestro: warning: %s\n", w.ToString().c_str());
  }
  // Secret values (docs/environment.md#secrets) are read only by the commands that deliver them
  // or compare them (start, restart, up, plan, status --watch): never for dump, status, logs...
  const bool secret_values = options.command == Command::kStart ||
                             options.command == Command::kRestart ||
                             options.command == Command::kUp || options.command == Command::kPlan ||
                             (options.command == Command::kStatus && options.watch) ||
                             // the stack's secrets are named by their values' fingerprints
                             options.command == Command::kExport;
  if (secret_values && !loaded->environment.secrets.empty()) {
    if (absl::Status read = ResolveSecretValues(loaded->environment, &g_interrupted); !read.ok()) {
      std::fprintf(stderr, "maestro: error: %s\n", std::string(read.message()).c_str());
      return g_interrupted.load() ? kExitInterrupted : kExitUsage;
    }
  }
  const model::Environment& env = loaded->environment;

  // deptree and dump are done once they have printed: end the process there instead of
  // tearing down a possibly huge environment piece by piece (compilers do the same).
  auto finish = [](int code) {
    std::fflush(nullptr);
    std::_Exit(code);
    return code;
  };
  switch (options.command) {
    case Command::kDeptree:
      return finish(RunDeptree(env, options, io));
    case Command::kDump:
      return finish(RunDump(env, options, io));
    case Command::kExport:
      if (!options.export_deploy.empty()) break;  // needs the ships
      return finish(RunExport(env, options, io));
    default:
      break;
  }

  plays::Scheduler scheduler(
      {.concurrency = static_cast<size_t>(std::max(0, options.concurrency.value_or(0))),
       .clock = RealClock::Get()});
  g_scheduler.store(&scheduler);
  struct Unpublish {
    ~Unpublish() { g_scheduler.store(nullptr); }
  } unpublish;  // never cancel a Scheduler that is gone

  bool color_override_value = options.color.value_or(false);
  ui::TerminalInfo terminal =
      ui::DetectTerminal(fileno(stdout), options.color ? &color_override_value : nullptr);
  // The Docker clients' waits (slow answers, pulls, streams) end soon after Ctrl-C.
  absl::StatusOr<std::unique_ptr<RealWorld>> real = RealWorld::Create(env, &g_interrupted);
  if (!real.ok()) {
    std::fprintf(stderr, "maestro: error: %s\n", std::string(real.status().message()).c_str());
    return kExitUsage;
  }
  plays::PlayWorld world = (*real)->world();

  if (options.command == Command::kLogs) {
    return RunLogs(world, options, &g_interrupted, io, terminal.color);
  }
  if (options.command == Command::kExport) return RunExportDeploy(world, options, io);
  if (options.command == Command::kStatus && !options.status_stack.empty()) {
    return RunStackStatus(world, options, io);
  }
  if (options.command == Command::kStatus && options.watch) {
    return RunStatusWatchCommand(world, options, &g_interrupted, terminal.color, io);
  }
  if (options.command == Command::kExec) {
    int code = RunExecCommand(world, options, scheduler, &g_interrupted, io);
    return g_interrupted.load() && code == kExitOk ? kExitInterrupted : code;
  }
  if (options.command == Command::kEvents) {
    return RunEventsCommand(world, options, &g_interrupted, io);
  }
  if (options.command == Command::kPlan) {
    int code = RunPlanCommand(world, options, scheduler,
                              {.table = terminal.is_tty, .color = terminal.color}, io);
    return g_interrupted.load() && code == kExitOk ? kExitInterrupted : code;
  }
  if (options.command == Command::kLock) return RunLock(world, options, io);
  if (options.command == Command::kSwarm) return RunSwarmLabel(world, options, io);
  // The deploy lock: held (and renewed) for the whole play, released on every way out of it
  // (errors, Ctrl-C); a maestro killed outright leaves a lease that expires by itself.
  std::unique_ptr<lock::DeployLock> deploy_lock;
  // rollback --dry-run only reads.
  if (TakesDeployLock(options.command) &&
      !(options.command == Command::kRollback && options.dry_run)) {
    if (!options.lock_wait) {
      absl::StatusOr<int> wait = LockWaitFromEnvironment(std::getenv("MAESTRO_LOCK_WAIT"));
      if (!wait.ok()) {
        std::fprintf(stderr, "maestro: error: %s\n", std::string(wait.status().message()).c_str());
        return kExitUsage;
      }
      options.lock_wait = *wait;
    }
    // `up` with nothing to do changes nothing: it needs no lock (lock_command.h).
    if (std::optional<int> done =
            RunUpIfNothingToDo(world, options, scheduler, terminal.color, io)) {
      return g_interrupted.load() && *done == kExitOk ? kExitInterrupted : *done;
    }
    absl::StatusOr<std::unique_ptr<lock::DeployLock>> taken =
        TakeDeployLock(world, options, CurrentHolder(options), &g_interrupted, io);
    if (!taken.ok()) {
      std::fprintf(stderr, "maestro: error: %s\n", std::string(taken.status().message()).c_str());
      return g_interrupted.load() ? kExitInterrupted : kExitFailed;
    }
    deploy_lock = std::move(*taken);
    if (deploy_lock != nullptr) {
      deploy_lock->StartRenewing([](const absl::Status& s) {
        std::fprintf(stderr, "maestro: warning: renewing the deploy lock: %s\n",
                     std::string(s.message()).c_str());
      });
    }
  }
  int code = options.command == Command::kUp
                 ? RunUpCommand(world, options, scheduler, terminal.color, io)
             : options.command == Command::kRollback
                 ? RunRollbackCommand(world, options, scheduler, terminal.color, io)
                 : RunPlayCommand(world, options, scheduler, terminal.color, io);
  if (deploy_lock != nullptr) {
    absl::Status released = deploy_lock->Release();
    if (!released.ok()) {
      std::fprintf(stderr,
                   "maestro: warning: could not release the deploy lock (it expires by itself): "
                   "%s\n",
                   std::string(released.message()).c_str());
    }
  }
  if (g_interrupted.load() && code == kExitOk) code = kExitInterrupted;
  return code;
}

}  // namespace
}  // namespace maestro::cli

int main(int argc, char** argv) {
  // No per-thread malloc caches (a re-exec, once), one malloc arena, the heap grown in 64 MiB
  // steps on huge pages (maestro/base/heap.h).
  maestro::ReexecWithoutThreadCaches(argv);
  maestro::TuneProcessHeap();
  return maestro::cli::Run(argc, argv);
}
