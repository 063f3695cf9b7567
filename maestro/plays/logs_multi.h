// `maestro logs` of many containers across ships (docs/usage.md#logs): every container's log
// stream is read in parallel (one reader thread each, timestamps always asked for), split into
// lines (an endless line is cut every `max_line` bytes), filtered (--grep, --stdout-only,
// --stderr-only), deduplicated at reconnection seams and merged in timestamp order within a
// reorder window (LogMerger) on the calling thread, which hands them to `output` in order.
//
// Follow (-f/-F): a reader goes on after its stream ends. It reconnects with `since` = the last
// timestamp it showed (SeamDeduper drops the repeats at the seam) when the container runs again
// (restarted, or re-created under the same name: then from its first line), when the connection
// dropped or the ship was down; it waits with a bounded backoff (kMinBackoff doubling to
// kMaxBackoff on world.clock) between attempts. `until` in the future ends the follow then.
//
// Memory: every container's queue holds at most `max_queued_bytes` of text plus one line; a
// slow `output` (a slow terminal) blocks the readers, which then stop reading their sockets
// (backpressure to the daemons; nothing is dropped). Ctrl-C (`cancel`) ends the readers'
// streams (the Docker clients check it) and RunMultiLogs returns Cancelled within about 100 ms
// of real time plus the clients' own cancellation latency.
//
// Thread-safety: RunMultiLogs runs on the calling thread and starts one thread per container;
// `output` and `notice` are called on the calling thread only. `cancel` may be set from any
// thread. world.ships must be thread-safe (it is everywhere).
#ifndef MAESTRO_PLAYS_LOGS_MULTI_H_
#define MAESTRO_PLAYS_LOGS_MULTI_H_

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "maestro/plays/logs_merge.h"
#include "maestro/plays/world.h"

namespace maestro::plays {

struct MultiLogsRequest {
  std::vector<std::string> containers;  // instance names of world.env, in prefix-colour order
  std::optional<int> tail;              // -n: the last N lines of each container
  bool follow = false;
  bool stdout_ = true;
  bool stderr_ = true;
  absl::Time since = absl::InfinitePast();
  absl::Time until = absl::InfiniteFuture();
  std::string grep;  // LineFilter pattern, "" = every line
  absl::Duration reorder_window = absl::Milliseconds(200);
  size_t max_queued_bytes = 256 << 10;  // per container
  size_t max_line = 64 << 10;           // longer lines are cut into pieces of at most this
};

inline constexpr absl::Duration kMinBackoff = absl::Milliseconds(250);
inline constexpr absl::Duration kMaxBackoff = absl::Seconds(4);

// Where RunMultiLogs delivers, all on the calling thread.
struct MultiLogsOutput {
  // Each merged line, in order; return false to stop everything (a failed write).
  std::function<bool(const LogLine&)> line;
  // Remarks: "zk-1@ship1 has died, waiting for respawn...", "zk-2@ship2: ...; reconnecting".
  std::function<void(const std::string&)> notice;
  // Nothing more to show for now (flush the output). May be empty.
  std::function<void()> idle;
};

// Returns OK when every stream ended (no follow), `until` passed or `output.line` stopped;
// Cancelled when `cancel` ended it; InvalidArgument for a bad --grep or an unknown container
// (before anything is read); without follow, the errors of the containers that could not be
// read, one per line, after the others were shown (the first error's code).
absl::Status RunMultiLogs(const PlayWorld& world, const MultiLogsRequest& request,
                          const MultiLogsOutput& output, const std::atomic<bool>* cancel);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_LOGS_MULTI_H_
