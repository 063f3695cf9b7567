#include "maestro/docker/http_client.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/http/request.h"

namespace maestro::docker {
namespace {

constexpr absl::Duration kStreamSlice = absl::Milliseconds(200);

bool IsIdempotent(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

// The request as the one serialiser (maestro/http/request.h) writes it to a Docker daemon.
std::string Serialize(const HttpRequest& request, bool close = false) {
  http::RequestHead head;
  head.method = request.method;
  head.target = request.target;
  head.host = "docker";
  head.headers = request.headers;
  head.content_type = request.content_type;
  head.close = close;
  return http::SerializeRequest(head, request.body);
}

}  // namespace

HttpClient::HttpClient(std::unique_ptr<transport::Transport> transport, Options options)
    : transport_(std::move(transport)), options_(options) {}

void HttpClient::CloseIdle() {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.clear();
}

absl::StatusOr<std::unique_ptr<transport::Connection>> HttpClient::Acquire(absl::Time deadline,
                                                                           bool* reused) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      std::unique_ptr<transport::Connection> c = std::move(idle_.back());
      idle_.pop_back();
      if (!c->PeerClosed()) {
        *reused = true;
        return c;
      }
    }
  }
  *reused = false;
  MAESTRO_ASSIGN_OR_RETURN(std::unique_ptr<transport::Connection> c, transport_->Connect(deadline));
  connections_opened_.fetch_add(1);
  return c;
}

void HttpClient::Release(std::unique_ptr<transport::Connection> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(conn));
}

absl::StatusOr<HttpResponse> HttpClient::Do(const HttpRequest& request,
                                            const RequestOptions& options) {
  bool reused = false;
  bool got_bytes = false;
  absl::StatusOr<HttpResponse> r = DoOnce(request, options, &reused, &got_bytes);
  if (!r.ok() && reused && !got_bytes && IsIdempotent(request.method) &&
      (r.status().code() == absl::StatusCode::kUnavailable)) {
    // The kept-alive connection died under us (daemon restarted): once more on a new one.
    CloseIdle();
    r = DoOnce(request, options, &reused, &got_bytes);
  }
  return r;
}

absl::Status HttpClient::Probe(absl::Duration timeout) {
  if (absl::Now() - absl::FromUnixNanos(last_alive_ns_.load()) < timeout / 2) {
    return absl::OkStatus();
  }
  absl::Status s = ProbeOnce(timeout);
  // Connected but answered late: a loaded daemon gets a second chance before "unreachable".
  if (s.code() == absl::StatusCode::kDeadlineExceeded) s = ProbeOnce(timeout);
  return s;
}

absl::Status HttpClient::ProbeOnce(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  MAESTRO_ASSIGN_OR_RETURN(std::unique_ptr<transport::Connection> conn,
                           transport_->Connect(deadline));
  connections_opened_.fetch_add(1);
  HttpRequest ping;
  ping.target = "/_ping";
  MAESTRO_RETURN_IF_ERROR(conn->WriteAll(Serialize(ping, /*close=*/true), deadline));
  http::HttpResponseParser::Limits limits;
  limits.max_body = 4096;
  limits.max_error_body = 4096;
  http::HttpResponseParser parser(nullptr, limits);
  char buf[4096];
  while (!parser.header_done()) {
    MAESTRO_ASSIGN_OR_RETURN(size_t n, conn->ReadSome(buf, sizeof buf, deadline));
    if (n == 0) return absl::UnavailableError("connection closed without an answer to a ping");
    MAESTRO_RETURN_IF_ERROR(parser.Feed(absl::string_view(buf, n)).status());
  }
  last_alive_ns_.store(absl::ToUnixNanos(absl::Now()));
  return absl::OkStatus();
}

