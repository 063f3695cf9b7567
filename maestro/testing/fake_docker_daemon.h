// FakeDockerDaemon: an in-process Docker Engine API server on a unix socket (Boost.Beast
// request parsing, one thread per connection), a front end over a FakeDockerHost: it parses each
// request, routes the endpoint to the host's call, and serialises the answer (the daemon's status
// codes, {"message": ...} errors with the host's texts, the host's JSON). Both test tiers thus
// share one model of Docker: what FakeDockerHost does in process, this does over HTTP for the
// real HttpDockerClient and transports. Logs and exec output go out as multiplexed frames (raw
// for TTYs), pull progress as chunked JSON lines, events as a live stream.
//
// Only transport-level behaviour is its own: latency, dropped connections, 500s, requests never
// answered, kept-alive connections closed by the server, chunked framing, and through
// transport_faults() per-endpoint delays, endless or huge bodies and stalled streams. Set up the
// model (images, pullable images, exec scripts, logs, registry auth, host-side failures)
// through host().
//
// Thread-safety: every public method may be called from any thread while the server runs.
// The destructor stops the server and joins its threads (never-answered requests included).
#ifndef MAESTRO_TESTING_FAKE_DOCKER_DAEMON_H_
#define MAESTRO_TESTING_FAKE_DOCKER_DAEMON_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "maestro/base/clock.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/testing/transport_faults.h"

namespace maestro::testing {

class FakeDockerDaemon {
 public:
  enum class Fault {
    kDropConnection,      // read the request, close the connection without answering
    kInternalError,       // answer 500 {"message": "fake daemon: injected failure"}
    kNeverAnswer,         // read the request and never answer (until Stop)
    kCloseAfterResponse,  // answer (advertising keep-alive), then close the connection
  };
  struct Options {
    std::string socket_path;  // empty: a fresh path under /tmp
    std::string api_version = "1.43";
    std::string min_api_version = "1.12";
    bool chunked = false;    // JSON answers with chunked framing instead of Content-Length
    Clock* clock = nullptr;  // the host's clock (timestamps, SIGTERM timeouts); real by default
  };

  static absl::StatusOr<std::unique_ptr<FakeDockerDaemon>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<FakeDockerDaemon>> Start() { return Start(Options()); }
  ~FakeDockerDaemon();
  void Stop();

  const std::string& socket_path() const;

  // The next `count` requests whose target contains `path_substring` get `fault`.
  void InjectFault(Fault fault, int count = 1, std::string path_substring = "");
  void SetLatency(absl::Duration latency);  // before answering every request
  void SetChunked(bool chunked);
  // Transport-level faults, checked for every request after InjectFault's.
  TransportFaults& transport_faults();
  // Closes every kept-alive connection that waits for its next request.
  void CloseIdleConnections();

  int connections_accepted() const;
  int requests_served() const;
  // "METHOD target" of every request, in order.
  std::vector<std::string> request_log() const;
  // A header of the last request that carried it ("" if none did).
  std::string LastHeader(absl::string_view name) const;

  // The model behind the API, owned by the daemon and valid until it is destroyed (its
  // Describe() says "fake (fake://fake)"; HTTP clients name the socket instead). Its errors are
  // answered with their HTTP status and message; a host-side error without an HTTP status is a
  // 500, except Unavailable (SetDown), which closes the connection without an answer.
  FakeDockerHost& host();

  // Shorthands for host() calls.
  // Seeds an image ("repo:tag"; ":latest" when no tag). Returns its id.
  std::string AddImage(const std::string& reference);
  // Pulls/logins for images under `registry_host` need these credentials.
  void RequireRegistryAuth(const std::string& registry_host, const std::string& user,
                           const std::string& password);
  // Appends output to a container's log (stream 1 = stdout, 2 = stderr); followers see it.
  void AppendLogs(const std::string& id_or_name, int stream, const std::string& text);
  // Stops a running container as if its process exited with `code`.
  void ExitContainer(const std::string& id_or_name, int code);

  struct Impl;

 private:
  explicit FakeDockerDaemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace maestro::testing

#endif  // MAESTRO_TESTING_FAKE_DOCKER_DAEMON_H_
