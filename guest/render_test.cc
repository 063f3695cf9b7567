// `render`: the guest functions as template globals of maestro's Jinja2 engine.
#include "guest/render.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace maestro {
namespace guest {
namespace {

using ::testing::HasSubstr;

std::string WriteTemplate(const std::string& name, const std::string& content) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
  std::ofstream(path) << content;
  return path;
}

MapEnviron Env() {
  return MapEnviron{
      {"SERVICE_NAME", "kafka"},
      {"CONTAINER_NAME", "kafka-1"},
      {"CONTAINER_HOST_ADDRESS", "10.0.0.1"},
      {"KAFKA_KAFKA_1_BROKER_INTERNAL_PORT", "9092"},
      {"ZOOKEEPER_INSTANCES", "zk-1,zk-2"},
      {"ZOOKEEPER_ZK_1_HOST", "10.0.0.2"},
      {"ZOOKEEPER_ZK_1_CLIENT_PORT", "2181"},
      {"ZOOKEEPER_ZK_1_CLIENT_INTERNAL_PORT", "2181"},
      {"ZOOKEEPER_ZK_2_HOST", "10.0.0.3"},
      {"ZOOKEEPER_ZK_2_CLIENT_PORT", "2182"},
  };
}

TEST(RenderTest, GuestFunctionsAsGlobals) {
  MapEnviron env = Env();
  Guest guest(env);
  std::string path = WriteTemplate(
      "server.properties.j2",
      "# {{ get_environment_name() }}/{{ get_service_name() }}/{{ get_container_name() }}\n"
      "listeners=PLAINTEXT://{{ get_container_host_address(as_ip_address=True) }}:"
      "{{ get_port('broker') }}\n"
      "admin={{ get_port('admin', 8080) }} admin2={{ get_port(name='admin', default='81') }}\n"
      "zookeeper.connect={{ get_node_list('zookeeper', ports=['client']) | join(',') }}\n"
      "{% for node in get_node_list('zookeeper') %}server.{{ loop.index }}={{ node }}\n"
      "{% endfor %}"
      "zk2={{ get_specific_host('zookeeper', 'zk-2') }}:"
      "{{ get_specific_port('zookeeper', 'zk-2', 'client') }}"
      " exposed={{ get_specific_exposed_port('zookeeper', 'zk-1', 'client') }}"
      " redis={{ get_node_list('redis', ['redis'], minimum=0) | length }}"
      " env={{ env.SERVICE_NAME }}\n");
  absl::StatusOr<std::string> out = RenderTemplate(guest, path);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out,
            "# local/kafka/kafka-1\n"
            "listeners=PLAINTEXT://10.0.0.1:9092\n"
            "admin=8080 admin2=81\n"
            "zookeeper.connect=10.0.0.2:2181,10.0.0.3:2182\n"
            "server.1=10.0.0.2\n"
            "server.2=10.0.0.3\n"
            "zk2=10.0.0.3:2182 exposed=2181 redis=0 env=kafka");
}

TEST(RenderTest, GuestErrorsStopTheRenderWithTheirMessage) {
  MapEnviron env = Env();
  Guest guest(env);
  std::string path =
      WriteTemplate("bad.j2", "line one\n{{ get_node_list('zookeeper', minimum=3) }}\n");
  absl::StatusOr<std::string> out = RenderTemplate(guest, path);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()),
              HasSubstr("No or not enough zookeeper nodes configured "
                        "(ZOOKEEPER_INSTANCES lists 2, minimum 3)"));
  EXPECT_THAT(std::string(out.status().message()), HasSubstr(":2"));  // the line

  path = WriteTemplate("bad2.j2", "{{ get_specific_port('zookeeper', 'zk-1') }}");
  out = RenderTemplate(guest, path);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()),
              HasSubstr("get_specific_port() missing required argument 'port'"));

  path = WriteTemplate("bad3.j2", "{{ get_port('broker', bogus=1) }}");
  out = RenderTemplate(guest, path);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()),
              HasSubstr("unexpected keyword argument 'bogus'"));
}

TEST(RenderTest, CommandWritesFileOrStdout) {
  MapEnviron env = Env();
  Guest guest(env);
  std::string path = WriteTemplate("cmd.j2", "{{ get_service_name() }}");
  std::ostringstream out, err;
  EXPECT_EQ(RenderCommand(path, "", guest, out, err), 0);
  EXPECT_EQ(out.str(), "kafka");
  std::string target = path + ".out";
  EXPECT_EQ(RenderCommand(path, target, guest, out, err), 0);
  std::ifstream in(target);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "kafka");
  EXPECT_EQ(RenderCommand(path + ".missing", "", guest, out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr("maestro-guest: render " + path + ".missing: "));
}

TEST(RenderTest, AdversarialTemplatesEndWithAnErrorNotACrash) {
  MapEnviron env = Env();
  Guest guest(env);
  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += " + 1";
  std::string ifs, endifs;
  for (int i = 0; i < 5000; ++i) {
    ifs += "{% if true %}";
    endifs += "{% endif %}";
  }
  struct Case {
    std::string name, text, error;
  } cases[] = {
      {"plus.j2", "{{ 1" + deep + " }}", "plus.j2:1: expression nested too deeply"},
      {"ifs.j2", ifs + endifs, "ifs.j2:1: blocks nested too deeply"},
      {"loop.j2", "{% for i in range(100000) %}{% for j in range(500) %}{% endfor %}{% endfor %}",
       "loop.j2:1: the template takes too many steps"},
      {"fifo_include.j2", "{% include 'render_test_fifo' %}", "not a regular file (a FIFO)"},
  };
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string fifo = std::string(dir != nullptr ? dir : "/tmp") + "/render_test_fifo";
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const Case& c : cases) {
    absl::StatusOr<std::string> out = RenderTemplate(guest, WriteTemplate(c.name, c.text));
    ASSERT_FALSE(out.ok()) << c.name;
    EXPECT_THAT(std::string(out.status().message()), HasSubstr(c.error)) << c.name;
  }
  absl::StatusOr<std::string> fifo_template = RenderTemplate(guest, fifo);
  ASSERT_FALSE(fifo_template.ok());
  EXPECT_THAT(std::string(fifo_template.status().message()),
              HasSubstr("not a regular file (a FIFO)"));
  ::unlink(fifo.c_str());
}

}  // namespace
}  // namespace guest
}  // namespace maestro
