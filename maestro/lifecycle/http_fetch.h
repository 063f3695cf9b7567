// HttpFetch: one blocking HTTP/1.1 request to any http:// or https:// URL, for the `http`
// lifecycle check and the `http` (webhook) auditor. It is deliberately small: one request per
// connection ("Connection: close"), optional redirect following, and one overall deadline
// (connect + send + response) so a request can never outlive its caller's budget. Responses
// come from servers maestro does not control: they are read by the one fuzzed HTTP parser
// (maestro/http/response_parser.h) with a bounded head (64 KiB) and body (`max_body`). Sockets and
// TLS come from maestro/transport (TCP with c-ares name resolution, TLS over memory BIOs); the
// Docker-specific keep-alive HttpClient in maestro/docker is not used because it is bound to one
// daemon connection pool.
//
// HTTPS verifies the server certificate and its name/IP by default, against `ca_file` or the
// system bundle (/etc/ssl/certs/ca-certificates.crt); verify_tls=false disables that.
//
// Thread-safety: HttpFetch is reentrant; nothing is shared between calls.
#ifndef MAESTRO_LIFECYCLE_HTTP_FETCH_H_
#define MAESTRO_LIFECYCLE_HTTP_FETCH_H_

#include <atomic>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "maestro/http/response_parser.h"

namespace maestro::lifecycle {

struct Url {
  std::string scheme;  // "http" or "https" (lower-cased)
  std::string host;    // without brackets for IPv6
  int port = 0;        // defaulted from the scheme when absent
  std::string target;  // path and query, always starting with '/'
  std::string HostHeader() const;
};

// Parses scheme://host[:port][/path][?query]. InvalidArgument otherwise.
absl::StatusOr<Url> ParseUrl(absl::string_view url);

struct HttpFetchRequest {
  std::string method = "GET";  // sent upper-cased
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length when non-empty or when the method is POST/PUT
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(5);  // the whole exchange, redirects included
  bool verify_tls = true;
  std::string ca_file;      // "" = system bundle
  std::string client_cert;  // PEM files, optional
  std::string client_key;
  int max_redirects = 0;  // 301/302/303/307/308 with Location are followed this many times
  // Body bytes kept; a longer body is cut there (truncated = true) and not read further.
  size_t max_body = 1 << 20;
  const std::atomic<bool>* cancel = nullptr;  // checked at least every 100 ms
};

// status, reason, headers, body, truncated and Header() come from http::HttpResponse.
struct HttpFetchResponse : http::HttpResponse {
  std::string url;  // the final URL (after redirects)
};

// Any HTTP status is a response; errors are connection, TLS, protocol or deadline failures
// (Unavailable, also for a body cut short by the server; DeadlineExceeded, Cancelled;
// InvalidArgument for a malformed response), with the URL in the message.
absl::StatusOr<HttpFetchResponse> HttpFetch(const HttpFetchRequest& request);

}  // namespace maestro::lifecycle

#endif  // MAESTRO_LIFECYCLE_HTTP_FETCH_H_
