#include "maestro/swarm/stack_export.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "maestro/model/env_contract.h"
#include "maestro/spec/container_spec.h"
#include "nlohmann/json.hpp"

namespace maestro::swarm {
namespace {

using nlohmann::json;

// The API version the body is built for: Swarm needs a modern daemon anyway.
constexpr char kApiVersion[] = "1.41";
constexpr char kShipLabel[] = "maestro.ship";

// Swarm service names: what `docker service create --name` accepts for a stack's services.
bool ValidServiceName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// The values peers see for relaxed instances: {S}_{C}_HOST -> the Swarm service name,
// {S}_{C}_{P}_PORT -> the container port.
std::map<std::string, std::string> RelaxedRewrites(const model::Environment& env,
                                                   const std::set<std::string>& relaxed) {
  std::map<std::string, std::string> out;
  for (const model::Instance& i : env.instances) {
    if (relaxed.count(i.service) == 0) continue;
    out[env_contract::HostVar(i.service, i.name)] = i.name;
    for (const model::Port& p : i.ports) {
      out[env_contract::PortVar(i.service, i.name, p.name)] = std::to_string(p.exposed.first);
    }
  }
  return out;
}

std::vector<std::string> Strings(const json& v) { return v.get<std::vector<std::string>>(); }

// Maps one instance's create body (spec::BuildCreateBody) onto a SwarmService, field by field;
// what has no mapping is a Gap.
class InstanceExporter {
 public:
  InstanceExporter(const model::Environment& env, const model::Instance& instance,
                   const model::Ship& ship, const ExportOptions& options,
                   const std::map<std::string, std::string>& rewrites, StackModel& stack)
      : env_(env),
        i_(instance),
        ship_(ship),
        options_(options),
        rewrites_(rewrites),
        stack_(stack),
        relaxed_(options.relaxed_services.count(instance.service) > 0) {}

