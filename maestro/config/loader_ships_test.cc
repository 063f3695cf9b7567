// Ships: docker_host through the transport's parser, the connection spec built and checked at
// load (config::ShipConnectionSpec), and the value checks of timeout and api_version.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/config_test_util.h"
#include "maestro/config/loader.h"
#include "maestro/config/ship_connection.h"

namespace maestro {
namespace config {
namespace {

using transport::TransportKind;

using test_util::LoadErrors;
using test_util::LoadText;

std::string Ships(const std::string& ships) {
  return "name: t\nships:\n" + ships +
         "services:\n  svc:\n    image: busybox\n"
         "    instances: {c1: {ship: s1}}\n";
}

// Regression: the key, known_hosts and keepalive of ssh_tunnel were dropped for
// `docker_host: ssh://...` ships between the loader and the connection ("Missing SSH key").
TEST(LoaderShipsTest, SshDockerHostKeepsTheTunnelSettings) {
  auto r = LoadText(Ships(R"(  s1:
    docker_host: ssh://maestro-test@127.0.0.1:2222
    ssh_tunnel: {key: /keys/id, known_hosts: /keys/known_hosts, keepalive: 7}
)"));
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Ship* ship = r->environment.FindShip("s1");
  EXPECT_EQ(ship->ip, "127.0.0.1");
  auto spec = ShipConnectionSpec(*ship);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->kind, TransportKind::kSsh);
  EXPECT_EQ(spec->ssh.user, "maestro-test");
  EXPECT_EQ(spec->ssh.host, "127.0.0.1");
  EXPECT_EQ(spec->ssh.port, 2222);
  EXPECT_EQ(spec->ssh.key, "/keys/id");
  EXPECT_THAT(spec->ssh.known_hosts,
              ::testing::ElementsAre("/keys/known_hosts", "~/.ssh/known_hosts"));
  EXPECT_EQ(spec->ssh.keepalive_seconds, 7);
  EXPECT_EQ(spec->ssh.remote_socket_path, "/var/run/docker.sock");
}

// Regression: such a ship loaded fine and only showed as "host down" in the middle of a play.
TEST(LoaderShipsTest, ShipThatCannotConnectIsALoadError) {
  EXPECT_EQ(LoadErrors(Ships("  s1: {docker_host: 'ssh://core@10.0.0.7:2222'}\n")),
            "maestro.yaml:3:21: ships.s1.docker_host: Missing SSH key for ship s1 tunnel "
            "configuration");
  EXPECT_EQ(LoadErrors(Ships("  s1:\n    ip: 10.0.0.1\n    ssh_tunnel: {key: /k}\n")),
            "maestro.yaml:5:17: ships.s1.ssh_tunnel: Missing SSH user for ship s1 tunnel "
            "configuration");
  EXPECT_EQ(LoadErrors(Ships("  s1: {ip: 10.0.0.1, tls_verify: true}\n")),
            "maestro.yaml:3:3: ships.s1: tls_verify needs tls_ca_cert");
}

TEST(LoaderShipsTest, SshTunnelMayNotContradictTheUrl) {
  EXPECT_EQ(LoadErrors(Ships(R"(  s1:
    docker_host: ssh://core@10.0.0.7:2222
    ssh_tunnel: {user: root, key: /k, port: 22}
)")),
            "maestro.yaml:5:24: ships.s1.ssh_tunnel.user: ssh_tunnel.user 'root' contradicts "
            "docker_host 'ssh://core@10.0.0.7:2222' (user 'core')\n"
            "maestro.yaml:5:45: ships.s1.ssh_tunnel.port: ssh_tunnel.port '22' contradicts "
            "docker_host 'ssh://core@10.0.0.7:2222' (port '2222')");
  // Repeating the URL's values, or giving the user only in the mapping, is fine.
  auto r = LoadText(Ships(R"(  s1:
    docker_host: ssh://10.0.0.7/run/user/1000/docker.sock
    ssh_tunnel: {user: core, key: /k, port: 22}
)"));
  ASSERT_TRUE(r.ok()) << r.status();
  auto spec = ShipConnectionSpec(*r->environment.FindShip("s1"));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->ssh.user, "core");
  EXPECT_EQ(spec->ssh.remote_socket_path, "/run/user/1000/docker.sock");
}

// Regression: `docker_host: https://...` (documented) was rejected by the loader.
TEST(LoaderShipsTest, HttpsDockerHost) {
  auto r = LoadText(
      Ships("  s1: {ip: 10.0.0.23, docker_host: 'https://10.0.0.23:2376', tls_verify: true, "
            "tls_ca_cert: ca.pem}\n  s2: {docker_host: 'https://docker.lan'}\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  auto spec = ShipConnectionSpec(*r->environment.FindShip("s1"));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->kind, TransportKind::kTls);
  EXPECT_EQ(spec->host, "10.0.0.23");
  EXPECT_EQ(spec->port, 2376);
  EXPECT_TRUE(spec->tls_options.verify);
  EXPECT_EQ(spec->tls_options.ca_cert, "ca.pem");
  const model::Ship* s2 = r->environment.FindShip("s2");
  EXPECT_EQ(s2->ip, "docker.lan");
  EXPECT_EQ(s2->docker_port, 2376);
  spec = ShipConnectionSpec(*s2);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(transport::DescribeSpec(*spec), "https://docker.lan:2376");
  // The errors are the transport parser's, at the value.
  EXPECT_EQ(LoadErrors(Ships("  s1: {docker_host: 'ftp://10.0.0.1'}\n")),
            "maestro.yaml:3:21: ships.s1.docker_host: invalid docker_host 'ftp://10.0.0.1': "
            "unsupported scheme 'ftp' (use unix, tcp, https or ssh)");
}

// Regression: `tcp://[::1]:2375` gave the ship the ip "[::1]:2375", injected into containers.
TEST(LoaderShipsTest, Ipv6DockerHostGivesABareAddress) {
  auto r = LoadText(Ships("  s1: {docker_host: 'tcp://[::1]:2375'}\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Ship* ship = r->environment.FindShip("s1");
  EXPECT_EQ(ship->ip, "::1");
  EXPECT_EQ(ship->docker_port, 2375);
  EXPECT_EQ(r->environment.FindInstance("c1")->env.at("CONTAINER_HOST_ADDRESS"), "::1");
  auto spec = ShipConnectionSpec(*ship);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(transport::DescribeSpec(*spec), "tcp://[::1]:2375");
}

// Regression: .inf and .nan were accepted and hung.
TEST(LoaderShipsTest, TimeoutMustBeFinite) {
  for (const char* bad : {".inf", ".nan", "-.inf", "0", "-1", "100000.0"}) {
    std::string errors =
        LoadErrors(Ships(std::string("  s1: {ip: 10.0.0.1, timeout: ") + bad + "}\n"));
    EXPECT_THAT(errors, ::testing::StartsWith("maestro.yaml:3:31: ships.s1.timeout: timeout must "
                                              "be a positive, finite number of seconds"))
        << bad;
  }
  auto r = LoadText(Ships("  s1: {ip: 10.0.0.1, timeout: 2.5}\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->environment.FindShip("s1")->timeout, 2.5);
}

TEST(LoaderShipsTest, ApiVersionIsAutoOrAVersion) {
  auto r =
      LoadText(Ships("  s1: {ip: 10.0.0.1, api_version: 1.20}\n"
                     "  s2: {ip: 10.0.0.2, api_version: '1.41'}\n"
                     "  s3: {ip: 10.0.0.3, api_version: auto}\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->environment.FindShip("s1")->api_version, "1.20");
  EXPECT_EQ(r->environment.FindShip("s2")->api_version, "1.41");
  EXPECT_EQ(r->environment.FindShip("s3")->api_version, "auto");
  for (const char* bad : {"latest", "1", "'1.'", "'v1.41'", "true", "'1.4x'", "[1]"}) {
    EXPECT_THAT(LoadErrors(Ships(std::string("  s1: {ip: 10.0.0.1, api_version: ") + bad + "}\n")),
                ::testing::StartsWith("maestro.yaml:3:35: ships.s1.api_version: api_version must "
                                      "be 'auto' or a version such as '1.41', got "))
        << bad;
  }
}

}  // namespace
}  // namespace config
}  // namespace maestro
