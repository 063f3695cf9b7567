#include "maestro/lifecycle/http_fetch.h"

#include <algorithm>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "maestro/base/status_macros.h"
#include "maestro/transport/connection_spec.h"
#include "maestro/transport/socket_transport.h"
#include "maestro/transport/tls_transport.h"

namespace maestro::lifecycle {
namespace {

constexpr char kSystemCaBundle[] = "/etc/ssl/certs/ca-certificates.crt";
constexpr absl::Duration kReadSlice = absl::Milliseconds(100);

bool Cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

// Decodes a body incrementally: Content-Length, chunked or until EOF.
class BodyDecoder {
 public:
  enum class Mode { kNone, kLength, kChunked, kEof };
  BodyDecoder(Mode mode, size_t length, size_t max_body, HttpFetchResponse* out)
      : mode_(mode), remaining_(length), max_body_(max_body), out_(out) {}

  bool done() const { return done_; }

  // Consumes `raw_` as far as possible. InvalidArgument for a malformed chunked body.
  absl::Status Feed(absl::string_view data) {
    raw_.append(data.data(), data.size());
    for (;;) {
      if (done_) return absl::OkStatus();
      switch (mode_) {
        case Mode::kNone:
          done_ = true;
          continue;
        case Mode::kEof:
          Keep(raw_);
          raw_.clear();
          return absl::OkStatus();
        case Mode::kLength: {
          size_t n = std::min(remaining_, raw_.size());
          Keep(absl::string_view(raw_).substr(0, n));
          raw_.erase(0, n);
          remaining_ -= n;
          if (remaining_ == 0) done_ = true;
          if (!done_) return absl::OkStatus();
          continue;
        }
        case Mode::kChunked: {
          if (in_chunk_ > 0) {
            size_t n = std::min(in_chunk_, raw_.size());
            Keep(absl::string_view(raw_).substr(0, n));
            raw_.erase(0, n);
            in_chunk_ -= n;
            if (in_chunk_ > 0) return absl::OkStatus();
            need_crlf_ = true;
          }
          if (need_crlf_) {
            if (raw_.size() < 2) return absl::OkStatus();
            if (raw_.compare(0, 2, "\r\n") != 0) {
              return absl::InvalidArgumentError("malformed chunked body (missing CRLF)");
            }
            raw_.erase(0, 2);
            need_crlf_ = false;
          }
          size_t eol = raw_.find("\r\n");
          if (eol == std::string::npos) {
            if (raw_.size() > 4096) return absl::InvalidArgumentError("chunk size line too long");
            return absl::OkStatus();
          }
          if (trailers_) {
            if (eol == 0) {
              done_ = true;
            }
            raw_.erase(0, eol + 2);
            continue;
          }
          absl::string_view line = absl::string_view(raw_).substr(0, eol);
          line = line.substr(0, line.find(';'));
          line = absl::StripAsciiWhitespace(line);
          uint64_t size = 0;
          if (line.empty() || !absl::SimpleHexAtoi(line, &size)) {
            return absl::InvalidArgumentError(
                absl::StrCat("malformed chunk size '", line, "'"));
          }
          raw_.erase(0, eol + 2);
          if (size == 0) {
            trailers_ = true;
          } else {
            in_chunk_ = static_cast<size_t>(size);
          }
          continue;
        }
      }
    }
  }

 private:
  void Keep(absl::string_view data) {
    size_t room = max_body_ > out_->body.size() ? max_body_ - out_->body.size() : 0;
    if (data.size() > room) out_->truncated = true;
    out_->body.append(data.data(), std::min(room, data.size()));
  }