  void Build() {
    SwarmService& s = s_;
    s.name = i_.name;
    json body = spec::BuildCreateBody(i_, ship_, kApiVersion);
    json hc = body.contains("HostConfig") ? body["HostConfig"] : json::object();
    body.erase("HostConfig");
    s.image = Take(body, "Image").get<std::string>();
    if (json v = Take(body, "Hostname"); v.is_string()) s.hostname = v.get<std::string>();
    if (json v = Take(body, "User"); v.is_string()) s.user = v.get<std::string>();
    if (json v = Take(body, "WorkingDir"); v.is_string()) s.working_dir = v.get<std::string>();
    if (json v = Take(body, "Cmd"); v.is_array()) s.command = Strings(v);
    BuildEnvironment(Take(body, "Env"));
    if (json v = Take(body, "Labels"); v.is_object()) {
      for (const auto& [k, value] : v.items()) s.labels.emplace_back(k, value.get<std::string>());
    }
    Take(body, "ExposedPorts");  // every exposed port is published: built with the bindings
    Take(hc, "PortBindings");
    BuildPorts();
    Take(body, "Volumes");  // anonymous volumes and bind targets: built with the binds
    Take(hc, "Binds");
    BuildMounts(Take(hc, "Tmpfs"));
    BuildContainerKeys(body, hc);
    if (json v = Take(hc, "CapAdd"); v.is_array()) s.cap_add = Strings(v);
    if (json v = Take(hc, "CapDrop"); v.is_array()) s.cap_drop = Strings(v);
    if (json v = Take(hc, "ExtraHosts"); v.is_array()) s.extra_hosts = Strings(v);
    if (json v = Take(hc, "Dns"); v.is_array()) s.dns = Strings(v);
    if (json log = Take(hc, "LogConfig"); log.is_object()) {
      s.log_driver = log.value("Type", std::string());
      const json config = log.value("Config", json::object());
      for (const auto& [k, v] : config.items()) {
        s.log_options.emplace_back(k, v.get<std::string>());
      }
    }
    Take(body, "Healthcheck");  // HealthcheckJson(i_.healthcheck): the model's value is kept
    s.healthcheck = i_.healthcheck;
    s.stop_grace_seconds = i_.stop_timeout;
    Take(body, "NetworkingConfig");  // the primary network's endpoint: built from i_.networks
    BuildNetworks(Take(hc, "NetworkMode"));
    BuildSecrets();
    json restart = Take(hc, "RestartPolicy");
    json memory = Take(hc, "Memory");
    BuildDeploy(restart, memory, Take(hc, "MemoryReservation"));

    // What has no Swarm equivalent.
    if (json v = Take(hc, "Links"); v.is_array() && !v.empty()) {
      Report("links",
             "no Swarm equivalent; dropped (the *_HOST and *_PORT variables still say where "
             "each peer is)");
    }
    if (json v = Take(hc, "VolumesFrom"); v.is_array() && !v.empty()) {
      Report("volumes_from",
             absl::StrCat("no Swarm equivalent (tasks cannot share another task's volumes); "
                          "dropped: ",
                          absl::StrJoin(Strings(v), ", ")));
    }
    if (Take(hc, "Privileged") == json(true)) {
      Report("privileged", "not available to Swarm services; dropped (use cap_add)");
    }
    if (json v = Take(hc, "PidMode"); v.is_string()) {
      Report("pid", absl::StrCat("Swarm services cannot set a PID mode; `pid: ",
                                 v.get<std::string>(), "` dropped"));
    }
    if (json v = Take(hc, "SecurityOpt"); v.is_array() && !v.empty()) {
      Report("security_opt", "ignored by `docker stack deploy`; dropped");
    }
    if (json v = Take(hc, "Ulimits"); v.is_array() && !v.empty()) {
      Report("ulimits", "Swarm services take ulimits only from Engine 23.0; dropped");
    }
    if (json v = Take(hc, "MemorySwap"); !v.is_null()) {
      Report("limits.swap", "Swarm services have no swap limit; dropped");
    }
    if (json v = Take(hc, "CpuShares"); !v.is_null()) {
      Report("limits.cpu",
             "Swarm services have CPU limits (cpus), not shares; dropped (set "
             "deploy.resources.limits.cpus in the stack by hand)");
    }
    if (json v = Take(body, "CpuShares"); !v.is_null()) {
      Report("limits.cpu", "Swarm services have CPU limits (cpus), not shares; dropped");
    }
    Take(hc, "LxcConf");  // only sent to API < 1.22
    for (const auto& [state, checks] : i_.lifecycle) {
      if (checks.empty()) continue;
      std::vector<std::string> types;
      for (const model::Check& c : checks) types.push_back(model::CheckTypeName(c.type));
      Report(absl::StrCat("lifecycle.", state),
             absl::StrCat("Swarm runs no lifecycle checks (", absl::StrJoin(types, ", "),
                          "); dropped (a healthcheck is what Swarm waits for)"));
    }
    const model::Service* service = env_.FindService(i_.service);
    if (service != nullptr && !service->Dependencies().empty()) {
      Report("requires", absl::StrCat("Swarm starts services in no order (", i_.service, " needs ",
                                      absl::StrJoin(service->Dependencies(), ", "),
                                      "); an entrypoint can wait with `maestro-guest wait-for`"));
    }
    // A field of the create body that no rule above knows: never dropped silently.
    for (const auto& [key, value] : body.items()) {
      if (!value.is_null()) Report(key, "not exported (no Swarm mapping yet); dropped");
    }
    for (const auto& [key, value] : hc.items()) {
      if (!value.is_null()) Report(key, "not exported (no Swarm mapping yet); dropped");
    }
    stack_.services.push_back(std::move(s_));
  }

 private:
  static json Take(json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end()) return nullptr;
    json out = std::move(*it);
    object.erase(it);
    return out;
  }

  void Report(std::string key, std::string note) {
    stack_.gaps.push_back({i_.name, std::move(key), std::move(note)});
  }

  void BuildEnvironment(const json& env) {
    if (!env.is_array()) return;
    for (const json& entry : env) {
      std::string e = entry.get<std::string>();
      const size_t eq = e.find('=');
      if (eq == std::string::npos) {
        // Written as the name alone, as maestro sends it; but `docker stack deploy` fills a
        // bare KEY from the deploying shell when that defines it.
        Report(absl::StrCat("env.", e),
               "a variable without a value: the task gets the name alone, unless the shell that "
               "runs `docker stack deploy` defines it (then it gets that value)");
      } else if (auto it = rewrites_.find(e.substr(0, eq)); it != rewrites_.end()) {
        e = absl::StrCat(it->first, "=", it->second);
      }
      s_.env.push_back(std::move(e));
    }
  }

