// `maestro export swarm` (docs/swarm.md): the stack file on stdout or -o FILE, one line per gap
// on stderr; and `maestro swarm label`.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include "maestro/cli/commands.h"
#include "maestro/swarm/node_labels.h"
#include "maestro/swarm/stack_export.h"

namespace maestro::cli {

int RunExport(const model::Environment& env, const Options& options, const Streams& io) {
  absl::StatusOr<std::vector<std::string>> containers = ResolveCommandThings(env, options);
  if (!containers.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n",
                 std::string(containers.status().message()).c_str());
    return kExitUsage;
  }
  swarm::ExportOptions export_options;
  export_options.placement =
      options.placement == "hostname" ? swarm::Placement::kHostname : swarm::Placement::kNodeLabel;
  export_options.relaxed_services =
      std::set<std::string>(options.relaxed_placement.begin(), options.relaxed_placement.end());
  export_options.strict = options.export_strict;
  absl::StatusOr<swarm::StackExport> stack =
      swarm::ExportSwarmStack(env, *containers, export_options);
  if (!stack.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n", std::string(stack.status().message()).c_str());
    return absl::IsInvalidArgument(stack.status()) ? kExitUsage : kExitFailed;
  }
  for (const swarm::Gap& gap : stack->gaps) {
    std::fprintf(io.err, "maestro: not exported: %s\n", gap.ToString().c_str());
  }
  if (options.export_out.empty() || options.export_out == "-") {
    std::fwrite(stack->yaml.data(), 1, stack->yaml.size(), io.out);
    return FinishOutput(io, kExitOk);
  }
  // Written next to the target and renamed over it: a failed export never leaves half a file.
  const std::string tmp = options.export_out + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  bool ok = f != nullptr;
  int err = errno;
  if (ok) {
    ok = std::fwrite(stack->yaml.data(), 1, stack->yaml.size(), f) == stack->yaml.size();
    err = errno;
    if (std::fclose(f) != 0 && ok) {
      ok = false;
      err = errno;
    }
  }
  if (ok && std::rename(tmp.c_str(), options.export_out.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    std::remove(tmp.c_str());
    std::fprintf(io.err, "maestro: error: cannot write %s: %s\n", options.export_out.c_str(),
                 std::strerror(err));
    return kExitFailed;
  }
  std::fprintf(io.err, "maestro: wrote %s (%zu services, %zu not exported)\n",
               options.export_out.c_str(), containers->size(), stack->gaps.size());
  return kExitOk;
}

int RunSwarmLabel(const plays::PlayWorld& world, const Options& /*options*/, const Streams& io) {
  absl::StatusOr<swarm::NodeLabelPlan> plan = swarm::LabelNodes(
      *world.env, [&](const std::string& ship) { return world.ships->Client(ship); });
  if (!plan.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n", std::string(plan.status().message()).c_str());
    return kExitFailed;
  }
  for (const swarm::NodeLabel& l : plan->labels) {
    std::fprintf(io.out, "%s: node %s %s %s=%s\n", l.ship.c_str(), l.node.c_str(),
                 l.already ? "already has" : "labelled", swarm::kShipNodeLabel, l.ship.c_str());
  }
  for (const std::string& p : plan->problems) {
    std::fprintf(io.err, "maestro: error: %s\n", p.c_str());
  }
  return FinishOutput(io, plan->problems.empty() ? kExitOk : kExitFailed);
}

}  // namespace maestro::cli
