#include "maestro/lifecycle/http_fetch.h"

#include <algorithm>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/http/request.h"
#include "maestro/http/response_parser.h"
#include "maestro/transport/connection_spec.h"
#include "maestro/transport/socket_transport.h"
#include "maestro/transport/tls_transport.h"

namespace maestro::lifecycle {
namespace {

constexpr char kSystemCaBundle[] = "/etc/ssl/certs/ca-certificates.crt";
constexpr absl::Duration kReadSlice = absl::Milliseconds(100);

bool Cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

absl::StatusOr<std::unique_ptr<transport::Connection>> Connect(const Url& url,
                                                               const HttpFetchRequest& req,
                                                               absl::Time deadline) {
  auto tcp = std::make_unique<transport::TcpTransport>(url.host, url.host, url.port);
  std::unique_ptr<transport::Transport> t = std::move(tcp);
  if (url.scheme == "https") {
    transport::TlsOptions tls;
    tls.verify = req.verify_tls;
    if (req.verify_tls) tls.ca_cert = req.ca_file.empty() ? kSystemCaBundle : req.ca_file;
    tls.cert = req.client_cert;
    tls.key = req.client_key;
    tls.server_name = url.host;
    MAESTRO_ASSIGN_OR_RETURN(
        t, transport::MakeTlsTransport(url.host, tls, url.host, std::move(t), nullptr));
  }
  absl::Time connect_deadline = std::min(deadline, absl::Now() + req.connect_timeout);
  return t->Connect(connect_deadline);
}

absl::StatusOr<HttpFetchResponse> FetchOnce(const Url& url, const HttpFetchRequest& req,
                                            const std::string& method, absl::Time deadline) {
  MAESTRO_ASSIGN_OR_RETURN(std::unique_ptr<transport::Connection> conn,
                           Connect(url, req, deadline));
  http::RequestHead head;
  head.method = method;
  head.target = url.target;
  head.host = url.HostHeader();
  head.headers.assign(req.headers.begin(), req.headers.end());
  head.accept_any = true;
  head.close = true;
  MAESTRO_RETURN_IF_ERROR(conn->WriteAll(http::SerializeRequest(head, req.body), deadline));

  // The response, parsed by the one (fuzzed, bounded) HTTP parser. The exchange ends when
  // the message is complete, or as soon as max_body bytes of it are kept.
  http::HttpResponseParser::Limits limits;
  limits.max_body = req.max_body;
  limits.max_error_body = req.max_body;  // any status: the check or webhook reads the start
  limits.head_request = method == "HEAD";
  http::HttpResponseParser parser(nullptr, limits);
  std::string pending;
  char chunk[16384];
  while (!parser.done() && !parser.stopped()) {
    if (Cancelled(req.cancel)) return absl::CancelledError("cancelled");
    absl::Time now = absl::Now();
    if (now >= deadline) return absl::DeadlineExceededError("timed out waiting for the response");
    absl::StatusOr<size_t> n =
        conn->ReadSome(chunk, sizeof chunk, std::min(deadline, now + kReadSlice));
    if (!n.ok()) {
      if (absl::IsDeadlineExceeded(n.status())) continue;  // slice over; re-check cancel
      return n.status();
    }
    if (*n == 0) {
      MAESTRO_RETURN_IF_ERROR(parser.FeedEof());
      break;
    }
    pending.append(chunk, *n);
    MAESTRO_ASSIGN_OR_RETURN(size_t used, parser.Feed(pending));
    pending.erase(0, used);
  }
  HttpFetchResponse out;
  static_cast<http::HttpResponse&>(out) = parser.response();
  return out;
}

}  // namespace

std::string Url::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
  bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  return default_port ? h : absl::StrCat(h, ":", port);
}

absl::StatusOr<Url> ParseUrl(absl::string_view in) {
  Url url;
  size_t sep = in.find("://");
  if (sep == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid URL '", in, "': no scheme"));
  }
  url.scheme = absl::AsciiStrToLower(in.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid URL '", in, "': scheme must be http or https"));
  }
  absl::string_view rest = in.substr(sep + 3);
  size_t slash = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, slash);
  std::string target = slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  target = target.substr(0, target.find('#'));
  if (target.empty() || target[0] != '/') target = "/" + target;
  url.target = target;
  size_t at = authority.rfind('@');
  if (at != absl::string_view::npos) authority = authority.substr(at + 1);
  int port = -1;
  absl::Status s = transport::SplitHostPort(authority, &url.host, &port);
  if (!s.ok() || url.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid URL '", in, "': bad host/port"));
  }
  url.port = port > 0 ? port : (url.scheme == "https" ? 443 : 80);
  return url;
}

absl::StatusOr<HttpFetchResponse> HttpFetch(const HttpFetchRequest& request) {
  absl::Time deadline = absl::Now() + request.timeout;
  std::string method = absl::AsciiStrToUpper(request.method);
  std::string current = request.url;
  HttpFetchRequest req = request;  // the body is dropped when a redirect turns it into a GET
  for (int hop = 0;; ++hop) {
    MAESTRO_ASSIGN_OR_RETURN(Url url, ParseUrl(current));
    absl::StatusOr<HttpFetchResponse> r = FetchOnce(url, req, method, deadline);
    if (!r.ok()) {
      return absl::Status(r.status().code(),
                          absl::StrCat(method, " ", current, ": ", r.status().message()));
    }
    r->url = current;
    int st = r->status;
    std::string location = r->Header("location");
    bool redirect = st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
    if (!redirect || location.empty() || hop >= request.max_redirects) return r;
    if (absl::StartsWith(location, "//")) {
      location = absl::StrCat(url.scheme, ":", location);
    } else if (location.find("://") == std::string::npos) {
      std::string base = absl::StrCat(url.scheme, "://", url.HostHeader());
      if (location[0] != '/') {
        std::string dir = url.target.substr(0, url.target.find('?'));
        dir = dir.substr(0, dir.rfind('/') + 1);
        location = dir + location;
      }
      location = base + location;
    }
    if (st == 303 || ((st == 301 || st == 302) && method == "POST")) {
      method = "GET";
      req.body.clear();
    }
    current = location;
  }
}

}  // namespace maestro::lifecycle
