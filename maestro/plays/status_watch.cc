#include "maestro/plays/status_watch.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "maestro/plays/events.h"
#include "maestro/spec/container_spec.h"

namespace maestro::plays {
namespace {

// Docker's human duration ("Less than a second", "About a minute", "3 hours", "2 weeks").
absl::Duration ParseHumanDuration(absl::string_view text) {
  std::vector<absl::string_view> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (words.size() < 2) return absl::ZeroDuration();
  double n = 0;
  if (words[0] == "About" || words[0] == "Less") {
    n = words[0] == "Less" ? 0 : 1;
  } else if (!absl::SimpleAtod(words[0], &n)) {
    return absl::ZeroDuration();
  }
  absl::string_view unit = words.back();
  absl::ConsumeSuffix(&unit, "s");
  if (unit == "second") return absl::Seconds(n);
  if (unit == "minute") return absl::Minutes(n);
  if (unit == "hour") return absl::Hours(n);
  if (unit == "day") return absl::Hours(24 * n);
  if (unit == "week") return absl::Hours(24 * 7 * n);
  if (unit == "month") return absl::Hours(24 * 30 * n);
  if (unit == "year") return absl::Hours(24 * 365 * n);
  return absl::ZeroDuration();
}

std::string HealthOf(absl::string_view status) {
  if (absl::StrContains(status, "(healthy)")) return "healthy";
  if (absl::StrContains(status, "(unhealthy)")) return "unhealthy";
  if (absl::StrContains(status, "(health: starting)")) return "starting";
  return "";
}

std::optional<int64_t> ExitCodeOf(absl::string_view status) {
  for (absl::string_view prefix : {"Exited (", "Restarting ("}) {
    absl::string_view rest = status;
    if (!absl::ConsumePrefix(&rest, prefix)) continue;
    int64_t code = 0;
    if (absl::SimpleAtoi(rest.substr(0, rest.find(')')), &code)) return code;
  }
  return std::nullopt;
}

absl::Time EventTime(const docker::Event& e) {
  return e.time_nano != 0 ? absl::FromUnixNanos(e.time_nano) : absl::FromUnixSeconds(e.time);
}

}  // namespace

bool WatchRow::operator==(const WatchRow& o) const {
  return instance == o.instance && ship == o.ship && state == o.state && health == o.health &&
         restarts == o.restarts && exit_code == o.exit_code && started_at == o.started_at &&
         container_id == o.container_id && drift == o.drift && drift_known == o.drift_known &&
         problem == o.problem;
}

std::string ShortDuration(absl::Duration d) {
  int64_t s = std::max<int64_t>(0, absl::ToInt64Seconds(d));
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrCat(s / 60, "m");
  if (s < 86400) return absl::StrCat(s / 3600, "h");
  return absl::StrCat(s / 86400, "d");
}

WatchModel::WatchModel(const model::Environment& env, const std::vector<std::string>& containers)
    : env_(env) {
  for (const std::string& name : containers) {
    const model::Instance* inst = env.FindInstance(name);
    if (inst == nullptr) continue;
    WatchRow row;
    row.instance = inst->name;
    row.service = inst->service;
    row.ship = inst->ship;
    index_[{row.ship, row.instance}] = rows_.size();
    rows_.push_back(std::move(row));
  }
}

std::vector<std::string> WatchModel::InstancesOn(const std::string& ship) const {
  std::vector<std::string> out;
  for (const WatchRow& r : rows_) {
    if (r.ship == ship) out.push_back(r.instance);
  }
  return out;
}

std::vector<std::string> WatchModel::Ships() const {
  std::set<std::string> ships;
  for (const WatchRow& r : rows_) ships.insert(r.ship);
  return {ships.begin(), ships.end()};
}

void WatchModel::SetDesiredImage(const std::string& ship, const std::string& image,
                                 const std::string& id) {
  desired_ids_[{ship, image}] = id;
}

std::optional<size_t> WatchModel::Find(const std::string& ship, const std::string& name) const {
  auto it = index_.find({ship, name});
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

template <typename F>
void WatchModel::Update(size_t i, std::vector<size_t>& changed, F change) {
  WatchRow before = rows_[i];
  change(rows_[i]);
  if (rows_[i] != before && std::find(changed.begin(), changed.end(), i) == changed.end()) {
    changed.push_back(i);
  }
}

void WatchModel::SetDrift(WatchRow& row, const std::map<std::string, std::string>& labels,
                          const std::string& image_reference, const std::string& image_id) const {
  const model::Instance& inst = *env_.FindInstance(row.instance);
  const model::Ship* ship = env_.FindShip(row.ship);
  row.drift.clear();
  row.drift_known = false;
  bool image_known = false;
  auto desired = desired_ids_.find({row.ship, inst.image});
  if (desired != desired_ids_.end() && !image_id.empty()) {
    image_known = true;
    if (desired->second != image_id) row.drift.push_back("image");
  } else if (!image_reference.empty() && !absl::StartsWith(image_reference, "sha256:")) {
    image_known = true;
    if (spec::NormalizedImage(image_reference) != spec::NormalizedImage(inst.image)) {
      row.drift.push_back("image");
    }
  }
  auto hash = labels.find(spec::kSpecHashLabel);
  bool spec_known = hash != labels.end() && ship != nullptr;
  if (spec_known && hash->second != spec::SpecHash(inst, *ship)) row.drift.push_back("spec");
  row.drift_known = image_known || spec_known;
}

std::vector<size_t> WatchModel::ApplyList(const std::string& ship,
                                          const std::vector<docker::ContainerSummary>& list,
                                          absl::Time now) {
  std::map<std::string, const docker::ContainerSummary*> by_name;
  for (const docker::ContainerSummary& c : list) by_name[docker::SummaryName(c)] = &c;
  std::vector<size_t> changed;
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].ship != ship) continue;
    auto it = by_name.find(rows_[i].instance);
    const docker::ContainerSummary* c = it == by_name.end() ? nullptr : it->second;
    if (c != nullptr) {
      auto label = c->labels.find(spec::kEnvironmentLabel);
      if (label != c->labels.end() && label->second != env_.name) c = nullptr;  // not ours
    }
    Update(i, changed, [&](WatchRow& row) {
      row.problem.clear();
      if (c == nullptr) {
        row.state = "absent";
        row.health.clear();
        row.restarts.reset();
        row.exit_code.reset();
        row.started_at = absl::InfinitePast();
        row.container_id.clear();
        row.drift.clear();
        row.drift_known = false;
        return;
      }
      const bool same = row.container_id == c->id;
      row.container_id = c->id;
      row.state = c->state.empty() ? "unknown" : c->state;
      row.health = HealthOf(c->status);
      if (!same) row.restarts.reset();
      if (row.state == "running") {
        absl::string_view up = c->status;
        absl::ConsumePrefix(&up, "Up ");
        up = up.substr(0, up.find(" ("));
        // Keep an exact start time already known for this container.
        if (!same || row.started_at == absl::InfinitePast()) {
          row.started_at = now - ParseHumanDuration(up);
        }
        row.exit_code.reset();
      } else {
        row.started_at = absl::InfinitePast();
        row.exit_code = ExitCodeOf(c->status);
      }
      SetDrift(row, c->labels, c->image, c->image_id);
    });
  }
  return changed;
}

