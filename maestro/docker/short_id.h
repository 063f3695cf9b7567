// How maestro shows a Docker object id (container, image, exec, node, lease) to people: the one
// place that shortens ids, so that messages and tables agree. Pure; thread-safe.
#ifndef MAESTRO_DOCKER_SHORT_ID_H_
#define MAESTRO_DOCKER_SHORT_ID_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace maestro::docker {

// Docker's own short form (docker ps, docker images).
inline constexpr size_t kDockerShortIdLength = 12;
// MaestroNG's status column and play messages.
inline constexpr size_t kMaestroShortIdLength = 7;

// `id` without "sha256:", its first `length` characters; `if_empty` when there is no id.
std::string ShortId(absl::string_view id, size_t length = kDockerShortIdLength,
                    absl::string_view if_empty = "");

}  // namespace maestro::docker

#endif  // MAESTRO_DOCKER_SHORT_ID_H_
