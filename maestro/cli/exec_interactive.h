// `maestro exec` of one container with stdin a terminal (docs/usage.md#exec): `docker exec -it`
// semantics over any transport (unix, TCP, TLS, SSH) through DockerClient::StartExecInteractive
// (a hijacked connection). The terminal is put in raw mode (restored on every way out), the
// window size is sent at the start and on every SIGWINCH (POST /exec/{id}/resize), keystrokes
// go to the process (Ctrl-C included, as with docker), its output to `out_fd`, and its exit
// code comes back; when stdin ends, the process's stdin ends too. One thread: stdin and the stream
// are polled in short slices (15 ms).
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

// One container with stdin not a terminal (`echo hello | maestro exec C -- cat`, like
// `docker exec -i`): stdin is copied to the process until it ends, then the process's stdin is
// closed (the connection half-closed, over every transport) and its output is read to the end,
// stdout to `out_fd` and stderr to `err_fd`. The exit code comes back as with a terminal.
absl::StatusOr<int> RunPipedExec(docker::DockerClient& client, const std::string& container,
                                 const std::vector<std::string>& command, int in_fd, int out_fd,
                                 int err_fd, const std::atomic<bool>* cancel);

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_EXEC_INTERACTIVE_H_
