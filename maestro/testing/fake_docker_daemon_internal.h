// FakeDockerDaemon's state, shared by its two sources: fake_docker_daemon.cc (the server: accept,
// read requests, injected and transport faults, the public API) and fake_docker_daemon_routes.cc
// (each Engine API endpoint routed to its FakeDockerHost call, the answer serialised). Not for
// other users.
//
// Thread-safety: `mu` guards the server's own bookkeeping; the FakeDockerHost is thread-safe on
// its own and is called without `mu` held.
#ifndef MAESTRO_TESTING_FAKE_DOCKER_DAEMON_INTERNAL_H_
#define MAESTRO_TESTING_FAKE_DOCKER_DAEMON_INTERNAL_H_

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "maestro/testing/fake_docker_daemon.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/testing/transport_faults.h"

namespace maestro::testing {

using DaemonSocket = boost::asio::local::stream_protocol::socket;

// One parsed request.
struct DaemonRequest {
  std::string method;
  std::string target;
  std::string path;                          // API version prefix removed
  std::map<std::string, std::string> query;  // decoded
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct FakeDockerDaemon::Impl {
  struct FaultEntry {
    Fault fault;
    int count;
    std::string substring;
  };

  explicit Impl(Options o) : options(std::move(o)), host("fake", options.clock) {}

  Options options;
  FakeDockerHost host;  // the API model: every endpoint is one of its calls
  boost::asio::io_context io;
  std::unique_ptr<boost::asio::local::stream_protocol::acceptor> acceptor;
  std::thread accept_thread;
  std::vector<std::thread> conn_threads;

  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::atomic<bool> stopping_flag{false};  // `stopping`, readable without `mu`
  std::deque<FaultEntry> faults;
  TransportFaults transport_faults;
  absl::Duration latency = absl::ZeroDuration();
  std::map<int, bool> conn_idle;  // native fd -> waiting for a request
  std::set<int> conn_fds;
  int connections = 0;
  int requests = 0;
  std::vector<std::string> log;
  std::map<std::string, std::string> last_headers;

  // ---- Writing answers (fake_docker_daemon.cc); false when the client is gone ----
  bool Write(DaemonSocket& s, absl::string_view data);
  bool Respond(DaemonSocket& s, int status, const std::string& body,
               const std::string& content_type, bool chunked);
  // A JSON answer (chunked framing if the daemon is set so).
  bool Json(DaemonSocket& s, int status, const nlohmann::json& j);
  // {"message": ...} with `status`.
  bool Error(DaemonSocket& s, int status, const std::string& message);
  // The head of a chunked stream (logs, pull progress, events).
  bool StartStream(DaemonSocket& s, const std::string& content_type);

  void Serve(std::shared_ptr<DaemonSocket> sock);

  // ---- Routing (fake_docker_daemon_routes.cc); false when the connection must close ----
  bool Handle(DaemonSocket& s, DaemonRequest& r);
  // A FakeDockerHost error as the daemon answers it: its HTTP status and message.
  bool Failure(DaemonSocket& s, const absl::Status& status);
  bool HandleContainer(DaemonSocket& s, DaemonRequest& r, const std::vector<std::string>& parts);
  bool HandleLogs(DaemonSocket& s, DaemonRequest& r, const std::string& id);
  bool HandleExecStart(DaemonSocket& s, DaemonRequest& r, const std::string& id);
  bool HandlePull(DaemonSocket& s, DaemonRequest& r);
  bool HandleEvents(DaemonSocket& s, DaemonRequest& r);
};

}  // namespace maestro::testing

#endif  // MAESTRO_TESTING_FAKE_DOCKER_DAEMON_INTERNAL_H_
