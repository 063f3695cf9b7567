// Loader: diagnostics, typed accessors, the top level, registries, auditors, the
// cross-references checked after every section is loaded, and the link variables.
#include "maestro/config/loader.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/config/link_variables.h"
#include "maestro/config/loader_internal.h"
#include "maestro/config/parsers.h"
#include "maestro/graph/graph.h"
#include "maestro/model/env_contract.h"

namespace maestro {
namespace config {
namespace loader_internal {
namespace {

const std::vector<std::string> kTopKeys = {
    "__maestro", "name",          "registries",       "ship_defaults",
    "ships",     "ship_provider", "services",         "audit",
    "networks",  "volumes",       "service_defaults", "secrets"};
const std::vector<std::string> kMaestroKeys = {"schema", "base_dir"};
const std::vector<std::string> kRegistryKeys = {"registry", "username", "password", "email",
                                                "retry"};
const std::vector<std::string> kAuditTypes = {"log", "hipchat", "slack", "http", "exec", "_fail"};

}  // namespace

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

nlohmann::json ToJson(const YamlNode& node) {
  switch (node.kind) {
    case Kind::kNull:
      return nullptr;
    case Kind::kBool:
      return node.bool_value;
    case Kind::kInt:
      return node.int_value;
    case Kind::kFloat:
      return node.float_value;
    case Kind::kTimestamp:
    case Kind::kString:
      return node.PyStr();
    case Kind::kSequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const YamlNode& item : node.items) out.push_back(ToJson(item));
      return out;
    }
    case Kind::kMapping: {
      nlohmann::json out = nlohmann::json::object();
      for (size_t i = 0; i < node.keys.size(); ++i) out[node.KeyAt(i)] = ToJson(node.values[i]);
      return out;
    }
  }
  return nullptr;
}

void Loader::Error(const YamlNode& at, const std::string& message) {
  errors_.push_back(
      {Diagnostic::Severity::kError, in_.display_name, at.line, at.column, at.path(), message});
}

void Loader::Warn(const YamlNode& at, const std::string& message, bool with_path) {
  warnings_.push_back({Diagnostic::Severity::kWarning, in_.display_name, at.line, at.column,
                       with_path ? at.path() : "", message});
}

void Loader::CheckKeys(const YamlNode& map, const std::vector<std::string>& known,
                       const std::string& where, bool allow_underscore) {
  for (size_t i = 0; i < map.keys.size(); ++i) {
    const YamlNode& key_node = map.keys[i];
    std::string converted;
    const std::string& key = key_node.IsString() ? key_node.text : (converted = key_node.PyStr());
    if (Contains(known, key)) continue;
    if (allow_underscore && !key.empty() && key[0] == '_') continue;
    std::string message = absl::StrCat("unknown key '", key, "'", where);
    std::string suggestion = Suggest(key, known);
    if (!suggestion.empty()) absl::StrAppend(&message, " (did you mean '", suggestion, "'?)");
    Warn(map.keys[i], message, false);
  }
}

absl::Status Loader::ErrorsStatus() const {
  std::vector<Diagnostic> sorted = errors_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  std::vector<std::string> lines;
  std::set<std::string> seen;
  for (const Diagnostic& d : sorted) {
    if (!seen.insert(d.ToString()).second) continue;
    if (static_cast<int>(lines.size()) == kMaxReportedErrors) {
      lines.push_back("... (more errors not shown)");
      break;
    }
    lines.push_back(d.ToString());
  }
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

std::optional<std::string> Loader::String(const YamlNode& node, const std::string& what) {
  if (node.IsString() || node.kind == Kind::kInt || node.kind == Kind::kFloat ||
      node.kind == Kind::kTimestamp) {
    return node.PyStr();
  }
  Error(node, absl::StrCat(what, " must be a string, got ", node.KindName()));
  return std::nullopt;
}

std::optional<int64_t> Loader::Int(const YamlNode& node, const std::string& what) {
  if (node.kind == Kind::kInt && !node.IsBigInt()) return node.int_value;
  int64_t v = 0;
  absl::string_view digits = node.IsString() ? absl::StripAsciiWhitespace(node.text) : "";
  if (node.IsString() && absl::SimpleAtoi(digits, &v)) return v;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (node.IsBigInt() ||
      (!digits.empty() && std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit))) {
    Error(node, absl::StrCat(what, " is out of range: ", node.PyStr(),
                             " (an integer from -9223372036854775808 to 9223372036854775807)"));
    return std::nullopt;
  }
  Error(node,
        absl::StrCat(what, " must be an integer, got ", node.KindName(), " '", node.PyStr(), "'"));
  return std::nullopt;
}

std::optional<bool> Loader::Bool(const YamlNode& node, const std::string& what) {
  if (node.kind == Kind::kBool) return node.bool_value;
  if (node.IsNull()) return false;
  Error(node, absl::StrCat(what, " must be true or false, got ", node.KindName(), " '",
                           node.PyStr(), "'"));
  return std::nullopt;
}

std::optional<std::vector<std::string>> Loader::StringList(const YamlNode& node,
                                                           const std::string& what) {
  std::vector<std::string> out;
  if (node.IsNull()) return out;
  if (node.IsScalar()) {
    auto s = String(node, what);
    if (!s) return std::nullopt;
    out.push_back(*s);
    return out;
  }
  if (!node.IsSequence()) {
    Error(node,
          absl::StrCat(what, " must be a string or a list of strings, got ", node.KindName()));
    return std::nullopt;
  }
  for (const YamlNode& item : node.items) {
    auto s = String(item, what);
    if (!s) return std::nullopt;
    out.push_back(*s);
  }
  return out;
}

const YamlNode* Loader::Mapping(const YamlNode* node, const std::string& what) {
  if (node == nullptr || node->IsNull()) return nullptr;
  if (!node->IsMapping()) {
    Error(*node, absl::StrCat(what, " must be a mapping, got ", node->KindName()));
    return nullptr;
  }
  return node;
}

void Loader::LoadRegistries(const YamlNode* node) {
  const YamlNode* regs = Mapping(node, "registries");
  if (regs == nullptr) return;
  for (size_t i = 0; i < regs->keys.size(); ++i) {
    const YamlNode& key = regs->keys[i];
    const YamlNode& value = regs->values[i];
    model::Registry r;
    r.name = key.PyStr();
    r.line = key.line;
    if (!value.IsMapping()) {
      Error(value,
            absl::StrCat("registry '", r.name, "' must be a mapping, got ", value.KindName()));
      continue;
    }
    CheckKeys(value, kRegistryKeys, absl::StrCat(" in registry '", r.name, "'"));
    if (const YamlNode* n = value.Find("registry")) {
      if (auto s = String(*n, "registry")) r.url = *s;
    } else {
      Error(key, absl::StrCat("registry '", r.name, "' has no 'registry' URL"));
    }
    if (const YamlNode* n = value.Find("username"); n && !n->IsNull()) {
      if (auto s = String(*n, "username")) r.username = *s;
    }
    if (const YamlNode* n = value.Find("password"); n && !n->IsNull()) {
      if (auto s = String(*n, "password")) r.password = *s;
    }
    if (const YamlNode* n = value.Find("email"); n && !n->IsNull()) {
      if (auto s = String(*n, "email")) r.email = *s;
    }
    if (const YamlNode* retry = Mapping(value.Find("retry"), "retry")) {
      CheckKeys(*retry, {"attempts", "when"},
                absl::StrCat(" in the retry policy of registry '", r.name, "'"));
      if (const YamlNode* n = retry->Find("attempts")) {
        if (auto v = Int(*n, "retry.attempts")) r.retry.attempts = static_cast<int>(*v);
      }
      if (const YamlNode* n = retry->Find("when"); n && !n->IsNull()) {
        if (!n->IsSequence()) {
          Error(*n, "retry.when must be a list of HTTP status codes");
        } else {
          for (const YamlNode& code : n->items) {
            if (auto v = Int(code, "retry.when item")) r.retry.when.push_back(static_cast<int>(*v));
          }
        }
      }
    }
    env_.registries.push_back(std::move(r));
  }
}

void Loader::LoadAudit(const YamlNode* node) {
  if (node == nullptr || node->IsNull()) return;
  if (!node->IsSequence()) {
    Error(*node,
          absl::StrCat("audit must be a list of auditor configurations, got ", node->KindName()));
    return;
  }
  static const std::map<std::string, std::vector<std::string>> kRequired = {
      {"log", {"file"}},      {"hipchat", {"room", "token"}}, {"slack", {"channel", "token"}},
      {"http", {"endpoint"}}, {"exec", {"script"}},           {"_fail", {}}};
  for (const YamlNode& item : node->items) {
    if (!item.IsMapping()) {
      Error(item,
            absl::StrCat("an auditor configuration must be a mapping, got ", item.KindName()));
      continue;
    }
    model::AuditConfig audit;
    audit.line = item.line;
    const YamlNode* type = item.Find("type");
    if (type == nullptr) {
      Error(item, "auditor configuration has no 'type'");
      continue;
    }
    audit.type = type->PyStr();
    if (!Contains(kAuditTypes, audit.type)) {
      Error(*type, absl::StrCat("unknown auditor type '", audit.type, "' (expected one of ",
                                absl::StrJoin(kAuditTypes, ", "), ")"));
      continue;
    }
    for (size_t i = 0; i < item.keys.size(); ++i) {
      std::string key = item.KeyAt(i);
      const YamlNode& v = item.values[i];
      if (key == "type") continue;
      if (key == "level") {
        audit.level = v.PyStr();
        if (audit.level != "info" && audit.level != "debug") {
          Error(v,
                absl::StrCat("invalid audit level '", audit.level, "' (expected info or debug)"));
        }
      } else if (key == "ignore_errors") {
        audit.ignore_errors = v.kind == Kind::kBool && v.bool_value;
      } else if (key == "timeout" && !v.IsNull() &&
                 !((v.kind == Kind::kInt && v.int_value > 0 && v.int_value <= 86400) ||
                   (v.kind == Kind::kFloat && std::isfinite(v.float_value) && v.float_value > 0 &&
                    v.float_value <= 86400))) {
        Error(v, absl::StrCat("the timeout of an auditor must be a positive, finite number of "
                              "seconds (at most 86400), got ",
                              v.PyStr()));
      } else {
        audit.options[key] = ToJson(v);
      }
    }
    for (const std::string& required : kRequired.at(audit.type)) {
      const YamlNode* v = item.Find(required);
      if (v == nullptr || v->IsNull() || (v->IsString() && v->text.empty())) {
        Error(item, absl::StrCat("the ", audit.type, " auditor needs '", required, "'"));
      }
    }
    if (audit.type == "http" && audit.options.contains("method")) {
      std::string method = audit.options["method"].is_string()
                               ? audit.options["method"].get<std::string>()
                               : audit.options["method"].dump();
      if (method != "GET" && method != "POST") {
        Error(*item.Find("method"),
              absl::StrCat("invalid HTTP method ", method, " (expected GET or POST)"));
      }
    }
    env_.audit.push_back(std::move(audit));
  }
}

void Loader::ResolveDependencies() {
  std::vector<std::string> known;
  for (const model::Service& s : env_.services) known.push_back(s.name);
  for (const model::Service& s : env_.services) {
    const YamlNode* node = service_nodes_[s.name];
    for (const char* field : {"requires", "wants_info"}) {
      const YamlNode* list = node->Find(field);
      if (list == nullptr) continue;
      const std::vector<std::string>& deps =
          std::string(field) == "requires" ? s.requires : s.wants_info;
      for (const std::string& dep : deps) {
        if (env_.FindService(dep) != nullptr) continue;
        const YamlNode* at = list;
        for (const YamlNode& item : list->items) {
          if (item.PyStr() == dep) at = &item;
        }
        std::string suggestion = Suggest(dep, known);
        Error(*at,
              absl::StrCat("unknown service '", dep, "' in ", field, " of service '", s.name, "'",
                           suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
      }
    }
  }
}

void Loader::CheckVolumesFrom() {
  for (const model::Instance& c : env_.instances) {
    const YamlNode* list = instance_nodes_[c.name]->Find("volumes_from");
    for (const std::string& name : c.volumes_from) {
      const YamlNode* at = list;
      for (const YamlNode& item : list->items) {
        if (item.PyStr() == name) at = &item;
      }
      const model::Instance* other = env_.FindInstance(name);
      if (name == c.name) {
        Error(*at, absl::StrCat(c.name, " cannot take volumes from itself"));
        continue;
      }
      if (other == nullptr) {
        Error(*at, absl::StrCat("unknown container ", name, " to get volumes from for ", c.name));
        continue;
      }
      if (other->ship != c.ship) {
        Error(*at,
              absl::StrCat(name, " and ", c.name,
                           " must be on the same ship for "
                           "volumes_from (",
                           name, " is on ", other->ship, ", ", c.name, " is on ", c.ship, ")"));
        continue;
      }
      std::set<std::string> mine = c.Volumes(), theirs = other->Volumes();
      std::vector<std::string> overlap;
      std::set_intersection(mine.begin(), mine.end(), theirs.begin(), theirs.end(),
                            std::back_inserter(overlap));
      if (!overlap.empty()) {
        Error(*at, absl::StrCat("volume conflicts between ", c.name, " and ", name, ": ",
                                absl::StrJoin(overlap, ", ")));
        continue;
      }
      if (other->service != c.service) {
        for (model::Service& s : env_.services) {
          if (s.name == c.service && !Contains(s.volumes_from_services, other->service)) {
            s.volumes_from_services.push_back(other->service);
            std::sort(s.volumes_from_services.begin(), s.volumes_from_services.end());
          }
        }
      }
    }
  }
}

void Loader::CheckCycles() {
  if (auto cycle = graph::FindCycle(graph::ServiceEdges(env_))) {
    const YamlNode* at = service_keys_[cycle->front()];
    Error(*at, absl::StrCat("dependency cycle: ", graph::FormatCycle(*cycle)));
    return;
  }
  if (auto cycle = graph::FindContainerCycle(env_)) {
    const YamlNode* at = instance_keys_[cycle->front()];
    Error(*at, absl::StrCat("volumes_from cycle: ", graph::FormatCycle(*cycle)));
  }
}

void Loader::InjectLinkVariables() {
  // Built once here, assembled per service only when a container's environment is read.
  LinkVariables::Attach(LinkVariables::Build(env_), env_);
}

absl::StatusOr<LoadResult> Loader::Load() {
  absl::StatusOr<YamlNode> parsed = ParseYaml(in_.display_name, in_.text, in_.limits);
  if (!parsed.ok()) return parsed.status();
  const YamlNode& root = *parsed;
  env_.display_name = in_.display_name;
  env_.base_dir = in_.base_dir;
  if (!root.IsMapping()) {
    Error(root, absl::StrCat("the environment description must be a mapping (name, ships, "
                             "services, ...), got ",
                             root.KindName()));
    return ErrorsStatus();
  }
  CheckKeys(root, kTopKeys, "", /*allow_underscore=*/true);
  for (Diagnostic& w : warnings_) {
    if (w.message.rfind("unknown key", 0) == 0) w.message.replace(0, 11, "unknown top-level key");
  }

  if (const YamlNode* meta = Mapping(root.Find("__maestro"), "__maestro")) {
    CheckKeys(*meta, kMaestroKeys, " in __maestro");
    if (const YamlNode* schema = meta->Find("schema")) {
      // MaestroNG compares `schema == 1` with Python equality: 1, 1.0 and true are schema 1;
      // anything else (2, {version: 2}, ...) selects the modern volume format.
      bool one = (schema->kind == Kind::kInt && schema->int_value == 1) ||
                 (schema->kind == Kind::kFloat && schema->float_value == 1.0) ||
                 (schema->kind == Kind::kBool && schema->bool_value);
      env_.schema = one ? 1 : 2;
    }
  }
  const YamlNode* name = root.Find("name");
  if (name == nullptr || name->IsNull()) {
    Error(name == nullptr ? root : *name, "environment name is missing (add a top-level 'name')");
  } else if (!name->IsScalar() || name->kind == Kind::kBool) {
    Error(*name, absl::StrCat("environment name must be a string, got ", name->KindName()));
  } else {
    env_.name = name->PyStr();
  }
  if (const YamlNode* provider = root.Find("ship_provider"); provider && !provider->IsNull()) {
    if (provider->PyStr() != "static") {
      Error(*provider, absl::StrCat("invalid ship provider ", provider->PyStr(),
                                    "; available providers: static"));
    }
  }
  LoadRegistries(root.Find("registries"));
  LoadNetworks(root.Find("networks"));
  LoadNamedVolumes(root.Find("volumes"));
  LoadShips(root);
  LoadServiceDefaults(root.Find("service_defaults"));
  LoadSecrets(root.Find("secrets"));
  LoadServices(root.Find("services"));
  LoadAudit(root.Find("audit"));
  if (!errors_.empty()) return ErrorsStatus();

  ResolveDependencies();
  CheckVolumesFrom();
  if (!errors_.empty()) return ErrorsStatus();
  CheckCycles();
  if (!errors_.empty()) return ErrorsStatus();
  if (in_.link_variables) InjectLinkVariables();

  LoadResult result;
  result.environment = std::move(env_);
  result.warnings = std::move(warnings_);
  return result;
}

}  // namespace loader_internal

absl::StatusOr<LoadResult> LoadEnvironment(const LoadInput& in, FileReader& files) {
  loader_internal::Loader loader(in, files);
  return loader.Load();
}

}  // namespace config
}  // namespace maestro
