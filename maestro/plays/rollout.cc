// Rolling updates (rollout.h): batch planning and the rollout play behind `restart`.
#include "maestro/plays/rollout.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "maestro/base/status_macros.h"
#include "maestro/plays/plays_internal.h"
#include "maestro/plays/rollout_internal.h"
#include "maestro/plays/secrets_delivery.h"
#include "maestro/spec/drift.h"

namespace maestro::plays {

using internal::ClientFor;
using internal::FailRow;
using internal::InspectOrAbsent;
using internal::PlayRunner;
using internal::PullOnce;
using internal::ShortId;
using internal::StartFlags;
using internal::StopKind;
using internal::Target;
using ui::Tone;

bool UsesRollout(const model::Environment& env, const std::vector<std::string>& containers) {
  for (const std::string& name : containers) {
    if (UpdatePolicyOf(env, name) != nullptr) return true;
  }
  return false;
}

model::UpdatePolicy EffectivePolicy(const model::Service& service, const PlayOptions& options) {
  model::UpdatePolicy p;
  if (service.update) {
    p = *service.update;
  } else {
    p.pull_before = false;  // restart's own behaviour: pull on -r only
    if (options.step_delay > 0) p.parallelism = 1;
  }
  if (p.delay == 0 && options.step_delay > 0) p.delay = options.step_delay;
  return p;
}

namespace {

// "a, b and c" style list of names.
std::string Names(const std::vector<std::string>& names) {
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

// A copy of `inst` whose `state` checks are `checks` (a role probe, or checks run once).
model::Instance WithChecks(const model::Instance& inst, const std::string& state,
                           std::vector<model::Check> checks) {
  model::Instance copy = inst;
  copy.lifecycle.clear();
  copy.lifecycle[state] = std::move(checks);
  return copy;
}

// The running checks of `inst`, each answering once (the health classification before the
// rollout must not wait minutes on an unhealthy instance).
std::vector<model::Check> OnceChecks(const model::Instance& inst) {
  std::vector<model::Check> out;
  auto it = inst.lifecycle.find("running");
  if (it == inst.lifecycle.end()) return out;
  for (model::Check c : it->second) {
    c.attempts = 1;
    c.max_wait = std::min(c.max_wait, c.type == model::CheckType::kTcp ? 1 : 5);
    if (c.type == model::CheckType::kSleep) continue;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

namespace internal {

std::string DockerHealthOf(const docker::ContainerInspect& c) {
  const nlohmann::json& raw = c.raw;
  if (!raw.is_object() || !raw.contains("State") || !raw["State"].is_object()) return "";
  const nlohmann::json& state = raw["State"];
  if (!state.contains("Health") || !state["Health"].is_object()) return "";
  const nlohmann::json& health = state["Health"];
  return health.contains("Status") && health["Status"].is_string()
             ? health["Status"].get<std::string>()
             : "";
}

bool UsesDockerHealth(const model::Instance& inst) {
  return inst.healthcheck.has_value() && !inst.healthcheck->disabled();
}

namespace {

// The last Output of a container's State.Health.Log ("" when none), for messages.
std::string LastHealthOutput(const docker::ContainerInspect& c) {
  const nlohmann::json& raw = c.raw;
  if (!raw.is_object() || !raw.contains("State") || !raw["State"].contains("Health")) return "";
  const nlohmann::json& health = raw["State"]["Health"];
  if (!health.is_object() || !health.contains("Log") || !health["Log"].is_array() ||
      health["Log"].empty()) {
    return "";
  }
  const nlohmann::json& last = health["Log"].back();
  if (!last.is_object() || !last.contains("Output") || !last["Output"].is_string()) return "";
  return std::string(absl::StripTrailingAsciiWhitespace(last["Output"].get<std::string>()));
}

// Seconds Docker may take to call a new container healthy or unhealthy: its start period plus
// (interval + timeout) for each of its retries and the first probe (Docker's defaults: 30 s,
// 30 s, 3 retries).
double HealthBudget(const model::Healthcheck& hc) {
  const double interval = hc.interval_ns ? static_cast<double>(*hc.interval_ns) / 1e9 : 30;
  const double timeout = hc.timeout_ns ? static_cast<double>(*hc.timeout_ns) / 1e9 : 30;
  const double start = hc.start_period_ns ? static_cast<double>(*hc.start_period_ns) / 1e9 : 0;
  const int retries = hc.retries.value_or(3);
  return start + (interval + timeout) * (retries + 1);
}

}  // namespace

// The state of one service's rollout, shared by its nodes.
struct Rollout::Service {
  const model::Service* service = nullptr;
  model::UpdatePolicy policy;
  std::vector<size_t> containers;            // rows of the play, in update order
  std::vector<std::vector<size_t>> batches;  // rows
  std::map<size_t, size_t> batch_of;         // row -> batch index
  std::mutex quorum_mu;                      // one quorum measurement + stop at a time
  std::mutex mu;                             // guards what follows
  std::map<size_t, std::string> kept;        // row -> id of the replaced container (rollback)
  std::set<size_t> updated;                  // rows updated (new container proven)
  size_t outstanding = 0;                    // update nodes not finished
  bool failed = false;
  std::string rolling_back_because;  // set once a rollback began
  std::set<size_t> failed_rows;      // failed rows whose kept container goes back
};

Rollout::Rollout(PlayRunner& run, PullOnce& pulls, PlayOptions options, PolicyOf policy_of,
                 std::vector<size_t> rows)
    : run_(run),
      pulls_(pulls),
      world_(run.world()),
      options_(std::move(options)),
      policy_of_(std::move(policy_of)),
      rows_(std::move(rows)) {}

Rollout::~Rollout() = default;

const std::string& Rollout::NameOf(size_t c) const { return run_.name(c); }

const char* Rollout::Noun() const { return run_.play() == "rollback" ? "rollback" : "rollout"; }

bool Rollout::KeepsReplaced(size_t c) const {
  return service_of_.at(c)->policy.failure == model::UpdatePolicy::Failure::kRollback;
}

absl::Status Rollout::KeepReplaced(size_t c, docker::DockerClient& client,
                                   const docker::ContainerInspect& old) {
  Service& r = *service_of_.at(c);
  const Target& t = run_.target(c);
  const std::string keep_as = absl::StrCat(t.instance->name, kPreviousSuffix);
  run_.sink().Pending(c, absl::StrCat("keeping ", ShortId(old.id), " as ", keep_as, "..."));
  absl::Status renamed = client.RenameContainer(old.id, keep_as);
  if (!renamed.ok()) {
    // Nothing replaced: start the old one again rather than leave it down.
    if (client.StartContainer(old.id).ok()) {
      Redeliver(client, old.id, *t.instance).IgnoreError();  // best effort, as the start
    }
    return FailRow(run_, c, "failed",
                   absl::Status(renamed.code(), absl::StrCat("could not keep the old container as ",
                                                             keep_as, ": ", renamed.message())));
  }
  std::lock_guard<std::mutex> lock(r.mu);
  r.kept[c] = old.id;
  return absl::OkStatus();
}

absl::Status Rollout::Conclude(size_t c, size_t node, Scheduler& scheduler, absl::Status outcome) {
  return Finish(*service_of_.at(c), c, node, scheduler, std::move(outcome));
}

void Rollout::Survey() {
  std::map<std::string, Service*> by_service;
  std::map<size_t, RolloutMember> members;
  CancellationToken none;
  for (size_t c : rows_) {
    const Target& t = run_.target(c);
    RolloutMember& m = members[c];
    m.name = NameOf(c);
    m.health = MemberHealth::kDown;
    if (t.instance == nullptr || t.ship == nullptr) continue;
    m.ship = t.ship->name;
    absl::StatusOr<docker::DockerClient*> client = world_.ships->Client(t.ship->name);
    if (!client.ok()) continue;
    absl::StatusOr<std::optional<docker::ContainerInspect>> now =
        InspectOrAbsent(**client, t.instance->name);
    if (!now.ok() || !now->has_value() || !(*now)->state.running) continue;
    auto alive = [] { return true; };
    const std::string docker_health = DockerHealthOf(**now);
    if (UsesDockerHealth(*t.instance) && !docker_health.empty()) {
      // Docker's own verdict; `starting` is not healthy yet.
      m.health = docker_health == "healthy" ? MemberHealth::kHealthy : MemberHealth::kUnhealthy;
    } else {
      m.health =
          world_.checks
                  ->Run("running", WithChecks(*t.instance, "running", OnceChecks(*t.instance)),
                        *t.ship, **client, alive, none)
                  .ok()
              ? MemberHealth::kHealthy
              : MemberHealth::kUnhealthy;
    }
    if (m.health == MemberHealth::kHealthy && t.instance->role_probe) {
      m.leader = world_.checks
                     ->Run("role", WithChecks(*t.instance, "role", {*t.instance->role_probe}),
                           *t.ship, **client, alive, none)
                     .ok();
    }
  }
  for (size_t c : rows_) {
    const Target& t = run_.target(c);
    const std::string service = t.instance ? t.instance->service : "";
    Service*& r = by_service[service];
    if (r == nullptr) {
      services_.push_back(std::make_unique<Service>());
      r = services_.back().get();
      r->service = t.instance ? world_.env->FindService(service) : nullptr;
      r->policy = r->service ? policy_of_(*r->service) : model::UpdatePolicy{};
    }
    r->containers.push_back(c);
    service_of_[c] = r;
  }
  for (const auto& r : services_) {
    std::vector<RolloutMember> ms;
    for (size_t c : r->containers) ms.push_back(members[c]);
    const int size = r->service ? static_cast<int>(r->service->instances.size()) : 0;
    for (const std::vector<size_t>& batch : PlanBatches(ms, r->policy, size)) {
      std::vector<size_t> rows;
      for (size_t i : batch) {
        rows.push_back(r->containers[i]);
        r->batch_of[r->containers[i]] = r->batches.size();
      }
      r->batches.push_back(std::move(rows));
    }
    r->outstanding = r->containers.size();
  }
}

void Rollout::AddPrerequisites(NodeLists& pre, const std::function<size_t(size_t)>& pull_node,
                               const std::function<size_t(size_t)>& update_node) const {
  for (const auto& r : services_) {
    for (size_t b = 0; b < r->batches.size(); ++b) {
      for (size_t c : r->batches[b]) {
        const size_t node = update_node(c);
        if (pull_node) {
          for (size_t p : rows_) {
            if (!pre.Contains(node, pull_node(p))) pre.Add(node, pull_node(p));
          }
        }
        if (b == 0) continue;
        for (size_t p : r->batches[b - 1]) {
          if (!pre.Contains(node, update_node(p))) pre.Add(node, update_node(p));
        }
      }
    }
  }
}

absl::Status Rollout::Pull(size_t c, const CancellationToken& cancel) {
  const Service& r = *service_of_.at(c);
  const bool refresh = options_.refresh_images || refresh_.count(c) > 0;
  if (!r.policy.pull_before && !refresh) return absl::OkStatus();
  const Target& t = run_.target(c);
  if (t.instance == nullptr) return absl::OkStatus();  // the update node says why
  MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run_, t));
  if (!refresh) {
    if (pulls_.KnownPresent(t)) return absl::OkStatus();
    if (client->InspectImage(t.instance->image).ok()) {
      pulls_.MarkPresent(t);
      return absl::OkStatus();
    }
  }
  run_.sink().Pending(c, "pulling before the rollout...");
  absl::Status pulled = pulls_.Pull(run_, t, *client, cancel);
  if (!pulled.ok()) {
    return FailRow(run_, c, cancel.cancelled() ? "interrupted" : "pull failed!", pulled);
  }
  return absl::OkStatus();
}

std::string Rollout::Where(size_t c) const {
  const Service& r = *service_of_.at(c);
  return absl::StrCat("batch ", r.batch_of.at(c) + 1, " of ", r.batches.size(), " of ",
                      r.service ? r.service->name : "?");
}

// Waits until at least the policy's quorum of the other instances of the service pass their
// running checks (and, with a healthcheck, Docker calls them healthy), measured now. Called with
// r.quorum_mu held.
absl::Status Rollout::AwaitQuorum(Service& r, size_t c, const CancellationToken& cancel) {
  const model::Instance& self = *run_.target(c).instance;
  std::vector<const model::Instance*> others;
  for (const std::string& name : r.service->instances) {
    if (name == self.name) continue;
    if (const model::Instance* i = world_.env->FindInstance(name)) others.push_back(i);
  }
  int need = r.policy.RequiredQuorum(static_cast<int>(r.service->instances.size()));
  need = std::min<int>(need, static_cast<int>(others.size()));
  if (need <= 0) return absl::OkStatus();
  Clock& clock = *world_.clock;
  const absl::Time deadline = clock.Now() + absl::Seconds(r.policy.quorum_timeout);
  const int max_rounds = static_cast<int>(std::ceil(r.policy.quorum_timeout)) + 2;
  std::vector<std::string> down;
  int passing = 0;
  for (int round = 0; round < max_rounds; ++round) {
    down.clear();
    passing = 0;
    for (const model::Instance* o : others) {
      const model::Ship* ship = world_.env->FindShip(o->ship);
      absl::StatusOr<docker::DockerClient*> client = absl::NotFoundError(o->ship);
      if (ship != nullptr) client = world_.ships->Client(ship->name);
      bool ok = false;
      if (client.ok()) {
        ok = world_.checks
                 ->Run("running", *o, *ship, **client,
                       internal::RunningCondition(**client, o->name, true), cancel)
                 .ok();
        if (ok && UsesDockerHealth(*o)) {
          // Docker's own health, measured now as well.
          absl::StatusOr<docker::ContainerInspect> now = (*client)->InspectContainer(o->name);
          ok = now.ok() && DockerHealthOf(*now) == "healthy";
        }
      }
      if (ok) {
        ++passing;
      } else {
        down.push_back(o->name);
      }
    }
    if (passing >= need) return absl::OkStatus();
    if (cancel.cancelled() || clock.Now() >= deadline) break;
    run_.sink().Pending(c, absl::StrCat("waiting for quorum: ", passing, " of ", others.size(),
                                        " others pass (need ", need, "); down: ", Names(down)));
    if (!clock.SleepFor(absl::Seconds(1), cancel.flag())) break;
  }
  if (cancel.cancelled()) {
    return FailRow(run_, c, "interrupted", absl::CancelledError("interrupted waiting for quorum"));
  }
  return FailRow(
      run_, c, "no quorum",
      absl::UnavailableError(absl::StrCat(
          "quorum of ", r.service->name, " not met before taking ", self.name, " down: ", passing,
          " of the other ", others.size(), " instances pass their running checks (need ", need,
          ") after ", r.policy.quorum_timeout, "s; down: ", Names(down), "; left running")));
}

// Makes sure the new container keeps passing its running checks for `monitor`.
absl::Status Rollout::Monitor(Service& r, size_t c, docker::DockerClient& client,
                              const CancellationToken& cancel) {
  if (r.policy.monitor <= 0) return absl::OkStatus();
  const Target& t = run_.target(c);
  Clock& clock = *world_.clock;
  const absl::Time end = clock.Now() + absl::Seconds(r.policy.monitor);
  const int max_rounds = static_cast<int>(std::ceil(r.policy.monitor)) + 1;
  for (int round = 0; round < max_rounds && clock.Now() < end; ++round) {
    run_.sink().Pending(c, absl::StrCat("monitoring for ", r.policy.monitor, "s..."));
    if (!clock.SleepFor(std::min(absl::Seconds(1), end - clock.Now()), cancel.flag())) {
      return FailRow(run_, c, "interrupted", absl::CancelledError("interrupted while monitored"));
    }
    absl::Status ok =
        world_.checks->Run("running", *t.instance, *t.ship, client,
                           internal::RunningCondition(client, t.instance->name, true), cancel);
    if (ok.ok() && UsesDockerHealth(*t.instance)) {
      absl::StatusOr<docker::ContainerInspect> now = client.InspectContainer(t.instance->name);
      if (!now.ok()) {
        ok = now.status();
      } else if (const std::string health = DockerHealthOf(*now); health != "healthy") {
        const std::string output = LastHealthOutput(*now);
        ok = absl::UnavailableError(absl::StrCat("container ", t.instance->name, " is ",
                                                 health.empty() ? "of unknown health" : health,
                                                 output.empty() ? "" : ": ", output));
      }
    }
    if (!ok.ok()) {
      return FailRow(
          run_, c, "failed",
          absl::Status(ok.code(), absl::StrCat("failed while monitored: ", ok.message())));
    }
  }
  return absl::OkStatus();
}

// An instance with a healthcheck: waits until Docker calls the new container healthy (polled
// once a second within the healthcheck's own budget); `unhealthy` fails at once.
absl::Status Rollout::AwaitHealthy(size_t c, docker::DockerClient& client,
                                   const CancellationToken& cancel) {
  const model::Instance& inst = *run_.target(c).instance;
  if (!UsesDockerHealth(inst)) return absl::OkStatus();
  Clock& clock = *world_.clock;
  const double budget = HealthBudget(*inst.healthcheck);
  const absl::Time deadline = clock.Now() + absl::Seconds(budget);
  const int max_rounds = static_cast<int>(std::ceil(budget)) + 2;
  std::string health, output;
  for (int round = 0; round < max_rounds; ++round) {
    absl::StatusOr<docker::ContainerInspect> now = client.InspectContainer(inst.name);
    if (!now.ok()) return FailRow(run_, c, "failed", now.status());
    health = DockerHealthOf(*now);
    output = LastHealthOutput(*now);
    if (health == "healthy") return absl::OkStatus();
    if (health == "unhealthy" || health.empty()) break;
    if (cancel.cancelled() || clock.Now() >= deadline) break;
    run_.sink().Pending(c, absl::StrCat("waiting for Docker to call it healthy (", health, ")..."));
    if (!clock.SleepFor(absl::Seconds(1), cancel.flag())) break;
  }
  if (cancel.cancelled()) {
    return FailRow(run_, c, "interrupted", absl::CancelledError("interrupted waiting for health"));
  }
  return FailRow(
      run_, c, "unhealthy",
      absl::UnavailableError(absl::StrCat(
          "container ", inst.name, " is ", health.empty() ? "without Docker health" : health,
          health == "starting" ? absl::StrCat(" after ", budget, "s") : "",
          output.empty() ? "" : ": ", output)));
}

// Puts back the kept container of row `c`: the new one (never the kept one) is stopped and
// removed, the kept one renamed back and started. Returns what went wrong ("" when fine).
std::string Rollout::Restore(size_t c, const std::string& kept_id) {
  const Target& t = run_.target(c);
  absl::StatusOr<docker::DockerClient*> client = world_.ships->Client(t.ship->name);
  if (!client.ok()) return std::string(client.status().message());
  absl::StatusOr<std::optional<docker::ContainerInspect>> now =
      InspectOrAbsent(**client, t.instance->name);
  if (!now.ok()) return std::string(now.status().message());
  if (now->has_value() && (*now)->id != kept_id) {
    if ((*now)->state.running) {
      absl::Status stopped = (*client)->StopContainer((*now)->id, t.instance->stop_timeout);
      if (!stopped.ok()) return absl::StrCat("stop of the new container: ", stopped.message());
    }
    docker::RemoveContainerOptions remove;
    absl::Status removed = (*client)->RemoveContainer((*now)->id, remove);
    if (!removed.ok() && !absl::IsNotFound(removed)) {
      return absl::StrCat("removal of the new container: ", removed.message());
    }
  }
  absl::Status renamed = (*client)->RenameContainer(kept_id, t.instance->name);
  if (!renamed.ok()) return absl::StrCat("rename back: ", renamed.message());
  absl::Status started = (*client)->StartContainer(kept_id);
  if (!started.ok()) return absl::StrCat("start of the previous container: ", started.message());
  absl::Status delivered = Redeliver(**client, kept_id, *t.instance);
  if (!delivered.ok()) return std::string(delivered.message());
  return "";
}

// A container with secrets starts again with empty tmpfs mounts and its wrapped entrypoint
// waits for them (docs/environment.md#secrets): they are delivered again.
absl::Status Rollout::Redeliver(docker::DockerClient& client, const std::string& id,
                                const model::Instance& inst) {
  if (inst.secrets.empty()) return absl::OkStatus();
  return DeliverSecrets(client, id, *world_.env, inst, *world_.clock, nullptr);
}

// Rolls back every row of `r` that this rollout replaced and that is not rolled back yet.
// Called with r.mu held. Returns a summary for the message.
std::string Rollout::RollBackLocked(Service& r) {
  std::vector<std::string> back, failed;
  for (auto it = r.kept.begin(); it != r.kept.end();) {
    const size_t c = it->first;
    const bool finished = r.updated.count(c) > 0 || r.failed_rows.count(c) > 0;
    if (!finished) {
      ++it;  // still in flight: it rolls itself back when it ends
      continue;
    }
    std::string problem = Restore(c, it->second);
    if (problem.empty()) {
      back.push_back(NameOf(c));
    } else {
      failed.push_back(
          absl::StrCat(NameOf(c), " (", problem, "; kept as ", NameOf(c), kPreviousSuffix, ")"));
    }
    r.updated.erase(c);
    it = r.kept.erase(it);
  }
  // A rollback play undoes its own changes: they go back to the spec they had before it.
  std::string out = absl::StrCat(
      Noun() == std::string("rollback") ? "put back as before this rollback: " : "rolled back: ",
      Names(back));
  if (!failed.empty()) absl::StrAppend(&out, "; could not roll back: ", Names(failed));
  return out;
}

// One row's update ended: success (`error` ok) or failure; applies the failure action and,
// for the last row of a successful rollback-policy rollout, removes the kept containers.
absl::Status Rollout::Finish(Service& r, size_t c, size_t node, Scheduler& scheduler,
                             absl::Status error) {
  std::lock_guard<std::mutex> lock(r.mu);
  --r.outstanding;
  const bool rollback = r.policy.failure == model::UpdatePolicy::Failure::kRollback;
  if (error.ok() && rollback && !r.rolling_back_because.empty() && r.kept.count(c) > 0) {
    // A sibling of this batch failed meanwhile: this one goes back too.
    r.updated.insert(c);
    std::string what = RollBackLocked(r);
    run_.sink().Note(c, absl::StrCat("(", what, ")"), Tone::kBad);
    return absl::AbortedError(
        absl::StrCat(Noun() == std::string("rollback") ? "put back" : "rolled back", " because ",
                     r.rolling_back_because, " failed; ", what));
  }
  if (error.ok()) {
    r.updated.insert(c);
    if (rollback && r.outstanding == 0 && !r.failed) {
      // The whole service is proven: the kept containers go (only those we renamed).
      for (const auto& [row, id] : r.kept) {
        const Target& t = run_.target(row);
        absl::StatusOr<docker::DockerClient*> client = world_.ships->Client(t.ship->name);
        docker::RemoveContainerOptions remove;
        remove.volumes = true;  // as a recreate does; never force
        absl::Status removed =
            client.ok() ? (*client)->RemoveContainer(id, remove) : client.status();
        if (!removed.ok() && !absl::IsNotFound(removed)) {
          run_.sink().Note(
              c, absl::StrCat("(kept ", NameOf(row), kPreviousSuffix, ": ", removed.message(), ")"),
              Tone::kInfo);
        }
      }
      r.kept.clear();
    }
    return absl::OkStatus();
  }
  r.failed = true;
  switch (r.policy.failure) {
    case model::UpdatePolicy::Failure::kPause:
      return absl::Status(error.code(), absl::StrCat(error.message(), "; ", Noun(), " paused at ",
                                                     NameOf(c), " (", Where(c), ")"));
    case model::UpdatePolicy::Failure::kContinue:
      scheduler.Release(node);  // the next batch goes on regardless
      return error;
    case model::UpdatePolicy::Failure::kRollback: {
      if (r.rolling_back_because.empty()) r.rolling_back_because = NameOf(c);
      r.failed_rows.insert(c);
      std::string what = RollBackLocked(r);
      run_.sink().Note(c, absl::StrCat("(", what, ")"), Tone::kBad);
      return absl::Status(error.code(), absl::StrCat(error.message(), "; ", what));
    }
  }
  return error;
}

// restart --only-if-changed: a running container that matches the file is left alone (the
// returned status ends its row); nullopt when it is to be updated.
std::optional<absl::Status> Rollout::LeaveIfUnchanged(size_t c, docker::DockerClient& client) {
  const Target& t = run_.target(c);
  run_.sink().Pending(c, "checking for changes...");
  absl::StatusOr<std::optional<docker::ContainerInspect>> existing =
      InspectOrAbsent(client, t.instance->name);
  if (!existing.ok()) return FailRow(run_, c, "failed", existing.status());
  if (!existing->has_value() || !(*existing)->state.running) return std::nullopt;
  std::optional<docker::ImageInspect> image;
  absl::StatusOr<docker::ImageInspect> got = client.InspectImage(t.instance->image);
  if (got.ok()) image = *got;
  std::vector<spec::Difference> diffs = spec::Diff(*t.instance, *t.ship, **existing, image);
  if (!diffs.empty()) {
    std::vector<std::string> reasons;
    for (const spec::Difference& d : diffs) reasons.push_back(d.ToString());
    run_.sink().Pending(c, absl::StrCat("changed: ", absl::StrJoin(reasons, "; ")));
    return std::nullopt;
  }
  run_.sink().Container(c, internal::TagAndId((*existing)->config_image, (*existing)->id),
                        Tone::kNeutral);
  run_.sink().State(c, "up to date", Tone::kInfo);
  run_.slot(c).summary = "unchanged";
  return absl::OkStatus();
}

absl::Status Rollout::DelayQuorumAndStop(size_t c, const CancellationToken& cancel) {
  Service& r = *service_of_.at(c);
  const Target& t = run_.target(c);
  Clock& clock = *world_.clock;
  const size_t batch = r.batch_of.at(c);
  if (batch > 0 && r.policy.delay > 0) {
    run_.sink().Pending(c, absl::StrCat("waiting ", r.policy.delay, "s before ", Where(c), "..."));
    if (!clock.SleepFor(absl::Seconds(r.policy.delay), cancel.flag())) {
      return FailRow(run_, c, "interrupted",
                     absl::CancelledError("interrupted before it was stopped"));
    }
  }
  std::unique_lock<std::mutex> quorum(r.quorum_mu, std::defer_lock);
  if (r.service != nullptr && r.policy.RequiredQuorum(1) > 0) {
    quorum.lock();
    run_.sink().Pending(c, "measuring quorum...");
    MAESTRO_RETURN_IF_ERROR(AwaitQuorum(r, c, cancel));
  }
  return internal::StopOne(run_, t, StopKind::kStop, cancel, nullptr);
}

absl::Status Rollout::Update(size_t c, size_t node, Scheduler& scheduler,
                             const CancellationToken& cancel) {
  Service& r = *service_of_.at(c);
  const Target& t = run_.target(c);
  MAESTRO_ASSIGN_OR_RETURN(docker::DockerClient * client, ClientFor(run_, t));
  Clock& clock = *world_.clock;
  if (options_.only_if_changed) {
    std::optional<absl::Status> unchanged = LeaveIfUnchanged(c, *client);
    if (unchanged) return Finish(r, c, node, scheduler, *unchanged);
  }
  const bool rollback = r.policy.failure == model::UpdatePolicy::Failure::kRollback;
  if (absl::Status stopped = DelayQuorumAndStop(c, cancel); !stopped.ok()) {
    return Finish(r, c, node, scheduler, stopped);
  }
  if (options_.stop_start_delay > 0) {
    run_.sink().Pending(
        c, absl::StrCat("waiting ", options_.stop_start_delay, "s before starting..."));
    clock.SleepFor(absl::Seconds(options_.stop_start_delay), cancel.flag());
  }
  if (rollback) {
    absl::StatusOr<std::optional<docker::ContainerInspect>> old =
        InspectOrAbsent(*client, t.instance->name);
    if (!old.ok()) return Finish(r, c, node, scheduler, FailRow(run_, c, "failed", old.status()));
    if (old->has_value()) {
      if (absl::Status kept = KeepReplaced(c, *client, **old); !kept.ok()) {
        return Finish(r, c, node, scheduler, kept);
      }
      // Its spec becomes the new container's previous one (spec::kPreviousSpecLabel).
      run_.slot(c).replaced = std::make_unique<docker::ContainerInspect>(**old);
    }
  }
  StartFlags flags{refresh_.count(c) > 0 && !r.policy.pull_before, false};
  absl::Status started = internal::StartOne(run_, t, flags, pulls_, cancel);
  if (started.ok()) started = AwaitHealthy(c, *client, cancel);
  if (started.ok()) started = Monitor(r, c, *client, cancel);
  if (started.ok()) {
    run_.slot(c).summary = absl::StrCat("updated (", Where(c), ")");
  }
  return Finish(r, c, node, scheduler, started);
}

}  // namespace internal

namespace {

using internal::Rollout;

// `restart` under a policy: node 2i makes sure container i's image is there, node 2i+1 updates
// it (Rollout), after the containers it depends on.
class RolloutPlay {
 public:
  RolloutPlay(const PlayWorld& world, const std::vector<std::string>& containers,
              const PlayOptions& options)
      : world_(world),
        options_(options),
        run_(world, "restart", containers, false),
        names_(containers),
        rollout_(
            run_, pulls_, options,
            [options](const model::Service& s) { return EffectivePolicy(s, options); },
            internal::Identity(containers.size())) {}

  PlayReport Run(Scheduler& scheduler) {
    run_.EnableTimings();
    const size_t n = names_.size();
    rollout_.Survey();
    NodeLists pre(2 * n);
    std::vector<size_t> node_to_container(2 * n);
    for (size_t i = 0; i < 2 * n; ++i) node_to_container[i] = i / 2;
    rollout_.AddPrerequisites(
        pre, [](size_t c) { return 2 * c; }, [](size_t c) { return 2 * c + 1; });
    if (!options_.ignore_dependencies) {
      const NodeLists deps = internal::Prerequisites(*world_.env, names_, /*forward=*/true);
      for (size_t i = 0; i < n; ++i)
        deps.ForEach(i, [&](size_t d) {
          if (!pre.Contains(2 * i + 1, 2 * d + 1)) pre.Add(2 * i + 1, 2 * d + 1);
        });
    }
    return run_.Run(std::move(pre), node_to_container, scheduler,
                    [&](size_t node, const CancellationToken& cancel) {
                      return node % 2 == 0 ? rollout_.Pull(node / 2, cancel)
                                           : rollout_.Update(node / 2, node, scheduler, cancel);
                    });
  }

 private:
  const PlayWorld& world_;
  const PlayOptions options_;
  PlayRunner run_;
  PullOnce pulls_;
  std::vector<std::string> names_;
  Rollout rollout_;
};

}  // namespace

PlayReport RunRollingRestart(const PlayWorld& world, const std::vector<std::string>& containers,
                             const PlayOptions& options, Scheduler& scheduler) {
  RolloutPlay play(world, containers, options);
  return play.Run(scheduler);
}

}  // namespace maestro::plays
