// status --watch: the pure WatchModel (what changes, drift, restarts) and RunStatusWatch over
// FakeDockerHost ships (a container dying, a ship going down and coming back, Ctrl-C).
#include "maestro/plays/status_watch.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/plays/test_world.h"
#include "maestro/spec/container_spec.h"
#include "maestro/testing/fake_clock.h"

namespace maestro::plays {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

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
)";

docker::ContainerSummary Summary(const std::string& name, const std::string& state,
                                 const std::string& status,
                                 std::map<std::string, std::string> labels = {}) {
  docker::ContainerSummary c;
  c.id = "id-" + name;
  c.names = {"/" + name};
  c.image = "web:1";
  c.image_id = "sha256:web1";
  c.state = state;
  c.status = status;
  c.labels = std::move(labels);
  return c;
}

docker::Event Ev(const std::string& id, const std::string& name, const std::string& action,
                 std::map<std::string, std::string> extra = {}) {
  docker::Event e;
  e.type = "container";
  e.action = action;
  e.actor_id = id;
  e.attributes = std::move(extra);
  e.attributes["name"] = name;
  e.time_nano = 1'800'000'000'000'000'000;
  return e;
}

class WatchModelTest : public ::testing::Test {
 protected:
  WatchModelTest()
      : env_(test::LoadTestEnvironment(kEnvironment)), model_(env_, {"web-1", "web-2"}) {}
  std::string Hash(const std::string& name) {
    const model::Instance& inst = *env_.FindInstance(name);
    return spec::SpecHash(inst, *env_.FindShip(inst.ship));
  }
  const absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  model::Environment env_;
  WatchModel model_;
};

TEST_F(WatchModelTest, ListGivesStateHealthExitCodeUptimeAndDrift) {
  model_.SetDesiredImage("ship1", "web:1", "sha256:web1");
  EXPECT_THAT(model_.ApplyList("ship1",
                               {Summary("web-1", "running", "Up 3 minutes (healthy)",
                                        {{"maestro.spec-hash", Hash("web-1")}})},
                               now_),
              ElementsAre(0));
  const WatchRow& r = model_.rows()[0];
  EXPECT_EQ(r.state, "running");
  EXPECT_EQ(r.health, "healthy");
  EXPECT_EQ(r.started_at, now_ - absl::Minutes(3));
  EXPECT_TRUE(r.drift_known);
  EXPECT_THAT(r.drift, IsEmpty());
  // web-2 lives on ship2: untouched by ship1's list.
  EXPECT_EQ(model_.rows()[1].state, "checking");

  EXPECT_THAT(model_.ApplyList("ship2",
                               {Summary("web-2", "exited", "Exited (3) 2 minutes ago",
                                        {{"maestro.spec-hash", "v1:0000000000000000"}})},
                               now_),
              ElementsAre(1));
  EXPECT_EQ(model_.rows()[1].exit_code, 3);
  EXPECT_THAT(model_.rows()[1].drift, ElementsAre("spec"));
}

TEST_F(WatchModelTest, OnlyChangedRowsAreReported) {
  std::vector<docker::ContainerSummary> list = {Summary("web-1", "running", "Up 5 seconds")};
  EXPECT_THAT(model_.ApplyList("ship1", list, now_), ElementsAre(0));
  EXPECT_THAT(model_.ApplyList("ship1", list, now_ + absl::Seconds(1)), IsEmpty());
  EXPECT_THAT(model_.ApplyEvent("ship1", Ev("id-web-1", "web-1", "exec_start: ls")), IsEmpty());
  EXPECT_THAT(model_.ApplyEvent("ship1", Ev("id-web-1", "web-1", "die", {{"exitCode", "137"}})),
              ElementsAre(0));
  EXPECT_EQ(model_.rows()[0].exit_code, 137);
  EXPECT_EQ(model_.rows()[0].state, "exited");
  EXPECT_THAT(model_.ApplyEvent("ship1", Ev("id-web-1", "web-1", "die", {{"exitCode", "137"}})),
              IsEmpty());
}

