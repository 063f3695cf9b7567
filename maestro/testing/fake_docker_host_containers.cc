// FakeDockerHost: the container calls (list, inspect, create, start, stop, kill, remove).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "maestro/base/status_macros.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/testing/fake_docker_host_internal.h"

namespace maestro::testing {

using fake_internal::Ago;
using fake_internal::DerivedImageId;
using fake_internal::EnvKey;
using fake_internal::FormatTime;
using fake_internal::Hex64;
using fake_internal::IpsOverlap;
using fake_internal::kEphemeralFirst;
using fake_internal::MergeObjects;
using fake_internal::NormalizeRef;
using fake_internal::StateName;
using nlohmann::json;

json FakeDockerHost::InspectJsonLocked(const Container& c) const {
  const json& body = c.create_body;
  const json image_config = c.image_config.is_object() ? c.image_config : json::object();
  // Env: the image's defaults not overridden by the body, then the body's.
  json env = json::array();
  std::set<std::string> body_keys;
  if (body.contains("Env") && body["Env"].is_array()) {
    for (const json& e : body["Env"]) body_keys.insert(EnvKey(e.get<std::string>()));
  }
  if (image_config.contains("Env") && image_config["Env"].is_array()) {
    for (const json& e : image_config["Env"]) {
      if (!body_keys.count(EnvKey(e.get<std::string>()))) env.push_back(e);
    }
  }
  if (body.contains("Env") && body["Env"].is_array()) {
    for (const json& e : body["Env"]) env.push_back(e);
  }
  auto from = [&](const char* key, json fallback) {
    if (body.contains(key)) return body[key];
    if (image_config.contains(key)) return image_config[key];
    return fallback;
  };
  json labels = json::object();
  for (const auto& [k, v] : c.labels) labels[k] = v;
  json config = {
      {"Hostname", body.contains("Hostname") ? body["Hostname"] : json(c.id.substr(0, 12))},
      {"Domainname", ""},
      {"User", from("User", "")},
      {"AttachStdin", false},
      {"AttachStdout", false},
      {"AttachStderr", false},
      {"Tty", body.value("Tty", false)},
      {"Env", env},
      {"Cmd", from("Cmd", nullptr)},
      {"Image", c.image},
      {"Volumes",
       MergeObjects(image_config.value("Volumes", json()), body.value("Volumes", json()))},
      {"WorkingDir", from("WorkingDir", "")},
      {"Entrypoint", from("Entrypoint", nullptr)},
      {"Labels", labels},
  };
  json exposed =
      MergeObjects(image_config.value("ExposedPorts", json()), body.value("ExposedPorts", json()));
  if (!exposed.is_null()) config["ExposedPorts"] = exposed;

  // HostConfig as a daemon reports it: defaults filled in, empty lists as null.
  json hc = body.value("HostConfig", json::object());
  if (!hc.is_object()) hc = json::object();
  for (const char* key : {"Binds", "CapAdd", "CapDrop", "ExtraHosts", "Links", "VolumesFrom",
                          "SecurityOpt", "Ulimits"}) {
    if (!hc.contains(key) || (hc[key].is_array() && hc[key].empty())) hc[key] = nullptr;
  }
  if (!hc.contains("Dns")) hc["Dns"] = json::array();
  if (!hc.contains("PortBindings")) hc["PortBindings"] = json::object();
  if (!hc.contains("NetworkMode")) hc["NetworkMode"] = "default";
  if (!hc.contains("RestartPolicy"))
    hc["RestartPolicy"] = {{"Name", "no"}, {"MaximumRetryCount", 0}};
  if (!hc.contains("LogConfig"))
    hc["LogConfig"] = {{"Type", "json-file"}, {"Config", json::object()}};
  if (!hc.contains("Privileged")) hc["Privileged"] = false;
  if (!hc.contains("PidMode")) hc["PidMode"] = "";
  int64_t memory = hc.value("Memory", int64_t{0});
  hc["Memory"] = memory;
  if (hc.value("MemorySwap", int64_t{0}) == 0) hc["MemorySwap"] = memory > 0 ? 2 * memory : 0;
  if (!hc.contains("CpuShares")) hc["CpuShares"] = 0;
  hc.erase("LxcConf");

  // Exposed ports (null when not published) and published ones (exposed or not, as
  // `docker run -p` publishes a port the image does not expose).
  json ports = json::object();
  if (c.state == FakeContainerState::kRunning) {
    if (exposed.is_object()) {
      for (auto it = exposed.begin(); it != exposed.end(); ++it) ports[it.key()] = nullptr;
    }
    for (const auto& [key, bindings] : c.allocated_ports) {
      json list = json::array();
      for (const docker::PortBinding& b : bindings) {
        list.push_back({{"HostIp", b.host_ip}, {"HostPort", b.host_port}});
      }
      ports[key] = list;
    }
  }
  bool running = c.state == FakeContainerState::kRunning;
  json state = {{"Status", StateName(c.state)},
                {"Running", running},
                {"Paused", false},
                {"Restarting", false},
                {"OOMKilled", false},
                {"Dead", false},
                {"Pid", running ? 4242 : 0},
                {"ExitCode", c.exit_code},
                {"Error", ""},
                {"StartedAt", FormatTime(c.started_at)},
                {"FinishedAt", FormatTime(c.finished_at)}};
  json cmd = config["Cmd"];
  return {{"Id", c.id},
          {"Created", FormatTime(c.created)},
          {"Path", cmd.is_array() && !cmd.empty() ? cmd[0] : json("")},
          {"Args", json::array()},
          {"State", state},
          {"Image", c.image_id},
          {"Name", "/" + c.name},
          {"RestartCount", 0},
          {"Driver", "overlay2"},
          {"Platform", "linux"},
          {"HostConfig", hc},
          {"Mounts", json::array()},
          {"Config", config},
          {"NetworkSettings", {{"Ports", ports}}}};
}

absl::StatusOr<std::vector<docker::ContainerSummary>> FakeDockerHost::ListContainers(
    const docker::ListContainersOptions& options) {
  absl::StatusOr<json> list = ListContainersJson(options);
  if (!list.ok()) return list.status();
  std::vector<docker::ContainerSummary> out;
  out.reserve(list->size());
  for (const json& c : *list) out.push_back(docker::ParseContainerSummary(c));
  return out;
}

absl::StatusOr<json> FakeDockerHost::ListContainersJson(
    const docker::ListContainersOptions& options) {
  absl::Status s = Enter("ListContainers", "", "GET /containers/json");
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  absl::Time now = clock_->Now();
  std::vector<const Container*> selected;
  for (const auto& [id, c] : containers_) {
    if (!options.all && c.state != FakeContainerState::kRunning) continue;
    bool ok = true;
    for (const std::string& filter : options.labels) {
      size_t eq = filter.find('=');
      std::string key = filter.substr(0, eq);
      auto it = c.labels.find(key);
      if (it == c.labels.end() ||
          (eq != std::string::npos && it->second != filter.substr(eq + 1))) {
        ok = false;
      }
    }
    if (!options.names.empty()) {
      bool any = false;
      for (const std::string& n : options.names) {
        absl::string_view want = n;
        absl::ConsumePrefix(&want, "/");
        any = any || absl::StrContains(c.name, want);
      }
      ok = ok && any;
    }
    if (ok) selected.push_back(&c);
  }
  // Newest first, like the daemon.
  std::stable_sort(selected.begin(), selected.end(),
                   [](const Container* a, const Container* b) { return a->created > b->created; });
  json out = json::array();
  for (const Container* c : selected) {
    std::string status;
    switch (c->state) {
      case FakeContainerState::kCreated:
        status = "Created";
        break;
      case FakeContainerState::kRunning: {
        status = "Up " + Ago(now - *c->started_at);
        std::string health = HealthLocked(*c);
        if (health == "starting") health = "health: starting";
        if (!health.empty()) absl::StrAppend(&status, " (", health, ")");
        break;
      }
      case FakeContainerState::kExited:
        status = absl::StrCat("Exited (", c->exit_code, ") ", Ago(now - *c->finished_at), " ago");
        break;
    }
    json labels = json::object();
    for (const auto& [k, v] : c->labels) labels[k] = v;
    // Published ports as the daemon lists them: {"IP", "PrivatePort", "PublicPort", "Type"}.
    json ports = json::array();
    for (const auto& [key, list] : c->allocated_ports) {
      std::pair<std::string, std::string> port_proto = absl::StrSplit(key, '/');
      int private_port = 0, public_port = 0;
      if (!absl::SimpleAtoi(port_proto.first, &private_port)) continue;
      for (const docker::PortBinding& b : list) {
        if (!absl::SimpleAtoi(b.host_port, &public_port)) continue;
        ports.push_back({{"IP", b.host_ip.empty() ? "0.0.0.0" : b.host_ip},
                         {"PrivatePort", private_port},
                         {"PublicPort", public_port},
                         {"Type", port_proto.second.empty() ? "tcp" : port_proto.second}});
      }
    }
    out.push_back({{"Id", c->id},
                   {"Names", {"/" + c->name}},
                   {"Image", c->image},
                   {"ImageID", c->image_id},
                   {"State", StateName(c->state)},
                   {"Status", status},
                   {"Labels", labels},
                   {"Ports", ports},
                   {"Created", absl::ToUnixSeconds(c->created)}});
  }
  return out;
}

absl::StatusOr<docker::ContainerInspect> FakeDockerHost::InspectContainer(
    absl::string_view id_or_name) {
  absl::StatusOr<json> j = InspectContainerJson(id_or_name);
  if (!j.ok()) return j.status();
  return docker::ParseContainerInspect(*j);
}

absl::StatusOr<json> FakeDockerHost::InspectContainerJson(absl::string_view id_or_name) {
  std::string what = absl::StrCat("GET /containers/", id_or_name, "/json");
  absl::Status s = Enter("InspectContainer", id_or_name, what);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  const Container* c = FindLocked(id_or_name);
  if (c == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("No such container: ", id_or_name));
  }
  json out = InspectJsonLocked(*c);
  std::string status = HealthLocked(*c);
  if (!status.empty()) {
    json log = json::array();
    auto script = health_.find(c->name);
    if (script != health_.end()) {
      if (!script->second.output.empty()) {
        log.push_back({{"Start", FormatTime(clock_->Now())},
                       {"End", FormatTime(clock_->Now())},
                       {"ExitCode", status == "healthy" ? 0 : 1},
                       {"Output", script->second.output}});
      }
      if (script->second.statuses.size() > 1) script->second.statuses.pop_front();
    }
    out["State"]["Health"] = {{"Status", status}, {"FailingStreak", 0}, {"Log", log}};
  }
  return out;
}

