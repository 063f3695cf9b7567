// The world a play acts on: the loaded environment plus every side effect, handed in from
// outside (cli/ wires the real objects; tests hand in FakeDockerHost, FakeClock,
// RecordingSink, a scripted CheckRunner and a scripted PortProbe). Nothing in plays/ opens a
// socket, reads the clock or sleeps directly: Docker goes through ShipClients, time and
// waiting through Clock, the `status -F` port probe through PortProbe.
//
// Ownership: PlayWorld holds non-owning pointers; everything must outlive the play.
// Thread-safety: ShipClients and CheckRunner implementations must be thread-safe; plays call
// them from worker threads.
#ifndef MAESTRO_PLAYS_WORLD_H_
#define MAESTRO_PLAYS_WORLD_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "maestro/base/clock.h"
#include "maestro/docker/docker_client.h"
#include "maestro/docker/registry_auth.h"
#include "maestro/model/environment.h"
#include "maestro/plays/scheduler.h"
#include "maestro/ui/progress.h"

namespace maestro::plays {

// One Docker client per ship, connected lazily (an unreachable ship only affects its own
// containers).
class ShipClients {
 public:
  virtual ~ShipClients() = default;
  virtual absl::StatusOr<docker::DockerClient*> Client(const std::string& ship) = 0;
};

// Runs the lifecycle checks of one state for one container (docs/environment.md#lifecycle-checks).
// OK when every check passed (or, with no checks, `condition` held); otherwise an error naming the
// check, its target and its last error.
class CheckRunner {
 public:
  virtual ~CheckRunner() = default;
  virtual absl::Status Run(const std::string& state, const model::Instance& instance,
                           const model::Ship& ship, docker::DockerClient& client,
                           const std::function<bool()>& condition,
                           const CancellationToken& cancel) = 0;
};

// Receives the audit events of a play (docs/environment.md#audit): the play itself (`task` false,
// every container) and each top-level task (`task` true, one container). May be null in
// PlayWorld. An Action() error aborts what it announces (the play, or that task).
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual absl::Status Action(const std::string& action, const std::vector<std::string>& containers,
                              bool task) = 0;
  virtual void Success(const std::string& action, const std::vector<std::string>& containers,
                       bool task) = 0;
  virtual void Error(const std::string& action, const std::vector<std::string>& containers,
                     const std::string& message, bool task) = 0;
};

// Whether something accepts TCP connections on host:port (the `status -F` port column).
// Must give up after `timeout` and be thread-safe.
class PortProbe {
 public:
  virtual ~PortProbe() = default;
  virtual bool Accepts(const std::string& host, int port, absl::Duration timeout) = 0;
};

struct PlayWorld {
  const model::Environment* env = nullptr;
  ShipClients* ships = nullptr;
  CheckRunner* checks = nullptr;
  Clock* clock = nullptr;
  ui::ProgressSink* sink = nullptr;
  AuditSink* audit = nullptr;  // optional
  PortProbe* ports = nullptr;  // status -F; null: every port reads "down"
  // ~/.docker/config.json contents for registry credentials; null when absent.
  const nlohmann::json* docker_config = nullptr;
  // Runs docker-credential-* helpers named by docker_config; null: helpers are not used.
  docker::CredentialHelperRunner credential_helper;
};

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_WORLD_H_
