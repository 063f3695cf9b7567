// End to end, issue #12: `status --watch --format json` reacting to a `docker stop` from
// outside, `events` of the environment only, and `exec` with and without a TTY (the TTY case
// through a pseudo-terminal) over every transport: unix socket, TCP, TLS and SSH.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::HasSubstr;

class StreamsTest : public E2eTest {};

// One container per transport, all on the test daemon.
constexpr char kYaml[] = R"(
__maestro: {schema: 2}
name: streams-e2e
ships:
  unix: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 10}
  tcp: {ip: "{{TCP_HOST}}", docker_port: {{TCP_PORT}}, timeout: 10}
  tls: {ip: "{{TLS_HOST}}", docker_port: {{TLS_PORT}}, tls: true, tls_verify: true,
        tls_ca_cert: "{{TLS_CA}}", tls_cert: "{{TLS_CERT}}", tls_key: "{{TLS_KEY}}", timeout: 10}
  ssh:
    ip: "{{SSH_HOST}}"
    docker_host: "ssh://{{SSH_USER}}@{{SSH_HOST}}:{{SSH_PORT}}{{SOCKET}}"
    ssh_tunnel: {key: "{{SSH_KEY}}", known_hosts: "{{SSH_KNOWN_HOSTS}}"}
    timeout: 10
services:
  box:
    image: "{{IMAGE}}"
    instances:
      "{{P}}unix": {ship: unix, command: "sleep 1000", stop_timeout: 1}
      "{{P}}tcp": {ship: tcp, command: "sleep 1000", stop_timeout: 1}
      "{{P}}tls": {ship: tls, command: "sleep 1000", stop_timeout: 1}
      "{{P}}ssh": {ship: ssh, command: "sleep 1000", stop_timeout: 1}
)";

// Runs maestro on a pseudo-terminal of `rows` x `cols`, types `input` once the program had a
// moment to start, and collects everything until it exits (bounded).
struct PtyRun {
  int exit_code = -1;
  std::string output;
};
PtyRun RunOnPty(const std::vector<std::string>& args, const std::string& input) {
  PtyRun result;
  winsize ws{};
  ws.ws_row = 33;
  ws.ws_col = 101;
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, &ws);
  if (pid < 0) {
    ADD_FAILURE() << "forkpty failed";
    return result;
  }
  if (pid == 0) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  bool typed = false;
  const absl::Time type_at = absl::Now() + absl::Seconds(2);
  char buf[4096];
  while (absl::Now() < deadline) {
    if (!typed && absl::Now() >= type_at) {
      (void)!write(master, input.data(), input.size());
      typed = true;
    }
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break;  // EIO: the child and its terminal are gone
      result.output.append(buf, static_cast<size_t>(n));
    }
  }
  int status = 0;
  if (absl::Now() >= deadline) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  close(master);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

TEST_F(StreamsTest, ExecWithAndWithoutTtyOverEveryTransport) {
  std::string file = WriteEnvironment("s.yaml", kYaml);
  RunResult start = RunMaestro(file, {"start"});
  ASSERT_EQ(start.exit_code, 0) << start.all();

  // A service: every container at once, lines prefixed, a summary, 1 when one failed.
  RunResult all =
      RunMaestro(file, {"exec", "box", "--", "sh", "-c",
                        "echo out-$(hostname); [ $(hostname) != " + C("tls") + " ] || exit 5"});
  EXPECT_EQ(all.exit_code, 1) << all.all();
  for (const char* ship : {"unix", "tcp", "tls", "ssh"}) {
    EXPECT_THAT(all.out, HasSubstr(absl::StrCat(C(ship), "@", ship, " | out-", C(ship), "\n")));
    EXPECT_THAT(all.err, HasSubstr(absl::StrCat("  ", C(ship), "@", ship, ": exit ",
                                                std::string(ship) == "tls" ? "5" : "0")));
  }
  EXPECT_THAT(all.err, HasSubstr("exec: 3 of 4 container(s) succeeded"));
  RunResult ok = RunMaestro(file, {"exec", "-c", "2", "box", "--", "true"});
  EXPECT_EQ(ok.exit_code, 0) << ok.all();
  // One container without a terminal: plain output, its exit code passed through.
  RunResult one = RunMaestro(file, {"exec", C("ssh"), "--", "sh", "-c", "echo plain; exit 4"});
  EXPECT_EQ(one.exit_code, 4) << one.all();
  EXPECT_EQ(one.out, "plain\n");

  // With a terminal: interactive, window size sent, exit code passed through.
  for (const char* ship : {"unix", "tcp", "tls", "ssh"}) {
    PtyRun pty = RunOnPty({MaestroPath(), "-f", file, "exec", C(ship), "--", "sh"},
                          "stty size; echo hello-$((6*7)); exit 7\r");
    EXPECT_EQ(pty.exit_code, 7) << ship << ": " << pty.output;
    EXPECT_THAT(pty.output, HasSubstr("33 101")) << ship;
    EXPECT_THAT(pty.output, HasSubstr("hello-42")) << ship;
  }
}

