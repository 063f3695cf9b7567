#include "maestro/ui/table_sink.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "maestro/ui/json_sink.h"
#include "nlohmann/json.hpp"

namespace maestro::ui {
namespace {

// Captures what a sink writes to a FILE*.
class Capture {
 public:
  Capture() : file_(std::tmpfile()) {}
  ~Capture() { std::fclose(file_); }
  FILE* file() { return file_; }
  std::string Text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
    return out;
  }

 private:
  FILE* file_;
};

TEST(TableSink, HeaderAt120ColumnsMatchesMaestroNg) {
  Capture cap;
  TableSink sink(cap.file(), {.is_tty = false, .color = false, .columns = 120});
  EXPECT_EQ(sink.Header(),
            "  #  INSTANCE             SERVICE              SHIP                 CONTAINER     "
            "             STATUS    ");
}

TEST(TableSink, ColumnWidthsFollowTerminalWidth) {
  Capture cap;
  TableSink narrow(cap.file(), {.columns = 80});
  // 80 columns: no ship column at all.
  EXPECT_EQ(narrow.Header().find("SHIP"), std::string::npos);
  TableSink wide(cap.file(), {.columns = 200});
  EXPECT_NE(wide.Header().find("INSTANCE" + std::string(32, ' ') + " SERVICE"), std::string::npos);
}

TEST(TableSink, PlainModePrintsOneLinePerUpdateWithoutColours) {
  Capture cap;
  TableSink sink(cap.file(), {.is_tty = false, .color = false, .columns = 120});
  sink.Begin({{1, "zk-1", "zookeeper", "ship1"}});
  sink.Pending(0, "waiting...");
  sink.Container(0, "3.4.5:0000000", Tone::kGood);
  sink.Pending(0, "stopping service...");
  sink.State(0, "stopped", Tone::kGood);
  sink.End();
  std::string text = cap.Text();
  EXPECT_EQ(text.find('\033'), std::string::npos) << "no escape codes off a terminal";
  const std::string prefix = "  1. zk-1                 zookeeper            ship1               ";
  EXPECT_NE(text.find(prefix + " waiting...\n"), std::string::npos) << text;
  EXPECT_NE(text.find(prefix + " 3.4.5:0000000              stopping service...\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(prefix + " 3.4.5:0000000              stopped   \n"), std::string::npos)
      << text;
}

TEST(TableSink, ForcedColourKeepsColoursOffATerminal) {
  Capture cap;
  TableSink sink(cap.file(), {.is_tty = false, .color = true, .columns = 120});
  sink.Begin({{1, "zk-1", "zookeeper", "ship1"}});
  sink.State(0, "started", Tone::kGood);
  sink.End();
  EXPECT_NE(cap.Text().find("\033[32;1mstarted   \033[;0m\n"), std::string::npos) << cap.Text();
}

// Every semantic event kind and tone, with forced colours: the cell it fills, its padding and
// its colour.
TEST(TableSink, RendersEachEventKindAndTone) {
  Capture cap;
  TableSink sink(cap.file(), {.is_tty = false, .color = true, .columns = 120});
  sink.Begin({{1, "zk-1", "zookeeper", "ship1"}});
  sink.Pending(0, "checking service...");
  sink.Container(0, "3.4:abcdef0", Tone::kInfo);
  sink.State(0, "up for 5s", Tone::kInfo);
  sink.Note(0, "(configuration changed)", Tone::kInfo);
  sink.End();
  std::string text = cap.Text();
  const std::string prefix =
      "  1. \033[1mzk-1                \033[0m zookeeper            ship1               ";
  EXPECT_NE(text.find(prefix + " checking service...\n"), std::string::npos) << text;
  const std::string container = " \033[36;m3.4:abcdef0               \033[;0m";
  EXPECT_NE(text.find(prefix + container + "\n"), std::string::npos) << "a 26-wide cyan cell";
  const std::string state = " \033[36;mup for 5s \033[;0m";
  EXPECT_NE(text.find(prefix + container + state + "\n"), std::string::npos) << "10-wide";
  EXPECT_NE(text.find(prefix + container + state + " \033[36;m(configuration changed)\033[;0m\n"),
            std::string::npos)
      << "a note is not padded";

  Capture tones;
  TableSink toned(tones.file(), {.is_tty = false, .color = true, .columns = 120});
  toned.Begin({{1, "a", "s", "ship"}});
  toned.Container(0, "", Tone::kNeutral);
  toned.State(0, "started", Tone::kGood);
  toned.State(0, "failed", Tone::kBad);
  toned.End();
  std::string t = tones.Text();
  EXPECT_NE(t.find(std::string(26, ' ') + "\n"), std::string::npos) << "neutral: no colour";
  EXPECT_NE(t.find(" \033[32;1mstarted   \033[;0m"), std::string::npos) << t;
  EXPECT_NE(t.find(" \033[31;1mfailed    \033[;0m\n"), std::string::npos) << t;
}

TEST(TableSink, PlainModeDropsTheColoursOfEveryEvent) {
  Capture cap;
  TableSink sink(cap.file(), {.is_tty = false, .color = false, .columns = 120});
  sink.Begin({{1, "a", "s", "ship"}});
  sink.Container(0, "1:0123456", Tone::kGood);
  sink.State(0, "down", Tone::kInfo);
  sink.Note(0, "(note)", Tone::kBad);
  sink.End();
  std::string text = cap.Text();
  EXPECT_EQ(text.find('\033'), std::string::npos) << text;
  EXPECT_NE(text.find(" 1:0123456                  down       (note)\n"), std::string::npos)
      << text;
}

TEST(TableSink, TerminalModeRewritesRowsInPlace) {
  Capture cap;
  TableSink sink(cap.file(), {.is_tty = true, .color = true, .columns = 120, .lines = 50});
  unsetenv("NO_COLOR");
  sink.Begin({{1, "a", "s", "ship"}, {2, "b", "s", "ship"}});
  sink.State(1, "started", Tone::kGood);
  sink.End();
  std::string text = cap.Text();
  EXPECT_NE(text.find("\n\n\033[2A"), std::string::npos) << "reserves two rows";
  EXPECT_NE(text.find("\033[1B\r"), std::string::npos) << "moves down to row 1";
  EXPECT_NE(text.find("\033[32;1mstarted   \033[;0m\033[K\r\033[1A"), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 4), "\033[2B");
}

TEST(TableSink, TruncatesLongNames) {
  Capture cap;
  TableSink sink(cap.file(), {.columns = 120});
  sink.Begin({{12, std::string(30, 'x'), "svc", "ship"}});
  sink.Pending(0, "checking...");
  std::string text = cap.Text();
  EXPECT_NE(text.find(" 12. " + std::string(20, 'x') + " svc"), std::string::npos) << text;
}

TEST(TableSink, SemanticEventsBecomeCellsAndProblemsGoUnderTheTable) {
  Capture cap;
  TableSink sink(cap.file(), {.is_tty = false, .color = false, .columns = 120});
  sink.Begin({{1, "zk-1", "zookeeper", "ship1"}, {2, "zk-2", "zookeeper", "ship2"}});
  sink.Container(0, "3.4:abcdef0", Tone::kGood);
  sink.State(0, "running", Tone::kGood);
  sink.Container(1, "-", Tone::kNeutral);
  sink.State(1, "host down", Tone::kBad);
  sink.Problem(1,
               "ship2 (tcp://127.0.0.2:2375): GET /containers/json: connection refused\n"
               "second line");
  sink.End();
  std::string text = cap.Text();
  const std::string prefix2 = "  2. zk-2                 zookeeper            ship2               ";
  EXPECT_NE(text.find(prefix2 + " " + ContainerCell("-") + " " + StatusCell("host down") + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" 3.4:abcdef0                running   \n"), std::string::npos) << text;
  const std::string under =
      "  2. zk-2: ship2 (tcp://127.0.0.2:2375): GET /containers/json: connection refused ...\n";
  ASSERT_GE(text.size(), under.size());
  EXPECT_EQ(text.substr(text.size() - under.size()), under) << text;
  EXPECT_EQ(text.find("second line"), std::string::npos) << "one line per problem";
}

TEST(OneLine, FirstLineAndBoundedLength) {
  EXPECT_EQ(OneLine("short"), "short");
  EXPECT_EQ(OneLine("a\nb"), "a ...");
  EXPECT_EQ(OneLine("a\n\n"), "a");
  EXPECT_EQ(OneLine(std::string(300, 'x'), 10), "xxxxxxx...");
}

TEST(RenderFullStatus, RunningUnreachableAndAbsent) {
  FullStatus running;
  running.row = {1, "zk-1", "zookeeper", "ship1"};
  running.exists = running.running = true;
  running.container = "3.4:abcdef0";
  running.since = " for 5s";
  running.image = "zk:3.4";
  running.image_id = "sha256:1234567890";
  running.ports = {{"client", "2181", true}, {"admin", "8080", false}};
  EXPECT_EQ(RenderFullStatus(running, false),
            "  1. zk-1                 zookeeper            ship1                "
            "3.4:abcdef0                running for 5s\n"
            "      zk:3.4  (1234567)\n"
            "     >>          client:      2181 is up\n"
            "     >>           admin:      8080 is down\n");
  FullStatus down;
  down.row = {2, "zk-2", "zookeeper", "ship2"};
  down.reachable = false;
  down.problem = "ship2: connection refused";
  EXPECT_EQ(RenderFullStatus(down, false),
            "  2. zk-2                 zookeeper            ship2                "
            "-                          host down \n"
            "      ship2: connection refused\n");
  FullStatus absent;
  absent.row = {3, "zk-3", "zookeeper", "ship1"};
  absent.image = "zk:3.4";
  EXPECT_EQ(RenderFullStatus(absent, true),
            "  3. zk-3                 zookeeper            ship1                " +
                Colorize("down", Color::kRed) + "\n      zk:3.4\n");
}

TEST(TimeAgo, MatchesMaestroNgBuckets) {
  absl::Time now = absl::FromUnixSeconds(1'000'000);
  EXPECT_EQ(TimeAgo(now - absl::Seconds(12), now), " for 12s");
  EXPECT_EQ(TimeAgo(now - absl::Seconds(184), now), " for 3m4s");
  EXPECT_EQ(TimeAgo(now - absl::Seconds(2 * 3600 + 5 * 60 + 9), now), " for 2h5m");
  EXPECT_EQ(TimeAgo(now - absl::Seconds(86400 + 2 * 3600 + 3 * 60), now), " for 1d2h3m");
  EXPECT_EQ(TimeAgo(now + absl::Seconds(5), now), "");
  EXPECT_EQ(TimeAgo(absl::InfinitePast(), now), "");
}

TEST(JsonSink, OneResultPerContainer) {
  Capture cap;
  JsonSink sink(cap.file(), "start");
  sink.Begin({{1, "zk-1", "zookeeper", "ship1"}, {2, "kafka-1", "kafka", "ship2"}});
  sink.Pending(0, "ignored");
  sink.Result(0, {.state = "started",
                  .container_id = "abc",
                  .image = "zk:1",
                  .action = "created",
                  .seconds = 1.5});
  sink.Result(1, {.state = "skipped", .error = "dependency zk-1 failed"});
  sink.End();
  auto doc = nlohmann::json::parse(cap.Text());
  EXPECT_EQ(doc["command"], "start");
  ASSERT_EQ(doc["results"].size(), 2u);
  EXPECT_EQ(doc["results"][0]["instance"], "zk-1");
  EXPECT_EQ(doc["results"][0]["state"], "started");
  EXPECT_TRUE(doc["results"][0]["error"].is_null());
  EXPECT_EQ(doc["results"][1]["error"], "dependency zk-1 failed");
  EXPECT_EQ(doc["results"][1]["ship"], "ship2");
}

}  // namespace
}  // namespace maestro::ui