  void BuildPorts() {
    for (const model::Port& p : i_.ports) {
      if (p.external.is_range() && !p.exposed.is_range()) {
        Report(absl::StrCat("ports.", p.name),
               absl::StrCat("a Swarm port is published on one host port, not a range (",
                            p.external.ToString(), "); published on ", p.external.first));
      }
      if (!p.host_ip.empty() && p.host_ip != "0.0.0.0") {
        Report(absl::StrCat("ports.", p.name),
               absl::StrCat("Swarm publishes on every address of the node; the bind address ",
                            p.host_ip, " is dropped"));
      }
      for (int k = 0; k <= p.exposed.last - p.exposed.first; ++k) {
        s_.ports.push_back(
            {p.exposed.first + k, p.external.first + k, p.exposed.protocol, !relaxed_});
      }
    }
  }

  // The container keys (docs/environment.md#container-keys) Compose 3.8 has for Swarm services;
  // the rest are gaps. tmpfs is built with the mounts, memory_reservation with deploy.
  void BuildContainerKeys(json& body, json& hc) {
    if (json v = Take(body, "Entrypoint"); v.is_array()) s_.entrypoint = Strings(v);
    if (json v = Take(body, "Tty"); v.is_boolean()) s_.tty = v.get<bool>();
    if (json v = Take(body, "OpenStdin"); v.is_boolean()) s_.stdin_open = v.get<bool>();
    if (json v = Take(body, "StopSignal"); v.is_string()) s_.stop_signal = v.get<std::string>();
    if (json v = Take(hc, "ReadonlyRootfs"); v.is_boolean()) s_.read_only = v.get<bool>();
    if (json v = Take(hc, "Init"); v.is_boolean()) s_.init = v.get<bool>();
    if (json v = Take(hc, "Sysctls"); v.is_object()) {
      for (const auto& [k, value] : v.items()) {
        s_.sysctls.emplace_back(k, value.get<std::string>());
      }
    }
    const std::vector<std::pair<const char*, const char*>> gaps = {{"Domainname", "domainname"},
                                                                   {"MacAddress", "mac_address"}};
    for (auto [field, key] : gaps) {
      if (!Take(body, field).is_null()) {
        Report(key,
               "Swarm services cannot set it (Compose 3.8 for `docker stack deploy` has no "
               "such key); dropped");
      }
    }
    const std::vector<std::pair<const char*, const char*>> hc_gaps = {
        {"ShmSize", "shm_size"},    {"Devices", "devices"},           {"GroupAdd", "group_add"},
        {"IpcMode", "ipc"},         {"OomScoreAdj", "oom_score_adj"}, {"CpusetCpus", "cpuset"},
        {"PidsLimit", "pids_limit"}};
    for (auto [field, key] : hc_gaps) {
      if (!Take(hc, field).is_null()) {
        Report(key,
               "ignored by `docker stack deploy` (Compose 3.8 for Swarm has no such key); "
               "dropped");
      }
    }
  }

  void BuildMounts(const json& tmpfs) {
    std::set<std::string> bind_targets;
    for (const model::Bind& b : i_.volumes) bind_targets.insert(b.target);
    for (const model::Bind& b : i_.volumes) {
      SwarmMount m{b.named ? "volume" : "bind", b.host, b.target};
      if (b.named &&
          std::find(stack_.volumes.begin(), stack_.volumes.end(), b.host) == stack_.volumes.end()) {
        stack_.volumes.push_back(b.host);  // each node's own local volume of that name
      }
      for (absl::string_view opt : absl::StrSplit(b.mode, ',', absl::SkipEmpty())) {
        if (opt == "ro") {
          m.read_only = true;
        } else if (opt == "rw") {
        } else if (opt == "shared" || opt == "slave" || opt == "private" || opt == "rshared" ||
                   opt == "rslave" || opt == "rprivate") {
          m.propagation = std::string(opt);
        } else {
          Report(absl::StrCat("volumes.", b.target),
                 absl::StrCat("the bind option `", opt,
                              "` has no Swarm equivalent (SELinux labels, nocopy); dropped"));
        }
      }
      s_.mounts.push_back(std::move(m));
    }
    for (const std::string& path : i_.container_volumes) {
      if (bind_targets.count(path) > 0) continue;
      s_.mounts.push_back({"volume", "", path});
    }
    // The tmpfs maestro mounts for its own secret delivery: Swarm mounts its secrets itself.
    std::set<std::string> secret_dirs;
    if (!i_.secrets.empty()) secret_dirs.insert(model::kSecretsDir);
    for (const model::SecretMount& m : i_.secrets) {
      secret_dirs.insert(m.target.substr(0, m.target.rfind('/')));
    }
    // tmpfs mounts: Compose 3.8 takes their size; mode and flags are gaps.
    if (!tmpfs.is_object()) return;
    for (const auto& [path, options] : tmpfs.items()) {
      if (secret_dirs.count(path) > 0) continue;
      SwarmMount m{"tmpfs", "", path};
      std::vector<std::string> dropped;
      for (absl::string_view opt :
           absl::StrSplit(options.get<std::string>(), ',', absl::SkipEmpty())) {
        int64_t size = 0;
        if (absl::ConsumePrefix(&opt, "size=") && absl::SimpleAtoi(opt, &size)) {
          m.tmpfs_size = size;
        } else {
          dropped.emplace_back(opt);
        }
      }
      if (!dropped.empty()) {
        Report(absl::StrCat("tmpfs.", path), absl::StrCat("Compose 3.8 takes only a tmpfs size; ",
                                                          absl::StrJoin(dropped, ","), " dropped"));
      }
      s_.mounts.push_back(std::move(m));
    }
  }

