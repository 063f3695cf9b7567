// Test helpers for the plays: an environment loaded from YAML text, a play's outcome by name,
// ShipClients over one stateful FakeDockerHost per ship, a fake ship's event log, and a scripted
// CheckRunner.
// Header-only, testonly.
//
// Thread-safety: FakeShips is thread-safe once constructed (FakeDockerHost is); the map of
// hosts never changes after the constructor.
#ifndef MAESTRO_PLAYS_TEST_WORLD_H_
#define MAESTRO_PLAYS_TEST_WORLD_H_

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"
#include "maestro/plays/convergence.h"
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

// The planned container `name` of `plan`; a missing one fails the calling test (and an empty
// one is returned).
inline const PlannedContainer& Find(const ConvergencePlan& plan, const std::string& name) {
  for (const PlannedContainer& c : plan.containers) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << name << " is not in the plan";
  static const PlannedContainer none;
  return none;
}

// The messages of `plan`'s preflight problems, in order.
inline std::vector<std::string> Problems(const ConvergencePlan& plan) {
  std::vector<std::string> out;
  for (const PlanProblem& p : plan.problems) out.push_back(p.message);
  return out;
}

// "action:name" of every event `host` emitted up to `clock`'s now, in order. A failed replay
// fails the calling test.
inline std::vector<std::string> EventLog(testing::FakeDockerHost& host, Clock& clock) {
  std::vector<std::string> events;
  docker::EventsOptions history;
  history.since = "0";
  const int64_t now = absl::ToUnixNanos(clock.Now());  // replay up to now, then end
  history.until = absl::StrFormat("%d.%09d", now / 1'000'000'000, now % 1'000'000'000);
  absl::Status replayed = host.Events(history, [&](const docker::Event& e) {
    auto name = e.attributes.find("name");
    events.push_back(e.action + ":" + (name == e.attributes.end() ? "" : name->second));
    return true;
  });
  EXPECT_TRUE(replayed.ok()) << replayed;
  return events;
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

// Records when each container's checks ran ("state:container"), runs a hook per container
// first (thread-safe), and fails the ones it is told to.
class ScriptedChecks : public CheckRunner {
 public:
  absl::Status Run(const std::string& state, const model::Instance& instance,
                   const model::Ship& ship, docker::DockerClient& client,
                   const std::function<bool()>& condition,
                   const CancellationToken& cancel) override {
    std::function<void()> hook;
    {
      std::lock_guard<std::mutex> lock(mu_);
      log_.push_back(absl::StrCat(state, ":", instance.name));
      auto it = hooks_.find(absl::StrCat(state, ":", instance.name));
      if (it == hooks_.end()) it = hooks_.find(instance.name);
      if (it != hooks_.end()) hook = it->second;
    }
    if (hook) hook();
    std::lock_guard<std::mutex> lock(mu_);
    auto failure = failures_.find(absl::StrCat(state, ":", instance.name));
    if (failure != failures_.end()) return absl::FailedPreconditionError(failure->second);
    if (state == "running" || state == "pre-stop") {
      if (!condition()) return absl::FailedPreconditionError("container is not running");
    }
    return absl::OkStatus();
  }
  void Fail(const std::string& state_and_container, const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_[state_and_container] = message;
  }
  // Undoes Fail(): that state's checks of that container pass again.
  void Pass(const std::string& state_and_container) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_.erase(state_and_container);
  }
  // `key`: a container name (every state's checks) or "state:container" (that state's only).
  void OnCheck(const std::string& key, std::function<void()> hook) {
    std::lock_guard<std::mutex> lock(mu_);
    hooks_[key] = std::move(hook);
  }
  std::vector<std::string> log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }
  size_t Position(const std::string& entry) {
    std::vector<std::string> l = log();
    return std::find(l.begin(), l.end(), entry) - l.begin();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> log_;
  std::map<std::string, std::string> failures_;
  std::map<std::string, std::function<void()>> hooks_;
};

}  // namespace maestro::plays::test

#endif  // MAESTRO_PLAYS_TEST_WORLD_H_
