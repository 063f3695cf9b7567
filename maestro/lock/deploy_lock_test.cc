#include "maestro/lock/deploy_lock.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_host.h"

namespace maestro::lock {
namespace {

using ::maestro::testing::FakeClock;
using ::maestro::testing::FakeDockerHost;
using ::testing::HasSubstr;

Holder Alice() { return {"alice", "host-a", 11, "start web"}; }
Holder Bob() { return {"bob", "host-b", 22, "stop --all"}; }

struct Notices {
  std::vector<std::string> lines;
  std::function<void(const std::string&)> fn() {
    return [this](const std::string& l) { lines.push_back(l); };
  }
};

class DeployLockTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<DeployLock>> Take(const Holder& holder, LockOptions options = {},
                                                   std::vector<FakeDockerHost*> hosts = {},
                                                   Notices* notices = nullptr,
                                                   const std::atomic<bool>* cancel = nullptr) {
    if (hosts.empty()) hosts = {&ship1_};
    std::vector<LockShip> ships;
    for (FakeDockerHost* h : hosts) ships.push_back({h == &ship1_ ? "ship1" : "ship2", h});
    return DeployLock::Acquire(ships, "demo", holder, options, &clock_, cancel,
                               notices != nullptr ? notices->fn() : nullptr);
  }
  std::vector<std::string> Names(const FakeDockerHost& host) {
    std::vector<std::string> out;
    for (const auto& c : host.containers()) out.push_back(c.name);
    return out;
  }

  FakeClock clock_;
  FakeDockerHost ship1_{"ship1", &clock_};
  FakeDockerHost ship2_{"ship2", &clock_};
};

TEST(LeaseNameTest, ReplacesWhatANameCannotHold) {
  EXPECT_EQ(LeaseName("demo"), "maestro-lock.demo");
  EXPECT_EQ(LeaseName("my env/1"), "maestro-lock.my_env_1");
  EXPECT_EQ(LeaseName(""), "maestro-lock._");
}

TEST(LockImageTarTest, IsOneEmptyFileWithAValidChecksum) {
  std::string tar = LockImageTar();
  ASSERT_EQ(tar.size(), 512u * 3);
  EXPECT_EQ(tar.substr(0, 12), "maestro-lock");
  EXPECT_EQ(tar.substr(257, 5), "ustar");
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(tar[i]);
  }
  EXPECT_EQ(std::stoul(tar.substr(148, 6), nullptr, 8), sum);
  EXPECT_EQ(tar.find_first_not_of('\0', 512), std::string::npos);
}

TEST_F(DeployLockTest, TakesTheLeaseImportingTheImageOnceAndReleasesIt) {
  auto lock = Take(Alice());
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_TRUE(ship1_.HasImage("maestro/lock:1"));
  EXPECT_EQ(ship1_.CountCalls("ImportImage"), 1);
  EXPECT_EQ((*lock)->locked_ships(), std::vector<std::string>{"ship1"});
  auto lease = ReadLease(ship1_, "demo");
  ASSERT_TRUE(lease.ok()) << lease.status();
  ASSERT_TRUE(lease->has_value());
  EXPECT_EQ((*lease)->holder.owner, "alice");
  EXPECT_EQ((*lease)->holder.host, "host-a");
  EXPECT_EQ((*lease)->holder.pid, 11);
  EXPECT_EQ((*lease)->holder.command, "start web");
  EXPECT_EQ((*lease)->token, (*lock)->token());
  EXPECT_EQ((*lease)->acquired, clock_.Now());
  EXPECT_EQ((*lease)->expires, clock_.Now() + absl::Seconds(60));
  auto c = ship1_.FindContainer("maestro-lock.demo");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->state, testing::FakeContainerState::kCreated);  // never started

  ASSERT_TRUE((*lock)->Release().ok());
  EXPECT_TRUE(Names(ship1_).empty());
  auto again = Take(Bob());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ship1_.CountCalls("ImportImage"), 1);  // the image is still there
}

