#include "maestro/plays/convergence_output.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/docker/short_id.h"

namespace maestro::plays {
namespace {

using docker::ShortId;

using nlohmann::json;

const char* ActionColor(ConvergeAction action) {
  switch (action) {
    case ConvergeAction::kCreate:
      return "\033[32m";  // green
    case ConvergeAction::kRecreate:
      return "\033[33m";  // yellow
    case ConvergeAction::kStart:
      return "\033[36m";  // cyan
    case ConvergeAction::kOrphan:
      return "\033[35m";  // magenta
    case ConvergeAction::kUnknown:
      return "\033[31m";  // red
    case ConvergeAction::kNone:
      break;
  }
  return "\033[2m";  // dim
}
constexpr char kReset[] = "\033[0m";

// The action as the table shows it: "no change" reads better than "none".
std::string ActionWord(ConvergeAction action) {
  return action == ConvergeAction::kNone ? "no change" : ConvergeActionName(action);
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

// "rolling: 1 at a time, ..., failure pause; batch 2 of 5" ("" when it does not roll).
std::string RollingLine(const PlannedContainer& c) {
  if (!c.rolling) return "";
  const PlannedRolling& r = *c.rolling;
  if (r.batch > 0) return absl::StrCat("rolling: ", r.how, "; batch ", r.batch, " of ", r.batches);
  return absl::StrCat("rolling: ", r.how, "; batch order found by the role probe at the rollout");
}

// The reasons, notes and rolling line of a container, as the text forms show them.
std::vector<std::string> Lines(const PlannedContainer& c) {
  std::vector<std::string> lines = c.reasons;
  for (const std::string& n : c.notes) lines.push_back("note: " + n);
  if (c.rolling) lines.push_back(RollingLine(c));
  return lines;
}

// Ships in the order their first container appears (dependency order).
std::vector<std::string> ShipOrder(const ConvergencePlan& plan) {
  std::vector<std::string> ships;
  std::set<std::string> seen;
  for (const PlannedContainer& c : plan.containers) {
    if (seen.insert(c.ship).second) ships.push_back(c.ship);
  }
  return ships;
}

std::string RenderTable(const ConvergencePlan& plan, bool color) {
  size_t action_w = 6, name_w = 9, service_w = 7;
  for (const PlannedContainer& c : plan.containers) {
    action_w = std::max(action_w, ActionWord(c.action).size());
    name_w = std::max(name_w, c.name.size());
    service_w = std::max(service_w, c.service.size());
  }
  std::string out;
  const std::string indent = "  ";
  const size_t reason_col = indent.size() + action_w + 2 + name_w + 2 + service_w + 2;
  for (const std::string& ship : ShipOrder(plan)) {
    if (!out.empty()) out += "\n";
    absl::StrAppend(&out, color ? "\033[1m" : "", ship, color ? kReset : "", "\n");
    absl::StrAppend(&out, indent, Pad("ACTION", action_w), "  ", Pad("CONTAINER", name_w), "  ",
                    Pad("SERVICE", service_w), "  REASONS\n");
    for (const PlannedContainer& c : plan.containers) {
      if (c.ship != ship) continue;
      std::vector<std::string> lines = Lines(c);
      if (lines.empty()) lines.push_back("");
      std::string action = Pad(ActionWord(c.action), action_w);
      if (color) action = absl::StrCat(ActionColor(c.action), action, kReset);
      std::string row = absl::StrCat(indent, action, "  ", Pad(c.name, name_w), "  ",
                                     Pad(c.service, service_w), "  ", lines[0]);
      while (!row.empty() && row.back() == ' ') row.pop_back();
      absl::StrAppend(&out, row, "\n");
      for (size_t i = 1; i < lines.size(); ++i) {
        absl::StrAppend(&out, std::string(reason_col, ' '), lines[i], "\n");
      }
    }
  }
  if (std::vector<std::string> rollouts = DescribeRollouts(plan); !rollouts.empty()) {
    absl::StrAppend(&out, out.empty() ? "" : "\n", "Rolling updates:\n");
    for (const std::string& r : rollouts) absl::StrAppend(&out, indent, r, "\n");
  }
  if (!plan.problems.empty()) {
    absl::StrAppend(&out, out.empty() ? "" : "\n", color ? "\033[31m" : "",
                    "Problems:", color ? kReset : "", "\n");
    for (const PlanProblem& p : plan.problems) absl::StrAppend(&out, indent, p.message, "\n");
  }
  absl::StrAppend(&out, out.empty() ? "" : "\n", "Plan: ", plan.Summary(), ".\n");
  return out;
}

std::string RenderLines(const ConvergencePlan& plan) {
  std::string out;
  for (const std::string& ship : ShipOrder(plan)) {
    for (const PlannedContainer& c : plan.containers) {
      if (c.ship != ship) continue;
      std::vector<std::string> parts = Lines(c);
      absl::StrAppend(&out, c.ship, " ", c.name, " ", ActionWord(c.action),
                      parts.empty() ? "" : ": ", absl::StrJoin(parts, "; "), "\n");
    }
  }
  for (const std::string& r : DescribeRollouts(plan)) absl::StrAppend(&out, "rolling: ", r, "\n");
  for (const PlanProblem& p : plan.problems) absl::StrAppend(&out, "problem: ", p.message, "\n");
  absl::StrAppend(&out, "Plan: ", plan.Summary(), ".\n");
  return out;
}

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("not a maestro plan: ", what));
}

// Reads j[key] as a string (missing: ""); false when present but not a string.
bool GetString(const json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

bool GetStrings(const json& j, const char* key, std::vector<std::string>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_array()) return false;
  for (const json& e : *it) {
    if (!e.is_string()) return false;
    out.push_back(e.get<std::string>());
  }
  return true;
}

json RollingToJson(const std::optional<PlannedRolling>& r) {
  if (!r) return nullptr;
  return {{"how", r->how},
          {"batch_size", r->batch_size},
          {"per_ship", r->per_ship},
          {"quorum", r->quorum},
          {"leader_last", r->leader_last},
          {"failure", r->failure},
          {"delay", r->delay},
          {"monitor", r->monitor},
          {"batch", r->batch > 0 ? json(r->batch) : json(nullptr)},
          {"batches", r->batches > 0 ? json(r->batches) : json(nullptr)}};
}

// Reads a "rolling" object of PlanToJson; false when malformed.
bool RollingFromJson(const json& j, PlannedRolling& r) {
  if (!j.is_object() || !GetString(j, "how", r.how) || !GetString(j, "failure", r.failure)) {
    return false;
  }
  auto number = [&](const char* key, auto& out) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return true;
    if (!it->is_number()) return false;
    out = it->get<std::remove_reference_t<decltype(out)>>();
    return true;
  };
  if (auto it = j.find("leader_last"); it != j.end()) {
    if (!it->is_boolean()) return false;
    r.leader_last = it->get<bool>();
  }
  return number("batch_size", r.batch_size) && number("per_ship", r.per_ship) &&
         number("quorum", r.quorum) && number("delay", r.delay) && number("monitor", r.monitor) &&
         number("batch", r.batch) && number("batches", r.batches);
}

