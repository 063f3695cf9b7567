#include "maestro/integration/e2e.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "maestro/docker/http_docker_client.h"
#include "maestro/lifecycle/subprocess.h"
#include "maestro/transport/connection_spec.h"

namespace maestro::integration {
namespace {

std::mt19937_64& Rng() {
  static std::mt19937_64 rng(std::random_device{}() ^
                             static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())));
  return rng;
}

std::string RunfilesRoot() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/", ws ? ws : "maestro");
}

// The test's own environment with `set` added and `unset` removed, for a child.
std::map<std::string, std::string> ChildEnvironment(const std::map<std::string, std::string>& set,
                                                    const std::vector<std::string>& unset) {
  std::map<std::string, std::string> env = lifecycle::ProcessEnvironment();
  for (const auto& [k, v] : set) env[k] = v;
  for (const std::string& k : unset) env.erase(k);
  return env;
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

const testing::TestEnv* Env() {
  static const testing::TestEnv* env = [] {
    absl::StatusOr<testing::TestEnv> loaded = testing::LoadTestEnv();
    if (!loaded.ok()) {
      ADD_FAILURE() << "the test environment is required (tools/testenv up, then pass "
                       "--test_env=MAESTRO_TESTENV_FILE=...): "
                    << loaded.status();
      return static_cast<testing::TestEnv*>(nullptr);
    }
    return new testing::TestEnv(*std::move(loaded));
  }();
  return env;
}

std::string UniquePrefix(const std::string& tag) {
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  uint64_t r = Rng()();
  for (int i = 0; i < 6; ++i) id.push_back(kHex[(r >> (4 * i)) & 15]);
  return absl::StrCat("mt", tag, "-", id, "-");
}

// Blocks of 50 in 20000-32699: below the kernel's ephemeral range (32768-60999), where client
// sockets of concurrent tests would take a port a container is about to publish.
int RandomPortBase() { return 20000 + static_cast<int>(Rng()() % 254) * 50; }

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(base ? base : "/tmp", "/", name, "-",
                                 static_cast<uint64_t>(Rng()() % 1000000000));
  mkdir(dir.c_str(), 0755);
  return dir;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  return static_cast<bool>(f);
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string Substitute(std::string text, const std::map<std::string, std::string>& vars) {
  for (const auto& [k, v] : vars) {
    text = absl::StrReplaceAll(text, {{absl::StrCat("{{", k, "}}"), v}});
  }
  return text;
}

std::string ReadTemplate(const std::string& name) {
  std::string path = absl::StrCat(RunfilesRoot(), "/testdata/integration/", name);
  std::string text = ReadFile(path);
  EXPECT_FALSE(text.empty()) << "missing template " << path;
  return text;
}

std::string MaestroPath() { return absl::StrCat(RunfilesRoot(), "/maestro/maestro"); }

RunResult RunMaestro(const std::string& file, const std::vector<std::string>& args,
                     absl::Duration timeout) {
  MaestroProcess p(file, args);
  return p.Wait(timeout);
}

MaestroProcess::MaestroProcess(const std::string& file, const std::vector<std::string>& args) {
  began_ = absl::Now();
  lifecycle::SubprocessOptions o;
  o.argv = {MaestroPath(), "-f", file};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  // Tests of one environment name running at once on the shared daemon take turns on its deploy
  // lock instead of failing (a test of the lock itself passes --lock-wait).
  o.env = ChildEnvironment({{"COLUMNS", "200"}, {"MAESTRO_LOCK_WAIT", "300"}}, {"NO_COLOR"});
  o.output = [this](absl::string_view d) {
    std::lock_guard<std::mutex> lock(mu_);
    out_.append(d.data(), d.size());
  };
  o.error_output = [this](absl::string_view d) {
    std::lock_guard<std::mutex> lock(mu_);
    err_.append(d.data(), d.size());
  };
  o.cancel = &stop_;
  o.send_signal = &signal_;
  o.kill_grace = absl::ZeroDuration();  // a run past its time is killed at once
  thread_ = std::thread([this, o = std::move(o)] {
    absl::StatusOr<lifecycle::SubprocessResult> r = lifecycle::RunSubprocess(o);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!r.ok()) {
        spawn_error_ = r.status().ToString();
      } else {
        exit_code_ = r->exit_code;
        killed_ = r->cancelled;
      }
    }
    done_.Notify();
  });
}

