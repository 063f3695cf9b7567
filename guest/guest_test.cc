// The guest functions (docs/guest.md) against injected environments: MaestroNG's semantics
// (defaults only when absent, empty and non-integer values are errors naming the variable,
// node lists in {S}_INSTANCES order with a minimum), plus the fixed bug #19.
#include "maestro/guest.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace maestro {
namespace guest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The zookeeper + kafka example of MaestroNG's docs, as seen by kafka-2: three zookeeper
// instances on 192.168.10.2 with client ports 2181..2183.
std::map<std::string, std::string> Kafka2Env() {
  return {
      {"MAESTRO_ENVIRONMENT_NAME", "prod"},
      {"SERVICE_NAME", "kafka"},
      {"CONTAINER_NAME", "kafka-2"},
      {"CONTAINER_HOST_ADDRESS", "192.168.10.2"},
      {"ZOOKEEPER_INSTANCES", "zk-node-1,zk-node-2,zk-node-3"},
      {"ZOOKEEPER_ZK_NODE_1_HOST", "192.168.10.2"},
      {"ZOOKEEPER_ZK_NODE_1_CLIENT_PORT", "2181"},
      {"ZOOKEEPER_ZK_NODE_1_PEER_PORT", "2888"},
      {"ZOOKEEPER_ZK_NODE_2_HOST", "192.168.10.2"},
      {"ZOOKEEPER_ZK_NODE_2_CLIENT_PORT", "2182"},
      {"ZOOKEEPER_ZK_NODE_2_PEER_PORT", "2889"},
      {"ZOOKEEPER_ZK_NODE_3_HOST", "192.168.10.2"},
      {"ZOOKEEPER_ZK_NODE_3_CLIENT_PORT", "2183"},
      {"ZOOKEEPER_ZK_NODE_3_PEER_PORT", "2890"},
      {"KAFKA_INSTANCES", "kafka-1,kafka-2"},
      {"KAFKA_KAFKA_1_HOST", "192.168.10.1"},
      {"KAFKA_KAFKA_1_BROKER_PORT", "9092"},
      {"KAFKA_KAFKA_1_BROKER_INTERNAL_PORT", "9092"},
      {"KAFKA_KAFKA_2_HOST", "192.168.10.2"},
      {"KAFKA_KAFKA_2_BROKER_PORT", "19092"},
      {"KAFKA_KAFKA_2_BROKER_INTERNAL_PORT", "9092"},
      {"KAFKA_KAFKA_2_JMX_PORT", "7199-7200"},
      {"KAFKA_KAFKA_2_JMX_INTERNAL_PORT", "7199-7200"},
  };
}

Result<std::string> NoResolver(const std::string& host) {
  return Error{"resolver not expected for " + host};
}

Result<std::string> NoInterfaces(const std::string& name) {
  return Error{"No network interface " + name};
}

class GuestTest : public ::testing::Test {
 protected:
  explicit GuestTest(std::map<std::string, std::string> vars = Kafka2Env())
      : env_(std::move(vars)), guest_(env_, NoResolver, NoInterfaces) {}
  MapEnviron env_;
  Guest guest_;
};

TEST_F(GuestTest, DocumentedKafka2NodeList) {
  Result<std::vector<std::string>> nodes = guest_.NodeList("zookeeper", {"client"});
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  EXPECT_THAT(nodes.value(),
              ElementsAre("192.168.10.2:2181", "192.168.10.2:2182", "192.168.10.2:2183"));
}

TEST_F(GuestTest, NodeListWithSeveralPortsInPortOrder) {
  auto nodes = guest_.NodeList("zookeeper", {"peer", "client"});
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  EXPECT_THAT(nodes.value(), ElementsAre("192.168.10.2:2888:2181", "192.168.10.2:2889:2182",
                                         "192.168.10.2:2890:2183"));
}