TEST_F(WatchModelTest, OtherEnvironmentOtherShipAndLookalikesAreIgnored) {
  model_.ApplyList("ship1", {Summary("web-1", "running", "Up 1 second")}, now_);
  EXPECT_THAT(model_.ApplyEvent("ship2", Ev("id-web-1", "web-1", "die")), IsEmpty());
  EXPECT_THAT(model_.ApplyEvent("ship1", Ev("id-web-10", "web-10", "die")), IsEmpty());
  EXPECT_THAT(
      model_.ApplyEvent("ship1", Ev("id-web-1", "web-1", "die", {{"maestro.environment", "prod"}})),
      IsEmpty());
  EXPECT_THAT(
      model_.ApplyList(
          "ship1", {Summary("web-1", "running", "Up 1 second", {{"maestro.environment", "prod"}})},
          now_),
      ElementsAre(0));
  EXPECT_EQ(model_.rows()[0].state, "absent");
}

TEST_F(WatchModelTest, RestartsComeFromInspectAndHealthFollowsEvents) {
  docker::ContainerInspect inspect;
  inspect.id = "id-web-1";
  inspect.name = "/web-1";
  inspect.restart_count = 2;
  inspect.state.running = true;
  inspect.state.status = "running";
  inspect.state.started_at = "2027-01-15T08:00:00Z";
  EXPECT_THAT(model_.ApplyInspect("ship1", inspect), ElementsAre(0));
  EXPECT_EQ(model_.rows()[0].restarts, 2);
  model_.ApplyEvent("ship1", Ev("id-web-1", "web-1", "die", {{"exitCode", "1"}}));
  model_.ApplyEvent("ship1", Ev("id-web-1", "web-1", "start"));
  EXPECT_EQ(model_.rows()[0].restarts, 2);  // Docker's count: the next inspect says
  inspect.restart_count = 3;
  EXPECT_THAT(model_.ApplyInspect("ship1", inspect), ElementsAre(0));
  EXPECT_EQ(model_.rows()[0].restarts, 3);
  EXPECT_EQ(model_.rows()[0].state, "running");
  EXPECT_FALSE(model_.rows()[0].exit_code.has_value());
  model_.ApplyEvent("ship1", Ev("id-web-1", "web-1", "health_status: unhealthy"));
  EXPECT_EQ(model_.rows()[0].health, "unhealthy");
  // A new container of the same name: count unknown until inspected.
  model_.ApplyEvent("ship1", Ev("id-other", "web-1", "start"));
  EXPECT_FALSE(model_.rows()[0].restarts.has_value());
  // The old one's destroy does not blank the new one.
  EXPECT_THAT(model_.ApplyEvent("ship1", Ev("id-web-1", "web-1", "destroy")), IsEmpty());
  EXPECT_THAT(model_.ApplyEvent("ship1", Ev("id-other", "web-1", "destroy")), ElementsAre(0));
  EXPECT_EQ(model_.rows()[0].state, "absent");
}

TEST_F(WatchModelTest, ShipDownAndBack) {
  model_.ApplyList("ship1", {Summary("web-1", "running", "Up 1 second")}, now_);
  EXPECT_THAT(model_.ShipDown("ship1", "connection refused"), ElementsAre(0));
  EXPECT_EQ(model_.rows()[0].state, "ship down");
  EXPECT_EQ(model_.rows()[0].problem, "connection refused");
  EXPECT_THAT(model_.ShipDown("ship1", "connection refused"), IsEmpty());
  EXPECT_THAT(model_.ApplyList("ship1", {Summary("web-1", "running", "Up 1 second")}, now_),
              ElementsAre(0));
  EXPECT_EQ(model_.rows()[0].state, "running");
  EXPECT_EQ(model_.rows()[0].problem, "");
}

