#include "maestro/docker/docker_types.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace maestro::docker {
namespace {

using nlohmann::json;

const json& Field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Str(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

int64_t Int(const json& j, const char* key) {
  const json& v = Field(j, key);
  if (v.is_number_integer() || v.is_number_unsigned()) return v.get<int64_t>();
  if (v.is_number_float()) return static_cast<int64_t>(v.get<double>());
  return 0;
}

bool Bool(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_boolean() && v.get<bool>();
}

std::vector<std::string> Strings(const json& j, const char* key) {
  std::vector<std::string> out;
  const json& v = Field(j, key);
  if (v.is_array()) {
    for (const json& e : v) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  } else if (v.is_string()) {
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> StringMap(const json& j, const char* key) {
  std::map<std::string, std::string> out;
  const json& v = Field(j, key);
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
    }
  }
  return out;
}

}  // namespace

ContainerSummary ParseContainerSummary(const json& j) {
  ContainerSummary c;
  c.id = Str(j, "Id");
  c.names = Strings(j, "Names");
  c.image = Str(j, "Image");
  c.image_id = Str(j, "ImageID");
  c.state = Str(j, "State");
  c.status = Str(j, "Status");
  c.labels = StringMap(j, "Labels");
  c.created = Int(j, "Created");
  const json& ports = Field(j, "Ports");
  if (ports.is_array()) {
    auto port_number = [](int64_t n) { return n > 0 && n <= 65535 ? static_cast<int>(n) : 0; };
    for (const json& p : ports) {
      if (!p.is_object()) continue;
      SummaryPort port;
      port.ip = Str(p, "IP");
      port.private_port = port_number(Int(p, "PrivatePort"));
      port.public_port = port_number(Int(p, "PublicPort"));
      port.type = Str(p, "Type");
      c.ports.push_back(std::move(port));
    }
  }
  return c;
}

bool operator==(const SummaryPort& a, const SummaryPort& b) {
  return a.ip == b.ip && a.private_port == b.private_port && a.public_port == b.public_port &&
         a.type == b.type;
}

bool operator==(const ContainerSummary& a, const ContainerSummary& b) {
  return a.id == b.id && a.names == b.names && a.image == b.image && a.image_id == b.image_id &&
         a.state == b.state && a.status == b.status && a.labels == b.labels &&
         a.created == b.created && a.ports == b.ports;
}

ContainerInspect ParseContainerInspect(const json& j) {
  ContainerInspect c;
  c.id = Str(j, "Id");
  c.name = Str(j, "Name");
  c.image_id = Str(j, "Image");
  const json& config = Field(j, "Config");
  c.config_image = Str(config, "Image");
  c.env = Strings(config, "Env");
  c.cmd = Strings(config, "Cmd");
  c.labels = StringMap(config, "Labels");
  c.tty = Bool(config, "Tty");
  const json& state = Field(j, "State");
  c.state.running = Bool(state, "Running");
  c.state.paused = Bool(state, "Paused");
  c.state.restarting = Bool(state, "Restarting");
  c.state.status = Str(state, "Status");
  c.state.exit_code = Int(state, "ExitCode");
  c.state.pid = Int(state, "Pid");
  c.state.started_at = Str(state, "StartedAt");
  c.state.finished_at = Str(state, "FinishedAt");
  c.state.error = Str(state, "Error");
  const json& ports = Field(Field(j, "NetworkSettings"), "Ports");
  if (ports.is_object()) {
    for (auto it = ports.begin(); it != ports.end(); ++it) {
      std::vector<PortBinding>& bindings = c.ports[it.key()];
      if (!it.value().is_array()) continue;
      for (const json& b : it.value()) {
        bindings.push_back(PortBinding{Str(b, "HostIp"), Str(b, "HostPort")});
      }
    }
  }
  c.host_config = Field(j, "HostConfig");
  c.restart_count = static_cast<int>(Int(j, "RestartCount"));
  c.raw = j;
  return c;
}

ImageInspect ParseImageInspect(const json& j) {
  ImageInspect i;
  i.id = Str(j, "Id");
  i.repo_tags = Strings(j, "RepoTags");
  i.repo_digests = Strings(j, "RepoDigests");
  i.created = Str(j, "Created");
  i.config = Field(j, "Config");
  i.raw = j;
  return i;
}

ExecInspect ParseExecInspect(const json& j) {
  ExecInspect e;
  e.id = Str(j, "ID");
  if (e.id.empty()) e.id = Str(j, "Id");
  e.running = Bool(j, "Running");
  const json& code = Field(j, "ExitCode");
  if (code.is_number()) e.exit_code = code.get<int64_t>();
  e.container_id = Str(j, "ContainerID");
  e.raw = j;
  return e;
}

NetworkInfo ParseNetworkInfo(const json& j) {
  NetworkInfo n;
  n.id = Str(j, "Id");
  n.name = Str(j, "Name");
  n.driver = Str(j, "Driver");
  n.internal = Bool(j, "Internal");
  n.attachable = Bool(j, "Attachable");
  n.enable_ipv6 = Bool(j, "EnableIPv6");
  const json& config = Field(Field(j, "IPAM"), "Config");
  if (config.is_array() && !config.empty()) {
    n.subnet = Str(config[0], "Subnet");
    n.gateway = Str(config[0], "Gateway");
    n.ip_range = Str(config[0], "IPRange");
  }
  n.labels = StringMap(j, "Labels");
  n.options = StringMap(j, "Options");
  const json& containers = Field(j, "Containers");
  if (containers.is_object()) {
    for (auto it = containers.begin(); it != containers.end(); ++it)
      n.containers.push_back(it.key());
  }
  n.raw = j;
  return n;
}

VolumeInfo ParseVolumeInfo(const json& j) {
  VolumeInfo v;
  v.name = Str(j, "Name");
  v.driver = Str(j, "Driver");
  v.labels = StringMap(j, "Labels");
  v.options = StringMap(j, "Options");
  v.raw = j;
  return v;
}

Event ParseEvent(const json& j) {
  Event e;
  e.type = Str(j, "Type");
  e.action = Str(j, "Action");
  if (e.action.empty()) e.action = Str(j, "status");
  const json& actor = Field(j, "Actor");
  e.actor_id = Str(actor, "ID");
  if (e.actor_id.empty()) e.actor_id = Str(j, "id");
  e.attributes = StringMap(actor, "Attributes");
  e.time = Int(j, "time");
  e.time_nano = Int(j, "timeNano");
  e.raw = j;
  return e;
}

VersionInfo ParseVersionInfo(const json& j) {
  VersionInfo v;
  v.version = Str(j, "Version");
  v.api_version = Str(j, "ApiVersion");
  v.min_api_version = Str(j, "MinAPIVersion");
  v.os = Str(j, "Os");
  v.arch = Str(j, "Arch");
  v.raw = j;
  return v;
}

DistributionInspect ParseDistributionInspect(const json& j) {
  DistributionInspect d;
  const json& descriptor = Field(j, "Descriptor");
  d.media_type = Str(descriptor, "mediaType");
  d.digest = Str(descriptor, "digest");
  d.size = Int(descriptor, "size");
  const json& platforms = Field(j, "Platforms");
  if (platforms.is_array()) {
    for (const json& p : platforms) {
      if (!p.is_object()) continue;
      d.platforms.push_back({Str(p, "os"), Str(p, "architecture"), Str(p, "variant")});
    }
  }
  return d;
}

std::string NormalizeArchitecture(absl::string_view arch) {
  std::string a = absl::AsciiStrToLower(arch);
  if (a == "x86_64" || a == "x86-64") return "amd64";
  if (a == "aarch64" || a == "armv8" || a == "armv8l") return "arm64";
  if (a == "armv7l" || a == "armv7" || a == "armhf" || a == "armv6l") return "arm";
  if (a == "i386" || a == "i686") return "386";
  return a;
}

PullProgress ParsePullProgress(const json& j) {
  PullProgress p;
  p.id = Str(j, "id");
  p.status = Str(j, "status");
  p.progress = Str(j, "progress");
  const json& detail = Field(j, "progressDetail");
  p.current = Int(detail, "current");
  p.total = Int(detail, "total");
  p.raw = j;
  return p;
}

int CompareApiVersions(absl::string_view a, absl::string_view b) {
  std::vector<absl::string_view> pa = absl::StrSplit(a, '.');
  std::vector<absl::string_view> pb = absl::StrSplit(b, '.');
  for (size_t i = 0; i < std::max(pa.size(), pb.size()); ++i) {
    int x = 0, y = 0;
    if (i < pa.size() && !absl::SimpleAtoi(pa[i], &x)) x = 0;
    if (i < pb.size() && !absl::SimpleAtoi(pb[i], &y)) y = 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

absl::Time ParseDockerTime(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &t, &err) ||
      t <= absl::UnixEpoch()) {
    return absl::InfinitePast();
  }
  return t;
}

std::string DockerTimeParam(absl::Time t) {
  absl::Duration since = t - absl::UnixEpoch();
  int64_t seconds = absl::ToInt64Seconds(since);
  int64_t nanos = absl::ToInt64Nanoseconds(since - absl::Seconds(seconds));
  return absl::StrFormat("%d.%09d", seconds, nanos);
}

std::string SummaryName(const ContainerSummary& c) {
  for (const std::string& n : c.names) {
    absl::string_view name = n;
    absl::ConsumePrefix(&name, "/");
    if (name.find('/') == absl::string_view::npos) return std::string(name);  // not a link
  }
  return "";
}

SwarmNode ParseSwarmNode(const nlohmann::json& j) {
  SwarmNode n;
  if (!j.is_object()) return n;
  auto str = [](const nlohmann::json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  n.id = str(j, "ID");
  if (auto v = j.find("Version"); v != j.end() && v->is_object()) {
    if (auto idx = v->find("Index"); idx != v->end() && idx->is_number_integer()) {
      n.version = idx->get<int64_t>();
    }
  }
  if (auto d = j.find("Description"); d != j.end() && d->is_object())
    n.hostname = str(*d, "Hostname");
  if (auto st = j.find("Status"); st != j.end() && st->is_object()) n.addr = str(*st, "Addr");
  if (auto sp = j.find("Spec"); sp != j.end() && sp->is_object()) {
    n.spec = *sp;
    n.role = str(*sp, "Role");
    if (auto l = sp->find("Labels"); l != sp->end() && l->is_object()) {
      for (const auto& [k, v] : l->items()) {
        if (v.is_string()) n.labels[k] = v.get<std::string>();
      }
    }
  } else {
    n.spec = nlohmann::json::object();
  }
  return n;
}

namespace {

const nlohmann::json& Obj(const nlohmann::json& o, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  auto it = o.find(key);
  return it != o.end() && it->is_object() ? *it : kEmpty;
}

std::map<std::string, std::string> StringMap(const nlohmann::json& o) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : o.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace

ServiceInfo ParseServiceInfo(const nlohmann::json& j) {
  ServiceInfo s;
  if (!j.is_object()) return s;
  s.id = Str(j, "ID");
  const nlohmann::json& version = Obj(j, "Version");
  if (auto idx = version.find("Index"); idx != version.end() && idx->is_number_integer()) {
    s.version = idx->get<int64_t>();
  }
  s.spec = Obj(j, "Spec");
  s.name = Str(s.spec, "Name");
  s.labels = StringMap(Obj(s.spec, "Labels"));
  return s;
}

SecretInfo ParseSecretInfo(const nlohmann::json& j) {
  SecretInfo s;
  if (!j.is_object()) return s;
  s.id = Str(j, "ID");
  const nlohmann::json& spec = Obj(j, "Spec");
  s.name = Str(spec, "Name");
  s.labels = StringMap(Obj(spec, "Labels"));
  return s;
}

TaskInfo ParseTaskInfo(const nlohmann::json& j) {
  TaskInfo t;
  if (!j.is_object()) return t;
  t.id = Str(j, "ID");
  t.service_id = Str(j, "ServiceID");
  t.node_id = Str(j, "NodeID");
  if (auto slot = j.find("Slot"); slot != j.end() && slot->is_number_integer()) {
    t.slot = slot->get<int64_t>();
  }
  t.desired_state = Str(j, "DesiredState");
  const nlohmann::json& status = Obj(j, "Status");
  t.state = Str(status, "State");
  t.message = Str(status, "Message");
  t.error = Str(status, "Err");
  t.timestamp = Str(status, "Timestamp");
  t.container_id = Str(Obj(status, "ContainerStatus"), "ContainerID");
  return t;
}

}  // namespace maestro::docker
