#include "maestro/config/dump.h"

#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "maestro/graph/container_graph.h"
#include "maestro/model/secrets.h"

namespace maestro {
namespace config {
namespace {

using nlohmann::json;

template <typename T>
json Optional(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
template <typename T>
json Optional(const model::IndirectOptional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

const char* TransportName(model::ShipTransport t) {
  switch (t) {
    case model::ShipTransport::kTcp:
      return "tcp";
    case model::ShipTransport::kUnix:
      return "unix";
    case model::ShipTransport::kSsh:
      return "ssh";
  }
  return "?";
}

json DumpShip(const model::Ship& s) {
  json j = {{"name", s.name},
            {"ip", s.ip},
            {"endpoint", s.endpoint},
            {"docker_port", s.docker_port},
            {"socket_path", s.socket_path},
            {"docker_host", s.docker_host},
            {"docker_url", s.DockerUrl()},
            {"transport", TransportName(s.transport())},
            {"api_version", s.api_version},
            {"timeout", s.timeout},
            {"tls", s.tls},
            {"tls_verify", s.tls_verify},
            {"tls_ca_cert", s.tls_ca_cert},
            {"tls_cert", s.tls_cert},
            {"tls_key", s.tls_key},
            {"ssl_version", s.ssl_version},
            {"ssh_tunnel", nullptr}};
  if (s.ssh_tunnel) {
    j["ssh_tunnel"] = {{"user", s.ssh_tunnel->user},
                       {"key", s.ssh_tunnel->key},
                       {"port", s.ssh_tunnel->port},
                       {"known_hosts", s.ssh_tunnel->known_hosts},
                       {"socket_path", s.ssh_tunnel->socket_path},
                       {"keepalive", s.ssh_tunnel->keepalive}};
  }
  return j;
}

}  // namespace

json DumpCheck(const model::Check& c) {
  json j = {{"type", model::CheckTypeName(c.type)}};
  switch (c.type) {
    case model::CheckType::kTcp:
      j.update({{"port_name", c.port_name},
                {"host", c.host},
                {"port", c.port},
                {"max_wait", c.max_wait}});
      break;
    case model::CheckType::kHttp:
      j.update({{"port_name", c.port_name},
                {"host", c.host},
                {"port", c.port},
                {"max_wait", c.max_wait},
                {"match_regex", Optional(c.match_regex)},
                {"path", c.path},
                {"scheme", c.scheme},
                {"method", c.method},
                {"requests_options", c.requests_options}});
      break;
    case model::CheckType::kExec:
      j.update({{"command", c.command},
                {"argv", c.argv},
                {"attempts", c.attempts},
                {"envfrom", c.envfrom}});
      break;
    case model::CheckType::kRexec:
      j.update({{"command", c.command}, {"argv", c.argv}, {"attempts", c.attempts}});
      break;
    case model::CheckType::kSleep:
      j["wait"] = c.wait;
      break;
    case model::CheckType::kHealth:
      j["attempts"] = c.attempts;
      break;
  }
  return j;
}

namespace {

// The container keys (docs/environment.md#container-keys), each only when set (older dumps
// stay as they were), under its YAML name.
void DumpContainerKeys(const model::ContainerOptions& o, json& j) {
  if (!o.tmpfs.empty()) j["tmpfs"] = o.tmpfs;
  if (!o.sysctls.empty()) j["sysctls"] = o.sysctls;
  if (!o.group_add.empty()) j["group_add"] = o.group_add;
  if (!o.devices.empty()) {
    json devices = json::array();
    for (const model::Device& d : o.devices) {
      devices.push_back(absl::StrCat(d.host, ":", d.container, ":", d.permissions));
    }
    j["devices"] = devices;
  }
  for (auto [key, value] :
       {std::pair<const char*, const std::optional<bool>*>{"read_only", &o.read_only},
        {"init", &o.init},
        {"tty", &o.tty},
        {"stdin_open", &o.stdin_open}}) {
    if (*value) j[key] = **value;
  }
  for (auto [key, value] :
       {std::pair<const char*, const std::optional<int64_t>*>{"shm_size", &o.shm_size},
        {"oom_score_adj", &o.oom_score_adj},
        {"memory_reservation", &o.memory_reservation},
        {"pids_limit", &o.pids_limit}}) {
    if (*value) j[key] = **value;
  }
  for (auto [key, value] :
       {std::pair<const char*, const std::optional<std::string>*>{"ipc", &o.ipc},
        {"stop_signal", &o.stop_signal},
        {"cpuset", &o.cpuset},
        {"domainname", &o.domainname},
        {"mac_address", &o.mac_address}}) {
    if (*value) j[key] = **value;
  }
  if (o.entrypoint) j["entrypoint"] = *o.entrypoint;
}

json DumpInstanceWithDependencies(const model::Instance& c, const std::vector<std::string>& deps,
                                  const DumpOptions& options) {
  json ports = json::array();
  for (const model::Port& p : c.ports) {
    ports.push_back({{"name", p.name},
                     {"exposed", p.exposed.ToString()},
                     {"host_ip", p.host_ip},
                     {"external", p.external.ToString()}});
  }
  json env_vars = json::object();
  json docker_env = json::array();
  for (const auto& [k, v] : c.env) {
    bool mask = v && !options.show_secrets && model::IsSecretName(k);
    env_vars[k] = mask ? json(model::kMaskedValue) : Optional(v);
    if (!v) {
      docker_env.push_back(k);
    } else {
      docker_env.push_back(k + "=" + (mask ? std::string(model::kMaskedValue) : *v));
    }
  }
  json volumes = json::array();
  for (const model::Bind& b : c.volumes) {
    json bind = {{"host", b.host}, {"target", b.target}, {"mode", b.mode}};
    if (b.named) bind["named"] = true;  // only then (older dumps stay as they were)
    volumes.push_back(bind);
  }
  json lxc = json::array();
  for (const auto& [k, v] : c.lxc_conf) lxc.push_back({{"key", k}, {"value", v}});
  json ulimits = json::array();
  for (const model::Ulimit& u : c.ulimits) {
    ulimits.push_back({{"name", u.name}, {"soft", u.soft}, {"hard", u.hard}});
  }
  json lifecycle = json::object();
  for (const auto& [state, checks] : c.lifecycle) {
    json list = json::array();
    for (const model::Check& check : checks) list.push_back(DumpCheck(check));
    lifecycle[state] = list;
  }
  json log_config = nullptr;
  if (c.log_config)
    log_config = {{"driver", c.log_config->driver}, {"options", c.log_config->options}};
  json j = {{"name", c.name},
            {"service", c.service},
            {"ship", c.ship},
            {"image", c.image},
            {"repository", c.image_details.repository},
            {"tag", c.image_details.tag},
            {"command", Optional(c.command)},
            {"ports", ports},
            {"env", env_vars},
            {"docker_env", docker_env},
            {"volumes", volumes},
            {"container_volumes", c.container_volumes},
            {"volumes_from", c.volumes_from},
            {"links", c.links},
            {"username", Optional(c.username)},
            {"privileged", c.privileged},
            {"cap_add", c.cap_add},
            {"cap_drop", c.cap_drop},
            {"extra_hosts", c.extra_hosts},
            {"net", Optional(c.net)},
            {"pid", Optional(c.pid)},
            {"hostname", c.hostname},
            {"restart", {{"name", c.restart.name}, {"max_retry", c.restart.max_retry}}},
            {"dns", Optional(c.dns)},
            {"stop_timeout", c.stop_timeout},
            {"limits",
             {{"cpu", Optional(c.limits.cpu)},
              {"memory", Optional(c.limits.memory)},
              {"swap", Optional(c.limits.swap)}}},
            {"log_config", log_config},
            {"lxc_conf", lxc},
            {"workdir", Optional(c.workdir)},
            {"security_opt", c.security_opt},
            {"ulimits", ulimits},
            {"labels", Optional(c.labels)},
            {"lifecycle", lifecycle},
            {"dependencies", deps},
            {"line", c.line}};
  DumpContainerKeys(*c.options, j);
  if (c.healthcheck) {  // only when configured (older dumps stay as they were)
    j["healthcheck"] = {{"test", c.healthcheck->test},
                        {"interval_ns", Optional(c.healthcheck->interval_ns)},
                        {"timeout_ns", Optional(c.healthcheck->timeout_ns)},
                        {"start_period_ns", Optional(c.healthcheck->start_period_ns)},
                        {"retries", Optional(c.healthcheck->retries)}};
  }
  if (!c.networks.empty()) {  // only when configured (older dumps stay as they were)
    json networks = json::array();
    for (const model::NetworkAttachment& n : c.networks) {
      networks.push_back({{"network", n.network},
                          {"daemon_name", n.daemon_name},
                          {"aliases", n.aliases},
                          {"ipv4_address", n.ipv4_address},
                          {"ipv6_address", n.ipv6_address}});
    }
    j["networks"] = networks;
  }
  if (!c.secrets.empty()) {  // only when configured; names and places, never values
    json secrets = json::array();
    for (const model::SecretMount& m : c.secrets) {
      char mode[8];
      std::snprintf(mode, sizeof(mode), "%04o", m.mode);
      secrets.push_back({{"source", m.name},
                         {"target", m.target},
                         {"mode", mode},
                         {"uid", m.uid.value_or(0)},
                         {"gid", m.gid.value_or(0)}});
    }
    j["secrets"] = secrets;
    if (c.secrets_guest) j["secrets_guest"] = *c.secrets_guest;
  }
  return j;
}

json DumpAudit(const model::AuditConfig& a, const DumpOptions& options) {
  json opts = a.options;
  if (!options.show_secrets && opts.is_object()) {
    for (auto& item : opts.items()) {
      if (model::IsSecretName(item.key())) item.value() = model::kMaskedValue;
    }
  }
  return {
      {"type", a.type}, {"level", a.level}, {"ignore_errors", a.ignore_errors}, {"options", opts}};
}

// Where each secret comes from; never a value, not even with --show-secrets (model/secrets.h).
json DumpSecrets(const model::Environment& env) {
  json out = json::array();
  for (const model::Secret& s : env.secrets) {
    json one = {{"name", s.name}};
    switch (s.source) {
      case model::SecretSource::kFile:
        one["file"] = s.file;
        break;
      case model::SecretSource::kEnvironment:
        one["environment"] = s.variable;
        break;
      case model::SecretSource::kCommand:
        one["command"] = s.command;
        break;
    }
    out.push_back(one);
  }
  return out;
}

json DumpNetworks(const model::Environment& env) {
  json out = json::array();
  for (const model::Network& n : env.networks) {
    out.push_back({{"name", n.name},
                   {"daemon_name", n.daemon_name},
                   {"external", n.external},
                   {"driver", n.driver},
                   {"subnet", n.subnet},
                   {"gateway", n.gateway},
                   {"ip_range", n.ip_range},
                   {"internal", n.internal},
                   {"attachable", n.attachable},
                   {"enable_ipv6", n.enable_ipv6},
                   {"labels", n.labels},
                   {"driver_opts", n.driver_opts}});
  }
  return out;
}

json DumpNamedVolumes(const model::Environment& env) {
  json out = json::array();
  for (const model::NamedVolume& v : env.volumes) {
    out.push_back({{"name", v.name},
                   {"daemon_name", v.daemon_name},
                   {"external", v.external},
                   {"driver", v.driver},
                   {"labels", v.labels},
                   {"driver_opts", v.driver_opts}});
  }
  return out;
}

// Everything but the instances (an empty "instances" array).
json DumpSkeleton(const model::Environment& env, const DumpOptions& options) {
  json registries = json::array();
  for (const model::Registry& r : env.registries) {
    registries.push_back({{"name", r.name},
                          {"registry", r.url},
                          {"username", r.username},
                          {"password", options.show_secrets ? r.password : r.MaskedPassword()},
                          {"email", r.email},
                          {"retry", {{"attempts", r.retry.attempts}, {"when", r.retry.when}}}});
  }
  json ships = json::array();
  for (const model::Ship& s : env.ships) ships.push_back(DumpShip(s));
  json services = json::array();
  for (const model::Service& s : env.services) {
    services.push_back({{"name", s.name},
                        {"image", s.image},
                        {"omit", s.omit},
                        {"requires", s.requires},
                        {"wants_info", s.wants_info},
                        {"dependencies", s.Dependencies()},
                        {"instances", s.instances}});
  }
  json audit = json::array();
  for (const model::AuditConfig& a : env.audit) audit.push_back(DumpAudit(a, options));
  json out = {{"format", kDumpFormat},    {"name", env.name},           {"schema", env.schema},
              {"base_dir", env.base_dir}, {"registries", registries},   {"ships", ships},
              {"services", services},     {"instances", json::array()}, {"audit", audit}};
  // Only when the file has them, so dumps of files without them stay byte-identical.
  if (!env.networks.empty()) out["networks"] = DumpNetworks(env);
  if (!env.volumes.empty()) out["volumes"] = DumpNamedVolumes(env);
  if (!env.secrets.empty()) out["secrets"] = DumpSecrets(env);
  return out;
}

// The instances to list, in order (see DumpEnvironment), skipping unknown names.
std::vector<const model::Instance*> Selected(const model::Environment& env,
                                             const std::vector<std::string>& containers) {
  std::vector<const model::Instance*> out;
  if (containers.empty()) {
    out.reserve(env.instances.size());
    for (const model::Instance& c : env.instances) out.push_back(&c);
  } else {
    for (const std::string& name : containers) {
      if (const model::Instance* c = env.FindInstance(name)) out.push_back(c);
    }
  }
  return out;
}

std::string Serialise(const json& j) {
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace

json DumpInstance(const model::Environment& env, const model::Instance& c,
                  const DumpOptions& options) {
  return DumpInstanceWithDependencies(c, graph::ContainerGraph(env).Closure(c.name, true), options);
}

json DumpEnvironment(const model::Environment& env, const std::vector<std::string>& containers,
                     const DumpOptions& options) {
  json doc = DumpSkeleton(env, options);
  graph::ContainerGraph graph(env);
  json& instances = doc["instances"];
  for (const model::Instance* c : Selected(env, containers)) {
    instances.push_back(DumpInstanceWithDependencies(*c, graph.Closure(c->name, true), options));
  }
  return doc;
}

absl::Status WriteDump(const model::Environment& env, const std::vector<std::string>& containers,
                       const DumpOptions& options,
                       const std::function<bool(absl::string_view)>& write) {
  // The skeleton is serialised with an empty instances array; its top-level keys are indented
  // by exactly two spaces and JSON text has no raw newlines inside strings, so the line
  // `  "instances": [],` (or without the comma when last) can only be that key. The instances
  // are spliced in there, each serialised alone and indented by four more spaces.
  std::string skeleton = Serialise(DumpSkeleton(env, options));
  static constexpr char kKey[] = "\n  \"instances\": []";
  size_t at = skeleton.find(kKey);
  if (at == std::string::npos) return absl::InternalError("dump: no instances key");
  size_t after = at + sizeof(kKey) - 1;  // at the ',' or the '\n' that follows "[]"
  std::vector<const model::Instance*> selected = Selected(env, containers);
  auto fail = [] { return absl::UnavailableError("dump: writing the output failed"); };
  if (selected.empty()) {
    if (!write(skeleton) || !write("\n")) return fail();
    return absl::OkStatus();
  }
  if (!write(absl::string_view(skeleton).substr(0, after - 1))) return fail();  // up to '['
  graph::ContainerGraph graph(env);
  std::string text;
  for (size_t i = 0; i < selected.size(); ++i) {
    const model::Instance& c = *selected[i];
    text = Serialise(DumpInstanceWithDependencies(c, graph.Closure(c.name, true), options));
    text = absl::StrReplaceAll(text, {{"\n", "\n    "}});
    if (!write(i == 0 ? "\n    " : ",\n    ") || !write(text)) return fail();
  }
  if (!write("\n  ]") || !write(absl::string_view(skeleton).substr(after)) || !write("\n")) {
    return fail();
  }
  return absl::OkStatus();
}

}  // namespace config
}  // namespace maestro
