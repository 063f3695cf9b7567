// Incremental HTTP/1.1 response parser (Boost.Beast's parser behind our own types, so no
// header outside maestro/docker/*.cc includes Beast). Body bytes go either into the response
// or, for successful (2xx) responses with a sink, to the sink as they arrive (chunked,
// Content-Length and read-until-EOF bodies alike). Not thread-safe; one per response.
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
  // Case-insensitive header lookup; "" when absent.
  std::string Header(absl::string_view name) const;
};

// Receives body bytes; returns false to stop reading (the connection is then dropped).
using BodySink = std::function<bool(absl::string_view)>;

class HttpResponseParser {
 public:
  // `sink` may be empty (buffer everything). The sink is used only for 2xx responses.
  explicit HttpResponseParser(BodySink sink = nullptr);
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
  bool stopped() const;     // the sink returned false
  bool keep_alive() const;  // valid once done()
  const HttpResponse& response() const;  // headers valid once header_done()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace maestro::docker

#endif  // MAESTRO_DOCKER_HTTP_RESPONSE_PARSER_H_
