#include "maestro/testing/fake_docker_host.h"

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

namespace maestro::testing {
namespace {

using nlohmann::json;

// The payload HttpDockerClient attaches (docker::HttpStatusOf reads it).
constexpr char kNever[] = "0001-01-01T00:00:00Z";
constexpr int kEphemeralFirst = 32768;

// "ubuntu" -> "ubuntu:latest"; "host:5000/x" -> "host:5000/x:latest" (as MaestroNG).
std::string NormalizeRef(absl::string_view ref) {
  size_t colon = ref.rfind(':');
  if (colon == absl::string_view::npos ||
      ref.substr(colon + 1).find('/') != absl::string_view::npos) {
    return absl::StrCat(ref, ":latest");
  }
  if (colon + 1 == ref.size()) return absl::StrCat(ref, "latest");
  return std::string(ref);
}

uint64_t Fnv(absl::string_view s, uint64_t salt) {
  uint64_t h = 14695981039346656037ull ^ salt;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Hex64(absl::string_view seed) {
  std::string out;
  for (uint64_t salt = 1; salt <= 4; ++salt) {
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(Fnv(seed, salt)));
    out += buf;
  }
  return out;
}

std::string DerivedImageId(absl::string_view ref) { return "sha256:" + Hex64(ref); }

std::string FormatTime(std::optional<absl::Time> t) {
  if (!t) return kNever;
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", *t, absl::UTCTimeZone());
}

const char* StateName(FakeContainerState s) {
  switch (s) {
    case FakeContainerState::kCreated:
      return "created";
    case FakeContainerState::kRunning:
      return "running";
    case FakeContainerState::kExited:
      return "exited";
  }
  return "unknown";
}

std::string Ago(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 1) return "Less than a second";
  if (s < 60) return absl::StrCat(s, " seconds");
  if (s < 3600) return s < 120 ? "About a minute" : absl::StrCat(s / 60, " minutes");
  if (s < 86400) return s < 7200 ? "About an hour" : absl::StrCat(s / 3600, " hours");
  return absl::StrCat(s / 86400, " days");
}

const char* Reason(int http) {
  switch (http) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

absl::StatusCode CodeForHttp(int http) {
  switch (http) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
      return absl::StatusCode::kFailedPrecondition;
    case 503:
      return absl::StatusCode::kUnavailable;
    default:
      break;
  }
  return http >= 500 ? absl::StatusCode::kInternal : absl::StatusCode::kUnknown;
}

// Merges the keys of two JSON objects (b wins); null when both are empty.
json MergeObjects(const json& a, const json& b) {
  json out = json::object();
  if (a.is_object()) out.update(a);
  if (b.is_object()) out.update(b);
  return out.empty() ? json(nullptr) : out;
}

std::string EnvKey(const std::string& entry) { return entry.substr(0, entry.find('=')); }

bool IpsOverlap(const std::string& a, const std::string& b) {
  auto any = [](const std::string& ip) { return ip.empty() || ip == "0.0.0.0" || ip == "::"; };
  return any(a) || any(b) || a == b;
}

}  // namespace

FakeDockerHost::FakeDockerHost(std::string ship_name, Clock* clock)
    : ship_(std::move(ship_name)), clock_(clock != nullptr ? clock : RealClock::Get()) {}

FakeDockerHost::~FakeDockerHost() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
}

absl::Status FakeDockerHost::ApiError(int http_status, absl::string_view message) {
  absl::Status s(CodeForHttp(http_status),
                 absl::StrCat(http_status, " ", Reason(http_status), ": ", message));
  docker::SetHttpStatus(s, http_status);
  return s;
}

