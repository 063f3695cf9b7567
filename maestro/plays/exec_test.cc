// exec over FakeDockerHost ships: parallel runs, output cut into lines per container and
// stream, the exit-code summary, containers that cannot run the command.
#include "maestro/plays/exec.h"

#include <string>
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
      web-3: {ship: ship2}
)";

class ExecTest : public ::testing::Test {
 protected:
  ExecTest()
      : env_(test::LoadTestEnvironment(kEnvironment)),
        ships_(&clock_, {"ship1", "ship2"}, {"web:1"}),
        scheduler_({.concurrency = 2}) {
    world_.env = &env_;
    world_.ships = &ships_;
    world_.clock = &clock_;
  }
  void Running(const std::string& ship, const std::string& name) {
    auto c = ships_.host(ship).CreateContainer(name, {{"Image", "web:1"}});
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(ships_.host(ship).StartContainer(c->id).ok());
  }
  std::vector<ExecResult> Exec(const std::vector<std::string>& containers,
                               const std::vector<std::string>& command, size_t max_line = 1024) {
    ExecRequest request{containers, command, max_line};
    return RunExec(
        world_, request, scheduler_,
        [&](const std::string& instance, const std::string& ship, docker::StdStream stream,
            absl::string_view line) {
          lines_.push_back(absl::StrCat(
              instance, "@", ship, stream == docker::StdStream::kStderr ? " ! " : " | ", line));
        });
  }

  testing::FakeClock clock_;
  model::Environment env_;
  test::FakeShips ships_;
  Scheduler scheduler_;
  PlayWorld world_;
  std::vector<std::string> lines_;
};

TEST_F(ExecTest, EveryContainerRunsAndTheSummaryHasEachExitCode) {
  Running("ship1", "web-1");
  Running("ship2", "web-2");
  Running("ship2", "web-3");
  ships_.host("ship1").ScriptExec("web-1", "check", 0, "ok\nall good\n");
  ships_.host("ship2").ScriptExec("web-2", "check", 3, "", "bad disk\n");
  ships_.host("ship2").ScriptExec("web-3", "check", 0, "no newline at the end");
  std::vector<ExecResult> results = Exec({"web-1", "web-2", "web-3"}, {"check", "--all"});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].instance, "web-1");
  EXPECT_EQ(results[0].ship, "ship1");
  EXPECT_EQ(results[0].exit_code, 0);
  EXPECT_EQ(results[1].exit_code, 3);
  EXPECT_EQ(results[2].exit_code, 0);
  EXPECT_EQ(ExecExitCode(results), 1);
  EXPECT_THAT(lines_, UnorderedElementsAre("web-1@ship1 | ok\n", "web-1@ship1 | all good\n",
                                           "web-2@ship2 ! bad disk\n",
                                           "web-3@ship2 | no newline at the end"));
  EXPECT_EQ(ships_.host("ship2").CountCalls("InspectExec"), 2);
}

TEST_F(ExecTest, AllZeroIsSuccess) {
  Running("ship1", "web-1");
  Running("ship2", "web-2");
  EXPECT_EQ(ExecExitCode(Exec({"web-1", "web-2"}, {"true"})), 0);
}

TEST_F(ExecTest, AContainerThatIsNotRunningFailsAloneWithTheDaemonsReason) {
  Running("ship1", "web-1");
  ships_.host("ship2").SetDown(true);
  std::vector<ExecResult> results = Exec({"web-1", "web-2", "web-3"}, {"true"});
  EXPECT_EQ(results[0].exit_code, 0);
  EXPECT_FALSE(results[1].exit_code.has_value());
  EXPECT_THAT(results[1].error, HasSubstr("connection refused"));
  EXPECT_EQ(ExecExitCode(results), 1);
  ships_.host("ship2").SetDown(false);
  std::vector<ExecResult> absent = Exec({"web-2"}, {"true"});
  EXPECT_THAT(absent[0].error, HasSubstr("No such container: web-2"));
}

TEST_F(ExecTest, LongLinesAreHandedOnInBoundedPieces) {
  Running("ship1", "web-1");
  ships_.host("ship1").ScriptExec("web-1", "big", 0, std::string(10, 'x') + "\nyy\n");
  Exec({"web-1"}, {"big"}, /*max_line=*/4);
  EXPECT_THAT(lines_, ElementsAre("web-1@ship1 | xxxx", "web-1@ship1 | xxxx", "web-1@ship1 | xx\n",
                                  "web-1@ship1 | yy\n"));
}

TEST_F(ExecTest, CancelledBeforeStartIsInterrupted) {
  Running("ship1", "web-1");
  scheduler_.Cancel();
  std::vector<ExecResult> results = Exec({"web-1"}, {"true"});
  EXPECT_TRUE(results[0].cancelled);
  EXPECT_EQ(ExecExitCode(results), 130);
}

}  // namespace
}  // namespace maestro::plays