TEST(ShortDurationTest, Units) {
  EXPECT_EQ(ShortDuration(absl::Seconds(59)), "59s");
  EXPECT_EQ(ShortDuration(absl::Seconds(61)), "1m");
  EXPECT_EQ(ShortDuration(absl::Hours(5)), "5h");
  EXPECT_EQ(ShortDuration(absl::Hours(49)), "2d");
  EXPECT_EQ(ShortDuration(-absl::Seconds(3)), "0s");
}

// Records every change as "instance state [exit N]" and runs `on_change` (under the view lock).
class RecordingView : public WatchView {
 public:
  void Begin(const std::vector<WatchRow>& rows, absl::Time) override { begun_ = rows.size(); }
  void Changed(const std::vector<WatchRow>& rows, const std::vector<size_t>& changed,
               absl::Time) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i : changed) {
      const WatchRow& r = rows[i];
      std::string line = absl::StrCat(r.instance, " ", r.state);
      if (r.exit_code) absl::StrAppend(&line, " exit ", *r.exit_code);
      if (r.restarts) absl::StrAppend(&line, " restarts ", *r.restarts);
      lines_.push_back(line);
      if (on_change) on_change(line);
    }
    cv_.notify_all();
  }
  void End() override { ended_ = true; }
  // Waits (bounded) until a change line equal to `line` was recorded `times` times.
  bool WaitFor(const std::string& line, int times = 1) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30),
                        [&] { return std::count(lines_.begin(), lines_.end(), line) >= times; });
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  std::function<void(const std::string&)> on_change;
  size_t begun_ = 0;
  bool ended_ = false;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

TEST(RunStatusWatchTest, FollowsEventsAndAShipGoingDownAndBack) {
  testing::FakeClock clock;
  model::Environment env = test::LoadTestEnvironment(kEnvironment);
  test::FakeShips ships(&clock, {"ship1", "ship2"}, {"web:1"});
  PlayWorld world;
  world.env = &env;
  world.ships = &ships;
  world.clock = &clock;
  auto created = ships.host("ship1").CreateContainer("web-1", {{"Image", "web:1"}});
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(ships.host("ship1").StartContainer(created->id).ok());

  RecordingView view;
  std::atomic<bool> cancel{false};
  // A ship seen down comes back (the watch then lists it again).
  view.on_change = [&](const std::string& line) {
    if (absl::StartsWith(line, "web-1 ship down")) ships.host("ship1").SetDown(false);
  };
  std::thread runner([&] {
    RunStatusWatch(world, {"web-1", "web-2"}, view, &cancel, {.tick = absl::ZeroDuration()});
  });
  struct Stop {  // a failed assertion still ends the watch
    std::atomic<bool>& cancel;
    std::thread& runner;
    ~Stop() {
      cancel.store(true);
      if (runner.joinable()) runner.join();
    }
  } stop{cancel, runner};
  ASSERT_TRUE(view.WaitFor("web-1 running restarts 0"));
  ASSERT_TRUE(view.WaitFor("web-2 absent"));
  // Both event streams are open before anything happens.
  for (int i = 0; i < 6000 && (ships.host("ship1").CountCalls("Events") < 1 ||
                               ships.host("ship2").CountCalls("Events") < 1);
       ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(ships.host("ship1").SimulateExit("web-1", 7).ok());
  ASSERT_TRUE(view.WaitFor("web-1 exited exit 7 restarts 0"));
  ships.host("ship1").SetDown(true);
  ASSERT_TRUE(view.WaitFor("web-1 ship down exit 7 restarts 0"));
  // Back: listed again; the same container keeps its known restart count.
  ASSERT_TRUE(view.WaitFor("web-1 exited exit 7 restarts 0", 2))
      << absl::StrJoin(view.lines(), "\n");
  cancel.store(true);
  runner.join();
  EXPECT_TRUE(view.ended_);
  EXPECT_EQ(view.begun_, 2u);
  std::vector<std::string> lines = view.lines();
  // Never a web-2 line after its first: nothing happened to it.
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "web-2 absent"), 1);
}

}  // namespace
}  // namespace maestro::plays
