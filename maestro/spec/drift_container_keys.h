// Drift of the Compose-style container keys (model::ContainerOptions) but tmpfs (Diff compares
// the create body's HostConfig.Tmpfs, which also holds the secrets' mounts): the desired create
// body's fields against the container's inspect, with the daemon's normalisations undone (empty
// maps and lists come back as null; unset booleans and numbers as false/0). Keys whose default
// belongs to the image or the daemon (entrypoint, stop_signal, ipc, shm_size, pids_limit,
// mac_address) are compared only when the configuration sets them. Part of Diff (drift.h).
// Pure; safe from any thread.
#ifndef MAESTRO_SPEC_DRIFT_CONTAINER_KEYS_H_
#define MAESTRO_SPEC_DRIFT_CONTAINER_KEYS_H_

#include <vector>

#include "maestro/model/container_options.h"
#include "maestro/spec/drift.h"
#include "nlohmann/json.hpp"

namespace maestro::spec {

// `config` and `host_config` are the container inspect's Config and HostConfig.
std::vector<Difference> DiffContainerKeys(const model::ContainerOptions& desired,
                                          const nlohmann::json& config,
                                          const nlohmann::json& host_config);

}  // namespace maestro::spec

#endif  // MAESTRO_SPEC_DRIFT_CONTAINER_KEYS_H_
