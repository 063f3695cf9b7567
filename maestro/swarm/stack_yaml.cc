// RenderStackYaml: the StackModel as a Compose 3.8 stack file (stack_export.h).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "maestro/swarm/stack_export.h"
#include "nlohmann/json.hpp"

namespace maestro::swarm {
namespace {

using nlohmann::json;

// A double-quoted YAML scalar (JSON's escapes are YAML's) with `$` doubled against Compose's
// interpolation.
std::string Value(const std::string& s) {
  return absl::StrReplaceAll(json(s).dump(-1, ' ', false, json::error_handler_t::replace),
                             {{"$", "$$"}});
}

// A mapping key: quoted, never interpolated.
std::string Key(const std::string& s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string FlowList(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  quoted.reserve(items.size());
  for (const std::string& s : items) quoted.push_back(Value(s));
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

std::string Seconds(int64_t nanos) {
  // Compose durations: "1m30s" is fine, and so is "90s"; sub-second values keep their ms.
  if (nanos % 1000000000 == 0) return absl::StrCat(nanos / 1000000000, "s");
  return absl::StrCat(nanos / 1000000, "ms");
}

std::string Bool(bool b) { return b ? "true" : "false"; }

class Writer {
 public:
  void Line(int indent, absl::string_view text) {
    out_.append(static_cast<size_t>(indent) * 2, ' ');
    out_.append(text.data(), text.size());
    out_.push_back('\n');
  }
  void Map(int indent, const char* key, const std::vector<std::pair<std::string, std::string>>& m) {
    if (m.empty()) return;
    Line(indent, absl::StrCat(key, ":"));
    for (const auto& [k, v] : m) Line(indent + 1, absl::StrCat(Key(k), ": ", Value(v)));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

void WriteHealthcheck(Writer& w, const model::Healthcheck& hc) {
  w.Line(2, "healthcheck:");
  if (hc.disabled()) {
    w.Line(3, "disable: true");
    return;
  }
  if (!hc.test.empty()) w.Line(3, absl::StrCat("test: ", FlowList(hc.test)));
  for (const auto& [value, key] : std::vector<std::pair<std::optional<int64_t>, const char*>>{
           {hc.interval_ns, "interval"},
           {hc.timeout_ns, "timeout"},
           {hc.start_period_ns, "start_period"}}) {
    if (value && *value > 0) w.Line(3, absl::StrCat(key, ": ", Value(Seconds(*value))));
  }
  if (hc.retries) w.Line(3, absl::StrCat("retries: ", *hc.retries));
}

void WriteService(Writer& w, const SwarmService& s) {
  w.Line(1, absl::StrCat(Key(s.name), ":"));
  w.Line(2, absl::StrCat("image: ", Value(s.image)));
  if (s.hostname) w.Line(2, absl::StrCat("hostname: ", Value(*s.hostname)));
  if (s.user) w.Line(2, absl::StrCat("user: ", Value(*s.user)));
  if (s.working_dir) w.Line(2, absl::StrCat("working_dir: ", Value(*s.working_dir)));
  if (s.command) w.Line(2, absl::StrCat("command: ", FlowList(*s.command)));
  if (!s.env.empty()) {
    w.Line(2, "environment:");
    for (const std::string& e : s.env) w.Line(3, absl::StrCat("- ", Value(e)));
  }
  w.Map(2, "labels", s.labels);
  if (!s.ports.empty()) w.Line(2, "ports:");
  for (const SwarmPort& p : s.ports) {
    w.Line(3, absl::StrCat("- target: ", p.target));
    w.Line(4, absl::StrCat("published: ", p.published));
    w.Line(4, absl::StrCat("protocol: ", p.protocol));
    w.Line(4, absl::StrCat("mode: ", p.host_mode ? "host" : "ingress"));
  }
  if (!s.mounts.empty()) w.Line(2, "volumes:");
  for (const SwarmMount& m : s.mounts) {
    w.Line(3, absl::StrCat("- type: ", m.type));
    if (!m.source.empty()) w.Line(4, absl::StrCat("source: ", Value(m.source)));
    w.Line(4, absl::StrCat("target: ", Value(m.target)));
    if (m.read_only) w.Line(4, "read_only: true");
    if (!m.propagation.empty()) {
      w.Line(4, "bind:");
      w.Line(5, absl::StrCat("propagation: ", m.propagation));
    }
    if (m.tmpfs_size) {
      w.Line(4, "tmpfs:");
      w.Line(5, absl::StrCat("size: ", *m.tmpfs_size));
    }
  }
  if (s.entrypoint) w.Line(2, absl::StrCat("entrypoint: ", FlowList(*s.entrypoint)));
  if (s.tty) w.Line(2, absl::StrCat("tty: ", Bool(*s.tty)));
  if (s.stdin_open) w.Line(2, absl::StrCat("stdin_open: ", Bool(*s.stdin_open)));
  if (s.stop_signal) w.Line(2, absl::StrCat("stop_signal: ", Value(*s.stop_signal)));
  if (s.read_only) w.Line(2, absl::StrCat("read_only: ", Bool(*s.read_only)));
  if (s.init) w.Line(2, absl::StrCat("init: ", Bool(*s.init)));
  w.Map(2, "sysctls", s.sysctls);
  if (s.cap_add) w.Line(2, absl::StrCat("cap_add: ", FlowList(*s.cap_add)));
  if (s.cap_drop) w.Line(2, absl::StrCat("cap_drop: ", FlowList(*s.cap_drop)));
  if (s.extra_hosts) w.Line(2, absl::StrCat("extra_hosts: ", FlowList(*s.extra_hosts)));
  if (s.dns) w.Line(2, absl::StrCat("dns: ", FlowList(*s.dns)));
  if (s.log_driver) {
    w.Line(2, "logging:");
    w.Line(3, absl::StrCat("driver: ", Value(*s.log_driver)));
    if (!s.log_options.empty()) {
      w.Line(3, "options:");
      for (const auto& [k, v] : s.log_options) w.Line(4, absl::StrCat(Key(k), ": ", Value(v)));
    }
  }
  if (s.healthcheck) WriteHealthcheck(w, *s.healthcheck);
  w.Line(2, absl::StrCat("stop_grace_period: ", Value(absl::StrCat(s.stop_grace_seconds, "s"))));
  if (s.networks.size() == 1 && s.networks[0].key == "hostnet") {
    w.Line(2, "networks: [hostnet]");
  } else if (!s.networks.empty()) {
    w.Line(2, "networks:");
    for (const SwarmNetworkRef& n : s.networks) {
      if (n.aliases.empty()) {
        w.Line(3, absl::StrCat(Key(n.key), ": {}"));
      } else {
        w.Line(3, absl::StrCat(Key(n.key), ":"));
        w.Line(4, absl::StrCat("aliases: ", FlowList(n.aliases)));
      }
    }
  }
  if (!s.secrets.empty()) w.Line(2, "secrets:");
  for (const SwarmSecretRef& r : s.secrets) {
    w.Line(3, absl::StrCat("- source: ", Value(r.key)));
    w.Line(4, absl::StrCat("target: ", Value(r.target)));
    if (r.uid) w.Line(4, absl::StrCat("uid: ", Value(std::to_string(*r.uid))));
    if (r.gid) w.Line(4, absl::StrCat("gid: ", Value(std::to_string(*r.gid))));
    char octal[8];
    std::snprintf(octal, sizeof(octal), "0%o", r.mode);
    w.Line(4, absl::StrCat("mode: ", octal));
  }
  w.Line(2, "deploy:");
  w.Line(3, "replicas: 1");
  if (s.constraint) {
    w.Line(3, "placement:");
    w.Line(4, "constraints:");
    w.Line(5, absl::StrCat("- ", Value(*s.constraint)));
  }
  if (!s.restart_condition.empty()) {
    w.Line(3, "restart_policy:");
    w.Line(4, absl::StrCat("condition: ", s.restart_condition));
    if (s.max_attempts > 0) w.Line(4, absl::StrCat("max_attempts: ", s.max_attempts));
  }
  if (s.memory_limit || s.memory_reservation) w.Line(3, "resources:");
  if (s.memory_limit) {
    w.Line(4, "limits:");
    w.Line(5, absl::StrCat("memory: ", Value(absl::StrCat(*s.memory_limit))));
  }
  if (s.memory_reservation) {
    w.Line(4, "reservations:");
    w.Line(5, absl::StrCat("memory: ", Value(absl::StrCat(*s.memory_reservation))));
  }
  w.Map(3, "labels", s.deploy_labels);
}

}  // namespace

std::string RenderStackYaml(const model::Environment& env, const StackModel& model) {
  Writer w;
  w.Line(0, absl::StrCat("# Written by `maestro export swarm` from ", env.display_name,
                         " (environment ", env.name, "). Deploy with"));
  w.Line(0, "#   docker stack deploy -c FILE STACK");
  w.Line(0, "# after labelling each ship's node (docs/swarm.md). Do not edit: export again.");
  w.Line(0, "version: \"3.8\"");
  w.Line(0, "services:");
  for (const SwarmService& s : model.services) WriteService(w, s);
  if (!model.networks.empty()) w.Line(0, "networks:");
  for (const StackNetwork& n : model.networks) {
    if (n.key == "hostnet") {
      w.Line(1, "hostnet:");
      w.Line(2, "external: true");
      w.Line(2, "name: host");
      continue;
    }
    w.Line(1, absl::StrCat(Key(n.key), ":"));
    if (n.external) {
      w.Line(2, "external: true");
      w.Line(2, absl::StrCat("name: ", Value(n.name)));
      continue;
    }
    w.Line(2, "driver: overlay");
    if (n.attachable) w.Line(2, "attachable: true");
    if (n.internal) w.Line(2, "internal: true");
    w.Map(2, "driver_opts", n.driver_opts);
    if (!n.subnet.empty()) {
      w.Line(2, "ipam:");
      w.Line(3, "config:");
      w.Line(4, absl::StrCat("- subnet: ", Value(n.subnet)));
    }
    w.Map(2, "labels", n.labels);
  }
  // Named volumes keep their names (no stack prefix); each node has its own local volume.
  if (!model.volumes.empty()) w.Line(0, "volumes:");
  for (const std::string& v : model.volumes) {
    w.Line(1, absl::StrCat(Key(v), ":"));
    w.Line(2, absl::StrCat("name: ", Value(v)));
  }
  // Never a value: a `file:` secret names the file `docker stack deploy` reads; the others
  // exist already (`maestro export swarm --deploy` creates them).
  if (!model.secrets.empty()) w.Line(0, "secrets:");
  for (const StackSecret& s : model.secrets) {
    w.Line(1, absl::StrCat(Key(s.key), ":"));
    w.Line(2, absl::StrCat("name: ", Value(s.name)));
    if (s.file.empty()) {
      w.Line(2, "external: true");
    } else {
      w.Line(2, absl::StrCat("file: ", Value(s.file)));
    }
  }
  return w.Take();
}

}  // namespace maestro::swarm
