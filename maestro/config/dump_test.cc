#include "maestro/config/dump.h"

#include "gtest/gtest.h"
#include "maestro/config/loader.h"

namespace maestro {
namespace config {
namespace {

TEST(DumpTest, MasksSecretsAndListsEverything) {
  FakeFileReader files;
  LoadInput in{"maestro.yaml", "", R"(
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
)", {}};
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

}  // namespace
}  // namespace config
}  // namespace maestro
