// `maestro up` (docs/usage.md#up): the plan of `maestro plan` (or a saved one, checked again),
// refused when preflight found problems, then applied by plays::RunUp with the play output of
// the other commands. The deploy lock is taken by the caller (main.cc) before the plan is made,
// so a second `up` plans against what the first one left.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "maestro/base/read_file.h"
#include "maestro/cli/commands.h"
#include "maestro/plays/convergence.h"
#include "maestro/plays/convergence_output.h"
#include "maestro/plays/up.h"

namespace maestro::cli {
namespace {

// The saved plan of `--plan FILE`, checked against the ships and the file as they are now.
absl::StatusOr<plays::ConvergencePlan> SavedPlan(const plays::PlayWorld& world,
                                                 const std::string& path,
                                                 plays::Scheduler& scheduler) {
  absl::StatusOr<std::string> text = base::ReadRegularFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<plays::ConvergencePlan> saved = plays::LoadPlanFile(*text);
  if (!saved.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", saved.status().message()));
  }
  return plays::RecheckSavedPlan(world, *saved, scheduler);
}

}  // namespace

int RunUpCommand(const plays::PlayWorld& world_in, const Options& options,
                 plays::Scheduler& scheduler, bool color, const Streams& io) {
  const bool saved = !options.plan_in.empty();
  if (saved && (!options.things.empty() || !options.container_filter.empty() ||
                !options.ship_filter.empty() || options.with_dependencies)) {
    std::fprintf(io.err,
                 "maestro: error: up --plan FILE applies the saved plan's containers: it takes "
                 "no things, -C, -S or -d\n");
    return kExitUsage;
  }
  absl::StatusOr<plays::ConvergencePlan> plan =
      saved ? SavedPlan(world_in, options.plan_in, scheduler)
            : ComputeCommandPlan(world_in, options, scheduler);
  if (absl::IsCancelled(plan.status())) {
    std::fprintf(io.err, "maestro: %s; nothing was changed\n",
                 std::string(plan.status().message()).c_str());
    return FinishOutput(io, kExitInterrupted);
  }
  if (!plan.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n", std::string(plan.status().message()).c_str());
    return absl::IsInvalidArgument(plan.status()) && !saved ? kExitUsage : kExitFailed;
  }
  if (!plan->problems.empty()) {
    std::fprintf(io.err, "maestro: error: the plan has problems; nothing was changed:\n");
    for (const plays::PlanProblem& p : plan->problems) {
      std::fprintf(io.err, "  %s\n", p.message.c_str());
    }
    return FinishOutput(io, kExitFailed);
  }
  return ApplyUpPlan(world_in, options, *plan, scheduler, color, io);
}

int ApplyUpPlan(const plays::PlayWorld& world_in, const Options& options,
                const plays::ConvergencePlan& plan, plays::Scheduler& scheduler, bool color,
                const Streams& io) {
  plays::PlayWorld world = world_in;
  std::unique_ptr<ui::ProgressSink> sink = MakePlaySink(options, color, io);
  world.sink = sink.get();
  if (options.format == OutputFormat::kText) {
    std::fprintf(io.out, "Plan: %s.\n", plan.Summary().c_str());
    for (const std::string& rolling : plays::DescribeRollouts(plan)) {
      std::fprintf(io.out, "Rolling: %s.\n", rolling.c_str());
    }
  }
  plays::UpOptions up;
  up.ignore_dependencies = options.ignore_dependencies;
  up.remove_orphans = options.remove_orphans;
  plays::UpReport report = plays::RunUp(world, plan, up, scheduler);
  int code = report.play.ExitCode();
  if (!report.play.timings.empty()) code = ReportTimings(report.play.timings, options, code, io);
  PrintPlayFailures(report.play, options, io);
  for (const std::string& left : report.never_started) {
    std::fprintf(io.err, "maestro: warning: %s\n", left.c_str());
  }
  return FinishOutput(io, code);
}

}  // namespace maestro::cli
