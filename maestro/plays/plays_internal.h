// Helpers shared by the play implementations (not part of the public API).
#ifndef MAESTRO_PLAYS_PLAYS_INTERNAL_H_
#define MAESTRO_PLAYS_PLAYS_INTERNAL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "maestro/docker/docker_client.h"
#include "maestro/model/environment.h"
#include "maestro/plays/plan.h"

namespace maestro::plays::internal {

// First 7 characters of a container id ("-" when empty).
std::string ShortId(const std::string& id);
// The tag part of an image reference ("latest" when none).
std::string TagOf(const std::string& image);
// "{tag}:{id7}" for a row's container column.
std::string TagAndId(const std::string& image, const std::string& id);

// prerequisites[i] for the containers of a play: forward plays wait for the containers each
// one depends on; reverse plays (stop, kill) wait for their dependents. Only edges between
// containers of the play count, transitively through containers outside it.
std::vector<std::vector<size_t>> Prerequisites(const model::Environment& env,
                                               const std::vector<std::string>& containers,
                                               bool forward);

// Whether the daemon will start this stopped container again by itself: its restart policy is
// always or unless-stopped, or on-failure after a failure with retries left.
bool DaemonWillRestart(const docker::ContainerInspect& c);

// The last `lines` lines of a container's output, for error messages ("" on failure).
std::string LogsTail(docker::DockerClient& client, const std::string& id, int lines);

}  // namespace maestro::plays::internal

#endif  // MAESTRO_PLAYS_PLAYS_INTERNAL_H_
