#include "guest/render.h"

#include <fstream>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace maestro {
namespace guest {
namespace {

using jinja::CallArgs;
using jinja::Value;

// Binds positional and keyword arguments to parameter names, Python style.
absl::StatusOr<std::vector<std::optional<Value>>> Bind(const std::string& function,
                                                       const CallArgs& args,
                                                       const std::vector<std::string>& params,
                                                       size_t required) {
  if (args.positional.size() > params.size()) {
    return absl::InvalidArgumentError(absl::StrCat(function, "() takes at most ", params.size(),
                                                   " arguments (", args.positional.size(),
                                                   " given)"));
  }
  std::vector<std::optional<Value>> bound(params.size());
  for (size_t i = 0; i < args.positional.size(); ++i) bound[i] = args.positional[i];
  for (const auto& [name, value] : args.keyword) {
    size_t i = 0;
    while (i < params.size() && params[i] != name) ++i;
    if (i == params.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(function, "() got an unexpected keyword argument '", name, "'"));
    }
    if (bound[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat(function, "() got multiple values for argument '", name, "'"));
    }
    bound[i] = value;
  }
  for (size_t i = 0; i < required; ++i) {
    if (!bound[i] || bound[i]->is_undefined()) {
      return absl::InvalidArgumentError(
          absl::StrCat(function, "() missing required argument '", params[i], "'"));
    }
  }
  return bound;
}

absl::StatusOr<std::string> AsString(const std::string& function, const std::string& param,
                                     const std::optional<Value>& v) {
  if (!v->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(function, "(): ", param, " must be a string, not ", v->TypeName()));
  }
  return v->as_string();
}

// int(default) semantics: None (or not given) is no default; ints and integer strings are.
absl::StatusOr<std::optional<long long>> AsDefault(const std::string& function,
                                                   const std::optional<Value>& v) {
  if (!v || v->is_none() || v->is_undefined()) return std::optional<long long>();
  if (v->is_int()) return std::optional<long long>(v->as_int());
  if (v->is_bool()) return std::optional<long long>(v->as_bool() ? 1 : 0);
  if (v->is_string()) {
    if (std::optional<long long> n = ParsePythonInt(v->as_string())) return n;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(function, "(): default must be an integer, not ", v->Repr()));
}

template <typename T>
absl::StatusOr<Value> FromResult(const Result<T>& result) {
  if (!result.ok()) return absl::FailedPreconditionError(result.error());
  if constexpr (std::is_same_v<T, int>) {
    return Value(static_cast<int64_t>(result.value()));
  } else {
    return Value(result.value());
  }
}

using Body = std::function<absl::StatusOr<Value>(const std::vector<std::optional<Value>>&)>;

Value Function(const std::string& name, std::vector<std::string> params, size_t required,
               Body body) {
  return Value::MakeCallable(name,
                             [name, params = std::move(params), required, body = std::move(body)](
                                 const CallArgs& args) -> absl::StatusOr<Value> {
                               absl::StatusOr<std::vector<std::optional<Value>>> bound =
                                   Bind(name, args, params, required);
                               if (!bound.ok()) return bound.status();
                               return body(*bound);
                             });
}

}  // namespace

