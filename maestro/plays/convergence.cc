#include "maestro/plays/convergence.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "maestro/docker/short_id.h"
#include "maestro/graph/graph.h"
#include "maestro/model/env_contract.h"
#include "maestro/plays/rollout_batches.h"
#include "maestro/spec/container_spec.h"
#include "maestro/spec/drift.h"

namespace maestro::plays {

std::string ShortDigest(absl::string_view digest) {
  return absl::StrCat("sha256:", docker::ShortId(digest));
}

namespace {

struct ActionName {
  ConvergeAction action;
  const char* name;
};
constexpr ActionName kActionNames[] = {
    {ConvergeAction::kNone, "none"},         {ConvergeAction::kCreate, "create"},
    {ConvergeAction::kRecreate, "recreate"}, {ConvergeAction::kStart, "start"},
    {ConvergeAction::kOrphan, "orphan"},     {ConvergeAction::kUnknown, "unknown"},
};

bool IsRunningState(const std::string& state) {
  return state == "running" || state == "restarting" || state == "paused";
}

// One host port a container wants or holds.
struct PortClaim {
  std::string protocol;
  int port = 0;
  std::string ip;
  std::string holder;
};

bool Wildcard(const std::string& ip) { return ip.empty() || ip == "0.0.0.0" || ip == "::"; }
bool Overlap(const std::string& a, const std::string& b) {
  return a == b || Wildcard(a) || Wildcard(b);
}

// The fixed host ports `instance` binds (container_spec.h's mapping rules). A single exposed
// port to an external range lets the daemon pick one: no fixed claim.
std::vector<PortClaim> WantedPorts(const model::Instance& instance) {
  std::vector<PortClaim> out;
  for (const model::Port& p : instance.ports) {
    if (p.external.is_range() && !p.exposed.is_range()) continue;
    int count = p.exposed.last - p.exposed.first + 1;
    for (int i = 0; i < count && i < 65536; ++i) {
      out.push_back({p.external.protocol, p.external.first + i, p.host_ip, instance.name});
    }
  }
  return out;
}

// The containers `inst` depends on (directly or not) whose link variables (their host and
// ports, docs/guest.md) are among the env differences: `inst` is recreated because of them.
std::vector<std::string> LinkSources(const model::Environment& env, const model::Instance& inst,
                                     const std::vector<spec::Difference>& diffs) {
  std::set<std::string> changed;  // the differing variable names
  for (const spec::Difference& d : diffs) {
    if (d.what != "env") continue;
    for (absl::string_view part : absl::StrSplit(d.detail, "; ")) {
      changed.insert(std::string(part.substr(0, part.find(' '))));
    }
  }
  std::vector<std::string> out;
  if (changed.empty()) return out;
  for (const std::string& name : graph::ContainerClosure(env, inst.name, /*forward=*/true)) {
    const model::Instance* dep = env.FindInstance(name);
    if (dep == nullptr || dep->name == inst.name) continue;
    bool hit = changed.count(env_contract::HostVar(dep->service, dep->name)) > 0;
    for (const model::Port& port : dep->ports) {
      hit = hit || changed.count(env_contract::PortVar(dep->service, dep->name, port.name)) ||
            changed.count(env_contract::InternalPortVar(dep->service, dep->name, port.name));
    }
    if (hit) out.push_back(dep->name);
  }
  return out;
}

class Planner {
 public:
  Planner(const model::Environment& env, const std::map<std::string, ShipLive>& live)
      : env_(env), live_(live) {}

