// `maestro logs` of several containers, or with any of the flags only the merged logs know
// (--since, --until, --grep, --format json, --no-prefix, --stdout-only, --stderr-only):
// plays::RunMultiLogs wired to the output streams (docs/usage.md#logs). One container named
// alone without those flags keeps the single-container output of cli::RunLogs.
//
// Thread-safety: runs on the calling thread; `cancel` may be set from a signal thread.
#ifndef MAESTRO_CLI_LOGS_COMMAND_H_
#define MAESTRO_CLI_LOGS_COMMAND_H_

#include <atomic>
#include <string>
#include <vector>

#include "maestro/cli/commands.h"
#include "maestro/cli/options.h"
#include "maestro/plays/world.h"

namespace maestro::cli {

// Whether `options` need the merged logs even for one container.
bool WantsMergedLogs(const Options& options);

// Shows the merged logs of `containers` (resolved instance names): stdout lines on io.out,
// stderr lines on io.err (text), everything on io.out with --format json; remarks on io.err.
// `color`: the prefixes coloured (a terminal). Exit codes as every command: 0, 1 (a container
// could not be read, or the output could not be written), 2 (a bad --since/--until/--grep),
// 130 (Ctrl-C).
int RunMergedLogs(const plays::PlayWorld& world, const Options& options,
                  const std::vector<std::string>& containers, bool color,
                  const std::atomic<bool>* cancel, const Streams& io);

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_LOGS_COMMAND_H_
