// `maestro exec THING... -- COMMAND...` without a terminal (docs/usage.md#exec): the command
// runs in every named container at once (bounded by the Scheduler's concurrency, -c), each
// container's output cut into lines and handed on with the container it came from, and each
// exit code collected for the summary. (The interactive one-container form is
// cli/exec_interactive.h.)
//
// Memory: output is handed on line by line as it arrives; a line longer than `max_line` bytes
// is handed on in pieces of that size (each piece then reads as a line). Nothing else is held.
//
// Thread-safety: RunExec blocks the calling thread; `output` is called one call at a time (under
// one lock) from the scheduler's workers. Cancel the Scheduler (Ctrl-C) to end the streams: the
// commands may go on running in the containers.
#ifndef MAESTRO_PLAYS_EXEC_H_
#define MAESTRO_PLAYS_EXEC_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "maestro/docker/stream_parsers.h"
#include "maestro/plays/scheduler.h"
#include "maestro/plays/world.h"

namespace maestro::plays {

struct ExecRequest {
  std::vector<std::string> containers;  // instance names of world.env
  std::vector<std::string> command;
  size_t max_line = 64 << 10;
};

struct ExecResult {
  std::string instance;
  std::string ship;
  std::optional<int64_t> exit_code;  // unset when the command could not run or was cut off
  std::string error;                 // why it could not run ("" when it ran)
  bool cancelled = false;
};

// `line` ends with '\n' except for the last piece of output that did not end with one.
using ExecOutput = std::function<void(const std::string& instance, const std::string& ship,
                                      docker::StdStream stream, absl::string_view line)>;

// One result per container, in the order of `request.containers`.
std::vector<ExecResult> RunExec(const PlayWorld& world, const ExecRequest& request,
                                Scheduler& scheduler, const ExecOutput& output);

// 0 when every command ran and exited 0, 130 when interrupted, otherwise 1.
int ExecExitCode(const std::vector<ExecResult>& results);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_EXEC_H_
