// `export swarm --deploy` and `status --stack` against FakeDockerHost's swarm manager; and the
// stack file's new parts (secrets, networks, healthcheck) as a golden file.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"
#include "maestro/config/secret_values.h"
#include "maestro/swarm/service_spec.h"
#include "maestro/swarm/stack_export.h"
#include "maestro/swarm/swarm_deploy.h"
#include "maestro/testing/fake_docker_host.h"

namespace maestro::swarm {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecretValue[] = "s3cr$t\nvalue";

constexpr char kEnvironment[] = R"(
__maestro: {schema: 2}
name: shop
ships:
  ship1: {ip: 10.0.0.1}
  ship2: {ip: 10.0.0.2}
networks:
  backend: {subnet: 10.77.0.0/16, labels: {team: core}}
volumes:
  pgdata: {}
secrets:
  db_password: {file: secrets/db.txt}
  api_token: {environment: API_TOKEN}
services:
  db:
    image: postgres:13
    env: {POSTGRES_PASSWORD_FILE: /run/secrets/db_password}
    secrets: [db_password]
    networks: {backend: {aliases: [database]}}
    healthcheck: {test: pg_isready, interval: 5s, timeout: 3s, retries: 3}
    instances:
      db-1: {ship: ship1, ports: {sql: "5432:15432"}, volumes: {pgdata: /var/lib/postgresql/data}}
  web:
    image: shop/web:1.2
    secrets: [{source: api_token, target: /srv/web/token, mode: 0440, uid: 33}]
    instances:
      web-1: {ship: ship2, ports: {http: "80:8080"}}
)";

model::Environment Load(const std::string& text, const std::string& db_value = kSecretValue) {
  config::LoadInput in;
  in.display_name = "/cfg/shop.yaml";
  in.base_dir = "/cfg";
  in.text = text;
  config::FakeFileReader files;
  absl::StatusOr<config::LoadResult> loaded = config::LoadEnvironment(in, files);
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  if (!loaded.ok()) return {};
  model::Environment env = loaded->environment;
  config::FakeFileReader secret_files;
  secret_files.Add("/cfg/secrets/db.txt", db_value);
  config::SecretSources sources;
  sources.files = &secret_files;
  sources.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "API_TOKEN") return std::string("token-value");
    return std::nullopt;
  };
  absl::Status resolved = config::ResolveSecrets(env, sources);
  EXPECT_TRUE(resolved.ok()) << resolved;
  return env;
}

std::vector<std::string> All(const model::Environment& env) {
  std::vector<std::string> out;
  for (const model::Instance& i : env.instances) out.push_back(i.name);
  return out;
}

class SwarmDeployTest : public ::testing::Test {
 protected:
  SwarmDeployTest() : manager_("ship1"), worker_("ship2") {
    manager_.SetSwarmManager(true);
    manager_.AddSwarmNode("node1id000000000", "vm", "10.0.0.1", {{"maestro.ship", "ship1"}});
    manager_.AddSwarmNode("node2id000000000", "vm", "10.0.0.2", {{"maestro.ship", "ship2"}});
  }
  ClientForShip Clients() {
    return [this](const std::string& ship) -> absl::StatusOr<docker::DockerClient*> {
      if (ship == "ship1") return &manager_;
      return &worker_;
    };
  }
  absl::StatusOr<DeployReport> Deploy(const model::Environment& env) {
    absl::StatusOr<StackModel> m = BuildStackModel(env, All(env), {});
    if (!m.ok()) return m.status();
    return DeployStack(env, *m, "prod", manager_);
  }
  testing::FakeDockerHost manager_;
  testing::FakeDockerHost worker_;
};

