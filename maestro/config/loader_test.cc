#include "maestro/config/loader.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/config_test_util.h"

namespace maestro {
namespace config {
namespace {

using Env = std::map<std::string, std::optional<std::string>>;

using test_util::LoadText;

// The first error line of loading `text`, or "<ok>".
std::string FirstError(const std::string& text) {
  std::string m = test_util::LoadErrors(text);
  return m.substr(0, m.find('\n'));
}

// The link-variable example verified against MaestroNG 0.8.3.
TEST(LoaderTest, LinkVariablesExample) {
  auto r = LoadText(R"(
name: demo
ships:
  s1: {ip: 10.0.0.1}
  s2: {ip: 10.0.0.2}
services:
  zookeeper:
    image: zk:3.4
    instances:
      zk-1: {ship: s1, ports: {client: 2181}}
      zk-2: {ship: s2, ports: {client: "2181:2182"}}
  kafka:
    image: kafka
    requires: [zookeeper]
    instances:
      kafka-1: {ship: s1, ports: {broker: 9092}}
)");
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Instance* kafka = r->environment.FindInstance("kafka-1");
  Env expected = {
      {"CONTAINER_HOST_ADDRESS", "10.0.0.1"},
      {"CONTAINER_NAME", "kafka-1"},
      {"DOCKER_IMAGE", "kafka"},
      {"DOCKER_TAG", "latest"},
      {"KAFKA_INSTANCES", "kafka-1"},
      {"KAFKA_KAFKA_1_BROKER_INTERNAL_PORT", "9092"},
      {"KAFKA_KAFKA_1_BROKER_PORT", "9092"},
      {"KAFKA_KAFKA_1_HOST", "10.0.0.1"},
      {"MAESTRO_ENVIRONMENT_NAME", "demo"},
      {"SERVICE_NAME", "kafka"},
      {"ZOOKEEPER_INSTANCES", "zk-1,zk-2"},
      {"ZOOKEEPER_ZK_1_CLIENT_PORT", "2181"},
      {"ZOOKEEPER_ZK_1_HOST", "10.0.0.1"},
      {"ZOOKEEPER_ZK_2_CLIENT_PORT", "2182"},
      {"ZOOKEEPER_ZK_2_HOST", "10.0.0.2"},
  };
  EXPECT_EQ(kafka->env, expected);
  const model::Instance* zk2 = r->environment.FindInstance("zk-2");
  EXPECT_EQ(zk2->env.at("ZOOKEEPER_ZK_2_CLIENT_INTERNAL_PORT"), "2181");
  EXPECT_EQ(zk2->env.at("ZOOKEEPER_ZK_1_CLIENT_INTERNAL_PORT"), "2181");
  EXPECT_EQ(zk2->env.count("KAFKA_INSTANCES"), 0u);
  EXPECT_EQ(zk2->env.at("DOCKER_TAG"), "3.4");
}

TEST(LoaderTest, WithoutLinkVariablesEverythingElseIsLoadedAndValidated) {
  const std::string text = R"(
name: demo
ships:
  s1: {ip: 10.0.0.1}
services:
  zookeeper:
    image: zk:3.4
    instances:
      zk-1: {ship: s1, ports: {client: 2181}, env: {A: b}}
  kafka:
    image: kafka
    requires: [zookeeper]
    instances:
      kafka-1: {ship: s1}
)";
  FakeFileReader files;
  LoadInput in;
  in.display_name = "maestro.yaml";
  in.text = text;
  in.link_variables = false;
  auto r = LoadEnvironment(in, files);
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Instance* zk = r->environment.FindInstance("zk-1");
  EXPECT_EQ(zk->env.at("A"), "b");
  EXPECT_EQ(zk->env.at("CONTAINER_NAME"), "zk-1");
  EXPECT_EQ(zk->env.count("ZOOKEEPER_ZK_1_HOST"), 0u);
  EXPECT_EQ(r->environment.FindService("kafka")->requires, std::vector<std::string>{"zookeeper"});
  // Validation is the same: a bad ship still fails.
  in.text = text + "      kafka-2: {ship: nowhere}\n";
  auto bad = LoadEnvironment(in, files);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown ship 'nowhere'"), absl::string_view::npos);
}

// MaestroNG's own unit test test_envfiles, exact dictionaries.
TEST(LoaderTest, UpstreamEnvfiles) {
  FakeFileReader files({{"/cfg/env1.env", "SOME_ENV=value\nOVERRIDE=rock\n"},
                        {"/cfg/env2.env", "OVERRIDE=giraffe\n"}});
  auto r = LoadText(R"(
__maestro:
  schema: 2
name: test-envfiles
ships:
  ship: {ip: localhost}
services:
  s1:
    image: ubuntu
    envfile: env1.env
    env:
      OVERRIDE: dog
    instances:
      s1a: {ship: ship}
      s1b:
        ship: ship
        envfile: env2.env
  s2:
    image: ubuntu
    envfile: [env1.env, env2.env]
    instances:
      s2a: {ship: ship}
      s2b:
        ship: ship
        env:
          OVERRIDE: cat
)",
                    &files);
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Environment& env = r->environment;
  EXPECT_EQ(env.FindService("s1")->env, (Env{{"MAESTRO_ENVIRONMENT_NAME", "test-envfiles"},
                                             {"SERVICE_NAME", "s1"},
                                             {"SOME_ENV", "value"},
                                             {"OVERRIDE", "dog"}}));
  Env s1a = {{"MAESTRO_ENVIRONMENT_NAME", "test-envfiles"},
             {"SERVICE_NAME", "s1"},
             {"SOME_ENV", "value"},
             {"OVERRIDE", "dog"},
             {"CONTAINER_NAME", "s1a"},
             {"CONTAINER_HOST_ADDRESS", "localhost"},
             {"DOCKER_IMAGE", "ubuntu"},
             {"DOCKER_TAG", "latest"},
             {"S1_INSTANCES", "s1a,s1b"},
             {"S1_S1A_HOST", "localhost"},
             {"S1_S1B_HOST", "localhost"}};
  EXPECT_EQ(env.FindInstance("s1a")->env, s1a);
  Env s1b = s1a;
  s1b["CONTAINER_NAME"] = "s1b";
  s1b["OVERRIDE"] = "giraffe";
  EXPECT_EQ(env.FindInstance("s1b")->env, s1b);
  EXPECT_EQ(env.FindService("s2")->env.at("OVERRIDE"), "giraffe");
  EXPECT_EQ(env.FindInstance("s2a")->env.at("OVERRIDE"), "giraffe");
  EXPECT_EQ(env.FindInstance("s2a")->env.at("S2_INSTANCES"), "s2a,s2b");
  EXPECT_EQ(env.FindInstance("s2b")->env.at("OVERRIDE"), "cat");
  EXPECT_EQ(env.FindInstance("s2b")->DockerEnv().front(), "CONTAINER_HOST_ADDRESS=localhost");
}

TEST(LoaderTest, EnvValueStringificationIsPythonStr) {
  auto r = LoadText(R"(
name: t
ships: {s: {ip: 10.0.0.1}}
services:
  svc:
    image: img
    env:
      SEEDED: overridden
      SERVICE_NAME: nope
    instances:
      c1:
        ship: s
        env:
          B1: true
          B2: no
          F1: 1.5
          F2: 0.00001
          F3: 1.20
          I1: 0755
          I2: 22:22
          D: 2020-01-01
          N:
          L: [This, [is, a], test]
          E: ['x', '']
          Q: "yes"
          SERVICE_NAME: custom
          CONTAINER_NAME: cannot-override
)");
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Instance* c = r->environment.FindInstance("c1");
  EXPECT_EQ(c->env.at("B1"), "True");
  EXPECT_EQ(c->env.at("B2"), "False");
  EXPECT_EQ(c->env.at("F1"), "1.5");
  EXPECT_EQ(c->env.at("F2"), "1e-05");
  EXPECT_EQ(c->env.at("F3"), "1.2");
  EXPECT_EQ(c->env.at("I1"), "493");
  EXPECT_EQ(c->env.at("I2"), "1342");
  EXPECT_EQ(c->env.at("D"), "2020-01-01");
  EXPECT_EQ(c->env.at("N"), std::nullopt);
  EXPECT_EQ(c->env.at("L"), "This is a test");
  EXPECT_EQ(c->env.at("E"), "x ");
  EXPECT_EQ(c->env.at("Q"), "yes");
  EXPECT_EQ(c->env.at("SERVICE_NAME"), "custom");  // instance env beats service seeds
  EXPECT_EQ(c->env.at("CONTAINER_NAME"), "c1");    // container seeds cannot be overridden
  EXPECT_EQ(r->environment.FindService("svc")->env.at("SERVICE_NAME"), "svc");
  std::vector<std::string> docker = c->DockerEnv();
  EXPECT_THAT(docker, ::testing::Contains("N"));
  EXPECT_THAT(docker, ::testing::Contains("B1=True"));
}

// MaestroNG compatibility: a YAML int beyond int64 is a Python int (exact str()), and link
// variable names use Python's Unicode \w and upper() ('ß' -> 'SS').
TEST(LoaderTest, BigIntEnvValuesAndUnicodeLinkNames) {
  auto r = LoadText(
      u8R"(
name: t
ships: {s: {ip: 10.0.0.1}}
services:
  straße:
    image: img
    instances:
      zk-ñ1: {ship: s, ports: {clïent: 2181}}
  app:
    image: img
    requires: [straße]
    env:
      BIG: 12345678901234567890
      NEG: -0x1_0000_0000_0000_0000
    instances:
      a1: {ship: s}
)");
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Instance* a1 = r->environment.FindInstance("a1");
  EXPECT_EQ(a1->env.at("BIG"), "12345678901234567890");
  EXPECT_EQ(a1->env.at("NEG"), "-18446744073709551616");
  EXPECT_EQ(a1->env.at(u8"STRASSE_ZK_Ñ1_HOST"), "10.0.0.1");
  EXPECT_EQ(a1->env.at(u8"STRASSE_ZK_Ñ1_CLÏENT_PORT"), "2181");
  EXPECT_EQ(a1->env.at("STRASSE_INSTANCES"), u8"zk-ñ1");
}

TEST(LoaderTest, WantsInfoIsDirectRequiresTransitive) {
  auto r = LoadText(R"(
name: t
ships: {s: {ip: 10.0.0.1}}
services:
  a: {image: a, instances: {a1: {ship: s, ports: {p: 1000}}}}
  b: {image: b, requires: [a], wants_info: [], instances: {b1: {ship: s}}}
  c: {image: c, requires: [b], instances: {c1: {ship: s}}}
  d: {image: d, wants_info: [c], instances: {d1: {ship: s}}}
)");
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& env = r->environment;
  EXPECT_EQ(env.FindInstance("c1")->env.at("A_A1_P_PORT"), "1000");  // transitive requires
  EXPECT_EQ(env.FindInstance("c1")->env.count("A_A1_P_INTERNAL_PORT"), 0u);
  EXPECT_EQ(env.FindInstance("d1")->env.at("C_INSTANCES"), "c1");
  EXPECT_EQ(env.FindInstance("d1")->env.count("B_INSTANCES"), 0u);  // wants_info is direct
}

TEST(LoaderTest, ServiceChecksDoNotAccumulateAndHttpHostAppliesToAll) {
  auto r = LoadText(R"(
name: t
ships: {s: {ip: 10.0.0.1}}
services:
  web:
    image: nginx
    ports: {http: 80}
    lifecycle:
      running:
        - {type: http, port: http, host: example.test, path: health}
    instances:
      w1:
        ship: s
        lifecycle:
          running: [{type: tcp, port: http}]
      w2: {ship: s}
      w3: {ship: s}
)");
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& env = r->environment;
  EXPECT_EQ(env.FindInstance("w1")->lifecycle.at("running").size(), 2u);
  for (const char* name : {"w2", "w3"}) {
    const auto& checks = env.FindInstance(name)->lifecycle.at("running");
    ASSERT_EQ(checks.size(), 1u) << name;
    EXPECT_EQ(checks[0].host, "example.test") << name;
    EXPECT_EQ(checks[0].path, "/health");
    EXPECT_EQ(checks[0].port, 80);
    EXPECT_EQ(checks[0].max_wait, 300);
    EXPECT_EQ(checks[0].method, "get");
  }
  const model::Check& tcp = env.FindInstance("w1")->lifecycle.at("running")[1];
  EXPECT_EQ(tcp.type, model::CheckType::kTcp);
  EXPECT_EQ(tcp.host, "10.0.0.1");
  EXPECT_EQ(tcp.max_wait, 180);
}

TEST(LoaderTest, ExecAndRexecChecksTakeAPerAttemptTimeout) {
  auto r = LoadText(R"(
name: t
ships: {s: {ip: 10.0.0.1}}
services:
  web:
    image: nginx
    instances:
      w1:
        ship: s
        lifecycle:
          running: [{type: exec, command: 'true', timeout: 2.5}, {type: rexec, command: 'true'}]
)");
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& checks = r->environment.FindInstance("w1")->lifecycle.at("running");
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].timeout, 2.5);
  EXPECT_EQ(checks[1].timeout, 60) << "the default";
}

