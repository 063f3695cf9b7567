// End to end: a five-instance quorum "cluster" of busybox httpd servers (each serves /health;
// the leader, q3, has /leader, which the role probe looks for) rolled on the real daemon under
// `update: {parallelism: 1, quorum: majority, role: ..., failure: ...}`, while a probe thread
// checks every 100 ms that a majority answers /health over HTTP: by `restart`, and by `up` of a
// new version whose q2 fails its checks, under each failure action. Each time: the probe never
// saw the majority lost, the leader went last (where the rollout reached it), and every
// container is on the spec it must be on, nothing lost, nothing kept under another name.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"

namespace maestro::integration {
namespace {

constexpr char kEnvironment[] = R"(
__maestro: {schema: 2}
name: rollout-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 10}
services:
  quorum:
    image: "{{IMAGE}}"
    env: {VERSION: "{{VERSION}}"}
    lifecycle:
      running: [{type: http, port: http, path: /health, max_wait: 4}]
    update:
      parallelism: 1
      quorum: majority
      role: {type: rexec, command: "test -f /leader"}
      failure: {{FAILURE}}
    instances:
      "{{P}}q1": {ship: local, ports: {http: "8080:{{PORT1}}"}, command: &serve "sh -c 'mkdir -p /www && echo ok > /www/health && if [ -n \"$LEADER\" ]; then touch /leader; fi; exec httpd -f -p 8080 -h /www'", stop_timeout: 1}
      "{{P}}q2": {ship: local, ports: {http: "8080:{{PORT2}}"}, command: "{{Q2}}", stop_timeout: 1}
      "{{P}}q3": {ship: local, ports: {http: "8080:{{PORT3}}"}, command: *serve, stop_timeout: 1, env: {LEADER: "1"}}
      "{{P}}q4": {ship: local, ports: {http: "8080:{{PORT4}}"}, command: *serve, stop_timeout: 1}
      "{{P}}q5": {ship: local, ports: {http: "8080:{{PORT5}}"}, command: *serve, stop_timeout: 1}
)";

// q2's command: serving /health, or (the new version that fails) not.
constexpr char kServes[] =
    "sh -c 'mkdir -p /www && echo ok > /www/health && exec httpd -f -p 8080 -h /www'";
constexpr char kNoHealth[] = "sh -c 'mkdir -p /www && exec httpd -f -p 8080 -h /www'";

constexpr const char* kNames[] = {"q1", "q2", "q3", "q4", "q5"};

// Whether 127.0.0.1:port answers GET /health with a 200 within 500 ms.
bool Answers(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval tv{0, 500000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[64] = {};
      ssize_t n = ::read(fd, buf, sizeof buf - 1);
      ok = n > 12 && std::string(buf, n).find(" 200") != std::string::npos;
    }
  }
  ::close(fd);
  return ok;
}

// One fixture for every rollout of the cluster: the file at a version, the probe, and a look at
// every container.
class RolloutTest : public E2eTest {
 protected:
  struct Seen {
    std::string id;
    std::string version;  // VERSION of the container's env
    bool running = false;
    absl::Time started = absl::InfinitePast();
  };

  // The environment at `version`, rolled with `failure`, q2 running `q2`.
  std::string Write(const std::string& version, const std::string& failure, const std::string& q2) {
    std::map<std::string, std::string> vars = {
        {"VERSION", version}, {"FAILURE", failure}, {"Q2", q2}};
    for (int i = 1; i <= 5; ++i) vars[absl::StrCat("PORT", i)] = std::to_string(port_base_ + i);
    return WriteEnvironment(absl::StrCat("v", version, ".yaml"), kEnvironment, vars);
  }

  // Runs `args` on `file` while the probe asks every 100 ms how many of the five answer; the
  // fewest it saw is in worst_, the rounds in rounds_.
  RunResult RunProbed(const std::string& file, const std::vector<std::string>& args) {
    std::vector<int> ports;
    for (int i = 1; i <= 5; ++i) ports.push_back(port_base_ + i);
    std::atomic<bool> stop{false};
    std::atomic<int> rounds{0}, worst{5};
    std::thread probe([&] {
      // Bounded: at most 3000 rounds (5 minutes at 100 ms).
      for (int round = 0; round < 3000 && !stop.load(); ++round) {
        int up = 0;
        for (int port : ports) up += Answers(port) ? 1 : 0;
        worst = std::min(worst.load(), up);
        ++rounds;
        absl::SleepFor(absl::Milliseconds(100));
      }
    });
    RunResult result = RunMaestro(file, args, absl::Seconds(300));
    stop = true;
    probe.join();
    rounds_ = rounds.load();
    worst_ = worst.load();
    return result;
  }

  std::map<std::string, Seen> Look() {
    std::map<std::string, Seen> out;
    for (const char* name : kNames) {
      std::optional<nlohmann::json> c = Inspect(C(name));
      if (!c.has_value()) continue;
      Seen& s = out[name];
      s.id = (*c)["Id"].get<std::string>();
      s.running = (*c)["State"]["Running"].get<bool>();
      s.started = StartedAt(*c);
      for (const nlohmann::json& e : (*c)["Config"]["Env"]) {
        const std::string v = e.get<std::string>();
        if (v.rfind("VERSION=", 0) == 0) s.version = v.substr(8);
      }
      // Nothing kept under another name once the rollout is over.
      EXPECT_FALSE(Inspect(absl::StrCat(C(name), ".maestro-prev")).has_value()) << name;
    }
    return out;
  }

