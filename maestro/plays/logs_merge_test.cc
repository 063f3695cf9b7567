// The daemon-free pieces of `maestro logs`: time arguments, timestamp prefixes, seam
// deduplication, the reorder-window merger (on explicit times) and the formatter.
#include "maestro/plays/logs_merge.h"

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace maestro::plays {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'764'817'200);  // 2025-12-04T03:00:00Z

TEST(SplitTimestamp, ReadsDockersPrefixAndRefusesOtherLines) {
  absl::Time t;
  absl::string_view text;
  ASSERT_TRUE(SplitTimestamp("2025-12-04T03:00:00.000000001Z hello world", &t, &text));
  EXPECT_EQ(t, kNow + absl::Nanoseconds(1));
  EXPECT_EQ(text, "hello world");
  ASSERT_TRUE(SplitTimestamp("2025-12-04T03:00:00.5Z ", &t, &text));  // variable fraction
  EXPECT_EQ(t, kNow + absl::Milliseconds(500));
  EXPECT_EQ(text, "");
  EXPECT_FALSE(SplitTimestamp("hello world", &t, &text));
  EXPECT_FALSE(SplitTimestamp("2025-12-04T03:00:00.00000000xZ hi", &t, &text));
  EXPECT_EQ(FormatLogTime(kNow + absl::Nanoseconds(1)), "2025-12-04T03:00:00.000000001Z");
}

TEST(SeamDeduper, ResumedStreamSkipsTheSeamOnceAndKeepsNewLines) {
  using S = docker::StdStream;
  SeamDeduper seam;
  const absl::Time t1 = kNow, t2 = kNow + absl::Seconds(1);
  EXPECT_TRUE(seam.Accept(t1, S::kStdout, "a"));
  EXPECT_TRUE(seam.Accept(t2, S::kStdout, "b"));
  EXPECT_TRUE(seam.Accept(t2, S::kStdout, "b"));  // the same line twice is two lines
  EXPECT_TRUE(seam.Accept(t2, S::kStderr, "c"));
  EXPECT_EQ(seam.last_time(), t2);
  // The connection dropped; the stream resumes from since=t2 and repeats t2's lines, then a
  // line logged at t2 that was never seen, then newer ones.
  seam.Resume();
  EXPECT_FALSE(seam.Accept(t1, S::kStdout, "a")) << "older than the seam";
  EXPECT_FALSE(seam.Accept(t2, S::kStdout, "b"));
  EXPECT_FALSE(seam.Accept(t2, S::kStdout, "b"));
  EXPECT_FALSE(seam.Accept(t2, S::kStderr, "c"));
  EXPECT_TRUE(seam.Accept(t2, S::kStdout, "d")) << "same time, never seen";
  EXPECT_TRUE(seam.Accept(t2 + absl::Seconds(1), S::kStdout, "b"));
  // Outside a resume nothing is dropped, even a line older than the last one.
  EXPECT_TRUE(seam.Accept(t1, S::kStdout, "late"));
  seam.Reset();
  EXPECT_TRUE(seam.empty());
  seam.Resume();
  EXPECT_TRUE(seam.Accept(t1, S::kStdout, "a"));
}

TEST(LineFilter, SearchesEachLineAndRejectsBadPatterns) {
  absl::StatusOr<LineFilter> f = LineFilter::Compile("err(or)?\\b");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Matches("an error here"));
  EXPECT_FALSE(f->Matches("errant"));
  EXPECT_TRUE(LineFilter::Compile("")->Matches("anything"));
  absl::StatusOr<LineFilter> bad = LineFilter::Compile("(unclosed");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("--grep"));
  // A huge line is searched only in its beginning, without blowing the stack.
  std::string huge(1 << 20, 'x');
  EXPECT_FALSE(f->Matches(huge));
}

LogLine Line(size_t source, absl::Time t, const std::string& text) {
  return LogLine{source, docker::StdStream::kStdout, t, text};
}

std::vector<std::string> DrainAt(LogMerger& m, absl::Time now) {
  std::vector<std::string> out;
  LogLine l;
  absl::Time wake;
  while (m.Pop(now, &l, &wake) == LogMerger::Next::kLine) out.push_back(l.text);
  return out;
}

