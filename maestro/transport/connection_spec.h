// ConnectionSpec: how to reach one ship's Docker daemon (unix socket, TCP, TLS, SSH tunnel),
// as a plain value. ParseDockerHost() turns a `docker_host:` URL into one. Pure; thread-safe.
#ifndef MAESTRO_TRANSPORT_CONNECTION_SPEC_H_
#define MAESTRO_TRANSPORT_CONNECTION_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace maestro::transport {

enum class TransportKind { kUnix, kTcp, kTls, kSsh };

struct TlsOptions {
  bool verify = false;      // verify the server certificate AND its name/IP against `host`
  std::string ca_cert;      // CA bundle (PEM); needed when verify is on
  std::string cert;         // client certificate (PEM), optional
  std::string key;          // client private key (PEM), optional
  std::string min_version;  // from `ssl_version`: "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", ""
  std::string server_name;  // SNI/verification name; defaults to ConnectionSpec::host
};

struct SshOptions {
  std::string host;  // SSH server (the ship's endpoint)
  int port = 22;
  std::string user;
  std::string key;  // private key file (identity)
  // known_hosts files checked in order; when empty, ~/.ssh/known_hosts is used.
  std::vector<std::string> known_hosts;
  // Remote target reached through the tunnel: a unix socket on the remote host when
  // `remote_socket_path` is set (direct-streamlocal), else remote_host:remote_port (direct-tcpip).
  std::string remote_host = "127.0.0.1";
  int remote_port = 2375;
  std::string remote_socket_path;
  int keepalive_seconds = 30;  // 0 disables keepalives
};

struct ConnectionSpec {
  std::string ship;  // for messages only
  TransportKind kind = TransportKind::kUnix;
  std::string host;  // tcp/tls: name or IP of the daemon
  int port = 2375;
  std::string socket_path;  // unix
  bool tls = false;         // tls kind, or TLS inside the SSH tunnel when kind == kSsh
  TlsOptions tls_options;
  SshOptions ssh;
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(5);
  std::string api_version;  // "" or "auto": negotiate; otherwise pinned, e.g. "1.41"
};

// A short URL for messages: unix:///var/run/docker.sock, tcp://h:2375, https://h:2376,
// ssh://user@h:22->127.0.0.1:2375, ssh://user@h:22->unix:///var/run/docker.sock.
std::string DescribeSpec(const ConnectionSpec& spec);

// Parses `unix:///path`, `tcp://host:port` (port defaults to 2375, or 2376 when `tls`),
// `http://`, `https://host:port` (TLS), `ssh://user@host[:port][/remote/socket]`.
// `ssh://` without a path tunnels to the remote /var/run/docker.sock via direct-streamlocal.
absl::StatusOr<ConnectionSpec> ParseDockerHost(absl::string_view ship, absl::string_view url);

// The checks every spec must pass before a transport is made from it (MakeTransport runs
// them too), so a ship that cannot work is a configuration error at load time rather than
// "host down" half-way through a play: an SSH tunnel needs a user, a key file and a host
// ("Missing SSH key for ship s1 tunnel configuration"), a unix socket a path, TCP a host,
// TLS verification a CA file. Nothing is read from disk or the network here.
absl::Status ValidateSpec(const ConnectionSpec& spec);

// Splits "host:port", "[v6]:port" or "host" into parts; port is -1 if absent.
absl::Status SplitHostPort(absl::string_view in, std::string* host, int* port);

}  // namespace maestro::transport

#endif  // MAESTRO_TRANSPORT_CONNECTION_SPEC_H_
