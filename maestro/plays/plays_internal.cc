#include "maestro/plays/plays_internal.h"

#include <set>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "maestro/graph/container_graph.h"
#include "maestro/graph/graph.h"

namespace maestro::plays::internal {

using ui::Tone;

std::string TagOf(const std::string& image) { return model::ParseImageDetails(image).tag; }

std::string TagAndId(const std::string& image, const std::string& id) {
  return absl::StrCat(TagOf(image), ":", ShortId(id));
}

NodeLists Prerequisites(const model::Environment& env, const std::vector<std::string>& containers,
                        bool forward) {
  return Prerequisites(graph::ContainerGraph(env), containers, forward);
}

NodeLists Prerequisites(const graph::ContainerGraph& graph,
                        const std::vector<std::string>& containers, bool forward) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < containers.size(); ++i) index.emplace(containers[i], i);
  NodeLists pre(containers.size());
  std::vector<size_t> list;
  for (size_t i = 0; i < containers.size(); ++i) {
    list.clear();
    for (const std::string& other : graph.Closure(containers[i], forward)) {
      auto it = index.find(other);
      if (it != index.end() && it->second != i) list.push_back(it->second);
    }
    pre.Set(i, list);  // the instances of one service share one row
  }
  return pre;
}

std::string LogsTail(docker::DockerClient& client, const std::string& id, int lines) {
  docker::LogsOptions options;
  options.tail = std::to_string(lines);
  std::string out;
  absl::Status status = client.Logs(id, options, [&](docker::StdStream, absl::string_view data) {
    if (out.size() < 64 * 1024) out.append(data.data(), data.size());
    return true;
  });
  if (!status.ok()) return "";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

bool DaemonWillRestart(const docker::ContainerInspect& c) {
  if (!c.host_config.is_object()) return false;
  auto policy = c.host_config.find("RestartPolicy");
  if (policy == c.host_config.end() || !policy->is_object()) return false;
  const std::string name = policy->value("Name", "");
  if (name == "always" || name == "unless-stopped") return true;
  if (name != "on-failure" || c.state.exit_code == 0) return false;
  const int max = policy->value("MaximumRetryCount", 0);
  return max <= 0 || c.restart_count < max;
}

std::vector<size_t> Identity(size_t n) {
  std::vector<size_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

absl::Status FailRow(PlayRunner& run, size_t row, const std::string& state, absl::Status error) {
  run.sink().State(row, state, Tone::kBad);
  return error;
}

absl::StatusOr<docker::DockerClient*> ClientFor(PlayRunner& run, const Target& t) {
  if (t.instance == nullptr || t.ship == nullptr) {
    return absl::InternalError("container is not in the environment");
  }
  absl::StatusOr<docker::DockerClient*> client = run.world().ships->Client(t.ship->name);
  if (!client.ok()) {
    run.sink().Container(t.row, "-", Tone::kNeutral);
    run.sink().State(t.row, "host down", Tone::kBad);
  }
  return client;
}

absl::StatusOr<std::optional<docker::ContainerInspect>> InspectOrAbsent(
    docker::DockerClient& client, const std::string& name) {
  absl::StatusOr<docker::ContainerInspect> inspect = client.InspectContainer(name);
  if (inspect.ok()) return std::optional<docker::ContainerInspect>(*std::move(inspect));
  if (absl::IsNotFound(inspect.status())) return std::optional<docker::ContainerInspect>();
  return inspect.status();
}

std::function<bool()> RunningCondition(docker::DockerClient& client, const std::string& name,
                                       bool want_running) {
  return [&client, name, want_running]() {
    absl::StatusOr<docker::ContainerInspect> inspect = client.InspectContainer(name);
    // A daemon that does not answer (restarting, a network blip) says nothing about the
    // container: keep going and let the checks' own deadlines decide.
    if (!inspect.ok() && !absl::IsNotFound(inspect.status())) return true;
    bool running = inspect.ok() && inspect->state.running;
    // A daemon that shuts down (restart, upgrade) stops its containers and still answers on
    // kept-alive connections for a moment: a container it will start again is not dead yet.
    // The checks' own deadlines still bound the wait.
    if (want_running && !running && inspect.ok() && internal::DaemonWillRestart(*inspect)) {
      return true;
    }
    return running == want_running;
  };
}

}  // namespace maestro::plays::internal
