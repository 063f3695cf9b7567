// Helpers shared by HttpDockerClient's source files (http_docker_client*.cc); not for other
// users. Pure functions: thread-safe.
#ifndef MAESTRO_DOCKER_HTTP_DOCKER_CLIENT_INTERNAL_H_
#define MAESTRO_DOCKER_HTTP_DOCKER_CLIENT_INTERNAL_H_

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace maestro::docker::http_internal {

// `s` percent-escaped for a URL path ('/', ':' and '@' kept).
std::string PathPart(absl::string_view s);
// A request body as JSON text. Text that is not UTF-8 (an env value read from a file in another
// encoding) is an error naming the request (`what`), never an exception.
absl::StatusOr<std::string> BodyJson(const nlohmann::json& body, absl::string_view what);
// The `filters` query parameter: {"label": ["a=b"]} as JSON.
std::string FiltersJson(const std::map<std::string, std::vector<std::string>>& filters);

}  // namespace maestro::docker::http_internal

#endif  // MAESTRO_DOCKER_HTTP_DOCKER_CLIENT_INTERNAL_H_
