#include "maestro/spec/drift.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/docker/docker_types.h"
#include "maestro/model/environment.h"
#include "maestro/spec/container_spec.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_host.h"
#include "nlohmann/json.hpp"

namespace maestro::spec {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kImageId[] =
    "sha256:0b1edfbffd27c935a666e233a0042ed634205f6f754dbe20769a60369c614f85";
constexpr char kNewImageId[] =
    "sha256:5f2bf26e35180d2f5d3b5e1e7c5c7a3d2c2e1b0a9f8e7d6c5b4a39281706f5e4";

model::Ship TestShip() {
  model::Ship ship;
  ship.name = "ship1";
  ship.ip = "127.0.0.2";
  return ship;
}

model::Instance Desired() {
  model::Instance i;
  i.name = "web-1";
  i.service = "web";
  i.ship = "ship1";
  i.image = "nginx";  // untagged: nginx:latest
  i.image_details = model::ParseImageDetails(i.image);
  i.hostname = "web-1";
  i.env = {{"MAESTRO_ENVIRONMENT_NAME", "prod"},
           {"SERVICE_NAME", "web"},
           {"CONTAINER_NAME", "web-1"},
           {"CONTAINER_HOST_ADDRESS", "127.0.0.2"},
           {"DOCKER_IMAGE", "nginx"},
           {"DOCKER_TAG", "latest"},
           {"DB_PASSWORD", "hunter2"},
           {"MODE", "fast"}};
  model::Port http;
  http.name = "http";
  http.exposed = {80, 80, "tcp"};
  http.external = {8080, 8080, "tcp"};
  i.ports = {http};
  i.volumes = {{"/srv/data", "/data", "rw"}};
  i.links = {{"db-1", "db"}};
  i.restart = {"always", 0};
  i.limits.memory = 268435456;
  return i;
}

// `docker image inspect nginx` (API 1.41), trimmed.
docker::ImageInspect Image(const std::string& id = kImageId) {
  return docker::ParseImageInspect(json::parse(R"({
    "Id": ")" + id + R"(",
    "RepoTags": ["nginx:latest"],
    "RepoDigests": ["nginx@sha256:10d1f5b58f74683ad34eb29287e07dab1e90f10af243f151bb50aa5dbb4d62ee"],
    "Created": "2023-10-24T22:44:45.000000000Z",
    "Config": {
      "ExposedPorts": {"80/tcp": {}},
      "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "NGINX_VERSION=1.25.3", "NJS_VERSION=0.8.2", "PKG_RELEASE=1~bookworm"],
      "Entrypoint": ["/docker-entrypoint.sh"],
      "Cmd": ["nginx", "-g", "daemon off;"],
      "Volumes": null,
      "WorkingDir": "",
      "Labels": {"maintainer": "NGINX Docker Maintainers <docker-maint@nginx.com>"},
      "StopSignal": "SIGQUIT"
    }
  })"));
}

// `docker inspect web-1` as a 1.41 daemon reports a container MaestroNG created from
// Desired() (no spec-hash label): image env merged in, empty lists null, links in the daemon's
// form, MemorySwap doubled, LogConfig defaulted.
json DaemonInspect() {
  return json::parse(R"({
    "Id": "3f4e8a1c2b9d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f",
    "Created": "2023-11-14T22:13:20.123456789Z",
    "Path": "/docker-entrypoint.sh",
    "Args": ["nginx", "-g", "daemon off;"],
    "State": {"Status": "running", "Running": true, "Paused": false, "Restarting": false,
              "OOMKilled": false, "Dead": false, "Pid": 4242, "ExitCode": 0, "Error": "",
              "StartedAt": "2023-11-14T22:13:21.000000001Z",
              "FinishedAt": "0001-01-01T00:00:00Z"},
    "Image": ")" + std::string(kImageId) +
                     R"(",
    "Name": "/web-1",
    "RestartCount": 0,
    "Driver": "overlay2",
    "HostConfig": {
      "Binds": ["/srv/data:/data:rw"],
      "ContainerIDFile": "",
      "LogConfig": {"Type": "json-file", "Config": {}},
      "NetworkMode": "default",
      "PortBindings": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]},
      "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0},
      "AutoRemove": false,
      "VolumeDriver": "",
      "VolumesFrom": null,
      "CapAdd": null,
      "CapDrop": null,
      "Dns": [],
      "DnsOptions": [],
      "DnsSearch": [],
      "ExtraHosts": null,
      "Links": ["/db-1:/web-1/db"],
      "PidMode": "",
      "Privileged": false,
      "SecurityOpt": null,
      "CpuShares": 0,
      "Memory": 268435456,
      "MemorySwap": 536870912,
      "Ulimits": null
    },
    "Config": {
      "Hostname": "web-1",
      "Domainname": "",
      "User": "",
      "Tty": false,
      "ExposedPorts": {"80/tcp": {}},
      "Env": ["CONTAINER_HOST_ADDRESS=127.0.0.2", "CONTAINER_NAME=web-1", "DB_PASSWORD=hunter2",
              "DOCKER_IMAGE=nginx", "DOCKER_TAG=latest", "MAESTRO_ENVIRONMENT_NAME=prod",
              "MODE=fast", "SERVICE_NAME=web",
              "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "NGINX_VERSION=1.25.3", "NJS_VERSION=0.8.2", "PKG_RELEASE=1~bookworm"],
      "Cmd": ["nginx", "-g", "daemon off;"],
      "Image": "nginx",
      "Volumes": {"/data": {}},
      "WorkingDir": "",
      "Entrypoint": ["/docker-entrypoint.sh"],
      "Labels": {"maintainer": "NGINX Docker Maintainers <docker-maint@nginx.com>",
                 "maestro.environment": "prod", "maestro.service": "web",
                 "maestro.instance": "web-1"},
      "StopSignal": "SIGQUIT"
    },
    "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}}
  })");
}

