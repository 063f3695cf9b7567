// Requests/s of GET /containers/{id}/json through HttpDockerClient with a reused (kept-alive)
// connection. Usage:
//   docker_inspect_benchmark unix <socket> <container> <count>
//   docker_inspect_benchmark ssh <host> <port> <user> <key> <known_hosts> <remote socket>
//   <container> <count> docker_inspect_benchmark fake <count>        (in-process fake daemon; the
//   smoke test)
// Prints one line: "<transport> <count> requests in <ms> ms: <req/s> req/s, <connections>
// connection(s)".
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "maestro/docker/http_docker_client.h"
#include "maestro/testing/fake_docker_daemon.h"
#include "maestro/transport/connection_spec.h"

using maestro::docker::HttpDockerClient;
using maestro::transport::ConnectionSpec;
using maestro::transport::TransportKind;

static int Run(const char* label, const ConnectionSpec& spec, const std::string& container,
               int count) {
  auto client = HttpDockerClient::Create(spec);
  if (!client.ok()) {
    fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }
  auto warm = (*client)->InspectContainer(container);  // connect + negotiate outside the timing
  if (!warm.ok()) {
    fprintf(stderr, "%s\n", warm.status().ToString().c_str());
    return 1;
  }
  absl::Time start = absl::Now();
  for (int i = 0; i < count; ++i) {
    auto r = (*client)->InspectContainer(container);
    if (!r.ok()) {
      fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 1;
    }
  }
  double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
  printf("%s %d requests in %.1f ms: %.0f req/s, %d connection(s)\n", label, count, ms,
         count / (ms / 1000.0), (*client)->http().connections_opened());
  return 0;
}

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "fake";
  int count = 0;
  ConnectionSpec spec;
  spec.request_timeout = absl::Seconds(30);
  if (mode == "fake" && argc >= 2) {
    if (argc < 3 || !absl::SimpleAtoi(argv[2], &count)) count = 200;
    auto daemon = maestro::testing::FakeDockerDaemon::Start();
    if (!daemon.ok()) return 1;
    (*daemon)->AddImage("busybox");
    spec.ship = "fake";
    spec.kind = TransportKind::kUnix;
    spec.socket_path = (*daemon)->socket_path();
    auto setup = HttpDockerClient::Create(spec);
    auto c = (*setup)->CreateContainer("bench", nlohmann::json{{"Image", "busybox"}});
    if (!c.ok()) return 1;
    return Run("fake-unix", spec, c->id, count);
  }
  if (mode == "unix" && argc == 5 && absl::SimpleAtoi(argv[4], &count)) {
    spec.ship = "bench";
    spec.kind = TransportKind::kUnix;
    spec.socket_path = argv[2];
    return Run("unix", spec, argv[3], count);
  }
  if (mode == "ssh" && argc == 10 && absl::SimpleAtoi(argv[9], &count)) {
    spec.ship = "bench";
    spec.kind = TransportKind::kSsh;
    spec.ssh.host = argv[2];
    spec.host = argv[2];
    if (!absl::SimpleAtoi(argv[3], &spec.ssh.port)) return 2;
    spec.ssh.user = argv[4];
    spec.ssh.key = argv[5];
    spec.ssh.known_hosts = {argv[6]};
    spec.ssh.remote_socket_path = argv[7];
    return Run("ssh->unix", spec, argv[8], count);
  }
  fprintf(stderr, "usage: see the comment at the top of docker_inspect_benchmark.cc\n");
  return 2;
}
