#include "guest/wait_for.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace maestro {
namespace guest {

std::string TcpProbe(const std::string& ip, int port, std::chrono::milliseconds timeout) {
  const std::string where = ip + ":" + std::to_string(port);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (port <= 0 || port > 65535) return where + ": invalid port";
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) return where + ": not an IPv4 address";
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return where + ": socket: " + std::strerror(errno);
  std::string error;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      error = std::strerror(errno);
    } else {
      pollfd pfd{fd, POLLOUT, 0};
      int ready;
      do {
        ready = poll(&pfd, 1, static_cast<int>(timeout.count()));
      } while (ready < 0 && errno == EINTR);
      if (ready == 0) {
        error = "connect timed out";
      } else if (ready < 0) {
        error = std::string("poll: ") + std::strerror(errno);
      } else {
        int so_error = 0;
        socklen_t len = sizeof(so_error);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        if (so_error != 0) error = std::strerror(so_error);
      }
    }
  }
  close(fd);
  return error.empty() ? "" : where + ": " + error;
}

std::vector<NotReady> WaitForTcp(const std::vector<WaitTarget>& targets,
                                 const WaitOptions& options, const Guest::Resolver& resolve) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + options.timeout;
  std::vector<NotReady> pending;
  for (const WaitTarget& t : targets) pending.push_back({t, "not tried"});
  // Bounded by the deadline; the round cap is a second guard against a clock that stalls.
  for (int round = 0; round < 1000000 && !pending.empty(); ++round) {
    std::vector<NotReady> still;
    for (NotReady& p : pending) {
      Result<std::string> ip = resolve(p.target.host);
      if (!ip.ok()) {
        p.reason = ip.error();
        still.push_back(p);
        continue;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      auto budget = std::max(std::chrono::milliseconds(50), std::min(options.connect_timeout, left));
      std::string error = TcpProbe(ip.value(), p.target.port, budget);
      if (!error.empty()) {
        p.reason = error;
        still.push_back(p);
      }
    }
    pending.swap(still);
    if (pending.empty()) break;
    Clock::time_point now = Clock::now();
    if (now >= deadline) break;
    auto nap = std::min<Clock::duration>(options.interval, deadline - now);
    std::this_thread::sleep_for(nap);
  }
  return pending;
}

}  // namespace guest
}  // namespace maestro
