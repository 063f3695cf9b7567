// TLS (OpenSSL) layered over any Transport: a TCP socket, or an SSH channel (TLS through the
// tunnel). OpenSSL talks to memory BIOs that we pump to and from the inner Connection, so
// every wait is bounded by the caller's deadline. With verify on, the server certificate is
// checked against the CA bundle AND the server name or IP; without it, one warning line is
// emitted per transport (per ship) on the first connection.
// Thread-safety: Connect may be called concurrently; each Connection is single-threaded.
#ifndef MAESTRO_TRANSPORT_TLS_TRANSPORT_H_
#define MAESTRO_TRANSPORT_TLS_TRANSPORT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "maestro/transport/connection_spec.h"
#include "maestro/transport/transport.h"

namespace maestro::transport {

using WarningSink = std::function<void(const std::string&)>;

// Builds a TLS transport over `inner`. `server_name` is the name or IP checked (and sent as
// SNI when it is a name). Fails with InvalidArgument when a file cannot be loaded.
absl::StatusOr<std::unique_ptr<Transport>> MakeTlsTransport(const std::string& ship,
                                                            const TlsOptions& options,
                                                            const std::string& server_name,
                                                            std::unique_ptr<Transport> inner,
                                                            WarningSink warn);

}  // namespace maestro::transport

#endif  // MAESTRO_TRANSPORT_TLS_TRANSPORT_H_
