#include "maestro/swarm/swarm_deploy.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/docker/short_id.h"
#include "maestro/swarm/node_labels.h"
#include "maestro/swarm/service_spec.h"

namespace maestro::swarm {
namespace {

using nlohmann::json;

// What `docker stack deploy` accepts as a namespace.
bool ValidStackName(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// The report so far, appended to a failure, so the user sees what was already done.
absl::Status Failed(const absl::Status& s, const DeployReport& report) {
  if (report.lines.empty()) return s;
  return absl::Status(
      s.code(),
      absl::StrCat(s.message(), "\n(done before: ", absl::StrJoin(report.lines, "; "), ")"));
}

}  // namespace

std::string DeployReport::Summary(const std::string& stack) const {
  if (created == 0 && updated == 0) {
    return absl::StrCat("stack ", stack, ": nothing changed (", unchanged,
                        " objects already as the environment says)");
  }
  return absl::StrCat("stack ", stack, ": ", created, " created, ", updated, " updated, ",
                      unchanged, " unchanged");
}

absl::StatusOr<DeployReport> DeployStack(const model::Environment& env, const StackModel& model,
                                         const std::string& stack, docker::DockerClient& manager) {
  if (!ValidStackName(stack)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--deploy: '", stack,
                     "' is not a valid stack name (letters, digits, '-', '_', '.', at most 63)"));
  }
  for (const SwarmService& s : model.services) {
    if (stack.size() + 1 + s.name.size() > 63) {
      return absl::InvalidArgumentError(absl::StrCat("--deploy: the service name ", stack, "_",
                                                     s.name, " is longer than 63 characters"));
    }
  }
  DeployReport report;
  const std::string ns = absl::StrCat(kStackNamespaceLabel, "=", stack);

  // Networks: the stack's own are created once (a network cannot be updated); external ones
  // must exist.
  absl::StatusOr<std::vector<docker::NetworkInfo>> existing = manager.ListNetworks({ns});
  if (!existing.ok()) return existing.status();
  std::map<std::string, std::string> network_ids;
  for (const docker::NetworkInfo& n : *existing) network_ids[n.name] = n.id;
  auto ensure_network = [&](const StackNetwork* n) -> absl::Status {
    const json body = NetworkCreateBody(stack, n);
    const std::string name = body["Name"].get<std::string>();
    if (network_ids.count(name) > 0) {
      ++report.unchanged;
      return absl::OkStatus();
    }
    absl::StatusOr<std::string> id = manager.CreateNetwork(body);
    if (!id.ok()) return id.status();
    network_ids[name] = *id;
    report.lines.push_back(absl::StrCat("network ", name, ": created"));
    ++report.created;
    return absl::OkStatus();
  };
  if (model.uses_default_network) {
    if (absl::Status s = ensure_network(nullptr); !s.ok()) return Failed(s, report);
  }
  for (const StackNetwork& n : model.networks) {
    if (!n.external) {
      if (absl::Status s = ensure_network(&n); !s.ok()) return Failed(s, report);
      continue;
    }
    absl::StatusOr<docker::NetworkInfo> found = manager.InspectNetwork(n.name);
    if (!found.ok()) {
      return Failed(absl::FailedPreconditionError(
                        absl::StrCat("network ", n.key, ": the external network ", n.name,
                                     " is not on the swarm: ", found.status().message())),
                    report);
    }
    network_ids[n.name] = found->id;
  }

  // Secrets: immutable, named by the value's fingerprint; an existing name holds this value.
  std::map<std::string, std::string> secret_ids;
  if (!model.secrets.empty()) {
    absl::StatusOr<std::vector<docker::SecretInfo>> secrets = manager.ListSecrets({});
    if (!secrets.ok()) return Failed(secrets.status(), report);
    for (const docker::SecretInfo& s : *secrets) secret_ids[s.name] = s.id;
  }
  for (const StackSecret& s : model.secrets) {
    if (secret_ids.count(s.name) > 0) {
      ++report.unchanged;
      continue;
    }
    const model::Secret* secret = env.FindSecret(s.key);
    if (secret == nullptr || !secret->value) {
      return Failed(absl::FailedPreconditionError(
                        absl::StrCat("secret ", s.key, ": its value was not read on this machine")),
                    report);
    }
    json body = {{"Name", s.name},
                 {"Labels",
                  {{kStackNamespaceLabel, stack},
                   {"maestro.environment", env.name},
                   {"maestro.secret", s.key}}},
                 {"Data", absl::Base64Escape(*secret->value)}};
    absl::StatusOr<std::string> id = manager.CreateSecret(body);
    if (!id.ok()) return Failed(id.status(), report);
    secret_ids[s.name] = *id;
    report.lines.push_back(absl::StrCat("secret ", s.name, ": created"));
    ++report.created;
  }

