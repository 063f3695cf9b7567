// `maestro swarm label` (docs/swarm.md): label each Swarm node with the ship it is, so that the
// exported stack's placement constraints (`node.labels.maestro.ship == SHIP`) find it.
//
// A ship is matched to the node whose address (Status.Addr) is the ship's `ip`, or failing
// that whose hostname is; a ship that matches no node or several is reported, never guessed.
//
// PlanNodeLabels is pure; LabelNodes talks to the ships and is thread-compatible.
#ifndef MAESTRO_SWARM_NODE_LABELS_H_
#define MAESTRO_SWARM_NODE_LABELS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/docker/docker_client.h"
#include "maestro/model/environment.h"

namespace maestro::swarm {

inline constexpr char kShipNodeLabel[] = "maestro.ship";

struct NodeLabel {
  std::string ship;
  std::string node_id;
  std::string node;      // "abc123def456 (hostname, 10.0.0.1)"
  bool already = false;  // the node carries the label with this value already
};

struct NodeLabelPlan {
  std::vector<NodeLabel> labels;      // in ship order
  std::vector<std::string> problems;  // "ship2: no swarm node has address or hostname 10.0.0.2"
};

NodeLabelPlan PlanNodeLabels(const std::vector<model::Ship>& ships,
                             const std::vector<docker::SwarmNode>& nodes);

using ClientForShip = std::function<absl::StatusOr<docker::DockerClient*>(const std::string&)>;

struct Manager {
  std::string ship;
  docker::DockerClient* client = nullptr;
  std::vector<docker::SwarmNode> nodes;
};

// The ship `ship` when given (FailedPrecondition naming it when it is not a reachable swarm
// manager), else the first ship in file order that is one (FailedPrecondition listing why
// each one is not).
absl::StatusOr<Manager> FindManager(const model::Environment& env, const ClientForShip& client,
                                    const std::string& ship = "");

// Finds a manager among the ships (in file order; workers and unreachable ships are skipped),
// lists its nodes, and sets the label on every matched node that lacks it (the node's spec is
// sent back whole, with its version). Fails when no ship is a reachable swarm manager.
absl::StatusOr<NodeLabelPlan> LabelNodes(const model::Environment& env,
                                         const ClientForShip& client);

}  // namespace maestro::swarm

#endif  // MAESTRO_SWARM_NODE_LABELS_H_
