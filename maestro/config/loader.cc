#include "maestro/config/loader.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/config/parsers.h"
#include "maestro/graph/graph.h"
#include "maestro/model/env_contract.h"

namespace maestro {
namespace config {
namespace {

using EnvMap = std::map<std::string, std::optional<std::string>>;
using Kind = YamlNode::Kind;

const std::vector<std::string> kTopKeys = {"__maestro", "name",     "registries", "ship_defaults",
                                           "ships",     "ship_provider", "services", "audit"};
const std::vector<std::string> kMaestroKeys = {"schema", "base_dir"};
const std::vector<std::string> kRegistryKeys = {"registry", "username", "password", "email",
                                                "retry"};
const std::vector<std::string> kShipKeys = {
    "ip",     "endpoint", "docker_port", "socket_path", "api_version", "timeout",
    "ssh_tunnel", "tls", "tls_verify", "tls_ca_cert", "tls_cert", "tls_key", "ssl_version",
    "docker_host"};
const std::vector<std::string> kServiceKeys = {"image",   "instances", "omit",   "requires",
                                               "wants_info", "envfile", "env",   "lifecycle",
                                               "limits",  "ports"};
const std::vector<std::string> kInstanceKeys = {
    "ship",       "image",        "command",     "cmd",       "ports",      "envfile",
    "env",        "volumes",      "container_volumes", "volumes_from", "links", "username",
    "privileged", "cap_add",      "cap_drop",    "extra_hosts", "net",      "pid",
    "restart",    "dns",          "stop_timeout", "limits",   "log_driver", "log_opt",
    "lxc_conf",   "workdir",      "security_opt", "ulimits",  "labels",     "lifecycle"};
const std::vector<std::string> kLimitKeys = {"cpu", "memory", "swap"};
const std::vector<std::string> kLogDrivers = {"json-file", "syslog", "journald",
                                              "gelf",      "fluentd", "none"};
const std::vector<std::string> kLifecycleStates = {"pre-start", "running", "pre-stop", "stopped"};
const std::vector<std::string> kAuditTypes = {"log", "hipchat", "slack", "http", "exec", "_fail"};

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

nlohmann::json ToJson(const YamlNode& node) {
  switch (node.kind) {
    case Kind::kNull:
      return nullptr;
    case Kind::kBool:
      return node.bool_value;
    case Kind::kInt:
      return node.int_value;
    case Kind::kFloat:
      return node.float_value;
    case Kind::kTimestamp:
    case Kind::kString:
      return node.PyStr();
    case Kind::kSequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const YamlNode& item : node.items) out.push_back(ToJson(item));
      return out;
    }
    case Kind::kMapping: {
      nlohmann::json out = nlohmann::json::object();
      for (size_t i = 0; i < node.keys.size(); ++i) out[node.KeyAt(i)] = ToJson(node.values[i]);
      return out;
    }
  }
  return nullptr;
}

class Loader {
 public:
  Loader(const LoadInput& in, FileReader& files) : in_(in), files_(files) {}

  absl::StatusOr<LoadResult> Load();

 private:
  // --- diagnostics -----------------------------------------------------------------------
  void Error(const YamlNode& at, const std::string& message) {
    errors_.push_back({Diagnostic::Severity::kError, in_.display_name, at.line, at.column,
                       at.path, message});
  }
  void Warn(const YamlNode& at, const std::string& message, bool with_path = true) {
    warnings_.push_back({Diagnostic::Severity::kWarning, in_.display_name, at.line, at.column,
                         with_path ? at.path : "", message});
  }
  // Warns about every key of `map` not in `known` (keys starting with '_' are allowed when
  // `allow_underscore`).
  void CheckKeys(const YamlNode& map, const std::vector<std::string>& known,
                 const std::string& where, bool allow_underscore = false) {
    for (size_t i = 0; i < map.keys.size(); ++i) {
      const YamlNode& key_node = map.keys[i];
      std::string converted;
      const std::string& key = key_node.IsString() ? key_node.text : (converted = key_node.PyStr());
      if (Contains(known, key)) continue;
      if (allow_underscore && !key.empty() && key[0] == '_') continue;
      std::string message = absl::StrCat("unknown key '", key, "'", where);
      std::string suggestion = Suggest(key, known);
      if (!suggestion.empty()) absl::StrAppend(&message, " (did you mean '", suggestion, "'?)");
      Warn(map.keys[i], message, false);
    }
  }

  // --- typed accessors (report and return nullopt on a bad type) ---------------------------
  std::optional<std::string> String(const YamlNode& node, const std::string& what) {
    if (node.IsString() || node.kind == Kind::kInt || node.kind == Kind::kFloat ||
        node.kind == Kind::kTimestamp) {
      return node.PyStr();
    }
    Error(node, absl::StrCat(what, " must be a string, got ", node.KindName()));
    return std::nullopt;
  }
  std::optional<int64_t> Int(const YamlNode& node, const std::string& what) {
    if (node.kind == Kind::kInt) return node.int_value;
    int64_t v = 0;
    if (node.IsString() && absl::SimpleAtoi(absl::StripAsciiWhitespace(node.text), &v)) return v;
    Error(node, absl::StrCat(what, " must be an integer, got ", node.KindName(), " '",
                             node.PyStr(), "'"));
    return std::nullopt;
  }
  std::optional<bool> Bool(const YamlNode& node, const std::string& what) {
    if (node.kind == Kind::kBool) return node.bool_value;
    if (node.IsNull()) return false;
    Error(node, absl::StrCat(what, " must be true or false, got ", node.KindName(), " '",
                             node.PyStr(), "'"));
    return std::nullopt;
  }
  // A string or a list of strings.
  std::optional<std::vector<std::string>> StringList(const YamlNode& node, const std::string& what) {
    std::vector<std::string> out;
    if (node.IsNull()) return out;
    if (node.IsScalar()) {
      auto s = String(node, what);
      if (!s) return std::nullopt;
      out.push_back(*s);
      return out;
    }
    if (!node.IsSequence()) {
      Error(node, absl::StrCat(what, " must be a string or a list of strings, got ",
                               node.KindName()));
      return std::nullopt;
    }
    for (const YamlNode& item : node.items) {
      auto s = String(item, what);
      if (!s) return std::nullopt;
      out.push_back(*s);
    }
    return out;
  }
  const YamlNode* Mapping(const YamlNode* node, const std::string& what) {
    if (node == nullptr || node->IsNull()) return nullptr;
    if (!node->IsMapping()) {
      Error(*node, absl::StrCat(what, " must be a mapping, got ", node->KindName()));
      return nullptr;
    }
    return node;
  }

