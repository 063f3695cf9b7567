// The maestro-guest command line, in-process with injected environments.
#include "guest/cli.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "guest/json_writer.h"

namespace maestro {
namespace guest {
namespace {

using ::testing::HasSubstr;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

MapEnviron Zk3Env() {
  return MapEnviron{
      {"MAESTRO_ENVIRONMENT_NAME", "test-env"},
      {"SERVICE_NAME", "kafka"},
      {"CONTAINER_NAME", "kafka-2"},
      {"CONTAINER_HOST_ADDRESS", "192.168.10.2"},
      {"DOCKER_IMAGE", "example/kafka:2.8"},
      {"DOCKER_TAG", "2.8"},
      {"ZOOKEEPER_INSTANCES", "zk-node-1,zk-node-2,zk-node-3"},
      {"ZOOKEEPER_ZK_NODE_1_HOST", "192.168.10.2"},
      {"ZOOKEEPER_ZK_NODE_1_CLIENT_PORT", "2181"},
      {"ZOOKEEPER_ZK_NODE_2_HOST", "192.168.10.2"},
      {"ZOOKEEPER_ZK_NODE_2_CLIENT_PORT", "2182"},
      {"ZOOKEEPER_ZK_NODE_3_HOST", "192.168.10.2"},
      {"ZOOKEEPER_ZK_NODE_3_CLIENT_PORT", "2183"},
      {"KAFKA_INSTANCES", "kafka-2"},
      {"KAFKA_KAFKA_2_HOST", "192.168.10.2"},
      {"KAFKA_KAFKA_2_BROKER_PORT", "19092"},
      {"KAFKA_KAFKA_2_BROKER_INTERNAL_PORT", "9092"},
      {"KAFKA_KAFKA_2_JMX_PORT", "7199-7200"},
      {"KAFKA_KAFKA_2_JMX_INTERNAL_PORT", "7199-7200"},
  };
}

CliRun RunWith(const Environ& env, const std::vector<std::string>& args,
               const CliHooks& hooks = CliHooks()) {
  Guest guest(
      env,
      [](const std::string& host) -> Result<std::string> {
        if (host == "ship-a") return std::string("10.9.8.7");
        return ResolveIPv4(host, ResolverOptions{"/nonexistent", "/nonexistent", false, 53, 10});
      },
      [](const std::string& name) -> Result<std::string> {
        if (name == "eth0") return std::string("172.17.0.2");
        return Error{"No network interface " + name};
      });
  std::ostringstream out, err;
  int code = RunCli(args, guest, out, err, hooks);
  return {code, out.str(), err.str()};
}

CliRun RunKafka(const std::vector<std::string>& args) { return RunWith(Zk3Env(), args); }

TEST(CliTest, SimpleNames) {
  EXPECT_EQ(RunKafka({"environment-name"}).out, "test-env\n");
  EXPECT_EQ(RunKafka({"service-name"}).out, "kafka\n");
  EXPECT_EQ(RunKafka({"container-name"}).out, "kafka-2\n");
  EXPECT_EQ(RunKafka({"container-host-address"}).out, "192.168.10.2\n");
  EXPECT_EQ(RunKafka({"container-host-address", "--ip"}).out, "192.168.10.2\n");
  EXPECT_EQ(RunKafka({"container-internal-address"}).out, "172.17.0.2\n");
  MapEnviron empty;
  CliRun env_name = RunWith(empty, {"environment-name"});
  EXPECT_EQ(env_name.code, 0);
  EXPECT_EQ(env_name.out, "local\n");
}

TEST(CliTest, HostAddressAsIpUsesResolver) {
  MapEnviron env{{"CONTAINER_HOST_ADDRESS", "ship-a"}};
  EXPECT_EQ(RunWith(env, {"container-host-address"}).out, "ship-a\n");
  EXPECT_EQ(RunWith(env, {"container-host-address", "--ip"}).out, "10.9.8.7\n");
}

TEST(CliTest, Bug19EmptyHostAddressWithIpExits1) {
  MapEnviron env{{"CONTAINER_HOST_ADDRESS", ""}};
  CliRun run = RunWith(env, {"container-host-address", "--ip"});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err,
            "maestro-guest: Container host address was not defined (CONTAINER_HOST_ADDRESS is "
            "empty)\n");
}

TEST(CliTest, InternalAddressInterfaceOption) {
  CliRun run = RunKafka({"container-internal-address", "--interface", "wlan9"});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.err, "maestro-guest: No network interface wlan9\n");
  EXPECT_EQ(RunKafka({"container-internal-address", "--interface=eth0"}).out, "172.17.0.2\n");
}

TEST(CliTest, NodeList) {
  CliRun run = RunKafka({"node-list", "zookeeper", "client"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out, "192.168.10.2:2181,192.168.10.2:2182,192.168.10.2:2183\n");
  EXPECT_EQ(RunKafka({"node-list", "zookeeper", "--separator", " "}).out,
            "192.168.10.2 192.168.10.2 192.168.10.2\n");
  EXPECT_EQ(RunKafka({"node-list", "--separator=;", "zookeeper", "client", "client"}).out,
            "192.168.10.2:2181:2181;192.168.10.2:2182:2182;192.168.10.2:2183:2183\n");
  EXPECT_EQ(RunKafka({"node-list", "redis", "--minimum", "0"}).out, "\n");
}

TEST(CliTest, NodeListFailures) {
  CliRun few = RunKafka({"node-list", "zookeeper", "client", "--minimum", "5"});
  EXPECT_EQ(few.code, 1);
  EXPECT_EQ(few.out, "");
  EXPECT_EQ(few.err,
            "maestro-guest: No or not enough zookeeper nodes configured (ZOOKEEPER_INSTANCES "
            "lists 3, minimum 5)\n");
  CliRun none = RunKafka({"node-list", "redis"});
  EXPECT_EQ(none.code, 1);
  EXPECT_THAT(none.err, HasSubstr("REDIS_INSTANCES is not set"));
  CliRun port = RunKafka({"node-list", "zookeeper", "peer"});
  EXPECT_EQ(port.code, 1);
  EXPECT_THAT(port.err, HasSubstr("No port peer defined for container zk-node-1 of service "
                                  "zookeeper (ZOOKEEPER_ZK_NODE_1_PEER_PORT is not set)"));
  CliRun range = RunKafka({"node-list", "kafka", "jmx"});
  EXPECT_EQ(range.code, 1);
  EXPECT_THAT(range.err, HasSubstr("KAFKA_KAFKA_2_JMX_PORT='7199-7200' is not an integer"));
}

TEST(CliTest, OwnPortAndDefaults) {
  EXPECT_EQ(RunKafka({"port", "broker"}).out, "9092\n");
  EXPECT_EQ(RunKafka({"port", "broker", "1"}).out, "9092\n");
  EXPECT_EQ(RunKafka({"port", "admin", "8080"}).out, "8080\n");
  EXPECT_EQ(RunKafka({"port", "admin", "-1"}).out, "-1\n");  // a negative default, not an option
  CliRun missing = RunKafka({"port", "admin"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err,
            "maestro-guest: No internal port admin defined for container kafka-2 of service kafka "
            "(KAFKA_KAFKA_2_ADMIN_INTERNAL_PORT is not set)\n");
  CliRun range = RunKafka({"port", "jmx", "7199"});
  EXPECT_EQ(range.code, 1);
  EXPECT_THAT(range.err, HasSubstr("'7199-7200' is not an integer"));
}

TEST(CliTest, SpecificHostAndPorts) {
  EXPECT_EQ(RunKafka({"specific-host", "zookeeper", "zk-node-3"}).out, "192.168.10.2\n");
  EXPECT_EQ(RunKafka({"specific-port", "zookeeper", "zk-node-3", "client"}).out, "2183\n");
  EXPECT_EQ(RunKafka({"specific-port", "kafka", "kafka-2", "broker"}).out, "19092\n");
  EXPECT_EQ(RunKafka({"specific-exposed-port", "kafka", "kafka-2", "broker"}).out, "9092\n");
  EXPECT_EQ(RunKafka({"specific-exposed-port", "zookeeper", "zk-node-3", "client", "2181"}).out,
            "2181\n");
  CliRun host = RunKafka({"specific-host", "zookeeper", "zk-node-4"});
  EXPECT_EQ(host.code, 1);
  EXPECT_EQ(host.err,
            "maestro-guest: No host defined for container zk-node-4 of service zookeeper "
            "(ZOOKEEPER_ZK_NODE_4_HOST is not set)\n");
  CliRun exposed = RunKafka({"specific-exposed-port", "zookeeper", "zk-node-3", "client"});
  EXPECT_EQ(exposed.code, 1);
  EXPECT_THAT(exposed.err, HasSubstr("ZOOKEEPER_ZK_NODE_3_CLIENT_INTERNAL_PORT is not set"));
}

TEST(CliTest, MissingServiceOrContainerName) {
  MapEnviron env{{"KAFKA_INSTANCES", "k"}};
  CliRun run = RunWith(env, {"service-name"});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.err, "maestro-guest: Service name was not defined (SERVICE_NAME is not set)\n");
  run = RunWith(env, {"container-name"});
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(run.err, HasSubstr("CONTAINER_NAME is not set"));
  run = RunWith(env, {"port", "x", "5"});  // the own port needs the names even with a default
  EXPECT_EQ(run.code, 1);
}

TEST(CliTest, UsageErrorsExit2) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"service-name", "extra"},
           {"port"},
           {"port", "a", "b", "c"},
           {"port", "a", "eighty"},
           {"node-list"},
           {"node-list", "zk", "--minimum"},
           {"node-list", "zk", "--minimum", "x"},
           {"node-list", "zk", "--bogus"},
           {"container-host-address", "--ip=yes"},
           {"specific-host", "a"},
           {"specific-port", "a", "b"},
           {"specific-exposed-port", "a", "b", "c", "d", "e"},
           {"wait-for"},
           {"wait-for", "zk", "--timeout", "soon"},
           {"wait-for", "zk", "--interval", "0"},
           {"render"},
           {"--json", "extra"},
       }) {
    CliRun run = RunKafka(args);
    std::string joined;
    for (const std::string& a : args) joined += a + " ";
    EXPECT_EQ(run.code, 2) << joined;
    EXPECT_EQ(run.out, "") << joined;
    EXPECT_THAT(run.err, HasSubstr("maestro-guest: ")) << joined;
  }
}

