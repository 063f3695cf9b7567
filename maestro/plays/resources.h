// The networks and named volumes of an environment on its ships (docs/environment.md#networks):
// created idempotently before the first container that needs them, never re-created with
// other options (a difference is an error naming each one), and removed by
// `clean --networks` / `clean --volumes` only when they carry this environment's label and
// no container uses them.
//
// Thread-safety: the functions may run concurrently (two containers of one ship needing the
// same network): a create that loses the race (AlreadyExists) inspects and compares instead.
#ifndef MAESTRO_PLAYS_RESOURCES_H_
#define MAESTRO_PLAYS_RESOURCES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "maestro/docker/docker_client.h"
#include "maestro/model/environment.h"

namespace maestro::plays {

// Every network and named volume `instance` needs exists on `client`'s ship as configured:
// created when absent; FailedPrecondition listing the differences when one exists with other
// options; NotFound for an `external` one that is absent.
absl::Status EnsureResources(const model::Environment& env, const model::Instance& instance,
                             docker::DockerClient& client);

// Connects the container `id` to the instance's networks after the first (the primary one is
// joined at create), before it starts.
absl::Status ConnectSecondaryNetworks(const model::Instance& instance, docker::DockerClient& client,
                                      const std::string& id);

// The problems EnsureResources would report, without changing anything (plan's preflight):
// one message per network or volume that exists with other options, or external and absent.
std::vector<std::string> ResourceProblems(const model::Environment& env,
                                          const model::Instance& instance,
                                          docker::DockerClient& client);

struct CleanedResources {
  std::vector<std::string> removed;  // "network demo_backend", "volume demo_data"
  std::vector<std::string> kept;     // with the reason: "network demo_front (in use: ...)"
};

// Removes, on `client`'s ship, the networks (`networks`) and/or named volumes (`volumes`)
// labelled with `env`'s name that no container uses. External ones and anything without the
// label are never touched. An error only when the ship cannot be asked.
absl::StatusOr<CleanedResources> CleanResources(const model::Environment& env,
                                                docker::DockerClient& client, bool networks,
                                                bool volumes);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_RESOURCES_H_
