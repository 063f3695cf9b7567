// `maestro plan` (docs/usage.md#plan): gathers each ship's live state, computes the
// convergence plan and prints it (table on a terminal, plain lines otherwise, or JSON), and
// saves it with -o.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "maestro/cli/commands.h"
#include "maestro/graph/fnmatch.h"
#include "maestro/plays/convergence.h"
#include "maestro/plays/convergence_gather.h"
#include "maestro/plays/convergence_output.h"

namespace maestro::cli {
namespace {

// Writes `text` to `path`; an error names the file and the reason.
absl::Status WriteFile(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", strerror(errno)));
  }
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  int err = errno;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path, ": ", strerror(err != 0 ? err : errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<plays::ConvergencePlan> ComputeCommandPlan(
    const plays::PlayWorld& world, const Options& options, plays::Scheduler& scheduler,
    std::map<std::string, plays::ShipLive>* live_out) {
  absl::StatusOr<std::vector<std::string>> containers = ResolveCommandThings(*world.env, options);
  if (!containers.ok()) return absl::InvalidArgumentError(containers.status().message());
  // The whole environment in scope: also look for orphans, on every ship -S lets through.
  plays::PlanScope scope;
  scope.refresh = options.refresh;
  scope.orphans = options.things.empty() && options.container_filter.empty();
  if (scope.orphans) {
    for (const model::Ship& ship : world.env->ships) {
      if (options.ship_filter.empty() || graph::FnMatch(ship.name, options.ship_filter)) {
        scope.orphan_ships.push_back(ship.name);
      }
    }
  }
  std::map<std::string, plays::ShipLive> live = plays::GatherLiveState(
      world, *containers, scope.orphan_ships, scheduler, {.refresh = options.refresh});
  if (scheduler.cancelled()) return absl::CancelledError("interrupted: no plan");
  plays::ConvergencePlan plan = plays::ComputeConvergencePlan(*world.env, *containers, live, scope);
  if (live_out != nullptr) *live_out = std::move(live);
  return plan;
}

int RunPlanCommand(const plays::PlayWorld& world, const Options& options,
                   plays::Scheduler& scheduler, const PlanOutput& output, const Streams& io) {
  absl::StatusOr<plays::ConvergencePlan> computed = ComputeCommandPlan(world, options, scheduler);
  if (absl::IsCancelled(computed.status())) {
    std::fprintf(io.err, "maestro: %s\n", std::string(computed.status().message()).c_str());
    return FinishOutput(io, kExitInterrupted);
  }
  if (!computed.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n", std::string(computed.status().message()).c_str());
    return kExitUsage;
  }
  const plays::ConvergencePlan& plan = *computed;
  if (options.format == OutputFormat::kJson) {
    std::fputs(plays::PlanJsonText(plan).c_str(), io.out);
  } else {
    std::fputs(plays::RenderPlanText(plan, {.table = output.table, .color = output.color}).c_str(),
               io.out);
  }
  int code = plan.ExitCode(options.detailed_exitcode);
  if (!options.plan_out.empty()) {
    absl::Status saved = WriteFile(options.plan_out, plays::SavePlanFile(plan));
    if (!saved.ok()) {
      std::fprintf(io.err, "maestro: error: %s\n", std::string(saved.message()).c_str());
      code = kExitFailed;
    }
  }
  return FinishOutput(io, code);
}

}  // namespace maestro::cli
