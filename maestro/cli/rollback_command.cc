// `maestro rollback` (docs/usage.md#rollback): every named container is looked at first
// (plays::PlanRollback); one without a previous spec stops the command before anything is
// touched. Then what each one changes back is printed ("Rollback:" lines), and, unless
// --dry-run, plays::RunRollback applies it with the play output of the other commands. The
// deploy lock is taken by the caller (main.cc), except for --dry-run.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "maestro/cli/commands.h"
#include "maestro/plays/rollback.h"

namespace maestro::cli {

int RunRollbackCommand(const plays::PlayWorld& world_in, const Options& options,
                       plays::Scheduler& scheduler, bool color, const Streams& io) {
  if (options.things.empty()) {
    std::fprintf(io.err,
                 "maestro: error: rollback needs the services or containers to roll back\n");
    return kExitUsage;
  }
  absl::StatusOr<std::vector<std::string>> containers =
      ResolveCommandThings(*world_in.env, options);
  if (!containers.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n",
                 std::string(containers.status().message()).c_str());
    return kExitUsage;
  }
  absl::StatusOr<plays::RollbackPlan> plan = plays::PlanRollback(world_in, *containers);
  if (!plan.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n", std::string(plan.status().message()).c_str());
    return FinishOutput(io, kExitFailed);
  }
  const bool text = options.format == OutputFormat::kText;
  if (text) {
    std::fprintf(io.out, "Rollback:\n");
    for (const std::string& line : plays::DescribeRollback(*plan)) {
      std::fprintf(io.out, "  %s\n", line.c_str());
    }
  }
  if (options.dry_run) return FinishOutput(io, kExitOk);

  plays::PlayWorld world = world_in;
  std::unique_ptr<ui::ProgressSink> sink = MakePlaySink(options, color, io);
  world.sink = sink.get();
  plays::RollbackOptions rollback;
  rollback.ignore_dependencies = options.ignore_dependencies;
  plays::PlayReport report = plays::RunRollback(world, *plan, rollback, scheduler);
  int code = report.ExitCode();
  if (!report.timings.empty()) code = ReportTimings(report.timings, options, code, io);
  PrintPlayFailures(report, options, io);
  return FinishOutput(io, code);
}

}  // namespace maestro::cli
