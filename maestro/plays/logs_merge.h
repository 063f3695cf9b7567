// The pieces of `maestro logs` across containers and ships (docs/usage.md#logs) that need no
// daemon: time arguments (--since/--until), Docker's `timestamps=1` line prefix, the seam
// deduplication of a resumed stream, the bounded reorder-window merger and the line
// formatter (prefix, colour, -t, --format json).
//
// Thread-safety: LogMerger is thread-safe (readers push from their threads, one consumer
// pops). SeamDeduper, LineFilter and LogFormatter are thread-compatible (one per reader or per
// consumer); a compiled LineFilter may be shared for Matches().
#ifndef MAESTRO_PLAYS_LOGS_MERGE_H_
#define MAESTRO_PLAYS_LOGS_MERGE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "maestro/docker/stream_parsers.h"

namespace maestro::plays {

// Splits "2026-12-04T03:00:00.123456789Z text" (Docker's timestamps=1 form) into its time and
// the text after the one space. False when the line does not start with a timestamp.
bool SplitTimestamp(absl::string_view line, absl::Time* time, absl::string_view* text);

// Docker's own rendering of a log time (RFC 3339, nine fraction digits, UTC), as -t shows it.
std::string FormatLogTime(absl::Time t);

// One line of one container's output.
struct LogLine {
  size_t source = 0;  // index into the request's containers
  docker::StdStream stream = docker::StdStream::kStdout;
  absl::Time time;   // the daemon's timestamp
  std::string text;  // without the timestamp and the newline
};

// Resuming a stream from `since` = the last timestamp seen repeats the lines logged at exactly
// that time (the API's `since` is inclusive). SeamDeduper remembers (as hashes) the lines of
// the newest timestamp it accepted; after Resume() it skips them once each when they come
// again, and skips lines older than that timestamp, until a newer line arrives. Memory is bounded:
// at most kMaxSameTime lines of one timestamp are remembered (more lines with the very same
// nanosecond may repeat).
class SeamDeduper {
 public:
  static constexpr size_t kMaxSameTime = 65536;
  // Returns true when the line is new (show it), false for a repeat.
  bool Accept(absl::Time time, docker::StdStream stream, absl::string_view text);
  // Starts a resumed stream: the remembered lines may now come again once each.
  void Resume();
  // Forgets everything (a new container under the same name).
  void Reset();
  absl::Time last_time() const { return last_time_; }
  bool empty() const { return last_time_ == absl::InfinitePast(); }

 private:
  absl::Time last_time_ = absl::InfinitePast();
  size_t remembered_ = 0;
  absl::flat_hash_map<uint64_t, int> at_last_;  // lines accepted at last_time_ (count)
  absl::flat_hash_map<uint64_t, int> repeats_;  // lines still expected again after Resume
  bool resuming_ = false;                       // until a line newer than last_time_ comes
};

// --grep: an ECMAScript regular expression searched in each line (without its timestamp).
// Only the first kMaxSearch bytes of a line are searched (std::regex recurses per character).
class LineFilter {
 public:
  static constexpr size_t kMaxSearch = 8192;
  // InvalidArgument "--grep: ..." for a bad expression; an empty pattern matches everything.
  static absl::StatusOr<LineFilter> Compile(const std::string& pattern);
  bool Matches(absl::string_view text) const;

 private:
  std::shared_ptr<const std::regex> regex_;
};

// Merges the lines of many readers in timestamp order, within a reorder window, with bounded
// memory:
//   * every source has its own queue of at most `max_bytes_per_source` bytes of text; a
//     reader's Push blocks while its queue is full (a slow consumer, such as a slow terminal,
//     slows the readers down, which stop reading their sockets: backpressure all the way to
//     the daemons; nothing is dropped);
//   * the oldest queued line is released when every source that has not finished has a line
//     queued (an exact k-way merge), or when it has waited `window` since it arrived (a quiet
//     or slow source holds the others back by at most `window`). A line that arrives more than
//     `window` late is shown when it arrives, after newer lines of other containers.
// Times passed in (`arrival`, `now`) come from one Clock.
class LogMerger {
 public:
  LogMerger(size_t sources, absl::Duration window, size_t max_bytes_per_source);

  // Reader side. Blocks while the source's queue is full, until there is room, Close() or
  // *cancel (checked every 50 ms of real time). Returns false when the line was not queued.
  bool Push(LogLine line, absl::Time arrival, const std::atomic<bool>* cancel);
  // The source will push no more lines.
  void Finish(size_t source);
  // Wakes every blocked Push (they return false) and refuses further lines.
  void Close();

  // Consumer side: kLine with the next line in *out; kWait when nothing can be released before
  // *wake_at (InfiniteFuture: until something is pushed or finished); kDone when every source
  // has finished and everything was released.
  enum class Next { kLine, kWait, kDone };
  Next Pop(absl::Time now, LogLine* out, absl::Time* wake_at);
  // Waits until a Push/Finish/Close happens or `max` of real time passes.
  void WaitForChange(absl::Duration max);

  size_t queued_bytes() const;

 private:
  struct Entry {
    LogLine line;
    absl::Time arrival;
    uint64_t seq;
  };
  struct Source {
    std::deque<Entry> queue;
    size_t bytes = 0;
    bool finished = false;
  };
  const absl::Duration window_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::condition_variable room_;     // a queue got room (or Close)
  std::condition_variable changed_;  // a push or finish
  std::vector<Source> sources_;
  uint64_t seq_ = 0;
  uint64_t generation_ = 0;  // bumped by every Push/Finish/Close
  bool closed_ = false;
};

// Where a source's lines come from, for prefixes and JSON.
struct LogSourceName {
  std::string instance;
  std::string ship;
};

enum class LogFormat { kText, kJson };

struct LogFormatterOptions {
  LogFormat format = LogFormat::kText;
  bool prefix = true;       // "instance@ship | " (--no-prefix drops it)
  bool color = false;       // the prefix coloured, one colour per container (a terminal)
  bool timestamps = false;  // -t: the daemon's time after the prefix
};

// Renders lines: text "zk-1@ship1 | hello\n" (prefixes padded to the widest), or one JSON
// object a line {"time","instance","ship","stream","line"} (invalid UTF-8 replaced).
class LogFormatter {
 public:
  LogFormatter(std::vector<LogSourceName> sources, LogFormatterOptions options);
  std::string Format(const LogLine& line) const;

 private:
  std::vector<LogSourceName> sources_;
  std::vector<std::string> prefixes_;  // rendered, padded, coloured
  LogFormatterOptions options_;
};

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_LOGS_MERGE_H_
