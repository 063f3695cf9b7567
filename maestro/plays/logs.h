// logs and logs -F (reference §2: `maestro logs [-F] [-n N] [-t] CONTAINER`): the output of one
// container, optionally followed across restarts (MaestroNG crashed there). Every side effect
// goes through the PlayWorld: Docker through world.ships, time through world.clock (the
// window of the "wait for the next start" event query), so FakeDockerHost and FakeClock drive
// it in unit tests.
//
// Thread-safety: RunLogs runs on the calling thread; `cancel` may be set from any thread (a
// signal handler thread on Ctrl-C). `output` and `notice` are called on the calling thread.
#ifndef MAESTRO_PLAYS_LOGS_H_
#define MAESTRO_PLAYS_LOGS_H_

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "maestro/docker/docker_client.h"
#include "maestro/plays/world.h"

namespace maestro::plays {

struct LogsRequest {
  std::string container;     // an instance name of world.env
  std::optional<int> lines;  // -n: only the last N lines (of the first run)
  bool timestamps = false;   // -t
  bool follow = false;       // -F: go on until cancelled, across restarts
};

// Writes the container's output to `output` (return false to stop: RunLogs then returns OK)
// and human remarks ("zk-1 has died, waiting for respawn...") to `notice`.
// Returns OK when the output ended (without follow) or `output` stopped it; Cancelled when
// `cancel` ended it; NotFound/FailedPrecondition "zk-1 (on ship1) is not running! (...)" when
// the container cannot be inspected; the ship's error when it cannot be reached.
absl::Status RunLogs(const PlayWorld& world, const LogsRequest& request,
                     const docker::OutputCallback& output,
                     const std::function<void(const std::string&)>& notice,
                     const std::atomic<bool>* cancel);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_LOGS_H_
