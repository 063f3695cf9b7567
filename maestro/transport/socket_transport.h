// Plain socket transports: unix domain sockets and TCP. TCP host names are resolved with
// c-ares (reads /etc/hosts and resolv.conf itself; no glibc NSS, so it works in a fully
// static binary); numeric IPv4/IPv6 are used directly. Sockets are non-blocking and every
// wait is a poll() bounded by the caller's deadline. Thread-safe (stateless).
#ifndef MAESTRO_TRANSPORT_SOCKET_TRANSPORT_H_
#define MAESTRO_TRANSPORT_SOCKET_TRANSPORT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/transport/transport.h"

namespace maestro::transport {

class UnixTransport : public Transport {
 public:
  UnixTransport(std::string ship, std::string path)
      : ship_(std::move(ship)), path_(std::move(path)) {}
  absl::StatusOr<std::unique_ptr<Connection>> Connect(absl::Time deadline) override;
  std::string Describe() const override { return "unix://" + path_; }

 private:
  std::string ship_;
  std::string path_;
};

class TcpTransport : public Transport {
 public:
  TcpTransport(std::string ship, std::string host, int port)
      : ship_(std::move(ship)), host_(std::move(host)), port_(port) {}
  absl::StatusOr<std::unique_ptr<Connection>> Connect(absl::Time deadline) override;
  std::string Describe() const override;

 private:
  std::string ship_;
  std::string host_;
  int port_;
};

// Resolves `host` to numeric addresses (IPv4 and IPv6, as strings) with c-ares, bounded by
// `deadline`. Numeric addresses are returned as is.
absl::StatusOr<std::vector<std::string>> ResolveHost(const std::string& host, absl::Time deadline);

// Connects a non-blocking TCP socket to host:port (tries each resolved address); returns the
// fd. Used by the TCP and SSH transports.
absl::StatusOr<int> ConnectTcpSocket(const std::string& host, int port, absl::Time deadline);

// Waits until `fd` is readable (POLLIN) and/or writable (POLLOUT) or the deadline passes.
// Returns DeadlineExceeded at the deadline. `max_wait` caps one wait (for polling loops).
absl::Status PollFd(int fd, bool want_read, bool want_write, absl::Time deadline);

// Wraps an already-connected non-blocking fd (takes ownership).
std::unique_ptr<Connection> MakeFdConnection(int fd, std::string what);

}  // namespace maestro::transport

#endif  // MAESTRO_TRANSPORT_SOCKET_TRANSPORT_H_
