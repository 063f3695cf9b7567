// Real-daemon tests: HttpDockerClient through EVERY transport (unix, tcp, mutual TLS, SSH to
// TCP, SSH to the remote unix socket, TLS through SSH) against the dockerd, sshd and registry
// that `tools/testenv up` starts on loopback. FAILS (never skips) without the environment.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "maestro/docker/http_docker_client.h"
#include "maestro/docker/registry_auth.h"
#include "maestro/testing/testenv.h"
#include "maestro/transport/connection_spec.h"

namespace maestro::docker {
namespace {

using maestro::testing::TestEnv;
using nlohmann::json;
using transport::ConnectionSpec;
using transport::TransportKind;

const TestEnv& Env() {
  static const TestEnv* env = [] {
    absl::StatusOr<TestEnv> e = maestro::testing::LoadTestEnv();
    if (!e.ok()) {
      ADD_FAILURE() << "the real test environment is missing (run `tools/testenv up` and pass "
                       "MAESTRO_TESTENV_FILE): "
                    << e.status();
      return static_cast<TestEnv*>(nullptr);
    }
    return new TestEnv(*e);
  }();
  if (env == nullptr) {
    static TestEnv empty;
    return empty;
  }
  return *env;
}

void SplitHostPortOrDie(const std::string& hp, std::string* host, int* port) {
  ASSERT_TRUE(transport::SplitHostPort(hp, host, port).ok()) << hp;
}

ConnectionSpec SshBase(const std::string& ship) {
  const TestEnv& e = Env();
  ConnectionSpec s;
  s.ship = ship;
  s.kind = TransportKind::kSsh;
  s.host = e.ssh_host;
  s.ssh.host = e.ssh_host;
  s.ssh.port = e.ssh_port;
  s.ssh.user = e.ssh_user;
  s.ssh.key = e.ssh_key;
  s.ssh.known_hosts = {e.ssh_known_hosts};
  return s;
}

ConnectionSpec SpecFor(const std::string& kind) {
  const TestEnv& e = Env();
  ConnectionSpec s;
  s.ship = "ship-" + kind;
  s.request_timeout = absl::Seconds(20);
  if (kind == "unix") {
    s.kind = TransportKind::kUnix;
    s.socket_path = e.docker_socket;
  } else if (kind == "tcp") {
    s.kind = TransportKind::kTcp;
    SplitHostPortOrDie(e.docker_tcp, &s.host, &s.port);
  } else if (kind == "tls" || kind == "tls_by_name") {
    s.kind = TransportKind::kTls;
    SplitHostPortOrDie(e.docker_tls, &s.host, &s.port);
    if (kind == "tls_by_name") s.host = "localhost";  // resolved by c-ares, verified by name
    s.tls = true;
    s.tls_options.verify = true;
    s.tls_options.ca_cert = e.tls_ca;
    s.tls_options.cert = e.tls_cert;
    s.tls_options.key = e.tls_key;
  } else if (kind == "ssh_tcp") {
    s = SshBase(s.ship);
    SplitHostPortOrDie(e.docker_tcp, &s.ssh.remote_host, &s.ssh.remote_port);
  } else if (kind == "ssh_unix") {
    s = SshBase(s.ship);
    s.ssh.remote_socket_path = e.docker_socket;
  } else if (kind == "tls_over_ssh") {
    s = SshBase(s.ship);
    SplitHostPortOrDie(e.docker_tls, &s.ssh.remote_host, &s.ssh.remote_port);
    s.tls = true;
    s.tls_options.verify = true;
    s.tls_options.ca_cert = e.tls_ca;
    s.tls_options.cert = e.tls_cert;
    s.tls_options.key = e.tls_key;
    s.tls_options.server_name = "127.0.0.1";
  }
  s.request_timeout = absl::Seconds(20);
  return s;
}

std::unique_ptr<HttpDockerClient> ClientFor(const ConnectionSpec& spec) {
  auto c = HttpDockerClient::Create(spec);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

std::string UniqueName(const std::string& what) {
  return absl::StrCat("maestro-it-", what, "-", getpid(), "-",
                      absl::ToUnixMicros(absl::Now()) % 1000000);
}

class TransportTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TransportTest, ContainerLifecycleLogsExec) {
  ASSERT_FALSE(Env().image.empty());
  ConnectionSpec spec = SpecFor(GetParam());
  auto client = ClientFor(spec);
  ASSERT_NE(client, nullptr);
  auto version = client->ApiVersion();
  ASSERT_TRUE(version.ok()) << version.status();
  // The test daemon's minimum API version is below ours: we use at most ours.
  EXPECT_LE(CompareApiVersions(*version, kMaxApiVersion), 0) << *version;

