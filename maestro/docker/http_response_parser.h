// Incremental HTTP/1.1 response parser (Boost.Beast's parser behind our own types, so no
// header outside maestro/docker/*.cc includes Beast). Body bytes go either into the response
// or, for successful (2xx) responses with a sink, to the sink as they arrive (chunked,
// Content-Length and read-until-EOF bodies alike). Kept bodies are bounded (BodyLimits): a 2xx
// body past `max_body` stops the parse with too_large(); an error body (any other status)
// keeps its first `max_error_body` bytes, is marked truncated and stops the parse there, so a
// daemon streaming an endless or huge body never grows memory past the limits.
// Not thread-safe; one per response.
#ifndef MAESTRO_DOCKER_HTTP_RESPONSE_PARSER_H_
#define MAESTRO_DOCKER_HTTP_RESPONSE_PARSER_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace maestro::docker {

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty when the body was streamed to a sink
  bool body_truncated = false;  // an error body cut at BodyLimits::max_error_body
  // Case-insensitive header lookup; "" when absent.
  std::string Header(absl::string_view name) const;
};

// Receives body bytes; returns false to stop reading (the connection is then dropped).
using BodySink = std::function<bool(absl::string_view)>;

// What a parser keeps in HttpResponse::body (bodies streamed to a sink are not kept).
struct BodyLimits {
  size_t max_body = 64 << 20;        // 2xx answers (JSON): larger is an error
  size_t max_error_body = 64 << 10;  // other statuses: the rest is dropped, body_truncated set
};

class HttpResponseParser {
 public:
  // `sink` may be empty (buffer everything). The sink is used only for 2xx responses.
  explicit HttpResponseParser(BodySink sink = nullptr, BodyLimits limits = BodyLimits());
  ~HttpResponseParser();
  HttpResponseParser(const HttpResponseParser&) = delete;
  HttpResponseParser& operator=(const HttpResponseParser&) = delete;

  // Consumes a prefix of `data`; returns how many bytes were used (may be less than all when
  // the message is complete). InvalidArgument on malformed input.
  absl::StatusOr<size_t> Feed(absl::string_view data);
  // The peer closed the stream. OK when that completes the message (body until EOF).
  absl::Status FeedEof();

  bool header_done() const;
  bool done() const;
  // The sink returned false, or a kept body reached its limit: nothing more is read.
  bool stopped() const;
  bool too_large() const;   // a 2xx body passed BodyLimits::max_body (stopped() is true)
  bool keep_alive() const;  // valid once done()
  const HttpResponse& response() const;  // headers valid once header_done()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace maestro::docker

#endif  // MAESTRO_DOCKER_HTTP_RESPONSE_PARSER_H_
