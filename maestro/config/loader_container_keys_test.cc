// The Compose-style container keys (docs/environment.md#container-keys): every key's accepted
// forms, service-to-instance inheritance, and a located error for each bad value.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/config_test_util.h"

namespace maestro {
namespace config {
namespace {

using test_util::LoadErrors;
using test_util::LoadText;
using ::testing::HasSubstr;

// Service svc (with `service` lines) and its instance c1 (with `instance` flow entries).
std::string Env(const std::string& service, const std::string& instance) {
  return "name: t\nships: {s1: {ip: 10.0.0.1}}\nservices:\n  svc:\n    image: busybox\n" +
         (service.empty() ? "" : "    " + service + "\n") + "    instances:\n      c1: {ship: s1" +
         (instance.empty() ? "" : ", " + instance) + "}\n";
}

model::Instance Loaded(const std::string& text) {
  absl::StatusOr<LoadResult> r = LoadText(text);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok() || r->environment.instances.empty()) return {};
  return r->environment.instances[0];
}

TEST(LoaderContainerKeysTest, NothingSetByDefault) {
  model::Instance c = Loaded(Env("", ""));
  EXPECT_TRUE(c.options->tmpfs.empty());
  EXPECT_FALSE(c.options->read_only.has_value());
  EXPECT_FALSE(c.options->entrypoint.has_value());
  EXPECT_FALSE(c.limits.cpu.has_value());
}

TEST(LoaderContainerKeysTest, EveryKey) {
  model::Instance c = Loaded(Env(
      "",
      "read_only: true, init: true, shm_size: 128m, sysctls: {net.core.somaxconn: 1024}, "
      "devices: [/dev/fuse, '/dev/null:/dev/nothing:r'], group_add: [audio, 1000], "
      "ipc: shareable, stop_signal: quit, oom_score_adj: -500, cpuset: '0-1,3', cpu_shares: 512, "
      "memory_reservation: 1g, pids_limit: 100, entrypoint: '/bin/sh -c', tty: true, "
      "stdin_open: true, domainname: example.org, mac_address: '02:42:AC:11:00:99', "
      "tmpfs: /run"));
  const model::ContainerOptions& o = *c.options;
  EXPECT_EQ(o.tmpfs, (std::map<std::string, std::string>{{"/run", ""}}));
  EXPECT_EQ(o.read_only, true);
  EXPECT_EQ(o.init, true);
  EXPECT_EQ(o.shm_size, 128 << 20);
  EXPECT_EQ(o.sysctls, (std::map<std::string, std::string>{{"net.core.somaxconn", "1024"}}));
  EXPECT_EQ(o.devices, (std::vector<model::Device>{{"/dev/fuse", "/dev/fuse", "rwm"},
                                                   {"/dev/null", "/dev/nothing", "r"}}));
  EXPECT_EQ(o.group_add, (std::vector<std::string>{"audio", "1000"}));
  EXPECT_EQ(o.ipc, "shareable");
  EXPECT_EQ(o.stop_signal, "SIGQUIT");
  EXPECT_EQ(o.oom_score_adj, -500);
  EXPECT_EQ(o.cpuset, "0-1,3");
  EXPECT_EQ(c.limits.cpu, 512);
  EXPECT_EQ(o.memory_reservation, int64_t{1} << 30);
  EXPECT_EQ(o.pids_limit, 100);
  EXPECT_EQ(o.entrypoint, (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_EQ(o.tty, true);
  EXPECT_EQ(o.stdin_open, true);
  EXPECT_EQ(o.domainname, "example.org");
  EXPECT_EQ(o.mac_address, "02:42:ac:11:00:99");
}

TEST(LoaderContainerKeysTest, TmpfsForms) {
  EXPECT_EQ(
      Loaded(Env("", "tmpfs: ['/run:size=64m,mode=1777', '/tmp:noexec,size=1k']")).options->tmpfs,
      (std::map<std::string, std::string>{{"/run", "size=67108864,mode=1777"},
                                          {"/tmp", "size=1024,noexec"}}));
  EXPECT_EQ(Loaded(Env("",
                       "tmpfs: {/run: {size: 64m, mode: 1777}, /cache: null, "
                       "/x: 'mode=0700'}"))
                .options->tmpfs,
            (std::map<std::string, std::string>{
                {"/run", "size=67108864,mode=1777"}, {"/cache", ""}, {"/x", "mode=700"}}));
}

TEST(LoaderContainerKeysTest, ServiceValueIsTheDefaultAndTheInstanceReplacesIt) {
  model::Instance c =
      Loaded(Env("tmpfs: [/run, /tmp]\n    read_only: true\n    stop_signal: 9", "tmpfs: /cache"));
  EXPECT_EQ(c.options->tmpfs, (std::map<std::string, std::string>{{"/cache", ""}}));
  EXPECT_EQ(c.options->read_only, true);
  EXPECT_EQ(c.options->stop_signal, "9");
}

TEST(LoaderContainerKeysTest, EntrypointForms) {
  EXPECT_EQ(Loaded(Env("", "entrypoint: [tini, --]")).options->entrypoint,
            (std::vector<std::string>{"tini", "--"}));
  EXPECT_EQ(Loaded(Env("", "entrypoint: ''")).options->entrypoint, (std::vector<std::string>{""}));
}

TEST(LoaderContainerKeysTest, SignalsDockerKnows) {
  EXPECT_EQ(Loaded(Env("", "stop_signal: SIGRTMIN+3")).options->stop_signal, "SIGRTMIN+3");
  EXPECT_EQ(Loaded(Env("", "stop_signal: TERM")).options->stop_signal, "SIGTERM");
  EXPECT_EQ(Loaded(Env("", "stop_signal: SIGUSR1")).options->stop_signal, "SIGUSR1");
}

TEST(LoaderContainerKeysTest, CpuSharesEqualToLimitsCpuIsFine) {
  EXPECT_EQ(Loaded(Env("limits: {cpu: 256}", "cpu_shares: 256")).limits.cpu, 256);
}

TEST(LoaderContainerKeysTest, KeysAreKnownOnServicesAndInstances) {
  absl::StatusOr<LoadResult> r = LoadText(Env("init: true", "tty: true"));
  ASSERT_TRUE(r.ok()) << r.status();
  for (const Diagnostic& w : r->warnings) EXPECT_THAT(w.message, Not(HasSubstr("unknown key")));
}

// One bad value per key: the error names the file, line, column and key.
TEST(LoaderContainerKeysTest, BadValuesHaveLocatedErrors) {
  const std::string kAt = "maestro.yaml:7:";
  const std::string kPath = "services.svc.instances.c1.";
  struct Case {
    std::string yaml, key, message;
  } cases[] = {
      {"tmpfs: run", "tmpfs", "tmpfs path 'run' must be absolute"},
      {"tmpfs: '/run:size=lots'", "tmpfs", "tmpfs size: "},
      {"tmpfs: '/run:mode=999'", "tmpfs", "tmpfs mode '999' must be an octal number"},
      {"tmpfs: '/run:bogus'", "tmpfs", "unknown tmpfs option 'bogus'"},
      {"tmpfs: {/run: {size: -1}}", "tmpfs./run.size", "tmpfs size: negative size -1"},
      {"tmpfs: {/run: [1]}", "tmpfs./run",
       "tmpfs '/run' must be null, {size, mode} or an option string, got a list"},
      {"read_only: maybe", "read_only", "read_only must be true or false"},
      {"init: 1", "init", "init must be true or false"},
      {"shm_size: 1.5g", "shm_size", "invalid shm_size: "},
      {"sysctls: 5", "sysctls", "sysctls must be a mapping"},
      {"sysctls: ['net.core.somaxconn']", "sysctls[0]",
       "sysctls entry 'net.core.somaxconn' must be NAME=VALUE"},
      {"sysctls: {'bad name': 1}", "sysctls.bad name", "invalid sysctl name 'bad name'"},
      {"sysctls: ['bad name=1']", "sysctls[0]", "invalid sysctl name 'bad name'"},
      {"sysctls: [[1]]", "sysctls[0]", "a sysctls entry must be a string, got a list"},
      {"sysctls: {net.core.somaxconn: true}", "sysctls.net.core.somaxconn",
       "sysctls 'net.core.somaxconn' must be a string, got a boolean"},
      {"devices: /dev/fuse", "devices", "devices must be a list"},
      {"devices: ['/dev/fuse:/dev/fuse:rx']", "devices[0]", "device permissions 'rx'"},
      {"devices: [dev/fuse]", "devices[0]", "device host path 'dev/fuse' must be absolute"},
      {"group_add: audio", "group_add", "group_add must be a list"},
      {"ipc: shared", "ipc", "ipc must be none, private, shareable, host or container:NAME"},
      {"stop_signal: SIGNOPE", "stop_signal", "unknown signal 'SIGNOPE'"},
      {"stop_signal: 65", "stop_signal", "signal number 65 is not 1-64"},
      {"oom_score_adj: 1001", "oom_score_adj",
       "oom_score_adj must be between -1000 and 1000, got 1001"},
      {"cpuset: '2-1'", "cpuset", "cpuset '2-1' must be CPU numbers and ranges"},
      {"cpu_shares: -2", "cpu_shares", "cpu_shares must not be negative"},
      {"cpu_shares: 10, limits: {cpu: 20}", "cpu_shares",
       "cpu_shares (10) conflicts with limits.cpu (20)"},
      {"memory_reservation: 10x", "memory_reservation", "invalid memory_reservation: "},
      {"pids_limit: -2", "pids_limit", "pids_limit must be -1 (unlimited) or more"},
      {"entrypoint: 'a \"b'", "entrypoint", "cannot split entrypoint"},
      {"entrypoint: {a: b}", "entrypoint", "entrypoint must be a string"},
      {"tty: yes please", "tty", "tty must be true or false"},
      {"stdin_open: 3", "stdin_open", "stdin_open must be true or false"},
      {"domainname: 'a b'", "domainname", "domainname 'a b' must be letters"},
      {"mac_address: '02:42:ac'", "mac_address", "mac_address '02:42:ac' must look like"},
  };
  for (const Case& c : cases) {
    std::string errors = LoadErrors(Env("", c.yaml));
    EXPECT_THAT(errors, HasSubstr(kAt)) << c.yaml;
    EXPECT_THAT(errors, HasSubstr(absl::StrCat(kPath, c.key, ": ", c.message))) << c.yaml;
  }
}

TEST(LoaderContainerKeysTest, BadServiceValueIsLocatedAtTheService) {
  EXPECT_THAT(LoadErrors(Env("stop_signal: NOPE", "")),
              HasSubstr("maestro.yaml:6:18: services.svc.stop_signal: unknown signal 'NOPE'"));
}

TEST(LoaderContainerKeysTest, SysctlsAsAList) {
  EXPECT_EQ(Loaded(Env("", "sysctls: ['net.core.somaxconn=1024', 'kernel.msgmax=65536']"))
                .options->sysctls,
            (std::map<std::string, std::string>{{"net.core.somaxconn", "1024"},
                                                {"kernel.msgmax", "65536"}}));
}

// A service without instances has its container keys checked all the same.
TEST(LoaderContainerKeysTest, BadServiceValueIsReportedWithoutInstances) {
  EXPECT_EQ(LoadErrors("name: demo\nships: {s1: {ip: 10.0.0.1}}\nservices:\n  svc:\n"
                       "    image: busybox\n    stop_signal: NOPE\n    cpu_shares: 5\n"
                       "    limits: {cpu: 6}\n    instances: {}\n"),
            "maestro.yaml:6:18: services.svc.stop_signal: unknown signal 'NOPE' (a name such as "
            "SIGTERM, SIGQUIT, SIGRTMIN+3, or a number)\n"
            "maestro.yaml:7:17: services.svc.cpu_shares: cpu_shares (5) conflicts with limits.cpu "
            "(6): both set CpuShares; keep one");
  EXPECT_EQ(LoadErrors("name: demo\nships: {s1: {ip: 10.0.0.1}}\nservices:\n  svc:\n"
                       "    image: busybox\n    stop_signal: TERM\n    instances: {}\n"),
            "<ok>");
}

}  // namespace
}  // namespace config
}  // namespace maestro
