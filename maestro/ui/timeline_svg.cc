#include "maestro/ui/timeline_svg.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace maestro::ui {

const char* PhaseColor(Phase phase) {
  switch (phase) {
    case Phase::kConnect:
      return "#9e9e9e";
    case Phase::kPull:
      return "#8e44ad";
    case Phase::kCreate:
      return "#2e86de";
    case Phase::kStart:
      return "#27ae60";
    case Phase::kChecks:
      return "#f39c12";
    case Phase::kStop:
      return "#7f5539";
  }
  return "#000000";
}

std::string XmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters are not allowed in XML 1.0 text.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\n') {
          out += '?';
        } else {
          out += ch;
        }
    }
  }
  return out;
}

namespace {

constexpr double kLabelWidth = 260;
constexpr double kChartWidth = 720;
constexpr double kMargin = 10;
constexpr double kLane = 18;
constexpr double kBar = 12;
constexpr char kCritical[] = "#d62728";

// A tick step giving at most about 10 ticks over `seconds`.
double TickStep(double seconds) {
  static const double kSteps[] = {0.01, 0.02, 0.05, 0.1,  0.2,   0.5,   1,    2,
                                  5,    10,   15,   30,   60,    120,   300,  600,
                                  1200, 1800, 3600, 7200, 14400, 28800, 86400};
  for (double s : kSteps) {
    if (seconds / s <= 10) return s;
  }
  return std::ceil(seconds / 10 / 86400) * 86400;
}

}  // namespace

std::string RenderTimelineSvg(const PlayTimings& t) {
  const double total = std::max(absl::ToDoubleSeconds(t.end - t.begin), 1e-3);
  const double scale = kChartWidth / total;
  auto x_of = [&](absl::Time when) {
    double s = std::clamp(absl::ToDoubleSeconds(when - t.begin), 0.0, total);
    return kMargin + kLabelWidth + s * scale;
  };
  std::vector<std::string> ships;
  for (const ContainerTiming& c : t.containers) {
    if (std::find(ships.begin(), ships.end(), c.ship) == ships.end()) ships.push_back(c.ship);
  }
  const double legend_y = 44;
  const double top = legend_y + 22;
  const double height =
      top + kLane * static_cast<double>(ships.size() + t.containers.size()) + 40 + kMargin;
  const double width = kMargin * 2 + kLabelWidth + kChartWidth + 20;

  std::string body;
  absl::StrAppend(&body,
                  absl::StrFormat(R"(<text x="%.0f" y="20" class="title">%s: %s, %zu container(s))"
                                  R"(</text>)"
                                  "\n",
                                  kMargin, XmlEscape(t.play), FormatSeconds(t.end - t.begin),
                                  t.containers.size()));
  // Legend.
  double lx = kMargin;
  for (Phase p : kAllPhases) {
    absl::StrAppend(
        &body, absl::StrFormat(R"(<g class="legend"><rect x="%.1f" y="%.1f" width="12" )"
                               R"(height="12" fill="%s"/><text x="%.1f" y="%.1f">%s</text>)"
                               R"(</g>)"
                               "\n",
                               lx, legend_y - 10, PhaseColor(p), lx + 16, legend_y, PhaseName(p)));
    lx += 90;
  }
  absl::StrAppend(
      &body, absl::StrFormat(R"(<g class="legend"><rect x="%.1f" y="%.1f" width="12" height="12" )"
                             R"(fill="none" stroke="%s" stroke-width="2"/>)"
                             R"(<text x="%.1f" y="%.1f">critical path</text></g>)"
                             "\n",
                             lx, legend_y - 10, kCritical, lx + 16, legend_y));

  double y = top;
  for (const std::string& ship : ships) {
    absl::StrAppend(&body, absl::StrFormat(R"(<text x="%.0f" y="%.1f" class="ship">ship %s</text>)"
                                           "\n",
                                           kMargin, y + kLane - 5, XmlEscape(ship)));
    y += kLane;
    for (const ContainerTiming& c : t.containers) {
      if (c.ship != ship) continue;
      const std::string name = XmlEscape(c.container);
      absl::StrAppend(&body, absl::StrFormat(R"(<g class="lane%s" data-container="%s">)"
                                             "\n",
                                             c.critical ? " critical-lane" : "", name));
      if (c.critical) {
        absl::StrAppend(&body, absl::StrFormat(R"(<circle class="critical-mark" cx="%.1f" )"
                                               R"(cy="%.1f" r="4" fill="%s"/>)"
                                               "\n",
                                               kMargin + 14, y + kLane / 2, kCritical));
      }
      absl::StrAppend(&body, absl::StrFormat(R"(<text x="%.0f" y="%.1f" class="name">%s</text>)"
                                             "\n",
                                             kMargin + 24, y + kLane - 5, name));
      for (const PhaseSpan& s : c.spans) {
        const double x0 = x_of(s.begin);
        const double w = std::max(x_of(s.end) - x0, 1.0);  // a zero-length phase stays visible
        absl::StrAppend(
            &body,
            absl::StrFormat(
                R"(<rect class="phase %s%s" x="%.2f" y="%.1f" width="%.2f" height="%.0f" )"
                R"(fill="%s"%s><title>%s: %s %.3f-%.3fs</title></rect>)"
                "\n",
                PhaseName(s.phase), c.critical ? " critical" : "", x0, y + (kLane - kBar) / 2, w,
                kBar, PhaseColor(s.phase),
                c.critical ? absl::StrCat(R"( stroke=")", kCritical, R"(" stroke-width="1.5")")
                           : "",
                name, PhaseName(s.phase), absl::ToDoubleSeconds(s.begin - t.begin),
                absl::ToDoubleSeconds(s.end - t.begin)));
      }
      absl::StrAppend(&body, "</g>\n");
      y += kLane;
    }
  }
  // Time axis.
  const double axis_y = y + 8;
  absl::StrAppend(&body, absl::StrFormat(R"(<g class="axis"><line x1="%.1f" y1="%.1f" )"
                                         R"(x2="%.1f" y2="%.1f" stroke="#333"/>)"
                                         "\n",
                                         kMargin + kLabelWidth, axis_y,
                                         kMargin + kLabelWidth + kChartWidth, axis_y));
  const double step = TickStep(total);
  for (int i = 0; i <= 1000 && step * i <= total + 1e-9; ++i) {
    const double x = kMargin + kLabelWidth + step * i * scale;
    absl::StrAppend(&body, absl::StrFormat(R"(<line class="tick" x1="%.1f" y1="%.1f" x2="%.1f" )"
                                           R"(y2="%.1f" stroke="#333"/><text x="%.1f" y="%.1f" )"
                                           R"(text-anchor="middle">%gs</text>)"
                                           "\n",
                                           x, axis_y, x, axis_y + 4, x, axis_y + 16, step * i));
  }
  absl::StrAppend(&body, "</g>\n");

  std::string out =
      absl::StrFormat(R"(<?xml version="1.0" encoding="UTF-8"?>)"
                      "\n"
                      R"(<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" )"
                      R"(viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="11">)"
                      "\n"
                      R"(<style>.title{font-size:14px;font-weight:bold}.ship{font-weight:bold})"
                      R"(.name{font-family:monospace}</style>)"
                      "\n"
                      R"(<rect width="100%%" height="100%%" fill="#ffffff"/>)"
                      "\n",
                      width, height, width, height);
  absl::StrAppend(&out, body, "</svg>\n");
  return out;
}

}  // namespace maestro::ui
