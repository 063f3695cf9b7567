// RunMultiLogs on FakeDockerHost ships and a FakeClock: merged order across ships, filters,
// follow across a dropped connection (no lost, no repeated line), a re-created container, a
// ship down at start, TTY (raw) containers, cancellation. Nothing here opens a socket.
#include "maestro/plays/logs_multi.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/plays/test_world.h"
#include "maestro/testing/fake_clock.h"

namespace maestro::plays {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using S = docker::StdStream;

// A wait that never ends fails the test instead of hanging it.
constexpr auto kHangGuard = std::chrono::seconds(60);

constexpr char kEnvironment[] = R"(
name: test
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
  term:
    image: web:1
    instances:
      term-1: {ship: ship2}
)";

// What RunMultiLogs delivered, as "instance stream text" strings, safe to read while it runs.
class Collected {
 public:
  explicit Collected(const model::Environment& env, const MultiLogsRequest& request)
      : request_(request) {
    (void)env;
  }
  MultiLogsOutput Output() {
    MultiLogsOutput out;
    out.line = [this](const LogLine& l) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.push_back(absl::StrCat(request_.containers.at(l.source),
                                    l.stream == S::kStderr ? " err " : " ", l.text));
      cv_.notify_all();
      return true;
    };
    out.notice = [this](const std::string& n) {
      std::lock_guard<std::mutex> lock(mu_);
      notices_.push_back(n);
      cv_.notify_all();
    };
    return out;
  }
  // Waits until `n` lines were delivered; false after the hang guard.
  bool WaitForLines(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kHangGuard, [&] { return lines_.size() >= n; });
  }
  bool WaitForNotice(const std::string& part) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kHangGuard, [&] {
      for (const std::string& n : notices_) {
        if (n.find(part) != std::string::npos) return true;
      }
      return false;
    });
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  std::vector<std::string> notices() {
    std::lock_guard<std::mutex> lock(mu_);
    return notices_;
  }

 private:
  const MultiLogsRequest& request_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::vector<std::string> notices_;
};

class LogsMultiTest : public ::testing::Test {
 protected:
  LogsMultiTest()
      : env_(test::LoadTestEnvironment(kEnvironment)),
        ships_(&clock_, {"ship1", "ship2"}, {"web:1"}) {
    world_.env = &env_;
    world_.ships = &ships_;
    world_.clock = &clock_;
  }

  std::string Run(const std::string& ship, const std::string& name, bool tty = false) {
    testing::FakeDockerHost& host = ships_.host(ship);
    auto created = host.CreateContainer(name, {{"Image", "web:1"}, {"Tty", tty}});
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return "";
    EXPECT_TRUE(host.StartContainer(created->id).ok());
    return created->id;
  }
  void Log(const std::string& ship, const std::string& name, const std::string& text,
           S stream = S::kStdout) {
    ships_.host(ship).AppendLogs(name, stream, text + "\n");
    clock_.Advance(absl::Milliseconds(10));
  }

  testing::FakeClock clock_;
  model::Environment env_;
  test::FakeShips ships_;
  PlayWorld world_;
};

TEST_F(LogsMultiTest, MergesShipsInTimestampOrderAndKeepsStderrApart) {
  Run("ship1", "web-1");
  Run("ship2", "web-2");
  Log("ship1", "web-1", "a1");
  Log("ship2", "web-2", "b1");
  Log("ship2", "web-2", "b2", S::kStderr);
  Log("ship1", "web-1", "a2");
  Log("ship2", "web-2", "b3");
  MultiLogsRequest request{.containers = {"web-1", "web-2"}};
  Collected got(env_, request);
  absl::Status st = RunMultiLogs(world_, request, got.Output(), nullptr);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_THAT(got.lines(),
              ElementsAre("web-1 a1", "web-2 b1", "web-2 err b2", "web-1 a2", "web-2 b3"));
}

