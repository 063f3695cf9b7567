#include "maestro/ui/timings.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace maestro::ui {

const char* PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kConnect:
      return "connect";
    case Phase::kPull:
      return "pull";
    case Phase::kCreate:
      return "create";
    case Phase::kStart:
      return "start";
    case Phase::kChecks:
      return "checks";
    case Phase::kStop:
      return "stop";
  }
  return "?";
}

absl::Duration PhaseTotal(const ContainerTiming& c, Phase phase) {
  absl::Duration total;
  for (const PhaseSpan& s : c.spans) {
    if (s.phase == phase && s.end > s.begin) total += s.end - s.begin;
  }
  return total;
}

std::string FormatSeconds(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return "0s";
  if (d < absl::Seconds(1)) return absl::StrCat(absl::ToInt64Milliseconds(d), "ms");
  return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(d));
}

namespace {

// First begin to last end of a container's spans (zero without spans).
absl::Duration Wall(const ContainerTiming& c) {
  if (c.spans.empty()) return absl::ZeroDuration();
  absl::Time begin = absl::InfiniteFuture();
  absl::Time end = absl::InfinitePast();
  for (const PhaseSpan& s : c.spans) {
    begin = std::min(begin, s.begin);
    end = std::max(end, s.end);
  }
  return end - begin;
}

// The phases any container went through, in their natural order.
std::vector<Phase> UsedPhases(const PlayTimings& t) {
  std::vector<Phase> out;
  for (Phase p : kAllPhases) {
    for (const ContainerTiming& c : t.containers) {
      if (std::any_of(c.spans.begin(), c.spans.end(),
                      [p](const PhaseSpan& s) { return s.phase == p; })) {
        out.push_back(p);
        break;
      }
    }
  }
  return out;
}

std::string CriticalNames(const PlayTimings& t) {
  std::vector<std::string> names;
  for (size_t i : t.critical_path) {
    if (i < t.containers.size()) names.push_back(t.containers[i].container);
  }
  return absl::StrJoin(names, " -> ");
}

std::vector<std::string> ShipsInOrder(const PlayTimings& t) {
  std::vector<std::string> ships;
  for (const ContainerTiming& c : t.containers) {
    if (std::find(ships.begin(), ships.end(), c.ship) == ships.end()) ships.push_back(c.ship);
  }
  return ships;
}

double Offset(const PlayTimings& t, absl::Time when) {
  return std::max(0.0, absl::ToDoubleSeconds(when - t.begin));
}

}  // namespace

std::string FormatTimingSummary(const PlayTimings& t) {
  if (t.empty()) return "";
  std::string out = absl::StrCat("timings: ", t.play, " took ", FormatSeconds(t.end - t.begin));
  if (!t.critical_path.empty()) {
    absl::StrAppend(&out, "; critical path: ", CriticalNames(t));
  }
  absl::StrAppend(&out, "\n");
  std::vector<std::string> totals;
  for (Phase p : UsedPhases(t)) {
    absl::Duration sum;
    for (const ContainerTiming& c : t.containers) sum += PhaseTotal(c, p);
    totals.push_back(absl::StrCat(PhaseName(p), " ", FormatSeconds(sum)));
  }
  if (!totals.empty()) {
    absl::StrAppend(&out, "  summed over ", t.containers.size(),
                    " container(s): ", absl::StrJoin(totals, ", "), " (--timings for details)\n");
  }
  return out;
}

