#include "maestro/cli/lock_command.h"

#include <unistd.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/cli/capture_streams.h"
#include "maestro/plays/test_world.h"
#include "maestro/testing/fake_clock.h"

namespace maestro::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kEnv[] = R"(
name: shop
ships:
  ship1: {ip: 127.0.0.1}
  ship2: {ip: 127.0.0.2}
services:
  db:
    image: db
    instances:
      db-1: {ship: ship2}
  web:
    image: web
    requires: [db]
    instances:
      web-1: {ship: ship1}
)";

Options Parse(std::vector<std::string> args) {
  ParseOutcome out = ParseCommandLine(args);
  EXPECT_EQ(out.kind, ParseOutcome::Kind::kRun) << out.text;
  return out.options;
}

class LockCommandTest : public ::testing::Test {
 protected:
  LockCommandTest() : env_(plays::test::LoadTestEnvironment(kEnv)) {
    world_.env = &env_;
    world_.ships = &ships_;
    world_.clock = &clock_;
  }
  std::vector<std::string> Names(const std::string& ship) {
    std::vector<std::string> out;
    for (const auto& c : ships_.host(ship).containers()) out.push_back(c.name);
    return out;
  }

  testing::FakeClock clock_;
  model::Environment env_;
  plays::test::FakeShips ships_{&clock_, {"ship1", "ship2"}, {}};
  plays::PlayWorld world_;
};

TEST(LockOptionsTest, OnlyCommandsThatChangeContainersTakeTheLockAndItsFlag) {
  for (Command c : {Command::kUp, Command::kStart, Command::kStop, Command::kKill,
                    Command::kRestart, Command::kClean}) {
    EXPECT_TRUE(TakesDeployLock(c)) << CommandName(c);
  }
  for (Command c : {Command::kStatus, Command::kPlan, Command::kPull, Command::kLogs,
                    Command::kDeptree, Command::kDump, Command::kLock}) {
    EXPECT_FALSE(TakesDeployLock(c)) << CommandName(c);
  }
  EXPECT_EQ(Parse({"start", "--lock-wait", "30", "web"}).lock_wait, 30);
  EXPECT_EQ(Parse({"clean"}).lock_wait, std::nullopt);
  EXPECT_EQ(ParseCommandLine({"status", "--lock-wait", "3"}).kind, ParseOutcome::Kind::kUsageError);
  EXPECT_EQ(ParseCommandLine({"start", "--lock-wait", "-1"}).kind, ParseOutcome::Kind::kUsageError);
}

TEST(LockOptionsTest, LockTakesAnActionThenThings) {
  Options o = Parse({"lock", "status", "web"});
  EXPECT_EQ(o.command, Command::kLock);
  EXPECT_EQ(o.lock_action, "status");
  EXPECT_THAT(o.things, ElementsAre("web"));
  EXPECT_EQ(Parse({"lock", "break"}).lock_action, "break");
  EXPECT_EQ(ParseCommandLine({"lock"}).kind, ParseOutcome::Kind::kUsageError);
  EXPECT_EQ(ParseCommandLine({"lock", "steal"}).kind, ParseOutcome::Kind::kUsageError);
  EXPECT_THAT(Completions(nullptr, {"maestro lock "}), ElementsAre("status", "break"));
  EXPECT_THAT(Completions(nullptr, {"maestro start --lock"}), ElementsAre("--lock-wait"));
}

TEST(LockOptionsTest, MaestroLockWaitIsAWholeNumberOfSeconds) {
  EXPECT_EQ(*LockWaitFromEnvironment(nullptr), 0);
  EXPECT_EQ(*LockWaitFromEnvironment(""), 0);
  EXPECT_EQ(*LockWaitFromEnvironment("300"), 300);
  for (const char* bad : {"-1", "1.5", "soon", "99999999999"}) {
    absl::StatusOr<int> wait = LockWaitFromEnvironment(bad);
    ASSERT_FALSE(wait.ok()) << bad;
    EXPECT_THAT(wait.status().message(), HasSubstr("MAESTRO_LOCK_WAIT: not a number of seconds"));
  }
}

TEST(CurrentHolderTest, NamesThisProcessAndCommand) {
  lock::Holder h = CurrentHolder(Parse({"restart", "-s", "web", "db"}));
  EXPECT_EQ(h.pid, getpid());
  EXPECT_EQ(h.command, "restart web db");
  EXPECT_FALSE(h.owner.empty());
  EXPECT_FALSE(h.host.empty());
}

