#include "maestro/config/ship_connection.h"

#include <algorithm>
#include <string>

#include "maestro/base/status_macros.h"

namespace maestro {
namespace config {

namespace {
constexpr char kDefaultKnownHosts[] = "~/.ssh/known_hosts";
}  // namespace

absl::StatusOr<transport::ConnectionSpec> ShipConnectionSpec(const model::Ship& ship) {
  transport::ConnectionSpec spec;
  const std::string endpoint = ship.endpoint.empty() ? ship.ip : ship.endpoint;
  if (!ship.docker_host.empty()) {
    MAESTRO_ASSIGN_OR_RETURN(spec, transport::ParseDockerHost(ship.name, ship.docker_host));
  } else if (ship.ssh_tunnel) {
    spec.kind = transport::TransportKind::kSsh;
    spec.ssh.host = endpoint;
    if (!ship.socket_path.empty()) {
      spec.ssh.remote_socket_path = ship.socket_path;
    } else {
      // MaestroNG's bgtunnel forwards to 127.0.0.1:docker_port on the remote side.
      spec.ssh.remote_host = "127.0.0.1";
      spec.ssh.remote_port = ship.docker_port;
    }
    spec.host = "127.0.0.1";
    spec.port = ship.docker_port;
  } else if (!ship.socket_path.empty()) {
    spec.kind = transport::TransportKind::kUnix;
    spec.socket_path = ship.socket_path;
  } else {
    spec.kind = transport::TransportKind::kTcp;
    spec.host = endpoint;
    spec.port = ship.docker_port;
  }
  spec.ship = ship.name;
  if (spec.kind == transport::TransportKind::kSsh && ship.ssh_tunnel) {
    const model::SshTunnel& tunnel = *ship.ssh_tunnel;
    spec.ssh.user = tunnel.user;
    spec.ssh.port = tunnel.port;
    spec.ssh.key = tunnel.key;
    spec.ssh.keepalive_seconds = tunnel.keepalive;
    spec.ssh.known_hosts = tunnel.known_hosts;
    if (!tunnel.socket_path.empty()) spec.ssh.remote_socket_path = tunnel.socket_path;
  }
  if (spec.kind == transport::TransportKind::kSsh &&
      std::find(spec.ssh.known_hosts.begin(), spec.ssh.known_hosts.end(), kDefaultKnownHosts) ==
          spec.ssh.known_hosts.end()) {
    spec.ssh.known_hosts.push_back(kDefaultKnownHosts);
  }
  const bool use_tls = ship.tls || ship.tls_verify || spec.kind == transport::TransportKind::kTls;
  if (use_tls) {
    if (spec.kind == transport::TransportKind::kTcp) spec.kind = transport::TransportKind::kTls;
    spec.tls = true;
    spec.tls_options.verify = ship.tls_verify;
    spec.tls_options.ca_cert = ship.tls_ca_cert;
    spec.tls_options.cert = ship.tls_cert;
    spec.tls_options.key = ship.tls_key;
    spec.tls_options.min_version = ship.ssl_version;
    spec.tls_options.server_name = endpoint;
  }
  spec.connect_timeout = absl::Seconds(ship.timeout);
  spec.request_timeout = absl::Seconds(ship.timeout);
  // MaestroNG pinned 1.18 by default, which current daemons refuse; negotiate instead unless
  // the file pins something else (negotiation still lands on 1.18 with a daemon that old).
  if (ship.api_version != "auto" && ship.api_version != "1.18") {
    spec.api_version = ship.api_version;
  }
  MAESTRO_RETURN_IF_ERROR(transport::ValidateSpec(spec));
  return spec;
}

}  // namespace config
}  // namespace maestro