TEST(CliTest, HelpAndVersion) {
  CliRun help = RunKafka({"--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* command :
       {"environment-name", "service-name", "container-name", "container-host-address",
        "container-internal-address", "port NAME", "node-list", "specific-host", "specific-port",
        "specific-exposed-port", "wait-for", "render", "--json"}) {
    EXPECT_THAT(help.out, HasSubstr(command));
  }
  CliRun version = RunKafka({"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.out, "maestro-guest 0.1.0 (MaestroNG 0.8.3 guest functions)\n");
}

TEST(CliTest, RenderWithoutEngineIsUnavailable) {
  CliRun run = RunKafka({"render", "some.conf.j2"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("render is not available in this build"));
}

TEST(CliTest, RenderDelegatesToHook) {
  CliHooks hooks;
  std::string seen;
  hooks.render = [&](const std::string& path, const std::string& output, const Guest& guest,
                     std::ostream& out, std::ostream&) {
    seen = path + "|" + output + "|" + guest.ServiceName().value();
    out << "rendered\n";
    return 0;
  };
  CliRun run = RunWith(Zk3Env(), {"render", "t.j2", "-o", "/tmp/out"}, hooks);
  EXPECT_EQ(run.code, 0);
  EXPECT_EQ(run.out, "rendered\n");
  EXPECT_EQ(seen, "t.j2|/tmp/out|kafka");
}

TEST(CliTest, JsonView) {
  CliRun run = RunKafka({"--json"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out,
            "{\"environment\":\"test-env\",\"service\":\"kafka\",\"container\":\"kafka-2\","
            "\"host\":\"192.168.10.2\",\"docker_image\":\"example/kafka:2.8\","
            "\"docker_tag\":\"2.8\","
            "\"ports\":{\"broker\":{\"internal\":9092,\"external\":19092},"
            "\"jmx\":{\"internal\":\"7199-7200\",\"external\":\"7199-7200\"}},"
            "\"services\":{"
            "\"kafka\":{\"env_prefix\":\"KAFKA\",\"instances\":[{\"name\":\"kafka-2\","
            "\"host\":\"192.168.10.2\",\"ports\":{\"broker\":19092,\"jmx\":\"7199-7200\"},"
            "\"internal_ports\":{\"broker\":9092,\"jmx\":\"7199-7200\"}}]},"
            "\"zookeeper\":{\"env_prefix\":\"ZOOKEEPER\",\"instances\":["
            "{\"name\":\"zk-node-1\",\"host\":\"192.168.10.2\",\"ports\":{\"client\":2181}},"
            "{\"name\":\"zk-node-2\",\"host\":\"192.168.10.2\",\"ports\":{\"client\":2182}},"
            "{\"name\":\"zk-node-3\",\"host\":\"192.168.10.2\",\"ports\":{\"client\":2183}}]}}}\n");
}

TEST(CliTest, JsonViewOfAnEmptyEnvironment) {
  MapEnviron empty;
  CliRun run = RunWith(empty, {"--json"});
  EXPECT_EQ(run.code, 0);
  EXPECT_EQ(run.out,
            "{\"environment\":\"local\",\"service\":null,\"container\":null,\"host\":null,"
            "\"docker_image\":null,\"docker_tag\":null,\"ports\":{},\"services\":{}}\n");
}

TEST(JsonWriterTest, EscapesAndNests) {
  JsonWriter json;
  json.BeginObject();
  json.Key("a\"b").String("line\nbreak\t\x01 \\ é");
  json.Key("list").BeginArray().Int(-3).Bool(true).Null().BeginObject().EndObject().EndArray();
  json.EndObject();
  EXPECT_EQ(json.str(),
            "{\"a\\\"b\":\"line\\nbreak\\t\\u0001 \\\\ é\",\"list\":[-3,true,null,{}]}");
}

TEST(CliTest, WaitForInputErrorsExit1) {
  CliRun none = RunKafka({"wait-for", "redis", "--timeout", "0"});
  EXPECT_EQ(none.code, 1);
  EXPECT_THAT(none.err, HasSubstr("wait-for redis: No or not enough redis nodes configured"));
  CliRun port = RunKafka({"wait-for", "zookeeper", "admin", "--timeout", "0"});
  EXPECT_EQ(port.code, 1);
  EXPECT_THAT(port.err, HasSubstr("ZOOKEEPER_ZK_NODE_1_ADMIN_PORT is not set"));
  MapEnviron no_ports{{"DB_INSTANCES", "db-1"}, {"DB_DB_1_HOST", "127.0.0.1"}};
  CliRun unnamed = RunWith(no_ports, {"wait-for", "db", "--timeout", "0"});
  EXPECT_EQ(unnamed.code, 1);
  EXPECT_THAT(unnamed.err, HasSubstr("no port variables for container db-1 of service db "
                                     "(looked for DB_DB_1_*_PORT)"));
}

}  // namespace
}  // namespace guest
}  // namespace maestro
