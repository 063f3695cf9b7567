// End to end: a five-instance quorum "cluster" of busybox httpd servers rolled by `restart` under
// `update: {parallelism: 1, quorum: majority, role: ...}` on the real daemon, while a probe
// thread checks every 100 ms that a majority answers over HTTP; the leader (the instance with
// /leader) is updated last. And `up` of a new version whose second instance fails its checks,
// under each failure action: what is left running, on which spec.
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
    lifecycle:
      running: [{type: http, port: http, path: /health, max_wait: 20}]
    update:
      parallelism: 1
      quorum: majority
      role: {type: rexec, command: "test -f /leader"}
      monitor: 1s
    instances:
      "{{P}}q1": {ship: local, ports: {http: "8080:{{PORT1}}"}, command: &serve "sh -c 'mkdir -p /www && echo ok > /www/health && if [ -n \"$LEADER\" ]; then touch /leader; fi; exec httpd -f -p 8080 -h /www'", stop_timeout: 1}
      "{{P}}q2": {ship: local, ports: {http: "8080:{{PORT2}}"}, command: *serve, stop_timeout: 1}
      "{{P}}q3": {ship: local, ports: {http: "8080:{{PORT3}}"}, command: *serve, stop_timeout: 1, env: {LEADER: "1"}}
      "{{P}}q4": {ship: local, ports: {http: "8080:{{PORT4}}"}, command: *serve, stop_timeout: 1}
      "{{P}}q5": {ship: local, ports: {http: "8080:{{PORT5}}"}, command: *serve, stop_timeout: 1}
)";

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

class RolloutTest : public E2eTest {};

TEST_F(RolloutTest, QuorumKeepsAMajorityAnsweringAndTheLeaderGoesLast) {
  std::map<std::string, std::string> ports;
  std::vector<int> numbers;
  for (int i = 1; i <= 5; ++i) {
    numbers.push_back(port_base_ + i);
    ports[absl::StrCat("PORT", i)] = std::to_string(port_base_ + i);
  }
  std::string file = WriteEnvironment("rollout.yaml", kEnvironment, ports);
  RunResult started = RunMaestro(file, {"start"}, absl::Seconds(120));
  ASSERT_EQ(started.exit_code, 0) << started.all();

  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0}, worst{5};
  std::thread probe([&] {
    // Bounded: at most 3000 rounds (5 minutes at 100 ms).
    for (int round = 0; round < 3000 && !stop.load(); ++round) {
      int up = 0;
      for (int port : numbers) up += Answers(port) ? 1 : 0;
      worst = std::min(worst.load(), up);
      ++rounds;
      absl::SleepFor(absl::Milliseconds(100));
    }
  });
  RunResult restarted = RunMaestro(file, {"restart", "-s", "quorum"}, absl::Seconds(400));
  stop = true;
  probe.join();
  ASSERT_EQ(restarted.exit_code, 0) << restarted.all();
  EXPECT_GT(rounds.load(), 5);
  EXPECT_GE(worst.load(), 3) << "a majority of 5 must answer at every probe";

  // The leader was the last to start again.
  absl::Time leader = absl::InfinitePast(), latest_follower = absl::InfinitePast();
  for (int i = 1; i <= 5; ++i) {
    std::optional<nlohmann::json> c = Inspect(C(absl::StrCat("q", i)));
    ASSERT_TRUE(c.has_value()) << i;
    EXPECT_EQ((*c)["State"]["Running"], true) << i;
    if (i == 3) {
      leader = StartedAt(*c);
    } else {
      latest_follower = std::max(latest_follower, StartedAt(*c));
    }
  }
  EXPECT_GT(leader, latest_follower) << restarted.out;
}

// Three instances rolled one at a time by `up` (a changed VERSION re-creates each running one)
// where the new f2 does not serve /health: its running check fails.
constexpr char kFailingEnvironment[] = R"(
__maestro: {schema: 2}
name: rollout-fail-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 10}
services:
  quorum:
    image: "{{IMAGE}}"
    env: {VERSION: "{{VERSION}}"}
    lifecycle:
      running: [{type: http, port: http, path: /health, max_wait: 4}]
    update: {parallelism: 1, failure: {{FAILURE}}}
    instances:
      "{{P}}f1": {ship: local, ports: {http: "8080:{{PORT1}}"}, command: &serve "sh -c 'mkdir -p /www && echo ok > /www/health && exec httpd -f -p 8080 -h /www'", stop_timeout: 1}
      "{{P}}f2": {ship: local, ports: {http: "8080:{{PORT2}}"}, command: "{{F2}}", stop_timeout: 1}
      "{{P}}f3": {ship: local, ports: {http: "8080:{{PORT3}}"}, command: *serve, stop_timeout: 1}
)";

