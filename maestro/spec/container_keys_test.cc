// The Compose-style container keys (model::ContainerOptions) in the create body, the spec hash,
// the API version gates, and drift (drift_container_keys.h).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/docker/docker_types.h"
#include "maestro/model/environment.h"
#include "maestro/spec/container_spec.h"
#include "maestro/spec/drift.h"
#include "nlohmann/json.hpp"

namespace maestro::spec {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

model::Ship TestShip() {
  model::Ship ship;
  ship.name = "ship1";
  ship.ip = "127.0.0.2";
  return ship;
}

model::Instance Minimal() {
  model::Instance i;
  i.name = "web-1";
  i.service = "web";
  i.ship = "ship1";
  i.image = "busybox:1.36";
  i.image_details = model::ParseImageDetails(i.image);
  i.hostname = "web-1";
  i.env = {{"MAESTRO_ENVIRONMENT_NAME", "prod"}, {"CONTAINER_NAME", "web-1"}};
  return i;
}

model::Instance AllKeys() {
  model::Instance i = Minimal();
  model::ContainerOptions& o = i.options.mutable_value();
  o.tmpfs = {{"/run", "size=67108864,mode=1777"}, {"/tmp", ""}};
  o.read_only = true;
  o.init = true;
  o.shm_size = 128 << 20;
  o.sysctls = {{"net.core.somaxconn", "1024"}};
  o.devices = {{"/dev/fuse", "/dev/fuse", "rwm"}};
  o.group_add = {"audio"};
  o.ipc = "shareable";
  o.stop_signal = "SIGQUIT";
  o.oom_score_adj = -500;
  o.cpuset = "0";
  o.memory_reservation = 64 << 20;
  o.pids_limit = 100;
  o.entrypoint = std::vector<std::string>{"/bin/sh", "-c"};
  o.tty = true;
  o.stdin_open = true;
  o.domainname = "example.org";
  o.mac_address = "02:42:ac:11:00:99";
  return i;
}

TEST(ContainerKeysSpecTest, EveryKeyHasItsEngineField) {
  json b = BuildCreateBody(AllKeys(), TestShip(), "1.41");
  EXPECT_EQ(b["Entrypoint"], json::parse(R"(["/bin/sh", "-c"])"));
  EXPECT_EQ(b["Tty"], true);
  EXPECT_EQ(b["OpenStdin"], true);
  EXPECT_EQ(b["Domainname"], "example.org");
  EXPECT_EQ(b["MacAddress"], "02:42:ac:11:00:99");
  EXPECT_EQ(b["StopSignal"], "SIGQUIT");
  const json& hc = b["HostConfig"];
  EXPECT_EQ(hc["Tmpfs"], json::parse(R"({"/run": "size=67108864,mode=1777", "/tmp": ""})"));
  EXPECT_EQ(hc["ReadonlyRootfs"], true);
  EXPECT_EQ(hc["Init"], true);
  EXPECT_EQ(hc["ShmSize"], 134217728);
  EXPECT_EQ(hc["Sysctls"], json::parse(R"({"net.core.somaxconn": "1024"})"));
  EXPECT_EQ(hc["Devices"], json::parse(R"([{"PathOnHost": "/dev/fuse",
      "PathInContainer": "/dev/fuse", "CgroupPermissions": "rwm"}])"));
  EXPECT_EQ(hc["GroupAdd"], json::parse(R"(["audio"])"));
  EXPECT_EQ(hc["IpcMode"], "shareable");
  EXPECT_EQ(hc["OomScoreAdj"], -500);
  EXPECT_EQ(hc["CpusetCpus"], "0");
  EXPECT_EQ(hc["MemoryReservation"], 67108864);
  EXPECT_EQ(hc["PidsLimit"], 100);
}

TEST(ContainerKeysSpecTest, UnsetKeysAreLeftOutAndKeepTheHash) {
  json b = BuildCreateBody(Minimal(), TestShip(), "1.41");
  for (const char* key :
       {"Entrypoint", "Tty", "OpenStdin", "Domainname", "MacAddress", "StopSignal"}) {
    EXPECT_FALSE(b.contains(key)) << key;
  }
  for (const char* key :
       {"Tmpfs", "ReadonlyRootfs", "Init", "ShmSize", "Sysctls", "Devices", "GroupAdd", "IpcMode",
        "OomScoreAdj", "CpusetCpus", "MemoryReservation", "PidsLimit"}) {
    EXPECT_FALSE(b["HostConfig"].contains(key)) << key;
  }
  model::Instance tmpfs = Minimal();
  tmpfs.options.mutable_value().tmpfs = {{"/run", ""}};
  EXPECT_NE(SpecHash(Minimal(), TestShip()), SpecHash(tmpfs, TestShip()));
  model::Instance ro = Minimal();
  ro.options.mutable_value().read_only = false;
  EXPECT_NE(SpecHash(ro, TestShip()), SpecHash(Minimal(), TestShip()));
}

TEST(ContainerKeysSpecTest, KeysTooNewForTheShipsApiAreRefusedTogether) {
  EXPECT_TRUE(CheckApiSupport(AllKeys(), "1.41").ok());
  EXPECT_TRUE(CheckApiSupport(AllKeys(), "1.25").ok());
  absl::Status s = CheckApiSupport(AllKeys(), "1.22");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "instance web-1 sets init (API 1.25), sysctls (API 1.24), pids_limit (API 1.23), "
            "which the ship's Docker API 1.22 does not have (raise the ship's api_version, or "
            "remove the key)");
  model::Instance old_keys = Minimal();
  old_keys.options.mutable_value().read_only = true;
  old_keys.options.mutable_value().tty = true;
  old_keys.options.mutable_value().devices = {{"/dev/fuse", "/dev/fuse", "rwm"}};
  EXPECT_TRUE(CheckApiSupport(old_keys, "1.18").ok());
}

