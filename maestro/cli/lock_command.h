// The deploy lock in the CLI (docs/usage.md#the-deploy-lock): taking it for the commands that
// change containers, on the ships of the containers they target, and `maestro lock status|break`.
// Output goes to the given streams; nothing here exits. Thread-compatible.
#ifndef MAESTRO_CLI_LOCK_COMMAND_H_
#define MAESTRO_CLI_LOCK_COMMAND_H_

#include <atomic>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "maestro/cli/commands.h"
#include "maestro/cli/options.h"
#include "maestro/lock/deploy_lock.h"
#include "maestro/plays/world.h"

namespace maestro::cli {

// This process as a lease holder: $USER (or $LOGNAME, or the uid), the host name, the pid and
// "<command> <things...>" (shortened to 200 characters).
lock::Holder CurrentHolder(const Options& options);

// The value of $MAESTRO_LOCK_WAIT (null: unset), the default of --lock-wait: a whole number of
// seconds, 0 or more; anything else is InvalidArgument.
absl::StatusOr<int> LockWaitFromEnvironment(const char* value);

// Takes the deploy lock of the environment on the ships of the containers `options` targets,
// waiting up to --lock-wait seconds (0 when unset); `cancel` (Ctrl-C) ends the wait. Waiting and
// skipped (unreachable) ships are announced on io.err. Null (and OK) when the things do not
// resolve: the command itself reports that.
absl::StatusOr<std::unique_ptr<lock::DeployLock>> TakeDeployLock(
    const plays::PlayWorld& world, const Options& options, const lock::Holder& holder,
    const std::atomic<bool>* cancel, const Streams& io, const lock::LockOptions& lock_options = {});

// `maestro up` (without --plan) with nothing to do takes no lock: the plan is made first, and
// when every container in it is unchanged, it has no problems and no ship's list answer shows a
// lease of this environment (another maestro at work), it is reported as `up` reports it and
// the exit code returned. Otherwise (changes, problems, errors, a lease seen) returns nullopt
// and nothing was printed: the caller takes the lock and runs `up` as usual, which plans again
// under the lock. docs/usage.md#the-deploy-lock, docs/benchmarks.md §2d.
std::optional<int> RunUpIfNothingToDo(const plays::PlayWorld& world, const Options& options,
                                      plays::Scheduler& scheduler, bool color, const Streams& io);

// `maestro lock status|break [things]`: one line per ship of the targeted containers (every
// container when no things are given). Exit 0, or 1 when a ship could not be read.
int RunLock(const plays::PlayWorld& world, const Options& options, const Streams& io);

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_LOCK_COMMAND_H_
