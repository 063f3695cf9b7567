#include "maestro/lifecycle/checks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "maestro/docker/docker_client.h"
#include "maestro/lifecycle/test_http_server.h"
#include "maestro/model/environment.h"
#include "maestro/testing/fake_clock.h"
#include "nlohmann/json.hpp"

namespace maestro::lifecycle {
namespace {

using ::maestro::lifecycle::testing::ScriptedResponse;
using ::maestro::lifecycle::testing::TestHttpServer;

// A TCP listener on 127.0.0.1:<ephemeral> (the kernel completes connections from its backlog).
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 64), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

int ClosedPort() {
  Listener l;
  int p = l.port();
  l.Close();
  return p;
}

model::Instance MakeInstance() {
  model::Instance i;
  i.name = "c1";
  i.service = "svc";
  i.ship = "s1";
  model::Port client;
  client.name = "client";
  client.exposed = {2181, 2181, "tcp"};
  client.external = {2181, 2181, "tcp"};
  model::Port dns;
  dns.name = "dns";
  dns.exposed = {53, 53, "udp"};
  dns.external = {53, 53, "udp"};
  model::Port range;
  range.name = "range";
  range.exposed = {1000, 1002, "tcp"};
  range.external = {1000, 1002, "tcp"};
  i.ports = {client, dns, range};
  i.env = {{"CONTAINER_NAME", "c1"}, {"NULLVAR", std::nullopt}, {"PORT", "8080"}};
  return i;
}

model::Check Tcp(int port, int max_wait) {
  model::Check c;
  c.type = model::CheckType::kTcp;
  c.port_name = "client";
  c.port = port;
  c.host = "127.0.0.1";
  c.max_wait = max_wait;
  return c;
}

model::Check Http(int port, int max_wait) {
  model::Check c;
  c.type = model::CheckType::kHttp;
  c.port_name = std::to_string(port);
  c.port = port;
  c.host = "127.0.0.1";
  c.max_wait = max_wait;
  c.path = "/health";
  return c;
}

model::Check Exec(std::vector<std::string> argv, int attempts, std::string envfrom = "env") {
  model::Check c;
  c.type = model::CheckType::kExec;
  c.argv = std::move(argv);
  c.command = "sh -c ...";
  c.attempts = attempts;
  c.envfrom = std::move(envfrom);
  return c;
}

model::Check Sleep(int wait) {
  model::Check c;
  c.type = model::CheckType::kSleep;
  c.wait = wait;
  return c;
}

std::string Lower(const std::string& s) { return absl::AsciiStrToLower(s); }

class ChecksTest : public ::testing::Test {
 protected:
  ChecksTest() : instance_(MakeInstance()) {
    ctx_.instance = &instance_;
    ctx_.clock = &clock_;
    ctx_.cancel = &cancel_;
    process_env_ = {{"PATH", "/usr/bin:/bin"}, {"FROM_MAESTRO", "yes"}, {"PORT", "1"}};
    ctx_.process_env = &process_env_;
  }
  model::Instance instance_;
  maestro::testing::FakeClock clock_;
  std::atomic<bool> cancel_{false};
  std::map<std::string, std::string> process_env_;
  CheckContext ctx_;
};

TEST_F(ChecksTest, TcpSucceedsOnAListeningPort) {
  Listener l;
  CheckOutcome o = RunCheck(Tcp(l.port(), 5), ctx_);
  EXPECT_TRUE(o.ok) << o.last_error;
  EXPECT_EQ(o.attempts, 1);
  EXPECT_EQ(o.check, "tcp check on port client (127.0.0.1:" + std::to_string(l.port()) + ")");
  EXPECT_EQ(clock_.total_slept(), absl::ZeroDuration());
}

TEST_F(ChecksTest, TcpClosedPortFailsAfterMaxWaitAttempts) {
  CheckOutcome o = RunCheck(Tcp(ClosedPort(), 3), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 3);
  EXPECT_TRUE(absl::StrContains(Lower(o.last_error), "connection refused")) << o.last_error;
  EXPECT_TRUE(absl::StrContains(o.last_error, "after 3 attempts")) << o.last_error;
  EXPECT_EQ(clock_.total_slept(), absl::Seconds(2));  // 1 s between attempts
  EXPECT_EQ(o.elapsed, absl::Seconds(2));
}

TEST_F(ChecksTest, HttpRetriesUntilStatus200) {
  TestHttpServer server;
  server.Script({{503, "no"}, {404, "no"}, {200, "yes"}});
  model::Check c = Http(server.port(), 60);
  CheckOutcome o = RunCheck(c, ctx_);
  EXPECT_TRUE(o.ok) << o.last_error;
  EXPECT_EQ(o.attempts, 3);
  std::vector<testing::RecordedRequest> reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].target, "/health");
  EXPECT_EQ(o.check,
            "http check GET http://127.0.0.1:" + std::to_string(server.port()) + "/health");
}

