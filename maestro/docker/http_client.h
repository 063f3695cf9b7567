// HttpClient: HTTP/1.1 requests to one ship's Docker daemon over a transport::Transport, with
// a small pool of kept-alive connections reused across requests, streaming bodies (sink called
// per chunk as bytes arrive), and one transparent reconnect when a kept-alive connection turns
// out dead before any response byte (idempotent methods only).
//
// Time: connecting and sending are bounded by RequestOptions::timeout (the ship's `timeout`).
// A slow answer is not a failure while the daemon is alive: with `patience` above `timeout`,
// the answer is awaited in slices of `timeout`; after each silent slice the daemon is pinged
// on a fresh connection (Probe) and the request fails as unreachable (Unavailable) only when
// that ping fails; otherwise it waits on, up to `patience` in all (DeadlineExceeded then).
// Streams (`stream_body_unbounded`) have no overall bound once the head arrived; `stall`
// bounds their silence. `cancel` ends any wait at once; `interrupt` (Ctrl-C) ends a wait for
// an answer after a short grace (kInterruptGrace) and a stream at once. Every wait observes
// both flags at least every 200 ms. Kept bodies are bounded (RequestOptions::limits).
// Thread-safety: Do() and Probe() may be called from many threads; each call uses its own
// connection.
#ifndef MAESTRO_DOCKER_HTTP_CLIENT_H_
#define MAESTRO_DOCKER_HTTP_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "maestro/http/response_parser.h"
#include "maestro/transport/transport.h"

namespace maestro::docker {

// Responses are parsed by the one HTTP parser, maestro/http (shared with HttpFetch).
using http::BodySink;
using http::HttpResponse;

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query, already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
};

// How long an interrupted (Ctrl-C) request still waits for an answer already on its way.
inline constexpr absl::Duration kInterruptGrace = absl::Seconds(1);

struct RequestOptions {
  // Bounds connect and send, and how long the daemon may stay silent before it is pinged; the
  // whole exchange (head and body) when `patience` is not above it.
  absl::Duration timeout = absl::Seconds(5);
  // The most a slow but alive daemon is waited for (head, and body unless streamed).
  absl::Duration patience = absl::ZeroDuration();
  // Streams: the longest silence once the head arrived (the daemon is pinged meanwhile).
  absl::Duration stall = absl::InfiniteDuration();
  // Body bytes of a 2xx response go here as they arrive instead of HttpResponse::body.
  BodySink sink;
  // Streams (follow logs, events, attach, pulls) may stay open indefinitely once the head
  // arrived; they end with the stream, when the sink returns false, or when `cancel` is set.
  bool stream_body_unbounded = false;
  http::HttpResponseParser::Limits limits;       // kept bodies: 2xx max_body, others max_error_body
  const std::atomic<bool>* cancel = nullptr;     // stop now (Cancelled)
  const std::atomic<bool>* interrupt = nullptr;  // Ctrl-C: stop after kInterruptGrace
};

// A connection taken over for raw two-way bytes after an HTTP upgrade (Hijack): the daemon's
// answer head, the connection, and the stream bytes that arrived with the head.
struct HijackedConnection {
  HttpResponse head;
  std::unique_ptr<transport::Connection> connection;
  std::string buffered;
};

class HttpClient {
 public:
  struct Options {
    size_t max_idle_connections = 4;
  };
  HttpClient(std::unique_ptr<transport::Transport> transport, Options options);
  explicit HttpClient(std::unique_ptr<transport::Transport> transport)
      : HttpClient(std::move(transport), Options()) {}

  // Returns the response for any HTTP status; errors are transport or protocol failures
  // (Unavailable, DeadlineExceeded, Cancelled, InvalidArgument for garbage).
  absl::StatusOr<HttpResponse> Do(const HttpRequest& request, const RequestOptions& options);
  // Sends `request` with "Connection: Upgrade" and "Upgrade: tcp" on a fresh connection (never
  // pooled) and, once the answer's head arrived (101 Switching Protocols, or 200 from daemons
  // that answer attach requests so), hands the connection over for raw two-way use. Any other
  // answer is returned with its (bounded) body in `head` and no connection. The head is awaited
  // up to options.timeout; options.cancel and options.interrupt end the wait.
  absl::StatusOr<HijackedConnection> Hijack(const HttpRequest& request,
                                            const RequestOptions& options);
  // Liveness: GET /_ping on a fresh connection, bounded by `timeout` (tried twice when the
  // connection opens but the answer is late). OK when any HTTP answer came back. Shared by
  // concurrent waiters: OK at once when the daemon sent anything (an answer, a ping) within
  // the last `timeout` / 2, so hundreds of slow calls do not flood it with pings.
  absl::Status Probe(absl::Duration timeout);

  std::string Describe() const { return transport_->Describe(); }
  // Connections opened so far (for tests and benchmarks).
  int connections_opened() const { return connections_opened_.load(); }
  // Drops every idle connection.
  void CloseIdle();

 private:
  struct Attempt;
  absl::StatusOr<HttpResponse> DoOnce(const HttpRequest& request, const RequestOptions& options,
                                      bool* reused, bool* got_bytes);
  absl::Status ProbeOnce(absl::Duration timeout);
  absl::StatusOr<std::unique_ptr<transport::Connection>> Acquire(absl::Time deadline, bool* reused);
  void Release(std::unique_ptr<transport::Connection> conn);

  std::unique_ptr<transport::Transport> transport_;
  Options options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<transport::Connection>> idle_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> connections_opened_{0};
  std::atomic<int64_t> last_alive_ns_{0};  // unix nanos of the daemon's last sign of life
};

}  // namespace maestro::docker

#endif  // MAESTRO_DOCKER_HTTP_CLIENT_H_
