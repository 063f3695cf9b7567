#include "maestro/cli/watch_views.h"

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace maestro::cli {
namespace {

using ::testing::HasSubstr;

std::string ReadAll(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::vector<plays::WatchRow> Rows() {
  std::vector<plays::WatchRow> rows(3);
  for (int i = 0; i < 3; ++i) {
    rows[i].instance = "web-" + std::to_string(i + 1);
    rows[i].service = "web";
    rows[i].ship = "ship1";
  }
  return rows;
}

TEST(WatchViewsTest, JsonOneObjectPerChangedRow) {
  FILE* f = std::tmpfile();
  PlainWatchView view(f, /*json=*/true);
  std::vector<plays::WatchRow> rows = Rows();
  view.Begin(rows, kNow);
  rows[1].state = "exited";
  rows[1].exit_code = 137;
  rows[1].restarts = 2;
  rows[1].drift_known = true;
  rows[1].drift = {"image"};
  view.Changed(rows, {1}, kNow);
  std::string out = ReadAll(f);
  std::fclose(f);
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
  nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["instance"], "web-2");
  EXPECT_EQ(j["state"], "exited");
  EXPECT_EQ(j["exit_code"], 137);
  EXPECT_EQ(j["restarts"], 2);
  EXPECT_EQ(j["drift"], nlohmann::json::array({"image"}));
  EXPECT_TRUE(j["started_at"].is_null());
  EXPECT_TRUE(j["health"].is_null());
}

TEST(WatchViewsTest, PlainLineNamesTheChange) {
  plays::WatchRow row = Rows()[0];
  row.state = "running";
  row.health = "healthy";
  row.restarts = 0;
  row.started_at = kNow - absl::Minutes(5);
  row.drift_known = true;
  EXPECT_THAT(RenderWatchLine(row, kNow),
              HasSubstr("web-1@ship1 running (healthy) restarts=0 since=2027-01-15T07:55:00Z "
                        "drift=none"));
  row.state = "ship down";
  row.problem = "connection refused";
  EXPECT_THAT(RenderWatchLine(row, kNow), HasSubstr("web-1@ship1 ship down restarts=0: "
                                                    "connection refused"));
}

// Only the rows whose text changed are rewritten, each by moving up to it and back.
TEST(WatchViewsTest, TableRedrawsOnlyChangedRows) {
  FILE* f = std::tmpfile();
  TableWatchView view(f, {.is_tty = true, .color = false, .columns = 200});
  std::vector<plays::WatchRow> rows = Rows();
  view.Begin(rows, kNow);
  std::string begun = ReadAll(f);
  EXPECT_EQ(std::count(begun.begin(), begun.end(), '\n'), 4);  // header + 3 rows
  rows[0].state = "running";
  rows[0].started_at = kNow - absl::Seconds(10);
  view.Changed(rows, {0}, kNow);
  std::string after = ReadAll(f).substr(begun.size());
  EXPECT_EQ(after.find("\033[3A\r\033[2K"), 0u) << after;  // row 0 is 3 lines up
  EXPECT_THAT(after, HasSubstr("running"));
  EXPECT_THAT(after, HasSubstr("10s"));
  EXPECT_EQ(after.find("web-2"), std::string::npos);
  // A tick a second later: only the running row's uptime moved.
  size_t before_tick = begun.size() + after.size();
  view.Tick(rows, kNow + absl::Seconds(1));
  std::string tick = ReadAll(f).substr(before_tick);
  EXPECT_THAT(tick, HasSubstr("11s"));
  EXPECT_EQ(std::count(tick.begin(), tick.end(), '\r'), 2);  // one row rewritten
  // Nothing changed: nothing written.
  size_t before_same = before_tick + tick.size();
  view.Changed(rows, {0, 1, 2}, kNow + absl::Seconds(1));
  EXPECT_EQ(ReadAll(f).size(), before_same);
  std::fclose(f);
}

}  // namespace
}  // namespace maestro::cli
