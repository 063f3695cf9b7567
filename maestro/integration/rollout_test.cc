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
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"

namespace maestro::integration {
namespace {

constexpr char kShips[] = R"(
__maestro: {schema: 2}
name: rollout-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 10}
services:
)";

// The five-instance cluster, one service; @...@ are filled in per cluster (Cluster::Yaml).
constexpr char kCluster[] = R"(
  @SERVICE@:
    image: "{{IMAGE}}"
    env: {VERSION: "@VERSION@"}
    lifecycle:
      running: [{type: http, port: http, path: /health, max_wait: 4}]
    update:
      parallelism: 1
      quorum: majority
      role: {type: rexec, command: "test -f /leader"}
      failure: @FAILURE@
    instances:
      "{{P}}@K@q1": {ship: local, ports: {http: "8080:@PORT1@"}, command: &serve_@K@ "sh -c 'mkdir -p /www && echo ok > /www/health && if [ -n \"$LEADER\" ]; then touch /leader; fi; exec httpd -f -p 8080 -h /www'", stop_timeout: 1}
      "{{P}}@K@q2": {ship: local, ports: {http: "8080:@PORT2@"}, command: "@Q2@", stop_timeout: 1}
      "{{P}}@K@q3": {ship: local, ports: {http: "8080:@PORT3@"}, command: *serve_@K@, stop_timeout: 1, env: {LEADER: "1"}}
      "{{P}}@K@q4": {ship: local, ports: {http: "8080:@PORT4@"}, command: *serve_@K@, stop_timeout: 1}
      "{{P}}@K@q5": {ship: local, ports: {http: "8080:@PORT5@"}, command: *serve_@K@, stop_timeout: 1}
)";

// q2's command: serving /health, or (the new version that fails) not.
constexpr char kServes[] =
    "sh -c 'mkdir -p /www && echo ok > /www/health && exec httpd -f -p 8080 -h /www'";
constexpr char kNoHealth[] = "sh -c 'mkdir -p /www && exec httpd -f -p 8080 -h /www'";

constexpr const char* kNames[] = {"q1", "q2", "q3", "q4", "q5"};

// One instance of the cluster in the file: its service, the prefix of its instance names (after
// the test's own), its failure action and its host ports (port base + offset + 1..5).
struct Cluster {
  std::string service;
  std::string k;
  std::string failure;
  int offset = 0;
};

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

  int Port(const Cluster& c, int i) const { return port_base_ + c.offset + i; }

  // The environment at `version` with `clusters`, each q2 running `q2`.
  std::string Write(const std::vector<Cluster>& clusters, const std::string& version,
                    const std::string& q2) {
    std::string yaml = kShips;
    for (const Cluster& c : clusters) {
      std::vector<std::pair<std::string, std::string>> fill = {{"@SERVICE@", c.service},
                                                               {"@K@", c.k},
                                                               {"@FAILURE@", c.failure},
                                                               {"@VERSION@", version},
                                                               {"@Q2@", q2}};
      for (int i = 1; i <= 5; ++i) {
        fill.push_back({absl::StrCat("@PORT", i, "@"), std::to_string(Port(c, i))});
      }
      yaml += absl::StrReplaceAll(kCluster, fill);
    }
    return WriteEnvironment(absl::StrCat("v", version, ".yaml"), yaml);
  }

  // Runs `args` on `file` while the probe asks every 100 ms how many of each cluster's five
  // answer; the fewest it saw per cluster is in worst_, the rounds in rounds_.
  RunResult RunProbed(const std::vector<Cluster>& clusters, const std::string& file,
                      const std::vector<std::string>& args) {
    std::vector<std::vector<int>> ports;
    for (const Cluster& c : clusters) {
      ports.push_back({});
      for (int i = 1; i <= 5; ++i) ports.back().push_back(Port(c, i));
    }
    std::atomic<bool> stop{false};
    std::atomic<int> rounds{0};
    std::vector<int> worst(clusters.size(), 5);  // written by the probe only until joined
    std::thread probe([&] {
      // Bounded: at most 3000 rounds (5 minutes at 100 ms).
      for (int round = 0; round < 3000 && !stop.load(); ++round) {
        for (size_t c = 0; c < ports.size(); ++c) {
          int up = 0;
          for (int port : ports[c]) up += Answers(port) ? 1 : 0;
          worst[c] = std::min(worst[c], up);
        }
        ++rounds;
        absl::SleepFor(absl::Milliseconds(100));
      }
    });
    RunResult result = RunMaestro(file, args, absl::Seconds(300));
    stop = true;
    probe.join();
    rounds_ = rounds.load();
    worst_.clear();
    for (size_t c = 0; c < clusters.size(); ++c) worst_[clusters[c].service] = worst[c];
    return result;
  }

  std::map<std::string, Seen> Look(const Cluster& cluster) {
    std::map<std::string, Seen> out;
    for (const char* short_name : kNames) {
      const std::string name = C(cluster.k + short_name);
      std::optional<nlohmann::json> c = Inspect(name);
      if (!c.has_value()) continue;
      Seen& s = out[short_name];
      s.id = (*c)["Id"].get<std::string>();
      s.running = (*c)["State"]["Running"].get<bool>();
      s.started = StartedAt(*c);
      for (const nlohmann::json& e : (*c)["Config"]["Env"]) {
        const std::string v = e.get<std::string>();
        if (v.rfind("VERSION=", 0) == 0) s.version = v.substr(8);
      }
      // Nothing kept under another name once the rollout is over.
      EXPECT_FALSE(Inspect(absl::StrCat(name, ".maestro-prev")).has_value()) << name;
    }
    return out;
  }

  // The latest start among the followers (all but the leader q3).
  static absl::Time LatestFollower(std::map<std::string, Seen>& now) {
    absl::Time latest = absl::InfinitePast();
    for (const char* name : kNames) {
      if (std::string(name) != "q3") latest = std::max(latest, now[name].started);
    }
    return latest;
  }

  int rounds_ = 0;
  std::map<std::string, int> worst_;  // service -> fewest of its five that answered
};