TEST_F(LockCommandTest, LocksTheShipsOfTheTargetedContainersOnly) {
  CaptureStreams io;
  auto one = TakeDeployLock(world_, Parse({"start", "-i", "web"}), {"a", "h", 1, "start web"},
                            nullptr, io.streams());
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_NE(*one, nullptr);
  EXPECT_THAT((*one)->locked_ships(), ElementsAre("ship1"));
  EXPECT_THAT(Names("ship1"), ElementsAre("maestro-lock.shop"));
  EXPECT_THAT(Names("ship2"), IsEmpty());
  one->reset();
  // With its dependency (-d), web touches both ships.
  auto both = TakeDeployLock(world_, Parse({"start", "-d", "web"}), {"a", "h", 1, "start web"},
                             nullptr, io.streams());
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_THAT((*both)->locked_ships(), ElementsAre("ship1", "ship2"));
}

TEST_F(LockCommandTest, ASecondCommandFailsNamingTheHolderAndLeavesNothingBehind) {
  CaptureStreams io;
  auto first = TakeDeployLock(world_, Parse({"stop", "-s", "db"}),
                              {"alice", "build-7", 4242, "stop db"}, nullptr, io.streams());
  ASSERT_TRUE(first.ok() && *first != nullptr);
  auto second = TakeDeployLock(world_, Parse({"start", "--lock-wait", "2"}),
                               {"bob", "laptop", 7, "start web"}, nullptr, io.streams());
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(),
              HasSubstr("ship2: environment shop is locked by alice@build-7 (pid 4242, `maestro "
                        "stop db`)"));
  EXPECT_THAT(io.err(), HasSubstr("maestro: ship2: waiting for the deploy lock of shop"));
  EXPECT_THAT(Names("ship1"), IsEmpty());  // taken first, given back
  EXPECT_EQ(clock_.total_slept(), absl::Seconds(2));
}

TEST_F(LockCommandTest, ThingsThatDoNotResolveTakeNoLock) {
  CaptureStreams io;
  auto none = TakeDeployLock(world_, Parse({"start", "nosuch"}), {}, nullptr, io.streams());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
}

TEST_F(LockCommandTest, StatusAndBreak) {
  auto held = TakeDeployLock(world_, Parse({"stop", "-s", "db"}),
                             {"alice", "build-7", 4242, "stop db"}, nullptr, {});
  ASSERT_TRUE(held.ok() && *held != nullptr);
  clock_.Advance(absl::Seconds(20));
  {
    CaptureStreams io;
    EXPECT_EQ(RunLock(world_, Parse({"lock", "status"}), io.streams()), kExitOk);
    EXPECT_EQ(io.out(),
              "ship1: free\n"
              "ship2: locked by alice@build-7 (pid 4242, `maestro stop db`) since 2023-11-14 "
              "22:13:20 UTC, expires in 40s\n");
  }
  {
    CaptureStreams io;
    EXPECT_EQ(RunLock(world_, Parse({"lock", "status", "web"}), io.streams()), kExitOk);
    EXPECT_EQ(io.out(), "ship1: free\n");
  }
  {
    CaptureStreams io;
    EXPECT_EQ(RunLock(world_, Parse({"lock", "break"}), io.streams()), kExitOk);
    EXPECT_THAT(io.out(), HasSubstr("ship1: not locked\nship2: broke the lock held by alice@"));
  }
  EXPECT_THAT(Names("ship2"), IsEmpty());
  EXPECT_THAT((*held)->Renew().message(), HasSubstr("was lost"));
  clock_.Advance(absl::Minutes(5));
  {
    CaptureStreams io;
    ships_.host("ship1").SetDown(true);
    EXPECT_EQ(RunLock(world_, Parse({"lock", "status"}), io.streams()), kExitFailed);
    EXPECT_THAT(io.err(), HasSubstr("maestro: error: ship1: "));
    EXPECT_EQ(io.out(), "ship2: free\n");
  }
}