  ConvergencePlan Run(const std::vector<std::string>& containers, const PlanScope& scope) {
    plan_.environment = env_.name;
    plan_.scope = scope;
    if (auto cycle = graph::FindContainerCycle(env_)) {
      Problem("", "", absl::StrCat("dependency cycle: ", graph::FormatCycle(*cycle)));
    }
    std::set<std::string> ships;
    for (const std::string& name : containers) {
      const model::Instance* inst = env_.FindInstance(name);
      if (inst == nullptr) {
        Problem("", name, absl::StrCat(name, " is not a container of this environment"));
        continue;
      }
      ships.insert(inst->ship);
    }
    for (const std::string& ship : ships) {
      checked_ships_.insert(ship);
      CheckShip(ship);
    }
    for (const std::string& name : containers) {
      if (const model::Instance* inst = env_.FindInstance(name)) PlanInstance(*inst);
    }
    if (scope.orphans) {
      std::set<std::string> orphan_ships = ships;
      orphan_ships.insert(scope.orphan_ships.begin(), scope.orphan_ships.end());
      for (const std::string& ship : orphan_ships) FindOrphans(ship);
    }
    for (const std::string& ship : ships) CheckVolumesFrom(ship);
    for (const std::string& ship : ships) CheckPorts(ship);
    PlanRolling();
    for (auto& [ship, fp] : plan_.fingerprint) {
      std::sort(fp.containers.begin(), fp.containers.end(),
                [](const SeenContainer& a, const SeenContainer& b) { return a.name < b.name; });
    }
    return std::move(plan_);
  }

 private:
  // How each re-create that rolls goes (PlannedRolling): per service, the batches of its
  // policy over the containers that roll, in plan order, every running one taken as healthy.
  void PlanRolling() {
    std::map<std::string, std::vector<size_t>> by_service;  // service -> plan indices
    for (size_t i = 0; i < plan_.containers.size(); ++i) {
      if (!RollsUnderPolicy(env_, plan_.containers[i])) continue;
      by_service[env_.FindInstance(plan_.containers[i].name)->service].push_back(i);
    }
    for (const auto& [name, rows] : by_service) {
      const model::Service& service = *env_.FindService(name);
      const model::UpdatePolicy& policy = *service.update;
      const int size = static_cast<int>(service.instances.size());
      bool role = false;
      std::vector<RolloutMember> members;
      for (size_t i : rows) {
        const model::Instance& inst = *env_.FindInstance(plan_.containers[i].name);
        role = role || inst.role_probe.has_value();
        members.push_back({inst.name, inst.ship, MemberHealth::kHealthy, false});
      }
      PlannedRolling rolling;
      rolling.how = DescribeRolling(policy, size, role);
      rolling.batch_size = policy.BatchSize(std::max(size, static_cast<int>(rows.size())));
      rolling.per_ship = policy.per_ship;
      rolling.quorum = policy.RequiredQuorum(size);
      rolling.leader_last = role;
      rolling.failure = model::UpdateFailureName(policy.failure);
      rolling.delay = policy.delay;
      rolling.monitor = policy.monitor;
      for (size_t i : rows) plan_.containers[i].rolling = rolling;
      if (role) continue;  // which one leads is known only at the rollout
      const std::vector<std::vector<size_t>> batches = PlanBatches(members, policy, size);
      for (size_t b = 0; b < batches.size(); ++b) {
        for (size_t m : batches[b]) {
          plan_.containers[rows[m]].rolling->batch = static_cast<int>(b + 1);
          plan_.containers[rows[m]].rolling->batches = static_cast<int>(batches.size());
        }
      }
    }
  }

  void Problem(std::string ship, std::string container, std::string message) {
    plan_.problems.push_back({std::move(ship), std::move(container), std::move(message)});
  }

  // The ship's live state when it can be used, else null (the problem is recorded once).
  const ShipLive* Live(const std::string& ship) {
    auto it = live_.find(ship);
    if (it == live_.end() || !it->second.reachable.ok()) return nullptr;
    return &it->second;
  }

