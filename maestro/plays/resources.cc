#include "maestro/plays/resources.h"

#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/spec/container_spec.h"
#include "maestro/spec/network_spec.h"

namespace maestro::plays {
namespace {

absl::Status Differs(const char* kind, const std::string& name, const std::string& daemon_name,
                     const std::string& ship, const std::vector<std::string>& differences) {
  return absl::FailedPreconditionError(
      absl::StrCat(kind, " ", name, " (", daemon_name, ") on ", ship,
                   " exists with other options than configured: ", absl::StrJoin(differences, "; "),
                   "; maestro never re-creates it: remove it (docker ", kind, " rm ", daemon_name,
                   ") once no container uses it, or change the configuration"));
}

// OK when the network exists as configured (or was created now).
absl::Status EnsureNetwork(const model::Environment& env, const model::Network& n,
                           docker::DockerClient& client, bool create) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<docker::NetworkInfo> existing = client.InspectNetwork(n.daemon_name);
    if (existing.ok()) {
      std::vector<std::string> differences = spec::NetworkDifferences(n, *existing);
      if (differences.empty()) return absl::OkStatus();
      return Differs("network", n.name, n.daemon_name, client.Describe(), differences);
    }
    if (!absl::IsNotFound(existing.status())) return existing.status();
    if (n.external) {
      return absl::NotFoundError(absl::StrCat("external network ", n.name, " (", n.daemon_name,
                                              ") does not exist on ", client.Describe(),
                                              ": maestro does not create external networks"));
    }
    if (!create) return absl::OkStatus();
    absl::StatusOr<std::string> created =
        client.CreateNetwork(spec::NetworkCreateBody(n, env.name));
    if (created.ok()) return absl::OkStatus();
    if (!absl::IsAlreadyExists(created.status())) return created.status();
    // Another worker (or run) created it meanwhile: compare with what it made.
  }
  return absl::OkStatus();
}

