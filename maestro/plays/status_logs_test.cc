// status, status -F and logs -F on simulated time: FakeDockerHost ships, FakeClock, a
// scripted PortProbe and RecordingSink. Nothing here opens a socket or sleeps.
#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/plays/logs.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/test_world.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/ui/progress.h"

namespace maestro::plays {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ui::RecordingSink;
using ui::Tone;

// A latch that never opens fails the test instead of hanging it.
constexpr absl::Duration kHangGuard = absl::Seconds(60);

constexpr char kEnvironment[] = R"(
name: test
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
  ship2: {ip: 127.0.0.2}
services:
  zookeeper:
    image: zk:3.4
    instances:
      zk-1: {ship: ship1, ports: {client: 2181, admin: 8080}}
      zk-2: {ship: ship2, ports: {client: 2181}}
)";

// Answers "up" for the host:port pairs it is told to, and records every probe.
class ScriptedPorts : public PortProbe {
 public:
  bool Accepts(const std::string& host, int port, absl::Duration timeout) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string target = absl::StrCat(host, ":", port);
    probes_.push_back(target);
    return open_.count(target) > 0;
  }
  void Open(const std::string& target) {
    std::lock_guard<std::mutex> lock(mu_);
    open_.insert(target);
  }
  std::vector<std::string> probes() {
    std::lock_guard<std::mutex> lock(mu_);
    return probes_;
  }

 private:
  std::mutex mu_;
  std::set<std::string> open_;
  std::vector<std::string> probes_;
};

