// PlayTimings renderers: the summary, the full report, the JSON object (also through
// JsonSink) and the --timeline SVG, whose structure is parsed (balanced elements, lanes,
// colours, critical-path marks, escaping).
#include "maestro/ui/timings.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "maestro/ui/json_sink.h"
#include "maestro/ui/timeline_svg.h"
#include "nlohmann/json.hpp"

namespace maestro::ui {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

absl::Time At(double seconds) { return kT0 + absl::Milliseconds(seconds * 1000); }

// zk-1 (ship1) -> kafka-1 (ship1) is the critical path; web <&"1> on ship2 ran alongside.
PlayTimings Sample() {
  PlayTimings t;
  t.play = "start";
  t.begin = kT0;
  t.end = At(9);
  ContainerTiming zk{"zk-1", "ship1", {}, true};
  zk.spans = {{Phase::kConnect, At(0), At(0.5)},
              {Phase::kCreate, At(0.5), At(1.5)},
              {Phase::kStart, At(1.5), At(2.5)},
              {Phase::kChecks, At(2.5), At(4)}};
  ContainerTiming kafka{"kafka-1", "ship1", {}, true};
  kafka.spans = {{Phase::kConnect, At(0), At(0.25)},
                 {Phase::kPull, At(0.25), At(1.25)},
                 {Phase::kCreate, At(1.25), At(2)},
                 {Phase::kStart, At(4), At(9)}};
  ContainerTiming web{"web <&\"1>", "ship2", {}, false};
  web.spans = {{Phase::kConnect, At(0), At(1)},
               {Phase::kCreate, At(1), At(2)},
               {Phase::kStart, At(2), At(3)}};
  t.containers = {zk, web, kafka};
  t.critical_path = {0, 2};
  return t;
}

TEST(Timings, PhaseTotalsSumTheSpansOfOnePhase) {
  ContainerTiming c{"a", "s", {}, false};
  c.spans = {{Phase::kChecks, At(0), At(1)},
             {Phase::kChecks, At(3), At(3.5)},
             {Phase::kStart, At(1), At(3)}};
  EXPECT_EQ(PhaseTotal(c, Phase::kChecks), absl::Milliseconds(1500));
  EXPECT_EQ(PhaseTotal(c, Phase::kStart), absl::Seconds(2));
  EXPECT_EQ(PhaseTotal(c, Phase::kStop), absl::ZeroDuration());
}

TEST(Timings, SummaryIsShortAndNamesTheCriticalPath) {
  std::string s = FormatTimingSummary(Sample());
  EXPECT_EQ(s,
            "timings: start took 9.0s; critical path: zk-1 -> kafka-1\n"
            "  summed over 3 container(s): connect 1.8s, pull 1.0s, create 2.8s, start 7.0s, "
            "checks 1.5s (--timings for details)\n");
  EXPECT_EQ(FormatTimingSummary(PlayTimings{}), "");
}

TEST(Timings, ReportHasShipAndContainerTotalsAndTheCriticalPath) {
  std::string r = FormatTimingReport(Sample());
  // Ship lines sum their containers; container lines carry per-phase totals and the wall time.
  EXPECT_NE(
      r.find("\nship ship1                  750ms     1.0s     1.8s     6.0s     1.5s     9.0s\n"),
      std::string::npos)
      << r;
  EXPECT_NE(
      r.find("\n  * zk-1                    500ms       0s     1.0s     1.0s     1.5s     4.0s\n"),
      std::string::npos)
      << r;
  EXPECT_NE(r.find("    web <&\"1>"), std::string::npos) << r;
  EXPECT_NE(r.find("  -> kafka-1 (ship1): connect 0.00-0.25s, pull 0.25-1.25s"), std::string::npos)
      << r;
  // ship1 before ship2, in row order.
  EXPECT_LT(r.find("ship ship1"), r.find("ship ship2"));
}

TEST(Timings, JsonHasTotalsSpansAndPath) {
  nlohmann::ordered_json j = TimingsJson(Sample());
  EXPECT_EQ(j["play"], "start");
  EXPECT_DOUBLE_EQ(j["seconds"].get<double>(), 9.0);
  EXPECT_DOUBLE_EQ(j["ships"]["ship1"]["start"].get<double>(), 6.0);
  EXPECT_DOUBLE_EQ(j["ships"]["ship2"]["connect"].get<double>(), 1.0);
  ASSERT_EQ(j["containers"].size(), 3u);
  EXPECT_EQ(j["containers"][2]["container"], "kafka-1");
  EXPECT_TRUE(j["containers"][2]["critical"].get<bool>());
  EXPECT_FALSE(j["containers"][1]["critical"].get<bool>());
  EXPECT_DOUBLE_EQ(j["containers"][2]["spans"][3]["start"].get<double>(), 4.0);
  EXPECT_EQ(j["critical_path"], nlohmann::ordered_json::array({"zk-1", "kafka-1"}));
}

TEST(Timings, JsonSinkIncludesTimingsOnlyWhenGiven) {
  FILE* out = std::tmpfile();
  JsonSink sink(out, "start");
  sink.Begin({{1, "zk-1", "zookeeper", "ship1"}});
  RowResult r;
  r.state = "started";
  sink.Result(0, r);
  EXPECT_FALSE(nlohmann::json::parse(sink.Document()).contains("timings"));
  sink.Timings(Sample());
  nlohmann::json doc = nlohmann::json::parse(sink.Document());
  ASSERT_TRUE(doc.contains("timings"));
  EXPECT_EQ(doc["timings"]["critical_path"][1], "kafka-1");
  EXPECT_EQ(doc["results"][0]["state"], "started");
  std::fclose(out);
}

// A minimal XML reader for the chart: every element balanced, attributes well quoted, no
// stray '<' or '&' in text. Returns the element names in document order ("" on error, with
// `error` set).
struct Element {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::string text;  // direct text content (entities left as written)
};

bool ParseXml(const std::string& doc, std::vector<Element>* out, std::string* error) {
  std::vector<size_t> open;
  size_t i = 0;
  if (doc.rfind("<?xml", 0) == 0) i = doc.find("?>") + 2;
  while (i < doc.size()) {
    if (doc[i] != '<') {
      size_t next = doc.find('<', i);
      std::string text = doc.substr(i, next - i);
      for (size_t a = text.find('&'); a != std::string::npos; a = text.find('&', a + 1)) {
        size_t semi = text.find(';', a);
        std::string entity = semi == std::string::npos ? "" : text.substr(a, semi - a + 1);
        if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
            entity != "&apos;") {
          *error = "bad entity in text: " + text;
          return false;
        }
      }
      if (text.find('>') != std::string::npos) {
        *error = "raw > in text: " + text;
        return false;
      }
      if (!open.empty()) (*out)[open.back()].text += text;
      if (next == std::string::npos) break;
      i = next;
      continue;
    }
    size_t end = doc.find('>', i);
    if (end == std::string::npos) {
      *error = "unterminated tag";
      return false;
    }
    std::string tag = doc.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag[0] == '/') {
      if (open.empty() || (*out)[open.back()].name != tag.substr(1)) {
        *error = "unbalanced </" + tag.substr(1) + ">";
        return false;
      }
      open.pop_back();
      continue;
    }
    bool self_closing = tag.back() == '/';
    if (self_closing) tag.pop_back();
    Element e;
    size_t p = tag.find_first_of(" \n");
    e.name = tag.substr(0, p);
    while (p != std::string::npos && p < tag.size()) {
      p = tag.find_first_not_of(" \n", p);
      if (p == std::string::npos) break;
      size_t eq = tag.find('=', p);
      if (eq == std::string::npos || eq + 1 >= tag.size() || tag[eq + 1] != '"') {
        *error = "bad attribute in <" + tag + ">";
        return false;
      }
      size_t close = tag.find('"', eq + 2);
      if (close == std::string::npos) {
        *error = "unterminated attribute in <" + tag + ">";
        return false;
      }
      std::string value = tag.substr(eq + 2, close - eq - 2);
      if (value.find('<') != std::string::npos) {
        *error = "raw < in attribute";
        return false;
      }
      e.attrs[tag.substr(p, eq - p)] = value;
      p = close + 1;
    }
    out->push_back(e);
    if (!self_closing) open.push_back(out->size() - 1);
  }
  if (!open.empty()) {
    *error = "unclosed <" + (*out)[open.back()].name + ">";
    return false;
  }
  return true;
}