TEST_F(DeployLockTest, ASecondTakerFailsAtOnceNamingTheHolder) {
  auto alice = Take(Alice());
  ASSERT_TRUE(alice.ok());
  clock_.Advance(absl::Seconds(15));
  auto bob = Take(Bob());
  ASSERT_FALSE(bob.ok());
  EXPECT_EQ(bob.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bob.status().message(),
              HasSubstr("ship1: environment demo is locked by alice@host-a (pid 11, `maestro "
                        "start web`) since 2023-11-14 22:13:20 UTC, expires in 45s"));
  EXPECT_THAT(bob.status().message(), HasSubstr("--lock-wait"));
  EXPECT_EQ(clock_.total_slept(), absl::ZeroDuration());
  EXPECT_EQ(Names(ship1_), std::vector<std::string>{"maestro-lock.demo"});  // alice's, intact
}

// A daemon still removing a released lease answers 409 to the create while an inspect by name
// already finds nothing: that is not a change of hands, and even with --lock-wait 0 the taker
// backs off and gets the lease once the name is free (CI saw "kept changing hands" here).
TEST_F(DeployLockTest, ANameStillBeingRemovedIsWaitedOutNotCountedAsAChangeOfHands) {
  ASSERT_TRUE(Take(Alice()).ok());  // imports the image once
  for (int i = 0; i < 20; ++i) {
    ship1_.FailNext("CreateContainer", absl::AlreadyExistsError("Conflict. The container name "
                                                                "\"/maestro-lock.demo\" is "
                                                                "already in use"));
  }
  const absl::Duration slept_before = clock_.total_slept();
  auto bob = Take(Bob());
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_EQ((*bob)->locked_ships(), std::vector<std::string>{"ship1"});
  EXPECT_EQ(Names(ship1_), std::vector<std::string>{"maestro-lock.demo"});
  const absl::Duration backed_off = clock_.total_slept() - slept_before;
  EXPECT_GT(backed_off, absl::ZeroDuration());
  EXPECT_LT(backed_off, absl::Seconds(15));
}

TEST_F(DeployLockTest, ANameThatNeverFreesFailsWithinItsBound) {
  for (int i = 0; i < 500; ++i) {
    ship1_.FailNext("CreateContainer", absl::AlreadyExistsError("Conflict."));
  }
  auto bob = Take(Bob());
  ASSERT_FALSE(bob.ok());
  EXPECT_EQ(bob.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(bob.status().message(), HasSubstr("the name maestro-lock.demo stayed taken for 15s"));
  EXPECT_GE(clock_.total_slept(), absl::Seconds(15));
  EXPECT_LT(clock_.total_slept(), absl::Seconds(16));
  EXPECT_TRUE(Names(ship1_).empty());
}

TEST_F(DeployLockTest, WaitingGivesUpAtTheDeadline) {
  auto alice = Take(Alice());
  ASSERT_TRUE(alice.ok());
  Notices notices;
  auto bob = Take(Bob(), {.wait = absl::Seconds(3)}, {}, &notices);
  ASSERT_FALSE(bob.ok());
  EXPECT_THAT(bob.status().message(), HasSubstr("(waited 3s)"));
  EXPECT_EQ(clock_.total_slept(), absl::Seconds(3));
  ASSERT_EQ(notices.lines.size(), 1u);
  EXPECT_THAT(notices.lines[0], HasSubstr("ship1: waiting for the deploy lock of demo, held by "
                                          "alice@host-a"));
}

TEST_F(DeployLockTest, AWaiterTakesOverWhenTheLeaseExpires) {
  auto alice = Take(Alice(), {.ttl = absl::Seconds(5)});
  ASSERT_TRUE(alice.ok());
  auto bob = Take(Bob(), {.wait = absl::Seconds(30)});
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_GE(clock_.total_slept(), absl::Seconds(5));
  EXPECT_LT(clock_.total_slept(), absl::Seconds(7));
  auto lease = ReadLease(ship1_, "demo");
  ASSERT_TRUE(lease.ok() && lease->has_value());
  EXPECT_EQ((*lease)->holder.owner, "bob");

  // Alice learns she lost it, and her release leaves Bob's lease alone.
  absl::Status renewed = (*alice)->Renew();
  EXPECT_EQ(renewed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(renewed.message(), HasSubstr("ship1: the deploy lock of demo was lost"));
  EXPECT_TRUE((*alice)->Release().ok());
  lease = ReadLease(ship1_, "demo");
  ASSERT_TRUE(lease.ok() && lease->has_value());
  EXPECT_EQ((*lease)->token, (*bob)->token());
  EXPECT_EQ(Names(ship1_), std::vector<std::string>{"maestro-lock.demo"});
}

TEST_F(DeployLockTest, RenewalKeepsTheLeaseAliveWithOneCompanion) {
  auto alice = Take(Alice());
  ASSERT_TRUE(alice.ok());
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(absl::Seconds(50));
    ASSERT_TRUE((*alice)->Renew().ok());
  }
  clock_.Advance(absl::Seconds(50));  // 200 s after the take, 50 s after the last renewal
  auto bob = Take(Bob());
  ASSERT_FALSE(bob.ok());
  EXPECT_THAT(bob.status().message(), HasSubstr("expires in 10s"));
  std::vector<std::string> names = Names(ship1_);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "maestro-lock.demo");
  EXPECT_EQ(names[1], "maestro-lock.demo." + (*alice)->token() + ".3");
  alice->reset();  // the destructor releases
  EXPECT_TRUE(Names(ship1_).empty());
}

