#include "maestro/config/dump.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"
#include "maestro/graph/graph.h"

namespace maestro {
namespace config {
namespace {

TEST(DumpTest, MasksSecretsAndListsEverything) {
  FakeFileReader files;
  LoadInput in{"maestro.yaml",
               "",
               R"(
name: t
registries: {r: {registry: "https://r.example/v1/", username: u, password: hunter2}}
audit: [{type: slack, channel: c, token: xoxb-secret}]
ships: {s: {ip: 10.0.0.1}}
services:
  db: {image: pg, instances: {db-1: {ship: s, ports: {pg: 5432}}}}
  web:
    image: web:2
    requires: [db]
    instances:
      web-1:
        ship: s
        lifecycle: {running: [{type: tcp, port: http}]}
        ports: {http: "80:8080"}
        env: {N: ~}
)",
               {}};
  auto r = LoadEnvironment(in, files);
  ASSERT_TRUE(r.ok()) << r.status();
  nlohmann::json j = DumpEnvironment(r->environment);
  EXPECT_EQ(j["format"], "maestro-dump/1");
  EXPECT_EQ(j["registries"][0]["password"], "********");
  EXPECT_EQ(j["audit"][0]["options"]["token"], "********");
  EXPECT_EQ(j.dump().find("hunter2"), std::string::npos);
  EXPECT_EQ(j.dump().find("xoxb-secret"), std::string::npos);
  const nlohmann::json& web = j["instances"][1];
  EXPECT_EQ(web["name"], "web-1");
  EXPECT_EQ(web["ports"][0]["external"], "8080/tcp");
  EXPECT_EQ(web["env"]["DB_DB_1_PG_PORT"], "5432");
  EXPECT_TRUE(web["env"]["N"].is_null());
  EXPECT_EQ(web["dependencies"], nlohmann::json::array({"db-1"}));
  EXPECT_EQ(web["lifecycle"]["running"][0]["port"], 8080);
  EXPECT_EQ(web["restart"]["name"], "no");
  EXPECT_EQ(web["tag"], "2");
  nlohmann::json only = DumpEnvironment(r->environment, {"db-1"});
  EXPECT_EQ(only["instances"].size(), 1u);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Loads dir/name.yaml as `maestro -f name.yaml` does from inside dir (base_dir "").
model::Environment LoadAsCli(const std::string& dir, const std::string& name) {
  RealFileReader files;
  LoadInput in;
  in.display_name = name + ".yaml";
  in.base_dir = dir;
  in.text = ReadFile(dir + "/" + name + ".yaml");
  auto r = LoadEnvironment(in, files);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return model::Environment();
  model::Environment env = r->environment;
  env.base_dir = "";
  return env;
}

// The containers `maestro dump [things]` lists (cli::ResolveCommandThings for dump).
std::vector<std::string> DumpContainers(const model::Environment& env,
                                        std::vector<std::string> things) {
  if (things.empty()) {
    for (const model::Service& s : env.services) {
      if (!s.omit) things.push_back(s.name);
    }
  }
  auto r = graph::ResolveThings(env, things, true, "", "", true, true);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<std::string>();
}

std::string Streamed(const model::Environment& env, const std::vector<std::string>& containers,
                     const DumpOptions& options = {}) {
  std::string out;
  absl::Status s = WriteDump(env, containers, options, [&](absl::string_view piece) {
    out.append(piece.data(), piece.size());
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// The streamed dump is byte for byte what the earlier, all-in-memory `maestro dump` printed
// (goldens written by that binary, see testdata/dump/BUILD.bazel), and so is DumpEnvironment.
TEST(WriteDumpTest, MatchesTheEarlierOutputByteForByte) {
  struct Case {
    std::string dir, name, golden;
    std::vector<std::string> things;
  };
  const std::vector<Case> cases = {
      {"testdata/envs/valid", "zookeeper_kafka", "zookeeper_kafka", {}},
      {"testdata/envs/valid", "zookeeper_kafka", "zookeeper_kafka.kafka", {"kafka"}},
      {"testdata/envs/valid", "anchors_envfiles", "anchors_envfiles", {}},
      {"testdata/envs/valid", "volumes_from_same_service", "volumes_from_same_service", {}},
      {"testdata/envs/valid", "schema1_volumes", "schema1_volumes", {}},
      {"testdata/dump", "chain_25", "chain_25", {}},
  };
  for (const Case& c : cases) {
    model::Environment env = LoadAsCli(c.dir, c.name);
    std::vector<std::string> containers = DumpContainers(env, c.things);
    std::string golden = ReadFile("testdata/dump/" + c.golden + ".golden.json");
    ASSERT_FALSE(golden.empty());
    EXPECT_EQ(Streamed(env, containers), golden) << c.golden;
    EXPECT_EQ(DumpEnvironment(env, containers)
                      .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
                  "\n",
              golden)
        << c.golden;
  }
}

TEST(WriteDumpTest, EdgeCasesMatchDumpEnvironment) {
  FakeFileReader files;
  // No instances at all; invalid UTF-8 (replaced, as before); a container list naming an
  // unknown container (skipped).
  LoadInput in{"maestro.yaml", "", "name: \"t\\xff\"\nships: {s: {ip: 10.0.0.1}}\n", {}};
  auto r = LoadEnvironment(in, files);
  ASSERT_TRUE(r.ok()) << r.status();
  const auto replace = nlohmann::json::error_handler_t::replace;
  EXPECT_EQ(Streamed(r->environment, {}),
            DumpEnvironment(r->environment).dump(2, ' ', false, replace) + "\n");
  model::Environment env = LoadAsCli("testdata/envs/valid", "zookeeper_kafka");
  std::vector<std::string> some = {"vm2-zk-node", "nope", "vm1-kafka-broker"};
  EXPECT_EQ(Streamed(env, some), DumpEnvironment(env, some).dump(2, ' ', false, replace) + "\n");
  // A failing writer stops the dump with an error.
  int calls = 0;
  absl::Status s = WriteDump(env, {}, {}, [&](absl::string_view) { return ++calls < 3; });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(calls, 3);
}

TEST(WriteDumpTest, SecretsAreMaskedUnlessAskedFor) {
  FakeFileReader files;
  LoadInput in{"maestro.yaml",
               "",
               R"(
name: t
registries: {r: {registry: "https://r.example/v1/", username: u, password: hunter2}}
audit: [{type: http, endpoint: "http://127.0.0.1/", api_key: k-123, token: xoxb-secret}]
ships: {s: {ip: 10.0.0.1}}
services:
  web:
    image: web:2
    env: {DB_PASSWORD: pw-value, github_token: gh-value, MODE: fast, EMPTY_KEY: ~}
    instances: {web-1: {ship: s}}
)",
               {}};
  auto r = LoadEnvironment(in, files);
  ASSERT_TRUE(r.ok()) << r.status();
  std::string masked = Streamed(r->environment, {});
  for (const char* secret : {"hunter2", "k-123", "xoxb-secret", "pw-value", "gh-value"}) {
    EXPECT_EQ(masked.find(secret), std::string::npos) << secret;
  }
  nlohmann::json doc = nlohmann::json::parse(masked);
  const nlohmann::json& web = doc["instances"][0];
  EXPECT_EQ(web["env"]["DB_PASSWORD"], "********");
  EXPECT_EQ(web["env"]["MODE"], "fast");
  EXPECT_TRUE(web["env"]["EMPTY_KEY"].is_null());  // nothing to hide
  std::vector<std::string> docker_env = web["docker_env"];
  EXPECT_NE(std::find(docker_env.begin(), docker_env.end(), "DB_PASSWORD=********"),
            docker_env.end());
  EXPECT_NE(std::find(docker_env.begin(), docker_env.end(), "EMPTY_KEY"), docker_env.end());
  EXPECT_EQ(doc["audit"][0]["options"]["api_key"], "********");
  EXPECT_EQ(doc["audit"][0]["options"]["endpoint"], "http://127.0.0.1/");
  std::string clear = Streamed(r->environment, {}, {.show_secrets = true});
  for (const char* secret : {"hunter2", "k-123", "xoxb-secret", "pw-value", "gh-value"}) {
    EXPECT_NE(clear.find(secret), std::string::npos) << secret;
  }
  EXPECT_NE(clear.find("\"DB_PASSWORD=pw-value\""), std::string::npos);
}

TEST(DumpTest, ContainerKeysOnlyWhenSet) {
  FakeFileReader files;
  LoadInput in{"maestro.yaml",
               "",
               R"(
name: t
ships: {s: {ip: 10.0.0.1}}
services:
  app:
    image: app
    read_only: true
    instances:
      a-1: {ship: s, tmpfs: "/run:size=1k", devices: [/dev/fuse], stop_signal: term, shm_size: 1m}
      a-2: {ship: s, read_only: false}
)",
               {}};
  auto r = LoadEnvironment(in, files);
  ASSERT_TRUE(r.ok()) << r.status();
  nlohmann::json j = DumpEnvironment(r->environment, {"a-1", "a-2"});
  const nlohmann::json& a1 = j["instances"][0];
  EXPECT_EQ(a1["tmpfs"], nlohmann::json::parse(R"({"/run": "size=1024"})"));
  EXPECT_EQ(a1["devices"], nlohmann::json::parse(R"(["/dev/fuse:/dev/fuse:rwm"])"));
  EXPECT_EQ(a1["stop_signal"], "SIGTERM");
  EXPECT_EQ(a1["shm_size"], 1048576);
  EXPECT_EQ(a1["read_only"], true);
  const nlohmann::json& a2 = j["instances"][1];
  EXPECT_EQ(a2["read_only"], false);
  for (const char* key : {"tmpfs", "devices", "stop_signal", "shm_size", "init", "entrypoint"}) {
    EXPECT_FALSE(a2.contains(key)) << key;
  }
}

TEST(DumpTest, NetworksVolumesAndSecretSourcesOnlyWhenTheFileHasThem) {
  FakeFileReader files;
  LoadInput in{"maestro.yaml",
               "",
               R"(
name: t
networks:
  back: {subnet: 10.77.0.0/16, labels: {team: core}}
  shared: {external: true}
volumes:
  data: {driver_opts: {type: tmpfs}}
secrets:
  db: {environment: DB_PASSWORD}
ships: {s: {ip: 10.0.0.1}}
services:
  app:
    image: app
    instances:
      a-1: {ship: s, networks: {back: {aliases: [db]}}, volumes: {/data: data}, secrets: [db]}
      a-2: {ship: s}
)",
               {}};
  auto r = LoadEnvironment(in, files);
  ASSERT_TRUE(r.ok()) << r.status();
  nlohmann::json j = nlohmann::json::parse(Streamed(r->environment, {}));
  EXPECT_EQ(j["networks"], nlohmann::json::parse(R"([
    {"name": "back", "daemon_name": "t_back", "external": false, "driver": "bridge",
     "subnet": "10.77.0.0/16", "gateway": "", "ip_range": "", "internal": false,
     "attachable": false, "enable_ipv6": false, "labels": {"team": "core"}, "driver_opts": {}},
    {"name": "shared", "daemon_name": "shared", "external": true, "driver": "bridge",
     "subnet": "", "gateway": "", "ip_range": "", "internal": false,
     "attachable": false, "enable_ipv6": false, "labels": {}, "driver_opts": {}}])"));
  EXPECT_EQ(j["volumes"], nlohmann::json::parse(R"([
    {"name": "data", "daemon_name": "t_data", "external": false, "driver": "local",
     "labels": {}, "driver_opts": {"type": "tmpfs"}}])"));
  EXPECT_EQ(j["secrets"],
            nlohmann::json::parse(R"([{"name": "db", "environment": "DB_PASSWORD"}])"));
  const nlohmann::json& a1 = j["instances"][0];
  EXPECT_EQ(a1["networks"], nlohmann::json::parse(R"([{"network": "back", "daemon_name": "t_back",
      "aliases": ["db"], "ipv4_address": "", "ipv6_address": ""}])"));
  EXPECT_EQ(a1["volumes"],
            nlohmann::json::parse(
                R"([{"host": "t_data", "target": "/data", "mode": "rw", "named": true}])"));
  const nlohmann::json& a2 = j["instances"][1];
  EXPECT_FALSE(a2.contains("networks"));
  EXPECT_FALSE(a2.contains("secrets"));

  // A file without them has none of these keys (its dump is as it always was).
  in.text =
      "name: t\nships: {s: {ip: 10.0.0.1}}\nservices: {app: {image: app, instances: {a-1: "
      "{ship: s, volumes: {/srv: /data}}}}}\n";
  auto plain = LoadEnvironment(in, files);
  ASSERT_TRUE(plain.ok()) << plain.status();
  nlohmann::json p = nlohmann::json::parse(Streamed(plain->environment, {}));
  for (const char* key : {"networks", "volumes", "secrets"}) EXPECT_FALSE(p.contains(key)) << key;
  EXPECT_EQ(p["instances"][0]["volumes"],
            nlohmann::json::parse(R"([{"host": "/data", "target": "/srv", "mode": "rw"}])"));
}

}  // namespace
}  // namespace config
}  // namespace maestro