MaestroProcess::~MaestroProcess() {
  stop_ = true;
  thread_.join();
}

bool MaestroProcess::started() const {
  std::lock_guard<std::mutex> lock(mu_);
  return spawn_error_.empty();
}

std::string MaestroProcess::Stdout() const {
  std::lock_guard<std::mutex> lock(mu_);
  return out_;
}

std::string MaestroProcess::Stderr() const {
  std::lock_guard<std::mutex> lock(mu_);
  return err_.empty() && !spawn_error_.empty() ? spawn_error_ : err_;
}

bool MaestroProcess::Exited() { return done_.HasBeenNotified(); }

bool MaestroProcess::WaitForOutput(const std::string& needle, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (absl::StrContains(Stdout(), needle) || absl::StrContains(Stderr(), needle)) return true;
    if (Exited()) return absl::StrContains(Stdout() + Stderr(), needle);
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

void MaestroProcess::Signal(int sig) {
  if (!Exited()) signal_ = sig;
}

RunResult MaestroProcess::Wait(absl::Duration timeout) {
  if (!done_.WaitForNotificationWithTimeout(timeout)) {
    stop_ = true;
    done_.WaitForNotification();  // bounded: RunSubprocess kills the group at once
  }
  RunResult r;
  r.elapsed = absl::Now() - began_;
  std::lock_guard<std::mutex> lock(mu_);
  r.timed_out = killed_;
  r.exit_code = killed_ ? -1 : exit_code_;
  r.out = out_;
  r.err = err_.empty() && !spawn_error_.empty() ? spawn_error_ : err_;
  return r;
}

docker::DockerClient& Docker() {
  static docker::DockerClient* client = [] {
    transport::ConnectionSpec spec;
    spec.ship = "test";
    spec.kind = transport::TransportKind::kUnix;
    spec.socket_path = Env() ? Env()->docker_socket : "/var/run/docker.sock";
    spec.connect_timeout = absl::Seconds(10);
    spec.request_timeout = absl::Seconds(30);
    auto created = docker::HttpDockerClient::Create(spec);
    if (!created.ok()) {
      ADD_FAILURE() << created.status();
      std::abort();
    }
    return static_cast<docker::DockerClient*>(created->release());
  }();
  return *client;
}

std::optional<nlohmann::json> Inspect(const std::string& name) {
  absl::StatusOr<docker::ContainerInspect> got = Docker().InspectContainer(name);
  if (!got.ok()) {
    if (!absl::IsNotFound(got.status()))
      ADD_FAILURE() << "inspect " << name << ": " << got.status();
    return std::nullopt;
  }
  return got->raw;
}

std::vector<std::string> ContainersWithPrefix(const std::string& prefix) {
  docker::ListContainersOptions options;
  options.all = true;
  options.names.push_back(prefix);
  std::vector<std::string> out;
  absl::StatusOr<std::vector<docker::ContainerSummary>> list = Docker().ListContainers(options);
  if (!list.ok()) {
    ADD_FAILURE() << "list containers: " << list.status();
    return out;
  }
  for (const docker::ContainerSummary& c : *list) {
    for (std::string n : c.names) {
      if (!n.empty() && n[0] == '/') n = n.substr(1);
      if (absl::StartsWith(n, prefix)) out.push_back(n);
    }
  }
  return out;
}

void RemoveContainersWithPrefix(const std::string& prefix) {
  for (const std::string& name : ContainersWithPrefix(prefix)) {
    docker::RemoveContainerOptions options;
    options.force = true;
    options.volumes = true;
    absl::Status s = Docker().RemoveContainer(name, options);
    if (!s.ok() && !absl::IsNotFound(s)) ADD_FAILURE() << "remove " << name << ": " << s;
  }
}

absl::Time StartedAt(const nlohmann::json& inspect) {
  return docker::ParseDockerTime(inspect["State"].value("StartedAt", ""));
}

absl::Time FinishedAt(const nlohmann::json& inspect) {
  return docker::ParseDockerTime(inspect["State"].value("FinishedAt", ""));
}

std::vector<std::string> EnvList(const nlohmann::json& inspect) {
  std::vector<std::string> out;
  const nlohmann::json& env = inspect["Config"]["Env"];
  if (env.is_array()) {
    for (const auto& e : env) out.push_back(e.get<std::string>());
  }
  return out;
}

std::string Shell(const std::string& command, int* code) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    if (code) *code = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  if (code) *code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

bool WaitForRow(MaestroProcess& p, const std::string& container, const std::string& text,
                absl::Duration timeout) {
  const std::string cell = absl::StrCat(" ", container, " ");
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const bool exited = p.Exited();
    std::istringstream in(p.Stdout());
    std::string line;
    while (std::getline(in, line)) {
      if (absl::StrContains(line, cell) && absl::StrContains(line, text)) return true;
    }
    if (exited || absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

RunResult RunCommand(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env, absl::Duration timeout) {
  RunResult r;
  if (argv.empty()) return r;
  const absl::Time began = absl::Now();
  lifecycle::SubprocessOptions o;
  o.argv = argv;
  o.env = ChildEnvironment(env, {});
  o.output = [&r](absl::string_view d) { r.out.append(d.data(), d.size()); };
  o.timeout = timeout;
  o.kill_grace = absl::ZeroDuration();
  absl::StatusOr<lifecycle::SubprocessResult> result = lifecycle::RunSubprocess(o);
  r.elapsed = absl::Now() - began;
  if (!result.ok()) {
    r.out = result.status().ToString();
    return r;
  }
  r.timed_out = result->timed_out;
  r.exit_code = result->timed_out ? -1 : result->exit_code;
  return r;
}

RunResult TestEnvCommand(const std::string& subcommand, absl::Duration timeout) {
  const testing::TestEnv* env = Env();
  std::string script;
  if (env != nullptr) {
    auto it = env->values.find("MAESTRO_TEST_TESTENV");
    if (it != env->values.end()) script = it->second;
  }
  if (script.empty()) {
    RunResult r;
    r.out =
        "the test environment's contract does not name its script (MAESTRO_TEST_TESTENV): "
        "run tools/testenv up again";
    return r;
  }
  std::map<std::string, std::string> vars;
  if (!env->state_dir.empty()) vars["MAESTRO_TESTENV_DIR"] = env->state_dir;
  return RunCommand({script, subcommand}, vars, timeout);
}

// ---- TcpProxy ------------------------------------------------------------------------------

TcpProxy::TcpProxy(std::string target_host, int target_port)
    : target_host_(std::move(target_host)), target_port_(target_port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return;
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  listen_fd_ = fd;
  if (pipe2(wake_, O_CLOEXEC) != 0) return;
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpProxy::~TcpProxy() {
  Kill();
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> pumps;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pumps.swap(pumps_);
  }
  for (std::thread& t : pumps) t.join();
  if (wake_[0] >= 0) close(wake_[0]);
  if (wake_[1] >= 0) close(wake_[1]);
}

void TcpProxy::Kill() {
  if (stopping_.exchange(true)) return;
  if (wake_[1] >= 0) (void)!write(wake_[1], "x", 1);
  if (acceptor_.joinable()) acceptor_.join();
  DropConnections();
}

void TcpProxy::DropConnections() {
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd : fds_) shutdown(fd, SHUT_RDWR);
}

void TcpProxy::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int n = poll(p, 2, 1000);
    if (n <= 0) continue;
    if (p[1].revents) break;
    int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    ++accepted_;
    std::lock_guard<std::mutex> lock(mu_);
    pumps_.emplace_back([this, client] { Pump(client); });
  }
  close(listen_fd_);  // new connects are refused from now on
}

