// ProgressSink: how plays report what they do, one row per container (MaestroNG's
// OutputFormatter/OutputManager; docs/usage.md#output). A row accumulates committed pieces (the
// container column, then the final status) and shows at most one pending message after them until
// the next update. Implementations: the live terminal table and plain lines (TableSink), the
// machine-readable result list (JsonSink), and RecordingSink for tests.
//
// Thread-safety: every method may be called concurrently from worker threads;
// implementations serialise internally.
#ifndef MAESTRO_UI_PROGRESS_H_
#define MAESTRO_UI_PROGRESS_H_

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"

namespace maestro::ui {

enum class Color { kNone, kGreen, kRed, kCyan };

struct Row {
  int number = 0;  // as displayed ("  3.")
  std::string instance;
  std::string service;
  std::string ship;
};

// One container's outcome, for JSON output and summaries.
struct RowResult {
  std::string state;      // e.g. "running", "started", "stopped", "failed", "skipped"
  std::string container_id;
  std::string image;
  std::string action;     // what was done: "created+started", "none", "removed", ...
  double seconds = 0;
  std::string error;      // empty when fine
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void Begin(const std::vector<Row>& rows) = 0;
  // Shows `message` after the committed pieces, replacing the previous pending message.
  virtual void Pending(size_t row, const std::string& message, Color color = Color::kNone) = 0;
  // Appends a committed piece (padded to `width` when > 0); clears the pending message.
  virtual void Commit(size_t row, const std::string& piece, Color color = Color::kNone,
                      int width = 0) = 0;
  virtual void Result(size_t row, const RowResult& result) = 0;
  virtual void End() = 0;
};

// Keeps every call, for tests.
class RecordingSink : public ProgressSink {
 public:
  struct Event {
    size_t row;
    std::string kind;  // "pending" | "commit"
    std::string text;
    Color color;
  };
  void Begin(const std::vector<Row>& rows) override;
  void Pending(size_t row, const std::string& message, Color color) override;
  void Commit(size_t row, const std::string& piece, Color color, int width) override;
  void Result(size_t row, const RowResult& result) override;
  void End() override;

  std::vector<Row> rows() const;
  std::vector<Event> events() const;
  std::vector<Event> events_for(size_t row) const;
  std::vector<RowResult> results() const;
  bool ended() const;

 private:
  mutable std::mutex mu_;
  std::vector<Row> rows_ ABSL_GUARDED_BY(mu_);
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
  std::vector<RowResult> results_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace maestro::ui

#endif  // MAESTRO_UI_PROGRESS_H_