docker::ContainerInspect Actual(const json& j = DaemonInspect()) {
  return docker::ParseContainerInspect(j);
}

std::vector<Difference> DiffOf(const model::Instance& desired, const json& actual,
                               bool with_image = true) {
  return Diff(desired, TestShip(), Actual(actual),
              with_image ? std::optional<docker::ImageInspect>(Image()) : std::nullopt);
}

std::vector<std::string> Whats(const std::vector<Difference>& d) {
  std::vector<std::string> out;
  for (const Difference& x : d) out.push_back(x.what);
  return out;
}

TEST(DriftTest, UnchangedContainerWithoutLabelHasNoDifferences) {
  EXPECT_THAT(DiffOf(Desired(), DaemonInspect()), IsEmpty())
      << FormatDifferences(DiffOf(Desired(), DaemonInspect()));
  EXPECT_THAT(DiffOf(Desired(), DaemonInspect(), /*with_image=*/false), IsEmpty());
}

TEST(DriftTest, UntaggedImageComparesById) {
  // MaestroNG bug #10: `nginx` vs RepoTags `nginx:latest`; here the id decides.
  json j = DaemonInspect();
  j["Config"]["Image"] = "nginx:latest";
  EXPECT_THAT(DiffOf(Desired(), j), IsEmpty());
  EXPECT_THAT(DiffOf(Desired(), j, false), IsEmpty());
}

TEST(DriftTest, NewImageIdIsAnImageDifference) {
  std::vector<Difference> d = Diff(Desired(), TestShip(), Actual(),
                                   std::optional<docker::ImageInspect>(Image(kNewImageId)));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].what, "image");
  EXPECT_EQ(d[0].detail,
            "nginx:latest now resolves to image 5f2bf26e3518, the container runs 0b1edfbffd27");
}

TEST(DriftTest, OtherImageReferenceNamesBothReferences) {
  model::Instance desired = Desired();
  desired.image = "nginx:1.25";
  std::vector<Difference> d =
      Diff(desired, TestShip(), Actual(), std::optional<docker::ImageInspect>(Image(kNewImageId)));
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d[0].ToString(), "image: nginx:latest -> nginx:1.25");
}

TEST(DriftTest, WhatTheOldImageBroughtIsNotReportedAsRemoved) {
  // The tag moved to an image without the old one's label and variable: the image change is
  // the difference; the container's extra label and variable came from its old image.
  json j = DaemonInspect();
  j["Config"]["Labels"]["org.old-image"] = "1";
  j["Config"]["Env"].push_back("OLD_IMAGE_VAR=1");
  std::vector<Difference> d = Diff(Desired(), TestShip(), Actual(j),
                                   std::optional<docker::ImageInspect>(Image(kNewImageId)));
  ASSERT_EQ(d.size(), 1u) << FormatDifferences(d);
  EXPECT_EQ(d[0].what, "image");
  // With the container's own image, the same extras are removals.
  d = Diff(Desired(), TestShip(), Actual(j), std::optional<docker::ImageInspect>(Image()));
  EXPECT_EQ(FormatDifferences(d), "env: OLD_IMAGE_VAR removed; labels: org.old-image removed");
}

