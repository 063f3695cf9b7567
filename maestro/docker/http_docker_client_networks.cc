// HttpDockerClient: networks and named volumes.
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/docker/http_docker_client.h"
#include "maestro/docker/http_docker_client_internal.h"

namespace maestro::docker {

using http_internal::BodyJson;
using http_internal::FiltersJson;
using http_internal::PathPart;
using nlohmann::json;

absl::StatusOr<std::vector<NetworkInfo>> HttpDockerClient::ListNetworks(
    const std::vector<std::string>& labels) {
  Call call;
  call.path = "/networks";
  if (!labels.empty()) call.query.emplace_back("filters", FiltersJson({{"label", labels}}));
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  std::vector<NetworkInfo> out;
  if (j.is_array()) {
    for (const json& n : j) out.push_back(ParseNetworkInfo(n));
  }
  return out;
}

absl::StatusOr<NetworkInfo> HttpDockerClient::InspectNetwork(absl::string_view name) {
  Call call;
  call.path = absl::StrCat("/networks/", PathPart(name));
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  return ParseNetworkInfo(j);
}

absl::StatusOr<std::string> HttpDockerClient::SwarmNodeState() {
  Call call;
  call.path = "/info";
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  if (!j.is_object()) return std::string();
  auto swarm = j.find("Swarm");
  if (swarm == j.end() || !swarm->is_object()) return std::string();
  auto state = swarm->find("LocalNodeState");
  return state != swarm->end() && state->is_string() ? state->get<std::string>() : std::string();
}

absl::StatusOr<std::string> HttpDockerClient::CreateNetwork(const json& body) {
  Call call;
  call.method = "POST";
  call.path = "/networks/create";
  std::string name = body.is_object() ? body.value("Name", "") : "";
  MAESTRO_ASSIGN_OR_RETURN(call.body,
                           BodyJson(body, absl::StrCat(Describe(), ": create network ", name)));
  call.conflict_code = absl::StatusCode::kAlreadyExists;
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call, Change()));
  return j.is_object() ? j.value("Id", "") : std::string();
}

absl::Status HttpDockerClient::ConnectNetwork(absl::string_view network,
                                              absl::string_view container, const json& endpoint) {
  Call call;
  call.method = "POST";
  call.path = absl::StrCat("/networks/", PathPart(network), "/connect");
  json body = {{"Container", std::string(container)}, {"EndpointConfig", endpoint}};
  MAESTRO_ASSIGN_OR_RETURN(call.body, BodyJson(body, absl::StrCat(Describe(), ": connect ",
                                                                  container, " to ", network)));
  return Do(call, Change()).status();
}

absl::Status HttpDockerClient::RemoveNetwork(absl::string_view id) {
  Call call;
  call.method = "DELETE";
  call.path = absl::StrCat("/networks/", PathPart(id));
  return Do(call, Change()).status();
}

absl::StatusOr<std::vector<VolumeInfo>> HttpDockerClient::ListVolumes(
    const std::vector<std::string>& labels) {
  Call call;
  call.path = "/volumes";
  if (!labels.empty()) call.query.emplace_back("filters", FiltersJson({{"label", labels}}));
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  std::vector<VolumeInfo> out;
  if (j.is_object() && j.contains("Volumes") && j["Volumes"].is_array()) {
    for (const json& v : j["Volumes"]) out.push_back(ParseVolumeInfo(v));
  }
  return out;
}

absl::StatusOr<VolumeInfo> HttpDockerClient::InspectVolume(absl::string_view name) {
  Call call;
  call.path = absl::StrCat("/volumes/", PathPart(name));
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  return ParseVolumeInfo(j);
}

absl::StatusOr<VolumeInfo> HttpDockerClient::CreateVolume(const json& body) {
  Call call;
  call.method = "POST";
  call.path = "/volumes/create";
  std::string name = body.is_object() ? body.value("Name", "") : "";
  MAESTRO_ASSIGN_OR_RETURN(call.body,
                           BodyJson(body, absl::StrCat(Describe(), ": create volume ", name)));
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call, Change()));
  return ParseVolumeInfo(j);
}

absl::Status HttpDockerClient::RemoveVolume(absl::string_view name) {
  Call call;
  call.method = "DELETE";
  call.path = absl::StrCat("/volumes/", PathPart(name));
  return Do(call, Change()).status();
}

}  // namespace maestro::docker
