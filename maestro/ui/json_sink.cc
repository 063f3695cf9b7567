#include "maestro/ui/json_sink.h"

#include "nlohmann/json.hpp"

namespace maestro::ui {

void JsonSink::Begin(const std::vector<Row>& rows) {
  std::lock_guard<std::mutex> lock(mu_);
  rows_ = rows;
  results_.assign(rows.size(), RowResult{});
  has_timings_ = false;
}

void JsonSink::Timings(const PlayTimings& timings) {
  std::lock_guard<std::mutex> lock(mu_);
  timings_ = timings;
  has_timings_ = true;
}

void JsonSink::Result(size_t row, const RowResult& result) {
  std::lock_guard<std::mutex> lock(mu_);
  if (row < results_.size()) results_[row] = result;
}

std::string JsonSink::Document() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::ordered_json doc;
  doc["command"] = command_;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (size_t i = 0; i < rows_.size(); ++i) {
    const RowResult& r = results_[i];
    nlohmann::ordered_json item;
    item["index"] = rows_[i].number;
    item["instance"] = rows_[i].instance;
    item["service"] = rows_[i].service;
    item["ship"] = rows_[i].ship;
    item["state"] = r.state;
    item["container_id"] = r.container_id;
    item["image"] = r.image;
    item["action"] = r.action;
    if (!r.health.empty()) item["health"] = r.health;  // only containers with a healthcheck
    item["seconds"] = r.seconds;
    if (r.error.empty()) {
      item["error"] = nullptr;
    } else {
      item["error"] = r.error;
    }
    results.push_back(std::move(item));
  }
  doc["results"] = std::move(results);
  if (has_timings_) doc["timings"] = TimingsJson(timings_);
  // Invalid UTF-8 from a daemon must not throw.
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void JsonSink::End() {
  std::string doc = Document();
  std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(out_, "%s\n", doc.c_str());
  std::fflush(out_);
}

}  // namespace maestro::ui
