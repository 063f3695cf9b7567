// FakeDockerDaemon, the routes: each Engine API endpoint parsed into its FakeDockerHost call,
// and the call's result serialised as the daemon answers (status codes, JSON, streams).
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "maestro/docker/docker_client.h"
#include "maestro/testing/fake_docker_daemon_internal.h"

namespace maestro::testing {
namespace {

using nlohmann::json;

std::string Chunk(absl::string_view data) {
  return absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n");
}

std::string Frame(docker::StdStream stream, absl::string_view payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream == docker::StdStream::kStderr ? 2 : 1);
  uint32_t n = static_cast<uint32_t>(payload.size());
  f[4] = static_cast<char>(n >> 24);
  f[5] = static_cast<char>(n >> 16);
  f[6] = static_cast<char>(n >> 8);
  f[7] = static_cast<char>(n);
  f.append(payload.data(), payload.size());
  return f;
}

bool Flag(const DaemonRequest& r, const std::string& key) {
  auto it = r.query.find(key);
  return it != r.query.end() && (it->second == "1" || it->second == "true");
}

std::string Query(const DaemonRequest& r, const std::string& key, std::string fallback = "") {
  auto it = r.query.find(key);
  return it == r.query.end() ? fallback : it->second;
}

// `filters` as the API sends it: {"label": ["a=b"], ...} (or the old {"label": {"a=b": true}}).
std::map<std::string, std::vector<std::string>> Filters(const DaemonRequest& r) {
  std::map<std::string, std::vector<std::string>> out;
  json j = json::parse(Query(r, "filters", "{}"), nullptr, false);
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::vector<std::string>& values = out[it.key()];
    if (it.value().is_array()) {
      for (const json& v : it.value()) {
        if (v.is_string()) values.push_back(v.get<std::string>());
      }
    } else if (it.value().is_object()) {
      for (auto v = it.value().begin(); v != it.value().end(); ++v) values.push_back(v.key());
    }
  }
  return out;
}