TEST_F(GuestTest, NodeListWithoutPortsIsHostsOnly) {
  auto nodes = guest_.NodeList("kafka");
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  EXPECT_THAT(nodes.value(), ElementsAre("192.168.10.1", "192.168.10.2"));
}

TEST_F(GuestTest, NodeListNamesAreSanitised) {
  // "ZooKeeper" and "zookeeper" both map to ZOOKEEPER; port names too ("Client" -> CLIENT).
  auto nodes = guest_.NodeList("ZooKeeper", {"Client"});
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  EXPECT_EQ(nodes.value().size(), 3u);
}

TEST_F(GuestTest, NodeListMinimum) {
  EXPECT_TRUE(guest_.NodeList("zookeeper", {"client"}, 3).ok());
  auto too_few = guest_.NodeList("zookeeper", {"client"}, 4);
  ASSERT_FALSE(too_few.ok());
  EXPECT_THAT(too_few.error(), HasSubstr("No or not enough zookeeper nodes configured"));
  EXPECT_THAT(too_few.error(), HasSubstr("ZOOKEEPER_INSTANCES lists 3, minimum 4"));
}

TEST_F(GuestTest, NodeListOfUnknownServiceCountsAsZero) {
  auto none = guest_.NodeList("redis", {"redis"});
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.error(), HasSubstr("No or not enough redis nodes configured"));
  EXPECT_THAT(none.error(), HasSubstr("REDIS_INSTANCES is not set"));
  auto allowed = guest_.NodeList("redis", {"redis"}, 0);  // logstash extension's use
  ASSERT_TRUE(allowed.ok());
  EXPECT_THAT(allowed.value(), IsEmpty());
}

TEST_F(GuestTest, NodeListMissingPortNamesInstanceAndVariable) {
  auto nodes = guest_.NodeList("zookeeper", {"client", "election"});
  ASSERT_FALSE(nodes.ok());
  EXPECT_EQ(nodes.error(),
            "No port election defined for container zk-node-1 of service zookeeper "
            "(ZOOKEEPER_ZK_NODE_1_ELECTION_PORT is not set)");
}

TEST_F(GuestTest, NodeListWithRangePortIsAnError) {
  auto nodes = guest_.NodeList("kafka", {"jmx"});
  ASSERT_FALSE(nodes.ok());
  // kafka-1 has no jmx port at all: the first failure in INSTANCES order wins.
  EXPECT_THAT(nodes.error(), HasSubstr("KAFKA_KAFKA_1_JMX_PORT is not set"));
}

TEST_F(GuestTest, EnvironmentServiceContainerNames) {
  EXPECT_EQ(guest_.EnvironmentName(), "prod");
  EXPECT_EQ(guest_.ServiceName().value(), "kafka");
  EXPECT_EQ(guest_.ContainerName().value(), "kafka-2");
  EXPECT_EQ(guest_.ContainerHostAddress().value(), "192.168.10.2");
}

TEST_F(GuestTest, SpecificHostAndPorts) {
  EXPECT_EQ(guest_.SpecificHost("zookeeper", "zk-node-2").value(), "192.168.10.2");
  EXPECT_EQ(guest_.SpecificPort("zookeeper", "zk-node-2", "client").value(), 2182);
  EXPECT_EQ(guest_.SpecificPort("kafka", "kafka-2", "broker").value(), 19092);
  EXPECT_EQ(guest_.SpecificExposedPort("kafka", "kafka-2", "broker").value(), 9092);
  auto host = guest_.SpecificHost("zookeeper", "zk-node-9");
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.error(),
            "No host defined for container zk-node-9 of service zookeeper "
            "(ZOOKEEPER_ZK_NODE_9_HOST is not set)");
}

TEST_F(GuestTest, OwnPortReadsInternalPortOfOwnContainer) {
  // get_port -> get_specific_exposed_port(SERVICE_NAME, CONTAINER_NAME, ...): the internal
  // port 9092, not the external 19092.
  EXPECT_EQ(guest_.Port("broker").value(), 9092);
  EXPECT_EQ(guest_.Port("BROKER").value(), 9092);
}

