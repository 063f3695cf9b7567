#include "maestro/spec/network_spec.h"

#include "absl/strings/str_cat.h"
#include "maestro/spec/container_spec.h"

namespace maestro::spec {
namespace {

using nlohmann::json;

json StringObject(const std::map<std::string, std::string>& m) {
  json out = json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

void CompareMap(const char* what, const std::map<std::string, std::string>& want,
                const std::map<std::string, std::string>& have, std::vector<std::string>* out) {
  for (const auto& [k, v] : want) {
    auto it = have.find(k);
    if (it == have.end()) {
      out->push_back(absl::StrCat(what, " ", k, " is missing, configured \"", v, "\""));
    } else if (it->second != v) {
      out->push_back(
          absl::StrCat(what, " ", k, " is \"", it->second, "\", configured \"", v, "\""));
    }
  }
}

void CompareString(const char* what, const std::string& want, const std::string& have,
                   std::vector<std::string>* out) {
  if (want.empty() || want == have) return;
  out->push_back(absl::StrCat(what, " is ", have.empty() ? "unset" : have, ", configured ", want));
}

void CompareBool(const char* what, bool want, bool have, std::vector<std::string>* out) {
  if (want == have) return;
  out->push_back(absl::StrCat(what, " is ", have ? "true" : "false", ", configured ",
                              want ? "true" : "false"));
}

}  // namespace

nlohmann::json NetworkCreateBody(const model::Network& n, absl::string_view environment) {
  json body = {{"Name", n.daemon_name},
               {"Driver", n.driver},
               {"CheckDuplicate", true},
               {"Internal", n.internal},
               {"Attachable", n.attachable},
               {"EnableIPv6", n.enable_ipv6},
               {"Options", StringObject(n.driver_opts)}};
  json labels = StringObject(n.labels);
  labels[kEnvironmentLabel] = std::string(environment);
  body["Labels"] = labels;
  if (!n.subnet.empty()) {
    json config = {{"Subnet", n.subnet}};
    if (!n.gateway.empty()) config["Gateway"] = n.gateway;
    if (!n.ip_range.empty()) config["IPRange"] = n.ip_range;
    body["IPAM"] = {{"Driver", "default"}, {"Config", json::array({config})}};
  }
  return body;
}

nlohmann::json VolumeCreateBody(const model::NamedVolume& v, absl::string_view environment) {
  json labels = StringObject(v.labels);
  labels[kEnvironmentLabel] = std::string(environment);
  return {{"Name", v.daemon_name},
          {"Driver", v.driver},
          {"DriverOpts", StringObject(v.driver_opts)},
          {"Labels", labels}};
}

nlohmann::json EndpointConfig(const model::NetworkAttachment& a) {
  json out = json::object();
  if (!a.aliases.empty()) out["Aliases"] = a.aliases;
  json ipam = json::object();
  if (!a.ipv4_address.empty()) ipam["IPv4Address"] = a.ipv4_address;
  if (!a.ipv6_address.empty()) ipam["IPv6Address"] = a.ipv6_address;
  if (!ipam.empty()) out["IPAMConfig"] = ipam;
  return out;
}

std::vector<std::string> NetworkDifferences(const model::Network& n,
                                            const docker::NetworkInfo& existing) {
  std::vector<std::string> out;
  if (n.external) return out;
  CompareString("driver", n.driver, existing.driver, &out);
  CompareString("subnet", n.subnet, existing.subnet, &out);
  CompareString("gateway", n.gateway, existing.gateway, &out);
  CompareString("ip_range", n.ip_range, existing.ip_range, &out);
  CompareBool("internal", n.internal, existing.internal, &out);
  CompareBool("attachable", n.attachable, existing.attachable, &out);
  CompareBool("enable_ipv6", n.enable_ipv6, existing.enable_ipv6, &out);
  CompareMap("label", n.labels, existing.labels, &out);
  CompareMap("driver option", n.driver_opts, existing.options, &out);
  return out;
}

std::vector<std::string> VolumeDifferences(const model::NamedVolume& v,
                                           const docker::VolumeInfo& existing) {
  std::vector<std::string> out;
  if (v.external) return out;
  CompareString("driver", v.driver, existing.driver, &out);
  CompareMap("label", v.labels, existing.labels, &out);
  CompareMap("driver option", v.driver_opts, existing.options, &out);
  return out;
}

std::vector<const model::Network*> NetworksUsed(const model::Environment& env,
                                                const model::Instance& instance) {
  std::vector<const model::Network*> out;
  for (const model::NetworkAttachment& a : instance.networks) {
    if (const model::Network* n = env.FindNetwork(a.network)) out.push_back(n);
  }
  return out;
}

std::vector<const model::NamedVolume*> VolumesUsed(const model::Environment& env,
                                                   const model::Instance& instance) {
  std::vector<const model::NamedVolume*> out;
  for (const model::NamedVolume& v : env.volumes) {
    for (const model::Bind& b : instance.volumes) {
      if (b.named && b.host == v.daemon_name) {
        out.push_back(&v);
        break;
      }
    }
  }
  return out;
}

}  // namespace maestro::spec