TEST_F(ChecksTest, HttpOnlyExactly200CountsWithoutRegex) {
  TestHttpServer server;
  server.Script({{204, ""}});
  CheckOutcome o = RunCheck(Http(server.port(), 3), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_TRUE(absl::StrContains(o.last_error, "HTTP 204")) << o.last_error;
  EXPECT_EQ(o.attempts, 3);  // at 0, 1 and 2 s of the 3 s budget
}

TEST_F(ChecksTest, HttpRegexSearchesTheBodyWithDotAll) {
  TestHttpServer server;
  ScriptedResponse r{500, "{\n \"status\": \"UP\"\n}"};
  r.chunked = true;
  server.Script({r});
  model::Check c = Http(server.port(), 10);
  c.match_regex = "status.: \"UP\".}";
  c.method = "post";
  CheckOutcome o = RunCheck(c, ctx_);
  EXPECT_TRUE(o.ok) << o.last_error;  // the regex decides, not the status
  EXPECT_EQ(server.requests().at(0).method, "POST");

  c.match_regex = "DOWN";
  o = RunCheck(c, ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_TRUE(absl::StrContains(o.last_error, "did not match /DOWN/")) << o.last_error;
}

TEST_F(ChecksTest, HttpRequestOptionsHeadersAuthParams) {
  TestHttpServer server;
  model::Check c = Http(server.port(), 5);
  c.requests_options = {{"headers", {{"X-Probe", "1"}}},
                        {"auth", {"bob", "secret"}},
                        {"params", {{"q", "a b"}}},
                        {"timeout", 2}};
  ASSERT_TRUE(ValidateCheck(c, &instance_).ok());
  CheckOutcome o = RunCheck(c, ctx_);
  ASSERT_TRUE(o.ok) << o.last_error;
  testing::RecordedRequest req = server.requests().at(0);
  EXPECT_EQ(req.target, "/health?q=a%20b");
  EXPECT_EQ(req.headers["x-probe"], "1");
  EXPECT_EQ(req.headers["authorization"], "Basic Ym9iOnNlY3JldA==");
}

TEST_F(ChecksTest, HttpRequestTimeoutIsBoundedByMaxWait) {
  // FIX #27: a server that never answers cannot hold the check past max_wait.
  TestHttpServer server;
  ScriptedResponse hang;
  hang.never_answer = true;
  server.Script({hang});
  CheckContext ctx = ctx_;
  ctx.clock = RealClock::Get();
  model::Check c = Http(server.port(), 1);  // default per-request timeout is 5 s
  auto start = std::chrono::steady_clock::now();
  CheckOutcome o = RunCheck(c, ctx);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 1);
  EXPECT_TRUE(absl::StrContains(o.last_error, "timed out")) << o.last_error;
  EXPECT_LT(secs, 2.5);
  EXPECT_GE(secs, 0.9);
  server.Stop();
}

TEST_F(ChecksTest, HttpPerRequestTimeoutFromRequestsOptions) {
  TestHttpServer server;
  ScriptedResponse hang;
  hang.never_answer = true;
  server.Script({hang});
  model::Check c = Http(server.port(), 2);
  c.requests_options = {{"timeout", 0.2}};
  CheckOutcome o = RunCheck(c, ctx_);  // fake clock: 1 s pause between two 0.2 s requests
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 2);
  EXPECT_TRUE(absl::StrContains(o.last_error, "timed out")) << o.last_error;
  server.Stop();
}