absl::StatusOr<HttpResponse> HttpClient::DoOnce(const HttpRequest& request,
                                                const RequestOptions& options, bool* reused,
                                                bool* got_bytes) {
  *got_bytes = false;
  const absl::Duration timeout = options.timeout;
  absl::Time send_deadline = absl::Now() + timeout;
  MAESTRO_ASSIGN_OR_RETURN(std::unique_ptr<transport::Connection> conn,
                           Acquire(send_deadline, reused));
  MAESTRO_RETURN_IF_ERROR(conn->WriteAll(Serialize(request), send_deadline));

  const absl::Time sent = absl::Now();
  const absl::Duration limit = std::max(timeout, options.patience);
  const absl::Time ceiling = sent + limit;  // head, and body unless streamed
  const bool probing = options.patience > timeout;
  absl::Time last_data = sent;
  absl::Time next_probe = sent + timeout;
  absl::Time interrupt_deadline = absl::InfiniteFuture();
  const bool flags = options.cancel != nullptr || options.interrupt != nullptr;

  http::HttpResponseParser parser(options.sink, options.limits);
  std::string pending;
  std::vector<char> buf(64 * 1024);
  while (!parser.done()) {
    if (!pending.empty()) {
      MAESTRO_ASSIGN_OR_RETURN(size_t used, parser.Feed(pending));
      pending.erase(0, used);
      if (parser.too_large()) {
        return absl::ResourceExhaustedError(absl::StrCat("the daemon's answer is larger than ",
                                                         options.limits.max_body >> 20,
                                                         " MiB (not a Docker daemon?)"));
      }
      if (parser.stopped()) {
        return parser.response();  // the caller stopped the stream; connection dropped
      }
      if (parser.done()) break;
      if (used > 0 && !pending.empty()) continue;
    }
    const bool streaming = options.stream_body_unbounded && parser.header_done();
    absl::Time now = absl::Now();
    if (options.cancel != nullptr && options.cancel->load()) {
      return absl::CancelledError("cancelled");
    }
    if (options.interrupt != nullptr && options.interrupt->load()) {
      if (interrupt_deadline == absl::InfiniteFuture()) interrupt_deadline = now + kInterruptGrace;
      if (streaming || now >= interrupt_deadline) {
        return absl::CancelledError(
            parser.header_done()
                ? "interrupted while the daemon's answer was arriving"
                : "interrupted while waiting for the daemon's answer (the daemon may still "
                  "carry the request out)");
      }
    }
    if (!streaming && now >= ceiling) {
      return absl::DeadlineExceededError(absl::StrCat(
          parser.header_done() ? "response body incomplete" : "no response", " within ",
          absl::FormatDuration(limit), probing ? " (the daemon answered pings meanwhile)" : ""));
    }
    if (streaming && now - last_data >= options.stall) {
      return absl::DeadlineExceededError(
          absl::StrCat("stream stalled: no data for ", absl::FormatDuration(options.stall)));
    }
    if ((probing || (streaming && options.stall != absl::InfiniteDuration())) &&
        now >= next_probe) {
      absl::Status alive = Probe(timeout);
      if (!alive.ok()) {
        return absl::UnavailableError(absl::StrCat(
            "daemon unreachable: no ", parser.header_done() ? "data" : "answer", " for ",
            absl::FormatDuration(absl::Trunc(absl::Now() - last_data, absl::Milliseconds(1))),
            " and no answer to a ping: ", alive.message()));
      }
      next_probe = absl::Now() + timeout;
      continue;
    }
    absl::Time read_deadline = absl::InfiniteFuture();
    if (!streaming) read_deadline = std::min(read_deadline, ceiling);
    if (probing || (streaming && options.stall != absl::InfiniteDuration())) {
      read_deadline = std::min(read_deadline, next_probe);
    }
    if (streaming && options.stall != absl::InfiniteDuration()) {
      read_deadline = std::min(read_deadline, last_data + options.stall);
    }
    if (flags) read_deadline = std::min(read_deadline, now + kStreamSlice);
    if (streaming && read_deadline == absl::InfiniteFuture()) {
      read_deadline = now + kStreamSlice;  // never one unbounded read
    }
    if (interrupt_deadline != absl::InfiniteFuture()) {
      read_deadline = std::min(read_deadline, interrupt_deadline);
    }
    absl::StatusOr<size_t> n = conn->ReadSome(buf.data(), buf.size(), read_deadline);
    if (!n.ok()) {
      if (n.status().code() == absl::StatusCode::kDeadlineExceeded) continue;  // re-check
      return n.status();
    }
    if (*n == 0) {
      MAESTRO_RETURN_IF_ERROR(parser.FeedEof());
      if (!parser.done()) {
        return absl::UnavailableError("connection closed without a response");
      }
      break;
    }
    *got_bytes = true;
    last_data = absl::Now();
    last_alive_ns_.store(absl::ToUnixNanos(last_data));
    next_probe = last_data + timeout;
    pending.append(buf.data(), *n);
  }
  if (parser.keep_alive() && pending.empty()) Release(std::move(conn));
  return parser.response();
}