TEST(LoaderTest, SharedDictPortViaAnchorWorksForEveryInstance) {
  auto r = LoadText(R"(
name: t
_ports: &p {broker: {exposed: 9092, external: [0.0.0.0, 19092]}}
ships: {s: {ip: 10.0.0.1}}
services:
  k:
    image: k
    ports: {admin: {exposed: 8080, external: 18080}}
    instances:
      k1: {ship: s, ports: *p}
      k2: {ship: s, ports: *p}
)");
  ASSERT_TRUE(r.ok()) << r.status();
  for (const char* name : {"k1", "k2"}) {
    const model::Instance* c = r->environment.FindInstance(name);
    ASSERT_EQ(c->ports.size(), 2u);
    EXPECT_EQ(c->ports[0].name, "admin");
    EXPECT_EQ(c->ports[1].external.first, 19092);
  }
}

TEST(LoaderTest, InstanceSettings) {
  auto r = LoadText(R"(
__maestro: {schema: 2}
name: t
ships:
  s: {ip: 10.0.0.1}
  t: {ip: 10.0.0.2}
services:
  svc:
    image: quay.io:5000/org/app:1.2
    limits: {memory: 1g, cpu: 2}
    instances:
      c1:
        ship: s
        command: "python foo.py -arg"
        volumes: {/outside: /inside, /ro: {target: /data, mode: ro}}
        container_volumes: /scratch
        links: {db: database}
        privileged: true
        extra_hosts: {other: {ship: t}, fixed: 192.168.0.1}
        restart: on-failure:3
        dns: 8.8.8.8
        limits: {swap: 42k}
        log_driver: json-file
        log_opt: {max-size: 2M, max-file: 2}
        ulimits: {nofile: {hard: 1024, soft: 512}, nproc: 65535}
        labels: [a, b]
        security_opt: [label:disable]
        workdir: /tmp
      c2:
        ship: s
        net: host
        volumes_from: c1
        labels: {x: 1}
)");
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& env = r->environment;
  const model::Instance* c1 = env.FindInstance("c1");
  EXPECT_EQ(c1->image_details.repository, "quay.io:5000/org/app");
  EXPECT_EQ(c1->image_details.tag, "1.2");
  EXPECT_EQ(c1->short_image, "org/app:1.2");
  EXPECT_EQ(*c1->command, (std::vector<std::string>{"python", "foo.py", "-arg"}));
  ASSERT_EQ(c1->volumes.size(), 2u);
  EXPECT_EQ(c1->volumes[0].host, "/outside");
  EXPECT_EQ(c1->volumes[1].mode, "ro");
  EXPECT_EQ(c1->Volumes(), (std::set<std::string>{"/data", "/inside", "/scratch"}));
  EXPECT_EQ(c1->extra_hosts.at("other"), "10.0.0.2");
  EXPECT_EQ(c1->restart.name, "on-failure");
  EXPECT_EQ(c1->restart.max_retry, 3);
  EXPECT_EQ(*c1->dns, std::vector<std::string>{"8.8.8.8"});
  EXPECT_EQ(*c1->limits.memory, 1073741824);
  EXPECT_EQ(*c1->limits.cpu, 2);
  EXPECT_EQ(*c1->limits.swap, 43008);
  EXPECT_EQ(c1->log_config->options.at("max-file"), "2");
  ASSERT_EQ(c1->ulimits.size(), 2u);
  EXPECT_EQ(c1->ulimits[0].soft, 512);
  EXPECT_EQ(c1->ulimits[1].hard, 65535);
  EXPECT_EQ(c1->labels->at("a"), "");
  EXPECT_EQ(c1->hostname, "c1");
  EXPECT_EQ(c1->stop_timeout, 10);
  const model::Instance* c2 = env.FindInstance("c2");
  EXPECT_EQ(c2->hostname, "");
  EXPECT_EQ(c2->volumes_from, std::vector<std::string>{"c1"});
  EXPECT_EQ(c2->labels->at("x"), "1");
  EXPECT_EQ(c2->restart.name, "no");
  EXPECT_TRUE(env.FindService("svc")->volumes_from_services.empty());
}

