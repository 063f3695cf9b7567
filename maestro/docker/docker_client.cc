#include "maestro/docker/docker_client.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"

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

}  // namespace maestro::docker