TEST_F(ChecksTest, HttpConnectionRefusedIsRetriedThenReported) {
  CheckOutcome o = RunCheck(Http(ClosedPort(), 3), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_TRUE(absl::StrContains(Lower(o.last_error), "connection refused")) << o.last_error;
  EXPECT_TRUE(absl::StrContains(o.last_error, "gave up after 3s")) << o.last_error;
}

TEST_F(ChecksTest, ExecEnvFromEnvSeesContainerEnvOverMaestroEnv) {
  model::Check c = Exec({"sh", "-c",
                         "test \"$CONTAINER_NAME\" = c1 && test \"$NULLVAR\" = None && "
                         "test \"$FROM_MAESTRO\" = yes && test \"$PORT\" = 8080"},
                        2);
  CheckOutcome o = RunCheck(c, ctx_);
  EXPECT_TRUE(o.ok) << o.last_error;
  EXPECT_EQ(o.attempts, 1);
}

TEST_F(ChecksTest, ExecEnvFromStdinGetsJsonAndMaestroEnvOnly) {
  std::string out = std::string(std::getenv("TEST_TMPDIR")) + "/stdin.json";
  model::Check c = Exec({"sh", "-c", "test -z \"$CONTAINER_NAME\" && cat > " + out}, 1, "stdin");
  CheckOutcome o = RunCheck(c, ctx_);
  ASSERT_TRUE(o.ok) << o.last_error;
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str());
  EXPECT_EQ(j["CONTAINER_NAME"], "c1");
  EXPECT_EQ(j["NULLVAR"], "None");
  EXPECT_EQ(j["PORT"], "8080");  // container env wins
  EXPECT_EQ(j["FROM_MAESTRO"], "yes");
}

TEST_F(ChecksTest, ExecFailureKeepsTheLastOutputLines) {
  std::string seen;
  std::mutex mu;
  ctx_.exec_output = [&](absl::string_view d) {
    std::lock_guard<std::mutex> lock(mu);
    seen.append(d.data(), d.size());
  };
  CheckOutcome o = RunCheck(Exec({"sh", "-c", "echo starting; echo boom >&2; exit 3"}, 3), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 3);
  EXPECT_TRUE(absl::StrContains(o.last_error, "exited with status 3")) << o.last_error;
  EXPECT_TRUE(absl::StrContains(o.last_error, "boom")) << o.last_error;
  EXPECT_EQ(clock_.total_slept(), absl::Seconds(2));
  EXPECT_TRUE(absl::StrContains(seen, "starting\nboom\n")) << seen;
}

TEST_F(ChecksTest, ExecMissingProgramFailsAtOnce) {
  CheckOutcome o = RunCheck(Exec({"/nonexistent/maestro-check"}, 5), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 1);
  EXPECT_TRUE(absl::StrContains(o.last_error, "cannot run")) << o.last_error;
}

// A DockerClient with just the exec calls; everything else is Unimplemented.
class ExecOnlyDocker : public docker::DockerClient {
 public:
  explicit ExecOnlyDocker(std::vector<int> exit_codes) : exit_codes_(std::move(exit_codes)) {}
  std::vector<std::string> containers;
  std::vector<std::vector<std::string>> cmds;
  int inspects = 0;
  bool hang = false;  // StartExec blocks until its cancel flag is set
  absl::Notification started;
  std::atomic<int> streams_cancelled{0};

