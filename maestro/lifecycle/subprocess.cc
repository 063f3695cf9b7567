#include "maestro/lifecycle/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace maestro::lifecycle {
namespace {

class LineTail {
 public:
  explicit LineTail(size_t max_lines) : max_(max_lines) {}
  void Add(absl::string_view data) {
    for (char c : data) {
      if (c == '\n') {
        Push(std::move(current_));
        current_.clear();
      } else if (current_.size() < 4096) {
        current_ += c;
      }
    }
  }
  std::string Text() {
    std::deque<std::string> lines = lines_;
    if (!current_.empty()) {
      lines.push_back(current_);
      if (lines.size() > max_) lines.pop_front();
    }
    return absl::StrJoin(lines, "\n");
  }

 private:
  void Push(std::string line) {
    lines_.push_back(std::move(line));
    while (lines_.size() > max_) lines_.pop_front();
  }
  size_t max_;
  std::deque<std::string> lines_;
  std::string current_;
};

absl::Status SpawnError(const std::string& prog, int err) {
  std::string msg = absl::StrCat("cannot run '", prog, "': ", strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

// write() to a pipe whose reader is gone raises SIGPIPE; block it in this thread for the
// call and consume the pending signal so it never reaches the process.
ssize_t WriteNoSigpipe(int fd, const char* data, size_t len) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n = write(fd, data, len);
  int err = errno;
  if (n < 0 && err == EPIPE) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return n;
}

}  // namespace

std::string SubprocessResult::Describe() const {
  if (cancelled) return "cancelled";
  if (timed_out) return absl::StrCat("timed out after ", absl::FormatDuration(limit));
  if (signal != 0) return absl::StrCat("killed by signal ", signal);
  return absl::StrCat("exited with status ", exit_code);
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    absl::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == absl::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

absl::StatusOr<SubprocessResult> RunSubprocess(const SubprocessOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("empty command");
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return SpawnError(options.argv[0], errno);
  int err_pipe[2] = {-1, -1};
  if (options.error_output && pipe2(err_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    close(out_pipe[0]);
    close(out_pipe[1]);
    return SpawnError(options.argv[0], err);
  }
  int in_pipe[2] = {-1, -1};
  if (options.stdin_data && pipe2(in_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) close(fd);
    }
    return SpawnError(options.argv[0], err);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.stdin_data) {
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1] >= 0 ? err_pipe[1] : out_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  // Its own process group: a timeout or cancellation kills everything the command started.
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> argv;
  for (const std::string& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  if (options.env) {
    for (const auto& [k, v] : *options.env) env_strings.push_back(absl::StrCat(k, "=", v));
    for (std::string& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
  }
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(),
                        options.env ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  if (err_pipe[1] >= 0) close(err_pipe[1]);
  if (in_pipe[0] >= 0) close(in_pipe[0]);
  if (rc != 0) {
    close(out_pipe[0]);
    if (err_pipe[0] >= 0) close(err_pipe[0]);
    if (in_pipe[1] >= 0) close(in_pipe[1]);
    return SpawnError(options.argv[0], rc);
  }

  int out_fd = out_pipe[0];
  int err_fd = err_pipe[0];  // -1 when stderr shares out_fd
  int in_fd = in_pipe[1];
  if (in_fd >= 0) fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
  size_t in_off = 0;
  const std::string empty_input;
  const std::string& input = options.stdin_data ? *options.stdin_data : empty_input;
  if (in_fd >= 0 && input.empty()) {
    close(in_fd);
    in_fd = -1;
  }

  SubprocessResult result;
  LineTail tail(options.tail_lines);
  absl::Time deadline = options.timeout == absl::InfiniteDuration() ? absl::InfiniteFuture()
                                                                    : absl::Now() + options.timeout;
  absl::Time kill_at = absl::InfiniteFuture();      // SIGKILL time once SIGTERM was sent
  absl::Time drain_until = absl::InfiniteFuture();  // a grandchild may keep the pipe open
  // The child is only reaped at the end (waitid WNOWAIT until then), so its pid, which is
  // also its process group id, cannot be reused while maestro may still signal the group.
  bool exited = false;
  bool stopping = false;
  char buf[8192];
  // Bounded: after a stop the group is SIGKILLed within kill_grace; without one, the loop
  // ends when the child is gone and its output drained (2 s at most after its exit).
  while (out_fd >= 0 || err_fd >= 0 || !exited) {
    if (!exited) {
      siginfo_t info{};
      if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid) {
        exited = true;
      }
    }
    if (exited && out_fd < 0 && err_fd < 0) break;
    if (options.send_signal != nullptr && !exited) {
      const int sig = options.send_signal->exchange(0);
      if (sig != 0) kill(pid, sig);
    }
    const bool cancel = options.cancel != nullptr && options.cancel->load();
    if (!stopping && (cancel || absl::Now() >= deadline)) {
      stopping = true;
      if (cancel) {
        result.cancelled = true;
      } else {
        result.timed_out = true;
      }
      kill(-pid, SIGTERM);
      kill_at = absl::Now() + options.kill_grace;
    }
    if (stopping && absl::Now() >= kill_at) kill(-pid, SIGKILL);
    if (exited && drain_until == absl::InfiniteFuture()) {
      drain_until = absl::Now() + absl::Seconds(2);
    }
    if (exited && (stopping || absl::Now() >= drain_until)) {
      // The child is gone but a grandchild may hold the pipe open; stop reading.
      break;
    }
    pollfd fds[3];
    int nfds = 0;
    if (out_fd >= 0) fds[nfds++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[nfds++] = {err_fd, POLLIN, 0};
    if (in_fd >= 0) fds[nfds++] = {in_fd, POLLOUT, 0};
    if (nfds == 0) {
      usleep(20 * 1000);
      continue;
    }
    int r = poll(fds, nfds, 50);
    if (r < 0 && errno != EINTR) break;
    for (int i = 0; i < nfds && r > 0; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == out_fd || fds[i].fd == err_fd) {
        int& fd = fds[i].fd == out_fd ? out_fd : err_fd;
        const auto& sink = fd == err_fd ? options.error_output : options.output;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
          absl::string_view data(buf, static_cast<size_t>(n));
          tail.Add(data);
          if (sink) sink(data);
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          close(fd);
          fd = -1;
        }
      } else if (fds[i].fd == in_fd) {
        ssize_t n = WriteNoSigpipe(in_fd, input.data() + in_off, input.size() - in_off);
        if (n > 0) in_off += static_cast<size_t>(n);
        if ((n < 0 && errno != EINTR && errno != EAGAIN) || in_off >= input.size()) {
          close(in_fd);  // done, or EPIPE: the child does not read its stdin
          in_fd = -1;
        }
      }
    }
  }
  if (out_fd >= 0) close(out_fd);
  if (err_fd >= 0) close(err_fd);
  if (in_fd >= 0) close(in_fd);
  // A stopped command leaves nothing behind: the whole group goes (the child is not reaped
  // yet, so the group id is still ours). The same if reading failed before the child ended:
  // waitpid below must not wait forever.
  if (stopping || !exited) kill(-pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(wstatus)) {
    result.exit_code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    result.signal = WTERMSIG(wstatus);
  }
  result.limit = options.timeout;
  result.tail = tail.Text();
  return result;
}

}  // namespace maestro::lifecycle
