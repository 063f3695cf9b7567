// `maestro status --watch` (docs/usage.md#status---watch): a live status of the environment's
// containers, driven by each ship's /events stream after one list call per ship (never
// size=true). Per container: state, health, restart count, exit code, uptime, and drift of the
// running image or spec from the file (the maestro.spec-hash label against spec::SpecHash, the
// image id against the configured image's id on that ship).
//
// Three parts:
//   * WatchModel: pure bookkeeping. It applies a list answer, an event, an inspect or a ship
//     going down to the rows and says which rows changed (so views redraw only those).
//   * WatchView: how changes are shown (ui-free here; cli/ picks a table on a terminal, one line
//     per change otherwise, or NDJSON). Called with the model's lock held, one call at a time.
//   * RunStatusWatch: the I/O. One thread per ship: list (all=true), the configured images'
//     ids, then events from just before the list (so nothing between the two is missed); on a
//     start or create, one inspect of that container (exact restart count and image id). A ship
//     whose call or stream fails is shown as down (every row of it) and retried with a
//     doubling backoff (bounded); once back it is listed again.
//
// Thread-safety: WatchModel is thread-compatible (RunStatusWatch serialises it); RunStatusWatch
// blocks until `cancel` is set; views are called from the ships' threads under one lock.
#ifndef MAESTRO_PLAYS_STATUS_WATCH_H_
#define MAESTRO_PLAYS_STATUS_WATCH_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "maestro/docker/docker_types.h"
#include "maestro/model/environment.h"
#include "maestro/plays/world.h"

namespace maestro::plays {

struct WatchRow {
  std::string instance;
  std::string service;
  std::string ship;
  // "checking", "running", "exited", "created", "paused", "restarting", "absent", "ship down".
  std::string state = "checking";
  std::string health;  // "", "starting", "healthy", "unhealthy"
  // Docker's RestartCount (restarts by the restart policy; a `docker restart` or a stop and
  // start does not count); unknown until inspected (after a start event).
  std::optional<int> restarts;
  std::optional<int64_t> exit_code;              // of the last exit, while not running
  absl::Time started_at = absl::InfinitePast();  // running: uptime = now - started_at
  std::string container_id;
  std::vector<std::string> drift;  // "image", "spec"; empty = matches the file (or unknown)
  bool drift_known = false;        // false: no label / image id to compare with
  std::string problem;             // why the ship is down

  bool operator==(const WatchRow& o) const;
  bool operator!=(const WatchRow& o) const { return !(*this == o); }
};

class WatchModel {
 public:
  WatchModel(const model::Environment& env, const std::vector<std::string>& containers);

  const std::vector<WatchRow>& rows() const { return rows_; }
  // The rows of `ship`, and the names the events filter asks for.
  std::vector<std::string> InstancesOn(const std::string& ship) const;
  std::vector<std::string> Ships() const;

  // The id the configured `image` (as written) resolves to on `ship` (image drift compares
  // container image ids with it; without it, the references are compared).
  void SetDesiredImage(const std::string& ship, const std::string& image, const std::string& id);

  // Each returns the indices of the rows whose content changed.
  // The list gives uptime only as Docker's words ("Up 3 minutes"): started_at is estimated from
  // `now` until an event or inspect gives the exact time.
  std::vector<size_t> ApplyList(const std::string& ship,
                                const std::vector<docker::ContainerSummary>& list, absl::Time now);
  std::vector<size_t> ApplyEvent(const std::string& ship, const docker::Event& event);
  std::vector<size_t> ApplyInspect(const std::string& ship, const docker::ContainerInspect& c);
  std::vector<size_t> ShipDown(const std::string& ship, const std::string& why);

 private:
  // Updates row `i` through `change` and records it in `changed` when it differs.
  template <typename F>
  void Update(size_t i, std::vector<size_t>& changed, F change);
  void SetDrift(WatchRow& row, const std::map<std::string, std::string>& labels,
                const std::string& image_reference, const std::string& image_id) const;
  std::optional<size_t> Find(const std::string& ship, const std::string& name) const;

  const model::Environment& env_;
  std::vector<WatchRow> rows_;
  std::map<std::pair<std::string, std::string>, size_t> index_;             // (ship, name) -> row
  std::map<std::pair<std::string, std::string>, std::string> desired_ids_;  // (ship, image)
};

class WatchView {
 public:
  virtual ~WatchView() = default;
  // The rows as first known (every one "checking").
  virtual void Begin(const std::vector<WatchRow>& rows, absl::Time now) = 0;
  // `changed` rows differ from what was last shown.
  virtual void Changed(const std::vector<WatchRow>& rows, const std::vector<size_t>& changed,
                       absl::Time now) = 0;
  // About once a second (uptimes move on); views that show uptime redraw what changed.
  virtual void Tick(const std::vector<WatchRow>& rows, absl::Time now) {}
  virtual void End() {}
};

struct WatchOptions {
  absl::Duration reconnect_initial = absl::Milliseconds(500);
  absl::Duration reconnect_max = absl::Seconds(5);
  absl::Duration tick = absl::Seconds(1);  // zero: no ticks (tests on a FakeClock)
};

// Runs until `cancel` is set (then returns; the caller exits 130).
void RunStatusWatch(const PlayWorld& world, const std::vector<std::string>& containers,
                    WatchView& view, const std::atomic<bool>* cancel,
                    const WatchOptions& options = WatchOptions());

// "3s", "5m", "2h", "4d": the uptime column.
std::string ShortDuration(absl::Duration d);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_STATUS_WATCH_H_