absl::Status FakeDockerHost::Error(int http, absl::StatusCode code, absl::string_view what,
                                   absl::string_view message) const {
  absl::Status s(
      code, absl::StrCat(Describe(), ": ", what, ": ", http, " ", Reason(http), ": ", message));
  docker::SetHttpStatus(s, http);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Setup

std::string FakeDockerHost::AddImage(absl::string_view reference, absl::string_view id,
                                     json config) {
  std::string ref = NormalizeRef(reference);
  std::string image_id = id.empty() ? DerivedImageId(ref) : std::string(id);
  if (!absl::StartsWith(image_id, "sha256:")) image_id = "sha256:" + image_id;
  std::lock_guard<std::mutex> lock(mu_);
  images_[ref] = Image{image_id, std::move(config), clock_->Now()};
  return image_id;
}

void FakeDockerHost::RemoveImage(absl::string_view reference) {
  std::lock_guard<std::mutex> lock(mu_);
  images_.erase(NormalizeRef(reference));
}

void FakeDockerHost::SetPullable(absl::string_view reference, absl::string_view id) {
  std::string ref = NormalizeRef(reference);
  std::string image_id = id.empty() ? DerivedImageId(ref + "@pulled") : std::string(id);
  if (!absl::StartsWith(image_id, "sha256:")) image_id = "sha256:" + image_id;
  std::lock_guard<std::mutex> lock(mu_);
  pullable_[ref] = image_id;
}

void FakeDockerHost::SetPullError(absl::string_view reference, absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (status.ok()) {
    pull_errors_.erase(NormalizeRef(reference));
  } else {
    pull_errors_[NormalizeRef(reference)] = std::move(status);
  }
}

void FakeDockerHost::SetDown(bool down, absl::Duration delay) {
  std::lock_guard<std::mutex> lock(mu_);
  down_ = down;
  down_delay_ = delay;
  cv_.notify_all();
}

void FakeDockerHost::FailNext(absl::string_view method, absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_[std::string(method)].push_back(std::move(status));
}

void FakeDockerHost::SetLatency(absl::Duration latency, LatencyMode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  latency_ = latency;
  latency_mode_ = mode;
}

void FakeDockerHost::SetExitOnStart(absl::string_view image_or_name, int exit_code) {
  std::lock_guard<std::mutex> lock(mu_);
  exit_on_start_[std::string(image_or_name)] = exit_code;
}

void FakeDockerHost::SetIgnoresSigterm(absl::string_view image_or_name) {
  std::lock_guard<std::mutex> lock(mu_);
  ignores_sigterm_[std::string(image_or_name)] = 1;
}

void FakeDockerHost::SetLogs(absl::string_view container_name, std::vector<std::string> lines) {
  std::lock_guard<std::mutex> lock(mu_);
  logs_[std::string(container_name)] = std::move(lines);
}

void FakeDockerHost::ScriptExec(absl::string_view container_name,
                                absl::string_view command_substring, int exit_code,
                                std::string output) {
  std::lock_guard<std::mutex> lock(mu_);
  exec_scripts_.push_back(ExecScript{std::string(container_name), std::string(command_substring),
                                     exit_code, std::move(output)});
}

absl::Status FakeDockerHost::SimulateExit(absl::string_view name_or_id, int exit_code) {
  std::lock_guard<std::mutex> lock(mu_);
  Container* c = FindLocked(name_or_id);
  if (c == nullptr) return absl::NotFoundError(absl::StrCat("No such container: ", name_or_id));
  if (c->state != FakeContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat(c->name, " is not running"));
  }
  ExitLocked(*c, exit_code);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Inspection

std::vector<FakeCall> FakeDockerHost::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

int FakeDockerHost::CountCalls(absl::string_view method) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(std::count_if(calls_.begin(), calls_.end(),
                                        [&](const FakeCall& c) { return c.method == method; }));
}

int FakeDockerHost::CountCalls(absl::string_view method, absl::string_view target) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(std::count_if(calls_.begin(), calls_.end(), [&](const FakeCall& c) {
    return c.method == method && c.target == target;
  }));
}

void FakeDockerHost::ClearCalls() {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.clear();
}

std::optional<FakeContainer> FakeDockerHost::FindContainer(absl::string_view name_or_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Container* c = FindLocked(name_or_id);
  if (c == nullptr) return std::nullopt;
  return *c;
}

std::vector<FakeContainer> FakeDockerHost::containers() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FakeContainer> out;
  for (const auto& [id, c] : containers_) out.push_back(c);
  std::sort(out.begin(), out.end(),
            [](const FakeContainer& a, const FakeContainer& b) { return a.name < b.name; });
  return out;
}

std::vector<docker::Event> FakeDockerHost::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

bool FakeDockerHost::HasImage(absl::string_view reference) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ResolveImageLocked(reference) != nullptr;
}

// ---------------------------------------------------------------------------------------------
// Internals