  std::string Describe() const override { return "fake"; }
  absl::StatusOr<std::string> ApiVersion() override { return U(); }
  absl::StatusOr<std::vector<docker::ContainerSummary>> ListContainers(
      const docker::ListContainersOptions&) override {
    return U();
  }
  absl::StatusOr<docker::ContainerInspect> InspectContainer(absl::string_view) override {
    return U();
  }
  absl::StatusOr<docker::CreateContainerResult> CreateContainer(absl::string_view,
                                                                const nlohmann::json&) override {
    return U();
  }
  absl::Status StartContainer(absl::string_view) override { return U(); }
  absl::Status StopContainer(absl::string_view, absl::optional<int>) override { return U(); }
  absl::Status KillContainer(absl::string_view, absl::string_view) override { return U(); }
  absl::Status RemoveContainer(absl::string_view, const docker::RemoveContainerOptions&) override {
    return U();
  }
  absl::Status Logs(absl::string_view, const docker::LogsOptions&,
                    const docker::OutputCallback&) override {
    return U();
  }
  absl::StatusOr<std::string> CreateExec(absl::string_view container,
                                         const docker::ExecOptions& options) override {
    containers.emplace_back(container);
    cmds.push_back(options.cmd);
    return "exec" + std::to_string(cmds.size());
  }
  absl::Status StartExec(absl::string_view, bool, const docker::OutputCallback& cb,
                         const std::atomic<bool>* cancel) override {
    cb(docker::StdStream::kStdout, "checking\n");
    if (!hang) return absl::OkStatus();
    // A command that never ends: the attached stream only ends when `cancel` is set (as
    // HttpDockerClient's stream does). The guard turns a missing cancel into a failure.
    if (!started.HasBeenNotified()) started.Notify();
    for (int i = 0; i < 60'000; ++i) {
      if (cancel != nullptr && cancel->load()) {
        ++streams_cancelled;
        return absl::OkStatus();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return absl::InternalError("the exec stream was never cancelled");
  }
  absl::StatusOr<docker::ExecInspect> InspectExec(absl::string_view id) override {
    ++inspects;
    docker::ExecInspect info;
    info.id = std::string(id);
    // The first inspect of each exec reports it still running.
    if (inspects % 2 == 1) {
      info.running = true;
      return info;
    }
    size_t n = cmds.size() - 1;
    info.exit_code = exit_codes_[std::min(n, exit_codes_.size() - 1)];
    return info;
  }
  absl::StatusOr<docker::ImageInspect> InspectImage(absl::string_view) override { return U(); }
  absl::Status PullImage(absl::string_view, absl::string_view, absl::string_view,
                         const docker::PullProgressCallback&) override {
    return U();
  }
  absl::StatusOr<std::string> Login(const nlohmann::json&) override { return U(); }
  absl::Status Events(const docker::EventsOptions&, const docker::EventCallback&) override {
    return U();
  }

 private:
  static absl::Status U() { return absl::UnimplementedError("not in this fake"); }
  std::vector<int> exit_codes_;
};

TEST_F(ChecksTest, RexecRunsInTheContainerUntilExitZero) {
  ExecOnlyDocker docker({7, 0});
  ctx_.docker = &docker;
  model::Check c;
  c.type = model::CheckType::kRexec;
  c.command = "check-ready --fast";
  c.argv = {"check-ready", "--fast"};
  c.attempts = 5;
  CheckOutcome o = RunCheck(c, ctx_);
  EXPECT_TRUE(o.ok) << o.last_error;
  EXPECT_EQ(o.attempts, 2);
  EXPECT_EQ(docker.containers, (std::vector<std::string>{"c1", "c1"}));
  EXPECT_EQ(docker.cmds.at(0), (std::vector<std::string>{"check-ready", "--fast"}));
  // 1 s exit-code poll per exec, plus 1 s between the attempts.
  EXPECT_EQ(clock_.total_slept(), absl::Seconds(3));

  ExecOnlyDocker failing({2});
  ctx_.docker = &failing;
  c.attempts = 2;
  o = RunCheck(c, ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.last_error, "exited with status 2: checking");
}

model::Check Rexec(int attempts, double timeout) {
  model::Check c;
  c.type = model::CheckType::kRexec;
  c.command = "hang";
  c.argv = {"hang"};
  c.attempts = attempts;
  c.timeout = timeout;
  return c;
}

TEST_F(ChecksTest, HangingRexecEndsPromptlyOnCancel) {
  ExecOnlyDocker docker({0});
  docker.hang = true;
  ctx_.docker = &docker;
  std::thread ctrl_c([&] {
    docker.started.WaitForNotification();
    cancel_ = true;
  });
  CheckOutcome o = RunCheck(Rexec(5, 600), ctx_);
  ctrl_c.join();
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 1);
  EXPECT_EQ(docker.streams_cancelled.load(), 1) << o.last_error;
  EXPECT_TRUE(absl::StartsWith(o.last_error, "cancelled")) << o.last_error;
}

TEST_F(ChecksTest, HangingRexecInAStateEndsPromptlyOnCancel) {
  ExecOnlyDocker docker({0});
  docker.hang = true;
  ctx_.docker = &docker;
  instance_.lifecycle["pre-stop"] = {Rexec(180, 600)};
  std::thread ctrl_c([&] {
    docker.started.WaitForNotification();
    cancel_ = true;
  });
  absl::StatusOr<StateOutcome> r = RunChecks("pre-stop", ctx_);
  ctrl_c.join();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  EXPECT_EQ(docker.streams_cancelled.load(), 1);
}

TEST_F(ChecksTest, RexecAttemptsTimeOut) {
  ExecOnlyDocker docker({0});
  docker.hang = true;
  ctx_.docker = &docker;
  CheckOutcome o = RunCheck(Rexec(2, 0.2), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 2);
  EXPECT_EQ(docker.streams_cancelled.load(), 2);
  EXPECT_EQ(o.last_error, "timed out after 200ms");
}

TEST_F(ChecksTest, RexecExitCodePollingIsBoundedByTheTimeout) {
  // The exec ends its stream but never reports an exit code: polled for `timeout` seconds
  // of clock time, then the attempt times out.
  class NoExitCode : public ExecOnlyDocker {
   public:
    NoExitCode() : ExecOnlyDocker({0}) {}
    absl::StatusOr<docker::ExecInspect> InspectExec(absl::string_view id) override {
      docker::ExecInspect info;
      info.id = std::string(id);
      info.running = true;
      return info;
    }
  } docker;
  ctx_.docker = &docker;
  CheckOutcome o = RunCheck(Rexec(1, 5), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.last_error, "timed out after 5s");
  EXPECT_EQ(clock_.total_slept(), absl::Seconds(5));
}

TEST_F(ChecksTest, ExecAttemptsTimeOut) {
  model::Check c = Exec({"sleep", "30"}, 2);
  c.timeout = 0.2;
  CheckOutcome o = RunCheck(c, ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 2);
  EXPECT_TRUE(absl::StartsWith(o.last_error, "timed out after 200ms")) << o.last_error;
}

TEST_F(ChecksTest, HangingExecIsKilledOnCancel) {
  model::Check c = Exec({"sh", "-c", "echo ready; exec sleep 300"}, 5);
  ctx_.exec_output = [&](absl::string_view) { cancel_ = true; };  // Ctrl-C once it runs
  CheckOutcome o = RunCheck(c, ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 1);
  EXPECT_TRUE(absl::StartsWith(o.last_error, "cancelled")) << o.last_error;
}

TEST_F(ChecksTest, SleepWaitsEveryTime) {
  model::Check c = Sleep(5);
  EXPECT_TRUE(RunCheck(c, ctx_).ok);
  EXPECT_EQ(clock_.total_slept(), absl::Seconds(5));
  EXPECT_TRUE(RunCheck(c, ctx_).ok);  // FIX #18: the same check sleeps again
  EXPECT_EQ(clock_.total_slept(), absl::Seconds(10));
}

TEST_F(ChecksTest, NoChecksPollsTheConditionElevenTimes) {
  int polls = 0;
  ctx_.condition = [&] { return ++polls >= 3; };
  absl::StatusOr<StateOutcome> r = RunChecks("running", ctx_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(polls, 3);

  polls = 0;
  ctx_.condition = [&] {
    ++polls;
    return false;
  };
  absl::Duration before = clock_.total_slept();
  r = RunChecks("running", ctx_);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_TRUE(r->condition_failed);
  EXPECT_EQ(polls, 11);
  EXPECT_EQ(clock_.total_slept() - before, absl::Seconds(5));
  EXPECT_EQ(r->message, "running: container c1 is no longer running");
}

TEST_F(ChecksTest, AllChecksMustPass) {
  Listener l;
  instance_.lifecycle["running"] = {Tcp(l.port(), 3), Sleep(2), Tcp(ClosedPort(), 2)};
  absl::StatusOr<StateOutcome> r = RunChecks("running", ctx_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->ok);
  ASSERT_EQ(r->checks.size(), 3u);
  EXPECT_TRUE(r->checks[0].ok);
  EXPECT_TRUE(r->checks[1].ok);
  EXPECT_FALSE(r->checks[2].ok);
  EXPECT_TRUE(absl::StartsWith(r->message, "running checks of c1 failed: tcp check on port"))
      << r->message;

  instance_.lifecycle["running"] = {Tcp(l.port(), 3), Sleep(2)};
  r = RunChecks("running", ctx_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->message;
  EXPECT_EQ(r->message, "");
}

TEST_F(ChecksTest, ChecksRunConcurrently) {
  instance_.lifecycle["running"] = {Sleep(1), Sleep(1), Sleep(1)};
  ctx_.clock = RealClock::Get();
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<StateOutcome> r = RunChecks("running", ctx_);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok);
  EXPECT_LT(secs, 2.0);  // sequential would take 3 s
}

TEST_F(ChecksTest, ConditionTurningFalseStopsTheChecks) {
  instance_.lifecycle["running"] = {Tcp(ClosedPort(), 100000)};
  int polls = 0;
  ctx_.condition = [&] { return ++polls < 3; };
  absl::StatusOr<StateOutcome> r = RunChecks("running", ctx_);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_TRUE(r->condition_failed);
  EXPECT_EQ(r->message, "running checks of c1 stopped: container c1 is no longer running");
  EXPECT_LT(r->checks[0].attempts, 100000);
}

TEST_F(ChecksTest, ConditionFailureMessageCanBeGiven) {
  instance_.lifecycle["pre-start"] = {Sleep(100000)};
  ctx_.condition = [] { return false; };
  ctx_.condition_failure = "container c1 came up";
  absl::StatusOr<StateOutcome> r = RunChecks("pre-start", ctx_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->message, "pre-start checks of c1 stopped: container c1 came up");
}

TEST_F(ChecksTest, CancelStopsWaiting) {
  instance_.lifecycle["running"] = {Sleep(60), Tcp(ClosedPort(), 60)};
  ctx_.clock = RealClock::Get();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancel_ = true;
  });
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<StateOutcome> r = RunChecks("running", ctx_);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  canceller.join();
  EXPECT_TRUE(absl::IsCancelled(r.status())) << r.status();
  EXPECT_LT(secs, 3.0);

