// Loader: ships and ship_defaults (how each Docker daemon is reached).
#include <optional>
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

namespace maestro {
namespace config {
namespace loader_internal {
namespace {

const std::vector<std::string> kShipKeys = {
    "ip",     "endpoint", "docker_port", "socket_path", "api_version", "timeout",
    "ssh_tunnel", "tls", "tls_verify", "tls_ca_cert", "tls_cert", "tls_key", "ssl_version",
    "docker_host"};

}  // namespace

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

}  // namespace loader_internal
}  // namespace config
}  // namespace maestro
