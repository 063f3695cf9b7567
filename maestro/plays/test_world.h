// Test helpers for the plays: an environment loaded from YAML text, a play's outcome by name,
// and ShipClients over one stateful FakeDockerHost per ship. Header-only, testonly.
//
// Thread-safety: FakeShips is thread-safe once constructed (FakeDockerHost is); the map of
// hosts never changes after the constructor.
#ifndef MAESTRO_PLAYS_TEST_WORLD_H_
#define MAESTRO_PLAYS_TEST_WORLD_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/world.h"
#include "maestro/testing/fake_docker_host.h"

namespace maestro::plays::test {

// Loads `text` as "test.yaml"; a load error fails the calling test.
inline model::Environment LoadTestEnvironment(const std::string& text) {
  config::LoadInput in;
  in.display_name = "test.yaml";
  in.text = text;
  config::FakeFileReader files;
  absl::StatusOr<config::LoadResult> loaded = config::LoadEnvironment(in, files);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return loaded.ok() ? loaded->environment : model::Environment{};
}

// The outcome of `name` in `report`; a missing one fails the calling test (and an empty
// outcome is returned).
inline const ContainerOutcome& OutcomeOf(const PlayReport& report, const std::string& name) {
  for (const ContainerOutcome& o : report.outcomes) {
    if (o.container == name) return o;
  }
  ADD_FAILURE() << "no outcome for " << name;
  static const ContainerOutcome none;
  return none;
}

// One FakeDockerHost per ship name, each holding `images`.
class FakeShips : public ShipClients {
 public:
  FakeShips(Clock* clock, const std::vector<std::string>& ships,
            const std::vector<std::string>& images) {
    for (const std::string& name : ships) {
      hosts_[name] = std::make_unique<testing::FakeDockerHost>(name, clock);
      for (const std::string& image : images) hosts_[name]->AddImage(image);
    }
  }
  absl::StatusOr<docker::DockerClient*> Client(const std::string& ship) override {
    auto it = hosts_.find(ship);
    if (it == hosts_.end()) return absl::NotFoundError(ship);
    return it->second.get();
  }
  testing::FakeDockerHost& host(const std::string& ship) { return *hosts_.at(ship); }

 private:
  std::map<std::string, std::unique_ptr<testing::FakeDockerHost>> hosts_;
};

}  // namespace maestro::plays::test

#endif  // MAESTRO_PLAYS_TEST_WORLD_H_
