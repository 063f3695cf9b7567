#include "maestro/spec/container_spec.h"

#include <string>

#include "gtest/gtest.h"
#include "maestro/model/environment.h"
#include "nlohmann/json.hpp"

namespace maestro::spec {
namespace {

using nlohmann::json;

model::Ship TestShip() {
  model::Ship ship;
  ship.name = "ship1";
  ship.ip = "127.0.0.2";
  return ship;
}

// A minimal instance as config::LoadEnvironment would produce it.
model::Instance Minimal() {
  model::Instance i;
  i.name = "web-1";
  i.service = "web";
  i.ship = "ship1";
  i.image = "nginx:1.25";
  i.image_details = model::ParseImageDetails(i.image);
  i.short_image = i.image;
  i.hostname = "web-1";
  i.env = {{"MAESTRO_ENVIRONMENT_NAME", "prod"}, {"SERVICE_NAME", "web"},
           {"CONTAINER_NAME", "web-1"},          {"CONTAINER_HOST_ADDRESS", "127.0.0.2"},
           {"DOCKER_IMAGE", "nginx:1.25"},       {"DOCKER_TAG", "1.25"}};
  return i;
}

model::Port MakePort(const std::string& name, int e1, int e2, int x1, int x2,
                     const std::string& proto = "tcp", const std::string& ip = "0.0.0.0") {
  model::Port p;
  p.name = name;
  p.exposed = {e1, e2, proto};
  p.external = {x1, x2, proto};
  p.host_ip = ip;
  return p;
}

json Body(const model::Instance& i, const std::string& api = "1.41") {
  return BuildCreateBody(i, TestShip(), api);
}

TEST(ContainerSpecTest, MinimalBody) {
  json b = Body(Minimal());
  EXPECT_EQ(b["Image"], "nginx:1.25");
  EXPECT_EQ(b["Hostname"], "web-1");
  EXPECT_FALSE(b.contains("User"));
  EXPECT_FALSE(b.contains("Cmd"));
  EXPECT_FALSE(b.contains("Volumes"));
  EXPECT_FALSE(b.contains("ExposedPorts"));
  EXPECT_FALSE(b.contains("WorkingDir"));
  EXPECT_FALSE(b.contains("CpuShares"));
  const json& hc = b["HostConfig"];
  EXPECT_EQ(hc["NetworkMode"], "default");
  EXPECT_EQ(hc["RestartPolicy"], json({{"Name", "no"}, {"MaximumRetryCount", 0}}));
  EXPECT_EQ(hc["Links"], json::array());
  EXPECT_EQ(hc["VolumesFrom"], json::array());
  EXPECT_EQ(hc["Binds"], json::array());
  EXPECT_EQ(hc["PortBindings"], json::object());
  EXPECT_FALSE(hc.contains("LxcConf"));
  EXPECT_FALSE(hc.contains("Privileged"));
}

TEST(ContainerSpecTest, EnvIsDockerEnvSorted) {
  model::Instance i = Minimal();
  i.env["ZED"] = "1";
  i.env["NULLVAR"] = std::nullopt;
  json b = Body(i);
  EXPECT_EQ(b["Env"], json(i.DockerEnv()));
  EXPECT_EQ(b["Env"][0], "CONTAINER_HOST_ADDRESS=127.0.0.2");
  EXPECT_NE(std::find(b["Env"].begin(), b["Env"].end(), "NULLVAR"), b["Env"].end());
  EXPECT_EQ(b["Env"].back(), "ZED=1");
}

TEST(ContainerSpecTest, MaestroLabelsAndUserLabels) {
  model::Instance i = Minimal();
  i.labels = std::map<std::string, std::string>{
      {"team", "core"}, {"flag", ""}, {"maestro.service", "spoofed"}};
  json l = Body(i)["Labels"];
  EXPECT_EQ(l["team"], "core");
  EXPECT_EQ(l["flag"], "");
  EXPECT_EQ(l["maestro.environment"], "prod");
  EXPECT_EQ(l["maestro.service"], "web");  // maestro's own label wins
  EXPECT_EQ(l["maestro.instance"], "web-1");
  EXPECT_EQ(l["maestro.spec-hash"], SpecHash(i, TestShip()));
}

TEST(ContainerSpecTest, NetSuppressesHostname) {
  model::Instance i = Minimal();
  i.net = "bridge";
  i.hostname = "";
  json b = Body(i);
  EXPECT_FALSE(b.contains("Hostname"));
  EXPECT_EQ(b["HostConfig"]["NetworkMode"], "bridge");
  i.net = "container:db-1";
  EXPECT_EQ(Body(i)["HostConfig"]["NetworkMode"], "container:db-1");
}

TEST(ContainerSpecTest, NetworkModeDefaultOnlyAbove119) {
  EXPECT_FALSE(Body(Minimal(), "1.19")["HostConfig"].contains("NetworkMode"));
  EXPECT_EQ(Body(Minimal(), "1.20")["HostConfig"]["NetworkMode"], "default");
  EXPECT_EQ(Body(Minimal(), "auto")["HostConfig"]["NetworkMode"], "default");
}

TEST(ContainerSpecTest, Username) {
  model::Instance i = Minimal();
  i.username = "www-data";
  EXPECT_EQ(Body(i)["User"], "www-data");
}

TEST(ContainerSpecTest, Command) {
  model::Instance i = Minimal();
  i.command = std::vector<std::string>{"nginx", "-g", "daemon off;"};
  EXPECT_EQ(Body(i)["Cmd"], json({"nginx", "-g", "daemon off;"}));
}

TEST(ContainerSpecTest, Workdir) {
  model::Instance i = Minimal();
  i.workdir = "/srv";
  EXPECT_EQ(Body(i)["WorkingDir"], "/srv");
}

TEST(ContainerSpecTest, VolumesAndBinds) {
  model::Instance i = Minimal();
  i.volumes = {{"/data/a", "/a", "rw"}, {"/data/b", "/b", "ro,Z"}, {"/data/c", "/c", ""}};
  i.container_volumes = {"/cache"};
  json b = Body(i);
  EXPECT_EQ(b["Volumes"], json({{"/a", json::object()},
                                {"/b", json::object()},
                                {"/c", json::object()},
                                {"/cache", json::object()}}));
  EXPECT_EQ(b["HostConfig"]["Binds"], json({"/data/a:/a:rw", "/data/b:/b:ro,Z", "/data/c:/c:rw"}));
}

TEST(ContainerSpecTest, SinglePorts) {
  model::Instance i = Minimal();
  i.ports = {MakePort("http", 80, 80, 8080, 8080), MakePort("dns", 53, 53, 5353, 5353, "udp"),
             MakePort("admin", 81, 81, 81, 81, "tcp", "127.0.0.1")};
  json b = Body(i);
  EXPECT_EQ(
      b["ExposedPorts"],
      json({{"80/tcp", json::object()}, {"53/udp", json::object()}, {"81/tcp", json::object()}}));
  EXPECT_EQ(b["HostConfig"]["PortBindings"],
            json::parse(R"({"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}],
                            "53/udp":[{"HostIp":"0.0.0.0","HostPort":"5353"}],
                            "81/tcp":[{"HostIp":"127.0.0.1","HostPort":"81"}]})"));
}