  void CheckShip(const std::string& ship) {
    auto it = live_.find(ship);
    if (it == live_.end()) {
      Problem(ship, "", absl::StrCat(ship, ": the ship was not asked"));
      return;
    }
    if (!it->second.reachable.ok()) {
      Problem(ship, "", std::string(it->second.reachable.message()));
      return;
    }
    plan_.fingerprint[ship];  // even a ship with nothing on it has a (empty) fingerprint
    for (const std::string& problem : it->second.resource_problems) Problem(ship, "", problem);
    std::map<std::string, const docker::ContainerSummary*>& by_name = by_name_[ship];
    for (const docker::ContainerSummary& c : it->second.containers) {
      std::string name = docker::SummaryName(c);
      if (!name.empty()) by_name[name] = &c;
    }
  }

  const docker::ContainerSummary* Find(const std::string& ship, const std::string& name) {
    auto s = by_name_.find(ship);
    if (s == by_name_.end()) return nullptr;
    auto c = s->second.find(name);
    return c == s->second.end() ? nullptr : c->second;
  }

  void See(const std::string& ship, const std::string& name, const docker::ContainerSummary* c) {
    SeenContainer seen{name, "", "absent", ""};
    if (c != nullptr) seen = {name, c->id, c->state, c->image_id};
    plan_.fingerprint[ship].containers.push_back(std::move(seen));
  }

  void PlanInstance(const model::Instance& inst) {
    PlannedContainer pc;
    pc.name = inst.name;
    pc.ship = inst.ship;
    pc.service = inst.service;
    pc.image = inst.image;
    const model::Ship* ship = env_.FindShip(inst.ship);
    if (ship != nullptr) pc.spec_hash = spec::SpecHash(inst, *ship);
    const ShipLive* live = Live(inst.ship);
    if (ship == nullptr || live == nullptr) {
      pc.action = ConvergeAction::kUnknown;
      pc.state = "unknown";
      pc.reasons.push_back(absl::StrCat("ship ", inst.ship, " could not be asked"));
      plan_.containers.push_back(std::move(pc));
      return;
    }
    // The configured image on this ship.
    std::optional<docker::ImageInspect> image;
    auto img = live->images.find(inst.image);
    if (img != live->images.end()) {
      std::string& fp = plan_.fingerprint[inst.ship].images[inst.image];
      if (img->second.ok()) {
        image = *img->second;
        fp = image->id;
      } else if (absl::IsNotFound(img->second.status())) {
        CheckAbsentImage(inst, *live, pc);
      } else if (reported_images_.insert({inst.ship, inst.image}).second) {
        Problem(inst.ship, inst.name,
                absl::StrCat("cannot inspect image ", inst.image, ": ",
                             img->second.status().message()));
      }
    }
    if (auto reg = live->registry.find(inst.image);
        reg != live->registry.end() && reg->second.skipped.empty() && reg->second.answer.ok()) {
      plan_.fingerprint[inst.ship].registry[inst.image] = reg->second.answer->digest;
    }
    // --refresh: the digest the registry has for the tag now, when it differs from the one
    // the ship's image was pulled as.
    std::optional<std::string> moved;
    if (image) moved = RegistryDigestMoved(inst, *live, *image, pc);
    const docker::ContainerSummary* c = Find(inst.ship, inst.name);
    See(inst.ship, inst.name, c);
    if (c == nullptr) {
      pc.action = ConvergeAction::kCreate;
      pc.state = "absent";
      pc.reasons.push_back(absl::StrCat("no container ", inst.name, " on ", inst.ship));
      if (moved) pc.notes.push_back(absl::StrCat(*moved, " in the registry: pulled first"));
      plan_.containers.push_back(std::move(pc));
      return;
    }
    pc.container_id = c->id;
    pc.state = c->state;
    if (c->state == "dead" || c->state == "removing") {
      pc.action = ConvergeAction::kRecreate;
      pc.reasons.push_back(absl::StrCat("the container is ", c->state));
      plan_.containers.push_back(std::move(pc));
      return;
    }
    docker::ContainerInspect actual;
    if (NeedsInspect(inst, *ship, *c)) {
      auto it = live->inspected.find(inst.name);
      if (it == live->inspected.end() || !it->second.ok()) {
        std::string why = it == live->inspected.end() ? std::string("it was not inspected")
                                                      : std::string(it->second.status().message());
        pc.action = ConvergeAction::kUnknown;
        pc.reasons.push_back(absl::StrCat("cannot compare: ", why));
        Problem(inst.ship, inst.name, absl::StrCat("cannot inspect ", inst.name, ": ", why));
        plan_.containers.push_back(std::move(pc));
        return;
      }
      actual = *it->second;
    } else {
      // The spec-hash label settles the configuration; only the image id is left to compare.
      actual.id = c->id;
      actual.image_id = c->image_id;
      actual.config_image = inst.image;
      actual.labels = c->labels;
    }
    std::vector<spec::Difference> diffs = spec::Diff(inst, *ship, actual, image);
    if (moved) pc.reasons.push_back(*moved);  // the registry moved the tag on: pull, recreate
    if (!diffs.empty() || !pc.reasons.empty()) {
      pc.action = ConvergeAction::kRecreate;
      for (const spec::Difference& d : diffs) pc.reasons.push_back(d.ToString());
      for (const std::string& from : LinkSources(env_, inst, diffs)) {
        pc.reasons.push_back(absl::StrCat("link variables from ", from, " changed"));
      }
    } else if (IsRunningState(c->state)) {
      pc.action = ConvergeAction::kNone;
      if (c->state != "running") pc.notes.push_back(absl::StrCat("the container is ", c->state));
    } else {
      pc.action = ConvergeAction::kStart;
      pc.reasons.push_back(c->state == "created"
                               ? std::string("created but never started, unchanged")
                               : absl::StrCat("stopped (", c->state, "), unchanged"));
    }
    plan_.containers.push_back(std::move(pc));
  }