void AddGuestGlobals(const Guest& guest, jinja::Environment* environment) {
  const Guest* g = &guest;
  environment->AddGlobal("get_environment_name",
                         Function("get_environment_name", {}, 0, [g](const auto&) {
                           return absl::StatusOr<Value>(Value(g->EnvironmentName()));
                         }));
  environment->AddGlobal("get_service_name", Function("get_service_name", {}, 0, [g](const auto&) {
                           return FromResult(g->ServiceName());
                         }));
  environment->AddGlobal("get_container_name",
                         Function("get_container_name", {}, 0,
                                  [g](const auto&) { return FromResult(g->ContainerName()); }));
  environment->AddGlobal(
      "get_container_host_address",
      Function("get_container_host_address", {"as_ip_address"}, 0, [g](const auto& a) {
        bool as_ip = a[0] && a[0]->Truthy();
        return FromResult(g->ContainerHostAddress(as_ip));
      }));
  environment->AddGlobal("get_container_internal_address",
                         Function("get_container_internal_address", {"interface"}, 0,
                                  [g](const auto& a) -> absl::StatusOr<Value> {
                                    std::string name = kDefaultInterface;
                                    if (a[0] && !a[0]->is_none()) {
                                      absl::StatusOr<std::string> s = AsString(
                                          "get_container_internal_address", "interface", a[0]);
                                      if (!s.ok()) return s.status();
                                      name = *s;
                                    }
                                    return FromResult(g->ContainerInternalAddress(name));
                                  }));
  environment->AddGlobal(
      "get_port",
      Function("get_port", {"name", "default"}, 1, [g](const auto& a) -> absl::StatusOr<Value> {
        absl::StatusOr<std::string> name = AsString("get_port", "name", a[0]);
        if (!name.ok()) return name.status();
        absl::StatusOr<std::optional<long long>> def = AsDefault("get_port", a[1]);
        if (!def.ok()) return def.status();
        return FromResult(g->Port(*name, *def));
      }));
  environment->AddGlobal(
      "get_specific_host",
      Function("get_specific_host", {"service", "container"}, 2,
               [g](const auto& a) -> absl::StatusOr<Value> {
                 absl::StatusOr<std::string> s = AsString("get_specific_host", "service", a[0]);
                 if (!s.ok()) return s.status();
                 absl::StatusOr<std::string> c = AsString("get_specific_host", "container", a[1]);
                 if (!c.ok()) return c.status();
                 return FromResult(g->SpecificHost(*s, *c));
               }));
  for (bool exposed : {false, true}) {
    std::string fname = exposed ? "get_specific_exposed_port" : "get_specific_port";
    environment->AddGlobal(
        fname, Function(fname, {"service", "container", "port", "default"}, 3,
                        [g, exposed, fname](const auto& a) -> absl::StatusOr<Value> {
                          std::string names[3];
                          const char* params[3] = {"service", "container", "port"};
                          for (int i = 0; i < 3; ++i) {
                            absl::StatusOr<std::string> s = AsString(fname, params[i], a[i]);
                            if (!s.ok()) return s.status();
                            names[i] = *s;
                          }
                          absl::StatusOr<std::optional<long long>> def = AsDefault(fname, a[3]);
                          if (!def.ok()) return def.status();
                          return FromResult(
                              exposed ? g->SpecificExposedPort(names[0], names[1], names[2], *def)
                                      : g->SpecificPort(names[0], names[1], names[2], *def));
                        }));
  }
  environment->AddGlobal(
      "get_node_list",
      Function("get_node_list", {"service", "ports", "minimum"}, 1,
               [g](const auto& a) -> absl::StatusOr<Value> {
                 absl::StatusOr<std::string> service = AsString("get_node_list", "service", a[0]);
                 if (!service.ok()) return service.status();
                 std::vector<std::string> ports;
                 if (a[1] && !a[1]->is_none()) {
                   if (!a[1]->is_sequence_container()) {
                     return absl::InvalidArgumentError(absl::StrCat(
                         "get_node_list(): ports must be a list, not ", a[1]->TypeName()));
                   }
                   for (const Value& p : a[1]->as_list()) {
                     if (!p.is_string()) {
                       return absl::InvalidArgumentError(absl::StrCat(
                           "get_node_list(): port names must be strings, not ", p.TypeName()));
                     }
                     ports.push_back(p.as_string());
                   }
                 }
                 int64_t minimum = 1;
                 if (a[2] && !a[2]->is_none()) {
                   if (!a[2]->is_int()) {
                     return absl::InvalidArgumentError(absl::StrCat(
                         "get_node_list(): minimum must be an int, not ", a[2]->TypeName()));
                   }
                   minimum = a[2]->as_int();
                   if (minimum > 1000000) minimum = 1000000;
                   if (minimum < -1000000) minimum = -1000000;
                 }
                 Result<std::vector<std::string>> nodes =
                     g->NodeList(*service, ports, static_cast<int>(minimum));
                 if (!nodes.ok()) return absl::FailedPreconditionError(nodes.error());
                 Value::List list;
                 for (const std::string& n : nodes.value()) list.push_back(Value(n));
                 return Value::MakeList(std::move(list));
               }));
  std::map<std::string, std::string> vars;
  for (const std::string& name : guest.env().Names()) {
    vars[name] = guest.env().Get(name).value_or("");
  }
  environment->AddGlobal("env", jinja::MakeEnvDict(vars));
}

absl::StatusOr<std::string> RenderTemplate(const Guest& guest, const std::string& template_path) {
  size_t slash = template_path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : template_path.substr(0, slash);
  if (dir.empty()) dir = "/";
  std::string name = slash == std::string::npos ? template_path : template_path.substr(slash + 1);
  jinja::FileSystemLoader loader(dir);
  jinja::Environment environment(&loader);
  AddGuestGlobals(guest, &environment);
  return environment.RenderFile(name, {});
}

int RenderCommand(const std::string& template_path, const std::string& output_path,
                  const Guest& guest, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::string> rendered = RenderTemplate(guest, template_path);
  if (!rendered.ok()) {
    err << "maestro-guest: render " << template_path << ": " << rendered.status().message() << "\n";
    return 1;
  }
  if (output_path.empty()) {
    out << *rendered;
    return out.good() ? 0 : 1;
  }
  std::ofstream file(output_path, std::ios::binary | std::ios::trunc);
  file << *rendered;
  file.close();
  if (!file) {
    err << "maestro-guest: render: cannot write " << output_path << "\n";
    return 1;
  }
  return 0;
}

}  // namespace guest
}  // namespace maestro
