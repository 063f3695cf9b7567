#include "maestro/transport/transport.h"

#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/transport/socket_transport.h"
#include "maestro/transport/ssh_transport.h"
#include "maestro/transport/tls_transport.h"

namespace maestro::transport {

absl::StatusOr<std::unique_ptr<Transport>> MakeTransport(const ConnectionSpec& spec) {
  MAESTRO_RETURN_IF_ERROR(ValidateSpec(spec));
  WarningSink warn = [](const std::string& line) { std::cerr << line << std::endl; };
  std::unique_ptr<Transport> base;
  std::string server_name = spec.tls_options.server_name;
  switch (spec.kind) {
    case TransportKind::kUnix:
      return std::unique_ptr<Transport>(
          std::make_unique<UnixTransport>(spec.ship, spec.socket_path));
    case TransportKind::kTcp:
    case TransportKind::kTls:
      base = std::make_unique<TcpTransport>(spec.ship, spec.host, spec.port);
      if (server_name.empty()) server_name = spec.host;
      break;
    case TransportKind::kSsh: {
      MAESTRO_ASSIGN_OR_RETURN(base, MakeSshTransport(spec));
      if (server_name.empty()) server_name = spec.host.empty() ? spec.ssh.remote_host : spec.host;
      break;
    }
  }
  if (spec.kind == TransportKind::kTls || spec.tls) {
    return MakeTlsTransport(spec.ship, spec.tls_options, server_name, std::move(base), warn);
  }
  return base;
}

}  // namespace maestro::transport
