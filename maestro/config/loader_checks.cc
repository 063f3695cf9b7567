// Loader: lifecycle states and checks.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "maestro/config/loader_internal.h"
#include "maestro/config/parsers.h"
#include "maestro/lifecycle/check_rules.h"

namespace maestro {
namespace config {
namespace loader_internal {
namespace {

const std::vector<std::string> kLifecycleStates = {"pre-start", "running", "pre-stop", "stopped"};

}  // namespace

void Loader::LoadLifecycle(const YamlNode* service_lc, const YamlNode* instance_lc,
                           const model::Ship& ship, model::Instance& c) {
  // Each instance parses the check configurations afresh: nothing is shared between
  // instances, so service checks never accumulate (MaestroNG bugs 6, 7, 18).
  for (const YamlNode* lc : {service_lc, instance_lc}) {
    if (lc == nullptr || !lc->IsMapping()) {
      if (lc != nullptr && lc == instance_lc && !lc->IsNull()) {
        Error(*lc, absl::StrCat("lifecycle must be a mapping of states to lists of checks, got ",
                                lc->KindName()));
      }
      continue;
    }
    for (size_t i = 0; i < lc->keys.size(); ++i) {
      std::string state = lc->KeyAt(i);
      const YamlNode& checks = lc->values[i];
      if (!Contains(kLifecycleStates, state) && lc == instance_lc) {
        std::string suggestion = Suggest(state, kLifecycleStates);
        Warn(lc->keys[i],
             absl::StrCat("lifecycle state '", state,
                          "' is never used (states: ", absl::StrJoin(kLifecycleStates, ", "), ")",
                          suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
      }
      if (checks.IsNull()) continue;
      if (!checks.IsSequence()) {
        Error(checks, absl::StrCat("invalid ", state,
                                   " lifecycle checks configuration; expected "
                                   "a list of checks, got ",
                                   checks.KindName()));
        continue;
      }
      for (const YamlNode& check : checks.items) {
        if (auto parsed = LoadCheck(check, state, ship, c)) c.lifecycle[state].push_back(*parsed);
      }
    }
  }
  if (service_lc != nullptr && service_lc->IsMapping()) {
    // Warn once per service about unused states, on its first instance.
    const model::Service* s = env_.FindService(c.service);
    if (s != nullptr && !s->instances.empty() && s->instances.front() == c.name) {
      for (size_t i = 0; i < service_lc->keys.size(); ++i) {
        std::string state = service_lc->KeyAt(i);
        if (!Contains(kLifecycleStates, state)) {
          std::string suggestion = Suggest(state, kLifecycleStates);
          Warn(service_lc->keys[i],
               absl::StrCat("lifecycle state '", state,
                            "' is never used (states: ", absl::StrJoin(kLifecycleStates, ", "), ")",
                            suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
        }
      }
    }
  }
}

std::optional<model::Check> Loader::LoadCheck(const YamlNode& node, const std::string& state,
                                              const model::Ship& ship, const model::Instance& c) {
  if (!node.IsMapping()) {
    Error(node,
          absl::StrCat("a lifecycle check must be a mapping with a 'type', got ", node.KindName()));
    return std::nullopt;
  }
  const YamlNode* type = node.Find("type");
  if (type == nullptr) {
    Error(node, "lifecycle check has no 'type' (tcp, http, exec, rexec, sleep or health)");
    return std::nullopt;
  }
  static const std::map<std::string, std::pair<model::CheckType, std::vector<std::string>>> kTypes =
      {
          {"tcp", {model::CheckType::kTcp, {"type", "port", "max_wait"}}},
          {"http",
           {model::CheckType::kHttp,
            {"type", "port", "host", "match_regex", "path", "scheme", "method", "max_wait",
             "requests_options"}}},
          {"exec",
           {model::CheckType::kExec, {"type", "command", "attempts", "envfrom", "timeout"}}},
          {"rexec", {model::CheckType::kRexec, {"type", "command", "attempts", "timeout"}}},
          {"sleep", {model::CheckType::kSleep, {"type", "wait"}}},
          {"health", {model::CheckType::kHealth, {"type", "attempts"}}},
      };
  std::string type_name = type->PyStr();
  auto it = kTypes.find(type_name);
  if (it == kTypes.end()) {
    Error(*type, absl::StrCat("unknown lifecycle check type '", type_name,
                              "' (expected tcp, http, exec, rexec, sleep or health)"));
    return std::nullopt;
  }
  model::Check check;
  check.type = it->second.first;
  check.line = node.line;
  const std::vector<std::string>& allowed = it->second.second;
  for (size_t i = 0; i < node.keys.size(); ++i) {
    std::string key = node.KeyAt(i);
    if (Contains(allowed, key)) continue;
    std::string suggestion = Suggest(key, allowed);
    if (key == "cmd") suggestion = "command";
    Error(node.keys[i],
          absl::StrCat("unknown option '", key, "' for lifecycle check type ", type_name,
                       suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
    return std::nullopt;
  }
  size_t errors_before = errors_.size();
  auto int_option = [&](const char* name, int def) -> int {
    const YamlNode* n = node.Find(name);
    if (n == nullptr || n->IsNull()) return def;
    auto v = Int(*n, name);
    if (!v) return def;
    if (*v < 0 || *v > 1000000000) {
      Error(*n, absl::StrCat(name, " must be between 0 and 1000000000"));
      return def;
    }
    return static_cast<int>(*v);
  };
  auto string_option = [&](const char* name, const std::string& def) -> std::string {
    const YamlNode* n = node.Find(name);
    if (n == nullptr || n->IsNull()) return def;
    auto s = String(*n, name);
    return s ? *s : def;
  };
  // The port of a tcp/http check: a named port of the container (its external port on the
  // ship), or for http any port number. Whether it can be checked is for the rules below.
  auto resolve_port = [&](const YamlNode& port_node, bool numbers_allowed) {
    std::string name = port_node.PyStr();
    check.port_name = name;
    int number = 0;
    if (const model::Port* p = c.FindPort(name)) {
      check.port = p->external.first;
    } else if (numbers_allowed && (port_node.kind == Kind::kInt || port_node.IsString()) &&
               absl::SimpleAtoi(name, &number)) {
      check.port = number;
    }
  };
  switch (check.type) {
    case model::CheckType::kTcp: {
      const YamlNode* port = node.Find("port");
      if (port == nullptr || port->IsNull()) {
        Error(node, "tcp check needs a 'port' (the name of a port of the container)");
        break;
      }
      resolve_port(*port, /*numbers_allowed=*/false);
      check.host = ship.ip;
      check.max_wait = int_option("max_wait", 180);
      break;
    }
    case model::CheckType::kHttp: {
      const YamlNode* port = node.Find("port");
      if (port == nullptr || port->IsNull()) {
        Error(node, "http check needs a 'port' (a port name or number)");
        break;
      }
      resolve_port(*port, /*numbers_allowed=*/true);
      check.host = string_option("host", ship.ip);
      check.max_wait = int_option("max_wait", 300);
      if (const YamlNode* re = node.Find("match_regex"); re && !re->IsNull()) {
        if (auto s = String(*re, "match_regex")) check.match_regex = *s;
      }
      check.path = string_option("path", "/");
      if (check.path.empty() || check.path[0] != '/') check.path = "/" + check.path;
      check.scheme = string_option("scheme", "http");
      check.method = absl::AsciiStrToLower(string_option("method", "get"));
      if (const YamlNode* opts = node.Find("requests_options"); opts && !opts->IsNull()) {
        if (!opts->IsMapping()) {
          Error(*opts, absl::StrCat("requests_options must be a mapping, got ", opts->KindName()));
        } else {
          check.requests_options = ToJson(*opts);
        }
      }
      break;
    }
    case model::CheckType::kExec:
    case model::CheckType::kRexec: {
      const YamlNode* command = node.Find("command");
      if (command == nullptr || command->IsNull()) {
        Error(node, absl::StrCat(type_name, " check needs a 'command'"));
        break;
      }
      if (auto s = String(*command, "command")) {
        check.command = *s;
        auto argv = ShlexSplit(*s);
        if (!argv.ok()) {
          Error(*command, absl::StrCat("cannot split command: ", argv.status().message()));
        } else {
          check.argv = *argv;
        }
      }
      check.attempts = int_option("attempts", 180);
      if (const YamlNode* t = node.Find("timeout"); t != nullptr && !t->IsNull()) {
        if (t->kind == Kind::kInt || t->kind == Kind::kFloat) {
          check.timeout =
              t->kind == Kind::kInt ? static_cast<double>(t->int_value) : t->float_value;
          if (!(check.timeout > 0 && check.timeout <= 1e6)) {
            Error(*t, "timeout must be a positive number of seconds (at most 1000000)");
          }
        } else {
          Error(*t, absl::StrCat("timeout must be a number of seconds, got ", t->KindName()));
        }
      }
      if (check.type == model::CheckType::kExec) check.envfrom = string_option("envfrom", "env");
      break;
    }
    case model::CheckType::kSleep: {
      const YamlNode* wait = node.Find("wait");
      if (wait == nullptr || wait->IsNull()) {
        Error(node, "sleep check needs 'wait' (seconds)");
        break;
      }
      check.wait = int_option("wait", 0);
      break;
    }
    case model::CheckType::kHealth:
      check.attempts = int_option("attempts", 180);
      break;
  }
  if (errors_.size() != errors_before) return std::nullopt;
  // The rules every check follows (check_rules.h), reported at the option they are about.
  if (std::optional<lifecycle::CheckProblem> problem = lifecycle::FindCheckProblem(check, &c)) {
    const YamlNode* at = &node;
    for (absl::string_view part : absl::StrSplit(problem->key, '.', absl::SkipEmpty())) {
      const YamlNode* next = at->IsMapping() ? at->Find(std::string(part)) : nullptr;
      if (next == nullptr) break;
      at = next;
    }
    Error(*at, problem->message);
    return std::nullopt;
  }
  (void)state;
  return check;
}

}  // namespace loader_internal
}  // namespace config
}  // namespace maestro