TEST_F(GuestTest, DefaultIsUsedOnlyWhenAbsent) {
  EXPECT_EQ(guest_.Port("admin", 8080).value(), 8080);
  EXPECT_EQ(guest_.Port("broker", 1).value(), 9092);  // present: default ignored
  EXPECT_EQ(guest_.SpecificPort("zookeeper", "zk-node-1", "admin", 8080).value(), 8080);
  EXPECT_EQ(guest_.SpecificExposedPort("zookeeper", "zk-node-1", "client", 7).value(), 7);
  auto missing = guest_.Port("admin");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(),
            "No internal port admin defined for container kafka-2 of service kafka "
            "(KAFKA_KAFKA_2_ADMIN_INTERNAL_PORT is not set)");
}

TEST_F(GuestTest, RangeValueIsAnErrorEvenWithDefault) {
  auto range = guest_.Port("jmx", 7199);
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.error(),
            "No internal port jmx defined for container kafka-2 of service kafka "
            "(KAFKA_KAFKA_2_JMX_INTERNAL_PORT='7199-7200' is not an integer)");
  auto external = guest_.SpecificPort("kafka", "kafka-2", "jmx", 1);
  ASSERT_FALSE(external.ok());
  EXPECT_THAT(external.error(), HasSubstr("No port jmx defined for container kafka-2"));
  EXPECT_THAT(external.error(), HasSubstr("KAFKA_KAFKA_2_JMX_PORT='7199-7200'"));
}

TEST(GuestEmptyValues, EmptyValuesAreErrorsNotDefaults) {
  MapEnviron env{{"SERVICE_NAME", ""},
                 {"CONTAINER_NAME", ""},
                 {"CONTAINER_HOST_ADDRESS", ""},
                 {"MAESTRO_ENVIRONMENT_NAME", ""},
                 {"S_C_P_PORT", ""},
                 {"S_C_P_INTERNAL_PORT", "  "},
                 {"S_C_HOST", ""}};
  Guest guest(env, NoResolver, NoInterfaces);
  EXPECT_EQ(guest.EnvironmentName(), "");  // os.environ.get: present wins, even empty
  EXPECT_EQ(guest.ServiceName().error(), "Service name was not defined (SERVICE_NAME is empty)");
  EXPECT_EQ(guest.ContainerName().error(),
            "Container name was not defined (CONTAINER_NAME is empty)");
  EXPECT_EQ(guest.ContainerHostAddress().error(),
            "Container host address was not defined (CONTAINER_HOST_ADDRESS is empty)");
  EXPECT_EQ(guest.SpecificPort("s", "c", "p", 80).error(),
            "No port p defined for container c of service s (S_C_P_PORT is empty)");
  EXPECT_THAT(guest.SpecificExposedPort("s", "c", "p", 80).error(),
              HasSubstr("S_C_P_INTERNAL_PORT='  ' is not an integer"));
  // An empty host is returned as is (os.environ[key] in MaestroNG).
  EXPECT_EQ(guest.SpecificHost("s", "c").value(), "");
}

TEST(GuestMissing, DefaultsAndErrorsWhenNothingIsSet) {
  MapEnviron env;
  Guest guest(env, NoResolver, NoInterfaces);
  EXPECT_EQ(guest.EnvironmentName(), "local");
  EXPECT_EQ(guest.ServiceName().error(), "Service name was not defined (SERVICE_NAME is not set)");
  EXPECT_EQ(guest.ContainerName().error(),
            "Container name was not defined (CONTAINER_NAME is not set)");
  // get_port needs the service name first, even with a default.
  EXPECT_EQ(guest.Port("x", 1).error(), "Service name was not defined (SERVICE_NAME is not set)");
}