absl::StatusOr<HijackedConnection> HttpClient::Hijack(const HttpRequest& request,
                                                      const RequestOptions& options) {
  const absl::Time deadline = absl::Now() + options.timeout;
  MAESTRO_ASSIGN_OR_RETURN(std::unique_ptr<transport::Connection> conn,
                           transport_->Connect(deadline));
  connections_opened_.fetch_add(1);
  HttpRequest upgrade = request;
  upgrade.headers.emplace_back("Connection", "Upgrade");
  upgrade.headers.emplace_back("Upgrade", "tcp");
  MAESTRO_RETURN_IF_ERROR(conn->WriteAll(Serialize(upgrade), deadline));
  // The head, read up to its blank line; what follows is already the stream (or an error body).
  std::string data;
  size_t end = std::string::npos;
  char buf[4096];
  while ((end = data.find("\r\n\r\n")) == std::string::npos) {
    if (data.size() > options.limits.max_header) {
      return absl::InvalidArgumentError("the daemon's answer head is too large");
    }
    if ((options.cancel != nullptr && options.cancel->load()) ||
        (options.interrupt != nullptr && options.interrupt->load())) {
      return absl::CancelledError("interrupted while waiting for the daemon's answer");
    }
    absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("no answer within ", absl::FormatDuration(options.timeout)));
    }
    absl::StatusOr<size_t> n =
        conn->ReadSome(buf, sizeof buf, std::min(deadline, now + kStreamSlice));
    if (!n.ok()) {
      if (n.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
      return n.status();
    }
    if (*n == 0) return absl::UnavailableError("connection closed without a response");
    data.append(buf, *n);
  }
  last_alive_ns_.store(absl::ToUnixNanos(absl::Now()));
  HijackedConnection out;
  http::HttpResponseParser head_parser(nullptr, options.limits);
  // Only the head goes through the parser here (status, reason, headers).
  std::string head_text = data.substr(0, end + 4);
  absl::StatusOr<size_t> used = head_parser.Feed(head_text);
  if (!used.ok()) return used.status();
  if (!head_parser.header_done()) return absl::InvalidArgumentError("malformed answer head");
  out.head = head_parser.response();
  out.head.body.clear();
  if (out.head.status == 101 || (out.head.status >= 200 && out.head.status < 300)) {
    out.connection = std::move(conn);
    out.buffered = data.substr(end + 4);
    return out;
  }
  // An error: its body (bounded) for the message, through a parser that reads the whole answer.
  http::HttpResponseParser parser(nullptr, options.limits);
  std::string pending = std::move(data);
  while (!parser.done() && !parser.stopped()) {
    if (!pending.empty()) {
      MAESTRO_ASSIGN_OR_RETURN(size_t n, parser.Feed(pending));
      pending.erase(0, n);
      if (parser.done() || parser.stopped() || n == 0) break;
      continue;
    }
    absl::StatusOr<size_t> n = conn->ReadSome(buf, sizeof buf, deadline);
    if (!n.ok() || *n == 0) {
      if (n.ok()) (void)parser.FeedEof();
      break;
    }
    pending.append(buf, *n);
  }
  out.head = parser.response();
  return out;
}

}  // namespace maestro::docker
