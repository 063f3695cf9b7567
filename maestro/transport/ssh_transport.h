// SSH tunnel transport on libssh2 (no `ssh` binary). ONE SSH session per transport (per ship)
// carries every Connection: each Connection is one channel, either direct-tcpip to
// remote_host:remote_port or direct-streamlocal@openssh.com to a remote unix socket.
//
// The host key is checked against known_hosts files (hashed entries and the `[host]:port`
// form); an unknown or changed key refuses the connection with the SHA256 fingerprint and
// the ship in the message. libssh2 sessions are not thread-safe, so every libssh2 call is made
// under the session's mutex, in non-blocking mode, with poll() waits bounded by deadlines:
// nothing can hang. A session found dead (sshd restarted) is replaced on the next Connect.
// Thread-safety: Connect and the Connections may be used from many threads.
#ifndef MAESTRO_TRANSPORT_SSH_TRANSPORT_H_
#define MAESTRO_TRANSPORT_SSH_TRANSPORT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "maestro/transport/connection_spec.h"
#include "maestro/transport/transport.h"

namespace maestro::transport {

// Validates spec.ssh (user and key are required) and returns the transport; no I/O happens
// until the first Connect.
absl::StatusOr<std::unique_ptr<Transport>> MakeSshTransport(const ConnectionSpec& spec);

// "SHA256:<base64 without padding>" of `blob`, like OpenSSH prints key fingerprints.
std::string Sha256Fingerprint(const std::string& raw_digest);

}  // namespace maestro::transport

#endif  // MAESTRO_TRANSPORT_SSH_TRANSPORT_H_