TEST(ContainerSpecTest, SameExposedPortTwiceGivesTwoBindings) {
  model::Instance i = Minimal();
  i.ports = {MakePort("a", 80, 80, 8080, 8080), MakePort("b", 80, 80, 9090, 9090)};
  json b = Body(i);
  EXPECT_EQ(b["ExposedPorts"].size(), 1u);
  EXPECT_EQ(b["HostConfig"]["PortBindings"]["80/tcp"],
            json::parse(R"([{"HostIp":"0.0.0.0","HostPort":"8080"},
                            {"HostIp":"0.0.0.0","HostPort":"9090"}])"));
}

TEST(ContainerSpecTest, RangeToRangeIsExpandedPortByPort) {
  model::Instance i = Minimal();
  i.ports = {MakePort("r", 1234, 1236, 2234, 2236)};
  json b = Body(i);
  EXPECT_EQ(b["ExposedPorts"], json({{"1234/tcp", json::object()},
                                     {"1235/tcp", json::object()},
                                     {"1236/tcp", json::object()}}));
  EXPECT_EQ(b["HostConfig"]["PortBindings"],
            json::parse(R"({"1234/tcp":[{"HostIp":"0.0.0.0","HostPort":"2234"}],
                            "1235/tcp":[{"HostIp":"0.0.0.0","HostPort":"2235"}],
                            "1236/tcp":[{"HostIp":"0.0.0.0","HostPort":"2236"}]})"));
}