TEST_F(SwarmDeployTest, CreatesNetworksSecretsAndServicesLikeStackDeploy) {
  model::Environment env = Load(kEnvironment);
  absl::StatusOr<DeployReport> r = Deploy(env);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string db_secret = SwarmSecretName("shop", "db_password", env.secrets[0].fingerprint);
  EXPECT_THAT(
      r->lines,
      ElementsAre(
          "network prod_default: created", "network prod_backend: created",
          absl::StrCat("secret ", db_secret, ": created"),
          absl::StrCat("secret ", SwarmSecretName("shop", "api_token", env.secrets[1].fingerprint),
                       ": created"),
          "service prod_db-1: created", "service prod_web-1: created"));
  // The value reaches the swarm byte for byte, and no line shows it.
  EXPECT_EQ(manager_.SwarmSecretValue(db_secret), std::string(kSecretValue));
  EXPECT_THAT(absl::StrJoin(r->lines, "\n"), Not(HasSubstr("s3cr")));

  std::optional<json> db = manager_.SwarmServiceSpec("prod_db-1");
  ASSERT_TRUE(db.has_value());
  EXPECT_EQ((*db)["Labels"][kStackNamespaceLabel], "prod");
  EXPECT_EQ((*db)["Labels"]["maestro.instance"], "db-1");
  const json& c = (*db)["TaskTemplate"]["ContainerSpec"];
  EXPECT_EQ(c["Env"], json(env.FindInstance("db-1")->DockerEnv()));
  EXPECT_EQ(c["Labels"][kStackNamespaceLabel], "prod");
  EXPECT_EQ(c["Healthcheck"], json({{"Test", {"CMD-SHELL", "pg_isready"}},
                                    {"Interval", 5000000000LL},
                                    {"Timeout", 3000000000LL},
                                    {"Retries", 3}}));
  EXPECT_EQ(c["Secrets"][0]["SecretName"], db_secret);
  EXPECT_EQ(c["Secrets"][0]["File"]["Name"], "/run/secrets/db_password");
  EXPECT_EQ(c["Secrets"][0]["File"]["Mode"], 0400);
  // The named volume keeps its name; Swarm mounts its secrets itself: no tmpfs of maestro's
  // delivery over them.
  EXPECT_EQ(c["Mounts"], json::parse(R"([{"Type": "volume", "Source": "shop_pgdata",
                                          "Target": "/var/lib/postgresql/data"}])"));
  EXPECT_EQ((*db)["TaskTemplate"]["Placement"]["Constraints"],
            json({"node.labels.maestro.ship == ship1"}));
  EXPECT_EQ((*db)["TaskTemplate"]["Networks"][0]["Aliases"], json({"db-1", "database"}));
  EXPECT_EQ((*db)["EndpointSpec"]["Ports"][0], json({{"Protocol", "tcp"},
                                                     {"TargetPort", 5432},
                                                     {"PublishedPort", 15432},
                                                     {"PublishMode", "host"}}));
  std::optional<json> web = manager_.SwarmServiceSpec("prod_web-1");
  ASSERT_TRUE(web.has_value());
  const json& ws = (*web)["TaskTemplate"]["ContainerSpec"]["Secrets"][0];
  EXPECT_EQ(ws["File"],
            json({{"Name", "/srv/web/token"}, {"UID", "33"}, {"GID", "0"}, {"Mode", 0440}}));
  EXPECT_EQ((*web)["TaskTemplate"]["Networks"][0]["Target"],
            manager_.InspectNetwork("prod_default")->id);
}

TEST_F(SwarmDeployTest, ASecondDeployChangesNothingAndAChangeUpdatesWithTheVersion) {
  model::Environment env = Load(kEnvironment);
  ASSERT_TRUE(Deploy(env).ok());
  const size_t calls = manager_.calls().size();
  absl::StatusOr<DeployReport> again = Deploy(env);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->lines.empty());
  EXPECT_EQ(again->Summary("prod"),
            "stack prod: nothing changed (6 objects already as the environment says)");
  for (size_t i = calls; i < manager_.calls().size(); ++i) {
    EXPECT_THAT(manager_.calls()[i].method, Not(HasSubstr("Create")));
    EXPECT_NE(manager_.calls()[i].method, "UpdateService");
  }

  // A new secret value is a new secret (Swarm's are immutable), and db-1 is updated to it.
  model::Environment changed = Load(kEnvironment, "another value");
  absl::StatusOr<DeployReport> r = Deploy(changed);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string name = SwarmSecretName("shop", "db_password", changed.secrets[0].fingerprint);
  EXPECT_THAT(r->lines, ElementsAre(absl::StrCat("secret ", name, ": created"),
                                    "service prod_db-1: updated"));
  EXPECT_EQ(manager_.SwarmSecretValue(name), std::string("another value"));
  EXPECT_EQ(manager_.SwarmServiceSpec("prod_db-1")
                .value()["TaskTemplate"]["ContainerSpec"]["Secrets"][0]["SecretName"],
            name);
}

