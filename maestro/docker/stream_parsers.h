// Incremental parsers for Docker's streaming bodies: the multiplexed stdout/stderr stream
// (8-byte frame headers: stream id, 3 zero bytes, big-endian uint32 length) used by logs,
// attach and exec without a TTY, and newline-delimited JSON (pull progress, events).
// Pure and single-threaded; bytes may arrive split anywhere.
#ifndef MAESTRO_DOCKER_STREAM_PARSERS_H_
#define MAESTRO_DOCKER_STREAM_PARSERS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace maestro::docker {

enum class StdStream { kStdin = 0, kStdout = 1, kStderr = 2, kSystemErr = 3 };

// Receives output; return false to stop the stream.
using OutputCallback = std::function<bool(StdStream, absl::string_view)>;

class MultiplexedStreamParser {
 public:
  explicit MultiplexedStreamParser(OutputCallback callback) : callback_(std::move(callback)) {}
  // Delivers payload bytes as they arrive (a frame may reach the callback in pieces).
  // InvalidArgument for a corrupt header (unknown stream id or non-zero padding).
  absl::Status Feed(absl::string_view data);
  // InvalidArgument when the stream ended inside a frame.
  absl::Status Finish() const;
  bool stopped() const { return stopped_; }

 private:
  OutputCallback callback_;
  char header_[8];
  size_t header_len_ = 0;
  uint32_t remaining_ = 0;  // payload bytes left in the current frame
  StdStream stream_ = StdStream::kStdout;
  bool stopped_ = false;
};

// Splits a byte stream into lines ('\n', a trailing '\r' removed); empty lines are skipped
// unless kKeepEmpty. A line longer than `max_line` stops the splitter (too_long()), or with
// kSplitLong is delivered in pieces of `max_line` bytes (the splitter goes on): memory stays
// bounded whatever the stream sends.
class LineSplitter {
 public:
  using LineCallback = std::function<bool(absl::string_view line)>;
  static constexpr size_t kDefaultMaxLine = 1 << 20;
  enum Flags : int { kDefault = 0, kKeepEmpty = 1, kSplitLong = 2 };
  explicit LineSplitter(LineCallback callback, size_t max_line = kDefaultMaxLine,
                        int flags = kDefault)
      : callback_(std::move(callback)), max_line_(max_line), flags_(flags) {}
  // Returns false once the callback returned false or a line was too long.
  bool Feed(absl::string_view data);
  // Delivers a final unterminated line.
  bool Finish();
  bool too_long() const { return too_long_; }
  size_t max_line() const { return max_line_; }

 private:
  bool Emit(absl::string_view line);
  LineCallback callback_;
  size_t max_line_;
  int flags_;
  std::string partial_;
  bool stopped_ = false;
  bool too_long_ = false;
};

}  // namespace maestro::docker

#endif  // MAESTRO_DOCKER_STREAM_PARSERS_H_
