// Transport: opens byte streams (Connection) to one ship's Docker daemon. Implementations:
// unix socket, TCP (names resolved with c-ares, no NSS), TLS over any stream, SSH channels
// through one shared libssh2 session per ship. MakeTransport() picks one from a ConnectionSpec.
//
// Thread-safety: a Transport is safe to use from many threads (Connect may be called
// concurrently). A Connection is used by one thread at a time; the caller owns it.
// Every blocking call takes an absolute deadline; nothing waits forever.
#ifndef MAESTRO_TRANSPORT_TRANSPORT_H_
#define MAESTRO_TRANSPORT_TRANSPORT_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "maestro/transport/connection_spec.h"

namespace maestro::transport {

class Connection {
 public:
  virtual ~Connection() = default;
  // Writes all of `data` or fails. DeadlineExceeded past `deadline`, Unavailable when the
  // peer is gone.
  virtual absl::Status WriteAll(absl::string_view data, absl::Time deadline) = 0;
  // Reads at least one byte into buf (returns the count) or returns 0 at end of stream.
  virtual absl::StatusOr<size_t> ReadSome(char* buf, size_t len, absl::Time deadline) = 0;
  // Non-blocking check used before reusing a kept-alive connection: true when the peer has
  // closed it (or sent unexpected data, which makes it unusable too).
  virtual bool PeerClosed() = 0;
  // Half-close: tells the peer that nothing more will be written (end of input for a hijacked
  // exec) while reading goes on to the end. Unix/TCP: shutdown(SHUT_WR); SSH: channel EOF; TLS:
  // close_notify, the stream below left open (dockerd's TLS answers a bare end of stream with
  // a decode_error alert). Writing afterwards fails.
  virtual absl::Status CloseWrite(absl::Time deadline) = 0;
  virtual void Close() = 0;
  // While `*cancel` is true, a blocked WriteAll or ReadSome returns Cancelled within about
  // kCancelSlice instead of waiting for its deadline (a user's Ctrl-C during an exec whose process
  // stopped reading its stdin). A cut-short write leaves the connection unusable: close it.
  // `cancel` must outlive the connection's use; nullptr turns it off.
  virtual void SetCancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }

 protected:
  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(); }

 private:
  const std::atomic<bool>* cancel_ = nullptr;
};

// How often a blocked call looks at its cancel flag.
inline constexpr absl::Duration kCancelSlice = absl::Milliseconds(50);

class Transport {
 public:
  virtual ~Transport() = default;
  virtual absl::StatusOr<std::unique_ptr<Connection>> Connect(absl::Time deadline) = 0;
  // e.g. "unix:///var/run/docker.sock"; used in messages.
  virtual std::string Describe() const = 0;
};

// Builds the transport for `spec` (TLS is layered on top when spec.tls is set; for SSH the
// TLS runs inside the tunnel). Fails with InvalidArgument for an incomplete spec (missing
// files, missing SSH user/key).
absl::StatusOr<std::unique_ptr<Transport>> MakeTransport(const ConnectionSpec& spec);

}  // namespace maestro::transport

#endif  // MAESTRO_TRANSPORT_TRANSPORT_H_