TEST(ContainerSpecTest, SinglePortToExternalRangeKeepsRange) {
  model::Instance i = Minimal();
  i.ports = {MakePort("r", 1234, 1234, 1234, 1236)};
  json b = Body(i);
  EXPECT_EQ(b["ExposedPorts"], json({{"1234/tcp", json::object()}}));
  EXPECT_EQ(b["HostConfig"]["PortBindings"],
            json::parse(R"({"1234/tcp":[{"HostIp":"0.0.0.0","HostPort":"1234-1236"}]})"));
}

TEST(ContainerSpecTest, Privileged) {
  model::Instance i = Minimal();
  i.privileged = true;
  EXPECT_EQ(Body(i)["HostConfig"]["Privileged"], true);
}

TEST(ContainerSpecTest, Capabilities) {
  model::Instance i = Minimal();
  i.cap_add = {"NET_ADMIN"};
  i.cap_drop = {"MKNOD", "CHOWN"};
  json hc = Body(i)["HostConfig"];
  EXPECT_EQ(hc["CapAdd"], json({"NET_ADMIN"}));
  EXPECT_EQ(hc["CapDrop"], json({"MKNOD", "CHOWN"}));
}

TEST(ContainerSpecTest, ExtraHostsSorted) {
  model::Instance i = Minimal();
  i.extra_hosts = {{"zk", "127.0.0.3"}, {"db", "127.0.0.4"}};
  EXPECT_EQ(Body(i)["HostConfig"]["ExtraHosts"], json({"db:127.0.0.4", "zk:127.0.0.3"}));
}

