// `maestro export swarm` (docs/swarm.md): the environment as a Compose-format stack file
// (version 3.8, what `docker stack deploy -c` reads), one Swarm service per instance (replicas
// 1), pinned to its ship, with host-mode published ports, so every task keeps its ship's
// address and external port and sees exactly the environment `maestro start` injects.
//
// The stack is derived from spec::BuildCreateBody, the one home of "what a container is": every
// field of the create body is either mapped to its Compose key or reported as a Gap (one per
// instance and key, with what the export does instead). A body field this file does not know
// is a Gap too, so a container key added later is never dropped silently.
//
// Compose interpolates `$` in every value at deploy time: the writer doubles it, so a value
// reaches the task byte for byte.
//
// Pure functions over values; safe from any thread.
#ifndef MAESTRO_SWARM_STACK_EXPORT_H_
#define MAESTRO_SWARM_STACK_EXPORT_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/model/environment.h"

namespace maestro::swarm {

// How a service is pinned to its ship's node.
enum class Placement {
  kNodeLabel,  // node.labels.maestro.ship == SHIP (set with `maestro swarm label` or by hand)
  kHostname,   // node.hostname == SHIP's address as written (`ip`)
};

struct ExportOptions {
  Placement placement = Placement::kNodeLabel;
  // Services whose instances are not pinned: Swarm may reschedule them. Their peers then reach
  // them through Swarm DNS: in every exported container, `{S}_{C}_HOST` becomes the Swarm
  // service name and `{S}_{C}_{P}_PORT` the container port; their ports are published in
  // ingress mode. Every name must be a service of the environment.
  std::set<std::string> relaxed_services;
  // Gaps become an error (FailedPrecondition listing every one).
  bool strict = false;
};

// Something of an instance that has no Swarm equivalent, and what the export does instead.
struct Gap {
  std::string instance;
  std::string key;   // the environment file's key: "links", "privileged", "ports.admin", ...
  std::string note;  // "no Swarm equivalent; peers find each other through *_HOST variables"
  std::string ToString() const;  // "web-1: links: no Swarm equivalent; ..."
};

struct StackExport {
  std::string yaml;
  std::vector<Gap> gaps;  // in instance order
};

// The stack file for `containers` (instance names, in the order they are written). Fails with
// InvalidArgument for a relaxed service that does not exist or an instance name Swarm cannot
// take as a service name, and with FailedPrecondition under `strict` when there are gaps.
absl::StatusOr<StackExport> ExportSwarmStack(const model::Environment& env,
                                             const std::vector<std::string>& containers,
                                             const ExportOptions& options);

}  // namespace maestro::swarm

#endif  // MAESTRO_SWARM_STACK_EXPORT_H_