  // An image absent from its ship: what its registry said (ShipLive::registry).
  void CheckAbsentImage(const model::Instance& inst, const ShipLive& live, PlannedContainer& pc) {
    auto reg = live.registry.find(inst.image);
    if (reg == live.registry.end()) {
      pc.notes.push_back(
          absl::StrCat("image ", inst.image, " is not on ", inst.ship, ": it will be pulled"));
      return;
    }
    const ShipLive::RegistryAnswer& r = reg->second;
    if (!r.skipped.empty()) {
      pc.notes.push_back(absl::StrCat("image ", inst.image, " is not on ", inst.ship,
                                      ": it will be pulled (registry ", r.registry,
                                      " not checked: ", r.skipped, ")"));
      return;
    }
    const bool first = reported_images_.insert({inst.ship, inst.image}).second;
    if (!r.answer.ok()) {
      if (!first) return;
      if (absl::IsNotFound(r.answer.status())) {
        Problem(
            inst.ship, inst.name,
            absl::StrCat("image ", inst.image, " is neither on ", inst.ship, " nor in registry ",
                         r.registry, " (", RegistryError(r.answer.status()), ")"));
      } else {
        Problem(inst.ship, inst.name,
                absl::StrCat("cannot check image ", inst.image, " in registry ", r.registry,
                             " for ", inst.ship, ": ", RegistryError(r.answer.status())));
      }
      return;
    }
    if (std::optional<std::string> missing = MissingPlatform(inst.ship, live, *r.answer)) {
      if (first) {
        Problem(
            inst.ship, inst.name,
            absl::StrCat("image ", inst.image, " in registry ", r.registry, " has no ", *missing));
      }
      return;
    }
    pc.notes.push_back(absl::StrCat("image ", inst.image, " is not on ", inst.ship,
                                    ": it will be pulled from ", r.registry, " (",
                                    ShortDigest(r.answer->digest), ")"));
  }

  // "manifest unknown: manifest unknown" out of "ship1 (unix://...): GET /...: 404 Not
  // Found: manifest unknown: manifest unknown": the daemon's words, without the call.
  static std::string RegistryError(const absl::Status& status) {
    absl::string_view m = status.message();
    size_t call = m.find(": GET /distribution/");
    if (call != absl::string_view::npos) {
      m = m.substr(call + 2);
      size_t json = m.find("/json: ");
      if (json != absl::string_view::npos) m = m.substr(json + 7);
    }
    return std::string(m);
  }

