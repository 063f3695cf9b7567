// `maestro events [things]` (docs/usage.md#events): the Docker events of the environment's
// containers from every ship, merged into one stream. Each ship has its own /events stream
// (type=container, the containers' names as a server-side filter) read on its own thread; an
// event is kept only when its container name is exactly one of the environment's containers on
// that ship and its maestro.environment label, when present, names this environment (so a
// container of another environment that happens to share a name is not shown, while
// containers MaestroNG created, which carry no label, are).
//
// A ship that cannot be reached, or whose stream breaks, is retried with a backoff (doubling
// from `reconnect_initial` to `reconnect_max`) and resumed from just after the last event seen
// on it, so nothing is shown twice; a notice says so each time. With `until`, every ship's
// stream ends there and the events are shown in time order once all have ended; without it,
// events are shown as they arrive until `cancel` is set.
//
// Memory: live events are handed on at once (nothing is queued); with `until`, the history
// between since and until is held until every ship is done (bounded by `max_buffered`, beyond
// which the oldest are dropped with a notice).
//
// Thread-safety: RunEvents blocks the calling thread; `output` and `notice` are called one at
// a time (under one lock), from the ships' threads. `cancel` may be set from any thread.
#ifndef MAESTRO_PLAYS_EVENTS_H_
#define MAESTRO_PLAYS_EVENTS_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "maestro/docker/docker_types.h"
#include "maestro/plays/world.h"

namespace maestro::plays {

struct EventsRequest {
  std::vector<std::string> containers;  // instance names of world.env
  std::string since;                    // docker::DockerTimeParam form, "" = from now
  std::string until;                    // "" = follow until cancelled
  absl::Duration reconnect_initial = absl::Milliseconds(500);
  absl::Duration reconnect_max = absl::Seconds(5);
  size_t max_buffered = 100000;  // events held for time ordering (with `until`)
};

// One event of one of the environment's containers.
struct EnvironmentEvent {
  std::string ship;
  std::string instance;
  std::string service;
  docker::Event event;
};

// Cancelled when `cancel` ended it; OK when every ship's stream reached `until`. A ship that
// is down is not an error (it is retried, with a notice), except with `until`, where a ship
// that never answered makes the result Unavailable naming it (after its history is shown).
absl::Status RunEvents(const PlayWorld& world, const EventsRequest& request,
                       const std::function<void(const EnvironmentEvent&)>& output,
                       const std::function<void(const std::string&)>& notice,
                       const std::atomic<bool>* cancel);

// Whether `event` (from `ship`) belongs to `instance` of `env`: exact name, same ship, and no
// maestro.environment label or this environment's. Shared with status --watch.
bool EventBelongsTo(const model::Environment& env, const model::Instance& instance,
                    const docker::Event& event);

// One line of text for an event: "2026-12-04T03:31:02.123456789Z web-1@ship1 die exitCode=1".
std::string FormatEventText(const EnvironmentEvent& e);
// One JSON object (no newline): {"time":...,"time_nano":...,"ship":...,"instance":...,
// "service":...,"type":...,"action":...,"id":...,"attributes":{...}}.
std::string FormatEventJson(const EnvironmentEvent& e);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_EVENTS_H_
