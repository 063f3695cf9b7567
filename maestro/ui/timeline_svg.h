// The --timeline chart (docs/usage.md#timings): a play's PlayTimings as a self-contained SVG
// Gantt chart, no scripts, fonts or other external assets. One lane per container, grouped
// under a heading per ship; each phase a bar coloured by phase (legend at the top, a <title>
// tooltip per bar); the lanes of the critical path marked (a red marker before the name,
// class "critical-mark", and red outlines on their bars, class "critical"); a time axis in
// seconds at the bottom. Every name is XML-escaped.
//
// Pure function; thread-safe.
#ifndef MAESTRO_UI_TIMELINE_SVG_H_
#define MAESTRO_UI_TIMELINE_SVG_H_

#include <string>

#include "absl/strings/string_view.h"
#include "maestro/ui/timings.h"

namespace maestro::ui {

// The fill colour of a phase's bars ("#2e86de").
const char* PhaseColor(Phase phase);

// `text` with &, <, >, " and ' replaced by entities.
std::string XmlEscape(absl::string_view text);

std::string RenderTimelineSvg(const PlayTimings& timings);

}  // namespace maestro::ui

#endif  // MAESTRO_UI_TIMELINE_SVG_H_