TEST_F(LogsMultiTest, TailSinceUntilGrepAndStreamFiltersApplyPerContainer) {
  Run("ship1", "web-1");
  Run("ship2", "web-2");
  Log("ship1", "web-1", "old a");
  Log("ship2", "web-2", "old b");
  const absl::Time mid = clock_.Now();
  Log("ship1", "web-1", "error 1");
  Log("ship2", "web-2", "error 2", S::kStderr);
  Log("ship1", "web-1", "fine");
  const absl::Time end = clock_.Now() - absl::Milliseconds(5);  // before "error after"
  Log("ship2", "web-2", "error after");

  MultiLogsRequest tail{.containers = {"web-1", "web-2"}, .tail = 1};
  Collected t(env_, tail);
  ASSERT_TRUE(RunMultiLogs(world_, tail, t.Output(), nullptr).ok());
  EXPECT_THAT(t.lines(), ElementsAre("web-1 fine", "web-2 error after"));

  MultiLogsRequest window{.containers = {"web-1", "web-2"}, .since = mid, .until = end};
  window.grep = "^error";
  Collected w(env_, window);
  ASSERT_TRUE(RunMultiLogs(world_, window, w.Output(), nullptr).ok());
  EXPECT_THAT(w.lines(), ElementsAre("web-1 error 1", "web-2 err error 2"));

  MultiLogsRequest only_err{.containers = {"web-1", "web-2"}, .stdout_ = false};
  Collected e(env_, only_err);
  ASSERT_TRUE(RunMultiLogs(world_, only_err, e.Output(), nullptr).ok());
  EXPECT_THAT(e.lines(), ElementsAre("web-2 err error 2"));
}