std::vector<size_t> WatchModel::ApplyEvent(const std::string& ship, const docker::Event& e) {
  std::vector<size_t> changed;
  auto name = e.attributes.find("name");
  if (e.type != "container" || name == e.attributes.end()) return changed;
  std::optional<size_t> i = Find(ship, name->second);
  if (!i || !EventBelongsTo(env_, *env_.FindInstance(rows_[*i].instance), e)) return changed;
  absl::string_view action = e.action;
  Update(*i, changed, [&](WatchRow& row) {
    row.problem.clear();
    if (action == "create") {
      row.container_id = e.actor_id;
      row.state = "created";
      row.health.clear();
      row.restarts = 0;
      row.exit_code.reset();
      row.started_at = absl::InfinitePast();
      auto image = e.attributes.find("image");
      SetDrift(row, e.attributes, image == e.attributes.end() ? "" : image->second, "");
    } else if (action == "start") {
      // The restart count is Docker's (restarts by the restart policy): the inspect that
      // follows a start gives it.
      if (row.container_id != e.actor_id) row.restarts.reset();
      const bool estimated_alike =
          row.container_id == e.actor_id && row.state == "running" &&
          absl::AbsDuration(EventTime(e) - row.started_at) < absl::Seconds(2);
      row.container_id = e.actor_id;
      row.state = "running";
      row.exit_code.reset();
      if (!estimated_alike) row.started_at = EventTime(e);
    } else if (action == "die") {
      row.state = "exited";
      row.health.clear();
      row.started_at = absl::InfinitePast();
      auto code = e.attributes.find("exitCode");
      int64_t value = 0;
      if (code != e.attributes.end() && absl::SimpleAtoi(code->second, &value)) {
        row.exit_code = value;
      }
    } else if (action == "pause") {
      row.state = "paused";
    } else if (action == "unpause") {
      row.state = "running";
    } else if (action == "destroy") {
      if (row.container_id != e.actor_id) return;  // an older container of that name
      row.state = "absent";
      row.health.clear();
      row.restarts.reset();
      row.exit_code.reset();
      row.started_at = absl::InfinitePast();
      row.container_id.clear();
      row.drift.clear();
      row.drift_known = false;
    } else if (absl::ConsumePrefix(&action, "health_status: ")) {
      row.health = std::string(action);
    }
  });
  return changed;
}