  std::string name = UniqueName(GetParam());
  json body = {{"Image", Env().image},
               {"Cmd", {"sh", "-c", "echo hello-out; echo hello-err 1>&2; exec sleep 60"}},
               {"Labels", {{"maestro.test", "1"}}},
               {"HostConfig", {{"RestartPolicy", {{"Name", ""}}}}}};
  auto created = client->CreateContainer(name, body);
  ASSERT_TRUE(created.ok()) << created.status();
  struct Cleanup {
    HttpDockerClient* c;
    std::string id;
    ~Cleanup() { (void)c->RemoveContainer(id, {.volumes = true, .force = true}); }
  } cleanup{client.get(), created->id};

  auto dup = client->CreateContainer(name, body);
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists) << dup.status();
  EXPECT_TRUE(absl::StrContains(dup.status().message(), "is already in use")) << dup.status();
  EXPECT_TRUE(absl::StrContains(dup.status().message(), spec.ship + " (")) << dup.status();

  ASSERT_TRUE(client->StartContainer(created->id).ok());
  auto inspect = client->InspectContainer(name);
  ASSERT_TRUE(inspect.ok()) << inspect.status();
  EXPECT_EQ(inspect->id, created->id);
  EXPECT_EQ(inspect->name, "/" + name);
  EXPECT_EQ(inspect->config_image, Env().image);
  EXPECT_TRUE(inspect->state.running);
  EXPECT_EQ(inspect->labels["maestro.test"], "1");

  auto listed =
      client->ListContainers({.all = true, .labels = {"maestro.test=1"}, .names = {name}});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].state, "running");

  // Logs: stdout and stderr demultiplexed (wait for the shell to print them).
  std::string out, err;
  for (int i = 0; i < 50 && (out.empty() || err.empty()); ++i) {
    out.clear();
    err.clear();
    ASSERT_TRUE(client
                    ->Logs(created->id, {},
                           [&](StdStream s, absl::string_view d) {
                             (s == StdStream::kStdout ? out : err).append(d.data(), d.size());
                             return true;
                           })
                    .ok());
    if (out.empty() || err.empty()) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(out, "hello-out\n");
  EXPECT_EQ(err, "hello-err\n");

  // Exec with demuxed output and exit code.
  auto exec = client->CreateExec(created->id,
                                 {.cmd = {"sh", "-c", "echo exec-out; echo exec-err >&2; exit 7"}});
  ASSERT_TRUE(exec.ok()) << exec.status();
  std::string eout, eerr;
  ASSERT_TRUE(client
                  ->StartExec(
                      *exec, false,
                      [&](StdStream s, absl::string_view d) {
                        (s == StdStream::kStdout ? eout : eerr).append(d.data(), d.size());
                        return true;
                      },
                      nullptr)
                  .ok());
  EXPECT_EQ(eout, "exec-out\n");
  EXPECT_EQ(eerr, "exec-err\n");
  absl::StatusOr<ExecInspect> einfo;
  for (int i = 0; i < 50; ++i) {
    einfo = client->InspectExec(*exec);
    if (!einfo.ok() || !einfo->running) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(einfo.ok());
  EXPECT_EQ(einfo->exit_code, 7);

  ASSERT_TRUE(client->StopContainer(created->id, 1).ok());
  EXPECT_TRUE(client->StopContainer(created->id, 1).ok());  // 304: already stopped
  EXPECT_FALSE(client->InspectContainer(created->id)->state.running);
  ASSERT_TRUE(client->RemoveContainer(created->id, {}).ok());
  auto gone = client->InspectContainer(created->id);
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(gone.status().message(), "No such container")) << gone.status();
  // Everything above went over few connections (keep-alive; exec start hijacks one).
  EXPECT_LE(client->http().connections_opened(), 4);
}

