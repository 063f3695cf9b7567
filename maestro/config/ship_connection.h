// How maestro reaches one ship's Docker daemon: model::Ship -> transport::ConnectionSpec.
// The one place that turns a ship's options (docker_host, ssh_tunnel, socket_path,
// endpoint/ip + docker_port, tls*, timeout, api_version) into a connection. The loader calls
// it for every ship, so a ship that cannot work is a configuration error at load time; the
// CLI calls it again to connect (the result is the same: it is a pure function of the ship).
//
// Precedence (MaestroNG, with maestro's additions): a `docker_host` URL (parsed by
// transport::ParseDockerHost), then `ssh_tunnel`, then `socket_path`, then `endpoint`
// (default `ip`) + `docker_port`. With `ssh://` URLs the tunnel's key, known_hosts and
// keepalive come from `ssh_tunnel` (the loader has already merged the URL's user, port and
// socket path into it). `~/.ssh/known_hosts` is always checked after the listed files.
//
// Thread-safety: pure; safe from any thread.
#ifndef MAESTRO_CONFIG_SHIP_CONNECTION_H_
#define MAESTRO_CONFIG_SHIP_CONNECTION_H_

#include "absl/status/statusor.h"
#include "maestro/model/environment.h"
#include "maestro/transport/connection_spec.h"

namespace maestro {
namespace config {

// InvalidArgument (transport::ValidateSpec's message, e.g. "Missing SSH key for ship s1
// tunnel configuration") when the ship cannot be reached as configured.
absl::StatusOr<transport::ConnectionSpec> ShipConnectionSpec(const model::Ship& ship);

}  // namespace config
}  // namespace maestro

#endif  // MAESTRO_CONFIG_SHIP_CONNECTION_H_