TEST(GuestHostAddress, Bug19EmptyAddressWithIpIsAnError) {
  MapEnviron env{{"CONTAINER_HOST_ADDRESS", ""}};
  bool resolver_called = false;
  Guest guest(
      env,
      [&](const std::string&) -> Result<std::string> {
        resolver_called = true;
        return std::string("0.0.0.0");
      },
      NoInterfaces);
  auto ip = guest.ContainerHostAddress(/*as_ip_address=*/true);
  ASSERT_FALSE(ip.ok());
  EXPECT_EQ(ip.error(), "Container host address was not defined (CONTAINER_HOST_ADDRESS is empty)");
  EXPECT_FALSE(resolver_called);
}

TEST(GuestHostAddress, AsIpResolvesThroughTheResolver) {
  MapEnviron env{{"CONTAINER_HOST_ADDRESS", "ship1.example"}};
  Guest guest(
      env,
      [](const std::string& host) -> Result<std::string> {
        if (host == "ship1.example") return std::string("10.1.2.3");
        return Error{"unknown"};
      },
      NoInterfaces);
  EXPECT_EQ(guest.ContainerHostAddress().value(), "ship1.example");
  EXPECT_EQ(guest.ContainerHostAddress(true).value(), "10.1.2.3");

  MapEnviron bad{{"CONTAINER_HOST_ADDRESS", "nowhere"}};
  Guest failing(
      bad, [](const std::string&) -> Result<std::string> { return Error{"no"}; }, NoInterfaces);
  EXPECT_EQ(failing.ContainerHostAddress(true).error(),
            "Could not resolve the container host address nowhere (CONTAINER_HOST_ADDRESS): no");
}

TEST(GuestHostAddress, DefaultResolverHandlesNumericAddresses) {
  MapEnviron env{{"CONTAINER_HOST_ADDRESS", "127.0.0.9"}};
  Guest guest(env);
  EXPECT_EQ(guest.ContainerHostAddress(true).value(), "127.0.0.9");
}

TEST(GuestInternalAddress, InterfaceLookupIsInjectableAndNamed) {
  MapEnviron env;
  std::string asked;
  Guest guest(env, NoResolver, [&](const std::string& name) -> Result<std::string> {
    asked = name;
    return std::string("172.17.0.5");
  });
  EXPECT_EQ(guest.ContainerInternalAddress().value(), "172.17.0.5");
  EXPECT_EQ(asked, "eth0");
  EXPECT_EQ(guest.ContainerInternalAddress("ens3").value(), "172.17.0.5");
  EXPECT_EQ(asked, "ens3");
}

TEST(GuestInternalAddress, RealLoopbackInterface) {
  Result<std::string> lo = InterfaceIPv4("lo");
  ASSERT_TRUE(lo.ok()) << lo.error();
  EXPECT_EQ(lo.value().rfind("127.", 0), 0u) << lo.value();
  EXPECT_EQ(InterfaceIPv4("no-such-if0").error(), "No network interface no-such-if0");
}

TEST(GuestInstances, SplitAndEmptyItems) {
  MapEnviron env{{"A_INSTANCES", "a-2,a-1"}, {"B_INSTANCES", ""}, {"C_INSTANCES", "c1,,c2,"}};
  Guest guest(env, NoResolver, NoInterfaces);
  // INSTANCES order is kept as given (maestro writes it sorted).
  EXPECT_THAT(guest.ServiceInstanceNames("a"), ElementsAre("a-2", "a-1"));
  EXPECT_THAT(guest.ServiceInstanceNames("b"), IsEmpty());
  EXPECT_THAT(guest.ServiceInstanceNames("c"), ElementsAre("c1", "c2"));
  EXPECT_THAT(guest.ServiceInstanceNames("d"), IsEmpty());
}

