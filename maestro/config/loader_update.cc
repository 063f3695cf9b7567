// Loader: a service's rolling update policy, `update:` (docs/environment.md#update), taken from
// the service or else from `service_defaults: update:`, and its `role:` probe resolved per
// instance with the lifecycle check parser (LoadCheck), so a probe is a lifecycle check.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "maestro/config/loader_internal.h"
#include "maestro/config/parsers.h"

namespace maestro {
namespace config {
namespace loader_internal {
namespace {

const std::vector<std::string> kUpdateKeys = {
    "parallelism", "max_unavailable", "per_ship", "quorum", "quorum_timeout", "role",
    "pull",        "failure",         "delay",    "monitor"};

}  // namespace

void Loader::LoadServiceDefaults(const YamlNode* node) {
  service_defaults_ = Mapping(node, "service_defaults");
  if (service_defaults_ != nullptr)
    CheckKeys(*service_defaults_, {"update"}, " in service_defaults");
}

void Loader::LoadUpdate(const YamlNode& service_node, model::Service& service) {
  const YamlNode* node = service_node.IsMapping() ? service_node.Find("update") : nullptr;
  if ((node == nullptr || node->IsNull()) && service_defaults_ != nullptr) {
    node = service_defaults_->Find("update");
  }
  if (node == nullptr || node->IsNull()) return;
  if (!node->IsMapping()) {
    Error(*node, absl::StrCat("update must be a mapping (parallelism, per_ship, quorum, role, "
                              "pull, failure, delay, monitor), got ",
                              node->KindName()));
    return;
  }
  for (size_t i = 0; i < node->keys.size(); ++i) {
    std::string key = node->KeyAt(i);
    if (Contains(kUpdateKeys, key)) continue;
    std::string suggestion = Suggest(key, kUpdateKeys);
    Error(node->keys[i],
          absl::StrCat("unknown update option '", key, "' (", absl::StrJoin(kUpdateKeys, ", "), ")",
                       suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
  }
  const size_t errors_before = errors_.size();
  model::UpdatePolicy p;
  p.line = node->line;
  auto count = [&](const YamlNode& n, const char* name) -> std::optional<int> {
    if (n.kind == Kind::kInt) {
      if (n.int_value < 1 || n.int_value > 1000000) {
        Error(n, absl::StrCat("update.", name, " must be between 1 and 1000000"));
        return std::nullopt;
      }
      return static_cast<int>(n.int_value);
    }
    Error(n, absl::StrCat("update.", name, " must be a whole number, got ", n.KindName()));
    return std::nullopt;
  };
  auto seconds = [&](const char* name, double* out) {
    const YamlNode* n = node->Find(name);
    if (n == nullptr || n->IsNull()) return;
    absl::StatusOr<int64_t> ns = ParseDuration(*n);
    if (!ns.ok()) {
      Error(*n, absl::StrCat("invalid update.", name, ": ", ns.status().message()));
      return;
    }
    *out = static_cast<double>(*ns) / 1e9;
  };
  const YamlNode* par = node->Find("parallelism");
  const YamlNode* max_unavailable = node->Find("max_unavailable");
  if (par != nullptr && max_unavailable != nullptr) {
    Error(*max_unavailable,
          "update.max_unavailable and update.parallelism are the same setting; give one");
  }
  const char* par_name = par != nullptr ? "parallelism" : "max_unavailable";
  if (par == nullptr) par = max_unavailable;
  if (par != nullptr && !par->IsNull()) {
    absl::string_view text = par->text;
    int percent = 0;
    if (par->IsString() && absl::ConsumeSuffix(&text, "%")) {
      if (!absl::SimpleAtoi(text, &percent) || percent < 1 || percent > 100) {
        Error(*par, absl::StrCat("update.", par_name,
                                 " must be a number of instances or a percentage from 1% to "
                                 "100%, got '",
                                 par->text, "'"));
      } else {
        p.parallelism_percent = percent;
      }
    } else if (par->kind == Kind::kInt) {
      if (auto v = count(*par, par_name)) p.parallelism = *v;
    } else {
      Error(*par, absl::StrCat("update.", par_name,
                               " must be a number of instances or a percentage (\"25%\"), got ",
                               par->KindName()));
    }
  }
  if (const YamlNode* n = node->Find("per_ship"); n && !n->IsNull()) {
    if (auto v = count(*n, "per_ship")) p.per_ship = *v;
  }
  if (const YamlNode* n = node->Find("quorum"); n && !n->IsNull()) {
    if (n->IsString() && n->text == "majority") {
      p.quorum_majority = true;
    } else if (n->kind == Kind::kInt) {
      if (auto v = count(*n, "quorum")) p.quorum = *v;
    } else {
      Error(*n, absl::StrCat("update.quorum must be 'majority' or a number of instances, got ",
                             n->KindName(), n->IsString() ? " '" + n->text + "'" : ""));
    }
  }
  seconds("quorum_timeout", &p.quorum_timeout);
  seconds("delay", &p.delay);
  seconds("monitor", &p.monitor);
  if (const YamlNode* n = node->Find("pull"); n && !n->IsNull()) {
    std::string v = n->PyStr();
    if (v == "before") {
      p.pull_before = true;
    } else if (v == "never") {
      p.pull_before = false;
    } else {
      Error(*n, absl::StrCat("update.pull must be 'before' or 'never', got '", v, "'"));
    }
  }
  if (const YamlNode* n = node->Find("failure"); n && !n->IsNull()) {
    std::string v = n->PyStr();
    if (v == "pause") {
      p.failure = model::UpdatePolicy::Failure::kPause;
    } else if (v == "continue") {
      p.failure = model::UpdatePolicy::Failure::kContinue;
    } else if (v == "rollback") {
      p.failure = model::UpdatePolicy::Failure::kRollback;
    } else {
      Error(*n, absl::StrCat("update.failure must be 'pause', 'continue' or 'rollback', got '", v,
                             "'"));
    }
  }
  // The role probe: a lifecycle check resolved for each instance (its ports, its ship).
  if (const YamlNode* role = node->Find("role"); role && !role->IsNull()) {
    for (const std::string& name : service.instances) {
      // The loader owns env_: the lookup's const only guards other readers.
      auto* inst = const_cast<model::Instance*>(env_.FindInstance(name));
      if (inst == nullptr || inst->service != service.name) continue;
      const model::Ship* ship = env_.FindShip(inst->ship);
      if (ship == nullptr) continue;
      std::optional<model::Check> probe = LoadCheck(*role, "role", *ship, *inst);
      if (!probe) break;  // reported once, at the probe
      if (probe->type == model::CheckType::kSleep || probe->type == model::CheckType::kHealth) {
        Error(*role, "update.role must be an exec, rexec, http or tcp probe");
        break;
      }
      // A probe answers once: a follower must not be retried for minutes.
      if (role->Find("attempts") == nullptr) probe->attempts = 1;
      if (role->Find("max_wait") == nullptr) {
        probe->max_wait = probe->type == model::CheckType::kTcp ? 1 : 5;
      }
      inst->role_probe = *probe;
    }
  }
  if (errors_.size() == errors_before) service.update = p;
}

}  // namespace loader_internal
}  // namespace config
}  // namespace maestro
