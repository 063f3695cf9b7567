#include "maestro/docker/http_client.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"

namespace maestro::docker {
namespace {

constexpr absl::Duration kStreamSlice = absl::Milliseconds(200);

bool IsIdempotent(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

}  // namespace

std::string SerializeRequest(const HttpRequest& request) {
  std::string out = absl::StrCat(request.method, " ", request.target,
                                 " HTTP/1.1\r\nHost: docker\r\nUser-Agent: maestro\r\n");
  for (const auto& h : request.headers) absl::StrAppend(&out, h.first, ": ", h.second, "\r\n");
  if (!request.body.empty()) absl::StrAppend(&out, "Content-Type: ", request.content_type, "\r\n");
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    absl::StrAppend(&out, "Content-Length: ", request.body.size(), "\r\n");
  }
  out += "\r\n";
  out += request.body;
  return out;
}

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
  absl::Time deadline = absl::Now() + options.timeout;
  bool reused = false;
  bool got_bytes = false;
  absl::StatusOr<HttpResponse> r = DoOnce(request, options, deadline, &reused, &got_bytes);
  if (!r.ok() && reused && !got_bytes && IsIdempotent(request.method) &&
      (r.status().code() == absl::StatusCode::kUnavailable)) {
    // The kept-alive connection died under us (daemon restarted): once more on a new one.
    CloseIdle();
    r = DoOnce(request, options, deadline, &reused, &got_bytes);
  }
  return r;
}

absl::StatusOr<HttpResponse> HttpClient::DoOnce(const HttpRequest& request,
                                                const RequestOptions& options, absl::Time deadline,
                                                bool* reused, bool* got_bytes) {
  *got_bytes = false;
  MAESTRO_ASSIGN_OR_RETURN(std::unique_ptr<transport::Connection> conn, Acquire(deadline, reused));
  MAESTRO_RETURN_IF_ERROR(conn->WriteAll(SerializeRequest(request), deadline));

  http::HttpResponseParser parser(options.sink);
  std::string pending;
  std::vector<char> buf(64 * 1024);
  while (!parser.done()) {
    if (!pending.empty()) {
      MAESTRO_ASSIGN_OR_RETURN(size_t used, parser.Feed(pending));
      pending.erase(0, used);
      if (parser.stopped()) {
        return parser.response();  // the caller stopped the stream; connection dropped
      }
      if (parser.done()) break;
      if (used > 0 && !pending.empty()) continue;
    }
    if (options.cancel != nullptr && options.cancel->load()) {
      return absl::CancelledError("cancelled");
    }
    bool unbounded = options.stream_body_unbounded && parser.header_done();
    absl::Time read_deadline = deadline;
    if (unbounded || options.cancel != nullptr) {
      absl::Time slice = absl::Now() + kStreamSlice;
      read_deadline = unbounded ? slice : std::min(deadline, slice);
    }
    absl::StatusOr<size_t> n = conn->ReadSome(buf.data(), buf.size(), read_deadline);
    if (!n.ok()) {
      if (n.status().code() == absl::StatusCode::kDeadlineExceeded &&
          (unbounded || absl::Now() < deadline)) {
        continue;  // a slice ended: check cancellation and go on
      }
      if (n.status().code() == absl::StatusCode::kDeadlineExceeded) {
        return absl::DeadlineExceededError(
            absl::StrCat(parser.header_done() ? "response body incomplete" : "no response",
                         " within ", absl::FormatDuration(options.timeout)));
      }
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
    pending.append(buf.data(), *n);
  }
  if (parser.keep_alive() && pending.empty()) Release(std::move(conn));
  return parser.response();
}

}  // namespace maestro::docker