TEST_F(LockCommandTest, StatusShowsAnExpiredLeaseAsFree) {
  auto held = TakeDeployLock(world_, Parse({"start", "-i", "web"}), {"a", "h", 1, "start web"},
                             nullptr, {});
  ASSERT_TRUE(held.ok() && *held != nullptr);
  clock_.Advance(absl::Seconds(90));
  CaptureStreams io;
  EXPECT_EQ(RunLock(world_, Parse({"lock", "status", "web"}), io.streams()), kExitOk);
  EXPECT_THAT(io.out(), HasSubstr("ship1: free (the lease of a@h (pid 1, `maestro start web`)"));
  EXPECT_THAT(io.out(), HasSubstr("expired 30s ago; the next command takes it over)"));
}

// Checks pass (the containers of these tests have none).
class PassingChecks : public plays::CheckRunner {
 public:
  absl::Status Run(const std::string&, const model::Instance&, const model::Ship&,
                   docker::DockerClient&, const std::function<bool()>&,
                   const plays::CancellationToken&) override {
    return absl::OkStatus();
  }
};

TEST(RunUpIfNothingToDoTest, TakesNoLeaseWhenNothingChangesAndStepsAsideOtherwise) {
  testing::FakeClock clock;
  model::Environment env = plays::test::LoadTestEnvironment(kEnv);
  plays::test::FakeShips ships(&clock, {"ship1", "ship2"}, {"db", "web"});
  PassingChecks checks;
  plays::PlayWorld world;
  world.env = &env;
  world.ships = &ships;
  world.clock = &clock;
  world.checks = &checks;
  auto creates = [&ships]() {
    return ships.host("ship1").CountCalls("CreateContainer") +
           ships.host("ship2").CountCalls("CreateContainer");
  };
  {
    // Containers to create: not handled here (the caller locks, then runs up); nothing printed.
    CaptureStreams io;
    plays::Scheduler scheduler({});
    EXPECT_EQ(RunUpIfNothingToDo(world, Parse({"up"}), scheduler, false, io.streams()),
              std::nullopt);
    EXPECT_EQ(io.out(), "");
    EXPECT_EQ(creates(), 0);
  }
  {
    CaptureStreams io;
    plays::Scheduler scheduler({});
    ASSERT_EQ(RunUpCommand(world, Parse({"up"}), scheduler, false, io.streams()), kExitOk)
        << io.err();
  }
  ships.host("ship1").ClearCalls();
  ships.host("ship2").ClearCalls();
  {
    // Nothing to do: reported as up reports it, and no lease container was created.
    CaptureStreams io;
    plays::Scheduler scheduler({});
    EXPECT_EQ(RunUpIfNothingToDo(world, Parse({"up"}), scheduler, false, io.streams()), kExitOk);
    EXPECT_THAT(io.out(), HasSubstr("Plan: 2 unchanged.\n"));
    EXPECT_THAT(io.out(), HasSubstr("no change"));
    EXPECT_EQ(creates(), 0);
    std::vector<std::string> names;
    for (const auto& c : ships.host("ship1").containers()) names.push_back(c.name);
    EXPECT_THAT(names, ElementsAre("web-1"));
  }
  {
    // A saved plan is checked under the lock as before.
    CaptureStreams io;
    plays::Scheduler scheduler({});
    EXPECT_EQ(RunUpIfNothingToDo(world, Parse({"up", "--plan", "/nonexistent"}), scheduler, false,
                                 io.streams()),
              std::nullopt);
  }
  {
    // Another maestro holds the lease (it may be changing things right now): the caller waits
    // for the lock as before.
    CaptureStreams io;
    auto other = TakeDeployLock(world, Parse({"stop", "-s", "db"}),
                                {"alice", "build-7", 4242, "stop db"}, nullptr, io.streams());
    ASSERT_TRUE(other.ok() && *other != nullptr);
    plays::Scheduler scheduler({});
    EXPECT_EQ(RunUpIfNothingToDo(world, Parse({"up"}), scheduler, false, io.streams()),
              std::nullopt);
    EXPECT_EQ(io.out(), "");
  }
  {
    // A stopped container is a change (start).
    ASSERT_TRUE(ships.host("ship2").StopContainer("db-1", 1).ok());
    CaptureStreams io;
    plays::Scheduler scheduler({});
    EXPECT_EQ(RunUpIfNothingToDo(world, Parse({"up"}), scheduler, false, io.streams()),
              std::nullopt);
    EXPECT_EQ(io.out(), "");
    EXPECT_EQ(ships.host("ship2").CountCalls("StartContainer"), 0);
  }
}

}  // namespace
}  // namespace maestro::cli
