#include "maestro/plays/convergence_gather.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "maestro/plays/plan.h"

namespace maestro::plays {
namespace {

void GatherShip(const PlayWorld& world, const std::string& ship_name,
                const std::vector<const model::Instance*>& instances, ShipLive& live) {
  const model::Ship* ship = world.env->FindShip(ship_name);
  if (ship == nullptr) {
    live.reachable = absl::NotFoundError(absl::StrCat("unknown ship ", ship_name));
    return;
  }
  absl::StatusOr<docker::DockerClient*> client = world.ships->Client(ship_name);
  if (!client.ok()) {
    live.reachable = client.status();
    return;
  }
  docker::DockerClient& docker = **client;
  absl::StatusOr<std::string> api = docker.ApiVersion();
  if (!api.ok()) {
    live.reachable = api.status();
    return;
  }
  live.api_version = *api;
  if (docker::CompareApiVersions(*api, kMinimumPlanApi) < 0) {
    live.reachable = absl::FailedPreconditionError(absl::StrCat(docker.Describe(), ": Docker API ",
                                                                *api, " is too old: labels need ",
                                                                kMinimumPlanApi, " or later"));
    return;
  }
  absl::StatusOr<std::vector<docker::ContainerSummary>> list = docker.ListContainers({.all = true});
  if (!list.ok()) {
    live.reachable = list.status();
    return;
  }
  live.containers = std::move(*list);
  std::map<std::string, const docker::ContainerSummary*> by_name;
  for (const docker::ContainerSummary& c : live.containers) {
    std::string name = docker::SummaryName(c);
    if (!name.empty()) by_name[name] = &c;
  }
  for (const model::Instance* inst : instances) {
    if (!live.images.count(inst->image)) {
      live.images.emplace(inst->image, docker.InspectImage(inst->image));
    }
    auto it = by_name.find(inst->name);
    if (it != by_name.end() && NeedsInspect(*inst, *ship, *it->second)) {
      live.inspected.emplace(inst->name, docker.InspectContainer(inst->name));
    }
  }
}

}  // namespace

std::map<std::string, ShipLive> GatherLiveState(const PlayWorld& world,
                                                const std::vector<std::string>& containers,
                                                const std::vector<std::string>& extra_ships,
                                                Scheduler& scheduler) {
  std::map<std::string, std::vector<const model::Instance*>> by_ship;
  for (const std::string& name : containers) {
    if (const model::Instance* inst = world.env->FindInstance(name)) {
      by_ship[inst->ship].push_back(inst);
    }
  }
  for (const std::string& ship : extra_ships) by_ship[ship];
  std::vector<std::string> ships;
  std::map<std::string, ShipLive> out;
  for (const auto& [ship, unused] : by_ship) {
    ships.push_back(ship);
    out[ship].reachable = absl::CancelledError(absl::StrCat(ship, ": not asked (interrupted)"));
  }
  std::vector<std::vector<size_t>> no_edges(ships.size());
  absl::StatusOr<Plan> plan = Plan::Create(no_edges);
  if (!plan.ok()) return out;
  // Each node writes only its own ship's entry; the map's shape is fixed before Run.
  scheduler.Run(*plan, [&](size_t node, const CancellationToken&) -> absl::Status {
    ShipLive& live = out.at(ships[node]);
    live.reachable = absl::OkStatus();
    GatherShip(world, ships[node], by_ship.at(ships[node]), live);
    return absl::OkStatus();
  });
  return out;
}

}  // namespace maestro::plays
