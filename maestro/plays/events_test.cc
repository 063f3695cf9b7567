// maestro events over FakeDockerHost ships on simulated time: merge, environment filtering,
// since/until ordering, and a ship down at the start that comes back.
#include "maestro/plays/events.h"

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/docker/docker_types.h"
#include "maestro/plays/test_world.h"
#include "maestro/testing/fake_clock.h"

namespace maestro::plays {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kEnvironment[] = R"(
name: shop
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
  ship2: {ip: 127.0.0.2}
services:
  web:
    image: web:1
    instances:
      web-1: {ship: ship1}
      web-2: {ship: ship2}
  db:
    image: db:1
    instances:
      db-1: {ship: ship2}
)";

class EventsTest : public ::testing::Test {
 protected:
  EventsTest()
      : env_(test::LoadTestEnvironment(kEnvironment)),
        ships_(&clock_, {"ship1", "ship2"}, {"web:1", "db:1", "other:1"}) {
    world_.env = &env_;
    world_.ships = &ships_;
    world_.clock = &clock_;
  }

  // Creates and starts `name` on `ship` with `labels`, one simulated second later.
  void Run(const std::string& ship, const std::string& name, const std::string& image,
           nlohmann::json labels = nlohmann::json::object()) {
    clock_.Advance(absl::Seconds(1));
    auto created = ships_.host(ship).CreateContainer(name, {{"Image", image}, {"Labels", labels}});
    ASSERT_TRUE(created.ok()) << created.status();
    clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(ships_.host(ship).StartContainer(created->id).ok());
  }

