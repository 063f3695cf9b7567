#include "maestro/swarm/service_spec.h"

#include <cinttypes>
#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace maestro::swarm {
namespace {

using nlohmann::json;

constexpr char kDefaultNetwork[] = "default";

json Object(const std::vector<std::pair<std::string, std::string>>& pairs) {
  json out = json::object();
  for (const auto& [k, v] : pairs) out[k] = v;
  return out;
}

std::string Lookup(const std::map<std::string, std::string>& ids, const std::string& name) {
  auto it = ids.find(name);
  return it == ids.end() ? name : it->second;
}

// FNV-1a, 64 bits, of the spec's canonical JSON (keys sorted): stable on every machine.
std::string Hash(const json& spec) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : spec.dump(-1, ' ', false, json::error_handler_t::replace)) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char out[24];
  std::snprintf(out, sizeof(out), "v1:%016" PRIx64, h);
  return out;
}

// Compose's extra_hosts "host:ip" as the Engine's "ip host" (what `docker stack deploy` sends).
std::vector<std::string> Hosts(const std::vector<std::string>& extra_hosts) {
  std::vector<std::string> out;
  for (const std::string& e : extra_hosts) {
    const size_t colon = e.find(':');
    out.push_back(colon == std::string::npos
                      ? e
                      : absl::StrCat(e.substr(colon + 1), " ", e.substr(0, colon)));
  }
  return out;
}

json ContainerSpec(const std::string& stack, const SwarmService& s,
                   const std::map<std::string, std::string>& secret_ids, const StackModel& model) {
  json c = json::object();
  c["Image"] = s.image;
  json labels = Object(s.labels);
  labels[kStackNamespaceLabel] = stack;
  c["Labels"] = labels;
  // Compose's `entrypoint` is the Engine's Command, its `command` the Args.
  if (s.entrypoint) c["Command"] = *s.entrypoint;
  if (s.command) c["Args"] = *s.command;
  if (s.hostname) c["Hostname"] = *s.hostname;
  if (!s.env.empty()) c["Env"] = s.env;
  if (s.working_dir) c["Dir"] = *s.working_dir;
  if (s.user) c["User"] = *s.user;
  if (s.tty) c["TTY"] = *s.tty;
  if (s.stdin_open) c["OpenStdin"] = *s.stdin_open;
  if (s.read_only) c["ReadOnly"] = *s.read_only;
  if (s.init) c["Init"] = *s.init;
  if (s.stop_signal) c["StopSignal"] = *s.stop_signal;
  c["StopGracePeriod"] = s.stop_grace_seconds * 1000000000LL;
  if (!s.sysctls.empty()) c["Sysctls"] = Object(s.sysctls);
  if (s.cap_add) c["CapabilityAdd"] = *s.cap_add;
  if (s.cap_drop) c["CapabilityDrop"] = *s.cap_drop;
  if (s.extra_hosts) c["Hosts"] = Hosts(*s.extra_hosts);
  if (s.dns) c["DNSConfig"] = {{"Nameservers", *s.dns}};
  if (!s.mounts.empty()) {
    json mounts = json::array();
    for (const SwarmMount& m : s.mounts) {
      json j = {{"Type", m.type}, {"Target", m.target}};
      if (!m.source.empty()) j["Source"] = m.source;
      if (m.read_only) j["ReadOnly"] = true;
      if (!m.propagation.empty()) j["BindOptions"] = {{"Propagation", m.propagation}};
      if (m.tmpfs_size) j["TmpfsOptions"] = {{"SizeBytes", *m.tmpfs_size}};
      mounts.push_back(std::move(j));
    }
    c["Mounts"] = mounts;
  }
  if (s.healthcheck) {
    const model::Healthcheck& h = *s.healthcheck;
    json hc = json::object();
    if (!h.test.empty()) hc["Test"] = h.test;
    if (!h.disabled()) {
      for (const auto& [value, key] : std::vector<std::pair<std::optional<int64_t>, const char*>>{
               {h.interval_ns, "Interval"},
               {h.timeout_ns, "Timeout"},
               {h.start_period_ns, "StartPeriod"}}) {
        if (value && *value > 0) hc[key] = *value;
      }
      if (h.retries) hc["Retries"] = *h.retries;
    }
    c["Healthcheck"] = hc;
  }
  if (!s.secrets.empty()) {
    json secrets = json::array();
    for (const SwarmSecretRef& r : s.secrets) {
      std::string name = r.key;
      for (const StackSecret& ss : model.secrets) {
        if (ss.key == r.key) name = ss.name;
      }
      secrets.push_back({{"File",
                          {{"Name", r.target},
                           {"UID", r.uid ? std::to_string(*r.uid) : "0"},
                           {"GID", r.gid ? std::to_string(*r.gid) : "0"},
                           {"Mode", r.mode}}},
                         {"SecretID", Lookup(secret_ids, name)},
                         {"SecretName", name}});
    }
    c["Secrets"] = secrets;
  }
  return c;
}

}  // namespace

