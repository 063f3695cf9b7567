// The commands of the maestro CLI, one function each, over a loaded environment. Each returns
// the process exit code (docs/usage.md): 0 success, 1 an operation failed, 2 usage or
// configuration error, 130 interrupted. Output goes to the given streams; nothing here calls
// exit().
#ifndef MAESTRO_CLI_COMMANDS_H_
#define MAESTRO_CLI_COMMANDS_H_

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/cli/options.h"
#include "maestro/model/environment.h"
#include "maestro/plays/convergence.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/scheduler.h"
#include "maestro/plays/world.h"
#include "maestro/ui/progress.h"
#include "maestro/ui/timings.h"

namespace maestro::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

struct Streams {
  FILE* out = stdout;
  FILE* err = stderr;
};

// Applies the thing defaults (docs/usage.md#which-containers-thing-expansion: no things = every
// service, omitted ones excluded except for status; dependencies included unless -i) and resolves
// the things to an ordered container list, with -C/-S applied to dependencies too.
absl::StatusOr<std::vector<std::string>> ResolveCommandThings(const model::Environment& env,
                                                              const Options& options);

// The words `maestro complete` prints for the tokens typed so far. `env` may be null (no
// loadable environment): then only commands and flags are offered.
std::vector<std::string> Completions(const model::Environment* env,
                                     const std::vector<std::string>& tokens);

// Flushes `io.out` and checks that every write to it succeeded (a full disk, a closed pipe):
// on failure prints "maestro: error: cannot write the output: ..." to io.err and returns
// kExitFailed when `code` was kExitOk; otherwise returns `code`. Every command ends with it.
int FinishOutput(const Streams& io, int code);

int RunDeptree(const model::Environment& env, const Options& options, const Streams& io);
int RunDump(const model::Environment& env, const Options& options, const Streams& io);
// `maestro export swarm` (export_command.cc, docs/swarm.md).
int RunExport(const model::Environment& env, const Options& options, const Streams& io);
// `maestro swarm label` (export_command.cc, docs/swarm.md).
int RunSwarmLabel(const plays::PlayWorld& world, const Options& options, const Streams& io);
// `maestro export swarm --deploy STACK` and `maestro status --stack STACK` (docs/swarm.md).
int RunExportDeploy(const plays::PlayWorld& world, const Options& options, const Streams& io);
int RunStackStatus(const plays::PlayWorld& world, const Options& options, const Streams& io);

// The progress output of a play: JSON (--format json) or the table / plain lines.
std::unique_ptr<ui::ProgressSink> MakePlaySink(const Options& options, bool color,
                                               const Streams& io);
// After a failed or interrupted play, on text output: "Failed start: 1 of 3 container(s) did
// not complete:" and each one's reason, to io.err.
void PrintPlayFailures(const plays::PlayReport& report, const Options& options, const Streams& io);

// After a play that records timings: the summary (or with --timings the full report) on a
// text output, and the --timeline chart. Returns `code`, or 1 when the chart cannot be written.
int ReportTimings(const ui::PlayTimings& timings, const Options& options, int code,
                  const Streams& io);

// Every play (status, start, stop, kill, restart, pull, clean) through `world`.
int RunPlayCommand(const plays::PlayWorld& world, const Options& options,
                   plays::Scheduler& scheduler, bool color, const Streams& io);

// How `plan` prints on text output: a table (a terminal) or plain lines, with colours or not.
struct PlanOutput {
  bool table = false;
  bool color = false;
};

// The convergence plan of the things `options` names (orphans looked for when the whole
// environment is in scope, on every ship -S lets through): InvalidArgument for things that do
// not resolve, Cancelled when the scheduler was cancelled.
// With `live`, the ships' live state the plan was made from is moved there (up looks for a
// deploy lease in the list answers: RunUpIfNothingToDo).
absl::StatusOr<plays::ConvergencePlan> ComputeCommandPlan(
    const plays::PlayWorld& world, const Options& options, plays::Scheduler& scheduler,
    std::map<std::string, plays::ShipLive>* live = nullptr);

// plan [things] (docs/usage.md#plan): 0, or 2 with --detailed-exitcode when there are changes;
// 1 when preflight found problems or -o could not be written.
int RunPlanCommand(const plays::PlayWorld& world, const Options& options,
                   plays::Scheduler& scheduler, const PlanOutput& output, const Streams& io);

// up [things] (docs/usage.md#up): computes the plan (or, with --plan FILE, checks the saved
// one is still current), refuses a plan with problems (1, nothing touched), applies it and
// reports containers left created but never started. 0, 1 failed, 130 interrupted.
// `maestro rollback` (rollback_command.cc, docs/usage.md#rollback).
int RunRollbackCommand(const plays::PlayWorld& world, const Options& options,
                       plays::Scheduler& scheduler, bool color, const Streams& io);
int RunUpCommand(const plays::PlayWorld& world, const Options& options, plays::Scheduler& scheduler,
                 bool color, const Streams& io);
// The second half of RunUpCommand: applies a computed plan without problems and reports it.
int ApplyUpPlan(const plays::PlayWorld& world, const Options& options,
                const plays::ConvergencePlan& plan, plays::Scheduler& scheduler, bool color,
                const Streams& io);

// logs [options] [things] (docs/usage.md#logs): one container alone as MaestroNG shows it,
// several (or merged-only flags) through RunMergedLogs (logs_command.h). `cancel` ends a
// follow; `color` colours the merged prefixes.
int RunLogs(const plays::PlayWorld& world, const Options& options, const std::atomic<bool>* cancel,
            const Streams& io, bool color = false);

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_COMMANDS_H_
