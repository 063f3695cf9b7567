// `maestro export swarm` (docs/swarm.md): the stack file on stdout or -o FILE, one line per gap
// on stderr; and `maestro swarm label`.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include "maestro/cli/commands.h"
#include "maestro/swarm/node_labels.h"
#include "maestro/swarm/stack_export.h"
#include "maestro/swarm/swarm_deploy.h"

namespace maestro::cli {

namespace {

swarm::ExportOptions ExportOptionsOf(const Options& options) {
  swarm::ExportOptions export_options;
  export_options.placement =
      options.placement == "hostname" ? swarm::Placement::kHostname : swarm::Placement::kNodeLabel;
  export_options.relaxed_services =
      std::set<std::string>(options.relaxed_placement.begin(), options.relaxed_placement.end());
  export_options.strict = options.export_strict;
  return export_options;
}

int Error(const Streams& io, const absl::Status& s, int code) {
  std::fprintf(io.err, "maestro: error: %s\n", std::string(s.message()).c_str());
  return code;
}

// A bad file or option is a usage error; anything else (a ship, the manager) a failure.
int ExitCodeOf(const absl::Status& s) {
  return absl::IsInvalidArgument(s) ? kExitUsage : kExitFailed;
}

// The manager ship `--deploy` and `status --stack` talk to (`--manager SHIP`, or the first).
absl::StatusOr<swarm::Manager> ManagerOf(const plays::PlayWorld& world, const Options& options) {
  return swarm::FindManager(
      *world.env, [&](const std::string& ship) { return world.ships->Client(ship); },
      options.swarm_manager);
}

}  // namespace

int RunExport(const model::Environment& env, const Options& options, const Streams& io) {
  absl::StatusOr<std::vector<std::string>> containers = ResolveCommandThings(env, options);
  if (!containers.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n",
                 std::string(containers.status().message()).c_str());
    return kExitUsage;
  }
  const swarm::ExportOptions export_options = ExportOptionsOf(options);
  absl::StatusOr<swarm::StackExport> stack =
      swarm::ExportSwarmStack(env, *containers, export_options);
  if (!stack.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n", std::string(stack.status().message()).c_str());
    return ExitCodeOf(stack.status());
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

int RunExportDeploy(const plays::PlayWorld& world, const Options& options, const Streams& io) {
  const model::Environment& env = *world.env;
  absl::StatusOr<std::vector<std::string>> containers = ResolveCommandThings(env, options);
  if (!containers.ok()) return Error(io, containers.status(), kExitUsage);
  absl::StatusOr<swarm::StackModel> model =
      swarm::BuildStackModel(env, *containers, ExportOptionsOf(options));
  if (!model.ok()) {
    return Error(io, model.status(), ExitCodeOf(model.status()));
  }
  for (const swarm::Gap& gap : model->gaps) {
    std::fprintf(io.err, "maestro: not exported: %s\n", gap.ToString().c_str());
  }
  absl::StatusOr<swarm::Manager> manager = ManagerOf(world, options);
  if (!manager.ok()) return Error(io, manager.status(), ExitCodeOf(manager.status()));
  absl::StatusOr<swarm::DeployReport> report =
      swarm::DeployStack(env, *model, options.export_deploy, *manager->client);
  if (!report.ok()) {
    std::fprintf(io.err, "maestro: error: deploying stack %s through %s: %s\n",
                 options.export_deploy.c_str(), manager->ship.c_str(),
                 std::string(report.status().message()).c_str());
    return ExitCodeOf(report.status());
  }
  for (const std::string& line : report->lines) std::fprintf(io.out, "%s\n", line.c_str());
  std::fprintf(io.out, "%s (through %s)\n", report->Summary(options.export_deploy).c_str(),
               manager->ship.c_str());
  return FinishOutput(io, kExitOk);
}

int RunStackStatus(const plays::PlayWorld& world, const Options& options, const Streams& io) {
  const model::Environment& env = *world.env;
  absl::StatusOr<std::vector<std::string>> containers = ResolveCommandThings(env, options);
  if (!containers.ok()) return Error(io, containers.status(), kExitUsage);
  absl::StatusOr<swarm::Manager> manager = ManagerOf(world, options);
  if (!manager.ok()) return Error(io, manager.status(), ExitCodeOf(manager.status()));
  absl::StatusOr<std::vector<swarm::StackTaskStatus>> tasks =
      swarm::StackStatus(*containers, options.status_stack, *manager);
  if (!tasks.ok()) return Error(io, tasks.status(), kExitFailed);
  std::vector<std::vector<std::string>> rows = {
      {"INSTANCE", "SERVICE", "STATE", "NODE", "MESSAGE"}};
  for (const swarm::StackTaskStatus& t : *tasks) {
    std::string state = !t.found ? "absent" : t.state.empty() ? "no task" : t.state;
    if (t.found && !t.desired_state.empty() && t.desired_state != t.state) {
      state += " -> " + t.desired_state;
    }
    rows.push_back({t.instance, t.service, state, t.node, t.message});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(io.out, "%s\n", line.c_str());
  }
  return FinishOutput(io, kExitOk);  // as `status`: a state is an answer, not a failure
}

}  // namespace maestro::cli