bool HasClass(const Element& e, const std::string& cls) {
  auto it = e.attrs.find("class");
  if (it == e.attrs.end()) return false;
  std::string padded = " " + it->second + " ";
  return padded.find(" " + cls + " ") != std::string::npos;
}

TEST(TimelineSvg, IsWellFormedWithOneLanePerContainerGroupedByShip) {
  const std::string svg = RenderTimelineSvg(Sample());
  std::vector<Element> elements;
  std::string error;
  ASSERT_TRUE(ParseXml(svg, &elements, &error)) << error << "\n" << svg;
  ASSERT_FALSE(elements.empty());
  EXPECT_EQ(elements[0].name, "svg");
  EXPECT_EQ(elements[0].attrs["xmlns"], "http://www.w3.org/2000/svg");
  // Self-contained: no scripts, no links to anything outside.
  for (const Element& e : elements) {
    EXPECT_NE(e.name, "script");
    EXPECT_NE(e.name, "image");
    EXPECT_EQ(e.attrs.count("href"), 0u);
    EXPECT_EQ(e.attrs.count("xlink:href"), 0u);
  }
  std::vector<std::string> lanes;
  std::vector<std::string> ships;
  std::vector<std::string> order;  // ship headings and lanes, in document order
  for (const Element& e : elements) {
    if (HasClass(e, "lane")) {
      lanes.push_back(e.attrs.at("data-container"));
      order.push_back(e.attrs.at("data-container"));
    }
    if (HasClass(e, "ship")) {
      ships.push_back(e.text);
      order.push_back(e.text);
    }
  }
  EXPECT_EQ(lanes, (std::vector<std::string>{"zk-1", "kafka-1", "web &lt;&amp;&quot;1&gt;"}));
  EXPECT_EQ(order, (std::vector<std::string>{"ship ship1", "zk-1", "kafka-1", "ship ship2",
                                             "web &lt;&amp;&quot;1&gt;"}));
  EXPECT_EQ(svg.find("web <&\"1>"), std::string::npos) << "a name went out unescaped";
}

