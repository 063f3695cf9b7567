#include "maestro/swarm/stack_export.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"

namespace maestro::swarm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

model::Environment Load(const std::string& text) {
  config::LoadInput in;
  in.display_name = "test.yaml";
  in.text = text;
  config::FakeFileReader files;
  absl::StatusOr<config::LoadResult> loaded = config::LoadEnvironment(in, files);
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  return loaded.ok() ? loaded->environment : model::Environment{};
}

std::vector<std::string> All(const model::Environment& env) {
  std::vector<std::string> out;
  for (const model::Instance& i : env.instances) out.push_back(i.name);
  return out;
}

std::vector<std::string> GapLines(const StackExport& e) {
  std::vector<std::string> out;
  for (const Gap& g : e.gaps) out.push_back(g.ToString());
  return out;
}

// The file the orchestration tests use, with one of each mappable and unmappable key.
constexpr char kEnvironment[] = R"(
__maestro: {schema: 2}
name: shop
ships:
  ship1: {ip: 10.0.0.1}
  ship2: {ip: 10.0.0.2}
services:
  db:
    image: postgres:13
    env: {POSTGRES_PASSWORD: "pa$word", EMPTY: ~}
    instances:
      db-1:
        ship: ship1
        ports: {sql: "5432:15432"}
        volumes: {/srv/db: /var/lib/postgresql/data}
        restart: {name: on-failure, maximum_retry_count: 3}
        limits: {memory: 512m, cpu: 2}
        lifecycle: {running: [{type: tcp, port: sql}]}
  web:
    image: shop/web:1.2
    requires: [db]
    env: {GREETING: hello}
    instances:
      web-1:
        ship: ship2
        ports: {http: "80:8080", admin: {exposed: 9000, external: [127.0.0.1, 9000]}}
        command: ["/bin/web", "--port", "80"]
        volumes: {/srv/conf: {target: /etc/web, mode: ro}}
        privileged: true
        links: {db-1: db}
        stop_timeout: 3
        log_driver: json-file
        log_opt: {max-size: 10m}
)";

TEST(StackExportTest, MatchesTheGoldenStackFile) {
  model::Environment env = Load(kEnvironment);
  absl::StatusOr<StackExport> e = ExportSwarmStack(env, All(env), {});
  ASSERT_TRUE(e.ok()) << e.status();
  const std::string golden_path = "maestro/swarm/testdata/shop.stack.yml";
  if (const char* dir = std::getenv("MAESTRO_WRITE_GOLDEN")) {
    std::ofstream(absl::StrCat(dir, "/shop.stack.yml")) << e->yaml;
    std::ofstream(absl::StrCat(dir, "/shop.gaps.txt")) << absl::StrJoin(GapLines(*e), "\n") << "\n";
  }
  std::ifstream golden(golden_path);
  ASSERT_TRUE(golden.good()) << golden_path;
  std::stringstream text;
  text << golden.rdbuf();
  EXPECT_EQ(e->yaml, text.str());
  std::ifstream gaps_file("maestro/swarm/testdata/shop.gaps.txt");
  std::stringstream gaps;
  gaps << gaps_file.rdbuf();
  EXPECT_EQ(absl::StrJoin(GapLines(*e), "\n") + "\n", gaps.str());
}

TEST(StackExportTest, TheEnvironmentIsTheOneStartInjectsWithDollarsEscaped) {
  model::Environment env = Load(kEnvironment);
  absl::StatusOr<StackExport> e = ExportSwarmStack(env, {"web-1"}, {});
  ASSERT_TRUE(e.ok()) << e.status();
  const model::Instance* web = env.FindInstance("web-1");
  for (const std::string& var : web->DockerEnv()) {
    std::string escaped;
    for (char c : var) escaped += c == '$' ? std::string("$$") : std::string(1, c);
    EXPECT_THAT(e->yaml, HasSubstr(absl::StrCat("      - \"", escaped))) << var << " missing from\n"
                                                                         << e->yaml;
  }
  // The one secret-looking value that holds a '$' is written doubled, read back once.
  model::Environment env2 = Load(kEnvironment);
  absl::StatusOr<StackExport> db = ExportSwarmStack(env2, {"db-1"}, {});
  ASSERT_TRUE(db.ok());
  EXPECT_THAT(db->yaml, HasSubstr("\"POSTGRES_PASSWORD=pa$$word\""));
}

