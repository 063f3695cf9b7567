// FakeDockerHost: networks and named volumes.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/testing/fake_docker_host_internal.h"

namespace maestro::testing {

using fake_internal::LabelsMatch;
using nlohmann::json;

namespace {

std::string NetworkModeOf(const FakeContainer& c) {
  const json& hc = c.create_body.value("HostConfig", json::object());
  if (!hc.is_object() || !hc.contains("NetworkMode") || !hc["NetworkMode"].is_string()) return "";
  return hc["NetworkMode"].get<std::string>();
}

}  // namespace

const json* FakeDockerHost::FindNetworkLocked(absl::string_view name_or_id) const {
  auto it = networks_.find(std::string(name_or_id));
  if (it != networks_.end()) return &it->second;
  for (const auto& [name, n] : networks_) {
    if (!name_or_id.empty() && absl::StartsWith(n["Id"].get<std::string>(), name_or_id)) {
      return &n;
    }
  }
  return nullptr;
}

bool FakeDockerHost::NetworkInUseLocked(const std::string& name) const {
  for (const auto& [id, c] : containers_) {
    if (c.state != FakeContainerState::kRunning) continue;
    if (NetworkModeOf(c) == name || c.connected_networks.count(name)) return true;
  }
  return false;
}

std::vector<std::string> FakeDockerHost::ContainerNetworks(absl::string_view name_or_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  const Container* c = FindLocked(name_or_id);
  if (c == nullptr) return out;
  std::string mode = NetworkModeOf(*c);
  if (!mode.empty()) out.push_back(mode);
  for (const auto& [name, endpoint] : c->connected_networks) out.push_back(name);
  return out;
}

absl::StatusOr<std::vector<docker::NetworkInfo>> FakeDockerHost::ListNetworks(
    const std::vector<std::string>& labels) {
  MAESTRO_RETURN_IF_ERROR(Enter("ListNetworks", "", "GET /networks"));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<docker::NetworkInfo> out;
  for (const auto& [name, n] : networks_) {
    if (LabelsMatch(n, labels)) out.push_back(docker::ParseNetworkInfo(n));
  }
  return out;
}

absl::StatusOr<std::string> FakeDockerHost::SwarmNodeState() {
  MAESTRO_RETURN_IF_ERROR(Enter("SwarmNodeState", "", "GET /info"));
  std::lock_guard<std::mutex> lock(mu_);
  return swarm_node_state_;
}

absl::StatusOr<docker::NetworkInfo> FakeDockerHost::InspectNetwork(absl::string_view name) {
  std::string what = absl::StrCat("GET /networks/", name);
  MAESTRO_RETURN_IF_ERROR(Enter("InspectNetwork", name, what));
  std::lock_guard<std::mutex> lock(mu_);
  const json* n = FindNetworkLocked(name);
  if (n == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("network ", name, " not found"));
  }
  json answer = *n;
  json containers = json::object();
  for (const auto& [id, c] : containers_) {
    if (c.state != FakeContainerState::kRunning) continue;
    const std::string net = answer["Name"].get<std::string>();
    if (NetworkModeOf(c) == net || c.connected_networks.count(net)) {
      containers[id] = {{"Name", c.name}};
    }
  }
  answer["Containers"] = containers;
  return docker::ParseNetworkInfo(answer);
}

absl::StatusOr<std::string> FakeDockerHost::CreateNetwork(const json& body) {
  const std::string what = "POST /networks/create";
  std::string name = body.is_object() ? body.value("Name", "") : "";
  MAESTRO_RETURN_IF_ERROR(Enter("CreateNetwork", name, what));
  std::lock_guard<std::mutex> lock(mu_);
  if (name.empty()) return Error(400, absl::StatusCode::kInvalidArgument, what, "Name is required");
  if (networks_.count(name)) {
    return Error(409, absl::StatusCode::kAlreadyExists, what,
                 absl::StrCat("network with name ", name, " already exists"));
  }
  json n = {{"Name", name},
            {"Id", NewId(absl::StrCat("network/", name))},
            {"Driver", body.value("Driver", "bridge")},
            {"Internal", body.value("Internal", false)},
            {"Attachable", body.value("Attachable", false)},
            {"EnableIPv6", body.value("EnableIPv6", false)},
            {"Labels", body.value("Labels", json::object())},
            {"Options", body.value("Options", json::object())},
            {"IPAM", body.value("IPAM", json({{"Driver", "default"}, {"Config", json::array()}}))}};
  std::string id = n["Id"].get<std::string>();
  networks_[name] = std::move(n);
  return id;
}

