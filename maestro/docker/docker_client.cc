#include "maestro/docker/docker_client.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace maestro::docker {

absl::optional<int> HttpStatusOf(const absl::Status& status) {
  absl::optional<absl::Cord> p = status.GetPayload(kHttpStatusPayload);
  int code;
  if (p && absl::SimpleAtoi(std::string(*p), &code)) return code;
  return absl::nullopt;
}

void SetHttpStatus(absl::Status& status, int http_status) {
  status.SetPayload(kHttpStatusPayload, absl::Cord(std::to_string(http_status)));
}

absl::StatusCode CodeForHttp(int http_status, absl::StatusCode conflict) {
  switch (http_status) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
      return conflict;
    case 503:
      return absl::StatusCode::kUnavailable;
    default:
      break;
  }
  return http_status >= 500 ? absl::StatusCode::kInternal : absl::StatusCode::kUnknown;
}

const char* HttpReasonPhrase(int http_status) {
  switch (http_status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

absl::Status DockerClient::ImportImage(absl::string_view repo, absl::string_view tag,
                                       absl::string_view /*tar*/) {
  return absl::UnimplementedError(
      absl::StrCat(Describe(), ": importing an image (", repo, ":", tag, ") is not supported"));
}

absl::StatusOr<VersionInfo> DockerClient::Version() {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": GET /version is not supported"));
}

absl::StatusOr<DistributionInspect> DockerClient::InspectDistribution(
    absl::string_view image, absl::string_view /*registry_auth*/) {
  return absl::UnimplementedError(
      absl::StrCat(Describe(), ": asking the registry about ", image, " is not supported"));
}

absl::StatusOr<std::unique_ptr<ExecStream>> DockerClient::StartExecInteractive(
    absl::string_view exec_id, bool /*tty*/) {
  return absl::UnimplementedError(
      absl::StrCat(Describe(), ": an interactive exec (", exec_id, ") is not supported"));
}

absl::Status DockerClient::RenameContainer(absl::string_view id, absl::string_view new_name) {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": renaming a container (", id, " to ",
                                               new_name, ") is not supported"));
}

absl::Status DockerClient::ResizeExec(absl::string_view exec_id, int /*rows*/, int /*columns*/) {
  return absl::UnimplementedError(
      absl::StrCat(Describe(), ": resizing an exec (", exec_id, ") is not supported"));
}

absl::StatusOr<std::string> DockerClient::SwarmNodeState() {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": GET /info is not supported"));
}

absl::StatusOr<std::vector<SwarmNode>> DockerClient::ListNodes() {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": swarm nodes are not supported"));
}

absl::Status DockerClient::UpdateNode(absl::string_view id, int64_t /*version*/,
                                      const nlohmann::json& /*spec*/) {
  return absl::UnimplementedError(
      absl::StrCat(Describe(), ": updating swarm node ", id, " is not supported"));
}

absl::StatusOr<std::vector<ServiceInfo>> DockerClient::ListServices(
    const std::vector<std::string>& /*labels*/) {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": swarm services are not supported"));
}

absl::StatusOr<std::string> DockerClient::CreateService(const nlohmann::json& /*spec*/) {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": swarm services are not supported"));
}

absl::Status DockerClient::UpdateService(absl::string_view id, int64_t /*version*/,
                                         const nlohmann::json& /*spec*/) {
  return absl::UnimplementedError(
      absl::StrCat(Describe(), ": updating swarm service ", id, " is not supported"));
}

absl::StatusOr<std::vector<SecretInfo>> DockerClient::ListSecrets(
    const std::vector<std::string>& /*labels*/) {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": swarm secrets are not supported"));
}

absl::StatusOr<std::string> DockerClient::CreateSecret(const nlohmann::json& /*body*/) {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": swarm secrets are not supported"));
}

absl::StatusOr<std::vector<TaskInfo>> DockerClient::ListTasks(
    const std::map<std::string, std::vector<std::string>>& /*filters*/) {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": swarm tasks are not supported"));
}

absl::StatusOr<std::vector<NetworkInfo>> DockerClient::ListNetworks(
    const std::vector<std::string>& /*labels*/) {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": networks are not supported"));
}

absl::StatusOr<NetworkInfo> DockerClient::InspectNetwork(absl::string_view name) {
  return absl::UnimplementedError(
      absl::StrCat(Describe(), ": inspecting network ", name, " is not supported"));
}

absl::StatusOr<std::string> DockerClient::CreateNetwork(const nlohmann::json& /*body*/) {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": networks are not supported"));
}

absl::Status DockerClient::ConnectNetwork(absl::string_view network, absl::string_view /*c*/,
                                          const nlohmann::json& /*endpoint*/) {
  return absl::UnimplementedError(
      absl::StrCat(Describe(), ": connecting to network ", network, " is not supported"));
}

absl::Status DockerClient::RemoveNetwork(absl::string_view id) {
  return absl::UnimplementedError(
      absl::StrCat(Describe(), ": removing network ", id, " is not supported"));
}

absl::StatusOr<std::vector<VolumeInfo>> DockerClient::ListVolumes(
    const std::vector<std::string>& /*labels*/) {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": volumes are not supported"));
}

absl::StatusOr<VolumeInfo> DockerClient::InspectVolume(absl::string_view name) {
  return absl::UnimplementedError(
      absl::StrCat(Describe(), ": inspecting volume ", name, " is not supported"));
}

absl::StatusOr<VolumeInfo> DockerClient::CreateVolume(const nlohmann::json& /*body*/) {
  return absl::UnimplementedError(absl::StrCat(Describe(), ": volumes are not supported"));
}

absl::Status DockerClient::RemoveVolume(absl::string_view name) {
  return absl::UnimplementedError(
      absl::StrCat(Describe(), ": removing volume ", name, " is not supported"));
}

}  // namespace maestro::docker
