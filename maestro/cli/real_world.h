// The real PlayWorld: Docker clients per ship, lifecycle checks, the system clock, registry
// credentials from ~/.docker/config.json, and the audit trail from the environment file.
// Owns everything it hands out; must outlive the play. Thread-safe where PlayWorld requires.
#ifndef MAESTRO_CLI_REAL_WORLD_H_
#define MAESTRO_CLI_REAL_WORLD_H_

#include <atomic>
#include <memory>
#include <optional>

#include "maestro/audit/audit_trail.h"
#include "maestro/cli/ship_clients.h"
#include "maestro/model/environment.h"
#include "maestro/plays/world.h"

namespace maestro::cli {

// plays::CheckRunner over lifecycle::RunChecks.
class LifecycleCheckRunner : public plays::CheckRunner {
 public:
  explicit LifecycleCheckRunner(Clock* clock) : clock_(clock) {}
  absl::Status Run(const std::string& state, const model::Instance& instance,
                   const model::Ship& ship, docker::DockerClient& client,
                   const std::function<bool()>& condition,
                   const plays::CancellationToken& cancel) override;

 private:
  Clock* clock_;
};

// plays::AuditSink over the audit trail of the environment file.
class TrailAuditSink : public plays::AuditSink {
 public:
  TrailAuditSink(const model::Environment& env, std::unique_ptr<audit::AuditTrail> trail)
      : env_(env), trail_(std::move(trail)) {}
  absl::Status Action(const std::string& action, const std::vector<std::string>& containers,
                      bool task) override;
  void Success(const std::string& action, const std::vector<std::string>& containers,
               bool task) override;
  void Error(const std::string& action, const std::vector<std::string>& containers,
             const std::string& message, bool task) override;

 private:
  audit::AuditWhat What(const std::vector<std::string>& containers, bool task) const;
  const model::Environment& env_;
  std::unique_ptr<audit::AuditTrail> trail_;
};

// plays::PortProbe over a real TCP connect (closed at once).
class TcpPortProbe : public plays::PortProbe {
 public:
  bool Accepts(const std::string& host, int port, absl::Duration timeout) override;
};

class RealWorld {
 public:
  // Fails when the `audit:` section cannot be set up or the Docker configuration
  // ($DOCKER_CONFIG/config.json or ~/.docker/config.json) is malformed (configuration errors).
  // `interrupt`: the Ctrl-C flag the Docker clients' waits observe (may be null).
  static absl::StatusOr<std::unique_ptr<RealWorld>> Create(
      const model::Environment& env, const std::atomic<bool>* interrupt = nullptr);
  explicit RealWorld(const model::Environment& env, const std::atomic<bool>* interrupt = nullptr);
  // The sink is left null: the command picks the output format.
  plays::PlayWorld world();

 private:
  const model::Environment& env_;
  const std::atomic<bool>* interrupt_;
  RealShipClients ships_;
  LifecycleCheckRunner checks_;
  TcpPortProbe ports_;
  std::optional<nlohmann::json> docker_config_;
  std::unique_ptr<TrailAuditSink> audit_;
};

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_REAL_WORLD_H_