std::string Describe(const SeenContainer& c) {
  if (c.id.empty()) return "absent";
  return absl::StrCat(c.state, " (", ShortId(c.id), ", image ", ShortId(c.image_id), ")");
}

}  // namespace

std::vector<std::string> DescribeRollouts(const ConvergencePlan& plan) {
  std::vector<std::string> services;
  std::map<std::string, std::vector<const PlannedContainer*>> rolled;
  for (const PlannedContainer& c : plan.containers) {
    if (!c.rolling) continue;
    std::vector<const PlannedContainer*>& list = rolled[c.service];
    if (list.empty()) services.push_back(c.service);
    list.push_back(&c);
  }
  std::vector<std::string> out;
  for (const std::string& service : services) {
    const std::vector<const PlannedContainer*>& list = rolled[service];
    const PlannedRolling& r = *list.front()->rolling;
    std::string line = absl::StrCat(service, " rolls ", r.how);
    if (r.batches > 0) {
      std::vector<std::vector<std::string>> batches(r.batches);
      for (const PlannedContainer* c : list) {
        if (c->rolling->batch > 0 && c->rolling->batch <= r.batches) {
          batches[c->rolling->batch - 1].push_back(c->name);
        }
      }
      std::vector<std::string> parts;
      for (const auto& b : batches) parts.push_back(absl::StrJoin(b, ", "));
      absl::StrAppend(&line, " in ", r.batches,
                      r.batches == 1 ? " batch: " : " batches: ", absl::StrJoin(parts, " | "));
    } else {
      std::vector<std::string> names;
      for (const PlannedContainer* c : list) names.push_back(c->name);
      absl::StrAppend(&line, ": ", absl::StrJoin(names, ", "),
                      " (batches found by the role probe at the rollout, the leader last)");
    }
    out.push_back(std::move(line));
  }
  return out;
}