absl::Status FakeDockerHost::Enter(absl::string_view method, absl::string_view target,
                                   absl::string_view http_what) {
  absl::Duration sleep;
  LatencyMode mode;
  bool down;
  absl::Status fail;
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(FakeCall{std::string(method), std::string(target)});
    if (method == "StopContainer" || method == "KillContainer") {
      ++stop_calls_;
      cv_.notify_all();
    }
    down = down_;
    sleep = down ? down_delay_ : latency_;
    mode = latency_mode_;
    auto it = fail_next_.find(std::string(method));
    if (!down && it != fail_next_.end() && !it->second.empty()) {
      fail = std::move(it->second.front());
      it->second.pop_front();
    }
  }
  if (sleep > absl::ZeroDuration()) {
    if (mode == LatencyMode::kWallClock) {
      absl::SleepFor(sleep);
    } else {
      clock_->SleepFor(sleep);
    }
  }
  if (down) {
    return absl::UnavailableError(
        absl::StrCat(Describe(), ": ", http_what, ": connection refused"));
  }
  return fail;
}

FakeDockerHost::Container* FakeDockerHost::FindLocked(absl::string_view name_or_id) {
  return const_cast<Container*>(static_cast<const FakeDockerHost*>(this)->FindLocked(name_or_id));
}

const FakeDockerHost::Container* FakeDockerHost::FindLocked(absl::string_view name_or_id) const {
  absl::string_view key = name_or_id;
  absl::ConsumePrefix(&key, "/");
  if (key.empty()) return nullptr;
  for (const auto& [id, c] : containers_) {
    if (c.name == key) return &c;
  }
  auto exact = containers_.find(std::string(key));
  if (exact != containers_.end()) return &exact->second;
  const Container* found = nullptr;
  for (const auto& [id, c] : containers_) {
    if (absl::StartsWith(id, key)) {
      if (found != nullptr) return nullptr;  // ambiguous prefix
      found = &c;
    }
  }
  return found;
}

const std::string* FakeDockerHost::ResolveImageLocked(absl::string_view reference) const {
  auto it = images_.find(NormalizeRef(reference));
  if (it != images_.end()) return &it->second.id;
  // By id or id prefix, with or without "sha256:".
  absl::string_view id = reference;
  absl::ConsumePrefix(&id, "sha256:");
  if (id.size() < 4) return nullptr;
  for (const auto& [ref, image] : images_) {
    if (absl::StartsWith(absl::string_view(image.id).substr(7), id)) return &image.id;
  }
  return nullptr;
}

bool FakeDockerHost::BehaviourLocked(const std::map<std::string, int>& table, const Container& c,
                                     int* value) const {
  auto it = table.find(c.name);
  if (it == table.end()) it = table.find(NormalizeRef(c.image));
  if (it == table.end()) it = table.find(c.image);
  if (it == table.end()) return false;
  if (value != nullptr) *value = it->second;
  return true;
}

void FakeDockerHost::EmitLocked(const Container& c, absl::string_view action, int64_t exit_code,
                                absl::string_view signal) {
  absl::Time now = clock_->Now();
  json attributes = json::object();
  for (const auto& [k, v] : c.labels) attributes[k] = v;
  attributes["name"] = c.name;
  attributes["image"] = c.image;
  if (exit_code >= 0) attributes["exitCode"] = std::to_string(exit_code);
  if (!signal.empty()) attributes["signal"] = std::string(signal);
  json j = {{"Type", "container"},
            {"Action", std::string(action)},
            {"status", std::string(action)},
            {"id", c.id},
            {"from", c.image},
            {"Actor", {{"ID", c.id}, {"Attributes", attributes}}},
            {"scope", "local"},
            {"time", absl::ToUnixSeconds(now)},
            {"timeNano", absl::ToUnixNanos(now)}};
  events_.push_back(docker::ParseEvent(j));
  cv_.notify_all();
}

void FakeDockerHost::ExitLocked(Container& c, int64_t exit_code) {
  c.state = FakeContainerState::kExited;
  c.exit_code = exit_code;
  c.finished_at = clock_->Now();
  c.allocated_ports.clear();
  EmitLocked(c, "die", exit_code);
}