TEST(DriftTest, BytesThatAreNotUtf8FromTheDaemonAreShownReplaced) {
  // nlohmann::json's dump() throws on them unless told to replace: never crash on a daemon.
  json j = DaemonInspect();
  j["Config"]["Cmd"] = {"nginx", "\xff"};
  std::vector<Difference> d;
  ASSERT_NO_THROW(d = Diff(Desired(), TestShip(), Actual(j), Image()));
  EXPECT_EQ(FormatDifferences(d),
            "command: is [\"nginx\",\"-g\",\"daemon off;\"], container runs "
            "[\"nginx\",\"\xef\xbf\xbd\"]");
}

TEST(DriftTest, OtherImageReferenceWithoutImageInspect) {
  model::Instance desired = Desired();
  desired.image = "nginx:1.25";
  std::vector<Difference> d = Diff(desired, TestShip(), Actual(), std::nullopt);
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d[0].ToString(), "image: is nginx:1.25, the container was created from nginx");
}

TEST(DriftTest, MatchingSpecHashIsCertainAndCheap) {
  json j = DaemonInspect();
  j["Config"]["Labels"]["maestro.spec-hash"] = SpecHash(Desired(), TestShip());
  j["Config"]["Env"] = json::array();  // would be a difference, but the label vouches
  EXPECT_THAT(DiffOf(Desired(), j), IsEmpty());
  std::vector<Difference> d = Diff(Desired(), TestShip(), Actual(j),
                                   std::optional<docker::ImageInspect>(Image(kNewImageId)));
  EXPECT_THAT(Whats(d), ElementsAre("image"));
}

TEST(DriftTest, StaleSpecHashWithoutVisibleFieldChange) {
  json j = DaemonInspect();
  j["Config"]["Labels"]["maestro.spec-hash"] = "v1:0000000000000000";
  std::vector<Difference> d = DiffOf(Desired(), j);
  ASSERT_THAT(Whats(d), ElementsAre("configuration"));
  EXPECT_THAT(d[0].detail, HasSubstr("spec hash v1:0000000000000000, now v1:"));
}

