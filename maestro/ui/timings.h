// PlayTimings: where a play's time went (docs/usage.md#timings), as semantic data the plays
// record and the outputs lay out: per container the phases it went through (connect, pull,
// create, start, checks, stop; begin and end on the play's Clock), and the critical path of the
// run (the chain of dependent containers whose phases determined when the play ended).
// Renderers: FormatTimingSummary (the few lines after a play), FormatTimingReport (--timings:
// totals per ship, container and phase), TimingsJson (the "timings" object of --format json)
// and, in timeline_svg.h, the --timeline Gantt chart.
//
// Plain values and pure functions; thread-compatible.
#ifndef MAESTRO_UI_TIMINGS_H_
#define MAESTRO_UI_TIMINGS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace maestro::ui {

// In the order a container goes through them (connect: reaching the ship and looking at the
// container; checks: lifecycle checks of any state).
enum class Phase { kConnect, kPull, kCreate, kStart, kChecks, kStop };
inline constexpr Phase kAllPhases[] = {Phase::kConnect, Phase::kPull,   Phase::kCreate,
                                       Phase::kStart,   Phase::kChecks, Phase::kStop};
const char* PhaseName(Phase phase);

struct PhaseSpan {
  Phase phase = Phase::kConnect;
  absl::Time begin;
  absl::Time end;
};

struct ContainerTiming {
  std::string container;
  std::string ship;
  std::vector<PhaseSpan> spans;  // in the order they began
  bool critical = false;         // on the critical path
};

struct PlayTimings {
  std::string play;  // "start", "stop", ...
  absl::Time begin;  // the play's first and last moment
  absl::Time end;
  std::vector<ContainerTiming> containers;  // in the play's row order
  // Indices into `containers`, first to last: each waited for the one before it, and the last
  // one ended the play.
  std::vector<size_t> critical_path;

  bool empty() const { return containers.empty(); }
};

// The time `c` spent in `phase` (the sum of its spans).
absl::Duration PhaseTotal(const ContainerTiming& c, Phase phase);

// "1.2s", "850ms", "0s" (durations in the reports).
std::string FormatSeconds(absl::Duration d);

// A few lines for the end of a play:
//   "timings: 8.9s; critical path 3 containers: zk-1 -> kafka-1 -> web-1 (--timings for
//   more)" and one line of totals per phase over every container.
std::string FormatTimingSummary(const PlayTimings& timings);

// The full report (--timings): per ship and per container the totals of every phase, the
// critical path with each step's phases.
std::string FormatTimingReport(const PlayTimings& timings);

// {"play", "begin" (RFC 3339), "seconds", "phases" (names), "ships": {ship: {phase: s}},
//  "containers": [{container, ship, critical, totals: {phase: s}, spans: [{phase, start, end}]}],
//  "critical_path": [names]}; span times in seconds after the play began.
nlohmann::ordered_json TimingsJson(const PlayTimings& timings);

}  // namespace maestro::ui

#endif  // MAESTRO_UI_TIMINGS_H_