  // --- environment building (§4.3) ----------------------------------------------------------
  bool AddEnvFiles(const YamlNode& node, EnvMap* env);
  bool AddEnvMapping(const YamlNode& node, EnvMap* env);
  std::optional<std::string> FlattenEnvList(const YamlNode& list, bool* ok);

  // --- sections ----------------------------------------------------------------------------
  void LoadRegistries(const YamlNode* node);
  void LoadShips(const YamlNode& root);
  void LoadShip(const YamlNode& key, const YamlNode& node, const YamlNode* defaults);
  void LoadServices(const YamlNode* node);
  void LoadService(const YamlNode& key, const YamlNode& node);
  void LoadInstance(const YamlNode& service_node, model::Service& service, const YamlNode& key,
                    const YamlNode& node);
  void LoadLifecycle(const YamlNode* service_lc, const YamlNode* instance_lc,
                     const model::Ship& ship, model::Instance& c);
  std::optional<model::Check> LoadCheck(const YamlNode& node, const std::string& state,
                                        const model::Ship& ship, const model::Instance& c);
  void LoadAudit(const YamlNode* node);
  void ResolveDependencies();
  void CheckVolumesFrom();
  void CheckCycles();
  void InjectLinkVariables();

  // All errors, in document order, without repeats (a bad service-level value is seen once per
  // instance).
  absl::Status ErrorsStatus() const {
    std::vector<Diagnostic> sorted = errors_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::vector<std::string> lines;
    std::set<std::string> seen;
    for (const Diagnostic& d : sorted) {
      if (!seen.insert(d.ToString()).second) continue;
      if (static_cast<int>(lines.size()) == kMaxReportedErrors) {
        lines.push_back("... (more errors not shown)");
        break;
      }
      lines.push_back(d.ToString());
    }
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }

