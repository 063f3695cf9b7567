// Loader: top-level `networks:` and `volumes:` (named volumes), the instance and service key
// `networks:`, and instance volumes that name a declared volume (docs/environment.md#networks).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "maestro/config/loader_internal.h"

namespace maestro {
namespace config {
namespace loader_internal {
namespace {

const std::vector<std::string> kNetworkKeys = {
    "driver",      "subnet", "gateway",     "ip_range", "internal", "attachable",
    "enable_ipv6", "labels", "driver_opts", "name",     "external"};
const std::vector<std::string> kNetworkDrivers = {"bridge", "macvlan", "ipvlan", "overlay"};
const std::vector<std::string> kVolumeKeys = {"driver", "driver_opts", "labels", "name",
                                              "external"};
const std::vector<std::string> kAttachmentKeys = {"aliases", "ipv4_address", "ipv6_address"};

// An IPv4 or IPv6 address (syntax only: digits and dots, or hex digits and colons).
bool LooksLikeIp(absl::string_view s) {
  if (s.empty()) return false;
  if (absl::StrContains(s, ':')) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return absl::ascii_isxdigit(c) || c == ':' || c == '.'; });
  }
  std::vector<absl::string_view> parts = absl::StrSplit(s, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view p : parts) {
    int v = 0;
    if (p.empty() || p.size() > 3 || !absl::SimpleAtoi(p, &v) || v < 0 || v > 255) return false;
  }
  return true;
}

// "10.5.0.0/16" or "fd00::/64".
bool LooksLikeCidr(absl::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, '/');
  int bits = 0;
  if (parts.size() != 2 || !LooksLikeIp(parts[0]) || !absl::SimpleAtoi(parts[1], &bits)) {
    return false;
  }
  return bits >= 0 && bits <= (absl::StrContains(parts[0], ':') ? 128 : 32);
}

}  // namespace

std::optional<std::map<std::string, std::string>> Loader::StringMap(const YamlNode& node,
                                                                    const std::string& what,
                                                                    const StringMapRules& rules) {
  std::map<std::string, std::string> out;
  if (node.IsNull()) return out;
  size_t errors_before = errors_.size();
  // Checks one entry and reports at `at` (the item, or the mapping key).
  auto add = [&](const YamlNode& at, const std::string& key, const std::string& value) {
    if (rules.check) {
      if (absl::Status s = rules.check(key, value); !s.ok()) {
        Error(at, std::string(s.message()));
        return;
      }
    }
    out[key] = value;
  };
  if (node.IsSequence()) {
    for (const YamlNode& item : node.items) {
      std::optional<std::string> text;
      if (rules.strict_values) {
        text = Word(item, absl::StrCat("a ", what, " entry"));
      } else if (item.IsScalar() && !item.IsNull()) {
        text = item.PyStr();
      } else {
        Error(item, absl::StrCat(what, " must be a mapping or a list of KEY=VALUE strings, got ",
                                 item.KindName()));
      }
      if (!text) continue;
      if (rules.require_equals && text->find('=') == std::string::npos) {
        Error(item, absl::StrCat(what, " entry '", *text, "' must be NAME=VALUE"));
        continue;
      }
      std::pair<std::string, std::string> kv = absl::StrSplit(*text, absl::MaxSplits('=', 1));
      add(item, kv.first, kv.second);
    }
  } else if (!node.IsMapping()) {
    Error(node, absl::StrCat(what, " must be a mapping or a list of KEY=VALUE strings, got ",
                             node.KindName()));
  } else {
    for (size_t i = 0; i < node.keys.size(); ++i) {
      const YamlNode& v = node.values[i];
      std::string key = node.KeyAt(i);
      if (rules.strict_values ? !v.IsScalar() || v.IsNull() || v.kind == Kind::kBool
                              : !v.IsScalar()) {
        Error(v, absl::StrCat(what, " '", key, "' must be a string, got ", v.KindName()));
        continue;
      }
      add(node.keys[i], key, v.IsNull() ? "" : v.PyStr());
    }
  }
  if (errors_.size() != errors_before) return std::nullopt;
  return out;
}

// `name:` and `external:` of a network or volume: the name on the daemon.
std::string Loader::DaemonName(const YamlNode& spec, const std::string& key, bool* external,
                               const std::string& what) {
  std::string name = absl::StrCat(env_.name, "_", key);
  if (const YamlNode* n = spec.Find("external")) {
    if (auto b = Bool(*n, absl::StrCat("'external' of ", what))) *external = *b;
  }
  if (*external) name = key;
  if (const YamlNode* n = spec.Find("name"); n && !n->IsNull()) {
    if (auto s = String(*n, absl::StrCat("'name' of ", what))) {
      if (s->empty()) {
        Error(*n, absl::StrCat("'name' of ", what, " must not be empty"));
      } else {
        name = *s;
      }
    }
  }
  return name;
}