  void BuildNetworks(const json& mode) {
    if (!i_.networks.empty()) {
      for (const model::NetworkAttachment& a : i_.networks) {
        s_.networks.push_back({a.network, a.aliases});
        if (!a.ipv4_address.empty() || !a.ipv6_address.empty()) {
          Report(absl::StrCat("networks.", a.network),
                 "Swarm assigns task addresses itself; the static address is dropped");
        }
        UseNetwork(a.network);
      }
      return;
    }
    const std::string m = mode.is_string() ? mode.get<std::string>() : "";
    if (m == "host") {
      s_.networks.push_back({"hostnet", {}});
      if (std::none_of(stack_.networks.begin(), stack_.networks.end(),
                       [](const StackNetwork& n) { return n.key == "hostnet"; })) {
        stack_.networks.push_back({.key = "hostnet", .name = "host", .external = true});
      }
      return;
    }
    stack_.uses_default_network = true;
    if (m == "default" || m.empty()) return;  // the stack's own overlay network
    Report("net",
           absl::StrCat("`net: ", m,
                        "` has no Swarm equivalent; the task joins the stack's overlay network"));
  }

  // An environment network as a stack network (once): an overlay network, or an external one.
  void UseNetwork(const std::string& key) {
    for (const StackNetwork& n : stack_.networks) {
      if (n.key == key) return;
    }
    const model::Network* net = env_.FindNetwork(key);
    if (net == nullptr) return;  // the loader checked it
    StackNetwork n;
    n.key = key;
    if (net->external) {
      n.external = true;
      n.name = net->daemon_name;
    } else {
      if (net->driver != "bridge" && net->driver != "overlay") {
        Report(absl::StrCat("networks.", key),
               absl::StrCat("a stack's networks are overlay networks; driver ", net->driver,
                            " becomes overlay"));
      }
      n.attachable = net->attachable;
      n.internal = net->internal;
      n.subnet = net->subnet;
      if (!net->gateway.empty() || !net->ip_range.empty()) {
        Report(absl::StrCat("networks.", key),
               "Compose 3.8 takes only a subnet for a stack's network; gateway and ip_range "
               "dropped (Swarm chooses them)");
      }
      n.labels.assign(net->labels.begin(), net->labels.end());
      n.driver_opts.assign(net->driver_opts.begin(), net->driver_opts.end());
    }
    stack_.networks.push_back(std::move(n));
  }

  void BuildSecrets() {
    for (const model::SecretMount& m : i_.secrets) {
      s_.secrets.push_back({m.name, m.target, m.mode, m.uid, m.gid});
      if (std::any_of(stack_.secrets.begin(), stack_.secrets.end(),
                      [&](const StackSecret& s) { return s.key == m.name; })) {
        continue;
      }
      StackSecret secret{m.name, SwarmSecretName(env_.name, m.name, m.fingerprint)};
      const model::Secret* source = env_.FindSecret(m.name);
      if (source != nullptr && source->source == model::SecretSource::kFile) {
        secret.file = absl::StartsWith(source->file, "/") || env_.base_dir.empty()
                          ? source->file
                          : absl::StrCat(env_.base_dir, "/", source->file);
      }
      stack_.secrets.push_back(std::move(secret));
    }
  }