// Sets `cancel` once the client hangs up (a closed connection reads as EOF) or the server
// stops, so that a quiet stream (events, followed logs) the host serves ends with its client.
class DisconnectWatch {
 public:
  DisconnectWatch(int fd, const std::atomic<bool>& stopping) {
    thread_ = std::thread([this, fd, &stopping] {
      while (!done_.load() && !cancel_.load()) {
        char c;
        ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || stopping.load()) {
          cancel_ = true;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  ~DisconnectWatch() {
    done_ = true;
    thread_.join();
  }
  const std::atomic<bool>* cancel() const { return &cancel_; }

 private:
  std::atomic<bool> cancel_{false};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

bool FakeDockerDaemon::Impl::Failure(DaemonSocket& s, const absl::Status& status) {
  absl::optional<int> http = docker::HttpStatusOf(status);
  // The host is "down" (SetDown): the connection goes away without an answer.
  if (!http && status.code() == absl::StatusCode::kUnavailable) return false;
  return Error(s, http.value_or(500), FakeDockerHost::DaemonMessageOf(status));
}

bool FakeDockerDaemon::Impl::Handle(DaemonSocket& s, DaemonRequest& r) {
  const std::string& p = r.path;
  std::vector<std::string> parts = absl::StrSplit(absl::string_view(p).substr(1), '/');
  if (p == "/_ping") return Respond(s, 200, "OK", "text/plain; charset=utf-8", false);
  if (p == "/version") {
    return Json(s, 200,
                json{{"Version", "99.0.0-fake"},
                     {"ApiVersion", options.api_version},
                     {"MinAPIVersion", options.min_api_version},
                     {"Os", "linux"},
                     {"Arch", "amd64"}});
  }
  if (p == "/info" && r.method == "GET") {
    absl::StatusOr<std::string> state = host.SwarmNodeState();
    if (!state.ok()) return Failure(s, state.status());
    return Json(s, 200, json{{"ID", "fake"}, {"Swarm", {{"LocalNodeState", *state}}}});
  }
  if (p == "/auth" && r.method == "POST") {
    absl::StatusOr<std::string> status = host.Login(json::parse(r.body, nullptr, false));
    if (!status.ok()) return Failure(s, status.status());
    return Json(s, 200, json{{"Status", *status}, {"IdentityToken", ""}});
  }
  if (p == "/events" && r.method == "GET") return HandleEvents(s, r);
  if (p == "/images/create" && r.method == "POST") return HandlePull(s, r);
  if (parts.size() >= 3 && parts[0] == "images" && parts.back() == "json" && r.method == "GET") {
    absl::StatusOr<json> j =
        host.InspectImageJson(absl::StrJoin(parts.begin() + 1, parts.end() - 1, "/"));
    if (!j.ok()) return Failure(s, j.status());
    return Json(s, 200, *j);
  }
  if (parts.size() >= 3 && parts[0] == "distribution" && parts.back() == "json" &&
      r.method == "GET") {
    std::string auth;
    if (auto it = r.headers.find("x-registry-auth"); it != r.headers.end()) auth = it->second;
    absl::StatusOr<docker::DistributionInspect> d =
        host.InspectDistribution(absl::StrJoin(parts.begin() + 1, parts.end() - 1, "/"), auth);
    if (!d.ok()) return Failure(s, d.status());
    json platforms = json::array();
    for (const docker::Platform& pl : d->platforms) {
      json entry = {{"architecture", pl.architecture}, {"os", pl.os}};
      if (!pl.variant.empty()) entry["variant"] = pl.variant;
      platforms.push_back(entry);
    }
    return Json(s, 200,
                json{{"Descriptor",
                      {{"mediaType", d->media_type}, {"digest", d->digest}, {"size", d->size}}},
                     {"Platforms", platforms}});
  }
  if (p == "/containers/json" && r.method == "GET") {
    docker::ListContainersOptions o;
    o.all = Flag(r, "all");
    std::map<std::string, std::vector<std::string>> filters = Filters(r);
    o.labels = filters["label"];
    o.names = filters["name"];
    absl::StatusOr<json> j = host.ListContainersJson(o);
    if (!j.ok()) return Failure(s, j.status());
    return Json(s, 200, *j);
  }
  if (p == "/containers/create" && r.method == "POST") {
    absl::StatusOr<docker::CreateContainerResult> c =
        host.CreateContainer(Query(r, "name"), json::parse(r.body, nullptr, false));
    if (!c.ok()) return Failure(s, c.status());
    return Json(s, 201, json{{"Id", c->id}, {"Warnings", c->warnings}});
  }
  if (parts.size() >= 2 && parts[0] == "containers") return HandleContainer(s, r, parts);
  if (parts.size() == 3 && parts[0] == "exec") {
    if (parts[2] == "start" && r.method == "POST") return HandleExecStart(s, r, parts[1]);
    if (parts[2] == "json" && r.method == "GET") {
      absl::StatusOr<json> j = host.InspectExecJson(parts[1]);
      if (!j.ok()) return Failure(s, j.status());
      return Json(s, 200, *j);
    }
    if (parts[2] == "resize" && r.method == "POST") {  // a known exec: OK (no TTY to size)
      absl::StatusOr<json> j = host.InspectExecJson(parts[1]);
      if (!j.ok()) return Failure(s, j.status());
      return Respond(s, 201, "", "text/plain", false);
    }
  }
  return Error(s, 404, "page not found");
}

bool FakeDockerDaemon::Impl::HandleContainer(DaemonSocket& s, DaemonRequest& r,
                                             const std::vector<std::string>& parts) {
  const std::string& id = parts[1];
  const std::string action = parts.size() >= 3 ? parts[2] : "";
  if (parts.size() > 3) return Error(s, 404, "page not found");
  // 304 for a start of a running or a stop of a stopped container, as the daemon answers.
  auto running = [&] {
    std::optional<FakeContainer> c = host.FindContainer(id);
    return c && c->state == FakeContainerState::kRunning;
  };
  if (action == "json" && r.method == "GET") {
    absl::StatusOr<json> j = host.InspectContainerJson(id);
    if (!j.ok()) return Failure(s, j.status());
    return Json(s, 200, *j);
  }
  if (action == "start" && r.method == "POST") {
    const bool was_running = running();
    absl::Status st = host.StartContainer(id);
    if (!st.ok()) return Failure(s, st);
    return Respond(s, was_running ? 304 : 204, "", "", false);
  }
  if (action == "stop" && r.method == "POST") {
    const bool was_running = running();
    absl::optional<int> t;
    int seconds = 0;
    if (r.query.count("t") && absl::SimpleAtoi(r.query["t"], &seconds)) t = seconds;
    absl::Status st = host.StopContainer(id, t);
    if (!st.ok()) return Failure(s, st);
    return Respond(s, was_running ? 204 : 304, "", "", false);
  }
  if (action == "kill" && r.method == "POST") {
    absl::Status st = host.KillContainer(id, Query(r, "signal"));
    if (!st.ok()) return Failure(s, st);
    return Respond(s, 204, "", "", false);
  }
  if (action.empty() && r.method == "DELETE") {
    absl::Status st =
        host.RemoveContainer(id, {.volumes = Flag(r, "v"), .force = Flag(r, "force")});
    if (!st.ok()) return Failure(s, st);
    return Respond(s, 204, "", "", false);
  }
  if (action == "exec" && r.method == "POST") {
    json body = json::parse(r.body, nullptr, false);
    docker::ExecOptions o;
    if (body.is_object()) {
      auto strings = [&](const char* key) {
        std::vector<std::string> out;
        if (body.contains(key) && body[key].is_array()) {
          for (const json& w : body[key])
            out.push_back(w.is_string() ? w.get<std::string>() : w.dump());
        }
        return out;
      };
      o.cmd = strings("Cmd");
      o.env = strings("Env");
      o.user = body.value("User", "");
      o.working_dir = body.value("WorkingDir", "");
      o.tty = body.value("Tty", false);
    }
    absl::StatusOr<std::string> exec = host.CreateExec(id, o);
    if (!exec.ok()) return Failure(s, exec.status());
    return Json(s, 201, json{{"Id", *exec}});
  }
  if (action == "logs" && r.method == "GET") return HandleLogs(s, r, id);
  return Error(s, 404, "page not found");
}

bool FakeDockerDaemon::Impl::HandleLogs(DaemonSocket& s, DaemonRequest& r, const std::string& id) {
  docker::LogsOptions o;
  o.stdout_ = Flag(r, "stdout");
  o.stderr_ = Flag(r, "stderr");
  o.follow = Flag(r, "follow");
  o.timestamps = Flag(r, "timestamps");
  o.tail = Query(r, "tail", "all");
  o.since = Query(r, "since");
  o.until = Query(r, "until");
  std::optional<FakeContainer> c = host.FindContainer(id);
  if (!c) {
    // The host's own 404 (and its record of the call).
    absl::Status st = host.Logs(id, o, [](docker::StdStream, absl::string_view) { return true; });
    return st.ok() ? Error(s, 404, "No such container: " + id) : Failure(s, st);
  }
  const bool tty = c->create_body.is_object() && c->create_body.value("Tty", false);
  if (!StartStream(s, tty ? "application/vnd.docker.raw-stream"
                          : "application/vnd.docker.multiplexed-stream")) {
    return false;
  }
  DisconnectWatch watch(s.native_handle(), stopping_flag);
  o.cancel = watch.cancel();
  bool client_gone = false;
  absl::Status st = host.Logs(id, o, [&](docker::StdStream stream, absl::string_view data) {
    client_gone = !Write(s, Chunk(tty ? std::string(data) : Frame(stream, data)));
    return !client_gone;
  });
  // A failure after the head (the container went away) ends the stream unterminated.
  if (!st.ok() || client_gone || watch.cancel()->load()) return false;
  return Write(s, "0\r\n\r\n");
}

bool FakeDockerDaemon::Impl::HandleExecStart(DaemonSocket& s, DaemonRequest& r,
                                             const std::string& id) {
  json body = json::parse(r.body, nullptr, false);
  const bool tty = body.is_object() && body.value("Tty", false);
  std::string out;
  absl::Status st = host.StartExec(
      id, tty,
      [&](docker::StdStream stream, absl::string_view data) {
        out += tty ? std::string(data) : Frame(stream, data);
        return true;
      },
      nullptr);
  if (!st.ok()) return Failure(s, st);
  // Asked to upgrade (an interactive exec): 101, as the daemon answers; else 200. Either way
  // the output follows the head at once, in the same write.
  auto upgrade = r.headers.find("upgrade");
  const bool upgraded = upgrade != r.headers.end() && upgrade->second == "tcp";
  Write(s,
        absl::StrCat(
            upgraded ? "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                     : "HTTP/1.1 200 OK\r\n",
            "Content-Type: ",
            tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream",
            "\r\n\r\n", out));
  return false;  // hijacked: the stream ends with the connection
}

bool FakeDockerDaemon::Impl::HandlePull(DaemonSocket& s, DaemonRequest& r) {
  std::string auth;
  if (auto it = r.headers.find("x-registry-auth"); it != r.headers.end()) auth = it->second;
  std::vector<json> lines;
  absl::Status st = host.PullImage(Query(r, "fromImage"), Query(r, "tag"), auth,
                                   [&](const docker::PullProgress& p) { lines.push_back(p.raw); });
  // Refused before any progress (no such repository, an injected API error): an HTTP error.
  if (!st.ok() && (docker::HttpStatusOf(st) || st.code() == absl::StatusCode::kUnavailable)) {
    return Failure(s, st);
  }
  if (!StartStream(s, "application/json")) return false;
  std::string data;
  for (const json& j : lines) absl::StrAppend(&data, j.dump(), "\r\n");
  if (!st.ok()) {
    // Failed in the middle (registry authentication, a manifest): an error line.
    std::string msg = FakeDockerHost::DaemonMessageOf(st);
    absl::StrAppend(&data, json{{"errorDetail", {{"message", msg}}}, {"error", msg}}.dump(),
                    "\r\n");
  }
  if (!data.empty() && !Write(s, Chunk(data))) return false;
  return Write(s, "0\r\n\r\n");
}

bool FakeDockerDaemon::Impl::HandleEvents(DaemonSocket& s, DaemonRequest& r) {
  docker::EventsOptions o;
  o.filters = Filters(r);
  o.since = Query(r, "since");
  o.until = Query(r, "until");
  if (!StartStream(s, "application/json")) return false;
  DisconnectWatch watch(s.native_handle(), stopping_flag);
  o.cancel = watch.cancel();
  bool client_gone = false;
  absl::Status st = host.Events(o, [&](const docker::Event& e) {
    client_gone = !Write(s, Chunk(e.raw.dump() + "\n"));
    return !client_gone;
  });
  if (!st.ok() || client_gone || watch.cancel()->load()) return false;
  return Write(s, "0\r\n\r\n");  // `until` reached
}

}  // namespace maestro::testing
