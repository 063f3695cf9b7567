// TableSink: MaestroNG's terminal table (docs/usage.md#the-table). On a terminal the rows are
// reserved once and rewritten in place with ANSI cursor movement; elsewhere (a pipe, a file,
// NO_COLOR, or more rows than the terminal has lines) every update is printed as a new plain line
// without colour codes. Column widths follow MaestroNG: INSTANCE = min(40, max(20, (COLS-60)/3)),
// SHIP = min(40, max(0, COLS - INSTANCE - 80)), SERVICE 20.
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

class TableSink : public ProgressSink {
 public:
  TableSink(FILE* out, TerminalInfo terminal);

  void Begin(const std::vector<Row>& rows) override;
  void Pending(size_t row, const std::string& message, Color color) override;
  void Commit(size_t row, const std::string& piece, Color color, int width) override;
  void Result(size_t row, const RowResult& result) override {}
  void End() override;

  // The header line as MaestroNG prints it (no trailing newline).
  std::string Header() const;

 private:
  struct RowText {
    std::string prefix;
    std::string committed;
    std::string pending;
  };
  std::string Render(const RowText& row) const;
  void Emit(size_t row);

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