  std::vector<std::string> Bounded(const std::vector<std::string>& containers,
                                   absl::Status* status) {
    EventsRequest request;
    request.containers = containers;
    request.since = docker::DockerTimeParam(absl::FromUnixSeconds(1'700'000'000));
    request.until = docker::DockerTimeParam(clock_.Now());
    std::vector<std::string> lines;
    *status = RunEvents(
        world_, request, [&](const EnvironmentEvent& e) { lines.push_back(FormatEventText(e)); },
        [&](const std::string& n) { notices_.push_back(n); }, nullptr);
    return lines;
  }

  testing::FakeClock clock_;
  model::Environment env_;
  test::FakeShips ships_;
  PlayWorld world_;
  std::vector<std::string> notices_;
};

// The text form without the time and id: "web-1@ship1 start".
std::vector<std::string> Short(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const std::string& l : lines) {
    std::string rest = l.substr(l.find(' ') + 1);
    out.push_back(rest.substr(0, rest.find(" (")));
  }
  return out;
}

TEST_F(EventsTest, MergesShipsInTimeOrderAndKeepsOnlyTheEnvironment) {
  Run("ship2", "db-1", "db:1", {{"maestro.environment", "shop"}});
  Run("ship1", "web-1", "web:1");   // MaestroNG-created: no label, kept by name
  Run("ship1", "web-10", "web:1");  // a name that only starts like one of ours
  Run("ship2", "web-1", "web:1");   // web-1 lives on ship1, not ship2
  Run("ship2", "web-2", "other:1", {{"maestro.environment", "staging"}});  // another env
  ASSERT_TRUE(ships_.host("ship2").SimulateExit("db-1", 3).ok());
  absl::Status status;
  std::vector<std::string> lines = Bounded({"web-1", "web-2", "db-1"}, &status);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(Short(lines),
              ElementsAre("db-1@ship2 create", "db-1@ship2 start", "web-1@ship1 create",
                          "web-1@ship1 start", "db-1@ship2 die exitCode=3"));
  EXPECT_THAT(lines.front(), ::testing::StartsWith("2023-11-14T22:13:21.000000000Z db-1@ship2"));
}

TEST_F(EventsTest, ThingsNarrowTheStream) {
  Run("ship2", "db-1", "db:1");
  Run("ship1", "web-1", "web:1");
  absl::Status status;
  EXPECT_THAT(Short(Bounded({"web-1"}, &status)),
              ElementsAre("web-1@ship1 create", "web-1@ship1 start"));
}

TEST_F(EventsTest, JsonCarriesShipInstanceAndAttributes) {
  Run("ship1", "web-1", "web:1", {{"maestro.environment", "shop"}});
  EventsRequest request;
  request.containers = {"web-1"};
  request.since = docker::DockerTimeParam(absl::FromUnixSeconds(1'700'000'000));
  request.until = docker::DockerTimeParam(clock_.Now());
  std::vector<nlohmann::json> out;
  ASSERT_TRUE(RunEvents(
                  world_, request,
                  [&](const EnvironmentEvent& e) {
                    out.push_back(nlohmann::json::parse(FormatEventJson(e)));
                  },
                  [](const std::string&) {}, nullptr)
                  .ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1]["action"], "start");
  EXPECT_EQ(out[1]["ship"], "ship1");
  EXPECT_EQ(out[1]["instance"], "web-1");
  EXPECT_EQ(out[1]["service"], "web");
  EXPECT_EQ(out[1]["attributes"]["maestro.environment"], "shop");
  EXPECT_EQ(out[1]["time_nano"].get<int64_t>(), absl::ToUnixNanos(clock_.Now()));
}

TEST_F(EventsTest, ShipThatNeverAnswersFailsABoundedQueryAfterTheOthersAreShown) {
  Run("ship1", "web-1", "web:1");
  ships_.host("ship2").SetDown(true);
  absl::Status status;
  std::vector<std::string> lines = Bounded({"web-1", "db-1"}, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("ship2: "));
  EXPECT_THAT(Short(lines), ElementsAre("web-1@ship1 create", "web-1@ship1 start"));
}

// Follow mode: ship2 is down when the stream starts; once it is back its events flow, and
// Ctrl-C (cancel) ends the whole thing.
TEST_F(EventsTest, FollowSurvivesAShipDownAtStartAndEndsOnCancel) {
  ships_.host("ship2").SetDown(true);
  std::atomic<bool> cancel{false};
  std::mutex mu;
  std::vector<std::string> lines;
  EventsRequest request;
  request.containers = {"web-1", "db-1"};
  absl::Status status;
  std::thread runner([&] {
    status = RunEvents(
        world_, request,
        [&](const EnvironmentEvent& e) {
          std::lock_guard<std::mutex> lock(mu);
          lines.push_back(FormatEventText(e));
          if (lines.size() == 2) cancel.store(true);
        },
        [&](const std::string& n) {
          notices_.push_back(n);
          // The first retry notice: the ship comes back.
          if (notices_.size() == 1) ships_.host("ship2").SetDown(false);
        },
        &cancel);
  });
  // Bounded wait for both ships' streams to be open (ship2 after its retry).
  for (int i = 0; i < 6000 && (ships_.host("ship1").CountCalls("Events") < 1 ||
                               ships_.host("ship2").CountCalls("Events") < 2);
       ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  absl::SleepFor(absl::Milliseconds(50));  // the streams are waiting on the hosts
  Run("ship2", "db-1", "db:1");
  runner.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  ASSERT_FALSE(notices_.empty());
  EXPECT_THAT(notices_.front(), HasSubstr("ship2: events stream unavailable"));
  EXPECT_THAT(Short(lines), ElementsAre("db-1@ship2 create", "db-1@ship2 start"));
}

TEST(EventBelongsToTest, NameShipAndLabel) {
  model::Environment env = test::LoadTestEnvironment(kEnvironment);
  const model::Instance& web1 = *env.FindInstance("web-1");
  docker::Event e;
  e.type = "container";
  e.attributes = {{"name", "web-1"}};
  EXPECT_TRUE(EventBelongsTo(env, web1, e));
  e.attributes["maestro.environment"] = "shop";
  EXPECT_TRUE(EventBelongsTo(env, web1, e));
  e.attributes["maestro.environment"] = "prod";
  EXPECT_FALSE(EventBelongsTo(env, web1, e));
  e.attributes = {{"name", "web-10"}};
  EXPECT_FALSE(EventBelongsTo(env, web1, e));
  e.type = "image";
  e.attributes = {{"name", "web-1"}};
  EXPECT_FALSE(EventBelongsTo(env, web1, e));
}

}  // namespace
}  // namespace maestro::plays