absl::Status FakeDockerHost::AllocatePortsLocked(Container& c, absl::string_view what) {
  const json& hc = c.create_body.contains("HostConfig") ? c.create_body["HostConfig"] : json();
  const json& bindings =
      hc.is_object() && hc.contains("PortBindings") ? hc["PortBindings"] : json();
  std::map<std::string, std::vector<docker::PortBinding>> allocated;
  if (!bindings.is_object()) {
    c.allocated_ports = allocated;
    return absl::OkStatus();
  }
  // Ports held by other running containers (and by this one as we go): (proto, port) -> ips.
  std::vector<std::tuple<std::string, int, std::string>> taken;
  for (const auto& [id, other] : containers_) {
    if (id == c.id || other.state != FakeContainerState::kRunning) continue;
    for (const auto& [key, list] : other.allocated_ports) {
      std::string proto = key.substr(key.find('/') + 1);
      for (const docker::PortBinding& b : list) {
        int port = 0;
        if (absl::SimpleAtoi(b.host_port, &port)) taken.emplace_back(proto, port, b.host_ip);
      }
    }
  }
  auto is_free = [&](const std::string& proto, int port, const std::string& ip) {
    for (const auto& [p, n, i] : taken) {
      if (p == proto && n == port && IpsOverlap(i, ip)) return false;
    }
    return true;
  };
  for (auto it = bindings.begin(); it != bindings.end(); ++it) {
    std::string proto =
        it.key().find('/') == std::string::npos ? "tcp" : it.key().substr(it.key().find('/') + 1);
    if (!it.value().is_array()) continue;
    for (const json& b : it.value()) {
      std::string ip = b.value("HostIp", "");
      std::string host_port = b.value("HostPort", "");
      int first = 0, last = 0;
      std::vector<absl::string_view> range = absl::StrSplit(host_port, '-');
      bool dynamic = host_port.empty();
      if (dynamic) {
        first = kEphemeralFirst;
        last = 60999;
      } else if (!absl::SimpleAtoi(range[0], &first) ||
                 (range.size() > 1 && !absl::SimpleAtoi(range[1], &last))) {
        return Error(400, absl::StatusCode::kInvalidArgument, what,
                     absl::StrCat("invalid port specification: \"", host_port, "\""));
      }
      if (range.size() == 1 && !dynamic) last = first;
      int chosen = -1;
      for (int port = first; port <= last; ++port) {
        if (is_free(proto, port, ip)) {
          chosen = port;
          break;
        }
      }
      if (chosen < 0) {
        return Error(500, absl::StatusCode::kInternal, what,
                     absl::StrCat("driver failed programming external connectivity on endpoint ",
                                  c.name, " (", c.id, "): Bind for ", ip.empty() ? "0.0.0.0" : ip,
                                  ":", first, " failed: port is already allocated"));
      }
      taken.emplace_back(proto, chosen, ip);
      allocated[it.key()].push_back(
          docker::PortBinding{ip.empty() ? "0.0.0.0" : ip, std::to_string(chosen)});
    }
  }
  c.allocated_ports = std::move(allocated);
  return absl::OkStatus();
}

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

  json ports = json::object();
  if (c.state == FakeContainerState::kRunning && exposed.is_object()) {
    for (auto it = exposed.begin(); it != exposed.end(); ++it) {
      auto a = c.allocated_ports.find(it.key());
      if (a == c.allocated_ports.end()) {
        ports[it.key()] = nullptr;
        continue;
      }
      json list = json::array();
      for (const docker::PortBinding& b : a->second) {
        list.push_back({{"HostIp", b.host_ip}, {"HostPort", b.host_port}});
      }
      ports[it.key()] = list;
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

std::string FakeDockerHost::NewId(absl::string_view seed) {
  return Hex64(absl::StrCat(ship_, "/", seed, "/", ++id_counter_));
}

// ---------------------------------------------------------------------------------------------
// DockerClient

std::string FakeDockerHost::Describe() const {
  return absl::StrCat(ship_, " (fake://", ship_, ")");
}

absl::StatusOr<std::string> FakeDockerHost::ApiVersion() {
  absl::Status s = Enter("ApiVersion", "", "GET /version");
  if (!s.ok()) return s;
  return std::string("1.41");
}

absl::StatusOr<std::vector<docker::ContainerSummary>> FakeDockerHost::ListContainers(
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
  std::vector<docker::ContainerSummary> out;
  for (const Container* c : selected) {
    std::string status;
    switch (c->state) {
      case FakeContainerState::kCreated:
        status = "Created";
        break;
      case FakeContainerState::kRunning:
        status = "Up " + Ago(now - *c->started_at);
        break;
      case FakeContainerState::kExited:
        status = absl::StrCat("Exited (", c->exit_code, ") ", Ago(now - *c->finished_at), " ago");
        break;
    }
    json labels = json::object();
    for (const auto& [k, v] : c->labels) labels[k] = v;
    out.push_back(docker::ParseContainerSummary({{"Id", c->id},
                                                 {"Names", {"/" + c->name}},
                                                 {"Image", c->image},
                                                 {"ImageID", c->image_id},
                                                 {"State", StateName(c->state)},
                                                 {"Status", status},
                                                 {"Labels", labels},
                                                 {"Created", absl::ToUnixSeconds(c->created)}}));
  }
  return out;
}

absl::StatusOr<docker::ContainerInspect> FakeDockerHost::InspectContainer(
    absl::string_view id_or_name) {
  std::string what = absl::StrCat("GET /containers/", id_or_name, "/json");
  absl::Status s = Enter("InspectContainer", id_or_name, what);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  const Container* c = FindLocked(id_or_name);
  if (c == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("No such container: ", id_or_name));
  }
  return docker::ParseContainerInspect(InspectJsonLocked(*c));
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
  Container c;
  c.id = NewId(container_name);
  c.name = container_name;
  c.image = image;
  c.image_id = *image_id;
  c.create_body = body;
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
  containers_.erase(c->id);
  cv_.notify_all();
  return absl::OkStatus();
}

absl::Status FakeDockerHost::Logs(absl::string_view id, const docker::LogsOptions& options,
                                  const docker::OutputCallback& callback) {
  std::string what = absl::StrCat("GET /containers/", id, "/logs");
  MAESTRO_RETURN_IF_ERROR(Enter("Logs", id, what));
  std::vector<std::string> lines;
  std::string cid;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Container* c = FindLocked(id);
    if (c == nullptr) {
      return Error(404, absl::StatusCode::kNotFound, what, absl::StrCat("No such container: ", id));
    }
    cid = c->id;
    auto it = logs_.find(c->name);
    if (it != logs_.end()) lines = it->second;
  }
  size_t tail = 0;
  if (options.tail != "all" && absl::SimpleAtoi(options.tail, &tail) && tail < lines.size()) {
    lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(tail));
  }
  if (options.stdout_) {
    for (const std::string& line : lines) {
      if (!callback(docker::StdStream::kStdout, line + "\n")) return absl::OkStatus();
    }
  }
  if (!options.follow) return absl::OkStatus();
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    const Container* c = FindLocked(cid);
    if (c == nullptr || c->state != FakeContainerState::kRunning || shutting_down_) break;
    if (options.cancel != nullptr && options.cancel->load()) break;
    cv_.wait_for(lock, std::chrono::milliseconds(10));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeDockerHost::CreateExec(absl::string_view container,
                                                       const docker::ExecOptions& options) {
  std::string what = absl::StrCat("POST /containers/", container, "/exec");
  MAESTRO_RETURN_IF_ERROR(Enter("CreateExec", container, what));
  std::lock_guard<std::mutex> lock(mu_);
  const Container* c = FindLocked(container);
  if (c == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("No such container: ", container));
  }
  if (c->state != FakeContainerState::kRunning) {
    return Error(409, absl::StatusCode::kFailedPrecondition, what,
                 absl::StrCat("Container ", c->id, " is not running"));
  }
  Exec e;
  e.id = NewId("exec");
  e.container_id = c->id;
  e.cmd = options.cmd;
  std::string id = e.id;
  execs_[id] = std::move(e);
  return id;
}

