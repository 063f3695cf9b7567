#include "maestro/http/response_parser.h"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace maestro::http {
namespace {

namespace beast_http = boost::beast::http;

struct BodyTarget {
  HttpResponse* response = nullptr;  // body and truncated are written here when buffering
  const BodySink* sink = nullptr;
  size_t max_body = 0;        // 2xx bodies
  size_t max_error_body = 0;  // other statuses
  bool stopped = false;
  bool too_large = false;
};

// A Beast Body whose reader forwards bytes to a BodySink (2xx) or, up to max_body (2xx) or
// max_error_body (other statuses), to the response's body (otherwise).
struct SinkBody {
  using value_type = BodyTarget;

  class reader {
   public:
    // Beast 1.74 constructs the reader with the parser, before any header is parsed: the
    // status is only looked at in init(), which runs once the header is complete.
    template <bool isRequest, class Fields>
    reader(beast_http::header<isRequest, Fields>& h, value_type& v)
        : v_(v), header_(&h), status_of_(&StatusOf<isRequest, Fields>) {}
    void init(const boost::optional<std::uint64_t>&, boost::beast::error_code& ec) {
      ec = {};
      int status = status_of_(header_);
      success_ = status >= 200 && status < 300;
      use_sink_ = v_.sink != nullptr && *v_.sink && success_;
    }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      ec = {};
      size_t n = 0;
      for (auto b : boost::beast::buffers_range_ref(buffers)) {
        absl::string_view s(static_cast<const char*>(b.data()), b.size());
        n += s.size();
        if (v_.stopped) continue;
        if (use_sink_) {
          if (!(*v_.sink)(s)) v_.stopped = true;
          continue;
        }
        // Over the limit: keep the first `limit` bytes and stop reading (the connection is
        // dropped afterwards); a 2xx answer cut this way is also too_large().
        const size_t limit = success_ ? v_.max_body : v_.max_error_body;
        std::string& body = v_.response->body;
        size_t room = limit > body.size() ? limit - body.size() : 0;
        if (s.size() > room) {
          s = s.substr(0, room);
          v_.response->truncated = true;
          v_.stopped = true;
          v_.too_large = success_;
        }
        body.append(s.data(), s.size());
      }
      return n;
    }
    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    template <bool isRequest, class Fields>
    static int StatusOf(const void* h) {
      if constexpr (isRequest) {
        return 0;
      } else {
        return static_cast<int>(
            static_cast<const beast_http::header<false, Fields>*>(h)->result_int());
      }
    }
    value_type& v_;
    const void* header_;
    int (*status_of_)(const void*);
    bool use_sink_ = false;
    bool success_ = false;
  };
};

}  // namespace

struct HttpResponseParser::Impl {
  BodySink sink;
  beast_http::response_parser<SinkBody> parser;
  HttpResponse response;
  bool header_copied = false;

  void CopyHeader() {
    if (header_copied || !parser.is_header_done()) return;
    header_copied = true;
    const auto& msg = parser.get();
    response.status = static_cast<int>(msg.result_int());
    response.reason = std::string(msg.reason());
    for (const auto& f : msg) {
      response.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
  }
};

std::string HttpResponse::Header(absl::string_view name) const {
  for (const auto& h : headers) {
    if (absl::EqualsIgnoreCase(h.first, name)) return h.second;
  }
  return "";
}

HttpResponseParser::HttpResponseParser(BodySink sink, const Limits& limits)
    : impl_(std::make_unique<Impl>()) {
  impl_->sink = std::move(sink);
  // Not boost::none: Beast 1.74 compares `len > body_limit_` with an empty optional as true.
  // The buffered body is bounded by Limits::max_body/max_error_body (cut there, see put()).
  impl_->parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  impl_->parser.header_limit(static_cast<std::uint32_t>(
      std::min<size_t>(limits.max_header, std::numeric_limits<std::uint32_t>::max())));
  impl_->parser.eager(true);
  impl_->parser.skip(limits.head_request);
  BodyTarget& t = impl_->parser.get().body();
  t.response = &impl_->response;
  t.sink = &impl_->sink;
  t.max_body = limits.max_body;
  t.max_error_body = std::min(limits.max_body, limits.max_error_body);
}

HttpResponseParser::~HttpResponseParser() = default;

absl::StatusOr<size_t> HttpResponseParser::Feed(absl::string_view data) {
  size_t total = 0;
  while (!impl_->parser.is_done() && total < data.size()) {
    boost::beast::error_code ec;
    size_t used =
        impl_->parser.put(boost::asio::const_buffer(data.data() + total, data.size() - total), ec);
    total += used;
    impl_->CopyHeader();
    if (ec == beast_http::error::need_more) {
      if (used == 0) break;
      continue;
    }
    if (ec)
      return absl::InvalidArgumentError(absl::StrCat("malformed HTTP response: ", ec.message()));
    if (stopped()) break;
    if (used == 0) break;
  }
  return total;
}

absl::Status HttpResponseParser::FeedEof() {
  if (impl_->parser.is_done()) return absl::OkStatus();
  if (!impl_->parser.got_some()) {
    return absl::UnavailableError("connection closed without a response");
  }
  boost::beast::error_code ec;
  impl_->parser.put_eof(ec);
  impl_->CopyHeader();
  if (ec) {
    return absl::UnavailableError(impl_->parser.got_some()
                                      ? "connection closed before the response was complete"
                                      : "connection closed without a response");
  }
  return absl::OkStatus();
}

bool HttpResponseParser::header_done() const { return impl_->parser.is_header_done(); }
bool HttpResponseParser::done() const { return impl_->parser.is_done(); }
bool HttpResponseParser::stopped() const { return impl_->parser.get().body().stopped; }
bool HttpResponseParser::too_large() const { return impl_->parser.get().body().too_large; }
bool HttpResponseParser::keep_alive() const {
  return impl_->parser.is_done() && impl_->parser.keep_alive() && !impl_->parser.need_eof();
}
const HttpResponse& HttpResponseParser::response() const { return impl_->response; }

}  // namespace maestro::http
