// HttpClient: HTTP/1.1 requests to one ship's Docker daemon over a transport::Transport, with
// a small pool of kept-alive connections reused across requests, a deadline per request,
// streaming bodies (sink called per chunk as bytes arrive), and one transparent reconnect when
// a kept-alive connection turns out dead before any response byte (idempotent methods only).
// Thread-safety: Do() may be called from many threads; each call uses its own connection.
#ifndef MAESTRO_DOCKER_HTTP_CLIENT_H_
#define MAESTRO_DOCKER_HTTP_CLIENT_H_

#include <atomic>
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

struct RequestOptions {
  // Bounds connect + send + response head, and the body unless `stream_body_unbounded`.
  absl::Duration timeout = absl::Seconds(5);
  // Body bytes of a 2xx response go here as they arrive instead of HttpResponse::body.
  BodySink sink;
  // Streams (follow logs, events, attach, pulls) may stay open indefinitely once the head
  // arrived; they end with the stream, when the sink returns false, or when `cancel` is set.
  bool stream_body_unbounded = false;
  const std::atomic<bool>* cancel = nullptr;
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

  std::string Describe() const { return transport_->Describe(); }
  // Connections opened so far (for tests and benchmarks).
  int connections_opened() const { return connections_opened_.load(); }
  // Drops every idle connection.
  void CloseIdle();

 private:
  struct Attempt;
  absl::StatusOr<HttpResponse> DoOnce(const HttpRequest& request, const RequestOptions& options,
                                      absl::Time deadline, bool* reused, bool* got_bytes);
  absl::StatusOr<std::unique_ptr<transport::Connection>> Acquire(absl::Time deadline,
                                                                 bool* reused);
  void Release(std::unique_ptr<transport::Connection> conn);

  std::unique_ptr<transport::Transport> transport_;
  Options options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<transport::Connection>> idle_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> connections_opened_{0};
};

// Serialises a request head and body (exposed for tests).
std::string SerializeRequest(const HttpRequest& request);

}  // namespace maestro::docker

#endif  // MAESTRO_DOCKER_HTTP_CLIENT_H_