  // "manifest for linux/arm64 (the platform of ship2; it has linux/amd64)" when the ship's
  // platform is not among the registry's; nullopt when it is, or nothing says.
  std::optional<std::string> MissingPlatform(const std::string& ship, const ShipLive& live,
                                             const docker::DistributionInspect& d) {
    if (d.platforms.empty() || !live.version || !live.version->ok()) return std::nullopt;
    const docker::VersionInfo& v = **live.version;
    if (v.arch.empty()) return std::nullopt;
    std::string want_arch = docker::NormalizeArchitecture(v.arch);
    std::string want_os = absl::AsciiStrToLower(v.os);
    std::vector<std::string> have;
    for (const docker::Platform& p : d.platforms) {
      std::string arch = docker::NormalizeArchitecture(p.architecture);
      std::string os = absl::AsciiStrToLower(p.os);
      if (arch == want_arch && (os.empty() || want_os.empty() || os == want_os)) {
        return std::nullopt;
      }
      have.push_back(absl::StrCat(os, "/", arch, p.variant.empty() ? "" : "/", p.variant));
    }
    return absl::StrCat("manifest for ", want_os, "/", want_arch, " (the platform of ", ship,
                        "; it has ", absl::StrJoin(have, ", "), ")");
  }

  // --refresh, for an image the ship has: the recreate reason when the registry's digest of
  // the tag differs from the one the image was pulled as (and pc.pull set); nullopt when equal
  // or not asked. Problems and notes for answers that cannot be compared.
  std::optional<std::string> RegistryDigestMoved(const model::Instance& inst, const ShipLive& live,
                                                 const docker::ImageInspect& image,
                                                 PlannedContainer& pc) {
    auto reg = live.registry.find(inst.image);
    if (reg == live.registry.end()) return std::nullopt;
    const ShipLive::RegistryAnswer& r = reg->second;
    if (!r.skipped.empty()) {
      pc.notes.push_back(
          absl::StrCat("registry ", r.registry, " not checked for ", inst.image, ": ", r.skipped));
      return std::nullopt;
    }
    if (!r.answer.ok()) {
      if (reported_images_.insert({inst.ship, inst.image}).second) {
        Problem(inst.ship, inst.name,
                absl::StrCat("cannot check image ", inst.image, " in registry ", r.registry,
                             " for ", inst.ship, ": ", RegistryError(r.answer.status())));
      }
      return std::nullopt;
    }
    std::string prefix = absl::StrCat(inst.image_details.repository, "@");
    std::string pulled_as;
    for (const std::string& d : image.repo_digests) {
      if (absl::StartsWith(d, prefix)) pulled_as = d.substr(prefix.size());
    }
    if (pulled_as.empty()) {
      pc.notes.push_back(absl::StrCat("image ", inst.image, " on ", inst.ship,
                                      " was not pulled from ", r.registry,
                                      " (no digest): not compared with the registry's"));
      return std::nullopt;
    }
    if (pulled_as == r.answer->digest) return std::nullopt;
    pc.pull = true;
    return absl::StrCat("image digest ", ShortDigest(pulled_as), " -> ",
                        ShortDigest(r.answer->digest));
  }

