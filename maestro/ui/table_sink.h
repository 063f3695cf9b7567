// TableSink: MaestroNG's terminal table (docs/usage.md#the-table). On a terminal the rows are
// reserved once and rewritten in place with ANSI cursor movement; elsewhere (a pipe, a file,
// NO_COLOR, or more rows than the terminal has lines) every update is printed as a new plain line
// without colour codes. Column widths follow MaestroNG: INSTANCE = min(40, max(20, (COLS-60)/3)),
// SHIP = min(40, max(0, COLS - INSTANCE - 80)), SERVICE 20.
//
// Semantic events: Container() and State() become the CONTAINER and STATUS cells, Note() an
// unpadded piece after them (green for good news, red for bad, cyan for info); Pending() shows
// after the cells until the next event; Problem() messages are shortened to their first line (at
// most 200 characters) and printed under the table at End(), "  2. zk-2: <message>", so that a
// "host down" row says why.
//
// Thread-safety: all methods serialise on an internal mutex. The FILE* is not owned.
#ifndef MAESTRO_UI_TABLE_SINK_H_
#define MAESTRO_UI_TABLE_SINK_H_

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "maestro/ui/progress.h"

namespace maestro::ui {

struct TerminalInfo {
  bool is_tty = false;
  bool color = false;
  int columns = 120;
  int lines = 0;  // 0 = unknown
};

// Reads isatty(fd), COLUMNS, the window size, NO_COLOR, ANSICON, and an explicit override
// (--color / --no-color).
TerminalInfo DetectTerminal(int fd, const bool* color_override);

// MaestroNG's colours: bold green/red, non-bold cyan.
std::string Colorize(const std::string& text, Color color);
// '{:<width.width}s' (truncate and pad) and '{:<width}s' (pad only).
std::string PadTruncate(const std::string& text, size_t width);
std::string Pad(const std::string& text, size_t width);
// The CONTAINER cell ('{:<25s} ') and the STATUS cell ('{:<10s}').
std::string ContainerCell(const std::string& text);
std::string StatusCell(const std::string& text);
// MaestroNG's time_ago: "" / " for 12s" / " for 3m4s" / " for 2h5m" / " for 1d2h3m".
std::string TimeAgo(absl::Time then, absl::Time now);
// The first line of `message`, at most `max` characters ("..." marks a cut).
std::string OneLine(const std::string& message, size_t max = 200);
// Color::kGreen / kRed / kCyan / kNone for Tone::kGood / kBad / kInfo / kNeutral.
Color ToneColor(Tone tone);

// What `status -F` found for one container (semantic; RenderFullStatus lays it out).
struct FullStatus {
  struct PortState {
    std::string name;      // "client"
    std::string external;  // "2181", "2181/udp"
    bool up = false;
  };
  Row row;
  bool reachable = true;  // false: the ship could not be asked; `problem` says why
  std::string problem;
  bool exists = false;
  bool running = false;
  std::string container;  // "{tag}:{id7}" when it exists
  std::string since;      // TimeAgo() of the start (running) or the end (stopped)
  std::string image;      // as configured
  std::string image_id;   // "sha256:..." of the container's image, when it exists
  std::vector<PortState> ports;
};

// MaestroNG's `status -F` block for one container, ending with a newline:
//   "  1. zk-1                 zookeeper            ship1                3.4:abcdef0  running for
//   5s" "      zk:3.4  (1234567)" "     >>          client:      2181 is up"
// An unreachable ship gives "- host down" and the problem's first line under it.
std::string RenderFullStatus(const FullStatus& status, bool color);

class TableSink : public ProgressSink {
 public:
  TableSink(FILE* out, TerminalInfo terminal);

  void Begin(const std::vector<Row>& rows) override;
  void Pending(size_t row, const std::string& message) override;
  void Result(size_t row, const RowResult& result) override {}
  void End() override;
  void Container(size_t row, const std::string& container, Tone tone) override;
  void State(size_t row, const std::string& state, Tone tone) override;
  void Note(size_t row, const std::string& note, Tone tone) override;
  void Problem(size_t row, const std::string& message) override;

  // The header line as MaestroNG prints it (no trailing newline).
  std::string Header() const;

 private:
  struct RowText {
    int number = 0;
    std::string instance;
    std::string problem;  // shown under the table
    std::string prefix;
    std::string committed;
    std::string pending;
  };
  std::string Render(const RowText& row) const;
  void Emit(size_t row);
  void CommitLocked(size_t row, const std::string& piece, Color color);

  FILE* out_;
  TerminalInfo terminal_;
  bool in_place_ = false;
  size_t instance_width_;
  size_t ship_width_;
  std::mutex mu_;
  std::vector<RowText> rows_ ABSL_GUARDED_BY(mu_);
  bool begun_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace maestro::ui

#endif  // MAESTRO_UI_TABLE_SINK_H_
