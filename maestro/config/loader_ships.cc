// Loader: ships and ship_defaults (how each Docker daemon is reached).
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/config/loader_internal.h"
#include "maestro/config/parsers.h"
#include "maestro/config/ship_connection.h"
#include "maestro/transport/connection_spec.h"

namespace maestro {
namespace config {
namespace loader_internal {
namespace {

// Ship timeouts above a day are surely a mistake (and absl::Seconds of huge values saturate).
constexpr double kMaxTimeoutSeconds = 86400;

const std::vector<std::string> kShipKeys = {
    "ip",  "endpoint",   "docker_port", "socket_path", "api_version", "timeout",     "ssh_tunnel",
    "tls", "tls_verify", "tls_ca_cert", "tls_cert",    "tls_key",     "ssl_version", "docker_host"};

// "ship s1: invalid docker_host ..." -> "invalid docker_host ..." (the path names the ship).
std::string WithoutShipPrefix(const std::string& ship, absl::string_view message) {
  std::string prefix = absl::StrCat("ship ", ship, ": ");
  if (absl::StartsWith(message, prefix)) message.remove_prefix(prefix.size());
  return std::string(message);
}

// "auto", or digits '.' digits ("1.41").
bool IsApiVersion(absl::string_view v) {
  if (v == "auto") return true;
  size_t dot = v.find('.');
  if (dot == absl::string_view::npos || dot == 0 || dot + 1 == v.size() || dot > 3 ||
      v.size() - dot - 1 > 3) {
    return false;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (i != dot && !absl::ascii_isdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  return true;
}

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
        Warn(defaults->keys[i],
             absl::StrCat("'", k,
                          "' is never taken from ship_defaults; set it "
                          "on each ship"),
             false);
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
    bad_ships_.insert(ship.name);
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

  // docker_host: the transport's own parser; the URL's host, port and socket become the
  // ship's endpoint, docker_port and socket_path (they win over those keys).
  const YamlNode* docker_host = get("docker_host");
  std::optional<transport::ConnectionSpec> url;
  if (docker_host != nullptr) {
    if (auto s = String(*docker_host, "docker_host")) {
      ship.docker_host = *s;
      absl::StatusOr<transport::ConnectionSpec> parsed = transport::ParseDockerHost(ship.name, *s);
      if (!parsed.ok()) {
        Error(*docker_host, WithoutShipPrefix(ship.name, parsed.status().message()));
      } else {
        url = *std::move(parsed);
      }
    }
  }
  std::string host_from_url;
  if (url && url->kind == transport::TransportKind::kSsh) {
    host_from_url = url->ssh.host;
  } else if (url && url->kind != transport::TransportKind::kUnix) {
    host_from_url = url->host;
  }
  if (const YamlNode* n = get("ip")) {
    if (auto s = String(*n, "ip")) ship.ip = *s;
  } else if (!host_from_url.empty()) {
    ship.ip = host_from_url;
  } else if (docker_host == nullptr) {
    Error(key, absl::StrCat("ship '", ship.name, "' has no 'ip'"));
  } else if (url) {
    Error(*docker_host, absl::StrCat("ship '", ship.name, "' has no 'ip' (a ", ship.docker_host,
                                     " docker_host names no host)"));
  }
  if (!host_from_url.empty()) {
    ship.endpoint = host_from_url;
  } else if (const YamlNode* n = get("endpoint")) {
    if (auto s = String(*n, "endpoint")) ship.endpoint = *s;
  } else {
    ship.endpoint = ship.ip;
  }
  if (const YamlNode* n = get("tls")) {
    if (auto b = Bool(*n, "tls")) ship.tls = *b;
  }
  if (const YamlNode* n = get("tls_verify")) {
    if (auto b = Bool(*n, "tls_verify")) ship.tls_verify = *b;
  }
  ship.docker_port = ship.tls ? 2376 : 2375;
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
  if (url && (url->kind == transport::TransportKind::kTcp ||
              url->kind == transport::TransportKind::kTls)) {
    ship.docker_port = url->port;
    ship.socket_path.clear();
  } else if (url && url->kind == transport::TransportKind::kUnix) {
    ship.socket_path = url->socket_path;
  }
  if (const YamlNode* n = get("api_version")) {
    // The text as written: MaestroNG's str(1.20) would give "1.2", an API version that
    // does not exist (MaestroNG's Python behaviour); keep "1.20".
    std::string text = n->IsScalar() && n->kind != Kind::kBool
                           ? (n->text.empty() ? n->PyStr() : n->text)
                           : std::string();
    if (!IsApiVersion(text)) {
      Error(*n, absl::StrCat("api_version must be 'auto' or a version such as '1.41', got ",
                             n->IsScalar() ? absl::StrCat("'", n->PyStr(), "'") : n->KindName()));
    } else {
      ship.api_version = text;
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
    if (!std::isfinite(ship.timeout) || ship.timeout <= 0 || ship.timeout > kMaxTimeoutSeconds) {
      Error(*n, absl::StrCat("timeout must be a positive, finite number of seconds (at most ",
                             kMaxTimeoutSeconds, "), got ", n->PyStr()));
    }
  }
  for (auto [field, target] :
       {std::pair<const char*, std::string*>{"tls_ca_cert", &ship.tls_ca_cert},
        {"tls_cert", &ship.tls_cert},
        {"tls_key", &ship.tls_key},
        {"ssl_version", &ship.ssl_version}}) {
    if (const YamlNode* n = get(field)) {
      if (auto s = String(*n, field)) *target = *s;
    }
  }
  if (ship.tls && (ship.tls_cert.empty() || ship.tls_key.empty())) {
    Error(key, absl::StrCat("ship '", ship.name,
                            "' enables tls but does not set both "
                            "'tls_cert' and 'tls_key'"));
  }
  const YamlNode* tunnel_node = get("ssh_tunnel");
  if (tunnel_node != nullptr) {
    LoadSshTunnel(*tunnel_node,
                  url && url->kind == transport::TransportKind::kSsh ? &*url : nullptr, ship);
  } else if (url && url->kind == transport::TransportKind::kSsh) {
    model::SshTunnel tunnel;
    tunnel.user = url->ssh.user;
    tunnel.port = url->ssh.port;
    tunnel.socket_path = url->ssh.remote_socket_path;
    ship.ssh_tunnel = tunnel;
  }
  if (errors_.size() != errors_before) {
    bad_ships_.insert(ship.name);
    return;
  }

  // The connection itself: built and checked now, so a ship that cannot work fails the load.
  absl::StatusOr<transport::ConnectionSpec> spec = ShipConnectionSpec(ship);
  if (!spec.ok()) {
    const YamlNode* at = &key;
    if (ship.ssh_tunnel && tunnel_node != nullptr) {
      at = tunnel_node;
    } else if (docker_host != nullptr) {
      at = docker_host;
    }
    Error(*at, WithoutShipPrefix(ship.name, spec.status().message()));
    bad_ships_.insert(ship.name);
    return;
  }
  env_.ships.push_back(std::move(ship));
}

void Loader::LoadSshTunnel(const YamlNode& n, const transport::ConnectionSpec* url,
                           model::Ship& ship) {
  if (!n.IsMapping()) {
    Error(n, absl::StrCat("ssh_tunnel must be a mapping {user, key, port}, got ", n.KindName()));
    return;
  }
  CheckKeys(n, {"user", "key", "port", "known_hosts", "socket_path", "keepalive"},
            absl::StrCat(" in the ssh_tunnel of ship '", ship.name, "'"));
  model::SshTunnel tunnel;
  // With an ssh:// docker_host the URL gives the user, port and remote socket; the mapping
  // may repeat them but not contradict them.
  auto conflict = [&](const YamlNode& at, const std::string& what, const std::string& mine,
                      const std::string& theirs) {
    Error(at, absl::StrCat("ssh_tunnel.", what, " '", mine, "' contradicts docker_host '",
                           ship.docker_host, "' (", what, " '", theirs, "')"));
  };
  if (url != nullptr) {
    tunnel.user = url->ssh.user;
    tunnel.port = url->ssh.port;
    tunnel.socket_path = url->ssh.remote_socket_path;
  }
  if (const YamlNode* u = n.Find("user"); u && !u->IsNull()) {
    if (auto s = String(*u, "ssh_tunnel.user")) {
      if (url != nullptr && !tunnel.user.empty() && *s != tunnel.user) {
        conflict(*u, "user", *s, tunnel.user);
      } else {
        tunnel.user = *s;
      }
    }
  }
  if (const YamlNode* k = n.Find("key"); k && !k->IsNull()) {
    if (auto s = String(*k, "ssh_tunnel.key")) tunnel.key = *s;
  }
  if (const YamlNode* p = n.Find("port"); p && !p->IsNull()) {
    if (auto v = Int(*p, "ssh_tunnel.port")) {
      if (*v < 1 || *v > 65535) {
        Error(*p, absl::StrCat("ssh_tunnel.port ", *v, " is out of range (1-65535)"));
      } else if (url != nullptr && *v != tunnel.port) {
        conflict(*p, "port", std::to_string(*v), std::to_string(tunnel.port));
      } else {
        tunnel.port = static_cast<int>(*v);
      }
    }
  }
  if (const YamlNode* h = n.Find("known_hosts"); h && !h->IsNull()) {
    if (h->IsSequence()) {
      for (const YamlNode& item : h->items) {
        if (auto s = String(item, "ssh_tunnel.known_hosts")) tunnel.known_hosts.push_back(*s);
      }
    } else if (auto s = String(*h, "ssh_tunnel.known_hosts")) {
      tunnel.known_hosts.push_back(*s);
    }
  }
  if (const YamlNode* sp = n.Find("socket_path"); sp && !sp->IsNull()) {
    if (auto s = String(*sp, "ssh_tunnel.socket_path")) {
      if (url != nullptr && *s != tunnel.socket_path) {
        conflict(*sp, "socket_path", *s, tunnel.socket_path);
      } else {
        tunnel.socket_path = *s;
      }
    }
  }
  if (const YamlNode* ka = n.Find("keepalive"); ka && !ka->IsNull()) {
    if (auto v = Int(*ka, "ssh_tunnel.keepalive")) {
      if (*v < 0 || *v > 86400) {
        Error(*ka, "ssh_tunnel.keepalive must be 0 (off) or a number of seconds (at most 86400)");
      } else {
        tunnel.keepalive = static_cast<int>(*v);
      }
    }
  }
  ship.ssh_tunnel = tunnel;
}

}  // namespace loader_internal
}  // namespace config
}  // namespace maestro
