// TransportFaults: transport-level misbehaviour for FakeDockerDaemon, kept apart from its API
// model so that any front end serving Docker's HTTP API can reuse it: a delay before the
// normal answer (per endpoint: "start takes 8 s"), or, instead of the answer, what a broken or
// hostile server sends: an endless body, a huge body, a stream that stalls after its head.
//
// Thread-safety: every method may be called from any thread. Play() runs on the connection's
// own thread and returns when the fault has played out, the client went away, or `wait`
// reports the server is stopping.
#ifndef MAESTRO_TESTING_TRANSPORT_FAULTS_H_
#define MAESTRO_TESTING_TRANSPORT_FAULTS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace maestro::testing {

struct TransportFault {
  enum class Kind {
    kDelay,        // wait `delay`, then answer normally
    kEndlessBody,  // a chunked `status` answer whose body never ends (newline-free 'x's)
    kHugeBody,     // a `status` answer {"message":"xxx..."} of `bytes` bytes (Content-Length)
    kStall,        // a chunked `status` head and `prefix` as first chunk, then silence
  };
  Kind kind = Kind::kDelay;
  std::string method;          // "" = any method
  std::string path_substring;  // matched against the request target ("" = any)
  int count = -1;              // requests it applies to; -1 = every matching request
  absl::Duration delay = absl::ZeroDuration();
  int status = 200;
  size_t bytes = 0;
  std::string prefix;
};

class TransportFaults {
 public:
  // Writes bytes to the client; false when it is gone.
  using Write = std::function<bool(absl::string_view)>;
  // Sleeps up to `d`; false when the server is stopping.
  using Wait = std::function<bool(absl::Duration)>;

  void Add(TransportFault fault);
  void Clear();
  // The first fault matching the request (its count is consumed), if any.
  std::optional<TransportFault> Match(absl::string_view method, absl::string_view target);
  // Sends the answer of a body fault (not kDelay). The connection must be closed afterwards.
  // Bounded: at most 4 GiB and 10 minutes whatever the client does.
  void Play(const TransportFault& fault, const Write& write, const Wait& wait);
  // Body bytes Play() managed to send so far (the client stopped reading when this stays
  // well below what an endless body would send).
  int64_t body_bytes_sent() const { return body_bytes_sent_.load(); }

 private:
  std::mutex mu_;
  std::vector<TransportFault> faults_;
  std::atomic<int64_t> body_bytes_sent_{0};
};

}  // namespace maestro::testing

#endif  // MAESTRO_TESTING_TRANSPORT_FAULTS_H_