TEST(LoaderTest, ShipsDefaultsAndDockerHost) {
  auto r = LoadText(R"(
name: t
ship_defaults: {timeout: 30, api_version: 1.20, ip: 1.1.1.1}
ships:
  ship1: {ip: 10.0.0.1, endpoint: 192.168.10.1}
  ship2: {ip: 10.0.0.2, docker_port: 1234}
  local: {ip: 127.0.0.1, docker_host: "unix:///var/run/docker.sock"}
  remote: {docker_host: "tcp://10.0.0.9:2376", tls: true, tls_cert: c.pem, tls_key: k.pem}
  tunnel: {docker_host: "ssh://core@10.0.0.7:2222", ssh_tunnel: {key: /k}}
  sshold: {ip: 10.0.0.8, ssh_tunnel: {user: u, key: /k}}
services: {}
)");
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& env = r->environment;
  EXPECT_EQ(env.FindShip("ship1")->endpoint, "192.168.10.1");
  EXPECT_EQ(env.FindShip("ship1")->ip, "10.0.0.1");
  EXPECT_EQ(env.FindShip("ship1")->DockerUrl(), "http://192.168.10.1:2375");
  EXPECT_EQ(env.FindShip("ship2")->endpoint, "10.0.0.2");
  EXPECT_EQ(env.FindShip("ship2")->DockerUrl(), "http://10.0.0.2:1234");
  EXPECT_EQ(env.FindShip("ship2")->timeout, 30);
  EXPECT_EQ(env.FindShip("ship2")->api_version, "1.20");
  EXPECT_EQ(env.FindShip("local")->DockerUrl(), "unix:///var/run/docker.sock");
  EXPECT_EQ(env.FindShip("remote")->ip, "10.0.0.9");
  EXPECT_EQ(env.FindShip("remote")->DockerUrl(), "https://10.0.0.9:2376");
  const model::Ship* tunnel = env.FindShip("tunnel");
  ASSERT_TRUE(tunnel->ssh_tunnel.has_value());
  EXPECT_EQ(tunnel->ssh_tunnel->user, "core");
  EXPECT_EQ(tunnel->ssh_tunnel->port, 2222);
  EXPECT_EQ(tunnel->ssh_tunnel->key, "/k");
  EXPECT_EQ(tunnel->endpoint, "10.0.0.7");
  EXPECT_EQ(env.FindShip("sshold")->ssh_tunnel->port, 22);
  // `ip` in ship_defaults is ignored, with a warning.
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_EQ(r->warnings[0].ToString(),
            "maestro.yaml:3:49: 'ip' is never taken from ship_defaults; set it on each ship");
}

