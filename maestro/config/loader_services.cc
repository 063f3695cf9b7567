// Loader: services, and the environment building (docs/environment.md#the-container-environment:
// envfile, env) shared with instances.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/config/loader_internal.h"
#include "maestro/config/parsers.h"
#include "maestro/model/env_contract.h"
#include "maestro/model/secrets.h"

namespace maestro {
namespace config {
namespace loader_internal {
namespace {

const std::vector<std::string> kServiceKeys = {
    "image",       "instances", "omit",      "requires", "wants_info",
    "envfile",     "env",       "lifecycle", "limits",   "ports",
    "healthcheck", "networks",  "update",    "secrets",  "secrets_guest"};
const std::vector<std::string> kLimitKeys = {"cpu", "memory", "swap"};

}  // namespace

std::optional<std::string> Loader::FlattenEnvList(const std::string& key, const YamlNode& list,
                                                  bool* ok) {
  std::vector<std::string> pieces;
  for (const YamlNode& item : list.items) {
    if (item.IsSequence()) {
      auto inner = FlattenEnvList(key, item, ok);
      if (!*ok) return std::nullopt;
      pieces.push_back(*inner);
    } else if (item.IsString()) {
      pieces.push_back(item.text);
    } else {
      Error(item, absl::StrCat("environment list items must be strings (quote them), got ",
                               item.KindName(), " ", model::QuoteValue(key, item.PyStr())));
      *ok = false;
      return std::nullopt;
    }
  }
  return absl::StrJoin(pieces, " ");
}

bool Loader::AddEnvFiles(const YamlNode& node, EnvMap* env) {
  if (node.IsNull()) return true;
  if (node.IsSequence()) {
    for (const YamlNode& item : node.items) {
      if (!AddEnvFiles(item, env)) return false;
    }
    return true;
  }
  if (!node.IsString()) {
    Error(node, absl::StrCat("envfile must be a path or a list of paths, got ", node.KindName()));
    return false;
  }
  if (node.text.empty()) return true;  // falsy sources are skipped, as in MaestroNG
  std::string path = JoinPath(in_.base_dir, node.text);
  absl::StatusOr<std::string> content = files_.Read(path);
  if (!content.ok()) {
    Error(node, std::string(content.status().message()));
    return false;
  }
  auto entries = ParseEnvFile(*content);
  if (!entries.ok()) {
    Error(node, absl::StrCat("environment file ", path, ", ", entries.status().message()));
    return false;
  }
  for (auto& [k, v] : *entries) (*env)[k] = v;
  return true;
}

bool Loader::AddEnvMapping(const YamlNode& node, EnvMap* env) {
  if (node.IsNull()) return true;
  if (node.IsSequence()) {
    for (const YamlNode& item : node.items) {
      if (!AddEnvMapping(item, env)) return false;
    }
    return true;
  }
  if (!node.IsMapping()) {
    Error(node, absl::StrCat("env must be a mapping of variables, got ", node.KindName(),
                             node.IsString() ? " (use 'envfile' for environment files)" : ""));
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < node.keys.size(); ++i) {
    const YamlNode& value = node.values[i];
    std::string key = node.KeyAt(i);
    std::optional<std::string> text;
    if (value.IsMapping()) {
      Error(value, "environment variable values must be scalars or lists, got a mapping");
      ok = false;
      continue;
    } else if (value.IsSequence()) {
      bool item_ok = true;
      text = FlattenEnvList(key, value, &item_ok);
      if (!item_ok) {
        ok = false;
        continue;
      }
    } else if (!value.IsNull()) {
      text = value.PyStr();
    }
    if (absl::Status name_ok = CheckEnvVariable(key, ""); !name_ok.ok()) {
      Error(node.keys[i], std::string(name_ok.message()));
      ok = false;
      continue;
    }
    if (absl::Status value_ok = CheckEnvVariable(key, text.value_or("")); !value_ok.ok()) {
      Error(value, std::string(value_ok.message()));
      ok = false;
      continue;
    }
    (*env)[key] = std::move(text);
  }
  return ok;
}

void Loader::LoadServices(const YamlNode* node) {
  if (node == nullptr || node->IsNull()) return;
  if (!node->IsMapping()) {
    Error(*node, absl::StrCat("services must be a mapping of service names to settings, got ",
                              node->KindName()));
    return;
  }
  size_t instances = 0;
  for (const YamlNode& service : node->values) {
    const YamlNode* list = service.Find("instances");
    if (list == nullptr) continue;
    for (size_t i = 0; i < list->keys.size(); ++i) {
      instances += IsInstanceTemplate(list->keys[i]) ? TemplateCount(list->values[i]) : 1;
    }
  }
  env_.instances.reserve(env_.instances.size() + instances);
  for (size_t i = 0; i < node->keys.size(); ++i) LoadService(node->keys[i], node->values[i]);
}

void Loader::LoadService(const YamlNode& key, const YamlNode& node) {
  model::Service service;
  service.name = key.PyStr();
  service.line = key.line;
  service_keys_[service.name] = &key;
  service_nodes_[service.name] = &node;
  if (!node.IsMapping()) {
    Error(node.IsNull() ? key : node, absl::StrCat("service '", service.name,
                                                   "' must be a mapping with 'image' and "
                                                   "'instances', got ",
                                                   node.KindName()));
    return;
  }
  CheckKeys(node, WithContainerKeys(kServiceKeys),
            absl::StrCat(" in service '", service.name, "'"));
  size_t errors_before = errors_.size();
  if (const YamlNode* n = node.Find("image"); n && !n->IsNull()) {
    if (auto s = String(*n, "image")) {
      if (absl::StripAsciiWhitespace(*s).empty()) {
        Error(*n, absl::StrCat("service '", service.name, "' has an empty 'image'"));
      } else {
        service.image = *s;
      }
    }
  } else {
    Error(key, absl::StrCat("service '", service.name, "' has no 'image'"));
  }
  if (const YamlNode* n = node.Find("omit")) {
    if (auto b = Bool(*n, "omit")) service.omit = *b;
  }
  for (auto [field, target] :
       {std::pair<const char*, std::vector<std::string>*>{"requires", &service.requires},
        {"wants_info", &service.wants_info}}) {
    if (const YamlNode* n = node.Find(field)) {
      if (auto list = StringList(*n, field)) {
        for (const std::string& s : *list) {
          if (!Contains(*target, s)) target->push_back(s);
        }
      }
    }
  }
  // Service environment: envfiles, env, then the seeds (which override the user's env).
  if (const YamlNode* n = node.Find("envfile")) AddEnvFiles(*n, &service.env);
  if (const YamlNode* n = node.Find("env")) AddEnvMapping(*n, &service.env);
  service.env[env_contract::kEnvironmentName] = env_.name;
  service.env[env_contract::kServiceName] = service.name;
  Mapping(node.Find("ports"), "ports");
  Mapping(node.Find("limits"), "limits");
  Mapping(node.Find("lifecycle"), "lifecycle");
  if (const YamlNode* limits = node.Find("limits"); limits && limits->IsMapping()) {
    CheckKeys(*limits, kLimitKeys, absl::StrCat(" in the limits of service '", service.name, "'"));
  }

  const YamlNode* instances = node.Find("instances");
  if (instances == nullptr) {
    Error(key, absl::StrCat("service '", service.name, "' has no 'instances'"));
  } else if (!instances->IsMapping()) {
    Error(instances->IsNull() ? key : *instances,
          absl::StrCat("instances of service '", service.name,
                       "' must be a mapping of instance names to settings, got ",
                       instances->KindName()));
  }
  if (errors_.size() != errors_before) {
    env_.services.push_back(std::move(service));
    return;
  }
  env_.services.push_back(std::move(service));
  size_t index = env_.services.size() - 1;
  for (const auto& [instance_key, instance_node] : ExpandInstances(*instances)) {
    LoadInstance(node, env_.services[index], *instance_key, *instance_node);
  }
  if (env_.services[index].instances.empty()) {
    // Service-level container keys are otherwise read only through the instances: check them
    // as an instance with no settings of its own would see them.
    YamlNode no_settings;
    no_settings.kind = Kind::kMapping;
    model::Instance phantom;
    phantom.service = env_.services[index].name;
    LoadLimits(node, no_settings, phantom);
    LoadContainerKeys(node, no_settings, phantom);
  }
  LoadUpdate(node, env_.services[index]);
}

}  // namespace loader_internal
}  // namespace config
}  // namespace maestro
