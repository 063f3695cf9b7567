#include "maestro/lifecycle/subprocess.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gtest/gtest.h"

namespace maestro::lifecycle {
namespace {

TEST(SubprocessTest, ExitStatusOutputTailAndEnv) {
  SubprocessOptions o;
  o.argv = {"sh", "-c", "for i in 1 2 3 4 5 6; do echo line$i; done; echo \"v=$V\" >&2; exit 4"};
  o.env = std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"}, {"V", "42"}};
  o.tail_lines = 3;
  std::string all;
  o.output = [&](absl::string_view d) { all.append(d.data(), d.size()); };
  absl::StatusOr<SubprocessResult> r = RunSubprocess(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_EQ(r->Describe(), "exited with status 4");
  EXPECT_EQ(r->tail, "line5\nline6\nv=42");
  EXPECT_TRUE(absl::StartsWith(all, "line1\n"));
}

TEST(SubprocessTest, StdinIsDeliveredAndIgnoringItIsFine) {
  SubprocessOptions o;
  o.argv = {"sh", "-c", "read x; echo got:$x"};
  o.stdin_data = "hello\n";
  absl::StatusOr<SubprocessResult> r = RunSubprocess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tail, "got:hello");

  o.argv = {"true"};
  o.stdin_data = std::string(1 << 20, 'x');  // more than a pipe holds; the child never reads
  r = RunSubprocess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok());
}

// Whether process `pid` has ended (gone, or a zombie waiting for its new parent to reap it).
bool Ended(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z' ||
         line[paren + 2] == 'X';
}

TEST(SubprocessTest, TimeoutKillsTheChild) {
  SubprocessOptions o;
  o.argv = {"sleep", "30"};
  o.timeout = absl::Milliseconds(200);
  absl::StatusOr<SubprocessResult> r = RunSubprocess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->signal, 15);
  EXPECT_EQ(r->Describe(), "timed out after 200ms");
}

TEST(SubprocessTest, CancelKillsTheWholeProcessGroupAndReapsTheChild) {
  // The shell starts a grandchild that ignores nothing and outlives a SIGTERM to the shell
  // alone (it holds the output pipe); cancellation must end both.
  SubprocessOptions o;
  o.argv = {"sh", "-c", "sleep 300 & echo $!; wait"};
  std::atomic<bool> cancel{false};
  o.cancel = &cancel;
  std::string out;
  o.output = [&](absl::string_view d) {
    out.append(d.data(), d.size());
    if (out.find('\n') != std::string::npos) cancel = true;  // the grandchild is running
  };
  absl::StatusOr<SubprocessResult> r = RunSubprocess(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->cancelled);
  EXPECT_EQ(r->Describe(), "cancelled");
  pid_t grandchild = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(out), &grandchild)) << out;
  // SIGKILL was sent to the group before RunSubprocess returned; its delivery is
  // asynchronous, so look a bounded number of times.
  bool ended = Ended(grandchild);
  for (int i = 0; i < 1000 && !ended; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ended = Ended(grandchild);
  }
  EXPECT_TRUE(ended) << "grandchild " << grandchild << " survived the cancellation";
  if (!ended) kill(grandchild, SIGKILL);
}

TEST(SubprocessTest, CancelIgnoringSigtermStillEnds) {
  SubprocessOptions o;
  o.argv = {"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"};
  std::atomic<bool> cancel{false};
  o.cancel = &cancel;
  o.output = [&](absl::string_view) { cancel = true; };
  absl::StatusOr<SubprocessResult> r = RunSubprocess(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->cancelled);
  EXPECT_EQ(r->signal, 9);
}

TEST(SubprocessTest, ErrorOutputKeepsStderrApart) {
  SubprocessOptions o;
  o.argv = {"sh", "-c", "echo out1; echo err1 >&2; echo out2; echo err2 >&2"};
  std::string out, err;
  o.output = [&](absl::string_view d) { out.append(d.data(), d.size()); };
  o.error_output = [&](absl::string_view d) { err.append(d.data(), d.size()); };
  absl::StatusOr<SubprocessResult> r = RunSubprocess(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(out, "out1\nout2\n");
  EXPECT_EQ(err, "err1\nerr2\n");
}

TEST(SubprocessTest, SendSignalReachesTheChild) {
  SubprocessOptions o;
  // Exits 3 on SIGUSR1; the signal is requested once the trap is set (its "ready" line).
  o.argv = {"sh", "-c", "trap 'exit 3' USR1; echo ready; while :; do sleep 0.05; done"};
  std::atomic<int> signal{0};
  o.send_signal = &signal;
  o.output = [&](absl::string_view d) {
    if (absl::StrContains(d, "ready")) signal = SIGUSR1;
  };
  o.timeout = absl::Seconds(30);  // guard only
  absl::StatusOr<SubprocessResult> r = RunSubprocess(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(signal.load(), 0) << "the request is consumed";
}

TEST(SubprocessTest, MissingProgramIsAnError) {
  SubprocessOptions o;
  o.argv = {"/nonexistent/prog"};
  absl::StatusOr<SubprocessResult> r = RunSubprocess(o);
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
  o.argv.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(RunSubprocess(o).status()));
}

}  // namespace
}  // namespace maestro::lifecycle
