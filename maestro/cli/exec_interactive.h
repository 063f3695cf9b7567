// `maestro exec` of one container with stdin a terminal (docs/usage.md#exec): `docker exec -it`
// semantics over any transport (unix, TCP, TLS, SSH) through DockerClient::StartExecInteractive
// (a hijacked connection). The terminal is put in raw mode (restored on every way out), the
// window size is sent at the start and on every SIGWINCH (POST /exec/{id}/resize), keystrokes
// go to the process (Ctrl-C included, as with docker), its output to `out_fd`, and its exit
// code comes back. One thread: stdin and the stream are polled in short slices (15 ms).
//
// Thread-safety: call from one thread; installs a SIGWINCH handler for its duration.
#ifndef MAESTRO_CLI_EXEC_INTERACTIVE_H_
#define MAESTRO_CLI_EXEC_INTERACTIVE_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/docker/docker_client.h"

namespace maestro::cli {

// The command's exit code; an error when it could not be started or the stream broke. `cancel`
// (SIGTERM) detaches (Cancelled).
absl::StatusOr<int> RunInteractiveExec(docker::DockerClient& client, const std::string& container,
                                       const std::vector<std::string>& command, int in_fd,
                                       int out_fd, const std::atomic<bool>* cancel);

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_EXEC_INTERACTIVE_H_