  // Services: created, updated with their version, or left alone when the hash matches.
  absl::StatusOr<std::vector<docker::ServiceInfo>> services = manager.ListServices({ns});
  if (!services.ok()) return Failed(services.status(), report);
  std::map<std::string, const docker::ServiceInfo*> by_name;
  for (const docker::ServiceInfo& s : *services) by_name[s.name] = &s;
  for (const SwarmService& s : model.services) {
    const json spec = ServiceSpec(stack, model, s, network_ids, secret_ids);
    const std::string name = spec["Name"].get<std::string>();
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      absl::StatusOr<std::string> id = manager.CreateService(spec);
      if (!id.ok()) return Failed(id.status(), report);
      report.lines.push_back(absl::StrCat("service ", name, ": created"));
      ++report.created;
      continue;
    }
    const docker::ServiceInfo& old = *it->second;
    auto hash = old.labels.find(kSwarmSpecHashLabel);
    if (hash != old.labels.end() && hash->second == spec["Labels"][kSwarmSpecHashLabel]) {
      ++report.unchanged;
      continue;
    }
    if (absl::Status u = manager.UpdateService(old.id, old.version, spec); !u.ok()) {
      return Failed(u, report);
    }
    report.lines.push_back(absl::StrCat("service ", name, ": updated"));
    ++report.updated;
  }
  return report;
}

absl::StatusOr<std::vector<StackTaskStatus>> StackStatus(const std::vector<std::string>& instances,
                                                         const std::string& stack,
                                                         const Manager& manager) {
  const std::string ns = absl::StrCat(kStackNamespaceLabel, "=", stack);
  absl::StatusOr<std::vector<docker::ServiceInfo>> services = manager.client->ListServices({ns});
  if (!services.ok()) return services.status();
  std::map<std::string, std::string> id_of;  // service name -> id
  for (const docker::ServiceInfo& s : *services) id_of[s.name] = s.id;
  std::vector<std::string> names;
  for (const std::string& i : instances) {
    const std::string name = absl::StrCat(stack, "_", i);
    if (id_of.count(name) > 0) names.push_back(name);
  }
  std::vector<docker::TaskInfo> tasks;
  if (!names.empty()) {
    absl::StatusOr<std::vector<docker::TaskInfo>> listed =
        manager.client->ListTasks({{"service", names}});
    if (!listed.ok()) return listed.status();
    tasks = std::move(*listed);
  }
  std::map<std::string, std::string> node_name;
  for (const docker::SwarmNode& n : manager.nodes) {
    auto ship = n.labels.find(kShipNodeLabel);
    node_name[n.id] = ship == n.labels.end()
                          ? absl::StrCat(n.hostname, " (", docker::ShortId(n.id), ")")
                          : absl::StrCat(n.hostname, " (", kShipNodeLabel, "=", ship->second, ")");
  }
  std::vector<StackTaskStatus> out;
  for (const std::string& i : instances) {
    StackTaskStatus st;
    st.instance = i;
    st.service = absl::StrCat(stack, "_", i);
    auto id = id_of.find(st.service);
    st.found = id != id_of.end();
    // The current task: the one meant to run, else the newest.
    const docker::TaskInfo* best = nullptr;
    for (const docker::TaskInfo& t : tasks) {
      if (!st.found || t.service_id != id->second) continue;
      const bool wanted = t.desired_state == "running";
      const bool best_wanted = best != nullptr && best->desired_state == "running";
      if (best == nullptr || (wanted && !best_wanted) ||
          (wanted == best_wanted && t.timestamp > best->timestamp)) {
        best = &t;
      }
    }
    if (best != nullptr) {
      st.state = best->state;
      st.desired_state = best->desired_state;
      auto n = node_name.find(best->node_id);
      st.node = n != node_name.end() ? n->second : best->node_id;
      st.message = best->error.empty() ? best->message : best->error;
    }
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace maestro::swarm