TEST(GuestDiscovery, ServicePrefixesAndPortNames) {
  MapEnviron env{
      {"ZK_INSTANCES", "zk,zk-1"},         {"ZK_ZK_HOST", "h0"},       {"ZK_ZK_CLIENT_PORT", "1"},
      {"ZK_ZK_CLIENT_INTERNAL_PORT", "2"}, {"ZK_ZK_1_HOST", "h1"},     {"ZK_ZK_1_CLIENT_PORT", "3"},
      {"ZK_ZK_1_ADMIN_PORT", "4"},         {"WEB_APP_INSTANCES", "w"},
  };
  Guest guest(env, NoResolver, NoInterfaces);
  EXPECT_THAT(guest.DiscoveredServicePrefixes(), ElementsAre("WEB_APP", "ZK"));
  // ZK_ZK_1_* belong to zk-1, not to a port "1_CLIENT" of zk.
  EXPECT_THAT(guest.PortNames("zk", "zk", false), ElementsAre("CLIENT"));
  EXPECT_THAT(guest.PortNames("zk", "zk", true), ElementsAre("CLIENT"));
  EXPECT_THAT(guest.PortNames("zk", "zk-1", false), ElementsAre("ADMIN", "CLIENT"));
  EXPECT_THAT(guest.PortNames("zk", "zk-1", true), IsEmpty());
}

// PortNames (a merge over sorted names) against the definition it replaced: every variable
// with the container's prefix, minus those of any other instance whose prefix extends it.
std::vector<std::string> ReferencePortNames(const MapEnviron& env, const Guest& guest,
                                            const std::string& service,
                                            const std::string& container, bool internal) {
  const std::string s = env_contract::ToEnvVarName(service);
  const std::string prefix = s + "_" + env_contract::ToEnvVarName(container) + "_";
  std::vector<std::string> out;
  for (const std::string& name : env.Names()) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    bool other = false;
    for (const std::string& o : guest.ServiceInstanceNames(service)) {
      std::string p = s + "_" + env_contract::ToEnvVarName(o) + "_";
      other |= p.size() > prefix.size() && name.compare(0, p.size(), p) == 0;
    }
    if (other) continue;
    std::string rest = name.substr(prefix.size());
    const std::string suffix = internal ? "_INTERNAL_PORT" : "_PORT";
    bool is_internal =
        rest.size() > 14 && rest.compare(rest.size() - 14, 14, "_INTERNAL_PORT") == 0;
    if (rest.size() > suffix.size() &&
        rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        (internal || !is_internal)) {
      out.push_back(rest.substr(0, rest.size() - suffix.size()));
    }
  }
  return out;
}

TEST(GuestDiscovery, PortNamesWithNestedInstanceNames) {
  // Names whose sanitised forms extend each other at several levels, and siblings that only
  // share a textual prefix ("a-1" and "a-10").
  const std::vector<std::string> instances = {"a", "a-1", "a-1-0", "a-10", "a.1.0.x", "b", "a_2"};
  std::map<std::string, std::string> vars;
  std::string list;
  for (const std::string& c : instances) {
    list += (list.empty() ? "" : ",") + c;
    for (const char* port : {"P", "Q_1", "X_0"}) {
      vars[env_contract::PortVar("svc", c, port)] = "1";
      vars[env_contract::InternalPortVar("svc", c, port)] = "2";
    }
  }
  vars["SVC_INSTANCES"] = list;
  MapEnviron env(vars);
  Guest guest(env, NoResolver, NoInterfaces);
  const Guest::InstanceIndex index(guest.ServiceInstanceNames("svc"));
  for (const std::string& c : instances) {
    for (bool internal : {false, true}) {
      std::vector<std::string> want = ReferencePortNames(env, guest, "svc", c, internal);
      EXPECT_EQ(guest.PortNames("svc", c, internal), want) << c << " " << internal;
      EXPECT_EQ(guest.PortNames("svc", c, internal, index), want) << c << " " << internal;
    }
  }
  EXPECT_THAT(guest.PortNames("svc", "a-1", false), ElementsAre("P", "Q_1", "X_0"));
}