constexpr char kServes[] =
    "sh -c 'mkdir -p /www && echo ok > /www/health && exec httpd -f -p 8080 -h /www'";
constexpr char kNoHealth[] = "sh -c 'mkdir -p /www && exec httpd -f -p 8080 -h /www'";

class RolloutFailureTest : public E2eTest {
 protected:
  struct Seen {
    std::string id;
    std::string version;  // VERSION of the container's env
    bool running = false;
  };

  // Starts version 1, then `up`s version 2 (f2's new container failing its checks) under
  // `failure`; returns the up's result, and what each of f1..f3 was before (`before`).
  RunResult Roll(const std::string& failure, std::map<std::string, Seen>* before) {
    std::map<std::string, std::string> vars = {
        {"FAILURE", failure}, {"VERSION", "1"}, {"F2", kServes}};
    for (int i = 1; i <= 3; ++i) vars[absl::StrCat("PORT", i)] = std::to_string(port_base_ + i);
    std::string v1 = WriteEnvironment("v1.yaml", kFailingEnvironment, vars);
    RunResult started = RunMaestro(v1, {"start"}, absl::Seconds(120));
    EXPECT_EQ(started.exit_code, 0) << started.all();
    *before = Look();
    vars["VERSION"] = "2";
    vars["F2"] = kNoHealth;
    std::string v2 = WriteEnvironment("v2.yaml", kFailingEnvironment, vars);
    return RunMaestro(v2, {"up"}, absl::Seconds(300));
  }

  std::map<std::string, Seen> Look() {
    std::map<std::string, Seen> out;
    for (const char* name : {"f1", "f2", "f3"}) {
      std::optional<nlohmann::json> c = Inspect(C(name));
      if (!c.has_value()) continue;
      Seen& s = out[name];
      s.id = (*c)["Id"].get<std::string>();
      s.running = (*c)["State"]["Running"].get<bool>();
      for (const nlohmann::json& e : (*c)["Config"]["Env"]) {
        const std::string v = e.get<std::string>();
        if (v.rfind("VERSION=", 0) == 0) s.version = v.substr(8);
      }
    }
    // Nothing kept under another name once the rollout is over.
    for (const char* name : {"f1", "f2", "f3"}) {
      EXPECT_FALSE(Inspect(absl::StrCat(C(name), ".maestro-prev")).has_value()) << name;
    }
    return out;
  }
};

TEST_F(RolloutFailureTest, PauseLeavesTheRestOnTheOldSpec) {
  std::map<std::string, Seen> before;
  RunResult up = Roll("pause", &before);
  EXPECT_EQ(up.exit_code, 1) << up.all();
  EXPECT_NE(up.all().find(absl::StrCat("rollout paused at ", C("f2"))), std::string::npos)
      << up.all();
  std::map<std::string, Seen> now = Look();
  ASSERT_EQ(now.size(), 3u) << "nothing lost";
  EXPECT_EQ(now["f1"].version, "2");
  EXPECT_TRUE(now["f1"].running);
  EXPECT_EQ(now["f2"].version, "2") << "the failed one is left as it is, for a look";
  EXPECT_TRUE(now["f2"].running);
  EXPECT_EQ(now["f3"].id, before["f3"].id) << "never touched";
  EXPECT_EQ(now["f3"].version, "1");
  EXPECT_TRUE(now["f3"].running);
}

TEST_F(RolloutFailureTest, ContinueUpdatesTheRest) {
  std::map<std::string, Seen> before;
  RunResult up = Roll("continue", &before);
  EXPECT_EQ(up.exit_code, 1) << up.all();
  std::map<std::string, Seen> now = Look();
  ASSERT_EQ(now.size(), 3u) << "nothing lost";
  for (const char* name : {"f1", "f2", "f3"}) {
    EXPECT_EQ(now[name].version, "2") << name;
    EXPECT_NE(now[name].id, before[name].id) << name;
    EXPECT_TRUE(now[name].running) << name;
  }
}

TEST_F(RolloutFailureTest, RollbackPutsBackTheVeryOldContainers) {
  std::map<std::string, Seen> before;
  RunResult up = Roll("rollback", &before);
  EXPECT_EQ(up.exit_code, 1) << up.all();
  EXPECT_NE(up.all().find(absl::StrCat("rolled back: ", C("f1"), ", ", C("f2"))), std::string::npos)
      << up.all();
  std::map<std::string, Seen> now = Look();
  ASSERT_EQ(now.size(), 3u) << "nothing lost";
  for (const char* name : {"f1", "f2", "f3"}) {
    EXPECT_EQ(now[name].id, before[name].id) << name;
    EXPECT_EQ(now[name].version, "1") << name;
    EXPECT_TRUE(now[name].running) << name;
  }
}

}  // namespace
}  // namespace maestro::integration
