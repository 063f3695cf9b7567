// The one HTTP/1.1 response parser of maestro: incremental, size-bounded, fuzzed
// (response_fuzzer.cc, replayed over testdata/http/fuzz by fuzz_corpus_test). Used by the Docker
// client (maestro/docker/http_client) and by HttpFetch (maestro/lifecycle/http_fetch: the `http`
// lifecycle check and the webhook auditor), which talk to servers maestro does not control.
//
// Boost.Beast's parser sits behind our own types, so no header outside maestro/http/*.cc and
// maestro/transport/*.cc includes Beast. Body bytes go either into the response (at most
// `Limits::max_body` of them; the parser then stops, see truncated()) or, for successful (2xx)
// responses with a sink, to the sink as they arrive (chunked, Content-Length and read-until-EOF
// bodies alike). The head is bounded by `Limits::max_header` (InvalidArgument past it).
//
// Buffered bodies are bounded too, so a server streaming an endless or huge body never grows
// memory past the limits: a 2xx body keeps at most `Limits::max_body` bytes, a body of any other
// status at most `Limits::max_error_body` (and never more than max_body). Past its limit the
// body holds its first bytes, response().truncated is set and the parser stops reading; a 2xx
// body cut this way is also too_large() (the Docker client's JSON answers treat that as an
// error, HttpFetch keeps the start).
//
// Not thread-safe; one parser per response, owned by its caller.
#ifndef MAESTRO_HTTP_RESPONSE_PARSER_H_
#define MAESTRO_HTTP_RESPONSE_PARSER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace maestro::http {

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty when the body was streamed to a sink
  // The body was longer than its limit (Limits::max_body for 2xx, max_error_body otherwise):
  // `body` holds its first bytes up to that limit.
  bool truncated = false;
  // Case-insensitive header lookup; "" when absent.
  std::string Header(absl::string_view name) const;
};

// Receives body bytes; returns false to stop reading (the connection is then dropped).
using BodySink = std::function<bool(absl::string_view)>;

class HttpResponseParser {
 public:
  struct Limits {
    size_t max_header = 64 * 1024;  // status line and header fields together
    // Body bytes of a 2xx answer kept in HttpResponse::body (never applies to a sink). Past it
    // the parser stops (stopped(), too_large() and response().truncated become true) instead of
    // reading on.
    size_t max_body = 64 << 20;
    // Body bytes of an answer with any other status kept (at most max_body); past it the parser
    // stops with response().truncated set.
    size_t max_error_body = 64 << 10;
    // The request was HEAD: the response has no body whatever its Content-Length says.
    bool head_request = false;
  };

  // `sink` may be empty (buffer everything). The sink is used only for 2xx responses.
  explicit HttpResponseParser(BodySink sink = nullptr) : HttpResponseParser(std::move(sink), {}) {}
  HttpResponseParser(BodySink sink, const Limits& limits);
  ~HttpResponseParser();
  HttpResponseParser(const HttpResponseParser&) = delete;
  HttpResponseParser& operator=(const HttpResponseParser&) = delete;

  // Consumes a prefix of `data`; returns how many bytes were used (may be less than all when
  // the message is complete or the parser stopped). InvalidArgument on malformed input or a
  // head larger than Limits::max_header.
  absl::StatusOr<size_t> Feed(absl::string_view data);
  // The peer closed the stream. OK when that completes the message (body until EOF).
  absl::Status FeedEof();

  bool header_done() const;
  bool done() const;
  // The sink returned false or the buffered body reached its limit; feed no more.
  bool stopped() const;
  // A 2xx body passed Limits::max_body (stopped() and response().truncated are true).
  bool too_large() const;
  bool keep_alive() const;               // valid once done()
  const HttpResponse& response() const;  // headers valid once header_done()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace maestro::http

#endif  // MAESTRO_HTTP_RESPONSE_PARSER_H_