std::string RenderPlanText(const ConvergencePlan& plan, const PlanTextStyle& style) {
  return style.table ? RenderTable(plan, style.color) : RenderLines(plan);
}

json PlanToJson(const ConvergencePlan& plan) {
  json containers = json::array();
  for (const PlannedContainer& c : plan.containers) {
    containers.push_back({{"name", c.name},
                          {"ship", c.ship},
                          {"service", c.service},
                          {"image", c.image},
                          {"action", ConvergeActionName(c.action)},
                          {"reasons", c.reasons},
                          {"notes", c.notes},
                          {"container_id", c.container_id},
                          {"spec_hash", c.spec_hash},
                          {"pull", c.pull},
                          {"state", c.state},
                          {"rolling", RollingToJson(c.rolling)}});
  }
  json problems = json::array();
  for (const PlanProblem& p : plan.problems) {
    problems.push_back({{"ship", p.ship}, {"container", p.container}, {"message", p.message}});
  }
  json fingerprint = json::object();
  for (const auto& [ship, fp] : plan.fingerprint) {
    json seen = json::array();
    for (const SeenContainer& c : fp.containers) {
      seen.push_back(
          {{"name", c.name}, {"id", c.id}, {"state", c.state}, {"image_id", c.image_id}});
    }
    fingerprint[ship] = {{"containers", seen}, {"images", fp.images}, {"registry", fp.registry}};
  }
  return {{"environment", plan.environment},
          {"changes", plan.HasChanges()},
          {"summary", plan.Summary()},
          {"containers", containers},
          {"problems", problems},
          {"fingerprint", fingerprint},
          {"scope",
           {{"orphans", plan.scope.orphans},
            {"orphan_ships", plan.scope.orphan_ships},
            {"refresh", plan.scope.refresh}}}};
}

