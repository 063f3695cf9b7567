// Fuzzes MultiplexedStreamParser and LineSplitter with input split at data-driven points.
#include <string>

#include "absl/strings/string_view.h"
#include "maestro/docker/fuzzers.h"
#include "maestro/docker/stream_parsers.h"

namespace maestro::docker {

int MultiplexedStreamFuzz(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  absl::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t step = 1 + data[0] % 32;
  size_t total = 0;
  MultiplexedStreamParser demux([&](StdStream s, absl::string_view d) {
    total += d.size();
    if (static_cast<int>(s) > 3) __builtin_trap();  // invariant: only valid stream ids
    return true;
  });
  LineSplitter lines([&](absl::string_view l) {
    if (l.find('\n') != absl::string_view::npos) __builtin_trap();
    return true;
  });
  for (size_t pos = 0; pos < in.size(); pos += step) {
    absl::string_view piece = in.substr(pos, step);
    if (!demux.Feed(piece).ok()) break;
    lines.Feed(piece);
  }
  (void)demux.Finish();
  lines.Finish();
  if (total > in.size()) __builtin_trap();  // payload never exceeds input
  return 0;
}

}  // namespace maestro::docker

#ifdef MAESTRO_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return maestro::docker::MultiplexedStreamFuzz(data, size);
}
#endif