absl::Status FakeDockerHost::StartExec(absl::string_view exec_id, bool tty,
                                       const docker::OutputCallback& callback,
                                       const std::atomic<bool>* /*cancel*/) {
  std::string what = absl::StrCat("POST /exec/", exec_id, "/start");
  MAESTRO_RETURN_IF_ERROR(Enter("StartExec", exec_id, what));
  std::string output;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = execs_.find(std::string(exec_id));
    if (it == execs_.end()) {
      return Error(404, absl::StatusCode::kNotFound, what,
                   absl::StrCat("No such exec instance: ", exec_id));
    }
    Exec& e = it->second;
    auto c = containers_.find(e.container_id);
    std::string name = c == containers_.end() ? "" : c->second.name;
    std::string cmdline = absl::StrJoin(e.cmd, " ");
    int code = 0;
    for (auto s = exec_scripts_.rbegin(); s != exec_scripts_.rend(); ++s) {
      if ((s->container.empty() || s->container == name) &&
          absl::StrContains(cmdline, s->substring)) {
        code = s->exit_code;
        output = s->output;
        break;
      }
    }
    e.running = false;
    e.exit_code = code;
  }
  if (!output.empty()) callback(docker::StdStream::kStdout, output);
  return absl::OkStatus();
}

absl::StatusOr<docker::ExecInspect> FakeDockerHost::InspectExec(absl::string_view exec_id) {
  std::string what = absl::StrCat("GET /exec/", exec_id, "/json");
  MAESTRO_RETURN_IF_ERROR(Enter("InspectExec", exec_id, what));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = execs_.find(std::string(exec_id));
  if (it == execs_.end()) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("No such exec instance: ", exec_id));
  }
  const Exec& e = it->second;
  return docker::ParseExecInspect({{"ID", e.id},
                                   {"Running", e.running},
                                   {"ExitCode", e.exit_code ? json(*e.exit_code) : json(nullptr)},
                                   {"ContainerID", e.container_id}});
}