absl::StatusOr<ConvergencePlan> PlanFromJson(const json& j) {
  if (!j.is_object()) return Malformed("the top level is not an object");
  ConvergencePlan plan;
  if (!GetString(j, "environment", plan.environment)) return Malformed("environment");
  // Absent in plan files of earlier versions: no orphans were looked for.
  if (auto scope = j.find("scope"); scope != j.end()) {
    if (!scope->is_object()) return Malformed("scope");
    auto orphans = scope->find("orphans");
    if (orphans == scope->end() || !orphans->is_boolean()) return Malformed("scope.orphans");
    plan.scope.orphans = orphans->get<bool>();
    if (!GetStrings(*scope, "orphan_ships", plan.scope.orphan_ships)) {
      return Malformed("scope.orphan_ships");
    }
    // Absent in plan files of earlier versions: not refreshed.
    if (auto refresh = scope->find("refresh"); refresh != scope->end()) {
      if (!refresh->is_boolean()) return Malformed("scope.refresh");
      plan.scope.refresh = refresh->get<bool>();
    }
  }
  auto containers = j.find("containers");
  if (containers == j.end() || !containers->is_array()) return Malformed("containers");
  for (const json& c : *containers) {
    if (!c.is_object()) return Malformed("containers[]");
    PlannedContainer pc;
    std::string action;
    if (!GetString(c, "name", pc.name) || pc.name.empty()) return Malformed("containers[].name");
    if (!GetString(c, "ship", pc.ship) || !GetString(c, "service", pc.service) ||
        !GetString(c, "image", pc.image) || !GetString(c, "container_id", pc.container_id) ||
        !GetString(c, "spec_hash", pc.spec_hash) || !GetString(c, "state", pc.state) ||
        !GetStrings(c, "reasons", pc.reasons) || !GetStrings(c, "notes", pc.notes)) {
      return Malformed(absl::StrCat("containers[] ", pc.name));
    }
    // Absent in plan files of earlier versions: no forced pull.
    if (auto pull = c.find("pull"); pull != c.end()) {
      if (!pull->is_boolean()) return Malformed(absl::StrCat("containers[] ", pc.name, " pull"));
      pc.pull = pull->get<bool>();
    }
    // Absent in plan files of earlier versions, null when it does not roll.
    if (auto rolling = c.find("rolling"); rolling != c.end() && !rolling->is_null()) {
      pc.rolling.emplace();
      if (!RollingFromJson(*rolling, *pc.rolling)) {
        return Malformed(absl::StrCat("containers[] ", pc.name, " rolling"));
      }
    }
    if (!GetString(c, "action", action)) return Malformed("containers[].action");
    std::optional<ConvergeAction> parsed = ParseConvergeAction(action);
    if (!parsed) return Malformed(absl::StrCat("unknown action \"", action, "\""));
    pc.action = *parsed;
    plan.containers.push_back(std::move(pc));
  }
  auto problems = j.find("problems");
  if (problems != j.end() && !problems->is_null()) {
    if (!problems->is_array()) return Malformed("problems");
    for (const json& p : *problems) {
      if (!p.is_object()) return Malformed("problems[]");
      PlanProblem pp;
      if (!GetString(p, "ship", pp.ship) || !GetString(p, "container", pp.container) ||
          !GetString(p, "message", pp.message)) {
        return Malformed("problems[]");
      }
      plan.problems.push_back(std::move(pp));
    }
  }
  auto fingerprint = j.find("fingerprint");
  if (fingerprint == j.end() || !fingerprint->is_object()) return Malformed("fingerprint");
  for (auto it = fingerprint->begin(); it != fingerprint->end(); ++it) {
    ShipFingerprint fp;
    const json& f = it.value();
    if (!f.is_object()) return Malformed(absl::StrCat("fingerprint.", it.key()));
    auto seen = f.find("containers");
    if (seen != f.end()) {
      if (!seen->is_array()) return Malformed(absl::StrCat("fingerprint.", it.key()));
      for (const json& c : *seen) {
        if (!c.is_object()) return Malformed(absl::StrCat("fingerprint.", it.key()));
        SeenContainer sc;
        if (!GetString(c, "name", sc.name) || !GetString(c, "id", sc.id) ||
            !GetString(c, "state", sc.state) || !GetString(c, "image_id", sc.image_id)) {
          return Malformed(absl::StrCat("fingerprint.", it.key()));
        }
        fp.containers.push_back(std::move(sc));
      }
    }
    // "registry" is absent in plan files of earlier versions.
    for (auto [key, into] : {std::pair{"images", &fp.images}, {"registry", &fp.registry}}) {
      auto map = f.find(key);
      if (map == f.end()) continue;
      if (!map->is_object()) return Malformed(absl::StrCat("fingerprint.", it.key(), ".", key));
      for (auto im = map->begin(); im != map->end(); ++im) {
        if (!im.value().is_string()) {
          return Malformed(absl::StrCat("fingerprint.", it.key(), ".", key));
        }
        (*into)[im.key()] = im.value().get<std::string>();
      }
    }
    plan.fingerprint[it.key()] = std::move(fp);
  }
  return plan;
}

