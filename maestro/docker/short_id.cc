#include "maestro/docker/short_id.h"

#include "absl/strings/strip.h"

namespace maestro::docker {

std::string ShortId(absl::string_view id, size_t length, absl::string_view if_empty) {
  absl::ConsumePrefix(&id, "sha256:");
  if (id.empty()) return std::string(if_empty);
  return std::string(id.substr(0, length));
}

}  // namespace maestro::docker
