// End to end: the Compose-style container keys (docs/environment.md#container-keys) on the
// real daemon. One container with every key set (some from its service), `docker inspect`
// checked field by field and the effects checked inside (tmpfs size and mode, read-only root,
// init as PID 1, sysctl, ...); then `plan` names exactly the one key the file changes, which
// compares every field against the real daemon's inspect.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kEnvironment[] = R"(
__maestro: {schema: 2}
name: keys2-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 10}
services:
  keys:
    image: "{{IMAGE}}"
    read_only: true
    init: true
    stop_signal: quit
    instances:
      "{{P}}all":
        ship: local
        stop_timeout: 1
        entrypoint: /bin/sh
        command: [-c, "sleep 1000"]
        tmpfs: {/run: {size: 64m, mode: 1770}, /cache: "size=1m"}
        shm_size: 16m
        sysctls: {net.core.somaxconn: 1024}
        devices: ["/dev/null:/dev/mynull:rw"]
        group_add: ["1234"]
        ipc: shareable
        oom_score_adj: 100
        cpuset: "0"
        cpu_shares: 512
        memory_reservation: 32m
        pids_limit: 100
        tty: true
        stdin_open: true
        domainname: example.org
        mac_address: "02:42:ac:11:00:99"
)";

class ContainerKeysTest : public E2eTest {};

TEST_F(ContainerKeysTest, EveryKeyReachesTheContainer) {
  std::string file = WriteEnvironment("keys.yaml", kEnvironment);
  RunResult start = RunMaestro(file, {"start"});
  ASSERT_EQ(start.exit_code, 0) << start.all();
  std::optional<json> inspect = Inspect(C("all"));
  ASSERT_TRUE(inspect.has_value());
  const json& c = *inspect;
  ASSERT_TRUE(c["State"]["Running"].get<bool>()) << c["State"].dump();
  const json& h = c["HostConfig"];
  const json& config = c["Config"];

  EXPECT_EQ(h["Tmpfs"], json::parse(R"({"/run": "size=67108864,mode=1770",
                                         "/cache": "size=1048576"})"))
      << h["Tmpfs"].dump();
  EXPECT_EQ(h["ReadonlyRootfs"], true);
  EXPECT_EQ(h["Init"], true);
  EXPECT_EQ(h["ShmSize"], 16 * 1024 * 1024);
  EXPECT_EQ(h["Sysctls"], json::parse(R"({"net.core.somaxconn": "1024"})"));
  EXPECT_EQ(h["Devices"], json::parse(R"([{"PathOnHost": "/dev/null",
      "PathInContainer": "/dev/mynull", "CgroupPermissions": "rw"}])"));
  EXPECT_EQ(h["GroupAdd"], json::parse(R"(["1234"])"));
  EXPECT_EQ(h["IpcMode"], "shareable");
  EXPECT_EQ(h["OomScoreAdj"], 100);
  EXPECT_EQ(h["CpusetCpus"], "0");
  EXPECT_EQ(h["CpuShares"], 512);
  EXPECT_EQ(h["MemoryReservation"], 32 * 1024 * 1024);
  EXPECT_EQ(h["PidsLimit"], 100);
  EXPECT_EQ(config["Entrypoint"], json::parse(R"(["/bin/sh"])"));
  EXPECT_EQ(config["Cmd"], json::parse(R"(["-c", "sleep 1000"])"));
  EXPECT_EQ(config["StopSignal"], "SIGQUIT");
  EXPECT_EQ(config["Tty"], true);
  EXPECT_EQ(config["OpenStdin"], true);
  EXPECT_EQ(config["Domainname"], "example.org");
  EXPECT_EQ(config["MacAddress"], "02:42:ac:11:00:99");

  // The effects, seen from inside.
  auto in = [&](const std::string& command, int* code = nullptr) {
    return Shell(absl::StrCat("docker exec ", C("all"), " sh -c '", command, "'"), code);
  };
  std::string mounts = in("cat /proc/mounts");
  EXPECT_THAT(mounts, HasSubstr("tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k,"
                                "mode=1770 0 0"));
  EXPECT_THAT(mounts, HasSubstr("tmpfs /cache tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k"));
  EXPECT_THAT(mounts, HasSubstr(" /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=16384k"));
  int code = 0;
  in("touch /rootfs-write 2>/dev/null", &code);
  EXPECT_NE(code, 0) << "the root filesystem is writable";
  in("touch /run/ok", &code);
  EXPECT_EQ(code, 0) << "the tmpfs is not writable";
  EXPECT_EQ(in("cat /proc/sys/net/core/somaxconn"), "1024\n");
  EXPECT_THAT(in("tr \"\\0\" \" \" < /proc/1/cmdline"), HasSubstr("docker-init -- /bin/sh"));
  EXPECT_THAT(in("id"), HasSubstr("1234"));
  in("test -c /dev/mynull", &code);
  EXPECT_EQ(code, 0) << "the device is missing";
  EXPECT_EQ(in("hostname -d"), "example.org\n");
  EXPECT_EQ(in("cat /proc/1/oom_score_adj"), "100\n");

  // Unchanged: nothing to do. One key changed in the file: `plan` compares every field with the
  // daemon's inspect and names that key alone.
  RunResult unchanged = RunMaestro(file, {"plan", "--detailed-exitcode"});
  EXPECT_EQ(unchanged.exit_code, 0) << unchanged.all();
  std::string changed_file = WriteEnvironment(
      "keys2.yaml", absl::StrReplaceAll(kEnvironment, {{"read_only: true", "read_only: false"}}));
  RunResult changed = RunMaestro(changed_file, {"plan", "--detailed-exitcode"});
  EXPECT_EQ(changed.exit_code, 2) << changed.all();
  EXPECT_THAT(changed.out, HasSubstr(absl::StrCat(C("all"),
                                                  " recreate: read_only: is false, container has "
                                                  "true\nPlan: 1 to recreate.")))
      << changed.all();
}

TEST_F(ContainerKeysTest, BadKeyIsALocatedErrorAndTouchesNothing) {
  std::string file = WriteEnvironment(
      "bad.yaml", absl::StrReplaceAll(kEnvironment, {{"stop_signal: quit", "stop_signal: NOPE"}}));
  RunResult start = RunMaestro(file, {"start"});
  EXPECT_NE(start.exit_code, 0);
  EXPECT_THAT(start.all(), HasSubstr("bad.yaml:11:18: services.keys.stop_signal: unknown signal "
                                     "'NOPE'"))
      << start.all();
  EXPECT_FALSE(Inspect(C("all")).has_value());
}

}  // namespace
}  // namespace maestro::integration