std::string PlanJsonText(const ConvergencePlan& plan) {
  return PlanToJson(plan).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string SavePlanFile(const ConvergencePlan& plan) {
  json j = PlanToJson(plan);
  j["format"] = kPlanFileFormat;
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

absl::StatusOr<ConvergencePlan> LoadPlanFile(absl::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Malformed("the file is not JSON");
  if (!j.is_object() || j.value("format", json()) != kPlanFileFormat) {
    return Malformed(absl::StrCat("\"format\" is not \"", kPlanFileFormat, "\""));
  }
  return PlanFromJson(j);
}

absl::Status CheckPlanStillCurrent(const ConvergencePlan& saved, const ConvergencePlan& current) {
  std::vector<std::string> changes;
  if (saved.environment != current.environment) {
    changes.push_back(absl::StrCat("the plan is for environment ", saved.environment, ", not ",
                                   current.environment));
  }
  for (const auto& [ship, before] : saved.fingerprint) {
    auto it = current.fingerprint.find(ship);
    if (it == current.fingerprint.end()) {
      changes.push_back(absl::StrCat(ship, ": could not be looked at now"));
      continue;
    }
    const ShipFingerprint& now = it->second;
    if (before == now) continue;
    std::map<std::string, const SeenContainer*> then_by_name, now_by_name;
    for (const SeenContainer& c : before.containers) then_by_name[c.name] = &c;
    for (const SeenContainer& c : now.containers) now_by_name[c.name] = &c;
    for (const auto& [name, was] : then_by_name) {
      auto n = now_by_name.find(name);
      if (n == now_by_name.end()) {
        changes.push_back(absl::StrCat(ship, ": ", name, " is no longer in the plan's scope"));
      } else if (!(*was == *n->second)) {
        changes.push_back(absl::StrCat(ship, ": ", name, " was ", Describe(*was), ", now ",
                                       Describe(*n->second)));
      }
    }
    for (const auto& [name, is] : now_by_name) {
      if (!then_by_name.count(name)) {
        changes.push_back(absl::StrCat(ship, ": ", name, " appeared: ", Describe(*is)));
      }
    }
    for (const auto& [image, id] : before.images) {
      auto n = now.images.find(image);
      std::string now_id = n == now.images.end() ? "" : n->second;
      if (now_id != id) {
        changes.push_back(absl::StrCat(ship, ": image ", image, " was ",
                                       id.empty() ? "absent" : ShortId(id), ", now ",
                                       now_id.empty() ? "absent" : ShortId(now_id)));
      }
    }
    for (const auto& [image, id] : now.images) {
      if (!before.images.count(image)) {
        changes.push_back(absl::StrCat(ship, ": image ", image, " was not looked at by the plan"));
      }
    }
    // A tag the registry moved on since the plan: the plan would pull something else.
    for (const auto& [image, digest] : before.registry) {
      auto n = now.registry.find(image);
      if (n == now.registry.end()) {
        changes.push_back(absl::StrCat(ship, ": the registry's digest of ", image,
                                       " could not be asked for again"));
      } else if (n->second != digest) {
        changes.push_back(absl::StrCat(ship, ": image ", image, " in the registry was ",
                                       ShortDigest(digest), ", now ", ShortDigest(n->second)));
      }
    }
  }
  for (const auto& [ship, unused] : current.fingerprint) {
    if (!saved.fingerprint.count(ship)) {
      changes.push_back(absl::StrCat(ship, ": not in the saved plan"));
    }
  }
  if (changes.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the saved plan is stale: the ships changed since it was made (make a new "
                   "plan):\n  ",
                   absl::StrJoin(changes, "\n  ")));
}

}  // namespace maestro::plays
