#include "maestro/transport/connection_spec.h"

#include "gtest/gtest.h"

namespace maestro::transport {
namespace {

TEST(ParseDockerHostTest, Unix) {
  auto spec = ParseDockerHost("s1", "unix:///var/run/docker.sock");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->kind, TransportKind::kUnix);
  EXPECT_EQ(spec->socket_path, "/var/run/docker.sock");
  EXPECT_EQ(DescribeSpec(*spec), "unix:///var/run/docker.sock");
}

TEST(ParseDockerHostTest, TcpDefaultsAndPorts) {
  auto spec = ParseDockerHost("s1", "tcp://127.0.0.1");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->kind, TransportKind::kTcp);
  EXPECT_EQ(spec->port, 2375);
  spec = ParseDockerHost("s1", "tcp://docker.local:4243");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->host, "docker.local");
  EXPECT_EQ(spec->port, 4243);
  spec = ParseDockerHost("s1", "https://127.0.0.1");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->kind, TransportKind::kTls);
  EXPECT_EQ(spec->port, 2376);
  spec = ParseDockerHost("s1", "tcp://[::1]:2375");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->host, "::1");
  EXPECT_EQ(DescribeSpec(*spec), "tcp://[::1]:2375");
}

TEST(ParseDockerHostTest, Ssh) {
  auto spec = ParseDockerHost("s1", "ssh://deploy@127.0.0.2:2222");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->kind, TransportKind::kSsh);
  EXPECT_EQ(spec->ssh.user, "deploy");
  EXPECT_EQ(spec->ssh.host, "127.0.0.2");
  EXPECT_EQ(spec->ssh.port, 2222);
  EXPECT_EQ(spec->ssh.remote_socket_path, "/var/run/docker.sock");
  EXPECT_EQ(DescribeSpec(*spec), "ssh://deploy@127.0.0.2:2222->unix:///var/run/docker.sock");
  spec = ParseDockerHost("s1", "ssh://h/run/user/1000/docker.sock");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->ssh.port, 22);
  EXPECT_EQ(spec->ssh.user, "");
  EXPECT_EQ(spec->ssh.remote_socket_path, "/run/user/1000/docker.sock");
}

TEST(ParseDockerHostTest, Errors) {
  for (const char* bad : {"", "/var/run/docker.sock", "unix://relative", "tcp://:2375",
                          "tcp://h:99999", "tcp://h:x", "ftp://h", "tcp://h/path", "tcp://[::1"}) {
    auto spec = ParseDockerHost("ship7", bad);
    EXPECT_FALSE(spec.ok()) << bad;
    if (!spec.ok()) {
      EXPECT_NE(spec.status().message().find("ship7"), absl::string_view::npos);
    }
  }
}

TEST(ValidateSpecTest, WhatEveryTransportNeeds) {
  ConnectionSpec spec;
  spec.ship = "s1";
  spec.kind = TransportKind::kUnix;
  EXPECT_EQ(ValidateSpec(spec).message(), "ship s1: empty socket_path");
  spec.socket_path = "/var/run/docker.sock";
  EXPECT_TRUE(ValidateSpec(spec).ok());
  spec.request_timeout = absl::InfiniteDuration();
  EXPECT_EQ(ValidateSpec(spec).message(),
            "ship s1: timeout must be a positive, finite number of seconds");
  spec.request_timeout = absl::Seconds(5);

  auto ssh = ParseDockerHost("s1", "ssh://core@127.0.0.1:2222");
  ASSERT_TRUE(ssh.ok());
  EXPECT_EQ(ValidateSpec(*ssh).message(), "Missing SSH key for ship s1 tunnel configuration");
  ssh->ssh.key = "/k";
  EXPECT_TRUE(ValidateSpec(*ssh).ok());
  ssh->ssh.user.clear();
  EXPECT_EQ(ValidateSpec(*ssh).message(), "Missing SSH user for ship s1 tunnel configuration");

  auto tls = ParseDockerHost("s1", "https://127.0.0.1");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(ValidateSpec(*tls).ok());
  tls->tls_options.verify = true;
  EXPECT_EQ(ValidateSpec(*tls).message(), "ship s1: tls_verify needs tls_ca_cert");
}

TEST(SplitHostPortTest, Forms) {
  std::string host;
  int port;
  ASSERT_TRUE(SplitHostPort("a:1", &host, &port).ok());
  EXPECT_EQ(host, "a");
  EXPECT_EQ(port, 1);
  ASSERT_TRUE(SplitHostPort("a", &host, &port).ok());
  EXPECT_EQ(port, -1);
  ASSERT_TRUE(SplitHostPort("::1", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  ASSERT_TRUE(SplitHostPort("[fe80::1]:22", &host, &port).ok());
  EXPECT_EQ(host, "fe80::1");
  EXPECT_EQ(port, 22);
}

}  // namespace
}  // namespace maestro::transport
