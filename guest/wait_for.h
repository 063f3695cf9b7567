// wait-for: polls TCP endpoints until every one accepts a connection or a deadline passes.
// Hosts are resolved with the Guest's resolver on every round (a name may appear in
// /etc/hosts or DNS later; each distinct host once per round). Each round probes every
// pending endpoint at once (non-blocking connects, 512 at a time, one poll), so
// WaitOptions::timeout bounds the whole run: it ends within about the timeout plus one
// connect_timeout per 512 endpoints however many endpoints hang. Only real sockets and the
// steady clock are used.
//
// Thread-safety: WaitForTcp keeps no shared state.
#ifndef MAESTRO_GUEST_WAIT_FOR_H_
#define MAESTRO_GUEST_WAIT_FOR_H_

#include <chrono>
#include <string>
#include <vector>

#include "maestro/guest.h"

namespace maestro {
namespace guest {

struct WaitTarget {
  std::string label;  // e.g. "zookeeper/zk-1 client"
  std::string host;
  int port = 0;
};

struct WaitOptions {
  std::chrono::milliseconds timeout{60000};
  std::chrono::milliseconds interval{500};
  std::chrono::milliseconds connect_timeout{1000};
};

struct NotReady {
  WaitTarget target;
  std::string reason;  // the last failure, e.g. "127.0.0.1:2181: Connection refused"
};

// One connection attempt to ip:port (numeric IPv4), waiting at most `timeout` (at least
// 10 ms). Empty on success, else the reason.
std::string TcpProbe(const std::string& ip, int port, std::chrono::milliseconds timeout);

// Returns the targets still not accepting connections at the deadline (empty: all ready).
std::vector<NotReady> WaitForTcp(const std::vector<WaitTarget>& targets, const WaitOptions& options,
                                 const Guest::Resolver& resolve);

}  // namespace guest
}  // namespace maestro

#endif  // MAESTRO_GUEST_WAIT_FOR_H_
