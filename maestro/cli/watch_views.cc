#include "maestro/cli/watch_views.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace maestro::cli {
namespace {

std::string Clock(absl::Time now) {
  return absl::FormatTime("%H:%M:%S", now, absl::LocalTimeZone());
}

std::string DriftText(const plays::WatchRow& row) {
  if (!row.drift_known) return "?";
  return row.drift.empty() ? "none" : absl::StrJoin(row.drift, ",");
}

std::string StateText(const plays::WatchRow& row) {
  std::string s = row.state;
  if (!row.health.empty() && row.state == "running") absl::StrAppend(&s, " (", row.health, ")");
  return s;
}

bool Running(const plays::WatchRow& row) {
  return row.state == "running" && row.started_at != absl::InfinitePast();
}

}  // namespace

std::string RenderWatchLine(const plays::WatchRow& row, absl::Time now) {
  std::string line =
      absl::StrCat(Clock(now), " ", row.instance, "@", row.ship, " ", StateText(row));
  if (row.exit_code) absl::StrAppend(&line, " exit=", *row.exit_code);
  if (row.restarts) absl::StrAppend(&line, " restarts=", *row.restarts);
  if (Running(row)) {
    absl::StrAppend(&line, " since=",
                    absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", row.started_at, absl::UTCTimeZone()));
  }
  if (row.state != "absent" && row.state != "ship down" && row.state != "checking") {
    absl::StrAppend(&line, " drift=", DriftText(row));
  }
  if (!row.problem.empty()) absl::StrAppend(&line, ": ", ui::OneLine(row.problem));
  return line;
}

std::string RenderWatchJson(const plays::WatchRow& row, absl::Time now) {
  using nlohmann::json;
  json j = {
      {"time", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone())},
      {"instance", row.instance},
      {"service", row.service},
      {"ship", row.ship},
      {"state", row.state},
      {"health", row.health.empty() ? json(nullptr) : json(row.health)},
      {"restarts", row.restarts ? json(*row.restarts) : json(nullptr)},
      {"exit_code", row.exit_code ? json(*row.exit_code) : json(nullptr)},
      {"started_at", Running(row) ? json(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", row.started_at,
                                                          absl::UTCTimeZone()))
                                  : json(nullptr)},
      {"container_id", row.container_id.empty() ? json(nullptr) : json(row.container_id)},
      {"drift", row.drift_known ? json(row.drift) : json(nullptr)},
      {"problem", row.problem.empty() ? json(nullptr) : json(row.problem)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void PlainWatchView::Changed(const std::vector<plays::WatchRow>& rows,
                             const std::vector<size_t>& changed, absl::Time now) {
  for (size_t i : changed) {
    std::string line = json_ ? RenderWatchJson(rows[i], now) : RenderWatchLine(rows[i], now);
    line.push_back('\n');
    if (std::fwrite(line.data(), 1, line.size(), out_) != line.size()) write_failed_ = true;
  }
  if (std::fflush(out_) != 0) write_failed_ = true;
}

std::string TableWatchView::RenderRow(const plays::WatchRow& row, absl::Time now) const {
  std::string uptime = Running(row) ? plays::ShortDuration(now - row.started_at) : "";
  std::string exit = row.exit_code ? absl::StrCat(*row.exit_code) : "";
  std::string restarts = row.restarts ? absl::StrCat(*row.restarts) : "-";
  std::string text =
      absl::StrCat(ui::PadTruncate(row.instance, instance_width_), " ",
                   ui::PadTruncate(row.ship, ship_width_), " ", ui::PadTruncate(StateText(row), 22),
                   " ", ui::Pad(uptime, 7), " ", ui::Pad(exit, 5), " ", ui::Pad(restarts, 9), " ",
                   row.state == "absent" || row.state == "checking" || row.state == "ship down"
                       ? ""
                       : DriftText(row));
  if (!row.problem.empty()) absl::StrAppend(&text, " ", ui::OneLine(row.problem));
  if (terminal_.columns > 1 && text.size() >= static_cast<size_t>(terminal_.columns)) {
    text.resize(terminal_.columns - 1);  // never wrap: the cursor arithmetic counts lines
  }
  if (!terminal_.color) return text;
  ui::Color color = row.state == "running"    ? ui::Color::kGreen
                    : row.state == "checking" ? ui::Color::kNone
                    : row.state == "absent"   ? ui::Color::kCyan
                                              : ui::Color::kRed;
  return color == ui::Color::kNone ? text : ui::Colorize(text, color);
}

void TableWatchView::Begin(const std::vector<plays::WatchRow>& rows, absl::Time now) {
  for (const plays::WatchRow& r : rows) {
    instance_width_ = std::max(instance_width_, std::min<size_t>(40, r.instance.size()));
    ship_width_ = std::max(ship_width_, std::min<size_t>(30, r.ship.size()));
  }
  std::string header = absl::StrCat(ui::PadTruncate("INSTANCE", instance_width_), " ",
                                    ui::PadTruncate("SHIP", ship_width_), " ",
                                    ui::PadTruncate("STATE", 22), " ", ui::Pad("UPTIME", 7), " ",
                                    ui::Pad("EXIT", 5), " ", ui::Pad("RESTARTS", 9), " DRIFT");
  std::fprintf(out_, "%s\n", header.c_str());
  shown_.clear();
  for (const plays::WatchRow& r : rows) {
    shown_.push_back(RenderRow(r, now));
    std::fprintf(out_, "%s\n", shown_.back().c_str());
  }
  std::fflush(out_);
}

void TableWatchView::Redraw(size_t i, const std::string& text) {
  if (i >= shown_.size() || shown_[i] == text) return;
  shown_[i] = text;
  size_t up = shown_.size() - i;
  // Up to the row, rewrite it, back down below the table.
  std::fprintf(out_, "\033[%zuA\r\033[2K%s\033[%zuB\r", up, text.c_str(), up);
}

void TableWatchView::Changed(const std::vector<plays::WatchRow>& rows,
                             const std::vector<size_t>& changed, absl::Time now) {
  for (size_t i : changed) Redraw(i, RenderRow(rows[i], now));
  std::fflush(out_);
}

void TableWatchView::Tick(const std::vector<plays::WatchRow>& rows, absl::Time now) {
  for (size_t i = 0; i < rows.size(); ++i) Redraw(i, RenderRow(rows[i], now));
  std::fflush(out_);
}

void TableWatchView::End() { std::fflush(out_); }

}  // namespace maestro::cli