absl::Status EnsureVolume(const model::Environment& env, const model::NamedVolume& v,
                          docker::DockerClient& client, bool create) {
  absl::StatusOr<docker::VolumeInfo> existing = client.InspectVolume(v.daemon_name);
  if (existing.ok()) {
    std::vector<std::string> differences = spec::VolumeDifferences(v, *existing);
    if (differences.empty()) return absl::OkStatus();
    return Differs("volume", v.name, v.daemon_name, client.Describe(), differences);
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();
  if (v.external) {
    return absl::NotFoundError(absl::StrCat("external volume ", v.name, " (", v.daemon_name,
                                            ") does not exist on ", client.Describe(),
                                            ": maestro does not create external volumes"));
  }
  if (!create) return absl::OkStatus();
  // The daemon answers a create of an existing name with that volume: compare it too.
  absl::StatusOr<docker::VolumeInfo> created =
      client.CreateVolume(spec::VolumeCreateBody(v, env.name));
  if (!created.ok()) return created.status();
  std::vector<std::string> differences = spec::VolumeDifferences(v, *created);
  if (!differences.empty()) {
    return Differs("volume", v.name, v.daemon_name, client.Describe(), differences);
  }
  return absl::OkStatus();
}

// OK unless `instance` needs an overlay network and the ship is not an active swarm node
// (asked once, only when an overlay network is used).
absl::Status CheckOverlayNetworks(const model::Environment& env, const model::Instance& instance,
                                  docker::DockerClient& client) {
  std::optional<absl::StatusOr<std::string>> state;
  for (const model::Network* n : spec::NetworksUsed(env, instance)) {
    if (n->driver != "overlay") continue;
    if (!state) state = client.SwarmNodeState();
    if (!state->ok()) {
      return absl::Status(
          state->status().code(),
          absl::StrCat("network ", n->name, " (", n->daemon_name,
                       ") uses the overlay driver, but asking ", client.Describe(),
                       " whether it is a swarm node failed: ", state->status().message()));
    }
    if (**state != "active") {
      return absl::FailedPreconditionError(
          absl::StrCat("network ", n->name, " (", n->daemon_name, ") uses the overlay driver, but ",
                       client.Describe(), " is not an active swarm node (Swarm.LocalNodeState is '",
                       **state, "'): run docker swarm init or join there, or use another driver"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status EnsureResources(const model::Environment& env, const model::Instance& instance,
                             docker::DockerClient& client) {
  // One at a time in this process: the daemon's own duplicate check (CheckDuplicate) is racy,
  // and three instances starting side by side made three networks of one name, after which
  // every container using it fails ("network ... is ambiguous"). Creations are rare and quick;
  // other maestro runs on the environment are kept out by the deploy lock.
  static std::mutex* const mu = new std::mutex;
  std::lock_guard<std::mutex> lock(*mu);
  // Before creating anything.
  if (absl::Status s = CheckOverlayNetworks(env, instance, client); !s.ok()) return s;
  for (const model::Network* n : spec::NetworksUsed(env, instance)) {
    if (absl::Status s = EnsureNetwork(env, *n, client, true); !s.ok()) return s;
  }
  for (const model::NamedVolume* v : spec::VolumesUsed(env, instance)) {
    if (absl::Status s = EnsureVolume(env, *v, client, true); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ConnectSecondaryNetworks(const model::Instance& instance, docker::DockerClient& client,
                                      const std::string& id) {
  for (size_t i = 1; i < instance.networks.size(); ++i) {
    const model::NetworkAttachment& a = instance.networks[i];
    absl::Status s = client.ConnectNetwork(a.daemon_name, id, spec::EndpointConfig(a));
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("connecting ", instance.name, " to network ",
                                                 a.network, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> ResourceProblems(const model::Environment& env,
                                          const model::Instance& instance,
                                          docker::DockerClient& client) {
  std::vector<std::string> out;
  if (absl::Status s = CheckOverlayNetworks(env, instance, client); !s.ok()) {
    out.push_back(std::string(s.message()));
  }
  for (const model::Network* n : spec::NetworksUsed(env, instance)) {
    absl::Status s = EnsureNetwork(env, *n, client, false);
    if (!s.ok()) out.push_back(std::string(s.message()));
  }
  for (const model::NamedVolume* v : spec::VolumesUsed(env, instance)) {
    absl::Status s = EnsureVolume(env, *v, client, false);
    if (!s.ok()) out.push_back(std::string(s.message()));
  }
  return out;
}

absl::StatusOr<CleanedResources> CleanResources(const model::Environment& env,
                                                docker::DockerClient& client, bool networks,
                                                bool volumes) {
  CleanedResources out;
  const std::vector<std::string> label = {absl::StrCat(spec::kEnvironmentLabel, "=", env.name)};
  auto external = [&](const std::string& daemon_name, bool network) {
    if (network) {
      for (const model::Network& n : env.networks) {
        if (n.daemon_name == daemon_name && n.external) return true;
      }
    } else {
      for (const model::NamedVolume& v : env.volumes) {
        if (v.daemon_name == daemon_name && v.external) return true;
      }
    }
    return false;
  };
  if (networks) {
    absl::StatusOr<std::vector<docker::NetworkInfo>> list = client.ListNetworks(label);
    if (!list.ok()) return list.status();
    for (const docker::NetworkInfo& n : *list) {
      auto env_label = n.labels.find(spec::kEnvironmentLabel);
      if (env_label == n.labels.end() || env_label->second != env.name) continue;
      if (external(n.name, true)) continue;
      absl::Status removed = client.RemoveNetwork(n.id.empty() ? n.name : n.id);
      if (removed.ok() || absl::IsNotFound(removed)) {
        out.removed.push_back(absl::StrCat("network ", n.name));
      } else {
        out.kept.push_back(absl::StrCat("network ", n.name, " (", removed.message(), ")"));
      }
    }
  }
  if (volumes) {
    absl::StatusOr<std::vector<docker::VolumeInfo>> list = client.ListVolumes(label);
    if (!list.ok()) return list.status();
    for (const docker::VolumeInfo& v : *list) {
      auto env_label = v.labels.find(spec::kEnvironmentLabel);
      if (env_label == v.labels.end() || env_label->second != env.name) continue;
      if (external(v.name, false)) continue;
      absl::Status removed = client.RemoveVolume(v.name);
      if (removed.ok() || absl::IsNotFound(removed)) {
        out.removed.push_back(absl::StrCat("volume ", v.name));
      } else {
        out.kept.push_back(absl::StrCat("volume ", v.name, " (", removed.message(), ")"));
      }
    }
  }
  return out;
}

}  // namespace maestro::plays
