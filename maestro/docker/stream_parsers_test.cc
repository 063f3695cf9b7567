#include "maestro/docker/stream_parsers.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace maestro::docker {
namespace {

std::string Frame(int stream, const std::string& payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream);
  uint32_t n = payload.size();
  f[4] = n >> 24;
  f[5] = n >> 16;
  f[6] = n >> 8;
  f[7] = n;
  return f + payload;
}

TEST(MultiplexedStreamParserTest, DemuxesAcrossArbitrarySplits) {
  std::string input = Frame(1, "hello\n") + Frame(2, "warning\n") + Frame(1, "") + Frame(1, "bye");
  for (size_t step = 1; step <= input.size(); ++step) {
    std::string out, err;
    MultiplexedStreamParser p([&](StdStream s, absl::string_view d) {
      (s == StdStream::kStdout ? out : err).append(d.data(), d.size());
      return true;
    });
    for (size_t pos = 0; pos < input.size(); pos += step) {
      ASSERT_TRUE(p.Feed(absl::string_view(input).substr(pos, step)).ok());
    }
    EXPECT_TRUE(p.Finish().ok());
    EXPECT_EQ(out, "hello\nbye") << step;
    EXPECT_EQ(err, "warning\n") << step;
  }
}

TEST(MultiplexedStreamParserTest, RejectsCorruptHeaderAndTruncation) {
  MultiplexedStreamParser p([](StdStream, absl::string_view) { return true; });
  EXPECT_FALSE(p.Feed(std::string("\x09\0\0\0\0\0\0\x01z", 9)).ok());
  MultiplexedStreamParser q([](StdStream, absl::string_view) { return true; });
  ASSERT_TRUE(q.Feed(Frame(1, "abcdef").substr(0, 10)).ok());
  EXPECT_FALSE(q.Finish().ok());
}

TEST(MultiplexedStreamParserTest, StopsWhenCallbackSaysSo) {
  int calls = 0;
  MultiplexedStreamParser p([&](StdStream, absl::string_view) { return ++calls < 2; });
  ASSERT_TRUE(p.Feed(Frame(1, "a") + Frame(1, "b") + Frame(1, "c")).ok());
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(p.stopped());
}

TEST(LineSplitterTest, SplitsJsonLines) {
  std::vector<std::string> lines;
  LineSplitter s([&](absl::string_view l) {
    lines.emplace_back(l);
    return true;
  });
  s.Feed("{\"a\":1}\r\n{\"b\"");
  s.Feed(":2}\n\n{\"c\":3}");
  s.Finish();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "{\"a\":1}");
  EXPECT_EQ(lines[1], "{\"b\":2}");
  EXPECT_EQ(lines[2], "{\"c\":3}");
}

TEST(LineSplitterTest, OverlongLineStopsWithBoundedMemory) {
  std::vector<std::string> lines;
  LineSplitter s(
      [&](absl::string_view l) {
        lines.emplace_back(l);
        return true;
      },
      /*max_line=*/16);
  EXPECT_TRUE(s.Feed("short\n0123456789"));
  // An endless line without a newline: refused once it passes the limit, not buffered.
  EXPECT_FALSE(s.Feed("0123456789"));
  EXPECT_TRUE(s.too_long());
  EXPECT_FALSE(s.Feed("more\n"));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "short");
  // A line of exactly the limit is fine.
  LineSplitter ok([](absl::string_view) { return true; }, 4);
  EXPECT_TRUE(ok.Feed("abcd\nab"));
  EXPECT_TRUE(ok.Feed("cd\n"));
  EXPECT_FALSE(ok.too_long());
}

TEST(LineSplitterTest, SplitLongDeliversPiecesAndKeepEmptyKeepsBlankLines) {
  std::vector<std::string> lines;
  LineSplitter s(
      [&](absl::string_view l) {
        lines.emplace_back(l);
        return true;
      },
      /*max_line=*/4, LineSplitter::kSplitLong | LineSplitter::kKeepEmpty);
  EXPECT_TRUE(s.Feed("ab\n\n0123"));
  EXPECT_TRUE(s.Feed("456789"));  // never ends: delivered in pieces, memory stays bounded
  EXPECT_TRUE(s.Feed("x\r\n"));
  EXPECT_TRUE(s.Finish());
  EXPECT_FALSE(s.too_long());
  EXPECT_EQ(lines, (std::vector<std::string>{"ab", "", "0123", "4567", "89x"}));
}

}  // namespace
}  // namespace maestro::docker
