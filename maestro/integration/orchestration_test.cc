// End to end: the multi-ship zookeeper/kafka example (four transports of one daemon), the
// dependency order of start / stop / restart read back from the containers' State times, the
// injected environment against `maestro dump`, and `restart --only-if-changed`.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class OrchestrationTest : public E2eTest {
 protected:
  std::vector<std::string> zk() { return {C("zk-1"), C("zk-2"), C("zk-3")}; }
  std::vector<std::string> kafka() { return {C("kafka-1"), C("kafka-2")}; }
  std::vector<std::string> tools() { return {C("tools-1")}; }
  std::vector<std::string> all() {
    std::vector<std::string> v = zk();
    for (auto& k : kafka()) v.push_back(k);
    for (auto& t : tools()) v.push_back(t);
    return v;
  }

  std::map<std::string, nlohmann::json> InspectAll() {
    std::map<std::string, nlohmann::json> out;
    for (const std::string& name : all()) {
      std::optional<nlohmann::json> j = Inspect(name);
      EXPECT_TRUE(j.has_value()) << name << " does not exist";
      if (j) out[name] = *j;
    }
    return out;
  }
};

absl::Time Latest(const std::map<std::string, nlohmann::json>& in,
                  const std::vector<std::string>& names, absl::Time (*get)(const nlohmann::json&)) {
  absl::Time t = absl::InfinitePast();
  for (const auto& n : names) t = std::max(t, get(in.at(n)));
  return t;
}

absl::Time Earliest(const std::map<std::string, nlohmann::json>& in,
                    const std::vector<std::string>& names,
                    absl::Time (*get)(const nlohmann::json&)) {
  absl::Time t = absl::InfiniteFuture();
  for (const auto& n : names) t = std::min(t, get(in.at(n)));
  return t;
}

