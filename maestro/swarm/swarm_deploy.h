// `maestro export swarm --deploy STACK` and `maestro status --stack STACK` (docs/swarm.md):
// the stack deployed through a manager ship's Engine API, without the docker CLI, and the
// state of its tasks.
//
// DeployStack sends what service_spec.h builds from the StackModel (the one the stack file is
// written from): the stack's overlay networks, its secrets (created from the values read on
// this machine, named by their fingerprint since Swarm secrets are immutable) and one service
// per instance, created or updated with its version. A service whose spec hash label equals
// the new spec's is left alone, so a second deploy of an unchanged environment changes
// nothing. Secret values never appear in a line or an error.
//
// Thread-compatible: one call at a time per DockerClient.
#ifndef MAESTRO_SWARM_SWARM_DEPLOY_H_
#define MAESTRO_SWARM_SWARM_DEPLOY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/docker/docker_client.h"
#include "maestro/model/environment.h"
#include "maestro/swarm/node_labels.h"
#include "maestro/swarm/stack_export.h"

namespace maestro::swarm {

struct DeployReport {
  std::vector<std::string> lines;               // "service shop_web-1: created", ...
  int created = 0, updated = 0, unchanged = 0;  // objects of every kind
  std::string Summary(const std::string& stack) const;
};

// Deploys `model` as `stack` through `manager`. Fails with InvalidArgument for a stack name
// Swarm cannot take, FailedPrecondition for a secret whose value was not read or an external
// network that does not exist, and the manager's error (naming the object) otherwise; what
// was done before the failure is in the error's message.
absl::StatusOr<DeployReport> DeployStack(const model::Environment& env, const StackModel& model,
                                         const std::string& stack, docker::DockerClient& manager);

// One instance's service in a deployed stack, for `maestro status --stack`.
struct StackTaskStatus {
  std::string instance;
  std::string service;  // STACK_<instance>
  bool found = false;   // the service exists
  std::string state;    // the current task's Status.State ("" when it has no task)
  std::string desired_state;
  std::string node;     // "hostname (ship label)" or the node id
  std::string message;  // Status.Err, else Status.Message
};

// For each of `instances`, the newest task of STACK_<instance> (GET /tasks filtered by those
// services) and the node it is on.
absl::StatusOr<std::vector<StackTaskStatus>> StackStatus(const std::vector<std::string>& instances,
                                                         const std::string& stack,
                                                         const Manager& manager);

}  // namespace maestro::swarm

#endif  // MAESTRO_SWARM_SWARM_DEPLOY_H_
