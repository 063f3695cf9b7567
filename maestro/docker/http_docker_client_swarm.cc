// HttpDockerClient: Swarm services, secrets and tasks (a manager's Engine API).
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/docker/http_docker_client.h"
#include "maestro/docker/http_docker_client_internal.h"

namespace maestro::docker {

using http_internal::BodyJson;
using http_internal::FiltersJson;
using http_internal::PathPart;
using nlohmann::json;

absl::StatusOr<std::vector<ServiceInfo>> HttpDockerClient::ListServices(
    const std::vector<std::string>& labels) {
  Call call;
  call.path = "/services";
  if (!labels.empty()) call.query.emplace_back("filters", FiltersJson({{"label", labels}}));
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  std::vector<ServiceInfo> out;
  if (j.is_array()) {
    for (const json& s : j) out.push_back(ParseServiceInfo(s));
  }
  return out;
}

absl::StatusOr<std::string> HttpDockerClient::CreateService(const json& spec) {
  Call call;
  call.method = "POST";
  call.path = "/services/create";
  const std::string name = spec.is_object() ? spec.value("Name", "") : "";
  MAESTRO_ASSIGN_OR_RETURN(call.body,
                           BodyJson(spec, absl::StrCat(Describe(), ": create service ", name)));
  call.conflict_code = absl::StatusCode::kAlreadyExists;
  call.what = absl::StrCat("create service ", name);
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call, Change()));
  return j.is_object() ? j.value("ID", "") : std::string();
}

absl::Status HttpDockerClient::UpdateService(absl::string_view id, int64_t version,
                                             const json& spec) {
  Call call;
  call.method = "POST";
  call.path = absl::StrCat("/services/", PathPart(id), "/update");
  call.query = {{"version", std::to_string(version)}};
  const std::string name = spec.is_object() ? spec.value("Name", "") : "";
  MAESTRO_ASSIGN_OR_RETURN(call.body,
                           BodyJson(spec, absl::StrCat(Describe(), ": update service ", name)));
  call.what = absl::StrCat("update service ", name);
  return Do(call, Change()).status();
}

absl::StatusOr<std::vector<SecretInfo>> HttpDockerClient::ListSecrets(
    const std::vector<std::string>& labels) {
  Call call;
  call.path = "/secrets";
  if (!labels.empty()) call.query.emplace_back("filters", FiltersJson({{"label", labels}}));
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  std::vector<SecretInfo> out;
  if (j.is_array()) {
    for (const json& s : j) out.push_back(ParseSecretInfo(s));
  }
  return out;
}

absl::StatusOr<std::string> HttpDockerClient::CreateSecret(const json& body) {
  Call call;
  call.method = "POST";
  call.path = "/secrets/create";
  const std::string name = body.is_object() ? body.value("Name", "") : "";
  // The body holds the value: its errors name the secret only.
  MAESTRO_ASSIGN_OR_RETURN(call.body,
                           BodyJson(body, absl::StrCat(Describe(), ": create secret ", name)));
  call.conflict_code = absl::StatusCode::kAlreadyExists;
  call.what = absl::StrCat("create secret ", name);
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call, Change()));
  return j.is_object() ? j.value("ID", "") : std::string();
}

absl::StatusOr<std::vector<TaskInfo>> HttpDockerClient::ListTasks(
    const std::map<std::string, std::vector<std::string>>& filters) {
  Call call;
  call.path = "/tasks";
  if (!filters.empty()) call.query.emplace_back("filters", FiltersJson(filters));
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  std::vector<TaskInfo> out;
  if (j.is_array()) {
    for (const json& t : j) out.push_back(ParseTaskInfo(t));
  }
  return out;
}

}  // namespace maestro::docker