std::vector<size_t> WatchModel::ApplyInspect(const std::string& ship,
                                             const docker::ContainerInspect& c) {
  std::vector<size_t> changed;
  absl::string_view name = c.name;
  absl::ConsumePrefix(&name, "/");
  std::optional<size_t> i = Find(ship, std::string(name));
  if (!i) return changed;
  auto label = c.labels.find(spec::kEnvironmentLabel);
  if (label != c.labels.end() && label->second != env_.name) return changed;
  Update(*i, changed, [&](WatchRow& row) {
    row.problem.clear();
    row.container_id = c.id;
    row.restarts = c.restart_count;
    row.state = c.state.status.empty() ? row.state : c.state.status;
    if (c.raw.is_object() && c.raw.contains("State") && c.raw["State"].is_object() &&
        c.raw["State"].contains("Health") && c.raw["State"]["Health"].is_object()) {
      row.health = c.raw["State"]["Health"].value("Status", "");
    }
    if (c.state.running) {
      // The start event's time and the daemon's StartedAt differ by milliseconds: keep the
      // one already shown unless it was an estimate from the list's words.
      absl::Time started = docker::ParseDockerTime(c.state.started_at);
      if (started != absl::InfinitePast() &&
          absl::AbsDuration(started - row.started_at) > absl::Seconds(2)) {
        row.started_at = started;
      }
      row.exit_code.reset();
    } else {
      row.started_at = absl::InfinitePast();
      if (c.state.status == "exited") row.exit_code = c.state.exit_code;
    }
    SetDrift(row, c.labels, c.config_image, c.image_id);
  });
  return changed;
}

std::vector<size_t> WatchModel::ShipDown(const std::string& ship, const std::string& why) {
  std::vector<size_t> changed;
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].ship != ship) continue;
    Update(i, changed, [&](WatchRow& row) {
      row.state = "ship down";
      row.problem = why;
    });
  }
  return changed;
}

void RunStatusWatch(const PlayWorld& world, const std::vector<std::string>& containers,
                    WatchView& view, const std::atomic<bool>* cancel, const WatchOptions& options) {
  WatchModel model(*world.env, containers);
  std::mutex mu;
  auto cancelled = [&] { return cancel != nullptr && cancel->load(); };
  {
    std::lock_guard<std::mutex> lock(mu);
    view.Begin(model.rows(), world.clock->Now());
  }
  auto publish = [&](const std::vector<size_t>& changed) {
    if (!changed.empty()) view.Changed(model.rows(), changed, world.clock->Now());
  };

  auto watch_ship = [&](const std::string& ship) {
    std::vector<std::string> names;
    std::set<std::string> images;
    {
      std::lock_guard<std::mutex> lock(mu);
      names = model.InstancesOn(ship);
    }
    for (const std::string& n : names) images.insert(world.env->FindInstance(n)->image);
    absl::Duration backoff = options.reconnect_initial;
    while (!cancelled()) {
      absl::StatusOr<docker::DockerClient*> client = world.ships->Client(ship);
      // Events from just before the list: what happens in between is applied twice at worst.
      const absl::Time listed_at = world.clock->Now();
      absl::StatusOr<std::vector<docker::ContainerSummary>> list =
          client.ok() ? (*client)->ListContainers({.all = true}) : client.status();
      absl::Status status = list.status();
      if (list.ok()) {
        backoff = options.reconnect_initial;
        for (const std::string& image : images) {
          absl::StatusOr<docker::ImageInspect> id = (*client)->InspectImage(image);
          if (id.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            model.SetDesiredImage(ship, image, id->id);
          }
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          publish(model.ApplyList(ship, *list, world.clock->Now()));
        }
        docker::EventsOptions events;
        events.filters["type"] = {"container"};
        events.filters["container"] = names;
        events.since = docker::DockerTimeParam(listed_at - absl::Seconds(1));
        events.cancel = cancel;
        status = (*client)->Events(events, [&](const docker::Event& e) {
          std::vector<size_t> changed;
          {
            std::lock_guard<std::mutex> lock(mu);
            changed = model.ApplyEvent(ship, e);
            publish(changed);
          }
          if (!changed.empty() && (e.action == "start" || e.action == "create")) {
            absl::StatusOr<docker::ContainerInspect> inspect =
                (*client)->InspectContainer(e.actor_id);
            if (inspect.ok()) {
              std::lock_guard<std::mutex> lock(mu);
              publish(model.ApplyInspect(ship, *inspect));
            }
          }
          return !cancelled();
        });
        if (cancelled()) return;
        if (status.ok()) status = absl::UnavailableError("the daemon closed the events stream");
      }
      if (cancelled()) return;
      {
        std::lock_guard<std::mutex> lock(mu);
        publish(model.ShipDown(ship, std::string(status.message())));
      }
      if (!world.clock->SleepFor(backoff, cancel)) return;
      backoff = std::min(backoff * 2, options.reconnect_max);
    }
  };

  std::vector<std::thread> threads;
  for (const std::string& ship : model.Ships()) threads.emplace_back(watch_ship, ship);
  while (options.tick > absl::ZeroDuration() && !cancelled()) {
    if (!world.clock->SleepFor(options.tick, cancel)) break;
    std::lock_guard<std::mutex> lock(mu);
    view.Tick(model.rows(), world.clock->Now());
  }
  for (std::thread& t : threads) t.join();
  std::lock_guard<std::mutex> lock(mu);
  view.End();
}

}  // namespace maestro::plays