  const LoadInput& in_;
  FileReader& files_;
  model::Environment env_;
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
  // Source nodes kept for messages after the first pass.
  std::map<std::string, const YamlNode*> service_keys_;
  std::map<std::string, const YamlNode*> service_nodes_;
  std::map<std::string, const YamlNode*> instance_nodes_;
  std::map<std::string, const YamlNode*> instance_keys_;
  std::map<std::string, std::string> instance_owner_;  // instance -> service (first definition)
};

std::optional<std::string> Loader::FlattenEnvList(const YamlNode& list, bool* ok) {
  std::vector<std::string> pieces;
  for (const YamlNode& item : list.items) {
    if (item.IsSequence()) {
      auto inner = FlattenEnvList(item, ok);
      if (!*ok) return std::nullopt;
      pieces.push_back(*inner);
    } else if (item.IsString()) {
      pieces.push_back(item.text);
    } else {
      Error(item, absl::StrCat("environment list items must be strings (quote them), got ",
                               item.KindName(), " '", item.PyStr(), "'"));
      *ok = false;
      return std::nullopt;
    }
  }
  return absl::StrJoin(pieces, " ");
}

bool Loader::AddEnvFiles(const YamlNode& node, EnvMap* env) {
  if (node.IsNull()) return true;
  if (node.IsSequence()) {
    for (const YamlNode& item : node.items) {
      if (!AddEnvFiles(item, env)) return false;
    }
    return true;
  }
  if (!node.IsString()) {
    Error(node, absl::StrCat("envfile must be a path or a list of paths, got ", node.KindName()));
    return false;
  }
  if (node.text.empty()) return true;  // falsy sources are skipped, as in MaestroNG
  std::string path = JoinPath(in_.base_dir, node.text);
  absl::StatusOr<std::string> content = files_.Read(path);
  if (!content.ok()) {
    Error(node, std::string(content.status().message()));
    return false;
  }
  auto entries = ParseEnvFile(*content);
  if (!entries.ok()) {
    Error(node, absl::StrCat("environment file ", path, ", ", entries.status().message()));
    return false;
  }
  for (auto& [k, v] : *entries) (*env)[k] = v;
  return true;
}

bool Loader::AddEnvMapping(const YamlNode& node, EnvMap* env) {
  if (node.IsNull()) return true;
  if (node.IsSequence()) {
    for (const YamlNode& item : node.items) {
      if (!AddEnvMapping(item, env)) return false;
    }
    return true;
  }
  if (!node.IsMapping()) {
    Error(node, absl::StrCat("env must be a mapping of variables, got ", node.KindName(),
                             node.IsString() ? " (use 'envfile' for environment files)" : ""));
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < node.keys.size(); ++i) {
    const YamlNode& value = node.values[i];
    std::string key = node.KeyAt(i);
    if (value.IsMapping()) {
      Error(value, "environment variable values must be scalars or lists, got a mapping");
      ok = false;
    } else if (value.IsSequence()) {
      bool item_ok = true;
      auto flat = FlattenEnvList(value, &item_ok);
      if (!item_ok) {
        ok = false;
        continue;
      }
      (*env)[key] = flat;
    } else if (value.IsNull()) {
      (*env)[key] = std::nullopt;
    } else {
      (*env)[key] = value.PyStr();
    }
  }
  return ok;
}

void Loader::LoadRegistries(const YamlNode* node) {
  const YamlNode* regs = Mapping(node, "registries");
  if (regs == nullptr) return;
  for (size_t i = 0; i < regs->keys.size(); ++i) {
    const YamlNode& key = regs->keys[i];
    const YamlNode& value = regs->values[i];
    model::Registry r;
    r.name = key.PyStr();
    r.line = key.line;
    if (!value.IsMapping()) {
      Error(value, absl::StrCat("registry '", r.name, "' must be a mapping, got ", value.KindName()));
      continue;
    }
    CheckKeys(value, kRegistryKeys, absl::StrCat(" in registry '", r.name, "'"));
    if (const YamlNode* n = value.Find("registry")) {
      if (auto s = String(*n, "registry")) r.url = *s;
    } else {
      Error(key, absl::StrCat("registry '", r.name, "' has no 'registry' URL"));
    }
    if (const YamlNode* n = value.Find("username"); n && !n->IsNull()) {
      if (auto s = String(*n, "username")) r.username = *s;
    }
    if (const YamlNode* n = value.Find("password"); n && !n->IsNull()) {
      if (auto s = String(*n, "password")) r.password = *s;
    }
    if (const YamlNode* n = value.Find("email"); n && !n->IsNull()) {
      if (auto s = String(*n, "email")) r.email = *s;
    }
    if (const YamlNode* retry = Mapping(value.Find("retry"), "retry")) {
      CheckKeys(*retry, {"attempts", "when"}, absl::StrCat(" in the retry policy of registry '",
                                                           r.name, "'"));
      if (const YamlNode* n = retry->Find("attempts")) {
        if (auto v = Int(*n, "retry.attempts")) r.retry.attempts = static_cast<int>(*v);
      }
      if (const YamlNode* n = retry->Find("when"); n && !n->IsNull()) {
        if (!n->IsSequence()) {
          Error(*n, "retry.when must be a list of HTTP status codes");
        } else {
          for (const YamlNode& code : n->items) {
            if (auto v = Int(code, "retry.when item")) r.retry.when.push_back(static_cast<int>(*v));
          }
        }
      }
    }
    env_.registries.push_back(std::move(r));
  }
}

void Loader::LoadShips(const YamlNode& root) {
  const YamlNode* defaults = Mapping(root.Find("ship_defaults"), "ship_defaults");
  if (defaults != nullptr) {
    std::vector<std::string> default_keys;
    for (const std::string& k : kShipKeys) {
      if (k != "ip" && k != "endpoint") default_keys.push_back(k);
    }
    for (size_t i = 0; i < defaults->keys.size(); ++i) {
      std::string k = defaults->KeyAt(i);
      if (k == "ip" || k == "endpoint") {
        Warn(defaults->keys[i], absl::StrCat("'", k, "' is never taken from ship_defaults; set it "
                                             "on each ship"), false);
      }
    }
    CheckKeys(*defaults, kShipKeys, " in ship_defaults");
  }
  const YamlNode* ships = root.Find("ships");
  if (ships == nullptr) {
    Error(root, "no ships defined: the top-level 'ships' mapping is missing");
    return;
  }
  if (ships->IsNull()) return;
  if (!ships->IsMapping()) {
    Error(*ships, absl::StrCat("ships must be a mapping of ship names to settings, got ",
                               ships->KindName()));
    return;
  }
  for (size_t i = 0; i < ships->keys.size(); ++i) {
    LoadShip(ships->keys[i], ships->values[i], defaults);
  }
}

void Loader::LoadShip(const YamlNode& key, const YamlNode& node, const YamlNode* defaults) {
  model::Ship ship;
  ship.name = key.PyStr();
  ship.line = key.line;
  if (!node.IsMapping()) {
    Error(node.IsNull() ? key : node,
          absl::StrCat("ship '", ship.name, "' must be a mapping with at least 'ip', got ",
                       node.KindName()));
    return;
  }
  CheckKeys(node, kShipKeys, absl::StrCat(" in ship '", ship.name, "'"));
  auto get = [&](const std::string& k) -> const YamlNode* {
    const YamlNode* v = node.Find(k);
    if (v == nullptr && defaults != nullptr && k != "ip" && k != "endpoint") v = defaults->Find(k);
    if (v != nullptr && v->IsNull()) return nullptr;
    return v;
  };
  size_t errors_before = errors_.size();
  std::optional<int> host_port;
  std::string host_from_url;
  bool bad_docker_host = false;
  if (const YamlNode* n = get("docker_host")) {
    if (auto s = String(*n, "docker_host")) {
      ship.docker_host = *s;
      auto bad = [&]() {
        bad_docker_host = true;
        Error(*n, absl::StrCat("unsupported docker_host '", *s,
                               "': expected unix:///path, tcp://host:port or "
                               "ssh://user@host[:port]"));
      };
      auto split_host_port = [&](const std::string& hp, std::string* host, int* port) -> bool {
        size_t colon = hp.rfind(':');
        if (colon != std::string::npos && hp.find(']') == std::string::npos) {
          *host = hp.substr(0, colon);
          int p = 0;
          if (!absl::SimpleAtoi(hp.substr(colon + 1), &p) || p < 1 || p > 65535) return false;
          *port = p;
        } else {
          *host = hp;
        }
        return !host->empty();
      };
      if (s->rfind("unix://", 0) == 0 && s->size() > 7) {
        ship.socket_path = s->substr(7);
      } else if (s->rfind("tcp://", 0) == 0) {
        int port = 0;
        if (!split_host_port(s->substr(6), &host_from_url, &port)) {
          bad();
        } else if (port != 0) {
          host_port = port;
        }
      } else if (s->rfind("ssh://", 0) == 0) {
        std::string rest = s->substr(6);
        size_t at = rest.find('@');
        model::SshTunnel tunnel;
        if (at != std::string::npos) {
          tunnel.user = rest.substr(0, at);
          rest = rest.substr(at + 1);
        }
        int port = 0;
        if (!split_host_port(rest, &host_from_url, &port) || tunnel.user.empty()) {
          bad_docker_host = true;
          Error(*n, absl::StrCat("unsupported docker_host '", *s,
                                 "': the ssh form is ssh://user@host[:port]"));
        } else {
          if (port != 0) tunnel.port = port;
          ship.ssh_tunnel = tunnel;
        }
      } else {
        bad();
      }
    }
  }
  if (const YamlNode* n = get("ip")) {
    if (auto s = String(*n, "ip")) ship.ip = *s;
  } else if (!host_from_url.empty()) {
    ship.ip = host_from_url;
  } else if (!bad_docker_host) {
    Error(key, absl::StrCat("ship '", ship.name, "' has no 'ip'"));
  }
  if (const YamlNode* n = get("endpoint")) {
    if (auto s = String(*n, "endpoint")) ship.endpoint = *s;
  } else {
    ship.endpoint = host_from_url.empty() ? ship.ip : host_from_url;
  }
  if (const YamlNode* n = get("tls")) {
    if (auto b = Bool(*n, "tls")) ship.tls = *b;
  }
  if (const YamlNode* n = get("tls_verify")) {
    if (auto b = Bool(*n, "tls_verify")) ship.tls_verify = *b;
  }
  ship.docker_port = ship.tls ? 2376 : 2375;
  if (host_port) ship.docker_port = *host_port;
  if (const YamlNode* n = get("docker_port")) {
    if (auto v = Int(*n, "docker_port")) {
      if (*v < 1 || *v > 65535) {
        Error(*n, absl::StrCat("docker_port ", *v, " is out of range (1-65535)"));
      } else {
        ship.docker_port = static_cast<int>(*v);
      }
    }
  }
  if (const YamlNode* n = get("socket_path")) {
    if (auto s = String(*n, "socket_path")) ship.socket_path = *s;
  }
  if (const YamlNode* n = get("api_version")) {
    // The text as written: MaestroNG's str(1.20) would give "1.2", an API version that
    // does not exist (reference §3.5 [PY]); keep "1.20".
    if (n->IsScalar() && n->kind != Kind::kBool) {
      ship.api_version = n->text.empty() ? n->PyStr() : n->text;
    } else {
      Error(*n, absl::StrCat("api_version must be a version such as '1.24' or 'auto', got ",
                             n->KindName()));
    }
  }
  if (const YamlNode* n = get("timeout")) {
    if (n->kind == Kind::kInt) {
      ship.timeout = static_cast<double>(n->int_value);
    } else if (n->kind == Kind::kFloat) {
      ship.timeout = n->float_value;
    } else {
      Error(*n, absl::StrCat("timeout must be a number of seconds, got ", n->KindName()));
    }
    if (ship.timeout <= 0) Error(*n, "timeout must be positive");
  }
  for (auto [field, target] : {std::pair<const char*, std::string*>{"tls_ca_cert", &ship.tls_ca_cert},
                               {"tls_cert", &ship.tls_cert},
                               {"tls_key", &ship.tls_key},
                               {"ssl_version", &ship.ssl_version}}) {
    if (const YamlNode* n = get(field)) {
      if (auto s = String(*n, field)) *target = *s;
    }
  }
  if (ship.tls && (ship.tls_cert.empty() || ship.tls_key.empty())) {
    Error(key, absl::StrCat("ship '", ship.name, "' enables tls but does not set both "
                            "'tls_cert' and 'tls_key'"));
  }
  if (const YamlNode* n = get("ssh_tunnel")) {
    if (!n->IsMapping()) {
      Error(*n, absl::StrCat("ssh_tunnel must be a mapping {user, key, port}, got ", n->KindName()));
    } else {
      CheckKeys(*n, {"user", "key", "port", "known_hosts", "socket_path", "keepalive"},
                absl::StrCat(" in the ssh_tunnel of ship '", ship.name, "'"));
      model::SshTunnel tunnel = ship.ssh_tunnel.value_or(model::SshTunnel());
      bool from_url = ship.ssh_tunnel.has_value();
      if (const YamlNode* u = n->Find("user"); u && !u->IsNull()) {
        if (auto s = String(*u, "ssh_tunnel.user")) tunnel.user = *s;
      }
      if (const YamlNode* k = n->Find("key"); k && !k->IsNull()) {
        if (auto s = String(*k, "ssh_tunnel.key")) tunnel.key = *s;
      }
      if (const YamlNode* p = n->Find("port"); p && !p->IsNull()) {
        if (auto v = Int(*p, "ssh_tunnel.port")) tunnel.port = static_cast<int>(*v);
      }
      if (const YamlNode* h = n->Find("known_hosts"); h && !h->IsNull()) {
        if (h->IsSequence()) {
          for (const YamlNode& item : h->items) {
            if (auto s = String(item, "ssh_tunnel.known_hosts")) tunnel.known_hosts.push_back(*s);
          }
        } else if (auto s = String(*h, "ssh_tunnel.known_hosts")) {
          tunnel.known_hosts.push_back(*s);
        }
      }
      if (const YamlNode* sp = n->Find("socket_path"); sp && !sp->IsNull()) {
        if (auto s = String(*sp, "ssh_tunnel.socket_path")) tunnel.socket_path = *s;
      }
      if (const YamlNode* ka = n->Find("keepalive"); ka && !ka->IsNull()) {
        if (auto v = Int(*ka, "ssh_tunnel.keepalive")) {
          if (*v < 0) {
            Error(*ka, "ssh_tunnel.keepalive must be 0 (off) or a number of seconds");
          } else {
            tunnel.keepalive = static_cast<int>(*v);
          }
        }
      }
      if (tunnel.user.empty()) {
        Error(*n, absl::StrCat("missing SSH user for ship ", ship.name, " tunnel configuration"));
      } else if (tunnel.key.empty() && !from_url) {
        Error(*n, absl::StrCat("missing SSH key for ship ", ship.name, " tunnel configuration"));
      }
      ship.ssh_tunnel = tunnel;
    }
  }
  if (errors_.size() == errors_before) env_.ships.push_back(std::move(ship));
}

void Loader::LoadServices(const YamlNode* node) {
  if (node == nullptr || node->IsNull()) return;
  if (!node->IsMapping()) {
    Error(*node, absl::StrCat("services must be a mapping of service names to settings, got ",
                              node->KindName()));
    return;
  }
  size_t instances = 0;
  for (const YamlNode& service : node->values) {
    if (const YamlNode* list = service.Find("instances")) instances += list->keys.size();
  }
  env_.instances.reserve(env_.instances.size() + instances);
  for (size_t i = 0; i < node->keys.size(); ++i) LoadService(node->keys[i], node->values[i]);
}

void Loader::LoadService(const YamlNode& key, const YamlNode& node) {
  model::Service service;
  service.name = key.PyStr();
  service.line = key.line;
  service_keys_[service.name] = &key;
  service_nodes_[service.name] = &node;
  if (!node.IsMapping()) {
    Error(node.IsNull() ? key : node,
          absl::StrCat("service '", service.name, "' must be a mapping with 'image' and "
                       "'instances', got ", node.KindName()));
    return;
  }
  CheckKeys(node, kServiceKeys, absl::StrCat(" in service '", service.name, "'"));
  size_t errors_before = errors_.size();
  if (const YamlNode* n = node.Find("image"); n && !n->IsNull()) {
    if (auto s = String(*n, "image")) service.image = *s;
  } else {
    Error(key, absl::StrCat("service '", service.name, "' has no 'image'"));
  }
  if (const YamlNode* n = node.Find("omit")) {
    if (auto b = Bool(*n, "omit")) service.omit = *b;
  }
  for (auto [field, target] : {std::pair<const char*, std::vector<std::string>*>{
                                   "requires", &service.requires},
                               {"wants_info", &service.wants_info}}) {
    if (const YamlNode* n = node.Find(field)) {
      if (auto list = StringList(*n, field)) {
        for (const std::string& s : *list) {
          if (!Contains(*target, s)) target->push_back(s);
        }
      }
    }
  }
  // Service environment: envfiles, env, then the seeds (which override the user's env).
  if (const YamlNode* n = node.Find("envfile")) AddEnvFiles(*n, &service.env);
  if (const YamlNode* n = node.Find("env")) AddEnvMapping(*n, &service.env);
  service.env[env_contract::kEnvironmentName] = env_.name;
  service.env[env_contract::kServiceName] = service.name;
  Mapping(node.Find("ports"), "ports");
  Mapping(node.Find("limits"), "limits");
  Mapping(node.Find("lifecycle"), "lifecycle");
  if (const YamlNode* limits = node.Find("limits"); limits && limits->IsMapping()) {
    CheckKeys(*limits, kLimitKeys, absl::StrCat(" in the limits of service '", service.name, "'"));
  }

  const YamlNode* instances = node.Find("instances");
  if (instances == nullptr) {
    Error(key, absl::StrCat("service '", service.name, "' has no 'instances'"));
  } else if (!instances->IsMapping()) {
    Error(instances->IsNull() ? key : *instances,
          absl::StrCat("instances of service '", service.name,
                       "' must be a mapping of instance names to settings, got ",
                       instances->KindName()));
  }
  if (errors_.size() != errors_before) {
    env_.services.push_back(std::move(service));
    return;
  }
  env_.services.push_back(std::move(service));
  size_t index = env_.services.size() - 1;
  for (size_t i = 0; i < instances->keys.size(); ++i) {
    LoadInstance(node, env_.services[index], instances->keys[i], instances->values[i]);
  }
}

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
  CheckKeys(node, kInstanceKeys, absl::StrCat(" in instance '", c.name, "'"));
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
    if (ship == nullptr) {
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
    if (auto s = String(*n, "image")) c.image = *s;
  }
  c.image_details = model::ParseImageDetails(c.image);
  c.short_image = model::ShortImage(c.image);