TEST_F(RolloutTest, QuorumKeepsAMajorityAnsweringAndTheLeaderGoesLast) {
  const std::vector<Cluster> clusters = {{"quorum", "", "pause", 0}};
  std::string file = Write(clusters, "1", kServes);
  RunResult started = RunMaestro(file, {"start"}, absl::Seconds(120));
  ASSERT_EQ(started.exit_code, 0) << started.all();
  std::map<std::string, Seen> before = Look(clusters[0]);
  RunResult restarted = RunProbed(clusters, file, {"restart", "-s", "quorum"});
  ASSERT_EQ(restarted.exit_code, 0) << restarted.all();
  EXPECT_GT(rounds_, 5);
  EXPECT_GE(worst_["quorum"], 3) << "a majority of 5 must answer at every probe";

  std::map<std::string, Seen> now = Look(clusters[0]);
  ASSERT_EQ(now.size(), 5u) << "nothing lost";
  for (const char* name : kNames) {
    EXPECT_TRUE(now[name].running) << name;
    EXPECT_GT(now[name].started, before[name].started) << name << " restarted";
  }
  EXPECT_GT(now["q3"].started, LatestFollower(now)) << "the leader last\n" << restarted.out;
}

// The cluster three times in one file, one per failure action, rolled by one `up` of version 2
// whose q2 fails its running checks (the services roll side by side), the probe watching each.
TEST_F(RolloutTest, EachFailureActionKeepsAMajorityTheLeaderLastAndNothingHalfMade) {
  const Cluster pause{"qpause", "p", "pause", 0};
  const Cluster go_on{"qcontinue", "c", "continue", 10};
  const Cluster back{"qrollback", "r", "rollback", 20};
  const std::vector<Cluster> clusters = {pause, go_on, back};
  RunResult started = RunMaestro(Write(clusters, "1", kServes), {"start"}, absl::Seconds(180));
  ASSERT_EQ(started.exit_code, 0) << started.all();
  std::map<std::string, std::map<std::string, Seen>> before;
  for (const Cluster& c : clusters) before[c.service] = Look(c);

  RunResult up = RunProbed(clusters, Write(clusters, "2", kNoHealth), {"up"});
  EXPECT_EQ(up.exit_code, 1) << up.all();
  EXPECT_GT(rounds_, 5);
  for (const Cluster& c : clusters) {
    EXPECT_GE(worst_[c.service], 3) << c.service << ": a majority of 5 must answer at every probe";
  }

  // pause: q1 updated, q2 updated and failed (left as it is, for a look); the rollout stopped
  // there, before q4, q5 and the leader q3, which keep their very containers.
  EXPECT_NE(
      up.all().find(absl::StrCat("rollout paused at ", C("pq2"), " (batch 2 of 5 of qpause)")),
      std::string::npos)
      << up.all();
  {
    std::map<std::string, Seen> now = Look(pause), was = before[pause.service];
    ASSERT_EQ(now.size(), 5u) << "nothing lost";
    EXPECT_EQ(now["q1"].version, "2");
    EXPECT_NE(now["q1"].id, was["q1"].id);
    EXPECT_EQ(now["q2"].version, "2");
    for (const char* name : kNames) EXPECT_TRUE(now[name].running) << name;
    for (const char* name : {"q3", "q4", "q5"}) {
      EXPECT_EQ(now[name].id, was[name].id) << name << " never touched";
      EXPECT_EQ(now[name].version, "1") << name;
    }
  }
  // continue: every instance on version 2 (q2 failing), the leader last.
  {
    std::map<std::string, Seen> now = Look(go_on), was = before[go_on.service];
    ASSERT_EQ(now.size(), 5u) << "nothing lost";
    for (const char* name : kNames) {
      EXPECT_EQ(now[name].version, "2") << name;
      EXPECT_NE(now[name].id, was[name].id) << name;
      EXPECT_TRUE(now[name].running) << name;
    }
    EXPECT_GT(now["q3"].started, LatestFollower(now)) << "the leader last\n" << up.all();
  }
  // rollback: q1 and q2 put back on their very containers; q4, q5 and the leader never touched.
  EXPECT_NE(up.all().find(absl::StrCat("rolled back: ", C("rq1"), ", ", C("rq2"))),
            std::string::npos)
      << up.all();
  {
    std::map<std::string, Seen> now = Look(back), was = before[back.service];
    ASSERT_EQ(now.size(), 5u) << "nothing lost";
    for (const char* name : kNames) {
      EXPECT_EQ(now[name].id, was[name].id) << name;
      EXPECT_EQ(now[name].version, "1") << name;
      EXPECT_TRUE(now[name].running) << name;
    }
  }
}

}  // namespace
}  // namespace maestro::integration
