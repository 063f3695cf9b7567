// Real Docker clients for the ships of an environment: model::Ship -> transport spec
// (config::ShipConnectionSpec, already checked when the file was loaded) -> HttpDockerClient,
// created lazily on first use (so an unreachable ship costs nothing until one of its containers is
// touched, and never blocks the others) and cached for the run.
//
// Thread-safety: RealShipClients::Client() is thread-safe; clients are thread-safe.
#ifndef MAESTRO_CLI_SHIP_CLIENTS_H_
#define MAESTRO_CLI_SHIP_CLIENTS_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "maestro/docker/docker_client.h"
#include "maestro/model/environment.h"
#include "maestro/plays/world.h"

namespace maestro::cli {

class RealShipClients : public plays::ShipClients {
 public:
  // `interrupt`: the Ctrl-C flag every client's waits observe (may be null).
  explicit RealShipClients(const model::Environment& env,
                           const std::atomic<bool>* interrupt = nullptr)
      : env_(env), interrupt_(interrupt) {}
  absl::StatusOr<docker::DockerClient*> Client(const std::string& ship) override;

 private:
  const model::Environment& env_;
  const std::atomic<bool>* interrupt_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<docker::DockerClient>> clients_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Status> errors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_SHIP_CLIENTS_H_
