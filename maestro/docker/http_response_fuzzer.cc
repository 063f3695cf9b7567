// Fuzzes HttpResponseParser: arbitrary bytes, fed in pieces whose sizes come from the input,
// with and without a streaming sink, then EOF. Must never crash, hang or leak.
#include <string>

#include "absl/strings/string_view.h"
#include "maestro/docker/fuzzers.h"
#include "maestro/docker/http_response_parser.h"

namespace maestro::docker {

int HttpResponseFuzz(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  absl::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t step = 1 + data[0] % 64;
  for (bool streaming : {false, true}) {
    size_t streamed = 0;
    HttpResponseParser parser(streaming ? BodySink([&](absl::string_view d) {
      streamed += d.size();
      return streamed < (1u << 20);
    })
                                        : BodySink());
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
    if (!failed && !parser.done()) (void)parser.FeedEof();
    if (parser.header_done()) {
      (void)parser.response().Header("content-type");
      (void)parser.keep_alive();
    }
  }
  return 0;
}

}  // namespace maestro::docker

#ifdef MAESTRO_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return maestro::docker::HttpResponseFuzz(data, size);
}
#endif
