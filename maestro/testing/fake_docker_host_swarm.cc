// FakeDockerHost: a swarm manager's services, secrets, tasks and nodes.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/testing/fake_docker_host_internal.h"

namespace maestro::testing {

using fake_internal::LabelsMatch;
using nlohmann::json;

void FakeDockerHost::SetSwarmManager(bool manager) {
  std::lock_guard<std::mutex> lock(mu_);
  swarm_manager_ = manager;
}

void FakeDockerHost::AddSwarmNode(const std::string& id, const std::string& hostname,
                                  const std::string& addr,
                                  const std::map<std::string, std::string>& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  swarm_nodes_.push_back({{"ID", id},
                          {"Version", {{"Index", 1}}},
                          {"Description", {{"Hostname", hostname}}},
                          {"Status", {{"Addr", addr}, {"State", "ready"}}},
                          {"Spec", {{"Role", "manager"}, {"Labels", labels}}}});
}

std::optional<json> FakeDockerHost::SwarmServiceSpec(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = swarm_services_.find(name);
  if (it == swarm_services_.end()) return std::nullopt;
  return it->second["Spec"];
}

std::optional<std::string> FakeDockerHost::SwarmSecretValue(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = swarm_secret_values_.find(name);
  if (it == swarm_secret_values_.end()) return std::nullopt;
  return it->second;
}

absl::Status FakeDockerHost::SwarmManagerLocked(absl::string_view what) const {
  if (swarm_manager_) return absl::OkStatus();
  return Error(503, absl::StatusCode::kUnavailable, what,
               "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm "
               "join\" to connect this node to swarm and try again.");
}

// One running task for `service` on the node its constraint names (else the first node); the
// service's earlier tasks are shut down.
void FakeDockerHost::StartTaskLocked(const json& service) {
  const std::string service_id = service["ID"].get<std::string>();
  for (json& t : swarm_tasks_) {
    if (t["ServiceID"] == service_id) {
      t["DesiredState"] = "shutdown";
      t["Status"]["State"] = "shutdown";
    }
  }
  std::string node_id = swarm_nodes_.empty() ? "" : swarm_nodes_[0]["ID"].get<std::string>();
  const json constraints = service["Spec"]["TaskTemplate"]
                               .value("Placement", json::object())
                               .value("Constraints", json::array());
  for (const json& c : constraints) {
    const std::string text = c.get<std::string>();
    const std::string prefix = "node.labels.";
    const size_t eq = text.find(" == ");
    if (text.rfind(prefix, 0) != 0 || eq == std::string::npos) continue;
    const std::string key = text.substr(prefix.size(), eq - prefix.size());
    const std::string value = text.substr(eq + 4);
    for (const json& n : swarm_nodes_) {
      if (n["Spec"]["Labels"].value(key, "") == value) node_id = n["ID"].get<std::string>();
    }
  }
  const std::string id = absl::StrCat("task", swarm_tasks_.size() + 1);
  swarm_tasks_.push_back({{"ID", id},
                          {"ServiceID", service_id},
                          {"NodeID", node_id},
                          {"Slot", 1},
                          {"DesiredState", "running"},
                          {"Status",
                           {{"State", "running"},
                            {"Message", "started"},
                            {"Timestamp", "2026-01-01T00:00:00Z"},
                            {"ContainerStatus", {{"ContainerID", fake_internal::Hex64(id)}}}}}});
}

absl::StatusOr<std::vector<docker::SwarmNode>> FakeDockerHost::ListNodes() {
  MAESTRO_RETURN_IF_ERROR(Enter("ListNodes", "", "GET /nodes"));
  std::lock_guard<std::mutex> lock(mu_);
  MAESTRO_RETURN_IF_ERROR(SwarmManagerLocked("GET /nodes"));
  std::vector<docker::SwarmNode> out;
  for (const json& n : swarm_nodes_) out.push_back(docker::ParseSwarmNode(n));
  return out;
}

absl::StatusOr<std::vector<docker::ServiceInfo>> FakeDockerHost::ListServices(
    const std::vector<std::string>& labels) {
  MAESTRO_RETURN_IF_ERROR(Enter("ListServices", "", "GET /services"));
  std::lock_guard<std::mutex> lock(mu_);
  MAESTRO_RETURN_IF_ERROR(SwarmManagerLocked("GET /services"));
  std::vector<docker::ServiceInfo> out;
  for (const auto& [name, s] : swarm_services_) {
    if (LabelsMatch(s["Spec"], labels)) out.push_back(docker::ParseServiceInfo(s));
  }
  return out;
}

absl::StatusOr<std::string> FakeDockerHost::CreateService(const json& spec) {
  const std::string name = spec.is_object() ? spec.value("Name", "") : "";
  const std::string what = "POST /services/create";
  MAESTRO_RETURN_IF_ERROR(Enter("CreateService", name, what));
  std::lock_guard<std::mutex> lock(mu_);
  MAESTRO_RETURN_IF_ERROR(SwarmManagerLocked(what));
  if (name.empty()) return Error(400, absl::StatusCode::kInvalidArgument, what, "name is empty");
  if (swarm_services_.count(name)) {
    return Error(409, absl::StatusCode::kAlreadyExists, what,
                 absl::StrCat("rpc error: code = AlreadyExists desc = name conflicts with an "
                              "existing object: service ",
                              name, " already exists"));
  }
  json s = {{"ID", NewId(absl::StrCat("service/", name))},
            {"Version", {{"Index", ++swarm_version_}}},
            {"Spec", spec}};
  StartTaskLocked(s);
  const std::string id = s["ID"].get<std::string>();
  swarm_services_[name] = std::move(s);
  return id;
}

absl::Status FakeDockerHost::UpdateService(absl::string_view id, int64_t version,
                                           const json& spec) {
  const std::string what = absl::StrCat("POST /services/", id, "/update");
  MAESTRO_RETURN_IF_ERROR(Enter("UpdateService", id, what));
  std::lock_guard<std::mutex> lock(mu_);
  MAESTRO_RETURN_IF_ERROR(SwarmManagerLocked(what));
  for (auto& [name, s] : swarm_services_) {
    if (s["ID"] != std::string(id)) continue;
    if (s["Version"]["Index"].get<int64_t>() != version) {
      return Error(500, absl::StatusCode::kInternal, what,
                   "rpc error: code = Unknown desc = update out of sequence");
    }
    s["Version"]["Index"] = ++swarm_version_;
    s["Spec"] = spec;
    StartTaskLocked(s);
    return absl::OkStatus();
  }
  return Error(404, absl::StatusCode::kNotFound, what, absl::StrCat("service ", id, " not found"));
}

absl::StatusOr<std::vector<docker::SecretInfo>> FakeDockerHost::ListSecrets(
    const std::vector<std::string>& labels) {
  MAESTRO_RETURN_IF_ERROR(Enter("ListSecrets", "", "GET /secrets"));
  std::lock_guard<std::mutex> lock(mu_);
  MAESTRO_RETURN_IF_ERROR(SwarmManagerLocked("GET /secrets"));
  std::vector<docker::SecretInfo> out;
  for (const auto& [name, s] : swarm_secrets_) {
    if (LabelsMatch(s["Spec"], labels)) out.push_back(docker::ParseSecretInfo(s));
  }
  return out;
}

absl::StatusOr<std::string> FakeDockerHost::CreateSecret(const json& body) {
  const std::string name = body.is_object() ? body.value("Name", "") : "";
  const std::string what = "POST /secrets/create";
  MAESTRO_RETURN_IF_ERROR(Enter("CreateSecret", name, what));
  std::lock_guard<std::mutex> lock(mu_);
  MAESTRO_RETURN_IF_ERROR(SwarmManagerLocked(what));
  if (swarm_secrets_.count(name)) {
    return Error(
        409, absl::StatusCode::kAlreadyExists, what,
        absl::StrCat("rpc error: code = AlreadyExists desc = secret ", name, " already exists"));
  }
  std::string value;
  if (!absl::Base64Unescape(body.value("Data", ""), &value)) {
    return Error(400, absl::StatusCode::kInvalidArgument, what, "Data is not base64");
  }
  json spec = body;
  spec.erase("Data");  // as the daemon: GET /secrets never shows the value
  json s = {{"ID", NewId(absl::StrCat("secret/", name))}, {"Spec", spec}};
  const std::string id = s["ID"].get<std::string>();
  swarm_secrets_[name] = std::move(s);
  swarm_secret_values_[name] = std::move(value);
  return id;
}

absl::StatusOr<std::vector<docker::TaskInfo>> FakeDockerHost::ListTasks(
    const std::map<std::string, std::vector<std::string>>& filters) {
  MAESTRO_RETURN_IF_ERROR(Enter("ListTasks", "", "GET /tasks"));
  std::lock_guard<std::mutex> lock(mu_);
  MAESTRO_RETURN_IF_ERROR(SwarmManagerLocked("GET /tasks"));
  std::vector<docker::TaskInfo> out;
  auto services = filters.find("service");
  for (const json& t : swarm_tasks_) {
    if (services != filters.end()) {
      bool match = false;
      for (const auto& [name, s] : swarm_services_) {
        if (s["ID"] != t["ServiceID"]) continue;
        for (const std::string& want : services->second) match |= want == name || want == s["ID"];
      }
      if (!match) continue;
    }
    out.push_back(docker::ParseTaskInfo(t));
  }
  return out;
}

}  // namespace maestro::testing
