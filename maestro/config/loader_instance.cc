// Loader: instances (containers) and their settings.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/config/loader_internal.h"
#include "maestro/config/parsers.h"
#include "maestro/model/env_contract.h"

namespace maestro {
namespace config {
namespace loader_internal {
namespace {

const std::vector<std::string> kInstanceKeys = {
    "ship",        "image",    "command",           "cmd",          "ports",      "envfile",
    "env",         "volumes",  "container_volumes", "volumes_from", "links",      "username",
    "privileged",  "cap_add",  "cap_drop",          "extra_hosts",  "net",        "pid",
    "restart",     "dns",      "stop_timeout",      "limits",       "log_driver", "log_opt",
    "lxc_conf",    "workdir",  "security_opt",      "ulimits",      "labels",     "lifecycle",
    "healthcheck", "networks", "secrets",           "secrets_guest"};
const std::vector<std::string> kLimitKeys = {"cpu", "memory", "swap"};
const std::vector<std::string> kLogDrivers = {"json-file", "syslog",  "journald",
                                              "gelf",      "fluentd", "none"};

}  // namespace

void Loader::LoadInstance(const YamlNode& service_node, model::Service& service,
                          const YamlNode& key, const YamlNode& node) {
  model::Instance c;
  c.name = key.PyStr();
  c.service = service.name;
  c.line = key.line;
  c.column = key.column;
  auto owner = instance_owner_.find(c.name);
  if (owner != instance_owner_.end()) {
    Error(key, absl::StrCat("instance '", c.name, "' is already defined in service '",
                            owner->second, "' (line ", instance_keys_[c.name]->line, ")"));
    return;
  }
  instance_owner_[c.name] = service.name;
  instance_keys_[c.name] = &key;
  instance_nodes_[c.name] = &node;
  service.instances.push_back(c.name);
  if (!node.IsMapping()) {
    Error(node.IsNull() ? key : node,
          absl::StrCat("instance '", c.name, "' must be a mapping with at least 'ship', got ",
                       node.KindName()));
    return;
  }
  CheckKeys(node, WithContainerKeys(kInstanceKeys), absl::StrCat(" in instance '", c.name, "'"));
  size_t errors_before = errors_.size();

  // Ship.
  const model::Ship* ship = nullptr;
  const YamlNode* ship_node = node.Find("ship");
  if (ship_node == nullptr || ship_node->IsNull()) {
    Error(key, absl::StrCat("instance '", c.name, "' has no 'ship'"));
    return;
  }
  if (auto s = String(*ship_node, "ship")) {
    c.ship = *s;
    ship = env_.FindShip(c.ship);
    if (ship == nullptr && bad_ships_.count(c.ship) == 0) {
      std::vector<std::string> known;
      for (const model::Ship& sh : env_.ships) known.push_back(sh.name);
      std::sort(known.begin(), known.end());
      Error(*ship_node, absl::StrCat("unknown ship '", c.ship, "' (known ships: ",
                                     known.empty() ? "none" : absl::StrJoin(known, ", "), ")"));
    }
  }
  if (ship == nullptr) return;

  // Image.
  c.image = service.image;
  if (const YamlNode* n = node.Find("image"); n && !n->IsNull()) {
    if (auto s = String(*n, "image")) {
      if (absl::StripAsciiWhitespace(*s).empty()) {
        Error(*n, absl::StrCat("instance '", c.name, "' has an empty 'image'"));
      } else {
        c.image = *s;
      }
    }
  }
  c.image_details = model::ParseImageDetails(c.image);
  c.short_image = model::ShortImage(c.image);

  LoadCommand(node, c);
  LoadPorts(service_node, node, c);

  // Environment (docs/environment.md#the-container-environment; link variables come after
  // validation).
  EnvMap own_env = service.env;
  if (const YamlNode* n = node.Find("envfile")) AddEnvFiles(*n, &own_env);
  if (const YamlNode* n = node.Find("env")) AddEnvMapping(*n, &own_env);
  own_env[env_contract::kContainerName] = c.name;
  own_env[env_contract::kContainerHostAddress] = ship->ip;
  own_env[env_contract::kDockerImage] = c.image;
  own_env[env_contract::kDockerTag] = c.image_details.tag;
  c.env = std::move(own_env);

  LoadVolumes(node, c);
  ResolveNamedVolumes(c);
  LoadHostSettings(node, c);
  LoadInstanceNetworks(service_node, node, c);
  LoadLimits(service_node, node, c);
  LoadLogging(node, c);
  LoadKernelSettings(node, c);
  LoadLabels(node, c);
  LoadHealthcheck(service_node, node, c);
  LoadInstanceSecrets(service_node, node, c);
  LoadContainerKeys(service_node, node, c);
  c.hostname = c.net ? "" : c.name;

  if (errors_.size() == errors_before) {
    LoadLifecycle(service_node.Find("lifecycle"), node.Find("lifecycle"), *ship, c);
  }
  env_.instances.push_back(std::move(c));
}

// `command`, or `cmd` (the deprecated spelling).
void Loader::LoadCommand(const YamlNode& node, model::Instance& c) {
  const YamlNode* command = node.Find("command");
  if (command == nullptr && (command = node.Find("cmd")) != nullptr) {
    for (size_t i = 0; i < node.keys.size(); ++i) {
      if (node.KeyAt(i) == "cmd") {
        Warn(node.keys[i],
             absl::StrCat("'cmd' in instance '", c.name, "' is deprecated; use 'command'"), false);
      }
    }
  }
  if (command != nullptr && !command->IsNull()) {
    if (command->IsSequence()) {
      std::vector<std::string> argv;
      for (const YamlNode& item : command->items) {
        if (item.IsScalar() && !item.IsNull()) {
          argv.push_back(item.PyStr());
        } else {
          Error(item, absl::StrCat("command list items must be strings, got ", item.KindName()));
        }
      }
      c.command = argv;
    } else if (command->IsScalar()) {
      auto argv = ShlexSplit(command->PyStr());
      if (!argv.ok()) {
        Error(*command, absl::StrCat("cannot split command: ", argv.status().message()));
      } else {
        c.command = *argv;
      }
    } else {
      Error(*command,
            absl::StrCat("command must be a string or a list, got ", command->KindName()));
    }
  }
}

// Service ports overridden per name by instance ports.
void Loader::LoadPorts(const YamlNode& service_node, const YamlNode& node, model::Instance& c) {
  std::vector<std::pair<std::string, const YamlNode*>> port_specs;
  for (const YamlNode* ports : {service_node.Find("ports"), node.Find("ports")}) {
    if (ports == nullptr || ports->IsNull()) continue;
    if (!ports->IsMapping()) {
      if (ports == node.Find("ports")) {
        Error(*ports, absl::StrCat("ports must be a mapping of port names to specs, got ",
                                   ports->KindName()));
      }
      continue;
    }
    for (size_t i = 0; i < ports->keys.size(); ++i) {
      std::string name = ports->KeyAt(i);
      auto it = std::find_if(port_specs.begin(), port_specs.end(),
                             [&](const auto& p) { return p.first == name; });
      if (it != port_specs.end()) {
        it->second = &ports->values[i];
      } else {
        port_specs.emplace_back(name, &ports->values[i]);
      }
    }
  }
  c.ports.reserve(port_specs.size());
  for (const auto& [name, spec] : port_specs) {
    auto port = ParsePort(name, *spec);
    if (!port.ok()) {
      Error(*spec, std::string(port.status().message()));
    } else {
      c.ports.push_back(*port);
    }
  }
}

void Loader::LoadVolumes(const YamlNode& node, model::Instance& c) {
  if (const YamlNode* n = node.Find("volumes")) {
    auto binds = ParseVolumes(*n, env_.schema);
    if (!binds.ok()) {
      Error(*n, std::string(binds.status().message()));
    } else {
      c.volumes = *binds;
    }
  }
  if (const YamlNode* n = node.Find("container_volumes")) {
    if (auto list = StringList(*n, "container_volumes")) {
      c.container_volumes.insert(list->begin(), list->end());
    }
  }
  for (const model::Bind& b : c.volumes) {
    if (c.container_volumes.count(b.target)) {
      Error(*node.Find("volumes"), absl::StrCat("conflict in ", c.name,
                                                " between bind-mounted volume and "
                                                "container-only volume on ",
                                                b.target));
    }
  }
  if (const YamlNode* n = node.Find("volumes_from")) {
    if (auto list = StringList(*n, "volumes_from")) {
      std::set<std::string> unique(list->begin(), list->end());
      c.volumes_from.assign(unique.begin(), unique.end());
    }
  }
}

// links, username, privileged, capabilities, extra_hosts, net/pid/workdir, restart, dns and
// stop_timeout.
void Loader::LoadHostSettings(const YamlNode& node, model::Instance& c) {
  if (const YamlNode* links = Mapping(node.Find("links"), "links")) {
    for (size_t i = 0; i < links->keys.size(); ++i) {
      if (auto alias = String(links->values[i], "link alias")) c.links[links->KeyAt(i)] = *alias;
    }
  }
  if (const YamlNode* n = node.Find("username"); n && !n->IsNull()) {
    if (auto s = String(*n, "username")) c.username = *s;
  }
  if (const YamlNode* n = node.Find("privileged")) {
    if (auto b = Bool(*n, "privileged")) c.privileged = *b;
  }
  for (auto [field, target] :
       {std::pair<const char*, std::vector<std::string>*>{"cap_add", &c.cap_add},
        {"cap_drop", &c.cap_drop}}) {
    if (const YamlNode* n = node.Find(field)) {
      if (auto list = StringList(*n, field)) *target = *list;
    }
  }
  if (const YamlNode* hosts = node.Find("extra_hosts"); hosts && !hosts->IsNull()) {
    if (!hosts->IsMapping()) {
      Error(*hosts, absl::StrCat("extra_hosts must be a mapping {host: ip} or {host: {ship: "
                                 "name}}, got ",
                                 hosts->KindName()));
    } else {
      for (size_t i = 0; i < hosts->keys.size(); ++i) {
        const YamlNode& v = hosts->values[i];
        std::string host = hosts->KeyAt(i);
        if (v.IsMapping() && v.Find("ship") != nullptr) {
          std::string ref = v.Find("ship")->PyStr();
          const model::Ship* other = env_.FindShip(ref);
          if (other == nullptr) {
            Error(*v.Find("ship"), absl::StrCat("unknown ship '", ref, "' in extra_hosts"));
          } else {
            c.extra_hosts[host] = other->ip;
          }
        } else if (v.IsScalar() && !v.IsNull() && v.kind != Kind::kBool) {
          c.extra_hosts[host] = v.PyStr();
        } else {
          Error(v, absl::StrCat("extra_hosts entry '", host,
                                "' must be an address or {ship: "
                                "name}, got ",
                                v.KindName()));
        }
      }
    }
  }
  for (auto [field, target] :
       {std::pair<const char*, model::IndirectOptional<std::string>*>{"net", &c.net},
        {"pid", &c.pid},
        {"workdir", &c.workdir}}) {
    if (const YamlNode* n = node.Find(field); n && !n->IsNull()) {
      if (auto s = String(*n, field)) *target = *s;
    }
  }
  if (const YamlNode* n = node.Find("restart")) {
    auto policy = ParseRestart(*n);
    if (!policy.ok()) {
      Error(*n, std::string(policy.status().message()));
    } else {
      c.restart = *policy;
    }
  }
  if (const YamlNode* n = node.Find("dns"); n && !n->IsNull()) {
    if (auto list = StringList(*n, "dns")) c.dns = *list;
  }
  if (const YamlNode* n = node.Find("stop_timeout"); n && !n->IsNull()) {
    if (auto v = Int(*n, "stop_timeout")) {
      if (*v < 0) {
        Error(*n, "stop_timeout must not be negative");
      } else {
        c.stop_timeout = static_cast<int>(*v);
      }
    }
  }
}

// Service limits overridden per key by instance limits.
void Loader::LoadLimits(const YamlNode& service_node, const YamlNode& node, model::Instance& c) {
  std::map<std::string, const YamlNode*> limit_specs;
  for (const YamlNode* limits : {service_node.Find("limits"), node.Find("limits")}) {
    if (limits == nullptr || !limits->IsMapping()) continue;
    for (size_t i = 0; i < limits->keys.size(); ++i)
      limit_specs[limits->KeyAt(i)] = &limits->values[i];
  }
  if (const YamlNode* limits = Mapping(node.Find("limits"), "limits")) {
    CheckKeys(*limits, kLimitKeys, absl::StrCat(" in the limits of instance '", c.name, "'"));
  }
  for (const auto& [k, spec] : limit_specs) {
    if (k == "cpu") {
      if (!spec->IsNull()) {
        if (auto v = Int(*spec, "limits.cpu")) {
          if (*v < 0) {
            Error(*spec, absl::StrCat("limits.cpu (CPU shares) must not be negative, got ", *v));
          } else {
            c.limits.cpu = *v;
          }
        }
      }
    } else if (k == "memory" || k == "swap") {
      auto bytes = ParseBytes(*spec);
      if (!bytes.ok()) {
        Error(*spec, absl::StrCat("invalid ", k, " limit: ", bytes.status().message()));
      } else {
        (k == "memory" ? c.limits.memory : c.limits.swap) = *bytes;
      }
    }
  }
}

void Loader::LoadLogging(const YamlNode& node, model::Instance& c) {
  const YamlNode* log_driver = node.Find("log_driver");
  const YamlNode* log_opt = node.Find("log_opt");
  if (log_driver != nullptr && !log_driver->IsNull()) {
    std::string driver = log_driver->PyStr();
    if (!log_driver->IsString() || !Contains(kLogDrivers, driver)) {
      Error(*log_driver, absl::StrCat("log_driver must be one of (",
                                      absl::StrJoin(kLogDrivers, ", "), "), got '", driver, "'"));
    } else {
      model::LogConfig config;
      config.driver = driver;
      if (log_opt != nullptr && !log_opt->IsNull()) {
        if (!log_opt->IsMapping()) {
          Error(*log_opt, absl::StrCat("log_opt must be a mapping, got ", log_opt->KindName()));
        } else {
          for (size_t i = 0; i < log_opt->keys.size(); ++i) {
            const YamlNode& v = log_opt->values[i];
            if (!v.IsScalar()) {
              Error(v, absl::StrCat("log_opt values must be scalars, got ", v.KindName()));
            } else {
              config.options[log_opt->KeyAt(i)] = v.PyStr();
            }
          }
        }
      }
      c.log_config = config;
    }
  } else if (log_opt != nullptr && !log_opt->IsNull()) {
    if (!log_opt->IsMapping()) {
      Error(*log_opt, absl::StrCat("log_opt must be a mapping, got ", log_opt->KindName()));
    } else {
      Warn(*log_opt, "log_opt is ignored without log_driver");
    }
  }
}

// lxc_conf, security_opt and ulimits.
void Loader::LoadKernelSettings(const YamlNode& node, model::Instance& c) {
  if (const YamlNode* lxc = Mapping(node.Find("lxc_conf"), "lxc_conf")) {
    for (size_t i = 0; i < lxc->keys.size(); ++i) {
      if (!lxc->values[i].IsScalar()) {
        Error(lxc->values[i], "lxc_conf values must be scalars");
      } else {
        c.lxc_conf.emplace_back(lxc->KeyAt(i), lxc->values[i].PyStr());
      }
    }
  }
  if (const YamlNode* n = node.Find("security_opt"); n && !n->IsNull()) {
    if (!n->IsSequence()) {
      Error(*n, absl::StrCat("security_opt must be a list, got ", n->KindName()));
    } else if (auto list = StringList(*n, "security_opt")) {
      c.security_opt = *list;
    }
  }
  if (const YamlNode* ulimits = Mapping(node.Find("ulimits"), "ulimits")) {
    for (size_t i = 0; i < ulimits->keys.size(); ++i) {
      const YamlNode& v = ulimits->values[i];
      model::Ulimit u;
      u.name = ulimits->KeyAt(i);
      if (v.kind == Kind::kInt) {
        auto n = Int(v, absl::StrCat("ulimit '", u.name, "'"));
        if (!n) continue;
        u.soft = u.hard = *n;
      } else if (v.IsMapping()) {
        const YamlNode* soft = v.Find("soft");
        const YamlNode* hard = v.Find("hard");
        CheckKeys(v, {"soft", "hard"}, absl::StrCat(" in ulimit '", u.name, "'"));
        if (soft == nullptr && hard == nullptr) {
          Error(v, absl::StrCat("ulimit '", u.name, "' needs 'soft' and/or 'hard'"));
          continue;
        }
        // A missing side takes the other's value.
        std::optional<int64_t> s, h;
        if (soft != nullptr && !(s = Int(*soft, "ulimit soft"))) continue;
        if (hard != nullptr && !(h = Int(*hard, "ulimit hard"))) continue;
        std::vector<int64_t> given;
        for (const std::optional<int64_t>& side : {s, h}) {
          if (side.has_value()) given.push_back(*side);
        }
        u.soft = given.front();
        u.hard = given.back();
      } else {
        Error(v, absl::StrCat("ulimit '", u.name, "' must be an integer or {soft, hard}, got ",
                              v.KindName()));
        continue;
      }
      c.ulimits.push_back(u);
    }
  }
}

void Loader::LoadLabels(const YamlNode& node, model::Instance& c) {
  if (const YamlNode* n = node.Find("labels"); n && !n->IsNull()) {
    std::map<std::string, std::string> labels;
    bool ok = true;
    if (n->IsSequence()) {
      for (const YamlNode& item : n->items) {
        if (item.IsScalar() && !item.IsNull()) {
          labels[item.PyStr()] = "";
        } else {
          ok = false;
        }
      }
    } else if (n->IsMapping()) {
      for (size_t i = 0; i < n->keys.size(); ++i) {
        if (n->values[i].IsScalar()) {
          labels[n->KeyAt(i)] = n->values[i].IsNull() ? "" : n->values[i].PyStr();
        } else {
          ok = false;
        }
      }
    } else {
      ok = false;
    }
    if (!ok) {
      Error(*n, absl::StrCat("invalid labels configuration for container ", c.name,
                             "; must be a list or mapping of strings"));
    } else {
      c.labels = labels;
    }
  }
}

void Loader::LoadHealthcheck(const YamlNode& service_node, const YamlNode& node,
                             model::Instance& c) {
  static const std::vector<std::string> kKeys = {"test",         "interval", "timeout",
                                                 "start_period", "retries",  "disable"};
  // key -> the node that sets it (the instance's wins); a `test` or `disable` of the instance
  // replaces both of the service's.
  std::map<std::string, const YamlNode*> specs;
  bool any = false;
  for (const YamlNode* hc : {service_node.Find("healthcheck"), node.Find("healthcheck")}) {
    if (hc == nullptr || hc->IsNull()) continue;
    if (!hc->IsMapping()) {
      Error(*hc, absl::StrCat("healthcheck must be a mapping (test, interval, timeout, "
                              "start_period, retries, disable), got ",
                              hc->KindName()));
      continue;
    }
    any = true;
    if (hc->Find("test") != nullptr || hc->Find("disable") != nullptr) {
      specs.erase("test");
      specs.erase("disable");
    }
    for (size_t i = 0; i < hc->keys.size(); ++i) {
      std::string key = hc->KeyAt(i);
      if (!Contains(kKeys, key)) {
        std::string suggestion = Suggest(key, kKeys);
        Error(hc->keys[i],
              absl::StrCat("unknown healthcheck key '", key, "'",
                           suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)",
                           "; expected one of ", absl::StrJoin(kKeys, ", ")));
        continue;
      }
      specs[key] = &hc->values[i];
    }
  }
  if (!any) return;
  model::Healthcheck h;
  size_t errors_before = errors_.size();
  bool disabled = false;
  if (auto it = specs.find("disable"); it != specs.end() && !it->second->IsNull()) {
    if (auto b = Bool(*it->second, "healthcheck.disable")) disabled = *b;
  }
  if (auto it = specs.find("test"); it != specs.end() && !it->second->IsNull()) {
    const YamlNode& t = *it->second;
    if (disabled) {
      Error(t, "healthcheck.test cannot be combined with 'disable: true'");
    } else if (t.IsString()) {
      if (absl::StripAsciiWhitespace(t.text).empty()) {
        Error(t, "healthcheck.test must not be empty");
      } else {
        h.test = {"CMD-SHELL", t.text};
      }
    } else if (t.IsSequence()) {
      std::vector<std::string> test;
      for (const YamlNode& item : t.items) {
        if (!item.IsScalar() || item.IsNull()) {
          Error(item,
                absl::StrCat("healthcheck.test list items must be strings, got ", item.KindName()));
          return;
        }
        test.push_back(item.PyStr());
      }
      if (test.empty() || (test[0] != "CMD" && test[0] != "CMD-SHELL" && test[0] != "NONE")) {
        Error(t,
              "healthcheck.test must start with CMD, CMD-SHELL or NONE, as "
              "[\"CMD\", \"prog\", \"arg\"] or [\"CMD-SHELL\", \"command\"]");
      } else if (test[0] == "CMD" && test.size() < 2) {
        Error(t, "healthcheck.test [\"CMD\", ...] needs a program to run");
      } else if (test[0] == "CMD-SHELL" && test.size() != 2) {
        Error(t, "healthcheck.test [\"CMD-SHELL\", \"command\"] takes exactly one command string");
      } else if (test[0] == "NONE" && test.size() != 1) {
        Error(t, "healthcheck.test [\"NONE\"] takes no arguments");
      } else {
        h.test = test;
      }
    } else {
      Error(t, absl::StrCat("healthcheck.test must be a string (run by the shell) or a list, got ",
                            t.KindName()));
    }
  }
  if (disabled) h.test = {"NONE"};
  for (auto [key, target] :
       {std::pair<const char*, std::optional<int64_t>*>{"interval", &h.interval_ns},
        {"timeout", &h.timeout_ns},
        {"start_period", &h.start_period_ns}}) {
    auto it = specs.find(key);
    if (it == specs.end() || it->second->IsNull()) continue;
    absl::StatusOr<int64_t> ns = ParseDuration(*it->second);
    if (!ns.ok()) {
      Error(*it->second, absl::StrCat("invalid healthcheck.", key, ": ", ns.status().message()));
    } else {
      *target = *ns;
    }
  }
  if (auto it = specs.find("retries"); it != specs.end() && !it->second->IsNull()) {
    if (auto v = Int(*it->second, "healthcheck.retries")) {
      if (*v < 0 || *v > 1000000) {
        Error(*it->second, "healthcheck.retries must be between 0 and 1000000");
      } else {
        h.retries = static_cast<int>(*v);
      }
    }
  }
  if (errors_.size() == errors_before) c.healthcheck = h;
}

}  // namespace loader_internal
}  // namespace config
}  // namespace maestro