TEST(LoaderTest, UnknownKeysAreWarningsWithSuggestions) {
  auto r = LoadText(R"(name: t
_anchors: {a: 1}
extra: 1
ships: {s: {ip: 10.0.0.1}}
services:
  kafka:
    image: k
    instances: {k1: {ship: s, privilegd: true}}
    requries: [x]
)");
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::string> w;
  for (const auto& d : r->warnings) w.push_back(d.ToString());
  EXPECT_THAT(w, ::testing::ElementsAre(
                     "maestro.yaml:3:1: unknown top-level key 'extra'",
                     "maestro.yaml:9:5: unknown key 'requries' in service 'kafka' (did you mean "
                     "'requires'?)",
                     "maestro.yaml:8:31: unknown key 'privilegd' in instance 'k1' (did you mean "
                     "'privileged'?)"));
}

TEST(LoaderTest, RegistriesAndAudit) {
  auto r = LoadText(R"(
name: t
registries:
  quay.io: {registry: "https://quay.io/v1/", username: u, password: secret, email: e@x,
            retry: {attempts: 5, when: [500, 502]}}
audit:
  - {type: log, file: /tmp/audit.log, level: debug}
  - {type: _fail, ignore_errors: true}
ships: {}
)");
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Registry* reg = r->environment.FindRegistry("quay.io");
  EXPECT_EQ(reg->password, "secret");
  EXPECT_EQ(reg->MaskedPassword(), "********");
  EXPECT_EQ(reg->retry.attempts, 5);
  EXPECT_EQ(reg->retry.when, (std::vector<int>{500, 502}));
  ASSERT_EQ(r->environment.audit.size(), 2u);
  EXPECT_EQ(r->environment.audit[0].options["file"], "/tmp/audit.log");
  EXPECT_EQ(r->environment.audit[0].level, "debug");
  EXPECT_TRUE(r->environment.audit[1].ignore_errors);
  auto empty = LoadText("name: t\nregistries:\nships: {}\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->environment.registries.empty());
}

TEST(LoaderTest, ErrorsAreAllReportedInDocumentOrder) {
  auto r = LoadText(R"(name: t
ships: {s: {ip: 1.2.3.4}}
services:
  a:
    image: a
    instances:
      a1: {ship: nope}
      a2: {ship: s, restart: bogus}
)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      std::string(r.status().message()),
      "maestro.yaml:7:18: services.a.instances.a1.ship: unknown ship 'nope' (known ships: s)\n"
      "maestro.yaml:8:30: services.a.instances.a2.restart: invalid restart policy 'bogus'; "
      "choose one of no, always, on-failure, unless-stopped");
}

