// The real //guest:maestro-guest binary, run with execve and an explicit environment (nothing
// inherited from the test runner): answers, exit codes, stderr messages.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "guest/run_binary.h"

namespace maestro {
namespace guest {
namespace {

using testing::BinaryRun;
using ::testing::HasSubstr;
using testing::RunBinary;
using ::testing::StartsWith;

std::string g_binary;  // argv[1]: $(rootpath :maestro-guest)
std::string g_slim;    // argv[2]: $(rootpath :maestro-guest-slim)

const std::vector<std::string> kEnv = {
    "MAESTRO_ENVIRONMENT_NAME=prod",
    "SERVICE_NAME=kafka",
    "CONTAINER_NAME=kafka-2",
    "CONTAINER_HOST_ADDRESS=192.168.10.2",
    "ZOOKEEPER_INSTANCES=zk-node-1,zk-node-2,zk-node-3",
    "ZOOKEEPER_ZK_NODE_1_HOST=192.168.10.2",
    "ZOOKEEPER_ZK_NODE_1_CLIENT_PORT=2181",
    "ZOOKEEPER_ZK_NODE_2_HOST=192.168.10.2",
    "ZOOKEEPER_ZK_NODE_2_CLIENT_PORT=2182",
    "ZOOKEEPER_ZK_NODE_3_HOST=192.168.10.2",
    "ZOOKEEPER_ZK_NODE_3_CLIENT_PORT=2183",
    "KAFKA_INSTANCES=kafka-2",
    "KAFKA_KAFKA_2_HOST=192.168.10.2",
    "KAFKA_KAFKA_2_BROKER_PORT=19092",
    "KAFKA_KAFKA_2_BROKER_INTERNAL_PORT=9092",
};

BinaryRun Guest(const std::vector<std::string>& args, const std::vector<std::string>& env = kEnv) {
  return RunBinary(g_binary, args, env);
}

TEST(MaestroGuestBinary, Answers) {
  EXPECT_EQ(Guest({"environment-name"}).out, "prod\n");
  EXPECT_EQ(Guest({"environment-name"}, {}).out, "local\n");
  EXPECT_EQ(Guest({"service-name"}).out, "kafka\n");
  EXPECT_EQ(Guest({"container-name"}).out, "kafka-2\n");
  EXPECT_EQ(Guest({"container-host-address"}).out, "192.168.10.2\n");
  EXPECT_EQ(Guest({"container-host-address", "--ip"}).out, "192.168.10.2\n");
  EXPECT_EQ(Guest({"port", "broker"}).out, "9092\n");
  EXPECT_EQ(Guest({"port", "admin", "8080"}).out, "8080\n");
  EXPECT_EQ(Guest({"specific-host", "zookeeper", "zk-node-2"}).out, "192.168.10.2\n");
  EXPECT_EQ(Guest({"specific-port", "kafka", "kafka-2", "broker"}).out, "19092\n");
  EXPECT_EQ(Guest({"specific-exposed-port", "kafka", "kafka-2", "broker"}).out, "9092\n");
  BinaryRun nodes = Guest({"node-list", "zookeeper", "client"});
  EXPECT_EQ(nodes.code, 0) << nodes.err;
  EXPECT_EQ(nodes.out, "192.168.10.2:2181,192.168.10.2:2182,192.168.10.2:2183\n");
  EXPECT_EQ(nodes.err, "");
}

TEST(MaestroGuestBinary, InternalAddressOfLoopback) {
  BinaryRun lo = Guest({"container-internal-address", "--interface", "lo"});
  EXPECT_EQ(lo.code, 0) << lo.err;
  EXPECT_THAT(lo.out, StartsWith("127."));
  BinaryRun missing = Guest({"container-internal-address", "--interface", "nosuchif9"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err, "maestro-guest: No network interface nosuchif9\n");
}

TEST(MaestroGuestBinary, MissingValuesExit1NamingTheVariable) {
  BinaryRun run = Guest({"specific-port", "zookeeper", "zk-node-1", "peer"});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err,
            "maestro-guest: No port peer defined for container zk-node-1 of service zookeeper "
            "(ZOOKEEPER_ZK_NODE_1_PEER_PORT is not set)\n");
  run = Guest({"service-name"}, {});
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(run.err, HasSubstr("SERVICE_NAME is not set"));
  run = Guest({"container-host-address", "--ip"}, {"CONTAINER_HOST_ADDRESS="});
  EXPECT_EQ(run.code, 1);  // bug #19: not 0.0.0.0
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr("CONTAINER_HOST_ADDRESS is empty"));
  run = Guest({"node-list", "zookeeper", "--minimum", "4"});
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(run.err, HasSubstr("No or not enough zookeeper nodes configured"));
}

TEST(MaestroGuestBinary, UsageAndInfo) {
  EXPECT_EQ(Guest({}).code, 2);
  EXPECT_EQ(Guest({"nope"}).code, 2);
  EXPECT_EQ(Guest({"port"}).code, 2);
  BinaryRun render = RunBinary(g_slim, {"render", "x.j2"}, kEnv);
  EXPECT_EQ(render.code, 2);
  EXPECT_THAT(render.err, HasSubstr("render is not available in this build"));
  EXPECT_EQ(RunBinary(g_slim, {"node-list", "zookeeper"}, kEnv).out,
            "192.168.10.2,192.168.10.2,192.168.10.2\n");
  BinaryRun help = Guest({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("node-list SERVICE"));
  EXPECT_THAT(Guest({"--version"}).out, StartsWith("maestro-guest 0.1.0"));
}

TEST(MaestroGuestBinary, Json) {
  BinaryRun run = Guest({"--json"}, {"SERVICE_NAME=db", "CONTAINER_NAME=db-1", "DB_INSTANCES=db-1",
                                     "DB_DB_1_HOST=10.0.0.1", "DB_DB_1_SQL_PORT=5432",
                                     "DB_DB_1_SQL_INTERNAL_PORT=5432"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out,
            "{\"environment\":\"local\",\"service\":\"db\",\"container\":\"db-1\",\"host\":null,"
            "\"docker_image\":null,\"docker_tag\":null,"
            "\"ports\":{\"sql\":{\"internal\":5432,\"external\":5432}},"
            "\"services\":{\"db\":{\"env_prefix\":\"DB\",\"instances\":[{\"name\":\"db-1\","
            "\"host\":\"10.0.0.1\",\"ports\":{\"sql\":5432},\"internal_ports\":{\"sql\":5432}}]}}}"
            "\n");
}

TEST(MaestroGuestBinary, Render) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string base = std::string(dir != nullptr ? dir : "/tmp");
  std::ofstream(base + "/zoo.cfg.j2")
      << "{% for n in get_node_list('zookeeper', ['client']) %}server.{{ loop.index }}={{ n }}\n"
         "{% endfor %}clientPort={{ get_port('broker') }}\n";
  BinaryRun run = Guest({"render", base + "/zoo.cfg.j2"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out,
            "server.1=192.168.10.2:2181\nserver.2=192.168.10.2:2182\n"
            "server.3=192.168.10.2:2183\nclientPort=9092");  // Jinja2 drops one trailing newline
  run = Guest({"render", base + "/zoo.cfg.j2", "-o", base + "/zoo.cfg"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  std::ifstream in(base + "/zoo.cfg");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(content, StartsWith("server.1=192.168.10.2:2181\n"));
  run = Guest({"render", base + "/zoo.cfg.j2"}, {"SERVICE_NAME=kafka"});
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(run.err, HasSubstr("No or not enough zookeeper nodes configured"));
}

TEST(MaestroGuestBinary, IsStaticAndSmall) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizer builds link dynamically and unstripped on purpose";
#endif
  struct stat st {};
  ASSERT_EQ(stat(g_binary.c_str(), &st), 0);
  EXPECT_LT(st.st_size, 4 * 1024 * 1024) << "maestro-guest grew past 4 MiB";
  ASSERT_EQ(stat(g_slim.c_str(), &st), 0);
  EXPECT_LT(st.st_size, 2 * 1024 * 1024) << "maestro-guest-slim grew past 2 MiB";
  // A static ELF has no PT_INTERP (no dynamic loader path) in it.
  FILE* f = fopen(g_binary.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string head(8192, '\0');
  head.resize(fread(head.data(), 1, head.size(), f));
  fclose(f);
  EXPECT_EQ(head.find("ld-linux"), std::string::npos) << "maestro-guest is not static";
}

// secrets-wait really execs: the command replaces maestro-guest (its output, its exit code).
TEST(MaestroGuestBinary, SecretsWaitExecsTheCommandOnceTheMarkerIsThere) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/secrets-wait-XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::vector<std::string> wait = {"secrets-wait", "--timeout", "0",
                                         "--dir",        dir,         "--",
                                         "/bin/sh",      "-c",        "echo app-ran; exit 3"};
  BinaryRun missing = RunBinary(g_slim, wait, {});
  EXPECT_EQ(missing.code, 70);
  EXPECT_EQ(missing.out, "");
  EXPECT_THAT(missing.err, HasSubstr("secrets were not delivered to " + dir + " within 0 s"));
  BinaryRun ready = RunBinary(g_slim, {"secrets-write", "--ready", "--dir", dir}, {});
  ASSERT_EQ(ready.code, 0) << ready.err;
  BinaryRun ran = RunBinary(g_slim, wait, {});
  EXPECT_EQ(ran.out, "app-ran\n");
  EXPECT_EQ(ran.code, 3);
  BinaryRun absent = RunBinary(g_slim, {"secrets-wait", "--dir", dir, "--", "/no/such/app"}, {});
  EXPECT_EQ(absent.code, 127);
  EXPECT_THAT(absent.err, HasSubstr("cannot execute /no/such/app: No such file or directory"));
}

}  // namespace
}  // namespace guest
}  // namespace maestro

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PATH_TO_MAESTRO_GUEST\n", argv[0]);
    return 2;
  }
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MAESTRO_GUEST MAESTRO_GUEST_SLIM\n", argv[0]);
    return 2;
  }
  maestro::guest::g_binary = argv[1];
  maestro::guest::g_slim = argv[2];
  return RUN_ALL_TESTS();
}