// The container as a daemon would report it after creating it from `desired`'s body.
json InspectOf(const model::Instance& desired) {
  json body = BuildCreateBody(desired, TestShip(), "1.41");
  json inspect = {{"Id", "c0ffee"}, {"Image", "sha256:1"}, {"Name", "/web-1"}};
  inspect["HostConfig"] = body["HostConfig"];
  body.erase("HostConfig");
  body["Labels"].erase(kSpecHashLabel);  // compare field by field
  inspect["Config"] = body;
  return inspect;
}

std::vector<Difference> DiffOf(const model::Instance& desired, const json& inspect) {
  return Diff(desired, TestShip(), docker::ParseContainerInspect(inspect), std::nullopt);
}

TEST(ContainerKeysDriftTest, MatchingContainerHasNoDifferences) {
  EXPECT_THAT(DiffOf(AllKeys(), InspectOf(AllKeys())), IsEmpty())
      << FormatDifferences(DiffOf(AllKeys(), InspectOf(AllKeys())));
  // What daemons add on their own (a default shm size, an assigned MAC, the image's entrypoint
  // and stop signal, a null tmpfs) is not drift when the configuration leaves them unset.
  json j = InspectOf(Minimal());
  j["HostConfig"]["ShmSize"] = 67108864;
  j["HostConfig"]["Tmpfs"] = nullptr;
  j["HostConfig"]["IpcMode"] = "private";
  j["HostConfig"]["ReadonlyRootfs"] = false;
  j["Config"]["MacAddress"] = "02:42:ac:11:00:02";
  j["Config"]["Entrypoint"] = {"/docker-entrypoint.sh"};
  j["Config"]["StopSignal"] = "SIGQUIT";
  EXPECT_THAT(DiffOf(Minimal(), j), IsEmpty()) << FormatDifferences(DiffOf(Minimal(), j));
}

TEST(ContainerKeysDriftTest, ChangedKeysAreNamed) {
  json j = InspectOf(AllKeys());
  j["HostConfig"]["Tmpfs"] = {{"/run", "size=1024"}};
  j["HostConfig"]["ReadonlyRootfs"] = false;
  j["HostConfig"]["Sysctls"] = nullptr;
  j["HostConfig"]["PidsLimit"] = 50;
  j["Config"]["StopSignal"] = "SIGTERM";
  j["Config"]["Tty"] = false;
  std::vector<Difference> d = DiffOf(AllKeys(), j);
  std::vector<std::string> whats;
  for (const Difference& x : d) whats.push_back(x.what);
  EXPECT_THAT(whats,
              ElementsAre("tmpfs", "read_only", "sysctls", "stop_signal", "pids_limit", "tty"));
  EXPECT_EQ(d[1].ToString(), "read_only: is true, container has false");
  EXPECT_EQ(d[2].ToString(), "sysctls: is {\"net.core.somaxconn\":\"1024\"}, container has {}");
  EXPECT_THAT(FormatDifferences(d), HasSubstr("stop_signal: is \"SIGQUIT\", container has "
                                              "\"SIGTERM\""));
}

// The container's tmpfs mounts are compared with the create body's, which also holds the ones
// maestro adds for secrets: a `tmpfs:` entry at a secrets directory is created with the secrets'
// mode, and that is no drift; a secrets directory's mount gone from the container is.
TEST(ContainerKeysDriftTest, TmpfsIsComparedAsCreatedWithTheSecretsMounts) {
  model::Instance desired = Minimal();
  desired.options.mutable_value().tmpfs = {{"/run/secrets", "size=1m"}, {"/tmp", ""}};
  model::SecretMount secret;
  secret.name = "db";
  secret.target = "/run/secrets/db";
  secret.fingerprint = "f1";
  desired.secrets = {secret};
  json j = InspectOf(desired);
  ASSERT_EQ(j["HostConfig"]["Tmpfs"], json::parse(R"({"/run/secrets": "mode=0700", "/tmp": ""})"));
  EXPECT_THAT(DiffOf(desired, j), IsEmpty()) << FormatDifferences(DiffOf(desired, j));

  j["HostConfig"]["Tmpfs"].erase("/run/secrets");
  std::vector<Difference> d = DiffOf(desired, j);
  ASSERT_EQ(d.size(), 1u) << FormatDifferences(d);
  EXPECT_EQ(
      d[0].ToString(),
      "tmpfs: is {\"/run/secrets\":\"mode=0700\",\"/tmp\":\"\"}, container has {\"/tmp\":\"\"}");
}

TEST(ContainerKeysDriftTest, RemovedKeyIsDrift) {
  // read_only and init dropped from the file: the container still has them.
  json j = InspectOf(AllKeys());
  model::Instance desired = AllKeys();
  desired.options.mutable_value().read_only.reset();
  desired.options.mutable_value().init.reset();
  std::vector<Difference> d = DiffOf(desired, j);
  ASSERT_EQ(d.size(), 2u) << FormatDifferences(d);
  EXPECT_EQ(d[0].ToString(), "read_only: is false, container has true");
  EXPECT_EQ(d[1].ToString(), "init: is false, container has true");
}

}  // namespace
}  // namespace maestro::spec