TEST_F(OrchestrationTest, MultiShipStartOrderEnvironmentAndStopOrder) {
  std::string file = WriteEnvironment("zk.yaml", ReadTemplate("zk_kafka.yaml"));

  RunResult start = RunMaestro(file, {"start"});
  ASSERT_EQ(start.exit_code, 0) << start.all();
  for (const std::string& name : all()) {
    EXPECT_THAT(LastLine(start.out, name), HasSubstr("started")) << start.out;
  }

  std::map<std::string, nlohmann::json> c = InspectAll();
  ASSERT_EQ(c.size(), all().size());
  for (const auto& [name, j] : c) {
    EXPECT_TRUE(j["State"]["Running"].get<bool>()) << name;
  }
  // Every zookeeper started before any kafka, every kafka before tools.
  EXPECT_LT(Latest(c, zk(), StartedAt), Earliest(c, kafka(), StartedAt));
  EXPECT_LT(Latest(c, kafka(), StartedAt), Earliest(c, tools(), StartedAt));

  // The injected environment is exactly what `maestro dump` says (plus the image's own env).
  RunResult dump = RunMaestro(file, {"dump"});
  ASSERT_EQ(dump.exit_code, 0) << dump.all();
  nlohmann::json doc = nlohmann::json::parse(dump.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << dump.out;
  absl::StatusOr<docker::ImageInspect> image = Docker().InspectImage(Env()->image);
  ASSERT_TRUE(image.ok()) << image.status();
  std::set<std::string> image_env;
  if (image->raw["Config"]["Env"].is_array()) {
    for (const auto& e : image->raw["Config"]["Env"]) image_env.insert(e.get<std::string>());
  }
  int seen = 0;
  for (const auto& inst : doc["instances"]) {
    std::string name = inst["name"];
    ASSERT_TRUE(c.count(name)) << name;
    std::set<std::string> want;
    for (const auto& e : inst["docker_env"]) want.insert(e.get<std::string>());
    std::set<std::string> got;
    for (const std::string& e : EnvList(c[name])) {
      if (!image_env.count(e) || want.count(e)) got.insert(e);
    }
    EXPECT_EQ(got, want) << name;
    ++seen;
  }
  EXPECT_EQ(seen, static_cast<int>(all().size()));

  // The MaestroNG variables themselves.
  std::vector<std::string> kafka1 = EnvList(c[C("kafka-1")]);
  const std::string zk_instances =
      absl::StrCat("ZOOKEEPER_INSTANCES=", C("zk-1"), ",", C("zk-2"), ",", C("zk-3"));
  EXPECT_THAT(kafka1, Contains(zk_instances));
  EXPECT_THAT(kafka1, Contains(absl::StrCat("ZOOKEEPER_", V("zk-1"), "_HOST=127.0.0.1")));
  EXPECT_THAT(kafka1, Contains(absl::StrCat("ZOOKEEPER_", V("zk-2"), "_HOST=127.0.0.2")));
  EXPECT_THAT(kafka1, Contains(absl::StrCat("ZOOKEEPER_", V("zk-3"), "_HOST=127.0.0.3")));
  EXPECT_THAT(kafka1,
              Contains(absl::StrCat("ZOOKEEPER_", V("zk-1"), "_CLIENT_PORT=", port_base_ + 1)));
  EXPECT_THAT(kafka1,
              Contains(absl::StrCat("ZOOKEEPER_", V("zk-3"), "_CLIENT_PORT=", port_base_ + 3)));
  // Internal ports go to peers only.
  EXPECT_THAT(kafka1,
              Not(Contains(absl::StrCat("ZOOKEEPER_", V("zk-1"), "_CLIENT_INTERNAL_PORT=2181"))));
  EXPECT_THAT(kafka1, Contains(absl::StrCat("KAFKA_", V("kafka-1"), "_BROKER_INTERNAL_PORT=9092")));
  EXPECT_THAT(kafka1, Contains(absl::StrCat("KAFKA_", V("kafka-2"), "_BROKER_INTERNAL_PORT=9092")));
  EXPECT_THAT(kafka1,
              Contains(absl::StrCat("KAFKA_", V("kafka-1"), "_BROKER_PORT=", port_base_ + 11)));
  EXPECT_THAT(kafka1, Contains(absl::StrCat("KAFKA_", V("kafka-2"), "_HOST=127.0.0.1")));
  EXPECT_THAT(kafka1, Contains(absl::StrCat("KAFKA_INSTANCES=", C("kafka-1"), ",", C("kafka-2"))));
  EXPECT_THAT(kafka1, Contains("CONTAINER_HOST_ADDRESS=127.0.0.4"));
  EXPECT_THAT(kafka1, Contains(absl::StrCat("CONTAINER_NAME=", C("kafka-1"))));
  EXPECT_THAT(kafka1, Contains("SERVICE_NAME=kafka"));
  EXPECT_THAT(kafka1, Contains("MAESTRO_ENVIRONMENT_NAME=zk-kafka-e2e"));
  EXPECT_THAT(kafka1, Contains(absl::StrCat("DOCKER_IMAGE=", Env()->image)));
  EXPECT_THAT(kafka1, Contains("DOCKER_TAG=latest"));
  EXPECT_THAT(kafka1, Contains("BROKER_HEAP=1G"));
  EXPECT_THAT(kafka1, Not(Contains("ZOO_TICK=2000")));

  std::vector<std::string> zk2 = EnvList(c[C("zk-2")]);
  EXPECT_THAT(zk2, Contains(absl::StrCat("ZOOKEEPER_", V("zk-2"), "_CLIENT_INTERNAL_PORT=2181")));
  EXPECT_THAT(zk2,
              Contains(absl::StrCat("ZOOKEEPER_", V("zk-2"), "_CLIENT_PORT=", port_base_ + 2)));
  EXPECT_THAT(zk2, Contains(zk_instances));
  EXPECT_THAT(zk2, Contains("ZOO_TICK=2000"));
  EXPECT_THAT(zk2, Contains("CONTAINER_HOST_ADDRESS=127.0.0.2"));
  EXPECT_THAT(zk2, Not(Contains(::testing::StartsWith("KAFKA_"))));

  // The third tier sees both tiers below it (transitive requires).
  std::vector<std::string> tools1 = EnvList(c[C("tools-1")]);
  EXPECT_THAT(tools1, Contains(zk_instances));
  EXPECT_THAT(tools1,
              Contains(absl::StrCat("KAFKA_", V("kafka-2"), "_BROKER_PORT=", port_base_ + 12)));
  EXPECT_THAT(tools1, Contains("TOOLS_INSTANCES=" + C("tools-1")));

  // status --format json: every container running, ids match.
  RunResult status = RunMaestro(file, {"status", "--format", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.all();
  nlohmann::json st = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_FALSE(st.is_discarded()) << status.out;
  ASSERT_EQ(st["results"].size(), all().size()) << status.out;
  for (const auto& r : st["results"]) {
    std::string name = r["instance"];
    EXPECT_EQ(r["state"], "running") << name;
    EXPECT_EQ(r["container_id"], c[name]["Id"]) << name;
  }

  // stop -a: dependents stopped first (FinishedAt), all stopped.
  RunResult stop = RunMaestro(file, {"stop", "-a"});
  ASSERT_EQ(stop.exit_code, 0) << stop.all();
  c = InspectAll();
  for (const auto& [name, j] : c) {
    EXPECT_FALSE(j["State"]["Running"].get<bool>()) << name;
    EXPECT_THAT(LastLine(stop.out, name), HasSubstr("stopped")) << stop.out;
  }
  EXPECT_LT(Latest(c, tools(), FinishedAt), Earliest(c, kafka(), FinishedAt));
  EXPECT_LT(Latest(c, kafka(), FinishedAt), Earliest(c, zk(), FinishedAt));
  // Stop rows are numbered len - index: the first-started container is row 1... the tools row
  // (stopped first) has the highest number in start order but is listed first.
  EXPECT_THAT(stop.out, HasSubstr(absl::StrCat("  6. ", C("tools-1")))) << stop.out;
}

constexpr char kRestartYaml[] = R"(
__maestro: {schema: 2}
name: restart-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 10}
services:
  base:
    image: "{{BASE_IMAGE}}"
    instances:
      "{{P}}base-1":
        ship: local
        command: sleep 1000
        stop_timeout: 1
        env: {MODE: one}
  mid:
    image: "{{IMAGE}}"
    requires: [base]
    instances:
      "{{P}}mid-1":
        ship: local
        command: sleep 1000
        stop_timeout: 1
        env: {FOO: "{{FOO}}"}
  top:
    image: "{{IMAGE}}"
    requires: [mid]
    instances:
      "{{P}}top-1": {ship: local, command: sleep 1000, stop_timeout: 1}
)";

TEST_F(OrchestrationTest, RestartOnlyIfChangedAndRestartOrder) {
  std::map<std::string, std::string> v1 = {{"BASE_IMAGE", Env()->image}, {"FOO", "1"}};
  std::string file = WriteEnvironment("r.yaml", kRestartYaml, v1);
  RunResult start = RunMaestro(file, {"start"});
  ASSERT_EQ(start.exit_code, 0) << start.all();
  auto id = [](const std::string& name) {
    std::optional<nlohmann::json> j = Inspect(name);
    return j ? (*j)["Id"].get<std::string>() : std::string("absent");
  };
  const std::string base0 = id(C("base-1")), mid0 = id(C("mid-1")), top0 = id(C("top-1"));

  // Nothing changed: same containers, "up to date".
  RunResult same = RunMaestro(file, {"restart", "--only-if-changed", "-a"});
  ASSERT_EQ(same.exit_code, 0) << same.all();
  EXPECT_EQ(id(C("base-1")), base0);
  EXPECT_EQ(id(C("mid-1")), mid0);
  EXPECT_EQ(id(C("top-1")), top0);
  for (const char* n : {"base-1", "mid-1", "top-1"}) {
    EXPECT_THAT(LastLine(same.out, C(n)), HasSubstr("up to date")) << same.out;
  }

  // An env value changed on mid-1: only mid-1 is recreated, and the output says why.
  std::map<std::string, std::string> v2 = {{"BASE_IMAGE", Env()->image}, {"FOO", "2"}};
  file = WriteEnvironment("r.yaml", kRestartYaml, v2);
  RunResult env_changed = RunMaestro(file, {"restart", "--only-if-changed", "-a"});
  ASSERT_EQ(env_changed.exit_code, 0) << env_changed.all();
  EXPECT_EQ(id(C("base-1")), base0);
  EXPECT_EQ(id(C("top-1")), top0);
  const std::string mid1 = id(C("mid-1"));
  EXPECT_NE(mid1, mid0);
  EXPECT_THAT(EnvList(*Inspect(C("mid-1"))), Contains("FOO=2"));
  EXPECT_THAT(env_changed.out, HasSubstr("FOO")) << env_changed.out;
  EXPECT_THAT(LastLine(env_changed.out, C("mid-1")), HasSubstr("started")) << env_changed.out;

  // The image of base-1 changed to :v2: base-1 is recreated from v2.
  std::map<std::string, std::string> v3 = {{"BASE_IMAGE", Env()->image_v2}, {"FOO", "2"}};
  file = WriteEnvironment("r.yaml", kRestartYaml, v3);
  RunResult image_changed = RunMaestro(file, {"restart", "--only-if-changed", "-a"});
  ASSERT_EQ(image_changed.exit_code, 0) << image_changed.all();
  std::optional<nlohmann::json> base = Inspect(C("base-1"));
  ASSERT_TRUE(base.has_value());
  EXPECT_NE((*base)["Id"], base0);
  EXPECT_EQ((*base)["Config"]["Image"], Env()->image_v2);
  EXPECT_EQ(id(C("mid-1")), mid1);
  EXPECT_THAT(image_changed.out, HasSubstr("image")) << image_changed.out;

  // A plain restart of everything (reusing the containers so their State times survive):
  // dependents stopped first, dependencies started first.
  RunResult restart = RunMaestro(file, {"restart", "--reuse", "-a"});
  ASSERT_EQ(restart.exit_code, 0) << restart.all();
  std::optional<nlohmann::json> b = Inspect(C("base-1")), m = Inspect(C("mid-1")),
                                t = Inspect(C("top-1"));
  ASSERT_TRUE(b && m && t);
  for (const auto* j : {&*b, &*m, &*t}) EXPECT_TRUE((*j)["State"]["Running"].get<bool>());
  EXPECT_LT(FinishedAt(*t), FinishedAt(*m));
  EXPECT_LT(FinishedAt(*m), FinishedAt(*b));
  EXPECT_LT(StartedAt(*b), StartedAt(*m));
  EXPECT_LT(StartedAt(*m), StartedAt(*t));
  // The dependency is stopped only after its dependent, and started before it: so each
  // dependent was down while its dependency restarted.
  EXPECT_LT(FinishedAt(*t), StartedAt(*b));
}

// docs/ships.md documents `ssh_tunnel.socket_path` (direct-streamlocal to the remote socket).
// docker_port points at a closed port, so ignoring the key cannot pass by accident.
TEST_F(OrchestrationTest, SshTunnelSocketPathAsDocumented) {
  std::string file = WriteEnvironment("ssh.yaml", R"(
__maestro: {schema: 2}
name: ssh-e2e
ships:
  tunneled:
    ip: 127.0.0.3
    endpoint: "{{SSH_HOST}}"
    docker_port: 1
    timeout: 5
    ssh_tunnel:
      user: "{{SSH_USER}}"
      key: "{{SSH_KEY}}"
      port: {{SSH_PORT}}
      known_hosts: "{{SSH_KNOWN_HOSTS}}"
      socket_path: "{{SOCKET}}"
services:
  one:
    image: "{{IMAGE}}"
    instances:
      "{{P}}one": {ship: tunneled, command: sleep 1000, stop_timeout: 1}
)");
  RunResult start = RunMaestro(file, {"start"});
  EXPECT_THAT(start.err, Not(HasSubstr("unknown key 'socket_path'"))) << start.err;
  EXPECT_EQ(start.exit_code, 0) << start.all();
  std::optional<nlohmann::json> c = Inspect(C("one"));
  ASSERT_TRUE(c.has_value()) << start.all();
  EXPECT_TRUE((*c)["State"]["Running"].get<bool>());
}

// Regression: with `docker_host: ssh://...` the key, known_hosts and keepalive of ssh_tunnel
// were dropped between the loader and the connection ("Missing SSH key", shown only as "host
// down" in the middle of a play). The URL's path is the remote socket (direct-streamlocal).
TEST_F(OrchestrationTest, SshDockerHostUsesTheTunnelKey) {
  std::string file = WriteEnvironment("ssh-docker-host.yaml", R"(
__maestro: {schema: 2}
name: ssh-docker-host-e2e
ships:
  tunneled:
    ip: 127.0.0.3
    docker_host: "ssh://{{SSH_USER}}@{{SSH_HOST}}:{{SSH_PORT}}{{SOCKET}}"
    timeout: 5
    ssh_tunnel:
      key: "{{SSH_KEY}}"
      known_hosts: "{{SSH_KNOWN_HOSTS}}"
      keepalive: 10
services:
  one:
    image: "{{IMAGE}}"
    instances:
      "{{P}}sshurl": {ship: tunneled, command: sleep 1000, stop_timeout: 1}
)");
  RunResult start = RunMaestro(file, {"start"});
  EXPECT_EQ(start.exit_code, 0) << start.all();
  std::optional<nlohmann::json> c = Inspect(C("sshurl"));
  ASSERT_TRUE(c.has_value()) << start.all();
  EXPECT_TRUE((*c)["State"]["Running"].get<bool>());
  RunResult status = RunMaestro(file, {"status"});
  EXPECT_EQ(status.exit_code, 0) << status.all();
  EXPECT_THAT(status.out, Not(HasSubstr("host down"))) << status.all();
}

}  // namespace
}  // namespace maestro::integration
