// The commands that stream until they end or Ctrl-C: events, status --watch and exec
// (docs/usage.md#events, #status---watch, #exec). Each returns the process exit code (see
// commands.h): Ctrl-C (`cancel` set) ends them within a second with 130.
//
// Thread-safety: each runs on the calling thread (plus its own workers); `cancel` may be set
// from any thread.
#ifndef MAESTRO_CLI_STREAM_COMMANDS_H_
#define MAESTRO_CLI_STREAM_COMMANDS_H_

#include <atomic>

#include "maestro/cli/commands.h"
#include "maestro/cli/options.h"
#include "maestro/plays/scheduler.h"
#include "maestro/plays/world.h"

namespace maestro::cli {

// events [things] [--since T] [--until T] [--format json].
int RunEventsCommand(const plays::PlayWorld& world, const Options& options,
                     const std::atomic<bool>* cancel, const Streams& io);

// status --watch [things] [--format json]: a table on a terminal, else one line (or JSON object)
// per change. Runs until Ctrl-C (130) or the output cannot be written (1).
int RunStatusWatchCommand(const plays::PlayWorld& world, const Options& options,
                          const std::atomic<bool>* cancel, bool color, const Streams& io);

// exec THING... -- COMMAND...: several containers (or a service) run the command at once
// (-c bounds; `scheduler`'s concurrency), each line prefixed "instance@ship | ", then a summary
// of the exit codes on stderr; 0 only if every command exited 0. One container: its output
// unprefixed and its exit code passed through (1 when it could not run); interactive
// (cli/exec_interactive.h) when stdin is a terminal.
int RunExecCommand(const plays::PlayWorld& world, const Options& options,
                   plays::Scheduler& scheduler, const std::atomic<bool>* cancel, const Streams& io);

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_STREAM_COMMANDS_H_