  Mode mode_;
  size_t remaining_;
  size_t max_body_;
  HttpFetchResponse* out_;
  std::string raw_;
  size_t in_chunk_ = 0;
  bool need_crlf_ = false;
  bool trailers_ = false;
  bool done_ = false;
};

absl::Status ParseHead(absl::string_view head, HttpFetchResponse* out) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  if (lines.empty()) return absl::InvalidArgumentError("empty response");
  absl::string_view status_line = lines[0];
  if (!absl::StartsWith(status_line, "HTTP/1.")) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an HTTP/1.x response: '", status_line.substr(0, 80), "'"));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(status_line, absl::MaxSplits(' ', 2));
  int status = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[1], &status) || status < 100 || status > 999) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad HTTP status line: '", status_line.substr(0, 80), "'"));
  }
  out->status = status;
  out->reason = parts.size() > 2 ? std::string(parts[2]) : "";
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad HTTP header line: '", lines[i].substr(0, 80), "'"));
    }
    out->headers.emplace_back(
        std::string(absl::StripAsciiWhitespace(lines[i].substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  return absl::OkStatus();
}

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
  std::string head = absl::StrCat(method, " ", url.target, " HTTP/1.1\r\nHost: ",
                                  url.HostHeader(), "\r\n");
  bool has_ua = false, has_accept = false;
  for (const auto& [k, v] : req.headers) {
    if (absl::EqualsIgnoreCase(k, "user-agent")) has_ua = true;
    if (absl::EqualsIgnoreCase(k, "accept")) has_accept = true;
    if (absl::EqualsIgnoreCase(k, "host") || absl::EqualsIgnoreCase(k, "content-length") ||
        absl::EqualsIgnoreCase(k, "connection")) {
      continue;
    }
    absl::StrAppend(&head, k, ": ", v, "\r\n");
  }
  if (!has_ua) head += "User-Agent: maestro\r\n";
  if (!has_accept) head += "Accept: */*\r\n";
  if (!req.body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    absl::StrAppend(&head, "Content-Length: ", req.body.size(), "\r\n");
  }
  head += "Connection: close\r\n\r\n";
  MAESTRO_RETURN_IF_ERROR(conn->WriteAll(head + req.body, deadline));

  HttpFetchResponse out;
  std::string buf;
  std::unique_ptr<BodyDecoder> body;
  char chunk[16384];
  for (;;) {
    if (Cancelled(req.cancel)) return absl::CancelledError("cancelled");
    absl::Time now = absl::Now();
    if (now >= deadline) return absl::DeadlineExceededError("timed out waiting for the response");
    absl::StatusOr<size_t> n = conn->ReadSome(chunk, sizeof chunk, std::min(deadline, now + kReadSlice));
    if (!n.ok()) {
      if (absl::IsDeadlineExceeded(n.status())) continue;  // slice over; re-check cancel
      return n.status();
    }
    bool eof = *n == 0;
    if (body == nullptr) {
      buf.append(chunk, *n);
      size_t end = buf.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (eof) return absl::UnavailableError("connection closed before a complete response");
        if (buf.size() > 64 * 1024) return absl::InvalidArgumentError("response head too large");
        continue;
      }
      MAESTRO_RETURN_IF_ERROR(ParseHead(absl::string_view(buf).substr(0, end), &out));
      BodyDecoder::Mode mode = BodyDecoder::Mode::kEof;
      size_t length = 0;
      std::string te = absl::AsciiStrToLower(out.Header("transfer-encoding"));
      std::string cl = out.Header("content-length");
      if (method == "HEAD" || out.status == 204 || out.status == 304 || out.status < 200) {
        mode = BodyDecoder::Mode::kNone;
      } else if (absl::StrContains(te, "chunked")) {
        mode = BodyDecoder::Mode::kChunked;
      } else if (!cl.empty()) {
        uint64_t v = 0;
        if (!absl::SimpleAtoi(cl, &v)) {
          return absl::InvalidArgumentError(absl::StrCat("bad Content-Length '", cl, "'"));
        }
        length = static_cast<size_t>(v);
        mode = length == 0 ? BodyDecoder::Mode::kNone : BodyDecoder::Mode::kLength;
      }
      body = std::make_unique<BodyDecoder>(mode, length, req.max_body, &out);
      MAESTRO_RETURN_IF_ERROR(body->Feed(absl::string_view(buf).substr(end + 4)));
      buf.clear();
    } else if (!eof) {
      MAESTRO_RETURN_IF_ERROR(body->Feed(absl::string_view(chunk, *n)));
    }
    if (body != nullptr && body->done()) return out;
    if (eof) {
      if (body != nullptr) return out;  // read-until-EOF body, or a short one: keep what came
      return absl::UnavailableError("connection closed before a complete response");
    }
  }
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

std::string HttpFetchResponse::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
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
