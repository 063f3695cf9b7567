// The one HTTP/1.1 request serialiser of maestro, used by the Docker client
// (maestro/docker/http_client) and by HttpFetch (maestro/lifecycle/http_fetch: the `http`
// lifecycle check and the webhook auditor). Responses are parsed by response_parser.h.
//
// What it writes, in order: the request line; `Host`; `User-Agent: maestro` and (with
// `accept_any`) `Accept: */*` unless the caller's headers have their own; the caller's headers
// in order, except the framing ones maestro owns (`Host`, `Content-Length`,
// `Transfer-Encoding`, and `Connection` when `close` is set); `Content-Type` with a body unless
// the caller gave one; `Content-Length` when there is a body or the method is POST, PUT or
// PATCH; `Connection: close` with `close`; the empty line and the body.
//
// Pure and thread-safe.
#ifndef MAESTRO_HTTP_REQUEST_H_
#define MAESTRO_HTTP_REQUEST_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace maestro::http {

struct RequestHead {
  std::string method = "GET";
  std::string target;  // path and query, already encoded
  std::string host;    // the Host header's value
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;  // sent with a non-empty body ("" = none)
  bool accept_any = false;   // send "Accept: */*" unless `headers` has an Accept
  bool close = false;        // "Connection: close": one request per connection
};

std::string SerializeRequest(const RequestHead& head, absl::string_view body);

}  // namespace maestro::http

#endif  // MAESTRO_HTTP_REQUEST_H_