absl::Status FakeDockerHost::ConnectNetwork(absl::string_view network, absl::string_view container,
                                            const json& endpoint) {
  std::string what = absl::StrCat("POST /networks/", network, "/connect");
  MAESTRO_RETURN_IF_ERROR(Enter("ConnectNetwork", container, what));
  std::lock_guard<std::mutex> lock(mu_);
  const json* n = FindNetworkLocked(network);
  if (n == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("network ", network, " not found"));
  }
  Container* c = FindLocked(container);
  if (c == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("No such container: ", container));
  }
  const std::string name = (*n)["Name"].get<std::string>();
  if (NetworkModeOf(*c) == name || c->connected_networks.count(name)) {
    return Error(403, absl::StatusCode::kPermissionDenied, what,
                 absl::StrCat("endpoint with name ", c->name, " already exists in network ", name));
  }
  c->connected_networks[name] = endpoint;
  return absl::OkStatus();
}

absl::Status FakeDockerHost::RemoveNetwork(absl::string_view id) {
  std::string what = absl::StrCat("DELETE /networks/", id);
  MAESTRO_RETURN_IF_ERROR(Enter("RemoveNetwork", id, what));
  std::lock_guard<std::mutex> lock(mu_);
  const json* n = FindNetworkLocked(id);
  if (n == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("network ", id, " not found"));
  }
  const std::string name = (*n)["Name"].get<std::string>();
  if (NetworkInUseLocked(name)) {
    return Error(403, absl::StatusCode::kPermissionDenied, what,
                 absl::StrCat("error while removing network: network ", name, " id ",
                              (*n)["Id"].get<std::string>(), " has active endpoints"));
  }
  networks_.erase(name);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<docker::VolumeInfo>> FakeDockerHost::ListVolumes(
    const std::vector<std::string>& labels) {
  MAESTRO_RETURN_IF_ERROR(Enter("ListVolumes", "", "GET /volumes"));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<docker::VolumeInfo> out;
  for (const auto& [name, v] : volumes_) {
    if (LabelsMatch(v, labels)) out.push_back(docker::ParseVolumeInfo(v));
  }
  return out;
}

absl::StatusOr<docker::VolumeInfo> FakeDockerHost::InspectVolume(absl::string_view name) {
  std::string what = absl::StrCat("GET /volumes/", name);
  MAESTRO_RETURN_IF_ERROR(Enter("InspectVolume", name, what));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = volumes_.find(std::string(name));
  if (it == volumes_.end()) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("get ", name, ": no such volume"));
  }
  return docker::ParseVolumeInfo(it->second);
}

absl::StatusOr<docker::VolumeInfo> FakeDockerHost::CreateVolume(const json& body) {
  const std::string what = "POST /volumes/create";
  std::string name = body.is_object() ? body.value("Name", "") : "";
  MAESTRO_RETURN_IF_ERROR(Enter("CreateVolume", name, what));
  std::lock_guard<std::mutex> lock(mu_);
  if (name.empty()) name = NewId("volume");
  auto it = volumes_.find(name);
  if (it == volumes_.end()) {
    json v = {{"Name", name},
              {"Driver", body.value("Driver", "local")},
              {"Labels", body.value("Labels", json::object())},
              {"Options", body.value("DriverOpts", json::object())},
              {"Mountpoint", absl::StrCat("/var/lib/docker/volumes/", name, "/_data")}};
    it = volumes_.emplace(name, std::move(v)).first;
  }
  return docker::ParseVolumeInfo(it->second);
}

absl::Status FakeDockerHost::RemoveVolume(absl::string_view name) {
  std::string what = absl::StrCat("DELETE /volumes/", name);
  MAESTRO_RETURN_IF_ERROR(Enter("RemoveVolume", name, what));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = volumes_.find(std::string(name));
  if (it == volumes_.end()) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("get ", name, ": no such volume"));
  }
  for (const auto& [id, c] : containers_) {
    const json& hc = c.create_body.value("HostConfig", json::object());
    const json& binds = hc.is_object() ? hc.value("Binds", json::array()) : json::array();
    for (const json& b : binds) {
      if (b.is_string() && absl::StartsWith(b.get<std::string>(), absl::StrCat(name, ":"))) {
        return Error(409, absl::StatusCode::kFailedPrecondition, what,
                     absl::StrCat("remove ", name, ": volume is in use - [", id, "]"));
      }
    }
  }
  volumes_.erase(it);
  return absl::OkStatus();
}

}  // namespace maestro::testing