std::string FakeDockerHost::HealthLocked(const Container& c) const {
  auto script = health_.find(c.name);
  if (script != health_.end() && !script->second.statuses.empty()) {
    return script->second.statuses.front();
  }
  const json& hc = c.create_body.contains("Healthcheck") ? c.create_body["Healthcheck"] : json();
  bool has_test = hc.is_object() && hc.contains("Test") && hc["Test"].is_array() &&
                  !hc["Test"].empty() && hc["Test"][0] != "NONE";
  return has_test && c.state == FakeContainerState::kRunning ? "starting" : "";
}

void FakeDockerHost::SetHealth(absl::string_view name, std::vector<std::string> statuses,
                               std::string output) {
  std::lock_guard<std::mutex> lock(mu_);
  HealthScript& script = health_[std::string(name)];
  script.statuses.assign(statuses.begin(), statuses.end());
  script.output = std::move(output);
}

absl::StatusOr<docker::CreateContainerResult> FakeDockerHost::CreateContainer(
    absl::string_view name, const json& body) {
  std::string what = "POST /containers/create";
  absl::Status s = Enter("CreateContainer", name, what);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  std::string container_name(name);
  if (container_name.empty()) container_name = absl::StrCat("fake_", id_counter_ + 1);
  if (const Container* existing = FindLocked(container_name);
      existing != nullptr && existing->name == container_name) {
    return Error(409, absl::StatusCode::kAlreadyExists, what,
                 absl::StrCat("Conflict. The container name \"/", container_name,
                              "\" is already in use by container \"", existing->id,
                              "\". You have to remove (or rename) that container to be able to "
                              "reuse that name."));
  }
  if (!body.is_object() || !body.contains("Image") || !body["Image"].is_string() ||
      body["Image"].get<std::string>().empty()) {
    return Error(400, absl::StatusCode::kInvalidArgument, what,
                 "No command specified");  // what a daemon says for an empty config
  }
  std::string image = body["Image"].get<std::string>();
  const std::string* image_id = ResolveImageLocked(image);
  if (image_id == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("No such image: ", NormalizeRef(image)));
  }
  if (body.contains("NetworkingConfig") && body.contains("HostConfig") &&
      body["HostConfig"].contains("NetworkMode") && body["HostConfig"]["NetworkMode"].is_string()) {
    const std::string network = body["HostConfig"]["NetworkMode"].get<std::string>();
    if (FindNetworkLocked(network) == nullptr) {
      return Error(404, absl::StatusCode::kNotFound, what,
                   absl::StrCat("network ", network, " not found"));
    }
  }
  Container c;
  c.id = NewId(container_name);
  c.name = container_name;
  c.image = image;
  c.image_id = *image_id;
  c.create_body = body;
  if (!keep_create_env_) c.create_body.erase("Env");
  c.created = clock_->Now();
  c.image_config = json::object();
  for (const auto& [ref, img] : images_) {
    if (img.id == *image_id && img.config.is_object() && !img.config.empty()) {
      c.image_config = img.config;
      break;
    }
  }
  if (c.image_config.contains("Labels") && c.image_config["Labels"].is_object()) {
    const json& labels = c.image_config["Labels"];
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      if (it.value().is_string()) c.labels[it.key()] = it.value().get<std::string>();
    }
  }
  if (body.contains("Labels") && body["Labels"].is_object()) {
    for (auto it = body["Labels"].begin(); it != body["Labels"].end(); ++it) {
      if (it.value().is_string()) c.labels[it.key()] = it.value().get<std::string>();
    }
  }
  std::string id = c.id;
  by_name_[c.name] = id;
  Container& stored = containers_[id] = std::move(c);
  EmitLocked(stored, "create");
  return docker::CreateContainerResult{id, {}};
}

