#include "maestro/lifecycle/subprocess.h"

#include <chrono>
#include <thread>

#include "absl/strings/match.h"
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

TEST(SubprocessTest, TimeoutAndCancelKillTheChild) {
  SubprocessOptions o;
  o.argv = {"sleep", "30"};
  o.timeout = absl::Milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<SubprocessResult> r = RunSubprocess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->signal, 15);

  std::atomic<bool> cancel{false};
  o.timeout = absl::InfiniteDuration();
  o.cancel = &cancel;
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel = true;
  });
  r = RunSubprocess(o);
  t.join();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->cancelled);
  EXPECT_EQ(r->Describe(), "cancelled");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5);
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