  void BuildDeploy(const json& restart, const json& memory, const json& reservation) {
    if (!relaxed_) {
      s_.constraint = options_.placement == Placement::kHostname
                          ? absl::StrCat("node.hostname == ", ship_.ip)
                          : absl::StrCat("node.labels.", kShipLabel, " == ", ship_.name);
    }
    if (restart.is_object()) {
      const std::string name = restart.value("Name", std::string("no"));
      const int retries = restart.value("MaximumRetryCount", 0);
      std::string condition = "none";
      if (name == "always" || name == "unless-stopped") condition = "any";
      if (name == "on-failure") condition = "on-failure";
      if (relaxed_ && condition != "any") {
        // Swarm moves a task off a failed or drained node only when its policy restarts it.
        Report("restart", absl::StrCat("a relaxed service is kept running by Swarm: condition "
                                       "`any` instead of `",
                                       name, "` (Swarm reschedules only what it restarts)"));
        condition = "any";
      } else if (name == "unless-stopped") {
        Report("restart",
               "Swarm has no unless-stopped: restarted on any exit (a stopped service is "
               "scaled to 0 instead)");
      }
      s_.restart_condition = condition;
      if (condition == "on-failure") s_.max_attempts = retries;
    }
    if (memory.is_number_integer()) s_.memory_limit = memory.get<int64_t>();
    if (reservation.is_number_integer()) s_.memory_reservation = reservation.get<int64_t>();
    auto env = i_.env.find(env_contract::kEnvironmentName);
    s_.deploy_labels = {
        {spec::kEnvironmentLabel, env != i_.env.end() && env->second ? *env->second : ""},
        {spec::kServiceLabel, i_.service},
        {spec::kInstanceLabel, i_.name},
        {kShipLabel, ship_.name}};
  }

  const model::Environment& env_;
  const model::Instance& i_;
  const model::Ship& ship_;
  const ExportOptions& options_;
  const std::map<std::string, std::string>& rewrites_;
  StackModel& stack_;
  const bool relaxed_;
  SwarmService s_;
};

}  // namespace

std::string Gap::ToString() const { return absl::StrCat(instance, ": ", key, ": ", note); }

std::string SwarmSecretName(const std::string& environment, const std::string& secret,
                            const std::string& fingerprint) {
  if (fingerprint.empty()) return absl::StrCat(environment, "_", secret);
  return absl::StrCat(environment, "_", secret, "_", fingerprint);
}

absl::StatusOr<StackModel> BuildStackModel(const model::Environment& env,
                                           const std::vector<std::string>& containers,
                                           const ExportOptions& options) {
  for (const std::string& s : options.relaxed_services) {
    if (env.FindService(s) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--relaxed-placement: ", s, " is not a service of this environment"));
    }
  }
  std::vector<const model::Instance*> instances;
  for (const std::string& name : containers) {
    const model::Instance* i = env.FindInstance(name);
    if (i == nullptr) return absl::InvalidArgumentError(absl::StrCat("no container ", name));
    if (!ValidServiceName(i->name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          env.display_name, ":", i->line, ":", i->column, ": ", i->name,
          ": not a valid Swarm service name (letters, digits, '-', '_', '.', at most 63, "
          "starting with a letter or digit)"));
    }
    instances.push_back(i);
  }
  const std::map<std::string, std::string> rewrites =
      RelaxedRewrites(env, options.relaxed_services);
  StackModel out;
  for (const model::Instance* i : instances) {
    const model::Ship* ship = env.FindShip(i->ship);
    if (ship == nullptr) {
      return absl::InternalError(absl::StrCat(i->name, ": no ship ", i->ship));
    }
    InstanceExporter(env, *i, *ship, options, rewrites, out).Build();
  }
  if (options.strict && !out.gaps.empty()) {
    std::vector<std::string> lines;
    for (const Gap& g : out.gaps) lines.push_back(g.ToString());
    return absl::FailedPreconditionError(absl::StrCat("--strict: ", out.gaps.size(),
                                                      " thing(s) cannot be exported to Swarm:\n  ",
                                                      absl::StrJoin(lines, "\n  ")));
  }
  return out;
}

absl::StatusOr<StackExport> ExportSwarmStack(const model::Environment& env,
                                             const std::vector<std::string>& containers,
                                             const ExportOptions& options) {
  absl::StatusOr<StackModel> model = BuildStackModel(env, containers, options);
  if (!model.ok()) return model.status();
  StackExport out;
  out.yaml = RenderStackYaml(env, *model);
  out.gaps = model->gaps;
  out.model = std::move(*model);
  return out;
}

}  // namespace maestro::swarm
