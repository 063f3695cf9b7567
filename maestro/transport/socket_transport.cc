#include "maestro/transport/socket_transport.h"

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/base/status_macros.h"

namespace maestro::transport {
namespace {

std::string ErrnoText(int err) { return strerror(err); }

absl::Status ErrnoStatus(absl::string_view what, int err) {
  std::string msg = absl::StrCat(what, ": ", ErrnoText(err));
  switch (err) {
    case ETIMEDOUT:
      return absl::DeadlineExceededError(msg);
    case ENOENT:
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EACCES:
    default:
      return absl::UnavailableError(msg);
  }
}

int PollTimeoutMs(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return 1000;  // caller loops
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, 1000));
}

void SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
}

class FdConnection : public Connection {
 public:
  FdConnection(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
  ~FdConnection() override { Close(); }

  absl::Status WriteAll(absl::string_view data, absl::Time deadline) override {
    if (fd_ < 0) return absl::UnavailableError(absl::StrCat(what_, ": connection closed"));
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        MAESTRO_RETURN_IF_ERROR(Wait(/*want_read=*/false, deadline));
        continue;
      }
      return ErrnoStatus(absl::StrCat(what_, ": write"), errno);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> ReadSome(char* buf, size_t len, absl::Time deadline) override {
    if (fd_ < 0) return absl::UnavailableError(absl::StrCat(what_, ": connection closed"));
    for (;;) {
      ssize_t n = ::recv(fd_, buf, len, 0);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        MAESTRO_RETURN_IF_ERROR(Wait(/*want_read=*/true, deadline));
        continue;
      }
      return ErrnoStatus(absl::StrCat(what_, ": read"), errno);
    }
  }

  bool PeerClosed() override {
    if (fd_ < 0) return true;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, 0);
    if (r == 0) return false;
    // Readable while idle: either EOF, an error, or stray bytes; none is reusable.
    return true;
  }

  absl::Status CloseWrite(absl::Time) override {
    if (fd_ < 0) return absl::UnavailableError(absl::StrCat(what_, ": connection closed"));
    if (::shutdown(fd_, SHUT_WR) != 0) return ErrnoStatus(absl::StrCat(what_, ": shutdown"), errno);
    return absl::OkStatus();
  }

  void Close() override {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  // Waits for the socket to become readable/writable: DeadlineExceeded past `deadline`,
  // Cancelled soon after the cancel flag is set.
  absl::Status Wait(bool want_read, absl::Time deadline) {
    for (;;) {
      if (Cancelled()) return absl::CancelledError(absl::StrCat(what_, ": interrupted"));
      absl::Time slice = std::min(deadline, absl::Now() + kCancelSlice);
      absl::Status s = PollFd(fd_, want_read, !want_read, slice);
      if (s.code() != absl::StatusCode::kDeadlineExceeded || slice >= deadline) return s;
    }
  }

  int fd_;
  std::string what_;
};

std::once_flag ares_once;
int ares_init_status = ARES_SUCCESS;

struct AresResult {
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<std::string> addrs;
};

void OnAddrInfo(void* arg, int status, int /*timeouts*/, struct ares_addrinfo* res) {
  auto* out = static_cast<AresResult*>(arg);
  out->done = true;
  out->status = status;
  if (status == ARES_SUCCESS && res != nullptr) {
    for (ares_addrinfo_node* n = res->nodes; n != nullptr; n = n->ai_next) {
      char buf[INET6_ADDRSTRLEN] = {0};
      if (n->ai_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(n->ai_addr)->sin_addr, buf, sizeof buf);
      } else if (n->ai_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(n->ai_addr)->sin6_addr, buf,
                  sizeof buf);
      } else {
        continue;
      }
      if (std::find(out->addrs.begin(), out->addrs.end(), buf) == out->addrs.end()) {
        out->addrs.push_back(buf);
      }
    }
  }
  if (res != nullptr) ares_freeaddrinfo(res);
}

bool IsNumeric(const std::string& host) {
  in_addr a4;
  in6_addr a6;
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

}  // namespace

absl::Status PollFd(int fd, bool want_read, bool want_write, absl::Time deadline) {
  for (;;) {
    int timeout_ms = PollTimeoutMs(deadline);
    pollfd p{fd, static_cast<short>((want_read ? POLLIN : 0) | (want_write ? POLLOUT : 0)), 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) return absl::OkStatus();  // readiness or error/hangup: the next call reports it
    if (r < 0 && errno != EINTR) return ErrnoStatus("poll", errno);
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("timed out");
  }
}

std::unique_ptr<Connection> MakeFdConnection(int fd, std::string what) {
  return std::make_unique<FdConnection>(fd, std::move(what));
}