TEST(MapEnviron, NamesWithPrefixAndFromProcess) {
  MapEnviron env{{"A_1", "x"}, {"A_2", "y"}, {"AB", "z"}, {"B", "w"}};
  EXPECT_THAT(env.NamesWithPrefix("A_"), ElementsAre("A_1", "A_2"));
  EXPECT_THAT(env.NamesWithPrefix(""), ElementsAre("AB", "A_1", "A_2", "B"));
  EXPECT_THAT(env.NamesWithPrefix("C"), IsEmpty());
  setenv("MAESTRO_GUEST_SNAPSHOT_TEST", "a=b", 1);
  MapEnviron snapshot = MapEnviron::FromProcess();
  EXPECT_EQ(snapshot.Get("MAESTRO_GUEST_SNAPSHOT_TEST"), "a=b");
  EXPECT_EQ(ProcessEnviron().NamesWithPrefix("MAESTRO_GUEST_SNAPSHOT_"),
            std::vector<std::string>{"MAESTRO_GUEST_SNAPSHOT_TEST"});
  unsetenv("MAESTRO_GUEST_SNAPSHOT_TEST");
}

TEST(ParsePythonInt, FollowsPythonInt) {
  EXPECT_EQ(ParsePythonInt("2181"), 2181);
  EXPECT_EQ(ParsePythonInt(" 2181\n"), 2181);
  EXPECT_EQ(ParsePythonInt("+80"), 80);
  EXPECT_EQ(ParsePythonInt("-1"), -1);
  EXPECT_EQ(ParsePythonInt("0080"), 80);
  EXPECT_EQ(ParsePythonInt("1_000"), 1000);
  EXPECT_EQ(ParsePythonInt("9223372036854775807"), 9223372036854775807LL);
  EXPECT_EQ(ParsePythonInt("-9223372036854775808"), LLONG_MIN);
  for (const char* bad : {"", " ", "+", "-", "80-90", "1.5", "0x10", "8o", "_1", "1_", "1__0",
                          "1 2", "9223372036854775808", "99999999999999999999"}) {
    EXPECT_FALSE(ParsePythonInt(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(GuestPorts, OutOfIntRangeIsAnError) {
  MapEnviron env{{"S_C_P_PORT", "99999999999"}};
  Guest guest(env, NoResolver, NoInterfaces);
  EXPECT_THAT(guest.SpecificPort("s", "c", "p").error(), HasSubstr("out of range"));
}

TEST(GuestProcessEnviron, ReadsTheProcessEnvironment) {
  setenv("MAESTRO_GUEST_TEST_VAR", "x=y", 1);
  ProcessEnviron env;
  EXPECT_EQ(env.Get("MAESTRO_GUEST_TEST_VAR").value(), "x=y");
  EXPECT_FALSE(env.Get("MAESTRO_GUEST_TEST_UNSET_VAR").has_value());
  auto names = env.Names();
  EXPECT_TRUE(std::find(names.begin(), names.end(), "MAESTRO_GUEST_TEST_VAR") != names.end());
  UpdateProcessEnv({{"MAESTRO_GUEST_TEST_VAR", "z"}});
  EXPECT_EQ(Guest().env().Get("MAESTRO_GUEST_TEST_VAR").value(), "z");
}

TEST(MapEnvironTest, FromEntries) {
  MapEnviron env = MapEnviron::FromEntries({"A=1", "B==2", "C", "=D"});
  EXPECT_EQ(env.Get("A").value(), "1");
  EXPECT_EQ(env.Get("B").value(), "=2");
  EXPECT_FALSE(env.Get("C").has_value());
  EXPECT_THAT(env.Names(), ElementsAre("A", "B"));
}

}  // namespace
}  // namespace guest
}  // namespace maestro