TEST_P(TransportTest, AuthenticatedPull) {
  const TestEnv& e = Env();
  auto client = ClientFor(SpecFor(GetParam()));
  ASSERT_NE(client, nullptr);
  std::string repo = e.registry_image.substr(0, e.registry_image.rfind(':'));
  std::string tag = e.registry_image.substr(e.registry_image.rfind(':') + 1);
  std::vector<Registry> regs = {{"testreg",
                                 "http://" + e.registry + "/v2/",
                                 e.registry_user,
                                 e.registry_password,
                                 "",
                                 {3, {500, 502, 503}}}};
  int progress = 0;
  absl::Status s = LoginAndPull(
      *client, {repo, tag}, regs, nullptr, [&](const PullProgress&) { ++progress; }, nullptr);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_GT(progress, 0);
  EXPECT_TRUE(client->InspectImage(e.registry_image).ok());
}

INSTANTIATE_TEST_SUITE_P(AllTransports, TransportTest,
                         ::testing::Values("unix", "tcp", "tls", "tls_by_name", "ssh_tcp",
                                           "ssh_unix", "tls_over_ssh"));

TEST(FailureTest, RegistryWrongPasswordNamesRegistryNotPassword) {
  const TestEnv& e = Env();
  auto client = ClientFor(SpecFor("unix"));
  ASSERT_NE(client, nullptr);
  std::string repo = e.registry_image.substr(0, e.registry_image.rfind(':'));
  const std::string bad = "not-the-Password-42";
  std::vector<Registry> regs = {
      {"testreg", "http://" + e.registry + "/v2/", e.registry_user, bad, "", {}}};
  absl::Status s = LoginAndPull(*client, {repo, "latest"}, regs, nullptr, nullptr, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "registry 'testreg'")) << s;
  EXPECT_FALSE(absl::StrContains(s.ToString(), bad)) << s;
  EXPECT_FALSE(absl::StrContains(s.ToString(), e.registry_password)) << s;
}

TEST(FailureTest, TlsWrongCa) {
  ConnectionSpec spec = SpecFor("tls");
  spec.tls_options.ca_cert = Env().tls_wrong_ca;
  auto client = ClientFor(spec);
  ASSERT_NE(client, nullptr);
  absl::Status s = client->ListContainers({}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "certificate verify failed")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "ship-tls")) << s;
}

TEST(FailureTest, TlsMissingClientCert) {
  ConnectionSpec spec = SpecFor("tls");
  spec.tls_options.cert.clear();
  spec.tls_options.key.clear();
  auto client = ClientFor(spec);
  ASSERT_NE(client, nullptr);
  absl::Time start = absl::Now();
  absl::Status s = client->ListContainers({}).status();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_TRUE(absl::StrContains(s.message(), "ship-tls")) << s;
}

TEST(FailureTest, TlsWithoutVerifyWarnsOncePerShip) {
  ConnectionSpec spec = SpecFor("tls");
  spec.tls_options.verify = false;
  spec.tls_options.ca_cert.clear();
  auto client = ClientFor(spec);
  ASSERT_NE(client, nullptr);
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client->ListContainers({}).ok());
    client->http().CloseIdle();  // force new connections (new handshakes)
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_TRUE(absl::StrContains(err, "NOT verified")) << err;
}

TEST(FailureTest, SshUnknownHostKeyShowsFingerprint) {
  std::string empty =
      absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/empty_known_hosts");
  std::ofstream(empty).close();
  ConnectionSpec spec = SpecFor("ssh_unix");
  spec.ssh.known_hosts = {empty};
  auto client = ClientFor(spec);
  ASSERT_NE(client, nullptr);
  absl::Status s = client->ListContainers({}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "SHA256:")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "is unknown")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "ship-ssh_unix")) << s;
}

TEST(FailureTest, SshChangedHostKeyRefused) {
  ConnectionSpec spec = SpecFor("ssh_unix");
  spec.ssh.known_hosts = {Env().ssh_wrong_known_hosts};
  auto client = ClientFor(spec);
  ASSERT_NE(client, nullptr);
  absl::Status s = client->ListContainers({}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "SHA256:")) << s;
}

TEST(FailureTest, SshWrongKey) {
  ConnectionSpec spec = SpecFor("ssh_unix");
  spec.ssh.key = Env().ssh_wrong_key;
  auto client = ClientFor(spec);
  ASSERT_NE(client, nullptr);
  absl::Status s = client->ListContainers({}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "authentication")) << s;
}