  // RunCheck alone honours the flag too.
  CheckOutcome o = RunCheck(Tcp(ClosedPort(), 5), ctx_);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.last_error, "cancelled");
}

TEST_F(ChecksTest, InvalidChecksAreRejectedBeforeRunning) {
  model::Check c = Tcp(2181, 3);
  c.port_name = "nope";
  EXPECT_EQ(ValidateCheck(c, &instance_).message(),
            "lifecycle tcp check of c1: Port nope is not defined by c1!");
  c.port_name = "dns";
  EXPECT_TRUE(absl::StrContains(ValidateCheck(c, &instance_).message(), "Port dns is not TCP!"));
  c.port_name = "range";
  EXPECT_TRUE(absl::StrContains(ValidateCheck(c, &instance_).message(),
                                "Port range is a port range (1000-1002)"));
  model::Check h = Http(80, 3);
  h.match_regex = "(unclosed";
  EXPECT_TRUE(absl::StrContains(ValidateCheck(h, &instance_).message(),
                                "Bad regex for HttpRequestLifecycle: (unclosed"));
  h.match_regex.reset();
  h.requests_options = {{"proxies", {}}};
  EXPECT_TRUE(absl::StrContains(ValidateCheck(h, &instance_).message(),
                                "unsupported requests_options key 'proxies'"));
  model::Check e = Exec({"true"}, 1, "file");
  e.line = 12;
  EXPECT_EQ(ValidateCheck(e, &instance_).message(),
            "lifecycle exec check at line 12 of c1: Lifecycle check: invalid envfrom file "
            "(expected env or stdin)");
  instance_.lifecycle["running"] = {Sleep(1), e};
  absl::StatusOr<StateOutcome> r = RunChecks("running", ctx_);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_EQ(clock_.total_slept(), absl::ZeroDuration());  // nothing ran
}

}  // namespace
}  // namespace maestro::lifecycle
