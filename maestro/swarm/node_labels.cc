#include "maestro/swarm/node_labels.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/docker/short_id.h"

namespace maestro::swarm {
namespace {

std::string DescribeNode(const docker::SwarmNode& n) {
  return absl::StrCat(docker::ShortId(n.id), " (", n.hostname, ", ", n.addr, ")");
}

}  // namespace

NodeLabelPlan PlanNodeLabels(const std::vector<model::Ship>& ships,
                             const std::vector<docker::SwarmNode>& nodes) {
  NodeLabelPlan plan;
  std::map<std::string, std::string> node_owner;  // node id -> ship that claimed it
  for (const model::Ship& ship : ships) {
    std::vector<const docker::SwarmNode*> by_addr, by_host;
    for (const docker::SwarmNode& n : nodes) {
      if (!n.addr.empty() && n.addr == ship.ip) by_addr.push_back(&n);
      if (!n.hostname.empty() && n.hostname == ship.ip) by_host.push_back(&n);
    }
    const std::vector<const docker::SwarmNode*>& found = by_addr.empty() ? by_host : by_addr;
    if (found.empty()) {
      plan.problems.push_back(
          absl::StrCat(ship.name, ": no swarm node has the address or hostname ", ship.ip));
      continue;
    }
    if (found.size() > 1) {
      std::vector<std::string> names;
      for (const docker::SwarmNode* n : found) names.push_back(DescribeNode(*n));
      plan.problems.push_back(absl::StrCat(ship.name, ": ", found.size(), " swarm nodes match ",
                                           ship.ip, " (", absl::StrJoin(names, ", "),
                                           "); label one by hand"));
      continue;
    }
    const docker::SwarmNode& n = *found[0];
    auto [it, fresh] = node_owner.emplace(n.id, ship.name);
    if (!fresh) {
      plan.problems.push_back(absl::StrCat(ship.name, ": node ", DescribeNode(n),
                                           " is already the node of ship ", it->second));
      continue;
    }
    auto label = n.labels.find(kShipNodeLabel);
    plan.labels.push_back(
        {ship.name, n.id, DescribeNode(n), label != n.labels.end() && label->second == ship.name});
  }
  return plan;
}

absl::StatusOr<Manager> FindManager(const model::Environment& env, const ClientForShip& client,
                                    const std::string& ship) {
  std::vector<std::string> tried;
  for (const model::Ship& s : env.ships) {
    if (!ship.empty() && s.name != ship) continue;
    absl::StatusOr<docker::DockerClient*> c = client(s.name);
    absl::StatusOr<std::vector<docker::SwarmNode>> nodes =
        c.ok() ? (*c)->ListNodes() : absl::StatusOr<std::vector<docker::SwarmNode>>(c.status());
    if (nodes.ok()) return Manager{s.name, *c, std::move(*nodes)};
    if (!ship.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ship ", ship, " is not a reachable swarm manager: ", nodes.status().message()));
    }
    tried.push_back(absl::StrCat(s.name, " (", nodes.status().message(), ")"));
  }
  if (!ship.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--manager: no ship ", ship));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("no ship is a reachable swarm manager: ", absl::StrJoin(tried, "; ")));
}

absl::StatusOr<NodeLabelPlan> LabelNodes(const model::Environment& env,
                                         const ClientForShip& client) {
  absl::StatusOr<Manager> found = FindManager(env, client);
  if (!found.ok()) return found.status();
  docker::DockerClient* manager = found->client;
  const std::vector<docker::SwarmNode>& nodes = found->nodes;
  NodeLabelPlan plan = PlanNodeLabels(env.ships, nodes);
  for (NodeLabel& l : plan.labels) {
    if (l.already) continue;
    for (const docker::SwarmNode& n : nodes) {
      if (n.id != l.node_id) continue;
      nlohmann::json spec = n.spec.is_object() ? n.spec : nlohmann::json::object();
      spec["Labels"][kShipNodeLabel] = l.ship;
      absl::Status s = manager->UpdateNode(n.id, n.version, spec);
      if (!s.ok()) {
        plan.problems.push_back(
            absl::StrCat(l.ship, ": labelling node ", l.node, ": ", s.message()));
        l.node_id.clear();
      }
    }
  }
  plan.labels.erase(std::remove_if(plan.labels.begin(), plan.labels.end(),
                                   [](const NodeLabel& l) { return l.node_id.empty(); }),
                    plan.labels.end());
  return plan;
}

}  // namespace maestro::swarm