absl::StatusOr<docker::ImageInspect> FakeDockerHost::InspectImage(absl::string_view name) {
  std::string what = absl::StrCat("GET /images/", name, "/json");
  MAESTRO_RETURN_IF_ERROR(Enter("InspectImage", name, what));
  std::lock_guard<std::mutex> lock(mu_);
  const std::string* id = ResolveImageLocked(name);
  if (id == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what, absl::StrCat("No such image: ", name));
  }
  json tags = json::array();
  json config = json::object();
  absl::Time created;
  for (const auto& [ref, image] : images_) {
    if (image.id != *id) continue;
    tags.push_back(ref);
    if (image.config.is_object() && !image.config.empty()) config = image.config;
    created = image.created;
  }
  return docker::ParseImageInspect({{"Id", *id},
                                    {"RepoTags", tags},
                                    {"RepoDigests", json::array()},
                                    {"Created", FormatTime(created)},
                                    {"Config", config}});
}

absl::Status FakeDockerHost::PullImage(absl::string_view image, absl::string_view tag,
                                       absl::string_view registry_auth,
                                       const docker::PullProgressCallback& progress) {
  std::string ref = absl::StrCat(image, ":", tag.empty() ? "latest" : tag);
  std::string what = absl::StrCat("POST /images/create?fromImage=", image, "&tag=", tag);
  MAESTRO_RETURN_IF_ERROR(Enter("PullImage", ref, what));
  bool fresh = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto err = pull_errors_.find(ref);
    if (err != pull_errors_.end()) return err->second;
    auto p = pullable_.find(ref);
    if (p != pullable_.end()) {
      auto existing = images_.find(ref);
      fresh = existing == images_.end() || existing->second.id != p->second;
      json config = existing != images_.end() ? existing->second.config : json::object();
      // Keep the config of another tag of the same id, if any.
      for (const auto& [r, img] : images_) {
        if (img.id == p->second && img.config.is_object() && !img.config.empty())
          config = img.config;
      }
      images_[ref] = Image{p->second, config, clock_->Now()};
    } else if (images_.find(ref) == images_.end()) {
      return Error(404, absl::StatusCode::kNotFound, what,
                   absl::StrCat("pull access denied for ", image,
                                ", repository does not exist or may require 'docker login': "
                                "denied: requested access to the resource is denied"));
    }
  }
  if (progress) {
    progress(docker::ParsePullProgress({{"status", absl::StrCat("Pulling from ", image)},
                                        {"id", tag.empty() ? "latest" : std::string(tag)}}));
    if (fresh) {
      progress(
          docker::ParsePullProgress({{"status", "Downloading"},
                                     {"id", "a1b2c3d4e5f6"},
                                     {"progressDetail", {{"current", 512}, {"total", 1024}}}}));
      progress(
          docker::ParsePullProgress({{"status", "Download complete"}, {"id", "a1b2c3d4e5f6"}}));
    }
    progress(docker::ParsePullProgress(
        {{"status", fresh ? absl::StrCat("Status: Downloaded newer image for ", ref)
                          : absl::StrCat("Status: Image is up to date for ", ref)}}));
  }
  return absl::OkStatus();
}