absl::StatusOr<std::unique_ptr<Connection>> UnixTransport::Connect(absl::Time deadline) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("unix socket path too long: ", path_));
  }
  memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket", errno);
  SetNonBlocking(fd);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    if (err == EINPROGRESS || err == EAGAIN) {
      // Unix sockets complete immediately or with EAGAIN when the backlog is full.
      absl::Status s = PollFd(fd, false, true, deadline);
      socklen_t len = sizeof err;
      if (s.ok()) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (!s.ok() || err != 0) {
        ::close(fd);
        if (!s.ok())
          return absl::DeadlineExceededError(absl::StrCat("connect ", Describe(), ": timed out"));
        return ErrnoStatus(absl::StrCat("connect ", Describe()), err);
      }
    } else {
      ::close(fd);
      return ErrnoStatus(absl::StrCat("connect ", Describe()), err);
    }
  }
  return MakeFdConnection(fd, Describe());
}

std::string TcpTransport::Describe() const {
  return host_.find(':') != std::string::npos ? absl::StrCat("tcp://[", host_, "]:", port_)
                                              : absl::StrCat("tcp://", host_, ":", port_);
}

absl::StatusOr<std::unique_ptr<Connection>> TcpTransport::Connect(absl::Time deadline) {
  MAESTRO_ASSIGN_OR_RETURN(int fd, ConnectTcpSocket(host_, port_, deadline));
  return MakeFdConnection(fd, Describe());
}

absl::StatusOr<std::vector<std::string>> ResolveHost(const std::string& host, absl::Time deadline) {
  if (IsNumeric(host)) return std::vector<std::string>{host};
  std::call_once(ares_once, [] { ares_init_status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (ares_init_status != ARES_SUCCESS) {
    return absl::InternalError(absl::StrCat("c-ares init: ", ares_strerror(ares_init_status)));
  }
  ares_channel channel;
  ares_options opts{};
  opts.timeout = std::max<int>(
      100, std::min<int64_t>(5000, absl::ToInt64Milliseconds(deadline - absl::Now())));
  opts.tries = 2;
  int rc = ares_init_options(&channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (rc != ARES_SUCCESS) {
    return absl::UnavailableError(absl::StrCat("resolve ", host, ": ", ares_strerror(rc)));
  }
  AresResult result;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ares_getaddrinfo(channel, host.c_str(), nullptr, &hints, &OnAddrInfo, &result);
  while (!result.done) {
    if (absl::Now() >= deadline) break;
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    int bits = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
    std::vector<pollfd> pfds;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short ev = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) ev |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) ev |= POLLOUT;
      if (ev) pfds.push_back(pollfd{socks[i], ev, 0});
    }
    int timeout_ms = std::min(PollTimeoutMs(deadline), 100);
    int r = ::poll(pfds.data(), pfds.size(), timeout_ms);
    if (r <= 0) {
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
      continue;
    }
    for (const pollfd& p : pfds) {
      ares_process_fd(channel, (p.revents & (POLLIN | POLLERR | POLLHUP)) ? p.fd : ARES_SOCKET_BAD,
                      (p.revents & POLLOUT) ? p.fd : ARES_SOCKET_BAD);
    }
  }
  ares_destroy(channel);  // runs the callback with ARES_EDESTRUCTION if still pending
  if (!result.done || result.status == ARES_EDESTRUCTION) {
    return absl::DeadlineExceededError(absl::StrCat("resolve ", host, ": timed out"));
  }
  if (result.status != ARES_SUCCESS || result.addrs.empty()) {
    return absl::UnavailableError(
        absl::StrCat("resolve ", host, ": ", ares_strerror(result.status)));
  }
  return result.addrs;
}

absl::StatusOr<int> ConnectTcpSocket(const std::string& host, int port, absl::Time deadline) {
  MAESTRO_ASSIGN_OR_RETURN(std::vector<std::string> addrs, ResolveHost(host, deadline));
  absl::Status last = absl::UnavailableError("no address");
  for (const std::string& a : addrs) {
    sockaddr_storage ss{};
    socklen_t sslen;
    int family;
    if (a.find(':') != std::string::npos) {
      auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
      s6->sin6_family = AF_INET6;
      s6->sin6_port = htons(static_cast<uint16_t>(port));
      inet_pton(AF_INET6, a.c_str(), &s6->sin6_addr);
      sslen = sizeof(sockaddr_in6);
      family = AF_INET6;
    } else {
      auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
      s4->sin_family = AF_INET;
      s4->sin_port = htons(static_cast<uint16_t>(port));
      inet_pton(AF_INET, a.c_str(), &s4->sin_addr);
      sslen = sizeof(sockaddr_in);
      family = AF_INET;
    }
    std::string where =
        family == AF_INET6 ? absl::StrCat("[", a, "]:", port) : absl::StrCat(a, ":", port);
    int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return ErrnoStatus("socket", errno);
    SetNonBlocking(fd);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int err = 0;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), sslen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        absl::Status s = PollFd(fd, false, true, deadline);
        if (!s.ok()) {
          ::close(fd);
          return absl::DeadlineExceededError(absl::StrCat("connect ", where, ": timed out"));
        }
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (err == 0) return fd;
    ::close(fd);
    last = ErrnoStatus(absl::StrCat("connect ", where), err);
  }
  return last;
}

}  // namespace maestro::transport
