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
#include <map>
#include <thread>
#include <utility>

namespace maestro {
namespace guest {

namespace {

using Clock = std::chrono::steady_clock;

// At most this many sockets are open at once (well under the usual 1024 descriptor limit).
constexpr size_t kMaxParallel = 512;

struct Probe {
  std::string where;  // "ip:port"
  int fd = -1;
  std::string error;  // "" while pending or on success
  bool done = false;
};

// Starts a non-blocking connect; on an immediate outcome the probe is done.
void StartProbe(const std::string& ip, int port, Probe* p) {
  p->where = ip + ":" + std::to_string(port);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (port <= 0 || port > 65535) {
    p->error = p->where + ": invalid port";
    p->done = true;
    return;
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    p->error = p->where + ": not an IPv4 address";
    p->done = true;
    return;
  }
  p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p->fd < 0) {
    p->error = p->where + ": socket: " + std::strerror(errno);
    p->done = true;
    return;
  }
  if (connect(p->fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    p->done = true;
  } else if (errno != EINPROGRESS) {
    p->error = p->where + ": " + std::strerror(errno);
    p->done = true;
  }
}

// Waits for the pending probes of one batch together, until each has an outcome or
// `deadline` passes (those then time out).
void FinishProbes(std::vector<Probe*>& batch, Clock::time_point deadline) {
  // Bounded: every iteration either completes a probe or ends at the deadline.
  for (size_t rounds = 0; rounds <= batch.size() + 1; ++rounds) {
    std::vector<pollfd> fds;
    std::vector<Probe*> owners;
    for (Probe* p : batch) {
      if (p->done) continue;
      fds.push_back({p->fd, POLLOUT, 0});
      owners.push_back(p);
    }
    if (fds.empty()) return;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    int ready = 0;
    if (left.count() > 0) {
      ready = poll(fds.data(), fds.size(), static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
    }
    if (ready <= 0) {
      for (Probe* p : owners) {
        p->error = p->where + (ready < 0 ? std::string(": poll: ") + std::strerror(errno)
                                         : std::string(": connect timed out"));
        p->done = true;
      }
      return;
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      getsockopt(fds[i].fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error != 0) owners[i]->error = owners[i]->where + ": " + std::strerror(so_error);
      owners[i]->done = true;
    }
  }
}

// One connection attempt to each (ip, port), all at once (kMaxParallel at a time), each batch
// waiting at most `budget` but never past `deadline` (except a first 10 ms grace, so that
// every endpoint is tried at least once). Returns "" or the reason per endpoint.
std::vector<std::string> ProbeAll(const std::vector<std::pair<std::string, int>>& endpoints,
                                  std::chrono::milliseconds budget, Clock::time_point deadline) {
  std::vector<Probe> probes(endpoints.size());
  for (size_t start = 0; start < endpoints.size(); start += kMaxParallel) {
    size_t end = std::min(endpoints.size(), start + kMaxParallel);
    std::vector<Probe*> batch;
    for (size_t i = start; i < end; ++i) {
      StartProbe(endpoints[i].first, endpoints[i].second, &probes[i]);
      batch.push_back(&probes[i]);
    }
    Clock::time_point now = Clock::now();
    Clock::time_point until = std::min<Clock::time_point>(now + budget, deadline);
    until = std::max<Clock::time_point>(until, now + std::chrono::milliseconds(10));
    FinishProbes(batch, until);
    for (Probe* p : batch) {
      if (p->fd >= 0) close(p->fd);
      p->fd = -1;
    }
  }
  std::vector<std::string> out;
  out.reserve(probes.size());
  for (Probe& p : probes) out.push_back(std::move(p.error));
  return out;
}

}  // namespace

std::string TcpProbe(const std::string& ip, int port, std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  return ProbeAll({{ip, port}}, timeout, deadline).front();
}

std::vector<NotReady> WaitForTcp(const std::vector<WaitTarget>& targets, const WaitOptions& options,
                                 const Guest::Resolver& resolve) {
  const Clock::time_point deadline = Clock::now() + options.timeout;
  std::vector<NotReady> pending;
  for (const WaitTarget& t : targets) pending.push_back({t, "not tried"});
  // Bounded by the deadline; the round cap is a second guard against a clock that stalls.
  for (int round = 0; round < 1000000 && !pending.empty(); ++round) {
    // Each distinct host is resolved once per round (instances share a few ship addresses),
    // and not at all once the deadline has passed (a resolver may take seconds per name).
    std::map<std::string, Result<std::string>> resolved;
    std::vector<std::pair<std::string, int>> endpoints;
    std::vector<size_t> probed;  // index into pending for each endpoint
    for (size_t i = 0; i < pending.size(); ++i) {
      NotReady& p = pending[i];
      auto it = resolved.find(p.target.host);
      if (it == resolved.end()) {
        if (round > 0 && Clock::now() >= deadline) break;
        it = resolved.emplace(p.target.host, resolve(p.target.host)).first;
      }
      if (!it->second.ok()) {
        p.reason = it->second.error();
        continue;
      }
      endpoints.emplace_back(it->second.value(), p.target.port);
      probed.push_back(i);
    }
    std::vector<std::string> errors = ProbeAll(endpoints, options.connect_timeout, deadline);
    std::vector<char> ready(pending.size(), 0);
    for (size_t k = 0; k < probed.size(); ++k) {
      if (errors[k].empty()) {
        ready[probed[k]] = 1;
      } else {
        pending[probed[k]].reason = errors[k];
      }
    }
    std::vector<NotReady> still;
    for (size_t i = 0; i < pending.size(); ++i) {
      if (!ready[i]) still.push_back(std::move(pending[i]));
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