absl::Status FakeDockerHost::StartContainer(absl::string_view id) {
  std::string what = absl::StrCat("POST /containers/", id, "/start");
  MAESTRO_RETURN_IF_ERROR(Enter("StartContainer", id, what));
  std::lock_guard<std::mutex> lock(mu_);
  Container* c = FindLocked(id);
  if (c == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what, absl::StrCat("No such container: ", id));
  }
  if (c->state == FakeContainerState::kRunning) return absl::OkStatus();  // 304
  MAESTRO_RETURN_IF_ERROR(AllocatePortsLocked(*c, what));
  c->state = FakeContainerState::kRunning;
  c->started_at = clock_->Now();
  c->exit_code = 0;
  ++c->start_count;
  EmitLocked(*c, "start");
  int code = 0;
  if (BehaviourLocked(exit_on_start_, *c, &code)) ExitLocked(*c, code);
  return absl::OkStatus();
}

absl::Status FakeDockerHost::StopContainer(absl::string_view id,
                                           absl::optional<int> timeout_seconds) {
  std::string what = absl::StrCat("POST /containers/", id, "/stop");
  MAESTRO_RETURN_IF_ERROR(Enter("StopContainer", id, what));
  std::string cid;
  bool ignores = false;
  size_t seen = 0;
  {
    std::unique_lock<std::mutex> lock(mu_);
    seen = stop_calls_;
    Container* c = FindLocked(id);
    if (c == nullptr) {
      return Error(404, absl::StatusCode::kNotFound, what, absl::StrCat("No such container: ", id));
    }
    if (c->state != FakeContainerState::kRunning) return absl::OkStatus();  // 304
    cid = c->id;
    ignores = BehaviourLocked(ignores_sigterm_, *c, nullptr);
    EmitLocked(*c, "kill", -1, "15");  // SIGTERM
    if (!ignores) {
      ExitLocked(*c, 0);
      std::string name = c->name;
      HoldTeardownLocked(lock, name, seen);
      c = FindLocked(cid);
      if (c != nullptr) EmitLocked(*c, "stop");
      return absl::OkStatus();
    }
  }
  clock_->SleepFor(absl::Seconds(timeout_seconds.value_or(10)));
  std::unique_lock<std::mutex> lock(mu_);
  Container* c = FindLocked(cid);
  if (c == nullptr || c->state != FakeContainerState::kRunning) return absl::OkStatus();
  EmitLocked(*c, "kill", -1, "9");  // SIGKILL
  ExitLocked(*c, 137);
  std::string name = c->name;
  HoldTeardownLocked(lock, name, seen);
  c = FindLocked(cid);
  if (c != nullptr) EmitLocked(*c, "stop");
  return absl::OkStatus();
}

