#include "maestro/ui/progress.h"

namespace maestro::ui {

void RecordingSink::Begin(const std::vector<Row>& rows) {
  std::lock_guard<std::mutex> lock(mu_);
  rows_ = rows;
  results_.assign(rows.size(), RowResult{});
}

void RecordingSink::Pending(size_t row, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back({row, "pending", message, Tone::kNeutral});
}

void RecordingSink::Result(size_t row, const RowResult& result) {
  std::lock_guard<std::mutex> lock(mu_);
  if (row < results_.size()) results_[row] = result;
}

void RecordingSink::End() {
  std::lock_guard<std::mutex> lock(mu_);
  ended_ = true;
}

void RecordingSink::Container(size_t row, const std::string& container, Tone tone) {
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back({row, "container", container, tone});
}

void RecordingSink::State(size_t row, const std::string& state, Tone tone) {
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back({row, "state", state, tone});
}

void RecordingSink::Problem(size_t row, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back({row, "problem", message, Tone::kNeutral});
}

void RecordingSink::Note(size_t row, const std::string& note, Tone tone) {
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back({row, "note", note, tone});
}

std::vector<Row> RecordingSink::rows() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rows_;
}

std::vector<RecordingSink::Event> RecordingSink::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

std::vector<RecordingSink::Event> RecordingSink::events_for(size_t row) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Event> out;
  for (const Event& e : events_) {
    if (e.row == row) out.push_back(e);
  }
  return out;
}

std::vector<RowResult> RecordingSink::results() const {
  std::lock_guard<std::mutex> lock(mu_);
  return results_;
}

bool RecordingSink::ended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_;
}

}  // namespace maestro::ui