std::string StackNetworkName(const std::string& stack, const StackNetwork& network) {
  if (network.external) return network.name;
  return absl::StrCat(stack, "_", network.key);
}

json ServiceSpec(const std::string& stack, const StackModel& model, const SwarmService& s,
                 const std::map<std::string, std::string>& network_ids,
                 const std::map<std::string, std::string>& secret_ids) {
  json task = json::object();
  task["ContainerSpec"] = ContainerSpec(stack, s, secret_ids, model);
  json resources = json::object();
  if (s.memory_limit) resources["Limits"] = {{"MemoryBytes", *s.memory_limit}};
  if (s.memory_reservation) resources["Reservations"] = {{"MemoryBytes", *s.memory_reservation}};
  task["Resources"] = resources;
  if (!s.restart_condition.empty()) {
    json restart = {{"Condition", s.restart_condition}};
    if (s.max_attempts > 0) restart["MaxAttempts"] = s.max_attempts;
    task["RestartPolicy"] = restart;
  }
  json placement = json::object();
  if (s.constraint) placement["Constraints"] = {*s.constraint};
  task["Placement"] = placement;
  if (s.log_driver) {
    task["LogDriver"] = {{"Name", *s.log_driver}, {"Options", Object(s.log_options)}};
  }
  // Every network but the host's gives the service its short name as an alias, as
  // `docker stack deploy` does: peers find it by the instance name.
  json networks = json::array();
  auto attach = [&](const std::string& name, std::vector<std::string> aliases, bool host) {
    json n = {{"Target", Lookup(network_ids, name)}};
    if (!host) {
      aliases.insert(aliases.begin(), s.name);
      n["Aliases"] = aliases;
    }
    networks.push_back(std::move(n));
  };
  if (s.networks.empty()) {
    attach(absl::StrCat(stack, "_", kDefaultNetwork), {}, false);
  }
  for (const SwarmNetworkRef& ref : s.networks) {
    for (const StackNetwork& n : model.networks) {
      if (n.key != ref.key) continue;
      attach(StackNetworkName(stack, n), ref.aliases, n.name == "host" && n.external);
    }
  }
  task["Networks"] = networks;

  json spec = json::object();
  spec["Name"] = absl::StrCat(stack, "_", s.name);
  json labels = Object(s.deploy_labels);
  labels[kStackNamespaceLabel] = stack;
  labels["com.docker.stack.image"] = s.image;
  spec["Labels"] = labels;
  spec["TaskTemplate"] = task;
  spec["Mode"] = {{"Replicated", {{"Replicas", 1}}}};
  json ports = json::array();
  for (const SwarmPort& p : s.ports) {
    ports.push_back({{"Protocol", p.protocol},
                     {"TargetPort", p.target},
                     {"PublishedPort", p.published},
                     {"PublishMode", p.host_mode ? "host" : "ingress"}});
  }
  spec["EndpointSpec"] = {{"Mode", "vip"}, {"Ports", ports}};
  spec["Labels"][kSwarmSpecHashLabel] = Hash(spec);
  return spec;
}

json NetworkCreateBody(const std::string& stack, const StackNetwork* network) {
  json body = {{"Driver", "overlay"}, {"CheckDuplicate", true}};
  json labels = json::object();
  if (network == nullptr) {
    body["Name"] = absl::StrCat(stack, "_", kDefaultNetwork);
  } else {
    body["Name"] = StackNetworkName(stack, *network);
    if (network->attachable) body["Attachable"] = true;
    if (network->internal) body["Internal"] = true;
    if (!network->driver_opts.empty()) body["Options"] = Object(network->driver_opts);
    if (!network->subnet.empty()) {
      body["IPAM"] = {{"Driver", "default"}, {"Config", {{{"Subnet", network->subnet}}}}};
    }
    labels = Object(network->labels);
  }
  labels[kStackNamespaceLabel] = stack;
  body["Labels"] = labels;
  return body;
}

}  // namespace maestro::swarm