void FakeDockerHost::SetTeardownHold(absl::string_view name, absl::Duration max) {
  std::lock_guard<std::mutex> lock(mu_);
  teardown_hold_[std::string(name)] = max;
}

int FakeDockerHost::teardown_holds_timed_out() const {
  std::lock_guard<std::mutex> lock(mu_);
  return teardown_holds_timed_out_;
}

void FakeDockerHost::HoldTeardownLocked(std::unique_lock<std::mutex>& lock, const std::string& name,
                                        size_t stop_calls_seen) {
  auto it = teardown_hold_.find(name);
  if (it == teardown_hold_.end()) return;
  bool other = cv_.wait_for(lock, absl::ToChronoNanoseconds(it->second),
                            [&] { return stop_calls_ > stop_calls_seen || shutting_down_; });
  if (!other) ++teardown_holds_timed_out_;
}

absl::Status FakeDockerHost::KillContainer(absl::string_view id, absl::string_view signal) {
  std::string what = absl::StrCat("POST /containers/", id, "/kill");
  MAESTRO_RETURN_IF_ERROR(Enter("KillContainer", id, what));
  std::unique_lock<std::mutex> lock(mu_);
  const size_t seen = stop_calls_;
  Container* c = FindLocked(id);
  if (c == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what, absl::StrCat("No such container: ", id));
  }
  if (c->state != FakeContainerState::kRunning) {
    return Error(
        409, absl::StatusCode::kFailedPrecondition, what,
        absl::StrCat("Cannot kill container: ", id, ": Container ", c->id, " is not running"));
  }
  absl::string_view sig = signal;
  absl::ConsumePrefix(&sig, "SIG");
  const bool sigkill = sig.empty() || sig == "KILL" || sig == "9";
  const bool sigterm = sig == "TERM" || sig == "15";
  EmitLocked(*c, "kill", -1, sigkill ? "9" : sigterm ? "15" : std::string(sig));
  if (sigkill) {
    ExitLocked(*c, 137);
    std::string name = c->name;
    HoldTeardownLocked(lock, name, seen);  // SIGKILL: the daemon answers after the teardown
  } else if (sigterm && !BehaviourLocked(ignores_sigterm_, *c, nullptr)) {
    ExitLocked(*c, 143);
  }
  return absl::OkStatus();
}