std::string FormatTimingReport(const PlayTimings& t) {
  if (t.empty()) return "";
  const std::vector<Phase> phases = UsedPhases(t);
  size_t name_width = 24;
  for (const ContainerTiming& c : t.containers) {
    name_width = std::max(name_width, c.container.size() + 4);
    name_width = std::max(name_width, c.ship.size() + 6);
  }
  auto line = [&](const std::string& label, const std::vector<absl::Duration>& cells,
                  absl::Duration total) {
    std::string out = absl::StrFormat("%-*s", static_cast<int>(name_width), label);
    for (absl::Duration d : cells) absl::StrAppend(&out, absl::StrFormat("%9s", FormatSeconds(d)));
    absl::StrAppend(&out, absl::StrFormat("%9s", FormatSeconds(total)), "\n");
    return out;
  };
  std::string out = absl::StrCat("Timings of ", t.play, ": ", FormatSeconds(t.end - t.begin), " (",
                                 t.containers.size(), " container(s))\n");
  std::string header = absl::StrFormat("%-*s", static_cast<int>(name_width), "");
  for (Phase p : phases) absl::StrAppend(&header, absl::StrFormat("%9s", PhaseName(p)));
  absl::StrAppend(&out, header, absl::StrFormat("%9s", "wall"), "\n");
  for (const std::string& ship : ShipsInOrder(t)) {
    std::vector<absl::Duration> ship_cells(phases.size());
    absl::Time first = absl::InfiniteFuture();
    absl::Time last = absl::InfinitePast();
    std::string rows;
    for (const ContainerTiming& c : t.containers) {
      if (c.ship != ship) continue;
      std::vector<absl::Duration> cells;
      for (size_t i = 0; i < phases.size(); ++i) {
        cells.push_back(PhaseTotal(c, phases[i]));
        ship_cells[i] += cells.back();
      }
      for (const PhaseSpan& s : c.spans) {
        first = std::min(first, s.begin);
        last = std::max(last, s.end);
      }
      rows += line(absl::StrCat(c.critical ? "  * " : "    ", c.container), cells, Wall(c));
    }
    absl::StrAppend(&out,
                    line(absl::StrCat("ship ", ship.empty() ? "?" : ship), ship_cells,
                         last > first ? last - first : absl::ZeroDuration()),
                    rows);
  }
  if (!t.critical_path.empty()) {
    absl::StrAppend(&out, "critical path (* above), first to last:\n");
    for (size_t n = 0; n < t.critical_path.size(); ++n) {
      const size_t i = t.critical_path[n];
      if (i >= t.containers.size()) continue;
      const ContainerTiming& c = t.containers[i];
      std::vector<std::string> parts;
      for (const PhaseSpan& s : c.spans) {
        parts.push_back(absl::StrFormat("%s %.2f-%.2fs", PhaseName(s.phase), Offset(t, s.begin),
                                        Offset(t, s.end)));
      }
      absl::StrAppend(&out, n == 0 ? "  " : "  -> ", c.container, " (", c.ship,
                      "): ", absl::StrJoin(parts, ", "), "\n");
    }
  }
  return out;
}

nlohmann::ordered_json TimingsJson(const PlayTimings& t) {
  nlohmann::ordered_json doc;
  doc["play"] = t.play;
  doc["begin"] = absl::FormatTime(absl::RFC3339_full, t.begin, absl::UTCTimeZone());
  doc["seconds"] = absl::ToDoubleSeconds(t.end - t.begin);
  nlohmann::ordered_json phases = nlohmann::ordered_json::array();
  for (Phase p : kAllPhases) phases.push_back(PhaseName(p));
  doc["phases"] = std::move(phases);
  nlohmann::ordered_json ships = nlohmann::ordered_json::object();
  for (const std::string& ship : ShipsInOrder(t)) {
    nlohmann::ordered_json totals = nlohmann::ordered_json::object();
    for (Phase p : kAllPhases) {
      absl::Duration sum;
      for (const ContainerTiming& c : t.containers) {
        if (c.ship == ship) sum += PhaseTotal(c, p);
      }
      totals[PhaseName(p)] = absl::ToDoubleSeconds(sum);
    }
    ships[ship] = std::move(totals);
  }
  doc["ships"] = std::move(ships);
  nlohmann::ordered_json containers = nlohmann::ordered_json::array();
  for (const ContainerTiming& c : t.containers) {
    nlohmann::ordered_json item;
    item["container"] = c.container;
    item["ship"] = c.ship;
    item["critical"] = c.critical;
    nlohmann::ordered_json totals = nlohmann::ordered_json::object();
    for (Phase p : kAllPhases) totals[PhaseName(p)] = absl::ToDoubleSeconds(PhaseTotal(c, p));
    item["totals"] = std::move(totals);
    nlohmann::ordered_json spans = nlohmann::ordered_json::array();
    for (const PhaseSpan& s : c.spans) {
      spans.push_back({{"phase", PhaseName(s.phase)},
                       {"start", Offset(t, s.begin)},
                       {"end", Offset(t, s.end)}});
    }
    item["spans"] = std::move(spans);
    containers.push_back(std::move(item));
  }
  doc["containers"] = std::move(containers);
  nlohmann::ordered_json path = nlohmann::ordered_json::array();
  for (size_t i : t.critical_path) {
    if (i < t.containers.size()) path.push_back(t.containers[i].container);
  }
  doc["critical_path"] = std::move(path);
  return doc;
}

}  // namespace maestro::ui