TEST_F(DeployLockTest, ACompanionOfAnExpiredLeaseGoesWithIt) {
  auto alice = Take(Alice());
  ASSERT_TRUE(alice.ok());
  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE((*alice)->Renew().ok());
  clock_.Advance(absl::Seconds(91));  // past the renewal's expiry too
  auto bob = Take(Bob());
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_EQ(Names(ship1_), std::vector<std::string>{"maestro-lock.demo"});
}

TEST_F(DeployLockTest, OfTwoConcurrentTakersOfAnExpiredLeaseExactlyOneWins) {
  for (int round = 0; round < 25; ++round) {
    FakeClock clock;
    FakeDockerHost host("ship1", &clock);
    host.SetLatency(absl::Microseconds(200), FakeDockerHost::LatencyMode::kWallClock);
    auto stale =
        DeployLock::Acquire({{"ship1", &host}}, "demo", Alice(), {}, &clock, nullptr, nullptr);
    ASSERT_TRUE(stale.ok());
    clock.Advance(absl::Minutes(5));
    absl::StatusOr<std::unique_ptr<DeployLock>> results[2];
    std::thread takers[2];
    for (int t = 0; t < 2; ++t) {
      takers[t] = std::thread([&, t] {
        results[t] = DeployLock::Acquire({{"ship1", &host}}, "demo", t == 0 ? Bob() : Alice(), {},
                                         &clock, nullptr, nullptr);
      });
    }
    for (std::thread& t : takers) t.join();
    ASSERT_NE(results[0].ok(), results[1].ok()) << "round " << round;
    const auto& winner = results[0].ok() ? results[0] : results[1];
    const auto& loser = results[0].ok() ? results[1] : results[0];
    EXPECT_EQ(loser.status().code(), absl::StatusCode::kFailedPrecondition) << loser.status();
    auto lease = ReadLease(host, "demo");
    ASSERT_TRUE(lease.ok() && lease->has_value());
    EXPECT_EQ((*lease)->token, (*winner)->token());
    EXPECT_EQ(host.containers().size(), 1u);
  }
}

TEST_F(DeployLockTest, BreakRemovesAnyLeaseAndItsHolderLearnsIt) {
  auto none = BreakLease(ship1_, "demo");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto alice = Take(Alice());
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE((*alice)->Renew().ok());
  auto broken = BreakLease(ship1_, "demo");
  ASSERT_TRUE(broken.ok()) << broken.status();
  ASSERT_TRUE(broken->has_value());
  EXPECT_EQ((*broken)->holder.owner, "alice");
  EXPECT_TRUE(Names(ship1_).empty());
  EXPECT_THAT((*alice)->Renew().message(), HasSubstr("was lost"));
  EXPECT_TRUE(Take(Bob()).ok());
}

TEST_F(DeployLockTest, AFailureOnALaterShipReleasesTheEarlierOnes) {
  auto other = Take(Bob(), {}, {&ship2_});
  ASSERT_TRUE(other.ok());
  auto alice = Take(Alice(), {}, {&ship2_, &ship1_});
  ASSERT_FALSE(alice.ok());
  EXPECT_THAT(alice.status().message(), HasSubstr("ship2: environment demo is locked by bob"));
  EXPECT_TRUE(Names(ship1_).empty());  // ship1 (taken first, in name order) was given back
  EXPECT_EQ(Names(ship2_), std::vector<std::string>{"maestro-lock.demo"});
}