std::string ReadAll(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

class StatusLogsTest : public ::testing::Test {
 protected:
  StatusLogsTest()
      : env_(test::LoadTestEnvironment(kEnvironment)),
        ships_(&clock_, {"ship1", "ship2"}, {"zk:3.4"}) {
    world_.env = &env_;
    world_.ships = &ships_;
    world_.clock = &clock_;
    world_.sink = &sink_;
    world_.ports = &ports_;
  }

  // Creates and starts `name` on `ship` straight on the fake daemon; returns its id.
  std::string Run(const std::string& ship, const std::string& name) {
    testing::FakeDockerHost& host = ships_.host(ship);
    auto created = host.CreateContainer(name, {{"Image", "zk:3.4"}});
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return "";
    EXPECT_TRUE(host.StartContainer(created->id).ok());
    return created->id;
  }

  std::vector<RecordingSink::Event> Semantic(size_t row) {
    std::vector<RecordingSink::Event> out;
    for (const RecordingSink::Event& e : sink_.events_for(row)) {
      if (e.kind != "pending") out.push_back(e);
    }
    return out;
  }

  testing::FakeClock clock_;
  model::Environment env_;
  test::FakeShips ships_;
  RecordingSink sink_;
  ScriptedPorts ports_;
  PlayWorld world_;
};

TEST_F(StatusLogsTest, StatusReportsSemanticEventsAndWhyAHostIsDown) {
  std::string id = Run("ship1", "zk-1");
  clock_.Advance(absl::Minutes(3));
  ships_.host("ship2").SetDown(true);
  Scheduler scheduler({});
  PlayReport report = RunStatus(world_, {"zk-1", "zk-2"}, {}, false, scheduler);
  EXPECT_EQ(report.ExitCode(), 0) << "a host that is down is reported, not a failure";

  std::vector<RecordingSink::Event> up = Semantic(0);
  ASSERT_EQ(up.size(), 2u);
  EXPECT_EQ(up[0].kind, "container");
  EXPECT_EQ(up[0].text, absl::StrCat("3.4:", id.substr(0, 7)));
  EXPECT_EQ(up[0].tone, Tone::kGood);
  EXPECT_EQ(up[1].kind, "state");
  EXPECT_EQ(up[1].text, "running for 3 minutes");
  EXPECT_EQ(up[1].tone, Tone::kGood);

  std::vector<RecordingSink::Event> down = Semantic(1);
  ASSERT_EQ(down.size(), 3u);
  EXPECT_EQ(down[1].kind, "state");
  EXPECT_EQ(down[1].text, "host down");
  EXPECT_EQ(down[1].tone, Tone::kBad);
  EXPECT_EQ(down[2].kind, "problem");
  EXPECT_THAT(down[2].text, HasSubstr("connection refused"));
  EXPECT_THAT(down[2].text, HasSubstr("ship2"));
  EXPECT_EQ(sink_.results()[1].state, "unreachable");
  EXPECT_THAT(sink_.results()[1].error, HasSubstr("connection refused"));
}

TEST_F(StatusLogsTest, StatusShowsDockerHealthWhereItExists) {
  Run("ship1", "zk-1");
  Run("ship2", "zk-2");
  clock_.Advance(absl::Minutes(3));
  ships_.host("ship1").SetHealth("zk-1", {"healthy"});
  ships_.host("ship2").SetHealth("zk-2", {"unhealthy"}, "imok missing");
  Scheduler scheduler({});
  RunStatus(world_, {"zk-1", "zk-2"}, {}, false, scheduler);
  std::vector<RecordingSink::Event> healthy = Semantic(0);
  ASSERT_EQ(healthy.size(), 2u);
  EXPECT_EQ(healthy[1].text, "running for 3 minutes (healthy)");
  EXPECT_EQ(healthy[1].tone, Tone::kGood);
  std::vector<RecordingSink::Event> unhealthy = Semantic(1);
  ASSERT_EQ(unhealthy.size(), 2u);
  EXPECT_EQ(unhealthy[1].text, "running for 3 minutes (unhealthy)");
  EXPECT_EQ(unhealthy[1].tone, Tone::kBad);
  EXPECT_EQ(sink_.results()[0].health, "healthy");
  EXPECT_EQ(sink_.results()[1].health, "unhealthy");
  EXPECT_EQ(sink_.results()[1].state, "running");
}

TEST_F(StatusLogsTest, FullStatusProbesPortsThroughTheWorldOnSimulatedTime) {
  Run("ship1", "zk-1");
  clock_.Advance(absl::Seconds(65));
  ports_.Open("127.0.0.1:2181");
  ships_.host("ship2").SetDown(true);
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  Scheduler scheduler({});
  PlayReport report = RunFullStatus(world_, {"zk-1", "zk-2"}, false, out, scheduler);
  std::string text = ReadAll(out);
  std::fclose(out);
  EXPECT_EQ(report.ExitCode(), 0);
  EXPECT_THAT(text, HasSubstr("running for 1m5s")) << text;
  EXPECT_THAT(text, HasSubstr("client:  2181/tcp is up")) << text;
  EXPECT_THAT(text, HasSubstr("admin:  8080/tcp is down")) << text;
  // zk-2's ship is down: no probe, and the row says why.
  EXPECT_THAT(ports_.probes(), ::testing::UnorderedElementsAre("127.0.0.1:2181", "127.0.0.1:8080"));
  EXPECT_THAT(text, HasSubstr("host down")) << text;
  EXPECT_THAT(text, HasSubstr("connection refused")) << text;
}

TEST_F(StatusLogsTest, FullStatusWithoutAProbeReadsPortsAsDown) {
  Run("ship1", "zk-1");
  world_.ports = nullptr;
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  Scheduler scheduler({});
  RunFullStatus(world_, {"zk-1"}, false, out, scheduler);
  std::string text = ReadAll(out);
  std::fclose(out);
  EXPECT_THAT(text, HasSubstr("2181/tcp is down")) << text;
}

TEST_F(StatusLogsTest, LogsPrintsTheLastLines) {
  Run("ship1", "zk-1");
  ships_.host("ship1").SetLogs("zk-1", {"one", "two", "three"});
  std::string out;
  LogsRequest request{.container = "zk-1", .lines = 2};
  absl::Status status = RunLogs(
      world_, request,
      [&](docker::StdStream, absl::string_view data) {
        out.append(data.data(), data.size());
        return true;
      },
      [](const std::string&) {}, nullptr);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(out, "two\nthree\n");
}

TEST_F(StatusLogsTest, LogsOfAContainerThatDoesNotExistSayWhy) {
  LogsRequest request{.container = "zk-1"};
  absl::Status status = RunLogs(
      world_, request, [](docker::StdStream, absl::string_view) { return true; },
      [](const std::string&) {}, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr("zk-1 (on ship1) is not running!"));
}

TEST_F(StatusLogsTest, LogsFollowAcrossARestartUntilCancelled) {
  std::string id = Run("ship1", "zk-1");
  testing::FakeDockerHost& host = ships_.host("ship1");
  host.SetLogs("zk-1", {"first run"});
  std::mutex mu;
  std::string out;
  std::vector<std::string> notices;
  absl::Notification first_seen, died, second_seen;
  std::atomic<bool> cancel{false};
  absl::Status status;
  std::thread follower([&] {
    LogsRequest request{.container = "zk-1", .follow = true};
    status = RunLogs(
        world_, request,
        [&](docker::StdStream, absl::string_view data) {
          std::lock_guard<std::mutex> lock(mu);
          out.append(data.data(), data.size());
          if (data == "first run\n" && !first_seen.HasBeenNotified()) first_seen.Notify();
          if (data == "second run\n" && !second_seen.HasBeenNotified()) second_seen.Notify();
          return true;
        },
        [&](const std::string& text) {
          std::lock_guard<std::mutex> lock(mu);
          notices.push_back(text);
          if (!died.HasBeenNotified()) died.Notify();
        },
        &cancel);
  });
  bool ok = first_seen.WaitForNotificationWithTimeout(kHangGuard);
  EXPECT_TRUE(ok) << "the first run's output was not shown";
  clock_.Advance(absl::Seconds(5));  // the restart is a newer run, after the old events
  if (ok) {
    ASSERT_TRUE(host.SimulateExit("zk-1", 1).ok());
    ok = died.WaitForNotificationWithTimeout(kHangGuard);
    EXPECT_TRUE(ok) << "the death was not noticed";
  }
  if (ok) {
    host.SetLogs("zk-1", {"second run"});
    ASSERT_TRUE(host.StartContainer(id).ok());
    EXPECT_TRUE(second_seen.WaitForNotificationWithTimeout(kHangGuard))
        << "the restarted run's output was not shown";
  }
  cancel = true;
  follower.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_EQ(out, "first run\nsecond run\n");
  EXPECT_THAT(notices, ElementsAre("zk-1 has died, waiting for respawn..."));
}

TEST_F(StatusLogsTest, LogsStopWhenTheOutputCannotBeWritten) {
  Run("ship1", "zk-1");
  ships_.host("ship1").SetLogs("zk-1", {"one", "two"});
  int calls = 0;
  std::atomic<bool> cancel{false};
  LogsRequest request{.container = "zk-1", .follow = true};
  absl::Status status = RunLogs(
      world_, request,
      [&](docker::StdStream, absl::string_view) {
        ++calls;
        return false;  // a full disk
      },
      [](const std::string&) {}, &cancel);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(calls, 1);
}

// One container followed alone: a dropped connection is reconnected from the last line shown,
// and the lines logged at that very timestamp are not shown twice (the seam); the timestamps
// asked for internally are not shown without -t.
TEST_F(StatusLogsTest, LogsFollowResumesAfterADroppedConnectionWithoutRepeats) {
  Run("ship1", "zk-1");
  testing::FakeDockerHost& host = ships_.host("ship1");
  host.AppendLogs("zk-1", docker::StdStream::kStdout, "same time\n");
  host.AppendLogs("zk-1", docker::StdStream::kStdout, "same time\n");
  std::mutex mu;
  std::string out;
  std::vector<std::string> notices;
  absl::Notification two_seen, reconnecting, after_seen;
  std::atomic<bool> cancel{false};
  absl::Status status;
  std::thread follower([&] {
    LogsRequest request{.container = "zk-1", .follow = true};
    status = RunLogs(
        world_, request,
        [&](docker::StdStream, absl::string_view data) {
          std::lock_guard<std::mutex> lock(mu);
          out.append(data.data(), data.size());
          if (out == "same time\nsame time\n" && !two_seen.HasBeenNotified()) two_seen.Notify();
          if (absl::StrContains(out, "after the drop") && !after_seen.HasBeenNotified()) {
            after_seen.Notify();
          }
          return true;
        },
        [&](const std::string& text) {
          std::lock_guard<std::mutex> lock(mu);
          notices.push_back(text);
          if (!reconnecting.HasBeenNotified()) reconnecting.Notify();
        },
        &cancel);
  });
  bool ok = two_seen.WaitForNotificationWithTimeout(kHangGuard);
  EXPECT_TRUE(ok) << "the first lines were not shown";
  if (ok) {
    host.DropLogStreams();
    ok = reconnecting.WaitForNotificationWithTimeout(kHangGuard);
    EXPECT_TRUE(ok) << "the drop was not noticed";
  }
  if (ok) {
    host.AppendLogs("zk-1", docker::StdStream::kStdout, "after the drop\n");
    EXPECT_TRUE(after_seen.WaitForNotificationWithTimeout(kHangGuard))
        << "the line logged after the drop was not shown";
  }
  cancel = true;
  follower.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_EQ(out, "same time\nsame time\nafter the drop\n");
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_THAT(notices[0], HasSubstr("zk-1: "));
  EXPECT_THAT(notices[0], HasSubstr("reconnecting..."));
}

}  // namespace
}  // namespace maestro::plays
