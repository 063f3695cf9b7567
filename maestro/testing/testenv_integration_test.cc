// Proves the real test environment is there and reachable from a Bazel test: the contract file
// loads, its files exist, and the daemon answers /_ping on the unix socket and on plain TCP.
// (Transports, TLS, SSH and the registry are exercised by their own packages' tests.)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "maestro/testing/testenv.h"

namespace maestro::testing {
namespace {

// Sends one HTTP/1.0 GET /_ping over a connected socket and returns the whole answer.
std::string Ping(int fd) {
  const std::string request = "GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return "write failed";
  }
  std::string answer;
  char buf[1024];
  for (int i = 0; i < 100; ++i) {  // bounded: the daemon closes after one HTTP/1.0 answer
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return answer;
}

int ConnectUnix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int ConnectTcp(const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
  if (inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr) != 1) return -1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(TestEnvIntegrationTest, ContractLoadsAndItsFilesExist) {
  absl::StatusOr<TestEnv> env = LoadTestEnv();
  ASSERT_TRUE(env.ok()) << env.status();
  for (const std::string& path :
       {env->tls_ca, env->tls_cert, env->tls_key, env->tls_wrong_ca, env->ssh_key,
        env->ssh_wrong_key, env->ssh_known_hosts, env->ssh_wrong_known_hosts}) {
    EXPECT_TRUE(Exists(path)) << path;
  }
}

TEST(TestEnvIntegrationTest, DaemonAnswersOnUnixSocketAndTcp) {
  absl::StatusOr<TestEnv> env = LoadTestEnv();
  ASSERT_TRUE(env.ok()) << env.status();

  int fd = ConnectUnix(env->docker_socket);
  ASSERT_GE(fd, 0) << "cannot connect to " << env->docker_socket << ": " << strerror(errno)
                   << " (dockerd log: " << env->dockerd_log << ")";
  std::string answer = Ping(fd);
  EXPECT_NE(answer.find("200 OK"), std::string::npos) << answer;

  fd = ConnectTcp(env->docker_tcp);
  ASSERT_GE(fd, 0) << "cannot connect to " << env->docker_tcp << ": " << strerror(errno);
  answer = Ping(fd);
  EXPECT_NE(answer.find("200 OK"), std::string::npos) << answer;
}

}  // namespace
}  // namespace maestro::testing
