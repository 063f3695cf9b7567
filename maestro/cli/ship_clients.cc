#include "maestro/cli/ship_clients.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "maestro/docker/http_docker_client.h"

namespace maestro::cli {

absl::StatusOr<transport::ConnectionSpec> SpecForShip(const model::Ship& ship) {
  transport::ConnectionSpec spec;
  spec.ship = ship.name;
  const bool use_tls = ship.tls || ship.tls_verify;
  if (!ship.docker_host.empty()) {
    absl::StatusOr<transport::ConnectionSpec> parsed =
        transport::ParseDockerHost(ship.name, ship.docker_host);
    if (!parsed.ok()) return parsed.status();
    spec = *std::move(parsed);
  } else if (ship.ssh_tunnel) {
    spec.kind = transport::TransportKind::kSsh;
    spec.ssh.host = ship.endpoint.empty() ? ship.ip : ship.endpoint;
    spec.ssh.port = ship.ssh_tunnel->port;
    spec.ssh.user = ship.ssh_tunnel->user;
    spec.ssh.key = ship.ssh_tunnel->key;
    spec.ssh.known_hosts = ship.ssh_tunnel->known_hosts;
    spec.ssh.keepalive_seconds = ship.ssh_tunnel->keepalive;
    const char* home = std::getenv("HOME");
    if (home != nullptr) spec.ssh.known_hosts.push_back(absl::StrCat(home, "/.ssh/known_hosts"));
    if (!ship.ssh_tunnel->socket_path.empty()) {
      spec.ssh.remote_socket_path = ship.ssh_tunnel->socket_path;
    } else if (!ship.socket_path.empty()) {
      spec.ssh.remote_socket_path = ship.socket_path;
    } else {
      // MaestroNG's bgtunnel forwards to 127.0.0.1:docker_port on the remote side.
      spec.ssh.remote_host = "127.0.0.1";
      spec.ssh.remote_port = ship.docker_port;
    }
    spec.tls = use_tls;
    spec.host = "127.0.0.1";
    spec.port = ship.docker_port;
  } else if (!ship.socket_path.empty()) {
    spec.kind = transport::TransportKind::kUnix;
    spec.socket_path = ship.socket_path;
  } else {
    spec.kind = use_tls ? transport::TransportKind::kTls : transport::TransportKind::kTcp;
    spec.host = ship.endpoint.empty() ? ship.ip : ship.endpoint;
    spec.port = ship.docker_port;
    spec.tls = use_tls;
  }
  if (use_tls) {
    spec.tls = true;
    spec.tls_options.verify = ship.tls_verify;
    spec.tls_options.ca_cert = ship.tls_ca_cert;
    spec.tls_options.cert = ship.tls_cert;
    spec.tls_options.key = ship.tls_key;
    spec.tls_options.min_version = ship.ssl_version;
    spec.tls_options.server_name = ship.endpoint.empty() ? ship.ip : ship.endpoint;
  }
  spec.connect_timeout = absl::Seconds(ship.timeout);
  spec.request_timeout = absl::Seconds(ship.timeout);
  // MaestroNG pinned 1.18 by default, which current daemons refuse; negotiate instead unless
  // the file pins something else (negotiation still lands on 1.18 with a daemon that old).
  if (ship.api_version != "auto" && ship.api_version != "1.18") {
    spec.api_version = ship.api_version;
  }
  return spec;
}

absl::StatusOr<docker::DockerClient*> RealShipClients::Client(const std::string& ship) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(ship);
  if (it != clients_.end()) return it->second.get();
  auto err = errors_.find(ship);
  if (err != errors_.end()) return err->second;
  const model::Ship* s = env_.FindShip(ship);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("unknown ship ", ship));
  absl::StatusOr<transport::ConnectionSpec> spec = SpecForShip(*s);
  absl::Status status = spec.status();
  if (spec.ok()) {
    absl::StatusOr<std::unique_ptr<docker::HttpDockerClient>> client =
        docker::HttpDockerClient::Create(*spec);
    if (client.ok()) {
      (*client)->SetInterrupt(interrupt_);
      docker::DockerClient* raw = client->get();
      clients_[ship] = *std::move(client);
      return raw;
    }
    status = client.status();
  }
  status = absl::Status(status.code(), absl::StrCat(ship, ": ", status.message()));
  errors_[ship] = status;
  return status;
}

}  // namespace maestro::cli
