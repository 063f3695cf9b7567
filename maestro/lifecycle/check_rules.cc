#include "maestro/lifecycle/check_rules.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/lifecycle/python_regex.h"

namespace maestro::lifecycle {
namespace {

const std::set<std::string> kRequestsOptions = {
    "timeout", "verify", "cert", "headers", "auth", "params", "data", "json", "allow_redirects"};
const std::set<std::string> kMethods = {"get", "post", "put", "head", "delete", "patch", "options"};

std::optional<CheckProblem> Problem(std::string key, std::string message) {
  return CheckProblem{std::move(key), std::move(message)};
}

bool PositiveNumber(const nlohmann::json& v) {
  return v.is_number() && v.get<double>() > 0 && v.get<double>() < 1e9;  // rejects inf, nan
}

std::optional<CheckProblem> FindNetworkProblem(const model::Check& c,
                                               const model::Instance* instance) {
  if (instance != nullptr && !c.port_name.empty()) {
    const model::Port* p = instance->FindPort(c.port_name);
    if (p != nullptr) {
      if (p->exposed.protocol != "tcp" || p->external.protocol != "tcp") {
        return Problem("port", absl::StrCat("Port ", c.port_name, " is not TCP!"));
      }
      if (p->external.is_range()) {  // FIX #23
        return Problem(
            "port",
            absl::StrCat("Port ", c.port_name, " is a port range (", p->external.Number(), "); a ",
                         model::CheckTypeName(c.type), " check needs a single port"));
      }
    } else if (c.type == model::CheckType::kTcp || c.port <= 0) {
      return Problem(
          "port", absl::StrCat("Port ", c.port_name, " is not defined by ", instance->name, "!"));
    }
  }
  if (c.port <= 0 || c.port > 65535) {
    return Problem("port", absl::StrCat("invalid port ", c.port, " for port '", c.port_name, "'"));
  }
  if (c.host.empty()) return Problem("host", "no host to check");
  if (c.max_wait < 0) return Problem("max_wait", "max_wait must not be negative");
  if (c.type == model::CheckType::kTcp) return std::nullopt;
  if (c.scheme != "http" && c.scheme != "https") {
    return Problem("scheme", absl::StrCat("scheme must be http or https, not '", c.scheme, "'"));
  }
  if (kMethods.count(absl::AsciiStrToLower(c.method)) == 0) {
    return Problem("method", absl::StrCat("unsupported HTTP method '", c.method, "'"));
  }
  if (c.match_regex) {
    absl::StatusOr<PythonRegex> r = PythonRegex::Compile(*c.match_regex);
    if (!r.ok()) return Problem("match_regex", std::string(r.status().message()));
  }
  if (!c.requests_options.is_object()) {
    return Problem("requests_options", "requests_options must be a map");
  }
  for (const auto& [k, v] : c.requests_options.items()) {
    std::string key = absl::StrCat("requests_options.", k);
    if (kRequestsOptions.count(k) == 0) {
      return Problem(key, absl::StrCat("unsupported requests_options key '", k, "' (supported: ",
                                       absl::StrJoin(kRequestsOptions, ", "), ")"));
    }
    if (k == "timeout" && !v.is_null() && !PositiveNumber(v) &&
        !(v.is_array() && v.size() == 2 && PositiveNumber(v[0]) && PositiveNumber(v[1]))) {
      return Problem(key,
                     "requests_options.timeout must be a positive number of seconds or "
                     "[connect, read]");
    }
    if (k == "verify" && !v.is_boolean() && !v.is_string()) {
      return Problem(key, "requests_options.verify must be true, false or a CA bundle path");
    }
    if (k == "auth" && !(v.is_array() && v.size() == 2)) {
      return Problem(key, "requests_options.auth must be [user, password]");
    }
    if ((k == "headers" || k == "params") && !v.is_object()) {
      return Problem(key, absl::StrCat("requests_options.", k, " must be a map"));
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<CheckProblem> FindCheckProblem(const model::Check& c,
                                             const model::Instance* instance) {
  switch (c.type) {
    case model::CheckType::kTcp:
    case model::CheckType::kHttp:
      return FindNetworkProblem(c, instance);
    case model::CheckType::kExec:
    case model::CheckType::kRexec:
      if (c.argv.empty()) return Problem("command", "`command` is required and must not be empty");
      if (c.attempts < 0) return Problem("attempts", "attempts must not be negative");
      if (c.type == model::CheckType::kExec && c.envfrom != "env" && c.envfrom != "stdin") {
        return Problem("envfrom", absl::StrCat("Lifecycle check: invalid envfrom ", c.envfrom,
                                               " (expected env or stdin)"));
      }
      return std::nullopt;
    case model::CheckType::kHealth:
      if (c.attempts < 0) return Problem("attempts", "attempts must not be negative");
      if (instance != nullptr && instance->healthcheck && instance->healthcheck->disabled()) {
        return Problem("", absl::StrCat("health check on ", instance->name,
                                        " needs a Docker healthcheck, but it is disabled"));
      }
      return std::nullopt;
    case model::CheckType::kSleep:
      if (c.wait < 0) return Problem("wait", "wait must not be negative");
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace maestro::lifecycle
