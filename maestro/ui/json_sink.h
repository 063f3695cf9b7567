// JsonSink: `--format json`. Collects one result per container and writes a single JSON
// document at End(): {"command": ..., "results": [{index, instance, service, ship, state,
// container_id, image, action, seconds, error}], "timings": {...}}; "timings" (TimingsJson,
// ui/timings.h) only for plays that record them. Progress messages are dropped.
//
// Thread-safety: all methods serialise on an internal mutex. The FILE* is not owned.
#ifndef MAESTRO_UI_JSON_SINK_H_
#define MAESTRO_UI_JSON_SINK_H_

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "maestro/ui/progress.h"
#include "maestro/ui/timings.h"

namespace maestro::ui {

class JsonSink : public ProgressSink {
 public:
  JsonSink(FILE* out, std::string command) : out_(out), command_(std::move(command)) {}

  void Begin(const std::vector<Row>& rows) override;
  void Pending(size_t row, const std::string& message) override {}
  void Result(size_t row, const RowResult& result) override;
  void End() override;
  void Timings(const PlayTimings& timings) override;

  // The document End() writes (for tests).
  std::string Document() const;

 private:
  FILE* out_;
  std::string command_;
  mutable std::mutex mu_;
  std::vector<Row> rows_ ABSL_GUARDED_BY(mu_);
  std::vector<RowResult> results_ ABSL_GUARDED_BY(mu_);
  bool has_timings_ ABSL_GUARDED_BY(mu_) = false;
  PlayTimings timings_ ABSL_GUARDED_BY(mu_);
};

}  // namespace maestro::ui

#endif  // MAESTRO_UI_JSON_SINK_H_
