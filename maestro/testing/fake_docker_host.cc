// FakeDockerHost: setup, failure injection, inspection and the shared internals.
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
#include "maestro/testing/fake_docker_host_internal.h"

namespace maestro::testing {

using fake_internal::Ago;
using fake_internal::DerivedImageId;
using fake_internal::EnvKey;
using fake_internal::FormatTime;
using fake_internal::Hex64;
using fake_internal::IpsOverlap;
using fake_internal::kDaemonMessagePayload;
using fake_internal::kEphemeralFirst;
using fake_internal::MergeObjects;
using fake_internal::NormalizeRef;
using fake_internal::StateName;
using nlohmann::json;

FakeDockerHost::FakeDockerHost(std::string ship_name, Clock* clock)
    : ship_(std::move(ship_name)), clock_(clock != nullptr ? clock : RealClock::Get()) {}

FakeDockerHost::~FakeDockerHost() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
}

absl::Status FakeDockerHost::ApiError(int http_status, absl::string_view message) {
  absl::Status s(
      docker::CodeForHttp(http_status),
      absl::StrCat(http_status, " ", docker::HttpReasonPhrase(http_status), ": ", message));
  docker::SetHttpStatus(s, http_status);
  s.SetPayload(kDaemonMessagePayload, absl::Cord(message));
  return s;
}

std::string FakeDockerHost::DaemonMessageOf(const absl::Status& status) {
  absl::optional<absl::Cord> m = status.GetPayload(kDaemonMessagePayload);
  return m ? std::string(*m) : std::string(status.message());
}

absl::Status FakeDockerHost::Error(int http, absl::StatusCode code, absl::string_view what,
                                   absl::string_view message) const {
  absl::Status s(code, absl::StrCat(Describe(), ": ", what, ": ", http, " ",
                                    docker::HttpReasonPhrase(http), ": ", message));
  docker::SetHttpStatus(s, http);
  s.SetPayload(kDaemonMessagePayload, absl::Cord(message));
  return s;
}

absl::Status FakeDockerHost::StreamError(absl::StatusCode code, absl::string_view what,
                                         absl::string_view message) const {
  absl::Status s(code, absl::StrCat(Describe(), ": ", what, ": ", message));
  s.SetPayload(kDaemonMessagePayload, absl::Cord(message));
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
  images_[ref] = Image{image_id, std::move(config), clock_->Now(), ""};
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

void FakeDockerHost::SetRegistryImage(absl::string_view reference, absl::string_view digest,
                                      std::vector<docker::Platform> platforms,
                                      absl::string_view id) {
  std::string ref = NormalizeRef(reference);
  std::string d =
      digest.empty() ? absl::StrCat("sha256:", Hex64(ref + "@registry")) : std::string(digest);
  std::string image_id =
      id.empty() ? absl::StrCat("sha256:", Hex64(d + "@image")) : std::string(id);
  if (!absl::StartsWith(image_id, "sha256:")) image_id = "sha256:" + image_id;
  std::lock_guard<std::mutex> lock(mu_);
  registry_[ref] = RegistryImage{d, std::move(platforms)};
  pullable_[ref] = image_id;
  not_in_registry_.erase(ref);
}

void FakeDockerHost::RemoveRegistryImage(absl::string_view reference) {
  std::string ref = NormalizeRef(reference);
  std::lock_guard<std::mutex> lock(mu_);
  registry_.erase(ref);
  pullable_.erase(ref);
  not_in_registry_.insert(ref);
}

void FakeDockerHost::SetPlatform(absl::string_view os, absl::string_view arch) {
  std::lock_guard<std::mutex> lock(mu_);
  os_ = std::string(os);
  arch_ = std::string(arch);
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
  std::vector<LogEntry>& out = logs_[std::string(container_name)];
  out.clear();
  const Container* c = FindLocked(container_name);
  const std::string id = c != nullptr ? c->id : "";
  const absl::Time now = clock_->Now();
  for (std::string& line : lines) out.push_back({docker::StdStream::kStdout, line + "\n", now, id});
  cv_.notify_all();
}

void FakeDockerHost::AppendLogs(absl::string_view name_or_id, docker::StdStream stream,
                                std::string text) {
  std::lock_guard<std::mutex> lock(mu_);
  const Container* c = FindLocked(name_or_id);
  std::string name = c != nullptr ? c->name : std::string(absl::StripPrefix(name_or_id, "/"));
  logs_[name].push_back({stream, std::move(text), clock_->Now(), c != nullptr ? c->id : ""});
  cv_.notify_all();
}

void FakeDockerHost::DropLogStreams() {
  std::lock_guard<std::mutex> lock(mu_);
  ++log_drops_;
  cv_.notify_all();
}

void FakeDockerHost::RequireRegistryAuth(absl::string_view registry_host, absl::string_view user,
                                         absl::string_view password) {
  std::lock_guard<std::mutex> lock(mu_);
  registry_auth_[std::string(registry_host)] = {std::string(user), std::string(password)};
}

void FakeDockerHost::ScriptExec(absl::string_view container_name,
                                absl::string_view command_substring, int exit_code,
                                std::string output, std::string error_output) {
  std::lock_guard<std::mutex> lock(mu_);
  exec_scripts_.push_back(ExecScript{std::string(container_name), std::string(command_substring),
                                     exit_code, std::move(output), std::move(error_output)});
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
  // Indexed: `status` of 100,000 containers looks each up by name.
  auto by_name = by_name_.find(std::string(key));
  if (by_name != by_name_.end()) return &containers_.at(by_name->second);
  // An id or a unique id prefix: the ids starting with `key` are adjacent in the map.
  auto it = containers_.lower_bound(std::string(key));
  if (it == containers_.end() || !absl::StartsWith(it->first, key)) return nullptr;
  if (it->first.size() == key.size()) return &it->second;
  auto next = std::next(it);
  if (next != containers_.end() && absl::StartsWith(next->first, key)) return nullptr;  // ambiguous
  return &it->second;
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
  std::lock_guard<std::mutex> lock(mu_);
  return api_version_;
}

void FakeDockerHost::SetApiVersion(absl::string_view version) {
  std::lock_guard<std::mutex> lock(mu_);
  api_version_ = std::string(version);
}

void FakeDockerHost::SetSwarmNodeState(absl::string_view state) {
  std::lock_guard<std::mutex> lock(mu_);
  swarm_node_state_ = std::string(state);
}

void FakeDockerHost::SetKeepCreateEnv(bool keep) {
  std::lock_guard<std::mutex> lock(mu_);
  keep_create_env_ = keep;
}

}  // namespace maestro::testing
