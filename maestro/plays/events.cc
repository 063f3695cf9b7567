#include "maestro/plays/events.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "maestro/docker/short_id.h"
#include "maestro/spec/container_spec.h"
#include "nlohmann/json.hpp"

namespace maestro::plays {
namespace {

// With `until`, a ship that keeps failing is given up after this many attempts.
constexpr int kAttemptsWithUntil = 3;

std::string EventTime(const docker::Event& e) {
  absl::Time t =
      e.time_nano != 0 ? absl::FromUnixNanos(e.time_nano) : absl::FromUnixSeconds(e.time);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", t, absl::UTCTimeZone());
}

int64_t NanosOf(const docker::Event& e) {
  return e.time_nano != 0 ? e.time_nano : e.time * 1'000'000'000;
}

}  // namespace

bool EventBelongsTo(const model::Environment& env, const model::Instance& instance,
                    const docker::Event& event) {
  if (event.type != "container") return false;
  auto name = event.attributes.find("name");
  if (name == event.attributes.end() || name->second != instance.name) return false;
  auto label = event.attributes.find(spec::kEnvironmentLabel);
  return label == event.attributes.end() || label->second == env.name;
}

std::string FormatEventText(const EnvironmentEvent& e) {
  std::string line =
      absl::StrCat(EventTime(e.event), " ", e.instance, "@", e.ship, " ", e.event.action);
  for (const char* key : {"exitCode", "signal", "execID"}) {
    auto it = e.event.attributes.find(key);
    if (it != e.event.attributes.end()) absl::StrAppend(&line, " ", key, "=", it->second);
  }
  if (!e.event.actor_id.empty()) {
    absl::StrAppend(&line, " (", docker::ShortId(e.event.actor_id), ")");
  }
  return line;
}

std::string FormatEventJson(const EnvironmentEvent& e) {
  // The recorded specs carry the container's whole env, secrets included: never printed.
  std::map<std::string, std::string> attributes = e.event.attributes;
  attributes.erase(spec::kSpecLabel);
  attributes.erase(spec::kPreviousSpecLabel);
  nlohmann::json j = {
      {"time", EventTime(e.event)}, {"time_nano", NanosOf(e.event)}, {"ship", e.ship},
      {"instance", e.instance},     {"service", e.service},          {"type", e.event.type},
      {"action", e.event.action},   {"id", e.event.actor_id},        {"attributes", attributes}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::Status RunEvents(const PlayWorld& world, const EventsRequest& request,
                       const std::function<void(const EnvironmentEvent&)>& output,
                       const std::function<void(const std::string&)>& notice,
                       const std::atomic<bool>* cancel) {
  // ship -> name -> instance
  std::map<std::string, std::map<std::string, const model::Instance*>> by_ship;
  for (const std::string& name : request.containers) {
    const model::Instance* inst = world.env->FindInstance(name);
    if (inst != nullptr) by_ship[inst->ship][inst->name] = inst;
  }
  const bool bounded = !request.until.empty();
  std::mutex mu;
  std::vector<EnvironmentEvent> held;  // with `until`: shown in time order at the end
  bool dropped = false;
  std::vector<std::string> failures;
  auto cancelled = [&] { return cancel != nullptr && cancel->load(); };

  auto follow_ship = [&](const std::string& ship,
                         const std::map<std::string, const model::Instance*>& instances) {
    docker::EventsOptions options;
    options.filters["type"] = {"container"};
    for (const auto& [name, unused] : instances) options.filters["container"].push_back(name);
    options.until = request.until;
    options.cancel = cancel;
    std::string since = request.since;
    absl::Duration backoff = request.reconnect_initial;
    int attempts = 0;
    while (!cancelled()) {
      ++attempts;
      // Live only at first; after a reconnect, just after the last event seen (or from when
      // the broken stream was opened).
      options.since = since;
      const absl::Time opened = world.clock->Now();
      bool got_any = false;
      absl::StatusOr<docker::DockerClient*> client = world.ships->Client(ship);
      absl::Status status = client.status();
      if (client.ok()) {
        status = (*client)->Events(options, [&](const docker::Event& e) {
          got_any = true;
          // Resume after this one on a reconnect (the API's since is inclusive).
          since = docker::DockerTimeParam(absl::FromUnixNanos(NanosOf(e) + 1));
          auto name = e.attributes.find("name");
          if (name == e.attributes.end()) return !cancelled();
          auto inst = instances.find(name->second);
          if (inst == instances.end() || !EventBelongsTo(*world.env, *inst->second, e)) {
            return !cancelled();
          }
          EnvironmentEvent out{ship, inst->second->name, inst->second->service, e};
          std::lock_guard<std::mutex> lock(mu);
          if (bounded) {
            if (held.size() >= request.max_buffered) {
              held.erase(held.begin());
              dropped = true;
            }
            held.push_back(std::move(out));
          } else {
            output(out);
          }
          return !cancelled();
        });
      }
      if (cancelled()) return;
      if (status.ok() && bounded) return;  // reached `until`
      if (status.ok()) {
        // The daemon closed a live stream (it is shutting down): like a broken one.
        status = absl::UnavailableError("the daemon closed the stream");
      }
      if (got_any) {
        backoff = request.reconnect_initial;
        attempts = 1;
      }
      if (bounded && attempts >= kAttemptsWithUntil) {
        std::lock_guard<std::mutex> lock(mu);
        failures.push_back(absl::StrCat(ship, ": ", status.message()));
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        notice(absl::StrCat(ship, ": events stream unavailable (", status.message(),
                            "); retrying in ", absl::FormatDuration(backoff)));
      }
      if (since.empty()) since = docker::DockerTimeParam(opened);
      if (!world.clock->SleepFor(backoff, cancel)) return;
      backoff = std::min(backoff * 2, request.reconnect_max);
    }
  };

  std::vector<std::thread> threads;
  threads.reserve(by_ship.size());
  for (const auto& [ship, instances] : by_ship) {
    threads.emplace_back(follow_ship, ship, instances);
  }
  for (std::thread& t : threads) t.join();
  if (cancelled()) return absl::CancelledError("interrupted");
  if (bounded) {
    std::stable_sort(held.begin(), held.end(),
                     [](const EnvironmentEvent& a, const EnvironmentEvent& b) {
                       return NanosOf(a.event) < NanosOf(b.event);
                     });
    if (dropped) {
      notice(absl::StrCat("more than ", request.max_buffered, " events: the oldest were dropped"));
    }
    for (const EnvironmentEvent& e : held) output(e);
  }
  if (!failures.empty()) {
    std::sort(failures.begin(), failures.end());
    std::string message = "events could not be read from every ship:";
    for (const std::string& f : failures) absl::StrAppend(&message, "\n  ", f);
    return absl::UnavailableError(message);
  }
  return absl::OkStatus();
}

}  // namespace maestro::plays