  // Command (`cmd` is the deprecated spelling).
  const YamlNode* command = node.Find("command");
  if (command == nullptr && (command = node.Find("cmd")) != nullptr) {
    for (size_t i = 0; i < node.keys.size(); ++i) {
      if (node.KeyAt(i) == "cmd") {
        Warn(node.keys[i], absl::StrCat("'cmd' in instance '", c.name,
                                        "' is deprecated; use 'command'"), false);
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
      Error(*command, absl::StrCat("command must be a string or a list, got ", command->KindName()));
    }
  }

  // Ports: service ports overridden per name by instance ports.
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
  for (const auto& [name, spec] : port_specs) {
    auto port = ParsePort(name, *spec);
    if (!port.ok()) {
      Error(*spec, std::string(port.status().message()));
    } else {
      c.ports.push_back(*port);
    }
  }

  // Environment (§4.3 steps 1-6; link variables come after validation).
  EnvMap own_env = service.env;
  if (const YamlNode* n = node.Find("envfile")) AddEnvFiles(*n, &own_env);
  if (const YamlNode* n = node.Find("env")) AddEnvMapping(*n, &own_env);
  own_env[env_contract::kContainerName] = c.name;
  own_env[env_contract::kContainerHostAddress] = ship->ip;
  own_env[env_contract::kDockerImage] = c.image;
  own_env[env_contract::kDockerTag] = c.image_details.tag;
  c.env = std::move(own_env);

  // Volumes.
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
      Error(*node.Find("volumes"),
            absl::StrCat("conflict in ", c.name, " between bind-mounted volume and "
                         "container-only volume on ", b.target));
    }
  }
  if (const YamlNode* n = node.Find("volumes_from")) {
    if (auto list = StringList(*n, "volumes_from")) {
      std::set<std::string> unique(list->begin(), list->end());
      c.volumes_from.assign(unique.begin(), unique.end());
    }
  }

  // Simple settings.
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
  for (auto [field, target] : {std::pair<const char*, std::vector<std::string>*>{"cap_add", &c.cap_add},
                               {"cap_drop", &c.cap_drop}}) {
    if (const YamlNode* n = node.Find(field)) {
      if (auto list = StringList(*n, field)) *target = *list;
    }
  }
  if (const YamlNode* hosts = node.Find("extra_hosts"); hosts && !hosts->IsNull()) {
    if (!hosts->IsMapping()) {
      Error(*hosts, absl::StrCat("extra_hosts must be a mapping {host: ip} or {host: {ship: "
                                 "name}}, got ", hosts->KindName()));
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
          Error(v, absl::StrCat("extra_hosts entry '", host, "' must be an address or {ship: "
                                "name}, got ", v.KindName()));
        }
      }
    }
  }
  for (auto [field, target] : {std::pair<const char*, std::optional<std::string>*>{"net", &c.net},
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

  // Limits: service limits overridden per key by instance limits.
  std::map<std::string, const YamlNode*> limit_specs;
  for (const YamlNode* limits : {service_node.Find("limits"), node.Find("limits")}) {
    if (limits == nullptr || !limits->IsMapping()) continue;
    for (size_t i = 0; i < limits->keys.size(); ++i) limit_specs[limits->KeyAt(i)] = &limits->values[i];
  }
  if (const YamlNode* limits = Mapping(node.Find("limits"), "limits")) {
    CheckKeys(*limits, kLimitKeys, absl::StrCat(" in the limits of instance '", c.name, "'"));
  }
  for (const auto& [k, spec] : limit_specs) {
    if (k == "cpu") {
      if (!spec->IsNull()) {
        if (auto v = Int(*spec, "limits.cpu")) c.limits.cpu = *v;
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

  // Logging.
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
        u.soft = u.hard = v.int_value;
      } else if (v.IsMapping()) {
        const YamlNode* soft = v.Find("soft");
        const YamlNode* hard = v.Find("hard");
        CheckKeys(v, {"soft", "hard"}, absl::StrCat(" in ulimit '", u.name, "'"));
        if (soft == nullptr && hard == nullptr) {
          Error(v, absl::StrCat("ulimit '", u.name, "' needs 'soft' and/or 'hard'"));
          continue;
        }
        std::optional<int64_t> s = soft ? Int(*soft, "ulimit soft") : std::nullopt;
        std::optional<int64_t> h = hard ? Int(*hard, "ulimit hard") : std::nullopt;
        if ((soft && !s) || (hard && !h)) continue;
        u.soft = s ? *s : *h;
        u.hard = h ? *h : *s;
      } else {
        Error(v, absl::StrCat("ulimit '", u.name, "' must be an integer or {soft, hard}, got ",
                              v.KindName()));
        continue;
      }
      c.ulimits.push_back(u);
    }
  }
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
  c.hostname = c.net ? "" : c.name;

  if (errors_.size() == errors_before) {
    LoadLifecycle(service_node.Find("lifecycle"), node.Find("lifecycle"), *ship, c);
  }
  env_.instances.push_back(std::move(c));
}

void Loader::LoadLifecycle(const YamlNode* service_lc, const YamlNode* instance_lc,
                           const model::Ship& ship, model::Instance& c) {
  // Each instance parses the check configurations afresh: nothing is shared between
  // instances, so service checks never accumulate (reference §8.1 bugs 6, 7, 18).
  for (const YamlNode* lc : {service_lc, instance_lc}) {
    if (lc == nullptr || !lc->IsMapping()) {
      if (lc != nullptr && lc == instance_lc && !lc->IsNull()) {
        Error(*lc, absl::StrCat("lifecycle must be a mapping of states to lists of checks, got ",
                                lc->KindName()));
      }
      continue;
    }
    for (size_t i = 0; i < lc->keys.size(); ++i) {
      std::string state = lc->KeyAt(i);
      const YamlNode& checks = lc->values[i];
      if (!Contains(kLifecycleStates, state) && lc == instance_lc) {
        std::string suggestion = Suggest(state, kLifecycleStates);
        Warn(lc->keys[i], absl::StrCat("lifecycle state '", state, "' is never used (states: ",
                                       absl::StrJoin(kLifecycleStates, ", "), ")",
                                       suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
      }
      if (checks.IsNull()) continue;
      if (!checks.IsSequence()) {
        Error(checks, absl::StrCat("invalid ", state, " lifecycle checks configuration; expected "
                                   "a list of checks, got ", checks.KindName()));
        continue;
      }
      for (const YamlNode& check : checks.items) {
        if (auto parsed = LoadCheck(check, state, ship, c)) c.lifecycle[state].push_back(*parsed);
      }
    }
  }
  if (service_lc != nullptr && service_lc->IsMapping()) {
    // Warn once per service about unused states, on its first instance.
    const model::Service* s = env_.FindService(c.service);
    if (s != nullptr && !s->instances.empty() && s->instances.front() == c.name) {
      for (size_t i = 0; i < service_lc->keys.size(); ++i) {
        std::string state = service_lc->KeyAt(i);
        if (!Contains(kLifecycleStates, state)) {
          std::string suggestion = Suggest(state, kLifecycleStates);
          Warn(service_lc->keys[i],
               absl::StrCat("lifecycle state '", state, "' is never used (states: ",
                            absl::StrJoin(kLifecycleStates, ", "), ")",
                            suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
        }
      }
    }
  }
}

std::optional<model::Check> Loader::LoadCheck(const YamlNode& node, const std::string& state,
                                              const model::Ship& ship, const model::Instance& c) {
  if (!node.IsMapping()) {
    Error(node, absl::StrCat("a lifecycle check must be a mapping with a 'type', got ",
                             node.KindName()));
    return std::nullopt;
  }
  const YamlNode* type = node.Find("type");
  if (type == nullptr) {
    Error(node, "lifecycle check has no 'type' (tcp, http, exec, rexec or sleep)");
    return std::nullopt;
  }
  static const std::map<std::string, std::pair<model::CheckType, std::vector<std::string>>>
      kTypes = {
          {"tcp", {model::CheckType::kTcp, {"type", "port", "max_wait"}}},
          {"http",
           {model::CheckType::kHttp,
            {"type", "port", "host", "match_regex", "path", "scheme", "method", "max_wait",
             "requests_options"}}},
          {"exec",
           {model::CheckType::kExec, {"type", "command", "attempts", "envfrom", "timeout"}}},
          {"rexec", {model::CheckType::kRexec, {"type", "command", "attempts", "timeout"}}},
          {"sleep", {model::CheckType::kSleep, {"type", "wait"}}},
      };
  std::string type_name = type->PyStr();
  auto it = kTypes.find(type_name);
  if (it == kTypes.end()) {
    Error(*type, absl::StrCat("unknown lifecycle check type '", type_name,
                              "' (expected tcp, http, exec, rexec or sleep)"));
    return std::nullopt;
  }
  model::Check check;
  check.type = it->second.first;
  check.line = node.line;
  const std::vector<std::string>& allowed = it->second.second;
  for (size_t i = 0; i < node.keys.size(); ++i) {
    std::string key = node.KeyAt(i);
    if (Contains(allowed, key)) continue;
    std::string suggestion = Suggest(key, allowed);
    if (key == "cmd") suggestion = "command";
    Error(node.keys[i], absl::StrCat("unknown option '", key, "' for lifecycle check type ", type_name,
                                     suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
    return std::nullopt;
  }
  size_t errors_before = errors_.size();
  auto int_option = [&](const char* name, int def) -> int {
    const YamlNode* n = node.Find(name);
    if (n == nullptr || n->IsNull()) return def;
    auto v = Int(*n, name);
    if (!v) return def;
    if (*v < 0 || *v > 1000000000) {
      Error(*n, absl::StrCat(name, " must be between 0 and 1000000000"));
      return def;
    }
    return static_cast<int>(*v);
  };
  auto string_option = [&](const char* name, const std::string& def) -> std::string {
    const YamlNode* n = node.Find(name);
    if (n == nullptr || n->IsNull()) return def;
    auto s = String(*n, name);
    return s ? *s : def;
  };
  // Resolves a named port (tcp, http) to its external port number on the ship.
  auto named_port = [&](const YamlNode& port_node, const model::Port& port) -> bool {
    if (port.external.protocol != "tcp") {
      Error(port_node, absl::StrCat("port ", port.name, " is not TCP"));
      return false;
    }
    if (port.external.is_range()) {
      Error(port_node, absl::StrCat("port ", port.name, " is a port range (",
                                    port.external.Number(), ") and cannot be checked"));
      return false;
    }
    check.port_name = port.name;
    check.port = port.external.first;
    return true;
  };
  switch (check.type) {
    case model::CheckType::kTcp: {
      const YamlNode* port = node.Find("port");
      if (port == nullptr || port->IsNull()) {
        Error(node, "tcp check needs a 'port' (the name of a port of the container)");
        break;
      }
      const model::Port* p = c.FindPort(port->PyStr());
      if (p == nullptr) {
        Error(*port, absl::StrCat("port ", port->PyStr(), " is not defined by ", c.name));
        break;
      }
      named_port(*port, *p);
      check.host = ship.ip;
      check.max_wait = int_option("max_wait", 180);
      break;
    }
    case model::CheckType::kHttp: {
      const YamlNode* port = node.Find("port");
      if (port == nullptr || port->IsNull()) {
        Error(node, "http check needs a 'port' (a port name or number)");
        break;
      }
      std::string name = port->PyStr();
      int number = 0;
      if (const model::Port* p = c.FindPort(name)) {
        named_port(*port, *p);
      } else if ((port->kind == Kind::kInt || port->IsString()) &&
                 absl::SimpleAtoi(name, &number) && number >= 1 && number <= 65535) {
        check.port_name = name;
        check.port = number;
      } else {
        Error(*port, absl::StrCat("port ", name, " is not defined by ", c.name));
        break;
      }
      check.host = string_option("host", ship.ip);
      check.max_wait = int_option("max_wait", 300);
      if (const YamlNode* re = node.Find("match_regex"); re && !re->IsNull()) {
        if (auto s = String(*re, "match_regex")) {
          try {
            std::regex compiled(*s, std::regex::ECMAScript);
            check.match_regex = *s;
          } catch (const std::regex_error& e) {
            Error(*re, absl::StrCat("bad regex for the http check: ", *s));
          }
        }
      }
      check.path = string_option("path", "/");
      if (check.path.empty() || check.path[0] != '/') check.path = "/" + check.path;
      check.scheme = string_option("scheme", "http");
      check.method = absl::AsciiStrToLower(string_option("method", "get"));
      if (const YamlNode* opts = node.Find("requests_options"); opts && !opts->IsNull()) {
        if (!opts->IsMapping()) {
          Error(*opts, absl::StrCat("requests_options must be a mapping, got ", opts->KindName()));
        } else {
          check.requests_options = ToJson(*opts);
        }
      }
      break;
    }
    case model::CheckType::kExec:
    case model::CheckType::kRexec: {
      const YamlNode* command = node.Find("command");
      if (command == nullptr || command->IsNull()) {
        Error(node, absl::StrCat(type_name, " check needs a 'command'"));
        break;
      }
      if (auto s = String(*command, "command")) {
        check.command = *s;
        auto argv = ShlexSplit(*s);
        if (!argv.ok()) {
          Error(*command, absl::StrCat("cannot split command: ", argv.status().message()));
        } else if (argv->empty()) {
          Error(*command, "command is empty");
        } else {
          check.argv = *argv;
        }
      }
      check.attempts = int_option("attempts", 180);
      if (const YamlNode* t = node.Find("timeout"); t != nullptr && !t->IsNull()) {
        if (t->kind == YamlNode::Kind::kInt || t->kind == YamlNode::Kind::kFloat) {
          check.timeout = t->kind == YamlNode::Kind::kInt ? static_cast<double>(t->int_value)
                                                          : t->float_value;
          if (!(check.timeout > 0 && check.timeout <= 1e6)) {
            Error(*t, "timeout must be a positive number of seconds (at most 1000000)");
          }
        } else {
          Error(*t, absl::StrCat("timeout must be a number of seconds, got ", t->KindName()));
        }
      }
      if (check.type == model::CheckType::kExec) {
        check.envfrom = string_option("envfrom", "env");
        if (check.envfrom != "env" && check.envfrom != "stdin") {
          Error(*node.Find("envfrom"), absl::StrCat("invalid envfrom '", check.envfrom,
                                                    "' (expected env or stdin)"));
        }
      }
      break;
    }
    case model::CheckType::kSleep: {
      const YamlNode* wait = node.Find("wait");
      if (wait == nullptr || wait->IsNull()) {
        Error(node, "sleep check needs 'wait' (seconds)");
        break;
      }
      if (auto v = Int(*wait, "wait")) {
        if (*v < 0) {
          Error(*wait, "wait must not be negative");
        } else {
          check.wait = static_cast<int>(*v);
        }
      }
      break;
    }
  }
  if (errors_.size() != errors_before) return std::nullopt;
  (void)state;
  return check;
}

void Loader::LoadAudit(const YamlNode* node) {
  if (node == nullptr || node->IsNull()) return;
  if (!node->IsSequence()) {
    Error(*node, absl::StrCat("audit must be a list of auditor configurations, got ",
                              node->KindName()));
    return;
  }
  static const std::map<std::string, std::vector<std::string>> kRequired = {
      {"log", {"file"}}, {"hipchat", {"room", "token"}}, {"slack", {"channel", "token"}},
      {"http", {"endpoint"}}, {"exec", {"script"}}, {"_fail", {}}};
  for (const YamlNode& item : node->items) {
    if (!item.IsMapping()) {
      Error(item, absl::StrCat("an auditor configuration must be a mapping, got ", item.KindName()));
      continue;
    }
    model::AuditConfig audit;
    audit.line = item.line;
    const YamlNode* type = item.Find("type");
    if (type == nullptr) {
      Error(item, "auditor configuration has no 'type'");
      continue;
    }
    audit.type = type->PyStr();
    if (!Contains(kAuditTypes, audit.type)) {
      Error(*type, absl::StrCat("unknown auditor type '", audit.type, "' (expected one of ",
                                absl::StrJoin(kAuditTypes, ", "), ")"));
      continue;
    }
    for (size_t i = 0; i < item.keys.size(); ++i) {
      std::string key = item.KeyAt(i);
      const YamlNode& v = item.values[i];
      if (key == "type") continue;
      if (key == "level") {
        audit.level = v.PyStr();
        if (audit.level != "info" && audit.level != "debug") {
          Error(v, absl::StrCat("invalid audit level '", audit.level, "' (expected info or debug)"));
        }
      } else if (key == "ignore_errors") {
        audit.ignore_errors = v.kind == Kind::kBool && v.bool_value;
      } else {
        audit.options[key] = ToJson(v);
      }
    }
    for (const std::string& required : kRequired.at(audit.type)) {
      const YamlNode* v = item.Find(required);
      if (v == nullptr || v->IsNull() || (v->IsString() && v->text.empty())) {
        Error(item, absl::StrCat("the ", audit.type, " auditor needs '", required, "'"));
      }
    }
    if (audit.type == "http" && audit.options.contains("method")) {
      std::string method = audit.options["method"].is_string()
                               ? audit.options["method"].get<std::string>()
                               : audit.options["method"].dump();
      if (method != "GET" && method != "POST") {
        Error(*item.Find("method"), absl::StrCat("invalid HTTP method ", method,
                                                 " (expected GET or POST)"));
      }
    }
    env_.audit.push_back(std::move(audit));
  }
}

void Loader::ResolveDependencies() {
  std::vector<std::string> known;
  for (const model::Service& s : env_.services) known.push_back(s.name);
  for (const model::Service& s : env_.services) {
    const YamlNode* node = service_nodes_[s.name];
    for (const char* field : {"requires", "wants_info"}) {
      const YamlNode* list = node->Find(field);
      if (list == nullptr) continue;
      const std::vector<std::string>& deps =
          std::string(field) == "requires" ? s.requires : s.wants_info;
      for (const std::string& dep : deps) {
        if (env_.FindService(dep) != nullptr) continue;
        const YamlNode* at = list;
        for (const YamlNode& item : list->items) {
          if (item.PyStr() == dep) at = &item;
        }
        std::string suggestion = Suggest(dep, known);
        Error(*at, absl::StrCat("unknown service '", dep, "' in ", field, " of service '", s.name,
                                "'", suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
      }
    }
  }
}

void Loader::CheckVolumesFrom() {
  for (const model::Instance& c : env_.instances) {
    const YamlNode* list = instance_nodes_[c.name]->Find("volumes_from");
    for (const std::string& name : c.volumes_from) {
      const YamlNode* at = list;
      for (const YamlNode& item : list->items) {
        if (item.PyStr() == name) at = &item;
      }
      const model::Instance* other = env_.FindInstance(name);
      if (name == c.name) {
        Error(*at, absl::StrCat(c.name, " cannot take volumes from itself"));
        continue;
      }
      if (other == nullptr) {
        Error(*at, absl::StrCat("unknown container ", name, " to get volumes from for ", c.name));
        continue;
      }
      if (other->ship != c.ship) {
        Error(*at, absl::StrCat(name, " and ", c.name, " must be on the same ship for "
                                "volumes_from (", name, " is on ", other->ship, ", ", c.name,
                                " is on ", c.ship, ")"));
        continue;
      }
      std::set<std::string> mine = c.Volumes(), theirs = other->Volumes();
      std::vector<std::string> overlap;
      std::set_intersection(mine.begin(), mine.end(), theirs.begin(), theirs.end(),
                            std::back_inserter(overlap));
      if (!overlap.empty()) {
        Error(*at, absl::StrCat("volume conflicts between ", c.name, " and ", name, ": ",
                                absl::StrJoin(overlap, ", ")));
        continue;
      }
      if (other->service != c.service) {
        for (model::Service& s : env_.services) {
          if (s.name == c.service && !Contains(s.volumes_from_services, other->service)) {
            s.volumes_from_services.push_back(other->service);
            std::sort(s.volumes_from_services.begin(), s.volumes_from_services.end());
          }
        }
      }
    }
  }
}

void Loader::CheckCycles() {
  if (auto cycle = graph::FindCycle(graph::ServiceEdges(env_))) {
    const YamlNode* at = service_keys_[cycle->front()];
    Error(*at, absl::StrCat("dependency cycle: ", graph::FormatCycle(*cycle)));
    return;
  }
  if (auto cycle = graph::FindContainerCycle(env_)) {
    const YamlNode* at = instance_keys_[cycle->front()];
    Error(*at, absl::StrCat("volumes_from cycle: ", graph::FormatCycle(*cycle)));
  }
}

void Loader::InjectLinkVariables() {
  // The link variables of each service, with and without the internal ports (§5.7).
  std::map<std::string, EnvMap> with_internal, without_internal;
  std::unordered_map<std::string, const model::Instance*> instances;
  instances.reserve(env_.instances.size());
  for (const model::Instance& c : env_.instances) instances.emplace(c.name, &c);
  for (const model::Service& s : env_.services) {
    EnvMap& full = with_internal[s.name];
    EnvMap& peers = without_internal[s.name];
    std::vector<std::string> names = s.instances;
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const model::Instance* c = instances.at(name);
      const model::Ship* ship = env_.FindShip(c->ship);
      full[env_contract::HostVar(s.name, name)] = ship->ip;
      for (const model::Port& p : c->ports) {
        full[env_contract::PortVar(s.name, name, p.name)] = p.external.Number();
        full[env_contract::InternalPortVar(s.name, name, p.name)] = p.exposed.Number();
      }
    }
    full[env_contract::InstancesVar(s.name)] = absl::StrJoin(names, ",");
    for (const auto& [k, v] : full) {
      if (k.size() < 14 || k.compare(k.size() - 14, 14, "_INTERNAL_PORT") != 0) {
        peers.emplace_hint(peers.end(), k, v);
      }
    }
  }
  // Every instance of a service gets the same link variables: its own service's (with the
  // internal ports), then those of the services it requires, transitively, and of its
  // wants_info (without), later ones winning, all over the instance's own variables. Build
  // that overlay once per service and share it (model::EnvVars).
  graph::Adjacency requires_edges = graph::RequiresEdges(env_);
  std::map<std::string, std::shared_ptr<const EnvMap>> overlays;
  for (const model::Service& s : env_.services) {
    EnvMap links = std::move(with_internal[s.name]);  // each service's is used once
    std::set<std::string> deps = graph::Reachable(requires_edges, s.name);
    deps.insert(s.wants_info.begin(), s.wants_info.end());
    for (const std::string& dep : deps) {
      for (const auto& [k, v] : without_internal[dep]) links[k] = v;
    }
    overlays[s.name] = std::make_shared<const EnvMap>(std::move(links));
  }
  for (model::Instance& c : env_.instances) c.env.SetOverlay(overlays.at(c.service));
}

absl::StatusOr<LoadResult> Loader::Load() {
  absl::StatusOr<YamlNode> parsed = ParseYaml(in_.display_name, in_.text, in_.limits);
  if (!parsed.ok()) return parsed.status();
  const YamlNode& root = *parsed;
  env_.display_name = in_.display_name;
  env_.base_dir = in_.base_dir;
  if (!root.IsMapping()) {
    Error(root, absl::StrCat("the environment description must be a mapping (name, ships, "
                             "services, ...), got ", root.KindName()));
    return ErrorsStatus();
  }
  CheckKeys(root, kTopKeys, "", /*allow_underscore=*/true);
  for (Diagnostic& w : warnings_) {
    if (w.message.rfind("unknown key", 0) == 0) w.message.replace(0, 11, "unknown top-level key");
  }

  if (const YamlNode* meta = Mapping(root.Find("__maestro"), "__maestro")) {
    CheckKeys(*meta, kMaestroKeys, " in __maestro");
    if (const YamlNode* schema = meta->Find("schema")) {
      // MaestroNG compares `schema == 1` with Python equality: 1, 1.0 and true are schema 1;
      // anything else (2, {version: 2}, ...) selects the modern volume format.
      bool one = (schema->kind == Kind::kInt && schema->int_value == 1) ||
                 (schema->kind == Kind::kFloat && schema->float_value == 1.0) ||
                 (schema->kind == Kind::kBool && schema->bool_value);
      env_.schema = one ? 1 : 2;
    }
  }
  const YamlNode* name = root.Find("name");
  if (name == nullptr || name->IsNull()) {
    Error(name == nullptr ? root : *name,
          "environment name is missing (add a top-level 'name')");
  } else if (!name->IsScalar() || name->kind == Kind::kBool) {
    Error(*name, absl::StrCat("environment name must be a string, got ", name->KindName()));
  } else {
    env_.name = name->PyStr();
  }
  if (const YamlNode* provider = root.Find("ship_provider"); provider && !provider->IsNull()) {
    if (provider->PyStr() != "static") {
      Error(*provider, absl::StrCat("invalid ship provider ", provider->PyStr(),
                                    "; available providers: static"));
    }
  }
  LoadRegistries(root.Find("registries"));
  LoadShips(root);
  LoadServices(root.Find("services"));
  LoadAudit(root.Find("audit"));
  if (!errors_.empty()) return ErrorsStatus();

  ResolveDependencies();
  CheckVolumesFrom();
  if (!errors_.empty()) return ErrorsStatus();
  CheckCycles();
  if (!errors_.empty()) return ErrorsStatus();
  if (in_.link_variables) InjectLinkVariables();

  LoadResult result;
  result.environment = std::move(env_);
  result.warnings = std::move(warnings_);
  return result;
}

}  // namespace

absl::StatusOr<LoadResult> LoadEnvironment(const LoadInput& in, FileReader& files) {
  Loader loader(in, files);
  return loader.Load();
}

}  // namespace config
}  // namespace maestro
