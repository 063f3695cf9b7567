// End to end: every instance key's effect on the container the real daemon created
// (testdata/integration/instance_keys.yaml; one start, many assertions).
#include <string>
#include <vector>

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
using ::testing::UnorderedElementsAre;

nlohmann::json Binding(const std::string& ip, int port) {
  return nlohmann::json::array({{{"HostIp", ip}, {"HostPort", std::to_string(port)}}});
}

std::vector<std::string> Strings(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& e : j) out.push_back(e.get<std::string>());
  }
  return out;
}

class InstanceKeysTest : public E2eTest {};

TEST_F(InstanceKeysTest, EveryKeyReachesTheContainer) {
  ASSERT_TRUE(WriteFile(dir_ + "/app.env", "FROM_FILE=file\n# a comment\nOVERRIDDEN=file\n"));
  ASSERT_EQ(Shell(absl::StrCat("mkdir -p ", dir_, "/ro ", dir_, "/rw && echo ok")), "ok\n");
  std::string file = WriteEnvironment("keys.yaml", ReadTemplate("instance_keys.yaml"));
  RunResult start = RunMaestro(file, {"start"});
  ASSERT_EQ(start.exit_code, 0) << start.all();

  auto get = [&](const std::string& n) {
    std::optional<nlohmann::json> j = Inspect(C(n));
    EXPECT_TRUE(j.has_value()) << C(n);
    if (j) {
      EXPECT_TRUE((*j)["State"]["Running"].get<bool>()) << C(n);
    }
    return j.value_or(nlohmann::json::object());
  };

  // ports: exposed:external, a bound address, a range, udp.
  {
    nlohmann::json c = get("ports");
    const nlohmann::json& pb = c["HostConfig"]["PortBindings"];
    EXPECT_EQ(pb["80/tcp"], Binding("0.0.0.0", port_base_ + 1)) << pb.dump();
    EXPECT_EQ(pb["81/tcp"], Binding("127.0.0.1", port_base_ + 2)) << pb.dump();
    EXPECT_EQ(pb["53/udp"], Binding("0.0.0.0", port_base_ + 3)) << pb.dump();
    EXPECT_EQ(pb["7000/tcp"], Binding("0.0.0.0", port_base_ + 10)) << pb.dump();
    EXPECT_EQ(pb["7002/tcp"], Binding("0.0.0.0", port_base_ + 12)) << pb.dump();
    for (const char* p : {"80/tcp", "81/tcp", "53/udp", "7000/tcp", "7001/tcp", "7002/tcp"}) {
      EXPECT_TRUE(c["Config"]["ExposedPorts"].contains(p)) << p;
    }
    // command as a list; hostname defaults to the container name.
    EXPECT_EQ(Strings(c["Config"]["Cmd"]), (std::vector<std::string>{"sleep", "1000"}));
    EXPECT_EQ(c["Config"]["Hostname"], C("ports"));
    EXPECT_EQ(c["HostConfig"]["RestartPolicy"]["Name"], "no");
  }

  // volumes (schema 2 ro / rw), container_volumes, volumes_from, env/envfile, workdir, user,
  // labels, a string command.
  {
    nlohmann::json c = get("files");
    EXPECT_THAT(Strings(c["HostConfig"]["Binds"]),
                UnorderedElementsAre(absl::StrCat(dir_, "/ro:/data/ro:ro"),
                                     absl::StrCat(dir_, "/rw:/data/rw:rw")));
    EXPECT_TRUE(c["Config"]["Volumes"].contains("/scratch"));
    EXPECT_TRUE(c["Config"]["Volumes"].contains("/data/ro"));
    EXPECT_EQ(Strings(c["HostConfig"]["VolumesFrom"]), std::vector<std::string>{C("data")});
    bool shared = false;
    for (const auto& m : c["Mounts"]) {
      if (m.value("Destination", "") == "/shared") shared = true;
    }
    EXPECT_TRUE(shared) << "volumes_from did not bring /shared: " << c["Mounts"].dump();
    std::vector<std::string> env = EnvList(c);
    EXPECT_THAT(env, Contains("FROM_FILE=file"));
    EXPECT_THAT(env, Contains("OVERRIDDEN=instance"));  // env over envfile over service env
    EXPECT_THAT(env, Contains("SERVICE_LEVEL=svc"));
    EXPECT_THAT(env, Contains("NUMBER=42"));
    EXPECT_THAT(env, Not(Contains("OVERRIDDEN=file")));
    // Link variables of peers, with ranges and udp ports.
    EXPECT_THAT(env, Contains(absl::StrCat("KEYS_", V("ports"), "_RANGE_PORT=", port_base_ + 10,
                                           "-", port_base_ + 12)));
    EXPECT_THAT(env, Contains(absl::StrCat("KEYS_", V("ports"), "_RANGE_INTERNAL_PORT=7000-7002")));
    EXPECT_THAT(env, Contains(absl::StrCat("KEYS_", V("ports"), "_DNS_PORT=", port_base_ + 3)));
    EXPECT_EQ(c["Config"]["WorkingDir"], "/data");
    EXPECT_EQ(c["Config"]["User"], "nobody");
    EXPECT_EQ(c["Config"]["Labels"]["tier"], "files");
    EXPECT_EQ(c["Config"]["Labels"]["maestro.test"], "1");
    EXPECT_EQ(Strings(c["Config"]["Cmd"]), (std::vector<std::string>{"sh", "-c", "sleep 1000"}));
    // The read-only bind really is read-only inside, the rw one writable.
    int code = 0;
    Shell(absl::StrCat("docker exec ", C("files"), " touch /data/ro/x 2>/dev/null"), &code);
    EXPECT_NE(code, 0);
    Shell(absl::StrCat("docker exec -u 0 ", C("files"), " touch /data/rw/x"), &code);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(ReadFile(dir_ + "/rw/x"), "");
  }

  // cap_add/cap_drop, extra_hosts (including {ship: x}), dns, restart retries, limits,
  // ulimits, log_driver/log_opt, security_opt, list labels.
  {
    nlohmann::json c = get("host");
    const nlohmann::json& h = c["HostConfig"];
    EXPECT_THAT(Strings(h["CapAdd"]), UnorderedElementsAre("NET_ADMIN", "SYS_TIME"));
    EXPECT_THAT(Strings(h["CapDrop"]), UnorderedElementsAre("MKNOD"));
    EXPECT_THAT(Strings(h["ExtraHosts"]),
                UnorderedElementsAre("db.local:10.1.2.3", "peer:127.0.0.9"));
    EXPECT_EQ(Strings(h["Dns"]), (std::vector<std::string>{"127.0.0.53", "127.0.0.54"}));
    EXPECT_EQ(h["RestartPolicy"]["Name"], "on-failure");
    EXPECT_EQ(h["RestartPolicy"]["MaximumRetryCount"], 3);
    EXPECT_EQ(h["Memory"], 64 * 1024 * 1024);
    EXPECT_EQ(h["MemorySwap"], 128 * 1024 * 1024);
    EXPECT_EQ(h["CpuShares"], 512);
    nlohmann::json want_ulimits =
        nlohmann::json::array({{{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 1024}},
                               {{"Name", "nproc"}, {"Soft", 100}, {"Hard", 200}}});
    EXPECT_EQ(h["Ulimits"], want_ulimits) << h["Ulimits"].dump();
    EXPECT_EQ(h["LogConfig"]["Type"], "json-file");
    EXPECT_EQ(h["LogConfig"]["Config"]["max-size"], "1m");
    EXPECT_EQ(h["LogConfig"]["Config"]["max-file"], "2");
    EXPECT_THAT(Strings(h["SecurityOpt"]), Contains("no-new-privileges"));
    EXPECT_TRUE(c["Config"]["Labels"].contains("flag-label"));
    EXPECT_EQ(c["Config"]["Labels"]["flag-label"], "");
    EXPECT_EQ(h["Privileged"], false);
    // dns really is the container's resolver.
    EXPECT_THAT(Shell(absl::StrCat("docker exec ", C("host"), " cat /etc/resolv.conf")),
                HasSubstr("nameserver 127.0.0.53"));
    EXPECT_THAT(Shell(absl::StrCat("docker exec ", C("host"), " cat /etc/hosts")),
                HasSubstr("127.0.0.9"));
  }

  // net: host / none / container:x; pid: host; restart maximum_retry_count and "always".
  {
    nlohmann::json c = get("net-host");
    EXPECT_EQ(c["HostConfig"]["NetworkMode"], "host");
    EXPECT_EQ(c["HostConfig"]["PidMode"], "host");
    EXPECT_EQ(c["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
    EXPECT_EQ(c["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 5);
    EXPECT_NE(c["Config"]["Hostname"], C("net-host"));  // no hostname with `net`
  }
  {
    nlohmann::json c = get("net-none");
    EXPECT_EQ(c["HostConfig"]["NetworkMode"], "none");
    EXPECT_EQ(c["HostConfig"]["RestartPolicy"]["Name"], "always");
  }
  {
    nlohmann::json data = get("data");
    nlohmann::json c = get("net-shared");
    std::string mode = c["HostConfig"]["NetworkMode"];
    EXPECT_TRUE(mode == "container:" + C("data") ||
                mode == "container:" + data["Id"].get<std::string>())
        << mode;
  }
  // links (legacy links on the default bridge).
  {
    nlohmann::json c = get("links");
    EXPECT_EQ(
        Strings(c["HostConfig"]["Links"]),
        std::vector<std::string>{absl::StrCat("/", C("data"), ":/", C("links"), "/database")});
  }

  // privileged: this machine may not allow privileged containers (no CAP_SYS_ADMIN for the
  // daemon); then the start fails cleanly and leaves nothing behind.
  {
    std::string priv = WriteEnvironment("priv.yaml", R"(
__maestro: {schema: 2}
name: priv-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}"}
services:
  priv:
    image: "{{IMAGE}}"
    instances:
      "{{P}}priv": {ship: local, command: sleep 1000, stop_timeout: 1, privileged: true}
)");
    RunResult r = RunMaestro(priv, {"start"});
    std::optional<nlohmann::json> c = Inspect(C("priv"));
    if (r.exit_code == 0) {
      ASSERT_TRUE(c.has_value());
      EXPECT_EQ((*c)["HostConfig"]["Privileged"], true);
    } else {
      EXPECT_EQ(r.exit_code, 1) << r.all();
      EXPECT_THAT(r.err, HasSubstr("the created container was removed")) << r.all();
      EXPECT_FALSE(c.has_value()) << "a created-but-not-started container was left behind";
    }
  }
}

}  // namespace
}  // namespace maestro::integration