absl::Status FakeDockerHost::ImportImage(absl::string_view repo, absl::string_view tag,
                                         absl::string_view tar) {
  std::string ref = NormalizeRef(absl::StrCat(repo, ":", tag.empty() ? "latest" : tag));
  std::string what = absl::StrCat("POST /images/create?fromSrc=-&repo=", repo, "&tag=", tag);
  MAESTRO_RETURN_IF_ERROR(Enter("ImportImage", ref, what));
  if (tar.empty()) return Error(500, absl::StatusCode::kInternal, what, "unexpected EOF");
  std::lock_guard<std::mutex> lock(mu_);
  images_[ref] = Image{DerivedImageId(absl::StrCat(ref, "@import:", tar.size())), json::object(),
                       clock_->Now()};
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeDockerHost::Login(const json& auth_config) {
  MAESTRO_RETURN_IF_ERROR(
      Enter("Login", auth_config.value("serveraddress", std::string()), "POST /auth"));
  return std::string("Login Succeeded");
}

absl::Status FakeDockerHost::Events(const docker::EventsOptions& options,
                                    const docker::EventCallback& callback) {
  MAESTRO_RETURN_IF_ERROR(Enter("Events", "", "GET /events"));
  auto filter = [&](const char* key) -> const std::vector<std::string>* {
    auto it = options.filters.find(key);
    return it == options.filters.end() || it->second.empty() ? nullptr : &it->second;
  };
  auto in = [](const std::vector<std::string>* list, const std::string& v) {
    return list == nullptr || std::find(list->begin(), list->end(), v) != list->end();
  };
  auto matches = [&](const docker::Event& e) {
    if (!in(filter("type"), e.type) || !in(filter("event"), e.action)) return false;
    if (const auto* names = filter("container")) {
      auto n = e.attributes.find("name");
      bool any = false;
      for (const std::string& want : *names) {
        any = any || want == e.actor_id || (n != e.attributes.end() && n->second == want) ||
              (want.size() >= 4 && absl::StartsWith(e.actor_id, want));
      }
      if (!any) return false;
    }
    if (const auto* labels = filter("label")) {
      for (const std::string& l : *labels) {
        size_t eq = l.find('=');
        auto it = e.attributes.find(l.substr(0, eq));
        if (it == e.attributes.end()) return false;
        if (eq != std::string::npos && it->second != l.substr(eq + 1)) return false;
      }
    }
    return true;
  };
  // "seconds" or "seconds.nanoseconds", as the daemon takes them.
  auto parse_nanos = [](const std::string& text, int64_t* nanos) {
    std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits('.', 1));
    int64_t seconds = 0, fraction = 0;
    if (!absl::SimpleAtoi(parts.first, &seconds)) return false;
    std::string digits = parts.second.substr(0, 9);
    digits.append(9 - digits.size(), '0');
    if (!parts.second.empty() && !absl::SimpleAtoi(digits, &fraction)) return false;
    *nanos = seconds * 1'000'000'000 + fraction;
    return true;
  };
  int64_t since = 0, until = 0;
  bool has_since = !options.since.empty() && parse_nanos(options.since, &since);
  bool has_until = !options.until.empty() && parse_nanos(options.until, &until);
  std::unique_lock<std::mutex> lock(mu_);
  size_t next = events_.size();
  if (has_since) {
    next = 0;
    while (next < events_.size() && events_[next].time_nano < since) ++next;
  }
  while (true) {
    while (next < events_.size()) {
      docker::Event e = events_[next++];
      if (has_until && e.time_nano > until) return absl::OkStatus();
      if (!matches(e)) continue;
      lock.unlock();
      bool more = callback(e);
      lock.lock();
      if (!more) return absl::OkStatus();
    }
    if (has_until && absl::ToUnixNanos(clock_->Now()) >= until) return absl::OkStatus();
    if (options.cancel != nullptr && options.cancel->load()) return absl::OkStatus();
    if (shutting_down_) return absl::OkStatus();
    if (down_) {
      return absl::UnavailableError(absl::StrCat(Describe(), ": GET /events: connection reset"));
    }
    cv_.wait_for(lock, std::chrono::milliseconds(10));
  }
}

}  // namespace maestro::testing
