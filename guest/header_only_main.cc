// Compiled by //guest:header_only_compile with nothing but the guest headers (copied into a
// fresh directory) on the include path, -fno-exceptions and -Werror: proves that guest.h is
// self-contained, standard-library-only and exception-free. Also checks a few answers.
#include <cstdio>
#include <map>
#include <string>

#include "maestro/guest.h"

namespace {

int failures = 0;

void Expect(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  maestro::guest::MapEnviron env{
      {"SERVICE_NAME", "kafka"},
      {"CONTAINER_NAME", "kafka-2"},
      {"ZOOKEEPER_INSTANCES", "zk-1,zk-2"},
      {"ZOOKEEPER_ZK_1_HOST", "192.168.10.2"},
      {"ZOOKEEPER_ZK_1_CLIENT_PORT", "2181"},
      {"ZOOKEEPER_ZK_2_HOST", "192.168.10.2"},
      {"ZOOKEEPER_ZK_2_CLIENT_PORT", "2182"},
  };
  maestro::guest::Guest guest(env);
  auto nodes = guest.NodeList("zookeeper", {"client"});
  Expect(nodes.ok(), "NodeList ok");
  Expect(nodes.ok() && nodes.value().size() == 2 && nodes.value()[0] == "192.168.10.2:2181" &&
             nodes.value()[1] == "192.168.10.2:2182",
         "NodeList values");
  Expect(guest.EnvironmentName() == "local", "default environment name");
  auto port = guest.Port("broker");
  Expect(!port.ok() && port.error().find("KAFKA_KAFKA_2_BROKER_INTERNAL_PORT") != std::string::npos,
         "missing port names its variable");
  Expect(guest.Port("broker", 9092).value_or(0) == 9092, "default port");
  if (failures == 0) std::printf("header-only guest.h: ok\n");
  return failures == 0 ? 0 : 1;
}