void Loader::LoadNetworks(const YamlNode* node) {
  const YamlNode* nets = Mapping(node, "networks");
  if (nets == nullptr) return;
  for (size_t i = 0; i < nets->keys.size(); ++i) {
    const YamlNode& key = nets->keys[i];
    const YamlNode& spec = nets->values[i];
    model::Network net;
    net.name = key.PyStr();
    net.line = key.line;
    const std::string what = absl::StrCat("network '", net.name, "'");
    if (!spec.IsNull() && !spec.IsMapping()) {
      Error(spec,
            absl::StrCat(what, " must be a mapping (driver, subnet, ...), got ", spec.KindName()));
      continue;
    }
    if (spec.IsMapping()) {
      CheckKeys(spec, kNetworkKeys, absl::StrCat(" in ", what));
      net.daemon_name = DaemonName(spec, net.name, &net.external, what);
      for (size_t k = 0; k < spec.keys.size(); ++k) {
        const std::string sub = spec.KeyAt(k);
        const YamlNode& v = spec.values[k];
        if (sub == "name" || sub == "external" || v.IsNull()) continue;
        if (net.external) {
          Error(spec.keys[k], absl::StrCat("'", sub, "' of ", what,
                                           ": an external network is not created by maestro, so "
                                           "it takes only 'name'"));
          continue;
        }
        const std::string field = absl::StrCat("'", sub, "' of ", what);
        if (sub == "driver") {
          if (auto s = String(v, field)) {
            if (std::find(kNetworkDrivers.begin(), kNetworkDrivers.end(), *s) ==
                kNetworkDrivers.end()) {
              Error(v, absl::StrCat("unknown driver '", *s, "' for ", what, " (expected one of ",
                                    absl::StrJoin(kNetworkDrivers, ", "), ")"));
            } else {
              net.driver = *s;
            }
          }
        } else if (sub == "subnet" || sub == "ip_range") {
          if (auto s = String(v, field)) {
            if (!LooksLikeCidr(*s)) {
              Error(v, absl::StrCat(field, " must be an address range like 10.5.0.0/16, got '", *s,
                                    "'"));
            }
            (sub == "subnet" ? net.subnet : net.ip_range) = *s;
          }
        } else if (sub == "gateway") {
          if (auto s = String(v, field)) {
            if (!LooksLikeIp(*s)) {
              Error(v, absl::StrCat(field, " must be an IP address like 10.5.0.1, got '", *s, "'"));
            }
            net.gateway = *s;
          }
        } else if (sub == "internal" || sub == "attachable" || sub == "enable_ipv6") {
          if (auto b = Bool(v, field)) {
            (sub == "internal"     ? net.internal
             : sub == "attachable" ? net.attachable
                                   : net.enable_ipv6) = *b;
          }
        } else if (sub == "labels") {
          if (auto m = StringMap(v, field)) net.labels = *m;
        } else if (sub == "driver_opts") {
          if (auto m = StringMap(v, field)) net.driver_opts = *m;
        }
      }
      if ((!net.gateway.empty() || !net.ip_range.empty()) && net.subnet.empty()) {
        Error(spec, absl::StrCat(what, " sets ", net.gateway.empty() ? "'ip_range'" : "'gateway'",
                                 " without 'subnet' (both belong to one subnet)"));
      }
    } else {
      net.daemon_name = absl::StrCat(env_.name, "_", net.name);
    }
    env_.networks.push_back(std::move(net));
  }
}

void Loader::LoadNamedVolumes(const YamlNode* node) {
  const YamlNode* vols = Mapping(node, "volumes");
  if (vols == nullptr) return;
  for (size_t i = 0; i < vols->keys.size(); ++i) {
    const YamlNode& key = vols->keys[i];
    const YamlNode& spec = vols->values[i];
    model::NamedVolume vol;
    vol.name = key.PyStr();
    vol.line = key.line;
    const std::string what = absl::StrCat("volume '", vol.name, "'");
    if (absl::StrContains(vol.name, '/')) {
      Error(key, absl::StrCat(what,
                              ": a volume name cannot contain '/' (host paths are bound "
                              "directly in an instance's 'volumes')"));
      continue;
    }
    if (!spec.IsNull() && !spec.IsMapping()) {
      Error(spec, absl::StrCat(what, " must be a mapping (driver, driver_opts, labels), got ",
                               spec.KindName()));
      continue;
    }
    vol.daemon_name = absl::StrCat(env_.name, "_", vol.name);
    if (spec.IsMapping()) {
      CheckKeys(spec, kVolumeKeys, absl::StrCat(" in ", what));
      vol.daemon_name = DaemonName(spec, vol.name, &vol.external, what);
      for (size_t k = 0; k < spec.keys.size(); ++k) {
        const std::string sub = spec.KeyAt(k);
        const YamlNode& v = spec.values[k];
        if (sub == "name" || sub == "external" || v.IsNull()) continue;
        if (vol.external) {
          Error(spec.keys[k], absl::StrCat("'", sub, "' of ", what,
                                           ": an external volume is not created by maestro, so "
                                           "it takes only 'name'"));
          continue;
        }
        const std::string field = absl::StrCat("'", sub, "' of ", what);
        if (sub == "driver") {
          if (auto s = String(v, field)) vol.driver = *s;
        } else if (sub == "labels") {
          if (auto m = StringMap(v, field)) vol.labels = *m;
        } else if (sub == "driver_opts") {
          if (auto m = StringMap(v, field)) vol.driver_opts = *m;
        }
      }
    }
    env_.volumes.push_back(std::move(vol));
  }
}