TEST(LoaderTest, UpstreamVolumesFixtures) {
  const char* base = R"(
__maestro: {schema: 2}
name: t
ships: {ship: {ip: 10.0.0.1}}
services:
  myservice:
    image: ubuntu
    instances:
      instance-1:
        ship: ship
        volumes: {/out: /in1}
        container_volumes: [/in2]
      instance-2:
        ship: ship
        volumes: {/out: %s}
        volumes_from: %s
)";
  char buf[1024];
  std::snprintf(buf, sizeof(buf), base, "/in3", "instance-1");
  auto ok = LoadText(buf);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->environment.FindInstance("instance-2")->Volumes(), std::set<std::string>{"/in3"});
  std::snprintf(buf, sizeof(buf), base, "/in1", "instance-1");
  EXPECT_EQ(FirstError(buf),
            "maestro.yaml:16:23: services.myservice.instances.instance-2."
            "volumes_from: volume conflicts between instance-2 and instance-1: /in1");
  std::snprintf(buf, sizeof(buf), base, "/in3", "[instance-3]");
  EXPECT_EQ(FirstError(buf),
            "maestro.yaml:16:24: services.myservice.instances.instance-2."
            "volumes_from[0]: unknown container instance-3 to get volumes from "
            "for instance-2");
}

TEST(LoaderTest, VolumesFromAddsDependency) {
  auto r = LoadText(R"(
__maestro: {schema: {version: 2}}
name: t
ships: {ship: {ip: 10.0.0.1}}
services:
  mydata: {image: d, instances: {mydata1: {ship: ship}}}
  myservice: {image: s, instances: {myservice1: {ship: ship, volumes_from: mydata1}}}
)");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->environment.schema, 2);
  EXPECT_EQ(r->environment.FindService("myservice")->Dependencies(),
            std::vector<std::string>{"mydata"});
  // volumes_from does not inject link variables.
  EXPECT_EQ(r->environment.FindInstance("myservice1")->env.count("MYDATA_INSTANCES"), 0u);
}

}  // namespace
}  // namespace config
}  // namespace maestro
