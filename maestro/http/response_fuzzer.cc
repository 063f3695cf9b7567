// Fuzzes HttpResponseParser: arbitrary bytes, fed in pieces whose sizes come from the input,
// buffered without and with a small body limit, and streamed to a sink, then EOF. Must never
// crash, hang, leak or keep more body than its limit.
#include "maestro/http/response_fuzzer.h"

#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "maestro/http/response_parser.h"

namespace maestro::http {

int HttpResponseFuzz(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  absl::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t step = 1 + data[0] % 64;
  enum class Mode { kBuffered, kBounded, kStreaming };
  for (Mode mode : {Mode::kBuffered, Mode::kBounded, Mode::kStreaming}) {
    size_t streamed = 0;
    HttpResponseParser::Limits limits;
    if (mode == Mode::kBounded) {
      limits.max_body = data[0] % 32;
      limits.max_error_body = data[0] % 8;
      limits.max_header = 256;
      limits.head_request = data[0] & 0x40;
    }
    BodySink sink;
    if (mode == Mode::kStreaming) {
      sink = [&](absl::string_view d) {
        streamed += d.size();
        return streamed < (1u << 20);
      };
    }
    HttpResponseParser parser(sink, limits);
    std::string pending;
    bool failed = false;
    for (size_t pos = 0; pos < in.size() && !failed && !parser.done(); pos += step) {
      pending.append(in.substr(pos, step).data(), in.substr(pos, step).size());
      auto used = parser.Feed(pending);
      if (!used.ok()) {
        failed = true;
        break;
      }
      pending.erase(0, *used);
      if (parser.stopped()) break;
    }
    if (!failed && !parser.done() && !parser.stopped()) (void)parser.FeedEof();
    // The bounds held: max_body for 2xx, max_error_body (never above max_body) otherwise.
    const HttpResponse& r = parser.response();
    const bool success = r.status >= 200 && r.status < 300;
    if (r.body.size() > limits.max_body) std::abort();
    if (!success && r.body.size() > limits.max_error_body) std::abort();
    if (parser.too_large() && (!success || !r.truncated)) std::abort();
    if (parser.header_done()) {
      (void)parser.response().Header("content-type");
      (void)parser.keep_alive();
    }
  }
  return 0;
}

}  // namespace maestro::http

#ifdef MAESTRO_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return maestro::http::HttpResponseFuzz(data, size);
}
#endif