void TcpProxy::Pump(int client) {
  int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(target_port_));
  inet_pton(AF_INET, target_host_.c_str(), &addr.sin_addr);
  if (connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(upstream);
    close(client);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_.load()) {
      close(upstream);
      close(client);
      return;
    }
    fds_.push_back(client);
    fds_.push_back(upstream);
  }
  char buf[16384];
  bool open_in = true, open_out = true;  // client->upstream, upstream->client
  while (open_in || open_out) {
    pollfd p[2] = {{client, static_cast<short>(open_in ? POLLIN : 0), 0},
                   {upstream, static_cast<short>(open_out ? POLLIN : 0), 0}};
    if (poll(p, 2, 500) < 0) break;
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(client, buf, sizeof buf);
      if (n <= 0) {
        open_in = false;
        shutdown(upstream, SHUT_WR);
        if (n < 0) break;
      } else if (!SendAll(upstream, buf, static_cast<size_t>(n))) {
        break;
      }
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(upstream, buf, sizeof buf);
      if (n <= 0) {
        open_out = false;
        shutdown(client, SHUT_WR);
        if (n < 0) break;
      } else if (!SendAll(client, buf, static_cast<size_t>(n))) {
        break;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = fds_.begin(); it != fds_.end();) {
    if (*it == client || *it == upstream) {
      it = fds_.erase(it);
    } else {
      ++it;
    }
  }
  close(client);
  close(upstream);
}

