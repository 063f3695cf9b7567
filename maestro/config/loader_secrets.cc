// Loader: the top-level `secrets:` (where each value comes from) and the `secrets:` list of
// services and instances (where it appears in the container). Values are not read here:
// config::ResolveSecrets (secret_values.h) reads them after loading, for the commands that
// need them. docs/environment.md#secrets.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "maestro/config/loader_internal.h"
#include "maestro/config/parsers.h"

namespace maestro {
namespace config {
namespace loader_internal {
namespace {

const std::vector<std::string> kSourceKeys = {"file", "environment", "command"};
const std::vector<std::string> kMountKeys = {"source", "target", "mode", "uid", "gid"};

// A secret's name: it becomes a file name under /run/secrets and a label key part.
bool ValidSecretName(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.' || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// A path in the container where a secret may be written: absolute, normalised, not a system
// directory, and not the ready marker.
std::string TargetProblem(const std::string& target) {
  if (target.empty() || target[0] != '/') return "must be an absolute path";
  if (absl::EndsWith(target, "/")) return "must name a file, not a directory";
  for (absl::string_view part : absl::StrSplit(target.substr(1), '/')) {
    if (part.empty() || part == "." || part == "..") {
      return "must be a normalised path (no empty, '.' or '..' parts)";
    }
  }
  if (std::count(target.begin(), target.end(), '/') < 2) {
    return "must be in a directory below / (the directory becomes a tmpfs)";
  }
  for (const char* system :
       {"/proc/", "/sys/", "/dev/", "/etc/", "/bin/", "/sbin/", "/usr/", "/lib/", "/lib64/"}) {
    if (absl::StartsWith(target, system)) {
      return absl::StrCat("cannot be under ", system, " (its directory becomes a tmpfs)");
    }
  }
  if (target == absl::StrCat(model::kSecretsDir, "/", model::kSecretsReadyMarker)) {
    return "is maestro's ready marker";
  }
  return "";
}

}  // namespace

void Loader::LoadSecrets(const YamlNode* node) {
  const YamlNode* secrets = Mapping(node, "secrets");
  if (secrets == nullptr) return;
  for (size_t i = 0; i < secrets->keys.size(); ++i) {
    const YamlNode& key = secrets->keys[i];
    const YamlNode& value = secrets->values[i];
    model::Secret s;
    s.name = key.PyStr();
    s.line = key.line;
    s.column = key.column;
    if (!ValidSecretName(s.name)) {
      Error(key, absl::StrCat("invalid secret name '", s.name,
                              "' (letters, digits, '_', '-' and '.', not starting with '.' or "
                              "'-', at most 128 characters)"));
      continue;
    }
    if (!value.IsMapping()) {
      Error(value.IsNull() ? key : value,
            absl::StrCat("secret '", s.name,
                         "' must be a mapping with one of file, environment or command, got ",
                         value.KindName()));
      continue;
    }
    CheckKeys(value, kSourceKeys, absl::StrCat(" in secret '", s.name, "'"));
    std::vector<std::string> given;
    for (const std::string& k : kSourceKeys) {
      if (value.Find(k) != nullptr) given.push_back(k);
    }
    if (given.size() != 1) {
      Error(given.empty() ? value : *value.Find(given[1]),
            absl::StrCat("secret '", s.name,
                         "' needs exactly one source (file, environment or "
                         "command), got ",
                         given.empty() ? "none" : absl::StrJoin(given, " and ")));
      continue;
    }
    const YamlNode& source = *value.Find(given[0]);
    const std::string what = absl::StrCat("secrets.", s.name, ".", given[0]);
    if (given[0] == "file") {
      s.source = model::SecretSource::kFile;
      std::optional<std::string> path = String(source, what);
      if (!path) continue;
      if (path->empty()) {
        Error(source, absl::StrCat(what, " must not be empty"));
        continue;
      }
      s.file = *path;
    } else if (given[0] == "environment") {
      s.source = model::SecretSource::kEnvironment;
      std::optional<std::string> var = String(source, what);
      if (!var) continue;
      if (var->empty() || var->find('=') != std::string::npos) {
        Error(source, absl::StrCat(what, " must be a variable name, got '", *var, "'"));
        continue;
      }
      s.variable = *var;
    } else {
      s.source = model::SecretSource::kCommand;
      if (!source.IsSequence()) {
        Error(source, absl::StrCat(what,
                                   " must be a list (the program and its arguments, run "
                                   "without a shell), got ",
                                   source.KindName()));
        continue;
      }
      std::optional<std::vector<std::string>> argv = StringList(source, what);
      if (!argv) continue;
      if (argv->empty() || (*argv)[0].empty()) {
        Error(source, absl::StrCat(what, " must name a program"));
        continue;
      }
      s.command = std::move(*argv);
    }
    env_.secrets.push_back(std::move(s));
  }
}

void Loader::LoadInstanceSecrets(const YamlNode& service_node, const YamlNode& node,
                                 model::Instance& c) {
  std::map<std::string, model::SecretMount> by_name;  // service's, then the instance's
  std::map<std::string, const YamlNode*> at;
  for (const YamlNode* list : {service_node.Find("secrets"), node.Find("secrets")}) {
    if (list == nullptr || list->IsNull()) continue;
    if (!list->IsSequence()) {
      Error(*list, absl::StrCat("secrets must be a list of secret names or mappings with "
                                "source, target, mode, uid, gid, got ",
                                list->KindName()));
      continue;
    }
    for (const YamlNode& item : list->items) {
      model::SecretMount m;
      const YamlNode* name_node = &item;
      if (item.IsMapping()) {
        CheckKeys(item, kMountKeys, absl::StrCat(" in a secret of ", c.name));
        name_node = item.Find("source");
        if (name_node == nullptr) {
          Error(item, "a secret given as a mapping needs 'source' (the secret's name)");
          continue;
        }
      }
      std::optional<std::string> name = String(*name_node, "secret name");
      if (!name) continue;
      m.name = *name;
      if (env_.FindSecret(m.name) == nullptr) {
        std::vector<std::string> known;
        for (const model::Secret& s : env_.secrets) known.push_back(s.name);
        std::string suggestion = Suggest(m.name, known);
        Error(*name_node,
              absl::StrCat("unknown secret '", m.name,
                           "' (declare it under the top-level "
                           "'secrets:')",
                           suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
        continue;
      }
      m.target = absl::StrCat(model::kSecretsDir, "/", m.name);
      if (item.IsMapping()) {
        if (const YamlNode* t = item.Find("target"); t && !t->IsNull()) {
          std::optional<std::string> target = String(*t, "secret target");
          if (!target) continue;
          // A bare name is a file in /run/secrets.
          m.target = target->find('/') == std::string::npos
                         ? absl::StrCat(model::kSecretsDir, "/", *target)
                         : *target;
          if (std::string problem = TargetProblem(m.target); !problem.empty()) {
            Error(*t, absl::StrCat("secret target '", m.target, "' ", problem));
            continue;
          }
        }
        if (const YamlNode* mode = item.Find("mode"); mode && !mode->IsNull()) {
          std::string text(absl::StripAsciiWhitespace(mode->text));
          int value = 0;
          bool ok =
              mode->IsScalar() && !text.empty() && text.size() <= 4 &&
              std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '7'; });
          for (char ch : text) value = value * 8 + (ch - '0');
          if (!ok || value > 0777) {
            Error(*mode, absl::StrCat("secret mode must be octal permissions like 0400 or 0440, "
                                      "got '",
                                      mode->PyStr(), "'"));
            continue;
          }
          m.mode = value;
        }
        bool bad_owner = false;
        for (const char* owner : {"uid", "gid"}) {
          const YamlNode* n = item.Find(owner);
          if (n == nullptr || n->IsNull()) continue;
          std::optional<int64_t> id = Int(*n, absl::StrCat("secret ", owner));
          if (!id) {
            bad_owner = true;
          } else if (*id < 0 || *id > 0x7fffffff) {
            Error(*n, absl::StrCat("secret ", owner,
                                   " must be a number from 0 to 2147483647, "
                                   "got ",
                                   *id));
            bad_owner = true;
          } else {
            (std::string(owner) == "uid" ? m.uid : m.gid) = *id;
          }
        }
        if (bad_owner) continue;
      }
      at[m.name] = &item;
      by_name[m.name] = std::move(m);
    }
  }
  // secrets_guest: the instance's replaces the service's.
  for (const YamlNode* guest : {service_node.Find("secrets_guest"), node.Find("secrets_guest")}) {
    if (guest == nullptr || guest->IsNull()) continue;
    std::optional<std::string> path = String(*guest, "secrets_guest");
    if (!path) continue;
    std::string problem;
    if (path->empty() || (*path)[0] != '/' || absl::EndsWith(*path, "/")) {
      problem = "must be an absolute path to a file";
    } else {
      for (absl::string_view part : absl::StrSplit(path->substr(1), '/')) {
        if (part.empty() || part == "." || part == "..") {
          problem = "must be a normalised path (no empty, '.' or '..' parts)";
        }
      }
    }
    if (!problem.empty()) {
      Error(*guest, absl::StrCat("secrets_guest '", *path, "' ", problem,
                                 " (the path of a static maestro-guest in the image)"));
      continue;
    }
    c.secrets_guest = *path;
  }
  std::map<std::string, std::string> targets;  // target -> secret
  for (auto& [name, m] : by_name) {
    auto [it, inserted] = targets.emplace(m.target, name);
    if (!inserted) {
      Error(*at[name], absl::StrCat("secrets '", it->second, "' and '", name, "' of ", c.name,
                                    " have the same target ", m.target));
      continue;
    }
    c.secrets.push_back(m);
  }
  std::sort(
      c.secrets.begin(), c.secrets.end(),
      [](const model::SecretMount& a, const model::SecretMount& b) { return a.target < b.target; });
}

}  // namespace loader_internal
}  // namespace config
}  // namespace maestro