absl::Status FakeDockerHost::RemoveContainer(absl::string_view id,
                                             const docker::RemoveContainerOptions& options) {
  std::string what = absl::StrCat("DELETE /containers/", id);
  MAESTRO_RETURN_IF_ERROR(Enter("RemoveContainer", id, what));
  std::lock_guard<std::mutex> lock(mu_);
  Container* c = FindLocked(id);
  if (c == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what, absl::StrCat("No such container: ", id));
  }
  if (c->state == FakeContainerState::kRunning) {
    if (!options.force) {
      return Error(409, absl::StatusCode::kFailedPrecondition, what,
                   absl::StrCat("You cannot remove a running container ", c->id,
                                ". Stop the container before attempting removal or force remove"));
    }
    EmitLocked(*c, "kill", -1, "9");
    ExitLocked(*c, 137);
  }
  EmitLocked(*c, "destroy");
  by_name_.erase(c->name);
  containers_.erase(c->id);
  cv_.notify_all();
  return absl::OkStatus();
}

absl::Status FakeDockerHost::RenameContainer(absl::string_view id, absl::string_view new_name) {
  std::string what = absl::StrCat("POST /containers/", id, "/rename?name=", new_name);
  MAESTRO_RETURN_IF_ERROR(Enter("RenameContainer", id, what));
  std::lock_guard<std::mutex> lock(mu_);
  Container* c = FindLocked(id);
  if (c == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what, absl::StrCat("No such container: ", id));
  }
  std::string name(absl::StripPrefix(new_name, "/"));
  if (by_name_.count(name) && by_name_[name] != c->id) {
    return Error(409, absl::StatusCode::kAlreadyExists, what,
                 absl::StrCat("Conflict. The container name \"/", name,
                              "\" is already in use by container \"", by_name_[name], "\""));
  }
  by_name_.erase(c->name);
  c->name = name;
  by_name_[name] = c->id;
  EmitLocked(*c, "rename");
  cv_.notify_all();
  return absl::OkStatus();
}

}  // namespace maestro::testing