// ---- E2eTest -------------------------------------------------------------------------------

void E2eTest::SetUp() {
  ASSERT_NE(Env(), nullptr) << "MAESTRO_TESTENV_FILE must name the test environment";
  prefix_ = UniquePrefix("");
  port_base_ = RandomPortBase();
  dir_ = TempDir("env");
  RemoveContainersWithPrefix(prefix_);
}

void E2eTest::TearDown() {
  if (Env() != nullptr && !prefix_.empty()) RemoveContainersWithPrefix(prefix_);
}

std::map<std::string, std::string> E2eTest::vars() const {
  const testing::TestEnv& e = *Env();
  std::map<std::string, std::string> v = {
      {"P", prefix_},
      {"DIR", dir_},
      {"IMAGE", e.image},
      {"IMAGE_V2", e.image_v2},
      {"SOCKET", e.docker_socket},
      {"TCP_HOST", e.docker_tcp.substr(0, e.docker_tcp.find(':'))},
      {"TCP_PORT", e.docker_tcp.substr(e.docker_tcp.find(':') + 1)},
      {"TLS_HOST", e.docker_tls.substr(0, e.docker_tls.find(':'))},
      {"TLS_PORT", e.docker_tls.substr(e.docker_tls.find(':') + 1)},
      {"TLS_CA", e.tls_ca},
      {"TLS_CERT", e.tls_cert},
      {"TLS_KEY", e.tls_key},
      {"SSH_HOST", e.ssh_host},
      {"SSH_PORT", std::to_string(e.ssh_port)},
      {"SSH_USER", e.ssh_user},
      {"SSH_KEY", e.ssh_key},
      {"SSH_KNOWN_HOSTS", e.ssh_known_hosts},
      {"REGISTRY", e.registry},
      {"REGISTRY_USER", e.registry_user},
      {"REGISTRY_PASSWORD", e.registry_password},
      {"REGISTRY_IMAGE", e.registry_image},
  };
  for (int i = 0; i < 50; ++i) v[absl::StrCat("PORT", i)] = std::to_string(port_base_ + i);
  return v;
}

std::string E2eTest::WriteEnvironment(const std::string& name, const std::string& yaml,
                                      const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> v = vars();
  for (const auto& [k, val] : extra) v[k] = val;
  std::string path = absl::StrCat(dir_, "/", name);
  EXPECT_TRUE(WriteFile(path, Substitute(yaml, v))) << path;
  return path;
}

std::string E2eTest::V(const std::string& short_name) const {
  std::string out;
  for (char c : C(short_name)) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c))
                      ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                      : '_');
  }
  return out;
}

std::string E2eTest::LastLine(const std::string& output, const std::string& container) {
  std::string last;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    // Table rows only ("  3. name ..."): not the timing summary, which names containers too.
    absl::string_view row = absl::StripLeadingAsciiWhitespace(line);
    size_t digits = 0;
    while (digits < row.size() && absl::ascii_isdigit(row[digits])) ++digits;
    if (digits == 0 || digits >= row.size() || row[digits] != '.') continue;
    if (absl::StrContains(line, absl::StrCat(" ", container, " "))) last = line;
  }
  return last;
}

}  // namespace maestro::integration
