#include "maestro/plays/plays_internal.h"

#include <set>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "maestro/graph/graph.h"

namespace maestro::plays::internal {

std::string ShortId(const std::string& id) { return id.empty() ? "-" : id.substr(0, 7); }

std::string TagOf(const std::string& image) { return model::ParseImageDetails(image).tag; }

std::string TagAndId(const std::string& image, const std::string& id) {
  return absl::StrCat(TagOf(image), ":", ShortId(id));
}

std::vector<std::vector<size_t>> Prerequisites(const model::Environment& env,
                                               const std::vector<std::string>& containers,
                                               bool forward) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < containers.size(); ++i) index.emplace(containers[i], i);
  std::vector<std::vector<size_t>> pre(containers.size());
  for (size_t i = 0; i < containers.size(); ++i) {
    for (const std::string& other : graph::ContainerClosure(env, containers[i], forward)) {
      auto it = index.find(other);
      if (it != index.end() && it->second != i) pre[i].push_back(it->second);
    }
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

}  // namespace maestro::plays::internal