  void FindOrphans(const std::string& ship) {
    if (!by_name_.count(ship)) {
      // A ship searched only for orphans: checked (and a problem reported) here.
      if (checked_ships_.insert(ship).second) CheckShip(ship);
    }
    const ShipLive* live = Live(ship);
    if (live == nullptr) return;
    std::vector<PlannedContainer> orphans;
    for (const docker::ContainerSummary& c : live->containers) {
      auto env_label = c.labels.find(spec::kEnvironmentLabel);
      if (env_label == c.labels.end() || env_label->second != env_.name) continue;
      std::string name = docker::SummaryName(c);
      auto instance_label = c.labels.find(spec::kInstanceLabel);
      const std::string& instance =
          instance_label != c.labels.end() ? instance_label->second : name;
      const model::Instance* inst = env_.FindInstance(instance);
      if (inst != nullptr && inst->ship == ship && inst->name == name) continue;
      PlannedContainer pc;
      pc.name = name;
      pc.ship = ship;
      auto service = c.labels.find(spec::kServiceLabel);
      if (service != c.labels.end()) pc.service = service->second;
      pc.image = c.image;
      pc.action = ConvergeAction::kOrphan;
      pc.container_id = c.id;
      pc.state = c.state;
      if (inst == nullptr) {
        pc.reasons.push_back(
            absl::StrCat("instance ", instance, " is no longer in the environment"));
      } else {
        pc.reasons.push_back(
            absl::StrCat("instance ", instance, " is now ",
                         inst->name == name ? "on ship " + inst->ship : "named " + inst->name));
      }
      See(ship, name, &c);
      orphans.push_back(std::move(pc));
    }
    std::sort(orphans.begin(), orphans.end(),
              [](const PlannedContainer& a, const PlannedContainer& b) { return a.name < b.name; });
    for (PlannedContainer& o : orphans) {
      orphan_names_[ship].insert(o.name);
      plan_.containers.push_back(std::move(o));
    }
  }

  // Whether `name` will exist on `ship` after the plan: planned (and not unknown), or already
  // there and not an orphan about to be removed.
  bool WillExist(const std::string& ship, const std::string& name) {
    for (const PlannedContainer& pc : plan_.containers) {
      if (pc.name == name && pc.ship == ship) return pc.action != ConvergeAction::kOrphan;
    }
    return Find(ship, name) != nullptr;
  }

  void CheckVolumesFrom(const std::string& ship) {
    if (Live(ship) == nullptr) return;
    for (const PlannedContainer& pc : plan_.containers) {
      if (pc.ship != ship || pc.action == ConvergeAction::kOrphan ||
          pc.action == ConvergeAction::kNone || pc.action == ConvergeAction::kUnknown) {
        continue;
      }
      const model::Instance* inst = env_.FindInstance(pc.name);
      if (inst == nullptr) continue;
      for (const std::string& from : inst->volumes_from) {
        if (WillExist(ship, from)) continue;
        Problem(ship, pc.name,
                absl::StrCat(pc.name, " takes volumes_from ", from, ", which is not on ", ship,
                             " and not in this plan"));
      }
    }
  }

  void CheckPorts(const std::string& ship) {
    const ShipLive* live = Live(ship);
    if (live == nullptr) return;
    std::vector<PortClaim> wanted;
    std::set<std::string> planned_here;
    for (const PlannedContainer& pc : plan_.containers) {
      if (pc.ship != ship || pc.action == ConvergeAction::kOrphan) continue;
      planned_here.insert(pc.name);
      const model::Instance* inst = env_.FindInstance(pc.name);
      if (inst == nullptr) continue;
      for (PortClaim& claim : WantedPorts(*inst)) wanted.push_back(std::move(claim));
    }
    auto key = [](const PortClaim& c) { return std::tie(c.protocol, c.port, c.holder); };
    std::sort(wanted.begin(), wanted.end(),
              [&](const PortClaim& a, const PortClaim& b) { return key(a) < key(b); });
    std::set<std::tuple<std::string, int, std::string, std::string>> reported;
    for (size_t i = 0; i < wanted.size(); ++i) {
      for (size_t j = i + 1; j < wanted.size(); ++j) {
        const PortClaim& a = wanted[i];
        const PortClaim& b = wanted[j];
        if (a.protocol != b.protocol || a.port != b.port) break;
        if (a.holder == b.holder || !Overlap(a.ip, b.ip)) continue;
        if (!reported.insert({a.protocol, a.port, a.holder, b.holder}).second) continue;
        Problem(ship, a.holder,
                absl::StrCat("host port ", a.port, "/", a.protocol, " on ", ship,
                             " is wanted by both ", a.holder, " and ", b.holder));
      }
    }
    const std::set<std::string>& orphans = orphan_names_[ship];
    for (const docker::ContainerSummary& c : live->containers) {
      if (!IsRunningState(c.state)) continue;
      std::string name = docker::SummaryName(c);
      if (planned_here.count(name)) continue;
      for (const docker::SummaryPort& held : c.ports) {
        if (held.public_port <= 0) continue;
        std::string protocol = held.type.empty() ? "tcp" : held.type;
        for (const PortClaim& want : wanted) {
          if (want.protocol != protocol || want.port != held.public_port ||
              !Overlap(want.ip, held.ip)) {
            continue;
          }
          if (!reported.insert({protocol, want.port, want.holder, name}).second) continue;
          Problem(ship, want.holder,
                  absl::StrCat("host port ", want.port, "/", protocol, " on ", ship, " wanted by ",
                               want.holder, " is held by ",
                               orphans.count(name) ? "orphan " : "running container ", name,
                               orphans.count(name) ? "" : " (not in this plan)"));
        }
      }
    }
  }