void Loader::LoadInstanceNetworks(const YamlNode& service_node, const YamlNode& node,
                                  model::Instance& c) {
  const YamlNode* n = node.Find("networks");
  if (n == nullptr || n->IsNull()) n = service_node.Find("networks");
  if (n == nullptr || n->IsNull()) return;
  if (c.net) {
    Error(*n, absl::StrCat("instance '", c.name, "' sets both 'net' (", *c.net,
                           ") and 'networks': 'net' is Docker's network mode (one network, "
                           "or host/none/container:NAME), 'networks' joins user-defined "
                           "networks; keep one of them"));
    return;
  }
  std::vector<std::string> known;
  for (const model::Network& net : env_.networks) known.push_back(net.name);
  auto attach = [&](const YamlNode& at, const std::string& name) -> model::NetworkAttachment* {
    const model::Network* net = env_.FindNetwork(name);
    if (net == nullptr) {
      Error(at,
            absl::StrCat(
                "unknown network '", name, "' in instance '", c.name, "' (declared networks: ",
                known.empty() ? "none, add a top-level 'networks:'" : absl::StrJoin(known, ", "),
                ")"));
      return nullptr;
    }
    for (const model::NetworkAttachment& a : c.networks) {
      if (a.network == name) {
        Error(at, absl::StrCat("network '", name, "' is listed twice in instance '", c.name, "'"));
        return nullptr;
      }
    }
    model::NetworkAttachment a;
    a.network = name;
    a.daemon_name = net->daemon_name;
    c.networks.push_back(std::move(a));
    return &c.networks.back();
  };
  if (n->IsSequence()) {
    for (const YamlNode& item : n->items) {
      if (auto s = String(item, "a network of 'networks'")) attach(item, *s);
    }
    return;
  }
  if (!n->IsMapping()) {
    Error(*n, absl::StrCat("'networks' of instance '", c.name,
                           "' must be a list of network names or a mapping name -> {aliases, "
                           "ipv4_address, ipv6_address}, got ",
                           n->KindName()));
    return;
  }
  for (size_t i = 0; i < n->keys.size(); ++i) {
    model::NetworkAttachment* a = attach(n->keys[i], n->KeyAt(i));
    const YamlNode& spec = n->values[i];
    if (a == nullptr || spec.IsNull()) continue;
    const std::string what = absl::StrCat("network '", a->network, "' of instance '", c.name, "'");
    if (!spec.IsMapping()) {
      Error(spec,
            absl::StrCat(what, " must be a mapping (aliases, ipv4_address, ipv6_address), got ",
                         spec.KindName()));
      continue;
    }
    CheckKeys(spec, kAttachmentKeys, absl::StrCat(" in ", what));
    if (const YamlNode* v = spec.Find("aliases")) {
      if (auto list = StringList(*v, absl::StrCat("'aliases' of ", what))) a->aliases = *list;
    }
    for (const char* key : {"ipv4_address", "ipv6_address"}) {
      const YamlNode* v = spec.Find(key);
      if (v == nullptr || v->IsNull()) continue;
      auto s = String(*v, absl::StrCat("'", key, "' of ", what));
      if (!s) continue;
      const bool v6 = std::string(key) == "ipv6_address";
      if (!LooksLikeIp(*s) || absl::StrContains(*s, ':') != v6) {
        Error(*v, absl::StrCat("'", key, "' of ", what, " must be an ", v6 ? "IPv6" : "IPv4",
                               " address, got '", *s, "'"));
        continue;
      }
      (v6 ? a->ipv6_address : a->ipv4_address) = *s;
    }
  }
}

void Loader::ResolveNamedVolumes(model::Instance& c) {
  for (model::Bind& b : c.volumes) {
    if (const model::NamedVolume* v = env_.FindVolume(b.host)) {
      b.host = v->daemon_name;
      b.named = true;
    }
  }
}

}  // namespace loader_internal
}  // namespace config
}  // namespace maestro