TEST_F(SwarmDeployTest, ANonManagerShipIsAnErrorNamingIt) {
  model::Environment env = Load(kEnvironment);
  absl::StatusOr<Manager> m = FindManager(env, Clients(), "ship2");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(m.status().message(), HasSubstr("ship ship2 is not a reachable swarm manager"));
  EXPECT_THAT(m.status().message(), HasSubstr("not a swarm manager"));
  absl::StatusOr<Manager> first = FindManager(env, Clients());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->ship, "ship1");
  EXPECT_FALSE(FindManager(env, Clients(), "nope").ok());

  // The manager's errors name what failed; a bad stack name is refused before any call.
  absl::StatusOr<StackModel> model = BuildStackModel(env, All(env), {});
  ASSERT_TRUE(model.ok());
  absl::StatusOr<DeployReport> bad = DeployStack(env, *model, "bad stack", manager_);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("'bad stack' is not a valid stack name"));
  absl::StatusOr<DeployReport> on_worker = DeployStack(env, *model, "prod", worker_);
  ASSERT_FALSE(on_worker.ok());
  EXPECT_THAT(on_worker.status().message(), HasSubstr("not a swarm manager"));
}

TEST_F(SwarmDeployTest, StatusShowsEachInstancesTaskAndNode) {
  model::Environment env = Load(kEnvironment);
  ASSERT_TRUE(Deploy(env).ok());
  absl::StatusOr<Manager> m = FindManager(env, Clients());
  ASSERT_TRUE(m.ok());
  absl::StatusOr<std::vector<StackTaskStatus>> st =
      StackStatus({"db-1", "web-1", "gone-1"}, "prod", *m);
  ASSERT_TRUE(st.ok()) << st.status();
  ASSERT_EQ(st->size(), 3u);
  EXPECT_EQ((*st)[0].service, "prod_db-1");
  EXPECT_EQ((*st)[0].state, "running");
  EXPECT_EQ((*st)[0].node, "vm (maestro.ship=ship1)");
  EXPECT_EQ((*st)[1].node, "vm (maestro.ship=ship2)");
  EXPECT_FALSE((*st)[2].found);
}

// The spec and the stack file come from one model: every environment entry, port and
// constraint of the spec is in the stack file, quoted as the file quotes it.
TEST_F(SwarmDeployTest, TheSpecSaysWhatTheStackFileSays) {
  model::Environment env = Load(kEnvironment);
  absl::StatusOr<StackExport> e = ExportSwarmStack(env, All(env), {});
  ASSERT_TRUE(e.ok()) << e.status();
  for (const SwarmService& s : e->model.services) {
    json spec = ServiceSpec("prod", e->model, s, {}, {});
    for (const json& var : spec["TaskTemplate"]["ContainerSpec"]["Env"]) {
      EXPECT_THAT(e->yaml, HasSubstr(json(var).dump())) << var;
    }
    for (const json& c : spec["TaskTemplate"]["Placement"]["Constraints"]) {
      EXPECT_THAT(e->yaml, HasSubstr(c.dump()));
    }
    for (const json& p : spec["EndpointSpec"]["Ports"]) {
      EXPECT_THAT(e->yaml,
                  HasSubstr(absl::StrCat("- target: ", p["TargetPort"].get<int>(),
                                         "\n        published: ", p["PublishedPort"].get<int>())));
    }
  }
}

// The stack file's secrets, networks and healthcheck (never a secret's value).
TEST_F(SwarmDeployTest, MatchesTheGoldenStackFileWithSecretsAndNetworks) {
  model::Environment env = Load(kEnvironment);
  absl::StatusOr<StackExport> e = ExportSwarmStack(env, All(env), {});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(e->yaml, Not(HasSubstr("s3cr")));
  EXPECT_THAT(e->yaml, Not(HasSubstr("token-value")));
  if (const char* dir = std::getenv("MAESTRO_WRITE_GOLDEN")) {
    std::ofstream(absl::StrCat(dir, "/shop-secrets.stack.yml")) << e->yaml;
  }
  std::ifstream golden("maestro/swarm/testdata/shop-secrets.stack.yml");
  ASSERT_TRUE(golden.good());
  std::stringstream text;
  text << golden.rdbuf();
  EXPECT_EQ(e->yaml, text.str());
}

}  // namespace
}  // namespace maestro::swarm