  const model::Environment& env_;
  const std::map<std::string, ShipLive>& live_;
  ConvergencePlan plan_;
  std::map<std::string, std::map<std::string, const docker::ContainerSummary*>> by_name_;
  std::map<std::string, std::set<std::string>> orphan_names_;
  std::set<std::pair<std::string, std::string>> reported_images_;
  std::set<std::string> checked_ships_;
};

}  // namespace

bool RollsUnderPolicy(const model::Environment& env, const PlannedContainer& pc) {
  return pc.action == ConvergeAction::kRecreate && pc.state == "running" &&
         UpdatePolicyOf(env, pc.name) != nullptr;
}

const char* ConvergeActionName(ConvergeAction action) {
  for (const ActionName& a : kActionNames) {
    if (a.action == action) return a.name;
  }
  return "unknown";
}

std::optional<ConvergeAction> ParseConvergeAction(absl::string_view name) {
  for (const ActionName& a : kActionNames) {
    if (name == a.name) return a.action;
  }
  return std::nullopt;
}

bool ConvergencePlan::HasChanges() const {
  for (const PlannedContainer& c : containers) {
    if (c.action != ConvergeAction::kNone) return true;
  }
  return false;
}

int ConvergencePlan::ExitCode(bool detailed) const {
  if (!problems.empty()) return 1;
  return detailed && HasChanges() ? 2 : 0;
}

std::string ConvergencePlan::Summary() const {
  std::map<ConvergeAction, int> counts;
  for (const PlannedContainer& c : containers) ++counts[c.action];
  std::vector<std::string> parts;
  auto add = [&](ConvergeAction a, const char* what) {
    if (counts[a] > 0) parts.push_back(absl::StrCat(counts[a], " ", what));
  };
  add(ConvergeAction::kCreate, "to create");
  add(ConvergeAction::kRecreate, "to recreate");
  add(ConvergeAction::kStart, "to start");
  add(ConvergeAction::kOrphan, counts[ConvergeAction::kOrphan] == 1 ? "orphan" : "orphans");
  add(ConvergeAction::kUnknown, "unknown");
  add(ConvergeAction::kNone, "unchanged");
  if (parts.empty()) return "nothing in scope";
  return absl::StrJoin(parts, ", ");
}

bool NeedsInspect(const model::Instance& instance, const model::Ship& ship,
                  const docker::ContainerSummary& summary) {
  auto label = summary.labels.find(spec::kSpecHashLabel);
  return label == summary.labels.end() || label->second != spec::SpecHash(instance, ship);
}

ConvergencePlan ComputeConvergencePlan(const model::Environment& env,
                                       const std::vector<std::string>& containers,
                                       const std::map<std::string, ShipLive>& live,
                                       const PlanScope& scope) {
  return Planner(env, live).Run(containers, scope);
}

}  // namespace maestro::plays