TEST_F(DeployLockTest, ShipNamesForOneDaemonShareItsLease) {
  auto alice = DeployLock::Acquire({{"ship1", &ship1_}, {"alias", &ship1_}}, "demo", Alice(), {},
                                   &clock_, nullptr, nullptr);
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ(clock_.total_slept(), absl::ZeroDuration());  // never waits for itself
  EXPECT_EQ((*alice)->locked_ships(), (std::vector<std::string>{"alias", "ship1"}));
  EXPECT_EQ(Names(ship1_), std::vector<std::string>{"maestro-lock.demo"});
  ASSERT_TRUE((*alice)->Renew().ok());
  EXPECT_EQ(Names(ship1_).size(), 2u);  // the lease and one renewal
  EXPECT_FALSE(Take(Bob()).ok());
  ASSERT_TRUE((*alice)->Release().ok());
  EXPECT_TRUE(Names(ship1_).empty());
}

TEST_F(DeployLockTest, ASharedLeaseIsReleasedThroughAnyShipNameThatStillReachesIt) {
  // "alias" (first in name order) took the lease; it goes down; "ship1" still reaches it.
  auto alice = DeployLock::Acquire({{"ship1", &ship1_}, {"alias", &ship1_}}, "demo", Alice(), {},
                                   &clock_, nullptr, nullptr);
  ASSERT_TRUE(alice.ok()) << alice.status();
  ship1_.FailNext("RemoveContainer", FakeDockerHost::ApiError(503, "alias is down"));
  EXPECT_TRUE((*alice)->Release().ok());
  EXPECT_TRUE(Names(ship1_).empty());
}

TEST_F(DeployLockTest, AnErrorReleasesWhatWasTaken) {
  ship2_.FailNext("CreateContainer", FakeDockerHost::ApiError(500, "disk full"));
  auto alice = Take(Alice(), {}, {&ship1_, &ship2_});
  ASSERT_FALSE(alice.ok());
  EXPECT_EQ(alice.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(alice.status().message(), HasSubstr("ship2: taking the deploy lock of demo: "));
  EXPECT_THAT(alice.status().message(), HasSubstr("disk full"));
  EXPECT_TRUE(Names(ship1_).empty());
  EXPECT_TRUE(Names(ship2_).empty());
}

TEST_F(DeployLockTest, AnUnreachableShipIsSkippedWithANotice) {
  ship2_.SetDown(true);
  Notices notices;
  auto alice = Take(Alice(), {}, {&ship1_, &ship2_}, &notices);
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ((*alice)->locked_ships(), std::vector<std::string>{"ship1"});
  EXPECT_EQ((*alice)->skipped_ships(), std::vector<std::string>{"ship2"});
  ASSERT_EQ(notices.lines.size(), 1u);
  EXPECT_THAT(notices.lines[0], HasSubstr("ship2: not locked (unreachable: "));
}

TEST_F(DeployLockTest, CancellingEndsTheWait) {
  auto alice = Take(Alice());
  ASSERT_TRUE(alice.ok());
  std::atomic<bool> cancel{true};
  auto bob = Take(Bob(), {.wait = absl::Hours(1)}, {}, nullptr, &cancel);
  EXPECT_EQ(bob.status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(clock_.total_slept(), absl::Seconds(2));
}

TEST_F(DeployLockTest, AForeignContainerWithTheNameIsNeverTakenOverOrRemoved) {
  ship1_.AddImage("busybox");
  ASSERT_TRUE(ship1_.CreateContainer("maestro-lock.demo", {{"Image", "busybox"}}).ok());
  clock_.Advance(absl::Hours(24));
  auto alice = Take(Alice());
  ASSERT_FALSE(alice.ok());
  EXPECT_THAT(alice.status().message(), HasSubstr("that is not a maestro lease"));
  auto broken = BreakLease(ship1_, "demo");
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Names(ship1_), std::vector<std::string>{"maestro-lock.demo"});
}

TEST_F(DeployLockTest, TheRenewalThreadRenewsUntilReleased) {
  auto alice = Take(Alice());
  ASSERT_TRUE(alice.ok());
  std::atomic<int> errors{0};
  (*alice)->StartRenewing([&](const absl::Status&) { errors++; });
  // The FakeClock makes every renewal sleep instant: a few happen quickly. Bounded in time.
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (ship1_.CountCalls("CreateContainer") < 4 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_TRUE((*alice)->Release().ok());
  EXPECT_GE(ship1_.CountCalls("CreateContainer"), 4);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_TRUE(Names(ship1_).empty());
}

}  // namespace
}  // namespace maestro::lock
