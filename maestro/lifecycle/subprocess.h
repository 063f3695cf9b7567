// RunSubprocess: runs a local program without a shell (argv[0] searched in PATH), in the
// current working directory, and waits for it: the one spawn-and-wait of maestro, for the
// `exec` lifecycle check, the `exec` auditor and the end-to-end tests' maestro runs
// (maestro/integration/e2e). Stdout and stderr are merged into one pipe unless
// `error_output` is set (then stderr has its own pipe and sink); every byte goes to the
// optional pass-through sinks and the last few lines are kept for error messages. Stdin is
// /dev/null unless `stdin_data` is given, which is written in full (a child that does not read it
// is fine: EPIPE is ignored, SIGPIPE never reaches maestro). The child runs in its own process
// group; on timeout or cancellation (noticed within 50 ms) the whole group gets SIGTERM, then
// SIGKILL after `kill_grace`, and when RunSubprocess returns nothing of the group is left and the
// child is reaped.
//
// Thread-safety: reentrant; many threads may run subprocesses at once (posix_spawn, all
// maestro-side descriptors close-on-exec).
#ifndef MAESTRO_LIFECYCLE_SUBPROCESS_H_
#define MAESTRO_LIFECYCLE_SUBPROCESS_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace maestro::lifecycle {

struct SubprocessOptions {
  std::vector<std::string> argv;  // argv[0] is searched in PATH
  // The child's complete environment; nullopt inherits maestro's.
  std::optional<std::map<std::string, std::string>> env;
  std::optional<std::string> stdin_data;
  std::function<void(absl::string_view)> output;  // pass-through of stdout+stderr (optional)
  // When set, stderr goes here instead of to `output` (called from the waiting thread).
  std::function<void(absl::string_view)> error_output;
  // When set, a signal number stored here (by any thread) is sent to the child (not its
  // group) within 50 ms and the value reset to 0. Safe: the child is not reaped before
  // RunSubprocess returns, so its pid cannot name another process meanwhile.
  std::atomic<int>* send_signal = nullptr;
  size_t tail_lines = 10;
  absl::Duration timeout = absl::InfiniteDuration();
  const std::atomic<bool>* cancel = nullptr;            // checked every 50 ms
  absl::Duration kill_grace = absl::Milliseconds(500);  // SIGTERM to SIGKILL
};

struct SubprocessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the terminating signal, or 0
  bool timed_out = false;
  bool cancelled = false;
  std::string tail;                                 // the last `tail_lines` lines of output
  absl::Duration limit = absl::InfiniteDuration();  // the timeout it ran under
  bool ok() const { return exit_code == 0 && !timed_out && !cancelled; }
  // "exited with status 3", "killed by signal 9", "timed out after 5s", "cancelled".
  std::string Describe() const;
};

// Errors: the program could not be started (NotFound / PermissionDenied / Internal) or argv
// is empty (InvalidArgument). A non-zero exit is a result, not an error.
absl::StatusOr<SubprocessResult> RunSubprocess(const SubprocessOptions& options);

// Maestro's own environment (from `environ`), as a map.
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace maestro::lifecycle

#endif  // MAESTRO_LIFECYCLE_SUBPROCESS_H_