TEST(ContainerSpecTest, RestartPolicy) {
  model::Instance i = Minimal();
  i.restart = {"on-failure", 3};
  EXPECT_EQ(Body(i)["HostConfig"]["RestartPolicy"],
            json({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
}

TEST(ContainerSpecTest, Dns) {
  model::Instance i = Minimal();
  i.dns = std::vector<std::string>{"127.0.0.53"};
  EXPECT_EQ(Body(i)["HostConfig"]["Dns"], json({"127.0.0.53"}));
}

TEST(ContainerSpecTest, LinksSorted) {
  model::Instance i = Minimal();
  i.links = {{"zk-1", "zookeeper"}, {"db-1", "db"}};
  EXPECT_EQ(Body(i)["HostConfig"]["Links"], json({"db-1:db", "zk-1:zookeeper"}));
}

TEST(ContainerSpecTest, Ulimits) {
  model::Instance i = Minimal();
  i.ulimits = {{"nofile", 1024, 4096}};
  EXPECT_EQ(Body(i)["HostConfig"]["Ulimits"],
            json::parse(R"([{"Name":"nofile","Soft":1024,"Hard":4096}])"));
}

TEST(ContainerSpecTest, VolumesFrom) {
  model::Instance i = Minimal();
  i.volumes_from = {"data-1"};
  EXPECT_EQ(Body(i)["HostConfig"]["VolumesFrom"], json({"data-1"}));
}

TEST(ContainerSpecTest, SecurityOpt) {
  model::Instance i = Minimal();
  i.security_opt = {"no-new-privileges"};
  EXPECT_EQ(Body(i)["HostConfig"]["SecurityOpt"], json({"no-new-privileges"}));
}

TEST(ContainerSpecTest, LogConfig) {
  model::Instance i = Minimal();
  i.log_config = model::LogConfig{"syslog", {{"tag", "web"}}};
  EXPECT_EQ(Body(i)["HostConfig"]["LogConfig"],
            json::parse(R"({"Type":"syslog","Config":{"tag":"web"}})"));
  i.log_config = model::LogConfig{"none", {}};
  EXPECT_EQ(Body(i)["HostConfig"]["LogConfig"], json::parse(R"({"Type":"none","Config":{}})"));
}

TEST(ContainerSpecTest, MemoryAndSwap) {
  model::Instance i = Minimal();
  i.limits.memory = 1073741824;
  i.limits.swap = 2147483648;
  json hc = Body(i)["HostConfig"];
  EXPECT_EQ(hc["Memory"], 1073741824);
  EXPECT_EQ(hc["MemorySwap"], 2147483648LL);
}

TEST(ContainerSpecTest, CpuSharesInHostConfigOnModernApis) {
  model::Instance i = Minimal();
  i.limits.cpu = 512;
  json modern = Body(i, "1.41");
  EXPECT_EQ(modern["HostConfig"]["CpuShares"], 512);
  EXPECT_FALSE(modern.contains("CpuShares"));
  json old = Body(i, "1.17");
  EXPECT_EQ(old["CpuShares"], 512);
  EXPECT_FALSE(old["HostConfig"].contains("CpuShares"));
}

TEST(ContainerSpecTest, PidMode) {
  model::Instance i = Minimal();
  i.pid = "host";
  EXPECT_EQ(Body(i)["HostConfig"]["PidMode"], "host");
}

TEST(ContainerSpecTest, LxcConfOnlyOnOldApis) {
  model::Instance i = Minimal();
  i.lxc_conf = {{"lxc.utsname", "docker"}};
  EXPECT_FALSE(Body(i, "1.41")["HostConfig"].contains("LxcConf"));
  EXPECT_EQ(Body(i, "1.18")["HostConfig"]["LxcConf"],
            json::parse(R"([{"Key":"lxc.utsname","Value":"docker"}])"));
  EXPECT_EQ(Body(Minimal(), "1.18")["HostConfig"]["LxcConf"], json::array());
}

TEST(ContainerSpecTest, SpecHashStableAndSensitive) {
  model::Instance i = Minimal();
  std::string h = SpecHash(i, TestShip());
  EXPECT_EQ(h.size(), 19u);
  EXPECT_EQ(h.substr(0, 3), "v1:");
  EXPECT_EQ(h, SpecHash(Minimal(), TestShip()));
  // The label is the same whatever API version the body was built for.
  EXPECT_EQ(Body(i, "1.18")["Labels"]["maestro.spec-hash"], h);

  model::Instance changed = Minimal();
  changed.env["NEW"] = "1";
  EXPECT_NE(SpecHash(changed, TestShip()), h);
  changed = Minimal();
  changed.limits.memory = 1 << 20;
  EXPECT_NE(SpecHash(changed, TestShip()), h);
  changed = Minimal();
  changed.restart = {"always", 0};
  EXPECT_NE(SpecHash(changed, TestShip()), h);
  changed = Minimal();
  changed.image = "nginx:1.26";
  EXPECT_NE(SpecHash(changed, TestShip()), h);
}

TEST(ContainerSpecTest, SpecHashOfBytesThatAreNotUtf8) {
  // A YAML escape ("\xff") can put such bytes into a value: hashed, never thrown.
  model::Instance i = Minimal();
  i.env["ODD"] = "\xff";
  std::string h;
  ASSERT_NO_THROW(h = SpecHash(i, TestShip()));
  EXPECT_NE(h, SpecHash(Minimal(), TestShip()));
}

TEST(ContainerSpecTest, SpecHashTreatsUntaggedAsLatest) {
  model::Instance a = Minimal();
  a.image = "ubuntu";
  model::Instance b = Minimal();
  b.image = "ubuntu:latest";
  EXPECT_EQ(SpecHash(a, TestShip()), SpecHash(b, TestShip()));
  EXPECT_EQ(Body(a)["Image"], "ubuntu");  // sent as configured
}

TEST(ContainerSpecTest, NormalizedImage) {
  EXPECT_EQ(NormalizedImage("ubuntu"), "ubuntu:latest");
  EXPECT_EQ(NormalizedImage("quay.io:8081/foo/bar"), "quay.io:8081/foo/bar:latest");
  EXPECT_EQ(NormalizedImage("quay.io:8081/foo/bar:1.2"), "quay.io:8081/foo/bar:1.2");
}

// The golden body for an instance using every key.
TEST(ContainerSpecTest, GoldenFullInstance) {
  model::Instance i = Minimal();
  i.command = std::vector<std::string>{"nginx", "-g", "daemon off;"};
  i.username = "www";
  i.workdir = "/srv";
  i.ports = {MakePort("http", 80, 80, 8080, 8080), MakePort("range", 9000, 9001, 19000, 19001)};
  i.volumes = {{"/data", "/var/data", "ro"}};
  i.container_volumes = {"/cache"};
  i.volumes_from = {"data-1"};
  i.links = {{"db-1", "db"}};
  i.privileged = true;
  i.cap_add = {"NET_ADMIN"};
  i.cap_drop = {"MKNOD"};
  i.extra_hosts = {{"zk", "127.0.0.3"}};
  i.restart = {"on-failure", 5};
  i.dns = std::vector<std::string>{"127.0.0.53"};
  i.limits.cpu = 256;
  i.limits.memory = 536870912;
  i.limits.swap = 1073741824;
  i.log_config = model::LogConfig{"json-file", {{"max-size", "10m"}}};
  i.security_opt = {"no-new-privileges"};
  i.ulimits = {{"nofile", 1024, 2048}};
  i.labels = std::map<std::string, std::string>{{"team", "core"}};
  i.pid = "host";
  json golden = json::parse(R"({
    "Hostname": "web-1",
    "User": "www",
    "Env": ["CONTAINER_HOST_ADDRESS=127.0.0.2", "CONTAINER_NAME=web-1", "DOCKER_IMAGE=nginx:1.25",
            "DOCKER_TAG=1.25", "MAESTRO_ENVIRONMENT_NAME=prod", "SERVICE_NAME=web"],
    "Cmd": ["nginx", "-g", "daemon off;"],
    "Image": "nginx:1.25",
    "Volumes": {"/cache": {}, "/var/data": {}},
    "ExposedPorts": {"80/tcp": {}, "9000/tcp": {}, "9001/tcp": {}},
    "WorkingDir": "/srv",
    "Labels": {"team": "core", "maestro.environment": "prod", "maestro.service": "web",
               "maestro.instance": "web-1", "maestro.spec-hash": "HASH"},
    "HostConfig": {
      "Binds": ["/data:/var/data:ro"],
      "PortBindings": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}],
                       "9000/tcp": [{"HostIp": "0.0.0.0", "HostPort": "19000"}],
                       "9001/tcp": [{"HostIp": "0.0.0.0", "HostPort": "19001"}]},
      "Privileged": true,
      "CapAdd": ["NET_ADMIN"],
      "CapDrop": ["MKNOD"],
      "ExtraHosts": ["zk:127.0.0.3"],
      "NetworkMode": "default",
      "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 5},
      "Dns": ["127.0.0.53"],
      "Links": ["db-1:db"],
      "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}],
      "VolumesFrom": ["data-1"],
      "SecurityOpt": ["no-new-privileges"],
      "LogConfig": {"Type": "json-file", "Config": {"max-size": "10m"}},
      "Memory": 536870912,
      "MemorySwap": 1073741824,
      "CpuShares": 256,
      "PidMode": "host"
    }
  })");
  golden["Labels"]["maestro.spec-hash"] = SpecHash(i, TestShip());
  json body = Body(i);
  EXPECT_EQ(body, golden) << body.dump(2);
}