TEST_F(LogsMultiTest, WithoutFollowAContainerThatCannotBeReadIsReportedAfterTheOthers) {
  Run("ship1", "web-1");
  Log("ship1", "web-1", "hello");
  ships_.host("ship2").SetDown(true);
  MultiLogsRequest request{.containers = {"web-1", "web-2", "term-1"}};
  Collected got(env_, request);
  absl::Status st = RunMultiLogs(world_, request, got.Output(), nullptr);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("web-2@ship2: "));
  EXPECT_THAT(std::string(st.message()), HasSubstr("term-1@ship2: "));
  EXPECT_THAT(got.lines(), ElementsAre("web-1 hello"));
  MultiLogsRequest bad{.containers = {"web-1"}, .grep = "(("};
  EXPECT_EQ(RunMultiLogs(world_, bad, got.Output(), nullptr).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(LogsMultiTest, TtyContainersRawStreamAndEndlessLinesAreCut) {
  Run("ship2", "term-1", /*tty=*/true);
  ships_.host("ship2").AppendLogs("term-1", S::kStdout, "prompt$ ls\r\n");
  ships_.host("ship2").AppendLogs("term-1", S::kStderr, std::string(25, 'x') + "\n");
  MultiLogsRequest request{.containers = {"term-1"}, .max_line = 10};
  Collected got(env_, request);
  ASSERT_TRUE(RunMultiLogs(world_, request, got.Output(), nullptr).ok());
  // One raw stream (all stdout), "\r\n" ends a line, a long line comes in bounded pieces.
  EXPECT_THAT(got.lines(), ElementsAre("term-1 prompt$ ls", "term-1 xxxxxxxxxx",
                                       "term-1 xxxxxxxxxx", "term-1 xxxxx"));
}

// Runs a follow on its own thread; the test drives the fake hosts meanwhile.
class Follower {
 public:
  Follower(const PlayWorld& world, MultiLogsRequest request)
      : request_(std::move(request)), got_(*world.env, request_) {
    thread_ = std::thread(
        [this, &world] { status_ = RunMultiLogs(world, request_, got_.Output(), &cancel_); });
  }
  ~Follower() { Stop(); }
  absl::Status Stop() {
    cancel_ = true;
    if (thread_.joinable()) thread_.join();
    return status_;
  }
  Collected& got() { return got_; }

 private:
  MultiLogsRequest request_;
  Collected got_;
  std::atomic<bool> cancel_{false};
  absl::Status status_;
  std::thread thread_;
};

MultiLogsRequest FollowOf(std::vector<std::string> containers) {
  MultiLogsRequest r;
  r.containers = std::move(containers);
  r.follow = true;
  r.reorder_window = absl::ZeroDuration();  // simulated time: no window to wait out
  return r;
}

TEST_F(LogsMultiTest, FollowSurvivesADroppedConnectionWithoutLosingOrRepeatingLines) {
  Run("ship1", "web-1");
  // Two lines with the very same timestamp right before the drop: the seam case.
  ships_.host("ship1").AppendLogs("web-1", S::kStdout, "same time\n");
  ships_.host("ship1").AppendLogs("web-1", S::kStdout, "same time\n");
  Follower f(world_, FollowOf({"web-1"}));
  ASSERT_TRUE(f.got().WaitForLines(2));
  ships_.host("ship1").DropLogStreams();
  ASSERT_TRUE(f.got().WaitForNotice("reconnecting"));
  // Logged while the connection was down, at the seam's time and after.
  ships_.host("ship1").AppendLogs("web-1", S::kStdout, "same time\n");
  Log("ship1", "web-1", "after the drop");
  ASSERT_TRUE(f.got().WaitForLines(4));
  EXPECT_TRUE(f.Stop().code() == absl::StatusCode::kCancelled);
  EXPECT_THAT(f.got().lines(), ElementsAre("web-1 same time", "web-1 same time", "web-1 same time",
                                           "web-1 after the drop"));
}

TEST_F(LogsMultiTest, FollowPicksUpARestartAndAReCreatedContainer) {
  std::string id = Run("ship1", "web-1");
  Run("ship2", "web-2");
  Log("ship1", "web-1", "run 1");
  Log("ship2", "web-2", "other");
  Follower f(world_, FollowOf({"web-1", "web-2"}));
  ASSERT_TRUE(f.got().WaitForLines(2));
  testing::FakeDockerHost& host = ships_.host("ship1");
  ASSERT_TRUE(host.SimulateExit("web-1", 1).ok());
  ASSERT_TRUE(f.got().WaitForNotice("web-1@ship1 has died, waiting for respawn..."));
  ASSERT_TRUE(host.StartContainer(id).ok());
  Log("ship1", "web-1", "run 2");
  ASSERT_TRUE(f.got().WaitForLines(3));
  // Re-created: a new id under the same name, with a log of its own.
  ASSERT_TRUE(host.RemoveContainer(id, {.force = true}).ok());
  Run("ship1", "web-1");
  Log("ship1", "web-1", "new container");
  ASSERT_TRUE(f.got().WaitForLines(4));
  EXPECT_EQ(f.Stop().code(), absl::StatusCode::kCancelled);
  // The first two lines come from two ships at once and, with no reorder window, in either
  // order; after them, web-1's restart and re-creation, each line once.
  const std::vector<std::string> lines = f.got().lines();
  ASSERT_EQ(lines.size(), 4u) << ::testing::PrintToString(lines);
  EXPECT_THAT(std::vector<std::string>(lines.begin(), lines.begin() + 2),
              UnorderedElementsAre("web-1 run 1", "web-2 other"));
  EXPECT_THAT(std::vector<std::string>(lines.begin() + 2, lines.end()),
              ElementsAre("web-1 run 2", "web-1 new container"));
}

TEST_F(LogsMultiTest, FollowWaitsForAShipThatIsDownAtStart) {
  Run("ship2", "web-2");
  ships_.host("ship2").SetDown(true);
  Follower f(world_, FollowOf({"web-2"}));
  ASSERT_TRUE(f.got().WaitForNotice("web-2@ship2: "));
  EXPECT_THAT(f.got().notices().front(), HasSubstr("reconnecting..."));
  Log("ship2", "web-2", "back");
  ships_.host("ship2").SetDown(false);
  ASSERT_TRUE(f.got().WaitForLines(1));
  EXPECT_EQ(f.Stop().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(f.got().lines(), ElementsAre("web-2 back"));
  EXPECT_THAT(f.got().notices().size(), 2u) << "one notice while down, one when back";
}

}  // namespace
}  // namespace maestro::plays