TEST(DriftTest, EnvAddedRemovedChangedAndSecretsHidden) {
  model::Instance desired = Desired();
  desired.env["MODE"] = "slow";
  desired.env["NEW_VAR"] = "x";
  desired.env["DB_PASSWORD"] = "correct horse";
  json j = DaemonInspect();
  j["Config"]["Env"].push_back("OLD_VAR=1");
  j["Config"]["Env"].push_back("API_TOKEN=abc");
  std::vector<Difference> d = DiffOf(desired, j);
  ASSERT_THAT(Whats(d), ElementsAre("env"));
  EXPECT_EQ(d[0].detail,
            "DB_PASSWORD changed (value hidden); MODE changed from \"fast\" to \"slow\"; "
            "NEW_VAR added; API_TOKEN removed; OLD_VAR removed");
  EXPECT_THAT(d[0].detail, ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(d[0].detail, ::testing::Not(HasSubstr("correct horse")));
}

TEST(DriftTest, ImageEnvDefaultsAreNotRemovals) {
  // NGINX_VERSION etc. come from the image: not reported. Without the image inspect, extra
  // variables cannot be attributed and are not reported either.
  json j = DaemonInspect();
  j["Config"]["Env"].push_back("EXTRA=1");
  EXPECT_THAT(DiffOf(Desired(), j, false), IsEmpty());
  // But an image variable overridden by hand in the container is a difference.
  j = DaemonInspect();
  j["Config"]["Env"][9] = "NGINX_VERSION=1.0";
  std::vector<Difference> d = DiffOf(Desired(), j);
  ASSERT_THAT(Whats(d), ElementsAre("env"));
  EXPECT_EQ(d[0].detail, "NGINX_VERSION removed");
}

TEST(DriftTest, Command) {
  model::Instance desired = Desired();
  desired.command = std::vector<std::string>{"nginx-debug", "-g", "daemon off;"};
  std::vector<Difference> d = DiffOf(desired, DaemonInspect());
  ASSERT_THAT(Whats(d), ElementsAre("command"));
  EXPECT_EQ(
      d[0].detail,
      R"(is ["nginx-debug","-g","daemon off;"], container runs ["nginx","-g","daemon off;"])");
}

TEST(DriftTest, PortsAndBindings) {
  model::Instance desired = Desired();
  desired.ports[0].external = {9090, 9090, "tcp"};
  model::Port dns;
  dns.name = "dns";
  dns.exposed = {53, 53, "udp"};
  dns.external = {5353, 5353, "udp"};
  desired.ports.push_back(dns);
  std::vector<Difference> d = DiffOf(desired, DaemonInspect());
  ASSERT_THAT(Whats(d), ElementsAre("ports"));
  EXPECT_EQ(d[0].detail,
            "exposed port 53/udp added; binding 53/udp -> 0.0.0.0:5353, 80/tcp -> 0.0.0.0:9090 "
            "added; binding 80/tcp -> 0.0.0.0:8080 removed");
}

TEST(DriftTest, EmptyHostIpEqualsAllInterfaces) {
  json j = DaemonInspect();
  j["HostConfig"]["PortBindings"]["80/tcp"][0]["HostIp"] = "";
  EXPECT_THAT(DiffOf(Desired(), j), IsEmpty());
}

TEST(DriftTest, VolumesAndBinds) {
  model::Instance desired = Desired();
  desired.volumes[0].mode = "ro";
  desired.container_volumes = {"/cache"};
  std::vector<Difference> d = DiffOf(desired, DaemonInspect());
  ASSERT_THAT(Whats(d), ElementsAre("volumes"));
  EXPECT_EQ(d[0].detail,
            "volume /cache added; bind /srv/data:/data:ro added; bind /srv/data:/data:rw removed");
}

TEST(DriftTest, Limits) {
  model::Instance desired = Desired();
  desired.limits.memory = 536870912;
  desired.limits.cpu = 512;
  std::vector<Difference> d = DiffOf(desired, DaemonInspect());
  ASSERT_THAT(Whats(d), ElementsAre("limits"));
  EXPECT_EQ(d[0].detail,
            "memory is 536870912, container has 268435456; cpu shares is 512, container has unset");
  // The daemon's default swap (twice the memory) is not a difference; an explicit one is.
  desired = Desired();
  desired.limits.swap = 268435456;
  d = DiffOf(desired, DaemonInspect());
  ASSERT_THAT(Whats(d), ElementsAre("limits"));
  EXPECT_EQ(d[0].detail, "memory+swap is 268435456, container has 536870912");
}

TEST(DriftTest, RestartPolicy) {
  model::Instance desired = Desired();
  desired.restart = {"on-failure", 3};
  std::vector<Difference> d = DiffOf(desired, DaemonInspect());
  ASSERT_THAT(Whats(d), ElementsAre("restart policy"));
  EXPECT_EQ(d[0].detail, "is on-failure:3, container has always:0");
}

TEST(DriftTest, Labels) {
  model::Instance desired = Desired();
  desired.labels = std::map<std::string, std::string>{{"team", "core"}};
  json j = DaemonInspect();
  j["Config"]["Labels"]["stale"] = "1";
  j["Config"]["Labels"]["maestro.environment"] = "staging";
  std::vector<Difference> d = DiffOf(desired, j);
  ASSERT_THAT(Whats(d), ElementsAre("labels"));
  EXPECT_EQ(d[0].detail,
            "maestro.environment changed from \"staging\" to \"prod\"; team added; stale removed");
}

TEST(DriftTest, PrivilegesAndCapabilities) {
  model::Instance desired = Desired();
  desired.privileged = true;
  desired.cap_add = {"NET_ADMIN"};
  json j = DaemonInspect();
  j["HostConfig"]["CapDrop"] = {"MKNOD"};
  std::vector<Difference> d = DiffOf(desired, j);
  ASSERT_THAT(Whats(d), ElementsAre("privileges"));
  EXPECT_EQ(d[0].detail, "privileged mode added; cap_add NET_ADMIN added; cap_drop MKNOD removed");
}

TEST(DriftTest, NetworkModeDefaultEqualsBridge) {
  json j = DaemonInspect();
  j["HostConfig"]["NetworkMode"] = "bridge";
  EXPECT_THAT(DiffOf(Desired(), j), IsEmpty());
  model::Instance desired = Desired();
  desired.net = "host";
  desired.hostname = "";
  std::vector<Difference> d = DiffOf(desired, j);
  ASSERT_THAT(Whats(d), ElementsAre("network"));
  EXPECT_EQ(d[0].detail, "is host, container has bridge");
}

TEST(DriftTest, NetworksAddedAndRemoved) {
  model::Instance desired = Desired();
  desired.networks = {{"back", "demo_back", {"db"}, "", ""}, {"front", "demo_front", {}, "", ""}};
  json j = DaemonInspect();
  j["HostConfig"]["NetworkMode"] = "demo_back";
  j["NetworkSettings"]["Networks"] = {{"demo_back", json::object()}};
  std::vector<Difference> d = DiffOf(desired, j);
  ASSERT_THAT(Whats(d), ElementsAre("networks"));
  EXPECT_EQ(d[0].ToString(), "networks: demo_front added");

  j["NetworkSettings"]["Networks"] = {{"demo_back", json::object()},
                                      {"demo_front", json::object()}};
  EXPECT_THAT(DiffOf(desired, j), IsEmpty());

  // Networks dropped from the file: back to the default network.
  j["NetworkSettings"]["Networks"]["demo_old"] = json::object();
  d = DiffOf(Desired(), j);
  ASSERT_THAT(Whats(d), ElementsAre("network", "networks"));
  EXPECT_EQ(d[1].detail, "bridge added; demo_back, demo_front, demo_old removed");
}

TEST(DriftTest, MovedOntoUserNetworksIsOneReasonNotTwo) {
  model::Instance desired = Desired();
  desired.networks = {{"back", "demo_back", {}, "", ""}};
  json j = DaemonInspect();  // on the default bridge
  j["NetworkSettings"]["Networks"] = {{"bridge", json::object()}};
  std::vector<Difference> d = DiffOf(desired, j);
  ASSERT_THAT(Whats(d), ElementsAre("networks"));
  EXPECT_EQ(d[0].detail, "demo_back added; bridge removed");
}

TEST(DriftTest, Hostname) {
  json j = DaemonInspect();
  j["Config"]["Hostname"] = "3f4e8a1c2b9d";
  EXPECT_THAT(Whats(DiffOf(Desired(), j)), ElementsAre("hostname"));
}

TEST(DriftTest, LinksDnsExtraHostsVolumesFromSecurityUlimits) {
  model::Instance desired = Desired();
  desired.links = {{"db-2", "db"}};
  desired.dns = std::vector<std::string>{"127.0.0.53"};
  desired.extra_hosts = {{"zk", "127.0.0.3"}};
  desired.volumes_from = {"data-1"};
  desired.security_opt = {"no-new-privileges"};
  desired.ulimits = {{"nofile", 1024, 2048}};
  std::vector<Difference> d = DiffOf(desired, DaemonInspect());
  EXPECT_THAT(Whats(d), ElementsAre("dns", "extra hosts", "links", "volumes_from",
                                    "security options", "ulimits"));
  EXPECT_EQ(d[2].detail, "db-2:db added; db-1:db removed");
  EXPECT_EQ(d[5].detail, "nofile=1024:2048 added");
}

TEST(DriftTest, UserWorkdirPidAndLogConfig) {
  model::Instance desired = Desired();
  desired.username = "www";
  desired.workdir = "/srv";
  desired.pid = "host";
  desired.log_config = model::LogConfig{"syslog", {{"tag", "web"}}};
  std::vector<Difference> d = DiffOf(desired, DaemonInspect());
  EXPECT_THAT(Whats(d), ElementsAre("user", "workdir", "pid mode", "log config"));
  EXPECT_EQ(d[0].detail, "is \"www\", container has \"\"");
  EXPECT_EQ(d[3].detail, R"(is syslog {"tag":"web"}, container has json-file {})");
}

TEST(DriftTest, FormatDifferences) {
  EXPECT_EQ(FormatDifferences({{"image", "a"}, {"env", "B added"}}), "image: a; env: B added");
}

TEST(DriftTest, ContainerFromBuildCreateBodyMatches) {
  // A container whose labels carry the hash BuildCreateBody wrote is unchanged.
  json body = BuildCreateBody(Desired(), TestShip(), "1.41");
  json j = DaemonInspect();
  j["Config"]["Labels"] = body["Labels"];
  EXPECT_THAT(DiffOf(Desired(), j), IsEmpty());
}

// End to end with the fake daemon: what BuildCreateBody creates is seen as unchanged, both
// through the label and, with the label stripped, field by field through the daemon's
// normalisations (null lists, merged image env and labels, doubled swap).
TEST(DriftTest, RoundTripThroughFakeDockerHost) {
  testing::FakeClock clock;
  testing::FakeDockerHost host("ship1", &clock);
  docker::ImageInspect image = Image();
  host.AddImage("nginx", image.id, image.config);
  model::Instance desired = Desired();
  desired.limits.cpu = 128;
  desired.ulimits = {{"nofile", 1024, 2048}};
  json body = BuildCreateBody(desired, TestShip(), "1.41");
  auto created = host.CreateContainer(desired.name, body);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(host.StartContainer(created->id).ok());
  auto inspect = host.InspectContainer(desired.name);
  auto image_now = host.InspectImage(desired.image);
  ASSERT_TRUE(inspect.ok() && image_now.ok());
  EXPECT_THAT(Diff(desired, TestShip(), *inspect, *image_now), IsEmpty());

  docker::ContainerInspect unlabelled = *inspect;
  unlabelled.labels.erase(kSpecHashLabel);
  EXPECT_THAT(Diff(desired, TestShip(), unlabelled, *image_now), IsEmpty())
      << FormatDifferences(Diff(desired, TestShip(), unlabelled, *image_now));

  // A newer image under the same tag is detected by id.
  host.SetPullable("nginx:latest", kNewImageId);
  ASSERT_TRUE(host.PullImage("nginx", "latest", "", nullptr).ok());
  image_now = host.InspectImage(desired.image);
  ASSERT_TRUE(image_now.ok());
  inspect = host.InspectContainer(desired.name);  // still the old image's env and labels
  ASSERT_TRUE(inspect.ok());
  EXPECT_THAT(Whats(Diff(desired, TestShip(), *inspect, *image_now)), ElementsAre("image"));
  unlabelled = *inspect;
  unlabelled.labels.erase(kSpecHashLabel);
  EXPECT_THAT(Whats(Diff(desired, TestShip(), unlabelled, *image_now)), ElementsAre("image"));
}

model::Instance WithHealthcheck() {
  model::Instance desired = Desired();
  model::Healthcheck h;
  h.test = {"CMD-SHELL", "test -f /tmp/ok"};
  h.interval_ns = 10'000'000'000;
  h.retries = 3;
  desired.healthcheck = h;
  return desired;
}

TEST(DriftTest, HealthcheckChangedIsReportedUnchangedIsNot) {
  json j = DaemonInspect();
  j["Config"]["Healthcheck"] = {
      {"Test", {"CMD-SHELL", "test -f /tmp/ok"}}, {"Interval", 10'000'000'000}, {"Retries", 3}};
  EXPECT_THAT(DiffOf(WithHealthcheck(), j), IsEmpty())
      << FormatDifferences(DiffOf(WithHealthcheck(), j));
  // The label of a container created from this very spec vouches without looking further.
  json labelled = DaemonInspect();
  labelled["Config"]["Labels"]["maestro.spec-hash"] = SpecHash(WithHealthcheck(), TestShip());
  EXPECT_THAT(DiffOf(WithHealthcheck(), labelled), IsEmpty());

  j["Config"]["Healthcheck"]["Interval"] = 30'000'000'000;
  j["Config"]["Healthcheck"]["Test"] = {"CMD-SHELL", "true"};
  std::vector<Difference> d = DiffOf(WithHealthcheck(), j);
  ASSERT_THAT(Whats(d), ElementsAre("healthcheck"));
  EXPECT_EQ(d[0].ToString(),
            "healthcheck: test changed from [\"CMD-SHELL\",\"true\"] to "
            "[\"CMD-SHELL\",\"test -f /tmp/ok\"]; interval changed from 30s to 10s");
}

TEST(DriftTest, HealthcheckAddedToAContainerWithoutOne) {
  std::vector<Difference> d = DiffOf(WithHealthcheck(), DaemonInspect());
  ASSERT_THAT(Whats(d), ElementsAre("healthcheck"));
  EXPECT_EQ(d[0].detail,
            "test changed from unset to [\"CMD-SHELL\",\"test -f /tmp/ok\"]; interval changed "
            "from unset to 10s; retries changed from unset to 3");
}

TEST(DriftTest, UnconfiguredHealthcheckLeavesTheImagesAlone) {
  json j = DaemonInspect();
  j["Config"]["Healthcheck"] = {{"Test", {"CMD", "/healthy"}}, {"Interval", 5'000'000'000}};
  EXPECT_THAT(DiffOf(Desired(), j), IsEmpty());
  EXPECT_NE(SpecHash(Desired(), TestShip()), SpecHash(WithHealthcheck(), TestShip()));
}

}  // namespace
}  // namespace maestro::spec
