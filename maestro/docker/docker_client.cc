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

absl::Status DockerClient::ImportImage(absl::string_view repo, absl::string_view tag,
                                       absl::string_view /*tar*/) {
  return absl::UnimplementedError(
      absl::StrCat(Describe(), ": importing an image (", repo, ":", tag, ") is not supported"));
}

}  // namespace maestro::docker