TEST(ContainerSpecTest, HealthcheckInNanoseconds) {
  model::Instance i = Minimal();
  EXPECT_FALSE(Body(i).contains("Healthcheck"));
  model::Healthcheck h;
  h.test = {"CMD", "/bin/check"};
  h.interval_ns = 90'000'000'000;
  h.timeout_ns = 5'000'000'000;
  h.start_period_ns = 500'000'000;
  h.retries = 4;
  i.healthcheck = h;
  EXPECT_EQ(Body(i)["Healthcheck"], json::parse(R"({"Test": ["CMD", "/bin/check"],
      "Interval": 90000000000, "Timeout": 5000000000, "StartPeriod": 500000000, "Retries": 4})"));
  // Unset fields are left to the image and the daemon.
  i.healthcheck = model::Healthcheck{{"NONE"}, {}, {}, {}, {}};
  EXPECT_EQ(Body(i)["Healthcheck"], json::parse(R"({"Test": ["NONE"]})"));
}

TEST(ContainerSpecTest, HealthcheckNeedsApi124) {
  model::Instance i = Minimal();
  EXPECT_TRUE(CheckApiSupport(i, "1.18").ok());
  i.healthcheck = model::Healthcheck{{"CMD-SHELL", "true"}, {}, {}, {}, {}};
  absl::Status s = CheckApiSupport(i, "1.23");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "instance web-1 has a healthcheck, which needs Docker API 1.24 or newer; the ship "
            "uses API 1.23 (raise the ship's api_version, or remove the healthcheck)");
  EXPECT_TRUE(CheckApiSupport(i, "1.24").ok());
  EXPECT_TRUE(CheckApiSupport(i, "1.41").ok());
}

}  // namespace
}  // namespace maestro::spec
