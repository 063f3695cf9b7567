#include "maestro/cli/exec_interactive.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "maestro/base/status_macros.h"
#include "maestro/docker/short_id.h"
#include "maestro/docker/stream_parsers.h"

namespace maestro::cli {
namespace {

std::atomic<bool> g_resized{false};

void OnWinch(int) { g_resized.store(true); }

// Raw mode for the life of the object (no-op when `fd` is not a terminal).
class RawMode {
 public:
  explicit RawMode(int fd) : fd_(fd) {
    if (!isatty(fd) || tcgetattr(fd, &saved_) != 0) return;
    termios raw = saved_;
    cfmakeraw(&raw);
    active_ = tcsetattr(fd, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (active_) tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

// SIGWINCH to g_resized for the life of the object.
class WinchHandler {
 public:
  WinchHandler() {
    struct sigaction sa {};
    sa.sa_handler = OnWinch;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    installed_ = sigaction(SIGWINCH, &sa, &old_) == 0;
  }
  ~WinchHandler() {
    if (installed_) sigaction(SIGWINCH, &old_, nullptr);
  }

 private:
  struct sigaction old_ {};
  bool installed_ = false;
};

bool WriteFd(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void SendSize(docker::DockerClient& client, const std::string& exec_id, int fd) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
    (void)client.ResizeExec(exec_id, ws.ws_row, ws.ws_col);  // best effort, like docker
  }
}

// Copies `in_fd` to the exec's stdin (half-closing it when `in_fd` ends) and its output to
// `out_fd`/`err_fd` (raw with a TTY, demultiplexed without) until the process ends; then waits
// (bounded) for its exit code.
absl::StatusOr<int> Attach(docker::DockerClient& client, const std::string& exec_id, bool tty,
                           int in_fd, int out_fd, int err_fd, const std::atomic<bool>* cancel) {
  absl::StatusOr<std::unique_ptr<docker::ExecStream>> stream =
      client.StartExecInteractive(exec_id, tty);
  if (!stream.ok()) return stream.status();
  // Ctrl-C also ends a write that blocks because the process stopped reading its stdin.
  (*stream)->SetCancel(cancel);
  WinchHandler winch;
  g_resized.store(false);
  int size_fd = isatty(out_fd) ? out_fd : in_fd;
  if (tty) SendSize(client, exec_id, size_fd);
  absl::Status broken;
  bool write_failed = false;
  docker::MultiplexedStreamParser demux([&](docker::StdStream s, absl::string_view data) {
    int fd = s == docker::StdStream::kStderr ? err_fd : out_fd;
    if (!WriteFd(fd, data.data(), data.size())) write_failed = true;
    return !write_failed;
  });
  {
    RawMode raw(tty ? in_fd : -1);
    bool stdin_open = true;
    char buf[16 * 1024];
    for (;;) {
      if (cancel != nullptr && cancel->load()) return absl::CancelledError("interrupted");
      if (tty && g_resized.exchange(false)) SendSize(client, exec_id, size_fd);
      if (stdin_open) {
        pollfd p{in_fd, POLLIN, 0};
        int ready = poll(&p, 1, 0);
        bool ended = ready < 0 && errno != EINTR;
        if (ready > 0 && (p.revents & POLLNVAL) != 0) {
          ended = true;  // no stdin at all
        } else if (ready > 0) {
          ssize_t n = read(in_fd, buf, sizeof buf);
          if (n > 0) {
            // A process that stopped reading (or ended: `yes | maestro exec C -- head -1`)
            // makes the write fail; like docker, the output is still read to the end.
            stdin_open = (*stream)
                             ->Write(absl::string_view(buf, static_cast<size_t>(n)),
                                     absl::Now() + absl::Seconds(30))
                             .ok();
          } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            ended = true;
          }
        }
        if (ended) {
          // End of input: the process's stdin ends too (half-close); its output goes on.
          stdin_open = false;
          (void)(*stream)->CloseWrite(absl::Now() + absl::Seconds(30));  // as a failed write
        }
      }
      absl::StatusOr<size_t> n =
          (*stream)->Read(buf, sizeof buf, absl::Now() + absl::Milliseconds(15));
      if (!n.ok()) {
        if (n.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
        broken = n.status();
        break;
      }
      if (*n == 0) break;  // the process ended
      if (tty) {
        write_failed = !WriteFd(out_fd, buf, *n);
      } else {
        absl::Status fed = demux.Feed(absl::string_view(buf, *n));
        if (!fed.ok() && !write_failed) {
          broken = fed;
          break;
        }
      }
      if (write_failed) {
        broken = absl::UnavailableError("cannot write the output");
        break;
      }
    }
  }
  stream->reset();
  if (!broken.ok()) return broken;
  if (!tty) MAESTRO_RETURN_IF_ERROR(demux.Finish());
  // The exit code is there once the daemon has reaped the process (a moment after the stream
  // ends): bounded retries.
  for (int attempt = 0; attempt < 40; ++attempt) {
    absl::StatusOr<docker::ExecInspect> inspect = client.InspectExec(exec_id);
    if (!inspect.ok()) return inspect.status();
    if (!inspect->running && inspect->exit_code) return static_cast<int>(*inspect->exit_code);
    absl::SleepFor(absl::Milliseconds(25));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the command's exit code did not arrive (exec ", docker::ShortId(exec_id), ")"));
}

}  // namespace

absl::StatusOr<int> RunInteractiveExec(docker::DockerClient& client, const std::string& container,
                                       const std::vector<std::string>& command, int in_fd,
                                       int out_fd, const std::atomic<bool>* cancel) {
  absl::StatusOr<std::string> exec =
      client.CreateExec(container, {.cmd = command, .tty = true, .attach_stdin = true});
  if (!exec.ok()) return exec.status();
  return Attach(client, *exec, /*tty=*/true, in_fd, out_fd, out_fd, cancel);
}

absl::StatusOr<int> RunPipedExec(docker::DockerClient& client, const std::string& container,
                                 const std::vector<std::string>& command, int in_fd, int out_fd,
                                 int err_fd, const std::atomic<bool>* cancel) {
  absl::StatusOr<std::string> exec =
      client.CreateExec(container, {.cmd = command, .tty = false, .attach_stdin = true});
  if (!exec.ok()) return exec.status();
  return Attach(client, *exec, /*tty=*/false, in_fd, out_fd, err_fd, cancel);
}

}  // namespace maestro::cli