  // Starts version 1, then `up`s version 2 (q2's new container failing its checks) under
  // `failure` with the probe running; `before` is what the five were before the up.
  RunResult Roll(const std::string& failure, std::map<std::string, Seen>* before) {
    RunResult started = RunMaestro(Write("1", failure, kServes), {"start"}, absl::Seconds(120));
    EXPECT_EQ(started.exit_code, 0) << started.all();
    *before = Look();
    RunResult up = RunProbed(Write("2", failure, kNoHealth), {"up"});
    EXPECT_GT(rounds_, 5);
    EXPECT_GE(worst_, 3) << "a majority of 5 must answer at every probe\n" << up.all();
    return up;
  }

  int rounds_ = 0;
  int worst_ = 0;
};

TEST_F(RolloutTest, QuorumKeepsAMajorityAnsweringAndTheLeaderGoesLast) {
  std::string file = Write("1", "pause", kServes);
  RunResult started = RunMaestro(file, {"start"}, absl::Seconds(120));
  ASSERT_EQ(started.exit_code, 0) << started.all();
  std::map<std::string, Seen> before = Look();
  RunResult restarted = RunProbed(file, {"restart", "-s", "quorum"});
  ASSERT_EQ(restarted.exit_code, 0) << restarted.all();
  EXPECT_GT(rounds_, 5);
  EXPECT_GE(worst_, 3) << "a majority of 5 must answer at every probe";

  std::map<std::string, Seen> now = Look();
  ASSERT_EQ(now.size(), 5u) << "nothing lost";
  absl::Time latest_follower = absl::InfinitePast();
  for (const char* name : kNames) {
    EXPECT_TRUE(now[name].running) << name;
    EXPECT_GT(now[name].started, before[name].started) << name << " restarted";
    if (std::string(name) != "q3") latest_follower = std::max(latest_follower, now[name].started);
  }
  EXPECT_GT(now["q3"].started, latest_follower) << "the leader last\n" << restarted.out;
}

TEST_F(RolloutTest, FailurePauseStopsAtTheFailedInstanceBeforeTheLeader) {
  std::map<std::string, Seen> before;
  RunResult up = Roll("pause", &before);
  EXPECT_EQ(up.exit_code, 1) << up.all();
  EXPECT_NE(up.all().find(absl::StrCat("rollout paused at ", C("q2"), " (batch 2 of 5 of quorum)")),
            std::string::npos)
      << up.all();
  std::map<std::string, Seen> now = Look();
  ASSERT_EQ(now.size(), 5u) << "nothing lost";
  EXPECT_EQ(now["q1"].version, "2");
  EXPECT_NE(now["q1"].id, before["q1"].id);
  EXPECT_TRUE(now["q1"].running);
  EXPECT_EQ(now["q2"].version, "2") << "the failed one is left as it is, for a look";
  EXPECT_TRUE(now["q2"].running);
  for (const char* name : {"q3", "q4", "q5"}) {  // the leader q3 and the later followers
    EXPECT_EQ(now[name].id, before[name].id) << name << " never touched";
    EXPECT_EQ(now[name].version, "1") << name;
    EXPECT_TRUE(now[name].running) << name;
  }
}

TEST_F(RolloutTest, FailureContinueUpdatesTheRestAndTheLeaderLast) {
  std::map<std::string, Seen> before;
  RunResult up = Roll("continue", &before);
  EXPECT_EQ(up.exit_code, 1) << up.all();
  std::map<std::string, Seen> now = Look();
  ASSERT_EQ(now.size(), 5u) << "nothing lost";
  absl::Time latest_follower = absl::InfinitePast();
  for (const char* name : kNames) {
    EXPECT_EQ(now[name].version, "2") << name;
    EXPECT_NE(now[name].id, before[name].id) << name;
    EXPECT_TRUE(now[name].running) << name;
    if (std::string(name) != "q3") latest_follower = std::max(latest_follower, now[name].started);
  }
  EXPECT_GT(now["q3"].started, latest_follower) << "the leader last\n" << up.all();
}

TEST_F(RolloutTest, FailureRollbackPutsBackTheVeryOldContainers) {
  std::map<std::string, Seen> before;
  RunResult up = Roll("rollback", &before);
  EXPECT_EQ(up.exit_code, 1) << up.all();
  EXPECT_NE(up.all().find(absl::StrCat("rolled back: ", C("q1"), ", ", C("q2"))), std::string::npos)
      << up.all();
  std::map<std::string, Seen> now = Look();
  ASSERT_EQ(now.size(), 5u) << "nothing lost";
  for (const char* name : kNames) {
    EXPECT_EQ(now[name].id, before[name].id) << name;
    EXPECT_EQ(now[name].version, "1") << name;
    EXPECT_TRUE(now[name].running) << name;
  }
}

}  // namespace
}  // namespace maestro::integration