TEST(StackExportTest, PinsEachInstanceToItsShipWithHostModePorts) {
  model::Environment env = Load(kEnvironment);
  absl::StatusOr<StackExport> e = ExportSwarmStack(env, All(env), {});
  ASSERT_TRUE(e.ok());
  EXPECT_THAT(e->yaml, HasSubstr("\"node.labels.maestro.ship == ship1\""));
  EXPECT_THAT(e->yaml, HasSubstr("\"node.labels.maestro.ship == ship2\""));
  EXPECT_THAT(e->yaml, HasSubstr("- target: 5432\n        published: 15432\n        "
                                 "protocol: tcp\n        mode: host\n"));
  absl::StatusOr<StackExport> by_host =
      ExportSwarmStack(env, All(env), {.placement = Placement::kHostname});
  ASSERT_TRUE(by_host.ok());
  EXPECT_THAT(by_host->yaml, HasSubstr("\"node.hostname == 10.0.0.1\""));
}

TEST(StackExportTest, RelaxedServicesAreReachedThroughSwarmDns) {
  model::Environment env = Load(kEnvironment);
  absl::StatusOr<StackExport> e = ExportSwarmStack(env, All(env), {.relaxed_services = {"db"}});
  ASSERT_TRUE(e.ok()) << e.status();
  // web-1's view of db-1: the service name and the container port.
  EXPECT_THAT(e->yaml, HasSubstr("\"DB_DB_1_HOST=db-1\""));
  EXPECT_THAT(e->yaml, HasSubstr("\"DB_DB_1_SQL_PORT=5432\""));
  EXPECT_THAT(e->yaml, Not(HasSubstr("DB_DB_1_HOST=10.0.0.1")));
  EXPECT_THAT(e->yaml, Not(HasSubstr("== ship1")));
  EXPECT_THAT(e->yaml, HasSubstr("mode: ingress"));
  // web stays pinned.
  EXPECT_THAT(e->yaml, HasSubstr("== ship2"));
  // Swarm reschedules only what it restarts: db-1's on-failure becomes any, and says so.
  EXPECT_THAT(e->yaml, HasSubstr("restart_policy:\n        condition: any\n"));
  EXPECT_THAT(absl::StrJoin(GapLines(*e), "\n"),
              HasSubstr("db-1: restart: a relaxed service is kept running by Swarm: condition "
                        "`any` instead of `on-failure`"));

  absl::StatusOr<StackExport> bad = ExportSwarmStack(env, All(env), {.relaxed_services = {"nope"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("nope is not a service"));
}

TEST(StackExportTest, StrictTurnsEveryGapIntoOneError) {
  model::Environment env = Load(kEnvironment);
  absl::StatusOr<StackExport> e = ExportSwarmStack(env, All(env), {.strict = true});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(e.status().message(), HasSubstr("web-1: privileged: not available"));
  EXPECT_THAT(e.status().message(), HasSubstr("web-1: links: no Swarm equivalent"));
  EXPECT_THAT(e.status().message(), HasSubstr("db-1: lifecycle.running:"));
  // Without gaps, strict is fine.
  model::Environment plain = Load(R"(
name: plain
ships: {s: {ip: 10.0.0.1}}
services:
  a: {image: busybox, instances: {a-1: {ship: s}}}
)");
  EXPECT_TRUE(ExportSwarmStack(plain, {"a-1"}, {.strict = true}).ok());
}

TEST(StackExportTest, UnmappedKeysAndBadNamesAreReported) {
  model::Environment env = Load(R"(
name: odd
ships: {s: {ip: 10.0.0.1}}
services:
  a:
    image: busybox
    instances:
      a-1: {ship: s, net: "container:x", pid: host, volumes_from: [a-2], ulimits: {nofile: 1024}}
      a-2: {ship: s, net: host, ports: {p: "1000-1002:2000-2002"}}
)");
  absl::StatusOr<StackExport> e = ExportSwarmStack(env, All(env), {});
  ASSERT_TRUE(e.ok()) << e.status();
  std::string gaps = absl::StrJoin(GapLines(*e), "\n");
  EXPECT_THAT(gaps, HasSubstr("a-1: net: `net: container:x` has no Swarm equivalent"));
  EXPECT_THAT(gaps, HasSubstr("a-1: pid:"));
  EXPECT_THAT(gaps, HasSubstr("a-1: volumes_from:"));
  EXPECT_THAT(gaps, HasSubstr("a-1: ulimits:"));
  // Host networking maps onto the node's host network; a port range onto one entry per port.
  EXPECT_THAT(e->yaml, HasSubstr("networks: [hostnet]"));
  EXPECT_THAT(e->yaml, HasSubstr("  hostnet:\n    external: true\n    name: host\n"));
  EXPECT_THAT(e->yaml, HasSubstr("- target: 1002\n        published: 2002\n"));

  model::Environment bad = Load(R"(
name: odd
ships: {s: {ip: 10.0.0.1}}
services:
  a: {image: busybox, instances: {"-weird": {ship: s}}}
)");
  absl::StatusOr<StackExport> b = ExportSwarmStack(bad, All(bad), {});
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.status().message(), HasSubstr("test.yaml:5:"));
  EXPECT_THAT(b.status().message(), HasSubstr("-weird: not a valid Swarm service name"));
}

// The container keys (docs/environment.md#container-keys): what Compose 3.8 has for Swarm is
// written, the rest are gaps, so nothing is dropped silently.
TEST(StackExportTest, ContainerKeysMappedOrListedAsGaps) {
  model::Environment env = Load(R"(
name: keys
ships: {ship1: {ip: 10.0.0.1}}
services:
  app:
    image: app:1
    read_only: true
    init: true
    instances:
      app-1:
        ship: ship1
        tmpfs: ["/run:size=64m,mode=1777", /cache]
        entrypoint: [/bin/sh, -c]
        tty: true
        stdin_open: false
        stop_signal: quit
        sysctls: {net.core.somaxconn: 1024}
        memory_reservation: 32m
        shm_size: 16m
        devices: [/dev/fuse]
        group_add: [audio]
        ipc: host
        oom_score_adj: 10
        cpuset: "0"
        pids_limit: 100
        domainname: example.org
        mac_address: "02:42:ac:11:00:99"
)");
  absl::StatusOr<StackExport> e = ExportSwarmStack(env, All(env), {});
  ASSERT_TRUE(e.ok()) << e.status();
  for (const char* line :
       {"    entrypoint: [\"/bin/sh\", \"-c\"]\n", "    tty: true\n", "    stdin_open: false\n",
        "    stop_signal: \"SIGQUIT\"\n", "    read_only: true\n", "    init: true\n",
        "    sysctls:\n      \"net.core.somaxconn\": \"1024\"\n",
        "      - type: tmpfs\n        target: \"/cache\"\n",
        "      - type: tmpfs\n        target: \"/run\"\n        tmpfs:\n          size: 67108864\n",
        "        reservations:\n          memory: \"33554432\"\n"}) {
    EXPECT_THAT(e->yaml, HasSubstr(line)) << e->yaml;
  }
  std::string gaps = absl::StrJoin(GapLines(*e), "\n");
  EXPECT_THAT(gaps, HasSubstr("app-1: tmpfs./run: Compose 3.8 takes only a tmpfs size; mode=1777 "
                              "dropped"));
  for (const char* key : {"shm_size", "devices", "group_add", "ipc", "oom_score_adj", "cpuset",
                          "pids_limit", "domainname", "mac_address"}) {
    EXPECT_THAT(gaps, HasSubstr(absl::StrCat("app-1: ", key, ": "))) << gaps;
  }
  EXPECT_THAT(gaps, Not(HasSubstr("no Swarm mapping yet"))) << gaps;
}

}  // namespace
}  // namespace maestro::swarm