TEST(TimelineSvg, PhasesAreColouredWithALegendAndTheCriticalPathMarked) {
  const std::string svg = RenderTimelineSvg(Sample());
  std::vector<Element> elements;
  std::string error;
  ASSERT_TRUE(ParseXml(svg, &elements, &error)) << error;
  std::map<std::string, std::string> legend;  // phase name -> colour
  int bars = 0;
  int critical_bars = 0;
  int marks = 0;
  for (size_t i = 0; i < elements.size(); ++i) {
    const Element& e = elements[i];
    if (e.name == "g" && HasClass(e, "legend") && i + 2 < elements.size()) {
      legend[elements[i + 2].text] = elements[i + 1].attrs["fill"];
    }
    if (e.name == "rect" && HasClass(e, "phase")) {
      ++bars;
      for (Phase p : kAllPhases) {
        if (HasClass(e, PhaseName(p))) EXPECT_EQ(e.attrs.at("fill"), PhaseColor(p));
      }
      if (HasClass(e, "critical")) {
        ++critical_bars;
        EXPECT_EQ(e.attrs.at("stroke"), "#d62728");
      }
    }
    if (HasClass(e, "critical-mark")) ++marks;
  }
  for (Phase p : kAllPhases) EXPECT_EQ(legend[PhaseName(p)], PhaseColor(p)) << PhaseName(p);
  EXPECT_EQ(legend["critical path"], "none");
  EXPECT_EQ(bars, 11);          // 4 + 4 + 3 spans
  EXPECT_EQ(critical_bars, 8);  // zk-1 and kafka-1
  EXPECT_EQ(marks, 2);
  // Distinct colours for distinct phases.
  std::map<std::string, int> colours;
  for (Phase p : kAllPhases) ++colours[PhaseColor(p)];
  EXPECT_EQ(colours.size(), 6u);
}

TEST(TimelineSvg, HasATimeAxisCoveringThePlay) {
  const std::string svg = RenderTimelineSvg(Sample());
  std::vector<Element> elements;
  std::string error;
  ASSERT_TRUE(ParseXml(svg, &elements, &error)) << error;
  std::vector<std::string> labels;
  for (size_t i = 0; i + 1 < elements.size(); ++i) {
    if (HasClass(elements[i], "tick")) labels.push_back(elements[i + 1].text);
  }
  // 9 s: a tick every second, 0s to 9s.
  ASSERT_EQ(labels.size(), 10u);
  EXPECT_EQ(labels.front(), "0s");
  EXPECT_EQ(labels.back(), "9s");
}

TEST(TimelineSvg, AnEmptyPlayStillGivesAValidChart) {
  PlayTimings t;
  t.play = "stop";
  t.begin = t.end = kT0;
  std::vector<Element> elements;
  std::string error;
  EXPECT_TRUE(ParseXml(RenderTimelineSvg(t), &elements, &error)) << error;
}

}  // namespace
}  // namespace maestro::ui
