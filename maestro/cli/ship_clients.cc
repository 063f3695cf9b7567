#include "maestro/cli/ship_clients.h"

#include "absl/strings/str_cat.h"
#include "maestro/config/ship_connection.h"
#include "maestro/docker/http_docker_client.h"

namespace maestro::cli {

absl::StatusOr<docker::DockerClient*> RealShipClients::Client(const std::string& ship) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(ship);
  if (it != clients_.end()) return it->second.get();
  auto err = errors_.find(ship);
  if (err != errors_.end()) return err->second;
  const model::Ship* s = env_.FindShip(ship);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("unknown ship ", ship));
  absl::StatusOr<transport::ConnectionSpec> spec = config::ShipConnectionSpec(*s);
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
