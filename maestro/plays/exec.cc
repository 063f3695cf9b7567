#include "maestro/plays/exec.h"

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "maestro/plays/plan.h"

namespace maestro::plays {

std::vector<ExecResult> RunExec(const PlayWorld& world, const ExecRequest& request,
                                Scheduler& scheduler, const ExecOutput& output) {
  std::vector<ExecResult> results(request.containers.size());
  std::mutex output_mu;
  auto work = [&](size_t i, const CancellationToken& cancel) -> absl::Status {
    ExecResult& result = results[i];
    const model::Instance* inst = world.env->FindInstance(request.containers[i]);
    result.instance = request.containers[i];
    if (inst == nullptr) {
      result.error = "not a container of this environment";
      return absl::NotFoundError(result.error);
    }
    result.ship = inst->ship;
    absl::StatusOr<docker::DockerClient*> client = world.ships->Client(inst->ship);
    absl::StatusOr<std::string> exec =
        client.ok() ? (*client)->CreateExec(inst->name, {.cmd = request.command})
                    : absl::StatusOr<std::string>(client.status());
    if (!exec.ok()) {
      result.error = std::string(exec.status().message());
      return exec.status();
    }
    // Per stream: the start of a line not yet ended.
    std::string pending[2];
    auto flush = [&](docker::StdStream stream, absl::string_view piece) {
      std::lock_guard<std::mutex> lock(output_mu);
      output(inst->name, inst->ship, stream, piece);
    };
    auto on_output = [&](docker::StdStream stream, absl::string_view data) {
      std::string& buf = pending[stream == docker::StdStream::kStderr ? 1 : 0];
      while (!data.empty()) {
        size_t nl = data.find('\n');
        size_t take = nl == absl::string_view::npos ? data.size() : nl + 1;
        take = std::min(take, request.max_line - buf.size());  // buf stays below max_line
        buf.append(data.data(), take);
        data.remove_prefix(take);
        if (buf.back() == '\n' || buf.size() >= request.max_line) {
          flush(stream, buf);
          buf.clear();
        }
      }
      return true;
    };
    absl::Status started = (*client)->StartExec(*exec, /*tty=*/false, on_output, cancel.flag());
    for (int s = 0; s < 2; ++s) {
      if (!pending[s].empty()) {
        flush(s == 1 ? docker::StdStream::kStderr : docker::StdStream::kStdout, pending[s]);
      }
    }
    if (cancel.cancelled()) {
      result.cancelled = true;
      return absl::CancelledError("interrupted");
    }
    if (!started.ok()) {
      result.error = std::string(started.message());
      return started;
    }
    absl::StatusOr<docker::ExecInspect> inspect = (*client)->InspectExec(*exec);
    if (!inspect.ok()) {
      result.error = std::string(inspect.status().message());
      return inspect.status();
    }
    if (inspect->exit_code) result.exit_code = *inspect->exit_code;
    if (!result.exit_code) result.error = "the command is still running";
    return absl::OkStatus();
  };
  std::vector<std::vector<size_t>> no_edges(request.containers.size());
  absl::StatusOr<Plan> plan = Plan::Create(no_edges);
  if (plan.ok()) {
    std::vector<NodeResult> nodes = scheduler.Run(*plan, work);
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].state == NodeState::kCancelled) {
        results[i].instance = request.containers[i];
        results[i].cancelled = true;
      }
    }
  }
  return results;
}

int ExecExitCode(const std::vector<ExecResult>& results) {
  bool failed = false;
  for (const ExecResult& r : results) {
    if (r.cancelled) return 130;
    failed = failed || !r.exit_code || *r.exit_code != 0;
  }
  return failed ? 1 : 0;
}

}  // namespace maestro::plays
