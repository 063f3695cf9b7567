// ProgressSink: how plays report what they do, one row per container (MaestroNG's
// OutputFormatter/OutputManager; docs/usage.md#output). Plays report semantic events only and
// leave every layout decision (cells, padding, colours, where a message goes) to the sink:
//   Pending()   the phase a row is in ("stopping service..."), replaced by the next event;
//   Container() which container the row acts on ("{tag}:{id7}", "-" when unknown);
//   State()     the row's state words ("started", "down", "failed: ...") and their Tone;
//   Note()      a remark after the state ("(configuration changed: ...)");
//   Problem()   why a row could not be looked at (a daemon's error), shown apart;
//   Result()    the row's outcome record (JSON, summaries);
//   Timings()   where the play's time went (ui/timings.h), once, just before End(), from the
//               plays that record it (start, stop, kill, restart).
// Implementations: the live terminal table and plain lines (TableSink), the machine-readable
// result list (JsonSink), and RecordingSink for tests.
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

// How a semantic state reads: good news (green), bad news (red), already so / nothing to do
// (cyan), or neither.
enum class Tone { kNeutral, kGood, kBad, kInfo };

struct PlayTimings;  // ui/timings.h

struct Row {
  int number = 0;  // as displayed ("  3.")
  std::string instance;
  std::string service;
  std::string ship;
};

// One container's outcome, for JSON output and summaries.
struct RowResult {
  std::string state;  // e.g. "running", "started", "stopped", "failed", "skipped"
  std::string container_id;
  std::string image;
  std::string action;  // what was done: "created+started", "none", "removed", ...
  double seconds = 0;
  std::string error;  // empty when fine
  // Docker's health of a running container with a healthcheck: "healthy", "unhealthy",
  // "starting"; "" when it has none (status only).
  std::string health;
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void Begin(const std::vector<Row>& rows) = 0;
  // The phase the row is in; replaces the previous pending message until the next event.
  virtual void Pending(size_t row, const std::string& message) = 0;
  virtual void Result(size_t row, const RowResult& result) = 0;
  virtual void End() = 0;

  // Semantic events (the defaults ignore them, for sinks that only keep results). Each ends
  // the pending message.
  // The container a row refers to: "{tag}:{id7}", an id, "-" when it cannot be known, or ""
  // when the play has none to show (pull).
  virtual void Container(size_t row, const std::string& container, Tone tone) {}
  // The row's state: "running for 3 minutes", "down", "host down", "started", ...
  virtual void State(size_t row, const std::string& state, Tone tone) {}
  // A remark after the state.
  virtual void Note(size_t row, const std::string& note, Tone tone) {}
  // Why a row could not be looked at (a daemon's error); may span lines, sinks shorten it.
  virtual void Problem(size_t row, const std::string& message) {}
  // Where the play's time went; at most once per play, before End().
  virtual void Timings(const PlayTimings& timings) {}
};

// Keeps every call, for tests.
class RecordingSink : public ProgressSink {
 public:
  struct Event {
    size_t row;
    std::string kind;  // "pending" | "container" | "state" | "note" | "problem"
    std::string text;
    Tone tone = Tone::kNeutral;  // container, state and note events
  };
  void Begin(const std::vector<Row>& rows) override;
  void Pending(size_t row, const std::string& message) override;
  void Result(size_t row, const RowResult& result) override;
  void End() override;
  void Container(size_t row, const std::string& container, Tone tone) override;
  void State(size_t row, const std::string& state, Tone tone) override;
  void Note(size_t row, const std::string& note, Tone tone) override;
  void Problem(size_t row, const std::string& message) override;

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