int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TEST(FailureTest, DaemonDownAnswersWithinShipTimeout) {
  for (const char* kind : {"tcp", "tls", "ssh_tcp"}) {
    ConnectionSpec spec = SpecFor(kind);
    spec.request_timeout = absl::Seconds(3);
    if (spec.kind == TransportKind::kSsh) {
      spec.ssh.remote_port = ClosedPort();
    } else {
      spec.port = ClosedPort();
    }
    auto client = ClientFor(spec);
    ASSERT_NE(client, nullptr);
    absl::Time start = absl::Now();
    absl::Status s = client->ListContainers({}).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << kind << ": " << s;
    EXPECT_LT(absl::Now() - start, absl::Seconds(3)) << kind;
    EXPECT_TRUE(absl::StrContains(s.message(), spec.ship)) << s;
  }
}

// A TCP proxy in front of the daemon's unix socket whose connections the test can cut, to see
// a kept-alive connection closed by the server side.
class CuttableProxy {
 public:
  explicit CuttableProxy(std::string target) : target_(std::move(target)) {
    lfd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(lfd_, 8);
    socklen_t len = sizeof a;
    getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~CuttableProxy() {
    stop_ = true;
    shutdown(lfd_, SHUT_RDWR);
    thread_.join();
    close(lfd_);
  }
  int port() const { return port_; }
  void CutAll() { cut_ = true; }
  int accepted() const { return accepted_; }

 private:
  void Run() {
    std::vector<std::pair<int, int>> pairs;
    absl::Time end = absl::Now() + absl::Seconds(120);
    while (!stop_ && absl::Now() < end) {
      std::vector<pollfd> p{{lfd_, POLLIN, 0}};
      for (auto& pr : pairs) {
        p.push_back({pr.first, POLLIN, 0});
        p.push_back({pr.second, POLLIN, 0});
      }
      poll(p.data(), p.size(), 50);
      if (cut_.exchange(false)) {
        for (auto& pr : pairs) {
          close(pr.first);
          close(pr.second);
        }
        pairs.clear();
        continue;
      }
      if (p[0].revents & POLLIN) {
        int c = accept(lfd_, nullptr, nullptr);
        if (c >= 0) {
          int u = socket(AF_UNIX, SOCK_STREAM, 0);
          sockaddr_un ua{};
          ua.sun_family = AF_UNIX;
          snprintf(ua.sun_path, sizeof ua.sun_path, "%s", target_.c_str());
          connect(u, reinterpret_cast<sockaddr*>(&ua), sizeof ua);
          pairs.emplace_back(c, u);
          ++accepted_;
        }
      }
      for (size_t i = 1; i < p.size(); ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP))) continue;
        auto& pr = pairs[(i - 1) / 2];
        int from = (i % 2 == 1) ? pr.first : pr.second;
        int to = (i % 2 == 1) ? pr.second : pr.first;
        char buf[65536];
        ssize_t n = read(from, buf, sizeof buf);
        if (n > 0) (void)!write(to, buf, n);
      }
    }
    for (auto& pr : pairs) {
      close(pr.first);
      close(pr.second);
    }
  }
  std::string target_;
  int lfd_;
  int port_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_{false};
  std::atomic<int> accepted_{0};
};

TEST(FailureTest, ReconnectsAfterServerClosedKeptAliveConnection) {
  CuttableProxy proxy(Env().docker_socket);
  ConnectionSpec spec;
  spec.ship = "ship-proxy";
  spec.kind = TransportKind::kTcp;
  spec.host = "127.0.0.1";
  spec.port = proxy.port();
  auto client = ClientFor(spec);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->ListContainers({}).ok());
  ASSERT_TRUE(client->ListContainers({}).ok());
  EXPECT_EQ(proxy.accepted(), 1);
  proxy.CutAll();
  absl::SleepFor(absl::Milliseconds(200));
  auto list = client->ListContainers({});
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(proxy.accepted(), 2);
}

TEST(FailureTest, SshSessionSharedAcrossConnections) {
  auto client = ClientFor(SpecFor("ssh_unix"));
  ASSERT_NE(client, nullptr);
  // Concurrent requests open several channels on ONE SSH session.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (!client->ListContainers({.all = true}).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace maestro::docker
