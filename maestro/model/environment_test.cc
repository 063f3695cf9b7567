#include "maestro/model/environment.h"

#include "gtest/gtest.h"

namespace maestro {
namespace model {
namespace {

TEST(ImageDetailsTest, UpstreamCases) {
  auto d = ParseImageDetails("stackbrew/ubuntu:13.10");
  EXPECT_EQ(d.repository, "stackbrew/ubuntu");
  EXPECT_EQ(d.tag, "13.10");
  EXPECT_EQ(ParseImageDetails("stackbrew/ubuntu").tag, "latest");
  d = ParseImageDetails("quay.io/foo/bar:13.10");
  EXPECT_EQ(d.repository, "quay.io/foo/bar");
  d = ParseImageDetails("quay.io:8081/foo/bar:13.10");
  EXPECT_EQ(d.repository, "quay.io:8081/foo/bar");
  EXPECT_EQ(d.tag, "13.10");
  d = ParseImageDetails("quay.io:8081/foo/bar");
  EXPECT_EQ(d.repository, "quay.io:8081/foo/bar");
  EXPECT_EQ(d.tag, "latest");
  EXPECT_EQ(ParseImageDetails("ubuntu:").tag, "latest");
}

TEST(ImageDetailsTest, ShortImage) {
  EXPECT_EQ(ShortImage("repo/img:1"), "img:1");
  EXPECT_EQ(ShortImage("quay.io:5000/a/b:2"), "a/b:2");
  EXPECT_EQ(ShortImage("ubuntu"), "ubuntu");
}

TEST(InstanceTest, DockerEnvAndVolumes) {
  Instance c;
  c.env = {{"B", "2"}, {"A", "1"}, {"N", std::nullopt}};
  EXPECT_EQ(c.DockerEnv(), (std::vector<std::string>{"A=1", "B=2", "N"}));
  c.volumes = {{"/out", "/in1", "rw"}};
  c.container_volumes = {"/in2"};
  EXPECT_EQ(c.Volumes(), (std::set<std::string>{"/in1", "/in2"}));
}

TEST(ShipTest, DockerUrl) {
  Ship s;
  s.endpoint = "10.0.0.1";
  EXPECT_EQ(s.DockerUrl(), "http://10.0.0.1:2375");
  s.tls = true;
  s.docker_port = 2376;
  EXPECT_EQ(s.DockerUrl(), "https://10.0.0.1:2376");
  s.socket_path = "/var/run/docker.sock";
  EXPECT_EQ(s.DockerUrl(), "unix:///var/run/docker.sock");
  EXPECT_EQ(s.transport(), ShipTransport::kUnix);
}

TEST(PortAtomTest, Strings) {
  PortAtom a{1234, 1236, "udp"};
  EXPECT_EQ(a.ToString(), "1234-1236/udp");
  EXPECT_EQ(a.Number(), "1234-1236");
  EXPECT_EQ((PortAtom{80, 80, "tcp"}).ToString(), "80/tcp");
}

TEST(EnvironmentTest, FindUsesAnIndexThatFollowsChanges) {
  Environment env;
  for (int i = 0; i < 1000; ++i) {
    Instance c;
    c.name = "c" + std::to_string(i);
    c.service = "s";
    env.instances.push_back(c);
  }
  ASSERT_NE(env.FindInstance("c999"), nullptr);
  EXPECT_EQ(env.FindInstance("c999"), &env.instances[999]);
  EXPECT_EQ(env.FindInstance("nope"), nullptr);
  // Appending (and the reallocation it may cause) is picked up without a call.
  Instance extra;
  extra.name = "c1000";
  env.instances.push_back(extra);
  EXPECT_EQ(env.FindInstance("c1000"), &env.instances.back());
  EXPECT_EQ(env.FindInstance("c0"), &env.instances[0]);
  // Duplicates: the first one wins, as with a linear search.
  Instance dup;
  dup.name = "c5";
  dup.service = "other";
  env.instances.push_back(dup);
  EXPECT_EQ(env.FindInstance("c5")->service, "s");
  // A rename in place: a stale hit is detected; a new name needs InvalidateIndex().
  env.instances[7].name = "renamed";
  EXPECT_EQ(env.FindInstance("c7"), nullptr);
  env.InvalidateIndex();
  EXPECT_EQ(env.FindInstance("renamed"), &env.instances[7]);
  // A copy has its own index pointing into its own vectors.
  Environment copy = env;
  EXPECT_EQ(copy.FindInstance("c3"), &copy.instances[3]);
  EXPECT_EQ(env.FindInstance("c3"), &env.instances[3]);
  Ship ship;
  ship.name = "ship1";
  env.ships.push_back(ship);
  Service service;
  service.name = "s";
  env.services.push_back(service);
  Registry registry;
  registry.name = "r";
  env.registries.push_back(registry);
  EXPECT_EQ(env.FindShip("ship1"), &env.ships[0]);
  EXPECT_EQ(env.FindService("s"), &env.services[0]);
  EXPECT_EQ(env.FindRegistry("r"), &env.registries[0]);
  EXPECT_EQ(env.FindShip("s"), nullptr);
}

}  // namespace
}  // namespace model
}  // namespace maestro
