// The views of `maestro status --watch` (plays::WatchView): a table redrawn in place on a
// terminal (only the rows whose text changed are rewritten, with cursor movement), one line per
// change otherwise, or one JSON object per change (NDJSON, --format json).
//
// Thread-safety: called by RunStatusWatch under its lock, one call at a time. The FILE* is
// borrowed and must outlive the view.
#ifndef MAESTRO_CLI_WATCH_VIEWS_H_
#define MAESTRO_CLI_WATCH_VIEWS_H_

#include <cstdio>
#include <string>
#include <vector>

#include "maestro/plays/status_watch.h"
#include "maestro/ui/table_sink.h"

namespace maestro::cli {

// One change per line: "03:31:02 web-1@ship1 exited exit=137 restarts=0 drift=none".
std::string RenderWatchLine(const plays::WatchRow& row, absl::Time now);
// {"time":...,"instance":...,"service":...,"ship":...,"state":...,"health":...,"restarts":...,
//  "exit_code":...,"started_at":...,"container_id":...,"drift":[...]|null,"problem":...}
std::string RenderWatchJson(const plays::WatchRow& row, absl::Time now);

class PlainWatchView : public plays::WatchView {
 public:
  PlainWatchView(FILE* out, bool json) : out_(out), json_(json) {}
  void Begin(const std::vector<plays::WatchRow>& rows, absl::Time now) override {}
  void Changed(const std::vector<plays::WatchRow>& rows, const std::vector<size_t>& changed,
               absl::Time now) override;
  bool write_failed() const { return write_failed_; }

 private:
  FILE* out_;
  bool json_;
  bool write_failed_ = false;
};

class TableWatchView : public plays::WatchView {
 public:
  TableWatchView(FILE* out, ui::TerminalInfo terminal) : out_(out), terminal_(terminal) {}
  void Begin(const std::vector<plays::WatchRow>& rows, absl::Time now) override;
  void Changed(const std::vector<plays::WatchRow>& rows, const std::vector<size_t>& changed,
               absl::Time now) override;
  void Tick(const std::vector<plays::WatchRow>& rows, absl::Time now) override;
  void End() override;
  // The row's text as shown (for tests).
  std::string RenderRow(const plays::WatchRow& row, absl::Time now) const;

 private:
  void Redraw(size_t i, const std::string& text);
  FILE* out_;
  ui::TerminalInfo terminal_;
  size_t instance_width_ = 20;
  size_t ship_width_ = 10;
  std::vector<std::string> shown_;
};

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_WATCH_VIEWS_H_