// One container with stdin a pipe (`docker exec -i`): the input reaches the command, its end
// ends the command's stdin (the hijacked connection is half-closed) over every transport, the
// output is read to the end, stdout and stderr stay apart, and the exit code is passed through.
TEST_F(StreamsTest, ExecWithPipedStdinEndsOverEveryTransport) {
  std::string file = WriteEnvironment("s.yaml", kYaml);
  RunResult start = RunMaestro(file, {"start"});
  ASSERT_EQ(start.exit_code, 0) << start.all();
  const std::string maestro = absl::StrCat("timeout -s KILL 60 ", MaestroPath(), " -f ", file);
  for (const char* ship : {"unix", "tcp", "tls", "ssh"}) {
    std::string out = Shell(
        absl::StrCat("printf 'hello\\nworld\\n' | ", maestro, " exec ", C(ship),
                     " -- sh -c 'cat; echo cat-ended-$? >&2; exit 3' 2>/dev/null; echo rc=$?"));
    EXPECT_EQ(out, "hello\nworld\nrc=3\n") << ship;
  }
  std::string err = Shell(absl::StrCat("echo x | ", maestro, " exec ", C("unix"),
                                       " -- sh -c 'cat >/dev/null; echo cat-ended-$? >&2' "
                                       "2>&1 >/dev/null; echo rc=$?"));
  EXPECT_EQ(err, "cat-ended-0\nrc=0\n");
  // More than the socket buffers hold, counted on the other side once the input ended.
  for (const char* ship : {"tls", "ssh"}) {
    std::string big = Shell(absl::StrCat("head -c 3000000 /dev/zero | ", maestro, " exec ", C(ship),
                                         " -- wc -c; echo rc=$?"));
    EXPECT_EQ(big, "3000000\nrc=0\n") << ship;
  }
}

TEST_F(StreamsTest, StatusWatchJsonSeesADockerStopFromOutside) {
  std::string file = WriteEnvironment("s.yaml", kYaml);
  RunResult start = RunMaestro(file, {"start", C("unix"), C("tls")});
  ASSERT_EQ(start.exit_code, 0) << start.all();
  MaestroProcess watch(file, {"status", "--watch", "--format", "json", C("unix"), C("tls")});
  ASSERT_TRUE(watch.WaitForOutput("\"state\":\"running\"", absl::Seconds(30))) << watch.Stderr();
  absl::SleepFor(absl::Milliseconds(500));  // both ships' event streams are open
  ASSERT_TRUE(Docker().StopContainer(C("tls"), 1).ok());
  bool seen = false;
  for (int i = 0; i < 300 && !seen; ++i) {  // bounded: 30 s
    for (absl::string_view line : absl::StrSplit(watch.Stdout(), '\n')) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j["instance"] == C("tls") && j["state"] == "exited") {
        seen = true;
        EXPECT_EQ(j["ship"], "tls");
        EXPECT_TRUE(j["exit_code"].is_number()) << line;
      }
    }
    if (!seen) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(seen) << watch.Stdout();
  watch.Signal(SIGINT);
  RunResult r = watch.Wait(absl::Seconds(10));
  EXPECT_EQ(r.exit_code, 130) << r.all();
  // Every line is one JSON object.
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
  }
}

TEST_F(StreamsTest, EventsOfTheEnvironmentOnly) {
  std::string file = WriteEnvironment("s.yaml", kYaml);
  std::string since = absl::StrCat(absl::ToUnixSeconds(absl::Now()) - 1);
  RunResult start = RunMaestro(file, {"start", C("unix"), C("ssh")});
  ASSERT_EQ(start.exit_code, 0) << start.all();
  std::string until = absl::StrCat(absl::ToUnixSeconds(absl::Now()) + 1);
  absl::SleepFor(absl::Milliseconds(1500));  // `until` is in the past now
  RunResult events =
      RunMaestro(file, {"events", "--since", since, "--until", until, "--format", "json"});
  ASSERT_EQ(events.exit_code, 0) << events.all();
  std::vector<std::string> seen;
  for (absl::string_view line : absl::StrSplit(events.out, '\n', absl::SkipEmpty())) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    seen.push_back(absl::StrCat(j["instance"].get<std::string>(), "@", j["ship"].get<std::string>(),
                                " ", j["action"].get<std::string>()));
  }
  // Each container once, from its own ship only (all four ships see the same daemon).
  for (const char* ship : {"unix", "ssh"}) {
    EXPECT_EQ(std::count(seen.begin(), seen.end(), absl::StrCat(C(ship), "@", ship, " start")), 1)
        << events.out;
  }
  EXPECT_EQ(seen.size(), std::count_if(seen.begin(), seen.end(), [&](const std::string& s) {
              return absl::StartsWith(s, C("unix") + "@unix ") ||
                     absl::StartsWith(s, C("ssh") + "@ssh ");
            }));
}

}  // namespace
}  // namespace maestro::integration
