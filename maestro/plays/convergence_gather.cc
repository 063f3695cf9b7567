#include "maestro/plays/convergence_gather.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "maestro/docker/registry_auth.h"
#include "maestro/plays/plan.h"
#include "maestro/plays/plays_internal.h"
#include "maestro/plays/resources.h"

namespace maestro::plays {
namespace {

// The registry of an image repository, for messages: its host ("127.0.0.1:5000"), or
// "Docker Hub" for names without one.
std::string RegistryName(absl::string_view repository) {
  size_t slash = repository.find('/');
  if (slash != absl::string_view::npos) {
    absl::string_view first = repository.substr(0, slash);
    if (absl::StrContains(first, ".") || absl::StrContains(first, ":") || first == "localhost") {
      return std::string(first);
    }
  }
  return "Docker Hub";
}

// Asks the ship what the registry of `inst`'s image has, with the configured credentials.
ShipLive::RegistryAnswer AskRegistry(const PlayWorld& world, docker::DockerClient& docker,
                                     const std::string& api_version, const model::Instance& inst) {
  ShipLive::RegistryAnswer out;
  const std::string& repository = inst.image_details.repository;
  out.registry = RegistryName(repository);
  if (docker::CompareApiVersions(api_version, docker::DockerClient::kMinDistributionApi) < 0) {
    out.skipped = absl::StrCat("Docker API ", api_version, " is older than ",
                               docker::DockerClient::kMinDistributionApi);
    return out;
  }
  absl::StatusOr<docker::ImageAuth> found = docker::ResolveImageAuth(
      repository, internal::Registries(*world.env), world.docker_config, world.credential_helper);
  if (!found.ok()) {
    out.answer = found.status();
    return out;
  }
  std::string header;
  std::string secret;
  if (found->auth) {
    secret = found->auth->secret();
    header = docker::EncodeRegistryAuth(*found->auth);
  }
  // A digest reference is asked as written; a tag as repository:tag.
  std::string reference = absl::StrContains(inst.image, "@")
                              ? inst.image
                              : absl::StrCat(repository, ":", inst.image_details.tag);
  out.answer = docker.InspectDistribution(reference, header);
  if (!out.answer.ok() && !secret.empty()) {
    out.answer = docker::ScrubSecret(out.answer.status(), secret);
  }
  return out;
}

void GatherShip(const PlayWorld& world, const std::string& ship_name,
                const std::vector<const model::Instance*>& instances, bool refresh,
                ShipLive& live) {
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
      auto image = live.images.emplace(inst->image, docker.InspectImage(inst->image)).first;
      if (absl::IsNotFound(image->second.status()) || (refresh && image->second.ok())) {
        ShipLive::RegistryAnswer answer = AskRegistry(world, docker, live.api_version, *inst);
        if (answer.answer.ok() && !answer.answer->platforms.empty() && !live.version) {
          live.version = docker.Version();
        }
        live.registry.emplace(inst->image, std::move(answer));
      }
    }
    auto it = by_name.find(inst->name);
    if (it != by_name.end() && NeedsInspect(*inst, *ship, *it->second)) {
      live.inspected.emplace(inst->name, docker.InspectContainer(inst->name));
    }
    for (std::string& problem : ResourceProblems(*world.env, *inst, docker)) {
      if (std::find(live.resource_problems.begin(), live.resource_problems.end(), problem) ==
          live.resource_problems.end()) {
        live.resource_problems.push_back(std::move(problem));
      }
    }
  }
}

}  // namespace

std::map<std::string, ShipLive> GatherLiveState(const PlayWorld& world,
                                                const std::vector<std::string>& containers,
                                                const std::vector<std::string>& extra_ships,
                                                Scheduler& scheduler,
                                                const GatherOptions& options) {
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
    GatherShip(world, ships[node], by_ship.at(ships[node]), options.refresh, live);
    return absl::OkStatus();
  });
  return out;
}

}  // namespace maestro::plays