TEST(LogMerger, ReleasesInTimestampOrderWhenEverySourceHasALine) {
  LogMerger m(3, absl::Seconds(1), 1 << 20);
  const absl::Time t = kNow;
  ASSERT_TRUE(m.Push(Line(0, t + absl::Seconds(3), "a3"), t, nullptr));
  ASSERT_TRUE(m.Push(Line(0, t + absl::Seconds(5), "a5"), t, nullptr));
  ASSERT_TRUE(m.Push(Line(1, t + absl::Seconds(1), "b1"), t, nullptr));
  // Source 2 has nothing yet and has not finished: within the window nothing moves.
  LogLine l;
  absl::Time wake;
  EXPECT_EQ(m.Pop(t, &l, &wake), LogMerger::Next::kWait);
  EXPECT_EQ(wake, t + absl::Seconds(1));
  ASSERT_TRUE(m.Push(Line(2, t + absl::Seconds(2), "c2"), t, nullptr));
  EXPECT_EQ(DrainAt(m, t), (std::vector<std::string>{"b1"}))
      << "then source 1 is empty again and might still log something older than c2";
  m.Finish(1);
  EXPECT_EQ(DrainAt(m, t), (std::vector<std::string>{"c2"}));
  m.Finish(2);
  EXPECT_EQ(DrainAt(m, t), (std::vector<std::string>{"a3", "a5"}))
      << "the only source left holds nobody back";
}

TEST(LogMerger, AQuietSourceHoldsOthersBackOnlyForTheWindow) {
  LogMerger m(2, absl::Milliseconds(200), 1 << 20);
  const absl::Time t = kNow;
  ASSERT_TRUE(m.Push(Line(0, t, "a"), t, nullptr));
  EXPECT_TRUE(DrainAt(m, t + absl::Milliseconds(199)).empty());
  EXPECT_EQ(DrainAt(m, t + absl::Milliseconds(200)), (std::vector<std::string>{"a"}));
  // A line that arrives later than the window, older than what was shown: shown at once.
  ASSERT_TRUE(m.Push(Line(1, t - absl::Seconds(1), "late"), t + absl::Seconds(1), nullptr));
  m.Finish(0);
  EXPECT_EQ(DrainAt(m, t + absl::Seconds(1)), (std::vector<std::string>{"late"}));
  m.Finish(1);
  LogLine l;
  absl::Time wake;
  EXPECT_EQ(m.Pop(t, &l, &wake), LogMerger::Next::kDone);
}

TEST(LogMerger, AFullQueueBlocksItsReaderUntilTheConsumerTakesALine) {
  LogMerger m(1, absl::ZeroDuration(), 10);
  ASSERT_TRUE(m.Push(Line(0, kNow, "0123456789"), kNow, nullptr));
  EXPECT_EQ(m.queued_bytes(), 10u);
  std::atomic<bool> pushed{false};
  std::thread reader([&] {
    EXPECT_TRUE(m.Push(Line(0, kNow, "next"), kNow, nullptr));
    pushed = true;
  });
  // The reader is blocked (backpressure): memory stays at the bound.
  m.WaitForChange(absl::Milliseconds(100));
  EXPECT_FALSE(pushed.load());
  EXPECT_EQ(m.queued_bytes(), 10u);
  EXPECT_EQ(DrainAt(m, kNow).front(), "0123456789");
  reader.join();
  EXPECT_TRUE(pushed.load());
  DrainAt(m, kNow);  // "next", if the first drain did not take it
  EXPECT_EQ(m.queued_bytes(), 0u);
  // Close wakes a blocked reader, which gives up; so does its cancel flag.
  ASSERT_TRUE(m.Push(Line(0, kNow, "0123456789"), kNow, nullptr));
  std::atomic<bool> cancel{true};
  EXPECT_FALSE(m.Push(Line(0, kNow, "x"), kNow, &cancel));
  std::thread blocked([&] { EXPECT_FALSE(m.Push(Line(0, kNow, "y"), kNow, nullptr)); });
  m.Close();
  blocked.join();
}

TEST(LogFormatter, PrefixesPaddedColouredTimestampedAndJson) {
  std::vector<LogSourceName> names = {{"zk-1", "ship1"}, {"web-10", "ship2"}};
  LogLine l{0, docker::StdStream::kStdout, kNow + absl::Nanoseconds(5), "hello"};
  EXPECT_EQ(LogFormatter(names, {}).Format(l), "zk-1@ship1   | hello\n");
  l.source = 1;
  EXPECT_EQ(LogFormatter(names, {}).Format(l), "web-10@ship2 | hello\n");
  EXPECT_EQ(LogFormatter(names, {.prefix = false, .timestamps = true}).Format(l),
            "2025-12-04T03:00:00.000000005Z hello\n");
  EXPECT_EQ(LogFormatter(names, {.color = true}).Format(l),
            "\033[33mweb-10@ship2 |\033[0m hello\n");
  l.stream = docker::StdStream::kStderr;
  l.text = "bad \xff byte \"quoted\"";
  EXPECT_EQ(LogFormatter(names, {.format = LogFormat::kJson}).Format(l),
            "{\"time\":\"2025-12-04T03:00:00.000000005Z\",\"instance\":\"web-10\",\"ship\":"
            "\"ship2\",\"stream\":\"stderr\",\"line\":\"bad \xef\xbf\xbd byte \\\"quoted\\\"\"}\n");
}

}  // namespace
}  // namespace maestro::plays
