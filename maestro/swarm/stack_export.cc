#include "maestro/swarm/stack_export.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
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

// A double-quoted YAML scalar (JSON's escapes are YAML's) with `$` doubled against Compose's
// interpolation.
std::string Value(const std::string& s) {
  return absl::StrReplaceAll(json(s).dump(-1, ' ', false, json::error_handler_t::replace),
                             {{"$", "$$"}});
}

// A mapping key: quoted, never interpolated.
std::string Key(const std::string& s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string FlowList(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  quoted.reserve(items.size());
  for (const std::string& s : items) quoted.push_back(Value(s));
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

std::string Seconds(int64_t nanos) {
  // Compose durations: "1m30s" is fine, and so is "90s"; sub-second values keep their ms.
  if (nanos % 1000000000 == 0) return absl::StrCat(nanos / 1000000000, "s");
  return absl::StrCat(nanos / 1000000, "ms");
}

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

class Writer {
 public:
  void Line(int indent, absl::string_view text) {
    out_.append(static_cast<size_t>(indent) * 2, ' ');
    out_.append(text.data(), text.size());
    out_.push_back('\n');
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

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

class InstanceExporter {
 public:
  InstanceExporter(const model::Environment& env, const model::Instance& instance,
                   const model::Ship& ship, const ExportOptions& options,
                   const std::map<std::string, std::string>& rewrites, Writer& w,
                   std::vector<Gap>& gaps, bool& uses_host_network)
      : env_(env),
        i_(instance),
        ship_(ship),
        options_(options),
        rewrites_(rewrites),
        w_(w),
        gaps_(gaps),
        uses_host_network_(uses_host_network),
        relaxed_(options.relaxed_services.count(instance.service) > 0) {}

  void Write() {
    json body = spec::BuildCreateBody(i_, ship_, kApiVersion);
    json hc = body.contains("HostConfig") ? body["HostConfig"] : json::object();
    body.erase("HostConfig");
    w_.Line(1, absl::StrCat(Key(i_.name), ":"));
    w_.Line(2, absl::StrCat("image: ", Value(Take(body, "Image").get<std::string>())));
    if (json v = Take(body, "Hostname"); v.is_string()) {
      w_.Line(2, absl::StrCat("hostname: ", Value(v.get<std::string>())));
    }
    if (json v = Take(body, "User"); v.is_string()) {
      w_.Line(2, absl::StrCat("user: ", Value(v.get<std::string>())));
    }
    if (json v = Take(body, "WorkingDir"); v.is_string()) {
      w_.Line(2, absl::StrCat("working_dir: ", Value(v.get<std::string>())));
    }
    if (json v = Take(body, "Cmd"); v.is_array()) {
      w_.Line(2, absl::StrCat("command: ", FlowList(v.get<std::vector<std::string>>())));
    }
    WriteEnvironment(Take(body, "Env"));
    WriteLabels(Take(body, "Labels"));
    Take(body, "ExposedPorts");  // every exposed port is published: written with the bindings
    Take(hc, "PortBindings");
    WritePorts();
    Take(body, "Volumes");  // anonymous volumes and bind targets: written with the binds
    Take(hc, "Binds");
    WriteVolumes(Take(hc, "Tmpfs"));
    WriteContainerKeys(body, hc);
    if (json v = Take(hc, "CapAdd"); v.is_array()) {
      w_.Line(2, absl::StrCat("cap_add: ", FlowList(v.get<std::vector<std::string>>())));
    }
    if (json v = Take(hc, "CapDrop"); v.is_array()) {
      w_.Line(2, absl::StrCat("cap_drop: ", FlowList(v.get<std::vector<std::string>>())));
    }
    if (json v = Take(hc, "ExtraHosts"); v.is_array()) {
      w_.Line(2, absl::StrCat("extra_hosts: ", FlowList(v.get<std::vector<std::string>>())));
    }
    if (json v = Take(hc, "Dns"); v.is_array()) {
      w_.Line(2, absl::StrCat("dns: ", FlowList(v.get<std::vector<std::string>>())));
    }
    WriteLogging(Take(hc, "LogConfig"));
    WriteHealthcheck(Take(body, "Healthcheck"));
    w_.Line(2, absl::StrCat("stop_grace_period: ", Value(absl::StrCat(i_.stop_timeout, "s"))));
    WriteNetwork(Take(hc, "NetworkMode"));
    json restart = Take(hc, "RestartPolicy");
    json memory = Take(hc, "Memory");
    WriteDeploy(restart, memory, Take(hc, "MemoryReservation"));

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
                          absl::StrJoin(v.get<std::vector<std::string>>(), ", ")));
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
    gaps_.push_back({i_.name, std::move(key), std::move(note)});
  }

  void WriteEnvironment(const json& env) {
    if (!env.is_array() || env.empty()) return;
    w_.Line(2, "environment:");
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
      w_.Line(3, absl::StrCat("- ", Value(e)));
    }
  }

  void WriteLabels(const json& labels) {
    if (!labels.is_object() || labels.empty()) return;
    w_.Line(2, "labels:");
    for (const auto& [k, v] : labels.items()) {
      w_.Line(3, absl::StrCat(Key(k), ": ", Value(v.get<std::string>())));
    }
  }

  void WritePorts() {
    if (i_.ports.empty()) return;
    w_.Line(2, "ports:");
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
        w_.Line(3, absl::StrCat("- target: ", p.exposed.first + k));
        w_.Line(4, absl::StrCat("published: ", p.external.first + k));
        w_.Line(4, absl::StrCat("protocol: ", p.exposed.protocol));
        w_.Line(4, absl::StrCat("mode: ", relaxed_ ? "ingress" : "host"));
      }
    }
  }

  // The container keys (docs/environment.md#container-keys) Compose 3.8 has for Swarm services;
  // the rest are gaps. tmpfs is written with the volumes, memory_reservation with deploy.
  void WriteContainerKeys(json& body, json& hc) {
    if (json v = Take(body, "Entrypoint"); v.is_array()) {
      w_.Line(2, absl::StrCat("entrypoint: ", FlowList(v.get<std::vector<std::string>>())));
    }
    for (auto [field, key] : std::vector<std::pair<const char*, const char*>>{
             {"Tty", "tty"}, {"OpenStdin", "stdin_open"}}) {
      if (json v = Take(body, field); v.is_boolean()) {
        w_.Line(2, absl::StrCat(key, ": ", v.get<bool>() ? "true" : "false"));
      }
    }
    if (json v = Take(body, "StopSignal"); v.is_string()) {
      w_.Line(2, absl::StrCat("stop_signal: ", Value(v.get<std::string>())));
    }
    for (auto [field, key] : std::vector<std::pair<const char*, const char*>>{
             {"ReadonlyRootfs", "read_only"}, {"Init", "init"}}) {
      if (json v = Take(hc, field); v.is_boolean()) {
        w_.Line(2, absl::StrCat(key, ": ", v.get<bool>() ? "true" : "false"));
      }
    }
    if (json v = Take(hc, "Sysctls"); v.is_object() && !v.empty()) {
      w_.Line(2, "sysctls:");
      for (const auto& [k, value] : v.items()) {
        w_.Line(3, absl::StrCat(Key(k), ": ", Value(value.get<std::string>())));
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

  void WriteVolumes(const json& tmpfs) {
    std::set<std::string> bind_targets;
    for (const model::Bind& b : i_.volumes) bind_targets.insert(b.target);
    bool header = false;
    auto start = [&] {
      if (!header) w_.Line(2, "volumes:");
      header = true;
    };
    for (const model::Bind& b : i_.volumes) {
      start();
      bool read_only = false;
      std::string propagation;
      for (absl::string_view opt : absl::StrSplit(b.mode, ',', absl::SkipEmpty())) {
        if (opt == "ro") {
          read_only = true;
        } else if (opt == "rw") {
        } else if (opt == "shared" || opt == "slave" || opt == "private" || opt == "rshared" ||
                   opt == "rslave" || opt == "rprivate") {
          propagation = std::string(opt);
        } else {
          Report(absl::StrCat("volumes.", b.target),
                 absl::StrCat("the bind option `", opt,
                              "` has no Swarm equivalent (SELinux labels, nocopy); dropped"));
        }
      }
      w_.Line(3, "- type: bind");
      w_.Line(4, absl::StrCat("source: ", Value(b.host)));
      w_.Line(4, absl::StrCat("target: ", Value(b.target)));
      if (read_only) w_.Line(4, "read_only: true");
      if (!propagation.empty()) {
        w_.Line(4, "bind:");
        w_.Line(5, absl::StrCat("propagation: ", propagation));
      }
    }
    for (const std::string& path : i_.container_volumes) {
      if (bind_targets.count(path) > 0) continue;
      start();
      w_.Line(3, "- type: volume");
      w_.Line(4, absl::StrCat("target: ", Value(path)));
    }
    // tmpfs mounts: Compose 3.8 takes their size; mode and flags are gaps.
    if (!tmpfs.is_object()) return;
    for (const auto& [path, options] : tmpfs.items()) {
      start();
      w_.Line(3, "- type: tmpfs");
      w_.Line(4, absl::StrCat("target: ", Value(path)));
      std::vector<std::string> dropped;
      for (absl::string_view opt :
           absl::StrSplit(options.get<std::string>(), ',', absl::SkipEmpty())) {
        if (absl::ConsumePrefix(&opt, "size=")) {
          w_.Line(4, "tmpfs:");
          w_.Line(5, absl::StrCat("size: ", opt));
        } else {
          dropped.emplace_back(opt);
        }
      }
      if (!dropped.empty()) {
        Report(absl::StrCat("tmpfs.", path), absl::StrCat("Compose 3.8 takes only a tmpfs size; ",
                                                          absl::StrJoin(dropped, ","), " dropped"));
      }
    }
  }

  void WriteLogging(const json& log) {
    if (!log.is_object()) return;
    w_.Line(2, "logging:");
    w_.Line(3, absl::StrCat("driver: ", Value(log.value("Type", std::string()))));
    const json config = log.value("Config", json::object());
    if (config.empty()) return;
    w_.Line(3, "options:");
    for (const auto& [k, v] : config.items()) {
      w_.Line(4, absl::StrCat(Key(k), ": ", Value(v.get<std::string>())));
    }
  }

  // Docker's Healthcheck object (durations in nanoseconds) as Compose's healthcheck.
  void WriteHealthcheck(const json& hc) {
    if (!hc.is_object()) return;
    w_.Line(2, "healthcheck:");
    const json test = hc.value("Test", json::array());
    if (test.size() == 1 && test[0] == "NONE") {
      w_.Line(3, "disable: true");
      return;
    }
    if (test.is_array() && !test.empty()) {
      w_.Line(3, absl::StrCat("test: ", FlowList(test.get<std::vector<std::string>>())));
    }
    for (const auto& [field, key] : std::vector<std::pair<const char*, const char*>>{
             {"Interval", "interval"}, {"Timeout", "timeout"}, {"StartPeriod", "start_period"}}) {
      if (hc.contains(field) && hc[field].is_number_integer() && hc[field].get<int64_t>() > 0) {
        w_.Line(3, absl::StrCat(key, ": ", Value(Seconds(hc[field].get<int64_t>()))));
      }
    }
    if (hc.contains("Retries") && hc["Retries"].is_number_integer()) {
      w_.Line(3, absl::StrCat("retries: ", hc["Retries"].get<int64_t>()));
    }
  }

  void WriteNetwork(const json& mode) {
    if (!mode.is_string()) return;
    const std::string m = mode.get<std::string>();
    if (m == "default" || m.empty()) return;  // the stack's own overlay network
    if (m == "host") {
      uses_host_network_ = true;
      w_.Line(2, "networks: [hostnet]");
      return;
    }
    Report("net",
           absl::StrCat("`net: ", m,
                        "` has no Swarm equivalent; the task joins the stack's overlay network"));
  }

  void WriteDeploy(const json& restart, const json& memory, const json& reservation) {
    w_.Line(2, "deploy:");
    w_.Line(3, "replicas: 1");
    if (!relaxed_) {
      w_.Line(3, "placement:");
      w_.Line(4, "constraints:");
      const std::string constraint =
          options_.placement == Placement::kHostname
              ? absl::StrCat("node.hostname == ", ship_.ip)
              : absl::StrCat("node.labels.", kShipLabel, " == ", ship_.name);
      w_.Line(5, absl::StrCat("- ", Value(constraint)));
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
      w_.Line(3, "restart_policy:");
      w_.Line(4, absl::StrCat("condition: ", condition));
      if (condition == "on-failure" && retries > 0) {
        w_.Line(4, absl::StrCat("max_attempts: ", retries));
      }
    }
    if (memory.is_number_integer() || reservation.is_number_integer()) {
      w_.Line(3, "resources:");
    }
    if (memory.is_number_integer()) {
      w_.Line(4, "limits:");
      w_.Line(5, absl::StrCat("memory: ", Value(absl::StrCat(memory.get<int64_t>()))));
    }
    if (reservation.is_number_integer()) {
      w_.Line(4, "reservations:");
      w_.Line(5, absl::StrCat("memory: ", Value(absl::StrCat(reservation.get<int64_t>()))));
    }
    w_.Line(3, "labels:");
    auto env = i_.env.find(env_contract::kEnvironmentName);
    w_.Line(4, absl::StrCat(Key(spec::kEnvironmentLabel), ": ",
                            Value(env != i_.env.end() && env->second ? *env->second : "")));
    w_.Line(4, absl::StrCat(Key(spec::kServiceLabel), ": ", Value(i_.service)));
    w_.Line(4, absl::StrCat(Key(spec::kInstanceLabel), ": ", Value(i_.name)));
    w_.Line(4, absl::StrCat(Key(kShipLabel), ": ", Value(ship_.name)));
  }

  const model::Environment& env_;
  const model::Instance& i_;
  const model::Ship& ship_;
  const ExportOptions& options_;
  const std::map<std::string, std::string>& rewrites_;
  Writer& w_;
  std::vector<Gap>& gaps_;
  bool& uses_host_network_;
  const bool relaxed_;
};

}  // namespace

std::string Gap::ToString() const { return absl::StrCat(instance, ": ", key, ": ", note); }

absl::StatusOr<StackExport> ExportSwarmStack(const model::Environment& env,
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
  Writer w;
  w.Line(0, absl::StrCat("# Written by `maestro export swarm` from ", env.display_name,
                         " (environment ", env.name, "). Deploy with"));
  w.Line(0, "#   docker stack deploy -c FILE STACK");
  w.Line(0, "# after labelling each ship's node (docs/swarm.md). Do not edit: export again.");
  w.Line(0, "version: \"3.8\"");
  w.Line(0, "services:");
  StackExport out;
  bool uses_host_network = false;
  for (const model::Instance* i : instances) {
    const model::Ship* ship = env.FindShip(i->ship);
    if (ship == nullptr) {
      return absl::InternalError(absl::StrCat(i->name, ": no ship ", i->ship));
    }
    InstanceExporter(env, *i, *ship, options, rewrites, w, out.gaps, uses_host_network).Write();
  }
  if (uses_host_network) {
    w.Line(0, "networks:");
    w.Line(1, "hostnet:");
    w.Line(2, "external: true");
    w.Line(2, "name: host");
  }
  out.yaml = w.Take();
  if (options.strict && !out.gaps.empty()) {
    std::vector<std::string> lines;
    for (const Gap& g : out.gaps) lines.push_back(g.ToString());
    return absl::FailedPreconditionError(absl::StrCat("--strict: ", out.gaps.size(),
                                                      " thing(s) cannot be exported to Swarm:\n  ",
                                                      absl::StrJoin(lines, "\n  ")));
  }
  return out;
}

}  // namespace maestro::swarm
