#include "maestro/testing/fake_docker_daemon.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace maestro::testing {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using nlohmann::json;
using Socket = asio::local::stream_protocol::socket;

std::string RandomHex(std::mt19937_64& rng, int n) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(kHex[rng() % 16]);
  return s;
}

std::string UrlDecode(absl::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int v;
      if (absl::SimpleHexAtoi(in.substr(i + 1, 2), &v)) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i] == '+' ? ' ' : in[i]);
  }
  return out;
}

std::string Frame(int stream, absl::string_view payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream);
  uint32_t n = static_cast<uint32_t>(payload.size());
  f[4] = static_cast<char>(n >> 24);
  f[5] = static_cast<char>(n >> 16);
  f[6] = static_cast<char>(n >> 8);
  f[7] = static_cast<char>(n);
  f.append(payload.data(), payload.size());
  return f;
}

std::string Chunk(absl::string_view data) {
  return absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n");
}

std::string NowRfc3339() {
  return absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
}

struct Container {
  std::string id;
  std::string name;  // without '/'
  std::string image;
  std::string image_id;
  json config;
  json host_config;
  std::string status = "created";
  int exit_code = 0;
  bool tty = false;
  int64_t created = 0;
  std::string started_at = "0001-01-01T00:00:00Z";
  std::string finished_at = "0001-01-01T00:00:00Z";
  std::vector<std::pair<int, std::string>> logs;
};

struct Exec {
  std::string id;
  std::string container_id;
  std::vector<std::string> cmd;
  bool tty = false;
  bool running = false;
  absl::optional<int> exit_code;
};

struct Request {
  std::string method;
  std::string target;
  std::string path;  // version prefix removed
  std::map<std::string, std::string> query;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct FaultEntry {
  FakeDockerDaemon::Fault fault;
  int count;
  std::string substring;
};

}  // namespace

struct FakeDockerDaemon::Impl {
  Options options;
  asio::io_context io;
  std::unique_ptr<asio::local::stream_protocol::acceptor> acceptor;
  std::thread accept_thread;
  std::vector<std::thread> conn_threads;

  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::mt19937_64 rng{42};
  std::map<std::string, Container> containers;  // by id
  std::map<std::string, std::string> images;    // "repo:tag" -> id
  std::map<std::string, Exec> execs;
  std::vector<json> events;
  std::map<std::string, std::pair<std::string, std::string>> registry_auth;  // host -> user/pass
  std::deque<FaultEntry> faults;
  TransportFaults transport_faults;
  absl::Duration latency = absl::ZeroDuration();
  std::map<int, bool> conn_idle;  // native fd -> waiting for a request
  std::set<int> conn_fds;
  int connections = 0;
  int requests = 0;
  std::vector<std::string> log;
  std::map<std::string, std::string> last_headers;

  // ---- helpers (mu held) ----
  Container* FindLocked(const std::string& ref) {
    auto it = containers.find(ref);
    if (it != containers.end()) return &it->second;
    std::string name(absl::StripPrefix(ref, "/"));
    for (auto& c : containers) {
      if (c.second.name == name) return &c.second;
    }
    if (ref.size() >= 4) {
      for (auto& c : containers) {
        if (absl::StartsWith(c.first, ref)) return &c.second;
      }
    }
    return nullptr;
  }
  void EventLocked(const std::string& type, const std::string& action, const std::string& id,
                   std::map<std::string, std::string> attrs) {
    absl::Time now = absl::Now();
    json e = {{"Type", type},
              {"Action", action},
              {"status", action},
              {"id", id},
              {"Actor", {{"ID", id}, {"Attributes", attrs}}},
              {"time", absl::ToUnixSeconds(now)},
              {"timeNano", absl::ToUnixNanos(now)}};
    events.push_back(e);
    cv.notify_all();
  }
  std::map<std::string, std::string> AttrsLocked(const Container& c) {
    std::map<std::string, std::string> a = {{"name", c.name}, {"image", c.image}};
    if (c.config.contains("Labels") && c.config["Labels"].is_object()) {
      for (auto it = c.config["Labels"].begin(); it != c.config["Labels"].end(); ++it) {
        if (it.value().is_string()) a[it.key()] = it.value().get<std::string>();
      }
    }
    return a;
  }
  std::string ImageRefFor(const std::string& image) {
    std::string ref = image;
    size_t slash = ref.rfind('/');
    size_t colon = ref.rfind(':');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash))
      ref += ":latest";
    return ref;
  }
  void StopLocked(Container& c, int code) {
    if (c.status != "running") return;
    c.status = "exited";
    c.exit_code = code;
    c.finished_at = NowRfc3339();
    EventLocked("container", "die", c.id, AttrsLocked(c));
    cv.notify_all();
  }

  // ---- I/O ----
  bool Write(Socket& s, absl::string_view data) {
    boost::system::error_code ec;
    asio::write(s, asio::buffer(data.data(), data.size()), ec);
    return !ec;
  }
  bool Respond(Socket& s, int status, absl::string_view reason, const std::string& body,
               const std::string& content_type, bool chunked, bool close_after,
               const std::vector<std::string>& extra_headers = {}) {
    std::string head =
        absl::StrCat("HTTP/1.1 ", status, " ", reason, "\r\n", "Api-Version: ", options.api_version,
                     "\r\n", "Server: maestro-fake-docker\r\n");
    for (const auto& h : extra_headers) absl::StrAppend(&head, h, "\r\n");
    if (!body.empty() || status != 204)
      absl::StrAppend(&head, "Content-Type: ", content_type, "\r\n");
    if (close_after) head += "Connection: close\r\n";
    if (chunked && status != 204 && status != 304) {
      head += "Transfer-Encoding: chunked\r\n\r\n";
      // Split the body in two chunks to exercise reassembly.
      size_t half = body.size() / 2;
      std::string out = head;
      if (half > 0) out += Chunk(absl::string_view(body).substr(0, half));
      if (body.size() > half) out += Chunk(absl::string_view(body).substr(half));
      out += "0\r\n\r\n";
      return Write(s, out);
    }
    if (status != 204 && status != 304)
      absl::StrAppend(&head, "Content-Length: ", body.size(), "\r\n");
    head += "\r\n";
    return Write(s, head + body);
  }
  bool Json(Socket& s, int status, absl::string_view reason, const json& j) {
    bool chunked;
    {
      std::lock_guard<std::mutex> lock(mu);
      chunked = options.chunked;
    }
    return Respond(s, status, reason, j.dump() + "\n", "application/json", chunked, false);
  }
  bool Error(Socket& s, int status, absl::string_view reason, const std::string& message) {
    return Json(s, status, reason, json{{"message", message}});
  }
  bool StartStream(Socket& s, const std::string& content_type) {
    return Write(s, absl::StrCat("HTTP/1.1 200 OK\r\nApi-Version: ", options.api_version,
                                 "\r\nContent-Type: ", content_type,
                                 "\r\nTransfer-Encoding: chunked\r\n\r\n"));
  }

  void Serve(std::shared_ptr<Socket> sock);
  // Returns false when the connection must be closed.
  bool Handle(Socket& s, Request& r);
  bool HandleLogs(Socket& s, Request& r, const std::string& id);
  bool HandleExecStart(Socket& s, const std::string& id);
  bool HandlePull(Socket& s, Request& r);
  bool HandleEvents(Socket& s, Request& r);
};

void FakeDockerDaemon::Impl::Serve(std::shared_ptr<Socket> sock) {
  Socket& s = *sock;
  int fd = s.native_handle();
  boost::beast::flat_buffer buffer;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (stopping) break;
      conn_idle[fd] = true;
    }
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    boost::system::error_code ec;
    http::read(s, buffer, parser, ec);
    {
      std::lock_guard<std::mutex> lock(mu);
      conn_idle[fd] = false;
    }
    if (ec) break;
    auto& msg = parser.get();
    Request r;
    r.method = std::string(msg.method_string());
    r.target = std::string(msg.target());
    r.body = msg.body();
    for (const auto& f : msg) {
      r.headers[absl::AsciiStrToLower(std::string(f.name_string()))] = std::string(f.value());
    }
    absl::string_view target = r.target;
    size_t q = target.find('?');
    absl::string_view path = target.substr(0, q);
    if (absl::StartsWith(path, "/v") && path.size() > 2 && absl::ascii_isdigit(path[2])) {
      path = path.substr(path.find('/', 1));
    }
    r.path = std::string(path);
    if (q != absl::string_view::npos) {
      for (absl::string_view kv : absl::StrSplit(target.substr(q + 1), '&', absl::SkipEmpty())) {
        size_t eq = kv.find('=');
        r.query[UrlDecode(kv.substr(0, eq))] =
            eq == absl::string_view::npos ? "" : UrlDecode(kv.substr(eq + 1));
      }
    }
    absl::optional<Fault> fault;
    absl::Duration latency_now;
    {
      std::lock_guard<std::mutex> lock(mu);
      ++requests;
      log.push_back(absl::StrCat(r.method, " ", r.target));
      for (const auto& h : r.headers) last_headers[h.first] = h.second;
      for (auto it = faults.begin(); it != faults.end(); ++it) {
        if (absl::StrContains(r.target, it->substring)) {
          fault = it->fault;
          if (--it->count <= 0) faults.erase(it);
          break;
        }
      }
      latency_now = latency;
    }
    if (latency_now > absl::ZeroDuration()) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, absl::ToChronoMilliseconds(latency_now), [this] { return stopping; });
    }
    if (fault == Fault::kDropConnection) break;
    if (fault == Fault::kNeverAnswer) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [this] { return stopping; });
      break;
    }
    if (fault == Fault::kInternalError) {
      if (!Error(s, 500, "Internal Server Error", "fake daemon: injected failure")) break;
      continue;
    }
    if (std::optional<TransportFault> tf = transport_faults.Match(r.method, r.target)) {
      auto wait = [this](absl::Duration d) {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait_for(lock, absl::ToChronoMilliseconds(d), [this] { return stopping; });
        return !stopping;
      };
      if (tf->kind != TransportFault::Kind::kDelay) {
        transport_faults.Play(
            *tf, [&](absl::string_view d) { return Write(s, d); }, wait);
        break;
      }
      if (!wait(tf->delay)) break;
    }
    bool keep = Handle(s, r);
    if (!keep || fault == Fault::kCloseAfterResponse || !msg.keep_alive()) break;
  }
  boost::system::error_code ignored;
  s.shutdown(asio::socket_base::shutdown_both, ignored);
  std::lock_guard<std::mutex> lock(mu);
  conn_idle.erase(fd);
  conn_fds.erase(fd);
  s.close(ignored);
}

bool FakeDockerDaemon::Impl::Handle(Socket& s, Request& r) {
  const std::string& p = r.path;
  std::vector<std::string> parts = absl::StrSplit(absl::string_view(p).substr(1), '/');
  if (p == "/_ping") {
    return Respond(s, 200, "OK", "OK", "text/plain; charset=utf-8", false, false);
  }
  if (p == "/version") {
    return Json(s, 200, "OK",
                json{{"Version", "99.0.0-fake"},
                     {"ApiVersion", options.api_version},
                     {"MinAPIVersion", options.min_api_version},
                     {"Os", "linux"},
                     {"Arch", "amd64"}});
  }
  if (p == "/auth" && r.method == "POST") {
    json body = json::parse(r.body, nullptr, false);
    std::string server = body.is_object() ? body.value("serveraddress", "") : "";
    std::string host = server;
    if (size_t sep = host.find("://"); sep != std::string::npos) host = host.substr(sep + 3);
    host = host.substr(0, host.find('/'));
    std::pair<std::string, std::string> want;
    bool needs;
    {
      std::lock_guard<std::mutex> lock(mu);
      needs = registry_auth.count(host) > 0;
      if (needs) want = registry_auth[host];
    }
    if (needs &&
        (body.value("username", "") != want.first || body.value("password", "") != want.second)) {
      return Error(s, 401, "Unauthorized",
                   absl::StrCat("login attempt to http://", host,
                                "/v2/ failed with status: 401 Unauthorized"));
    }
    return Json(s, 200, "OK", json{{"Status", "Login Succeeded"}, {"IdentityToken", ""}});
  }
  if (p == "/events") return HandleEvents(s, r);
  if (p == "/images/create" && r.method == "POST") return HandlePull(s, r);
  if (parts.size() >= 3 && parts[0] == "images" && parts.back() == "json" && r.method == "GET") {
    std::string name = absl::StrJoin(parts.begin() + 1, parts.end() - 1, "/");
    std::string id;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = images.find(ImageRefFor(name));
      if (it != images.end()) id = it->second;
      for (const auto& i : images) {
        if (i.second == name) id = i.second;
      }
    }
    if (id.empty()) return Error(s, 404, "Not Found", "No such image: " + name);
    return Json(s, 200, "OK",
                json{{"Id", id}, {"RepoTags", {ImageRefFor(name)}}, {"Config", {{"Cmd", {"sh"}}}}});
  }
  if (p == "/containers/json") {
    bool all = r.query["all"] == "1" || r.query["all"] == "true";
    json filters =
        json::parse(r.query.count("filters") ? r.query["filters"] : "{}", nullptr, false);
    json out = json::array();
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& e : containers) {
      const Container& c = e.second;
      if (!all && c.status != "running") continue;
      bool ok = true;
      if (filters.is_object() && filters.contains("label")) {
        for (const json& l : filters["label"]) {
          std::string f = l.get<std::string>();
          size_t eq = f.find('=');
          std::string k = f.substr(0, eq);
          const json& labels = c.config.value("Labels", json::object());
          if (!labels.is_object() || !labels.contains(k))
            ok = false;
          else if (eq != std::string::npos && labels[k] != f.substr(eq + 1))
            ok = false;
        }
      }
      if (filters.is_object() && filters.contains("name")) {
        bool any = false;
        for (const json& n : filters["name"])
          any |= absl::StrContains(c.name, n.get<std::string>());
        ok &= any;
      }
      if (!ok) continue;
      out.push_back({{"Id", c.id},
                     {"Names", {"/" + c.name}},
                     {"Image", c.image},
                     {"ImageID", c.image_id},
                     {"State", c.status},
                     {"Status", c.status == "running" ? "Up 1 second"
                                                      : absl::StrCat("Exited (", c.exit_code, ")")},
                     {"Labels", c.config.value("Labels", json::object())},
                     {"Created", c.created}});
    }
    bool chunked = options.chunked;
    return Respond(s, 200, "OK", out.dump(), "application/json", chunked, false);
  }
  if (p == "/containers/create" && r.method == "POST") {
    json body = json::parse(r.body, nullptr, false);
    if (!body.is_object() || !body.contains("Image") || !body["Image"].is_string()) {
      return Error(s, 400, "Bad Request", "config cannot be empty in order to create a container");
    }
    std::unique_lock<std::mutex> lock(mu);
    std::string name = r.query["name"];
    std::string image = body["Image"];
    auto img = images.find(ImageRefFor(image));
    if (img == images.end()) {
      lock.unlock();
      return Error(s, 404, "Not Found", "No such image: " + ImageRefFor(image));
    }
    if (!name.empty()) {
      if (Container* other = FindLocked(name); other != nullptr && other->name == name) {
        std::string msg = absl::StrCat("Conflict. The container name \"/", name,
                                       "\" is already in use by container \"", other->id,
                                       "\". You have to remove (or rename) that container to be "
                                       "able to reuse that name.");
        lock.unlock();
        return Error(s, 409, "Conflict", msg);
      }
    }
    Container c;
    c.id = RandomHex(rng, 64);
    c.name = name.empty() ? "fake_" + c.id.substr(0, 6) : name;
    c.image = image;
    c.image_id = img->second;
    c.config = body;
    c.host_config = body.value("HostConfig", json::object());
    c.config.erase("HostConfig");
    c.tty = body.value("Tty", false);
    c.created = absl::ToUnixSeconds(absl::Now());
    containers[c.id] = c;
    EventLocked("container", "create", c.id, AttrsLocked(c));
    lock.unlock();
    return Json(s, 201, "Created", json{{"Id", c.id}, {"Warnings", json::array()}});
  }
  if (parts.size() >= 2 && parts[0] == "containers") {
    std::string ref = parts[1];
    std::string action = parts.size() >= 3 ? parts[2] : "";
    std::unique_lock<std::mutex> lock(mu);
    Container* c = FindLocked(ref);
    if (c == nullptr) {
      lock.unlock();
      return Error(s, 404, "Not Found", "No such container: " + ref);
    }
    std::string id = c->id;
    if (action == "json") {
      json ports = json::object();
      if (c->host_config.contains("PortBindings") && c->host_config["PortBindings"].is_object()) {
        ports = c->status == "running" ? c->host_config["PortBindings"] : json::object();
      }
      json j = {{"Id", c->id},
                {"Name", "/" + c->name},
                {"Image", c->image_id},
                {"Created", NowRfc3339()},
                {"RestartCount", 0},
                {"Config", c->config},
                {"HostConfig", c->host_config},
                {"State",
                 {{"Status", c->status},
                  {"Running", c->status == "running"},
                  {"Paused", false},
                  {"Restarting", false},
                  {"Pid", c->status == "running" ? 4242 : 0},
                  {"ExitCode", c->exit_code},
                  {"Error", ""},
                  {"StartedAt", c->started_at},
                  {"FinishedAt", c->finished_at}}},
                {"NetworkSettings", {{"Ports", ports}}}};
      lock.unlock();
      return Json(s, 200, "OK", j);
    }
    if (action == "start" && r.method == "POST") {
      if (c->status == "running") {
        lock.unlock();
        return Respond(s, 304, "Not Modified", "", "", false, false);
      }
      // Host ports already taken by another running container.
      const json& pb = c->host_config.value("PortBindings", json::object());
      if (pb.is_object()) {
        for (const auto& other : containers) {
          if (other.second.status != "running" || other.first == id) continue;
          const json& opb = other.second.host_config.value("PortBindings", json::object());
          for (auto it = pb.begin(); it != pb.end(); ++it) {
            for (const json& b : it.value()) {
              std::string hp = b.value("HostPort", "");
              for (auto ot = opb.begin(); ot != opb.end(); ++ot) {
                for (const json& ob : ot.value()) {
                  if (!hp.empty() && ob.value("HostPort", "") == hp) {
                    std::string msg = absl::StrCat(
                        "driver failed programming external connectivity on endpoint ", c->name,
                        ": Bind for 0.0.0.0:", hp, " failed: port is already allocated");
                    lock.unlock();
                    return Error(s, 500, "Internal Server Error", msg);
                  }
                }
              }
            }
          }
        }
      }
      c->status = "running";
      c->started_at = NowRfc3339();
      c->exit_code = 0;
      const json& cmd = c->config.value("Cmd", json::array());
      if (cmd.is_array() && !cmd.empty() && cmd[0] == "echo") {
        std::vector<std::string> words;
        for (size_t i = 1; i < cmd.size(); ++i) words.push_back(cmd[i].get<std::string>());
        c->logs.emplace_back(1, absl::StrJoin(words, " ") + "\n");
      }
      EventLocked("container", "start", id, AttrsLocked(*c));
      lock.unlock();
      return Respond(s, 204, "No Content", "", "", false, false);
    }
    if ((action == "stop" || action == "kill") && r.method == "POST") {
      if (c->status != "running") {
        lock.unlock();
        if (action == "kill") {
          return Error(s, 409, "Conflict", absl::StrCat("Container ", id, " is not running"));
        }
        return Respond(s, 304, "Not Modified", "", "", false, false);
      }
      StopLocked(*c, action == "kill" ? 137 : 0);
      lock.unlock();
      return Respond(s, 204, "No Content", "", "", false, false);
    }
    if (action.empty() && r.method == "DELETE") {
      bool force = r.query["force"] == "1" || r.query["force"] == "true";
      if (c->status == "running" && !force) {
        lock.unlock();
        return Error(
            s, 409, "Conflict",
            absl::StrCat("You cannot remove a running container ", id,
                         ". Stop the container before attempting removal or force remove"));
      }
      StopLocked(*c, 137);
      EventLocked("container", "destroy", id, AttrsLocked(*c));
      containers.erase(id);
      lock.unlock();
      return Respond(s, 204, "No Content", "", "", false, false);
    }
    if (action == "exec" && r.method == "POST") {
      if (c->status != "running") {
        lock.unlock();
        return Error(s, 409, "Conflict", absl::StrCat("Container ", id, " is not running"));
      }
      json body = json::parse(r.body, nullptr, false);
      Exec e;
      e.id = RandomHex(rng, 64);
      e.container_id = id;
      if (body.is_object() && body.contains("Cmd") && body["Cmd"].is_array()) {
        for (const json& w : body["Cmd"])
          e.cmd.push_back(w.is_string() ? w.get<std::string>() : w.dump());
      }
      e.tty = body.is_object() && body.value("Tty", false);
      execs[e.id] = e;
      lock.unlock();
      return Json(s, 201, "Created", json{{"Id", e.id}});
    }
    lock.unlock();
    if (action == "logs") return HandleLogs(s, r, id);
    return Error(s, 404, "Not Found", "page not found");
  }
  if (parts.size() == 3 && parts[0] == "exec") {
    if (parts[2] == "start" && r.method == "POST") return HandleExecStart(s, parts[1]);
    if (parts[2] == "json") {
      std::unique_lock<std::mutex> lock(mu);
      auto it = execs.find(parts[1]);
      if (it == execs.end()) {
        lock.unlock();
        return Error(s, 404, "Not Found", "No such exec instance: " + parts[1]);
      }
      json j = {{"ID", it->second.id},
                {"Running", it->second.running},
                {"ContainerID", it->second.container_id}};
      j["ExitCode"] = it->second.exit_code ? json(*it->second.exit_code) : json(nullptr);
      lock.unlock();
      return Json(s, 200, "OK", j);
    }
  }
  return Error(s, 404, "Not Found", "page not found");
}

bool FakeDockerDaemon::Impl::HandleLogs(Socket& s, Request& r, const std::string& id) {
  bool follow = r.query["follow"] == "1" || r.query["follow"] == "true";
  bool want_out = r.query["stdout"] == "1" || r.query["stdout"] == "true";
  bool want_err = r.query["stderr"] == "1" || r.query["stderr"] == "true";
  size_t next = 0;
  bool tty;
  {
    std::lock_guard<std::mutex> lock(mu);
    Container* c = FindLocked(id);
    tty = c != nullptr && c->tty;
    if (c != nullptr && r.query.count("tail") && r.query["tail"] != "all") {
      size_t n = 0;
      absl::SimpleAtoi(r.query["tail"], &n);
      if (c->logs.size() > n) next = c->logs.size() - n;
    }
  }
  std::string ctype =
      tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream";
  if (!StartStream(s, ctype)) return false;
  for (;;) {
    std::vector<std::pair<int, std::string>> out;
    bool done;
    {
      std::unique_lock<std::mutex> lock(mu);
      Container* c = FindLocked(id);
      if (follow && c != nullptr && next >= c->logs.size() && c->status == "running") {
        cv.wait_for(lock, std::chrono::milliseconds(100));
        c = FindLocked(id);
      }
      if (stopping) return false;
      if (c != nullptr) {
        while (next < c->logs.size()) out.push_back(c->logs[next++]);
      }
      done = !follow || c == nullptr || (c->status != "running" && next >= c->logs.size());
    }
    std::string data;
    for (const auto& l : out) {
      if ((l.first == 1 && !want_out) || (l.first == 2 && !want_err)) continue;
      data += tty ? l.second : Frame(l.first, l.second);
    }
    if (!data.empty() && !Write(s, Chunk(data))) return false;
    if (done) break;
  }
  return Write(s, "0\r\n\r\n");
}

bool FakeDockerDaemon::Impl::HandleExecStart(Socket& s, const std::string& id) {
  Exec e;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = execs.find(id);
    if (it == execs.end())
      e.id.clear();
    else
      e = it->second;
  }
  if (e.id.empty()) return Error(s, 404, "Not Found", "No such exec instance: " + id);
  int code = 0;
  std::string out, err;
  std::vector<std::string> args(e.cmd.begin() + (e.cmd.empty() ? 0 : 1), e.cmd.end());
  std::string cmd0 = e.cmd.empty() ? "" : e.cmd[0];
  if (cmd0 == "echo") {
    out = absl::StrJoin(args, " ") + "\n";
  } else if (cmd0 == "false") {
    code = 1;
  } else if (cmd0 == "err") {
    err = absl::StrJoin(args, " ") + "\n";
    code = 2;
  } else {
    out = absl::StrCat("fake exec: ", absl::StrJoin(e.cmd, " "), "\n");
  }
  std::string ctype =
      e.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream";
  std::string body;
  if (e.tty) {
    body = out + err;
  } else {
    if (!out.empty()) body += Frame(1, out);
    if (!err.empty()) body += Frame(2, err);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    execs[id].exit_code = code;
  }
  Write(s, absl::StrCat("HTTP/1.1 200 OK\r\nContent-Type: ", ctype, "\r\n\r\n", body));
  return false;  // hijacked: the stream ends with the connection
}

bool FakeDockerDaemon::Impl::HandlePull(Socket& s, Request& r) {
  std::string image = r.query["fromImage"];
  std::string tag = r.query.count("tag") && !r.query["tag"].empty() ? r.query["tag"] : "latest";
  std::string host;
  if (size_t slash = image.find('/'); slash != std::string::npos) host = image.substr(0, slash);
  std::pair<std::string, std::string> want;
  bool needs;
  {
    std::lock_guard<std::mutex> lock(mu);
    needs = registry_auth.count(host) > 0;
    if (needs) want = registry_auth[host];
  }
  if (!StartStream(s, "application/json")) return false;
  auto line = [&](const json& j) { return Write(s, Chunk(j.dump() + "\r\n")); };
  auto fail = [&](const std::string& msg) {
    line(json{{"errorDetail", {{"message", msg}}}, {"error", msg}});
    return Write(s, "0\r\n\r\n");
  };
  if (needs) {
    std::string decoded;
    json auth;
    auto it = r.headers.find("x-registry-auth");
    if (it != r.headers.end() && absl::WebSafeBase64Unescape(it->second, &decoded)) {
      auth = json::parse(decoded, nullptr, false);
    }
    if (!auth.is_object() || auth.value("username", "") != want.first ||
        auth.value("password", "") != want.second) {
      return fail(absl::StrCat("Head \"http://", host, "/v2/", image.substr(host.size() + 1),
                               "/manifests/", tag, "\": no basic auth credentials"));
    }
  }
  if (absl::StrContains(image, "missing")) {
    return fail(absl::StrCat("manifest for ", image, ":", tag, " not found: manifest unknown"));
  }
  line(json{{"status", "Pulling from " + image}, {"id", tag}});
  for (int i = 1; i <= 3; ++i) {
    line(json{{"status", "Downloading"},
              {"id", "a1b2c3"},
              {"progressDetail", {{"current", i * 100}, {"total", 300}}},
              {"progress", absl::StrCat("[", std::string(i * 10, '='), ">]")}});
  }
  std::string id;
  {
    std::lock_guard<std::mutex> lock(mu);
    std::string ref = image + ":" + tag;
    if (!images.count(ref)) images[ref] = "sha256:" + RandomHex(rng, 64);
    id = images[ref];
    EventLocked("image", "pull", ref, {{"name", ref}});
  }
  line(json{{"status", "Digest: " + id}});
  line(json{{"status", absl::StrCat("Status: Downloaded newer image for ", image, ":", tag)}});
  return Write(s, "0\r\n\r\n");
}

bool FakeDockerDaemon::Impl::HandleEvents(Socket& s, Request& r) {
  json filters = json::parse(r.query.count("filters") ? r.query["filters"] : "{}", nullptr, false);
  size_t next;
  {
    std::lock_guard<std::mutex> lock(mu);
    next = events.size();
  }
  if (!StartStream(s, "application/json")) return false;
  auto matches = [&](const json& e) {
    if (!filters.is_object()) return true;
    if (filters.contains("type")) {
      bool any = false;
      for (const json& t : filters["type"]) any |= e["Type"] == t;
      if (!any) return false;
    }
    if (filters.contains("label")) {
      for (const json& l : filters["label"]) {
        std::string f = l.get<std::string>();
        size_t eq = f.find('=');
        const json& attrs = e["Actor"]["Attributes"];
        std::string k = f.substr(0, eq);
        if (!attrs.contains(k)) return false;
        if (eq != std::string::npos && attrs[k] != f.substr(eq + 1)) return false;
      }
    }
    return true;
  };
  for (;;) {
    std::vector<json> out;
    {
      std::unique_lock<std::mutex> lock(mu);
      if (next >= events.size()) cv.wait_for(lock, std::chrono::milliseconds(100));
      if (stopping) return false;
      while (next < events.size()) out.push_back(events[next++]);
    }
    std::string data;
    for (const json& e : out) {
      if (matches(e)) data += e.dump() + "\n";
    }
    if (!data.empty()) {
      if (!Write(s, Chunk(data))) return false;
    } else {
      // Probe the client: a closed connection shows up as readable EOF.
      char c;
      ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0) return false;
    }
  }
}

FakeDockerDaemon::FakeDockerDaemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<FakeDockerDaemon>> FakeDockerDaemon::Start(Options options) {
  auto impl = std::make_unique<Impl>();
  if (options.socket_path.empty()) {
    char dir[] = "/tmp/maestro-fake-docker-XXXXXX";
    if (mkdtemp(dir) == nullptr) return absl::InternalError("mkdtemp failed");
    options.socket_path = absl::StrCat(dir, "/docker.sock");
  }
  impl->options = options;
  ::unlink(options.socket_path.c_str());
  try {
    impl->acceptor = std::make_unique<asio::local::stream_protocol::acceptor>(
        impl->io, asio::local::stream_protocol::endpoint(options.socket_path));
  } catch (const boost::system::system_error& e) {
    return absl::UnavailableError(
        absl::StrCat("fake daemon: cannot listen on ", options.socket_path, ": ", e.what()));
  }
  Impl* raw = impl.get();
  raw->accept_thread = std::thread([raw] {
    for (;;) {
      auto sock = std::make_shared<Socket>(raw->io);
      boost::system::error_code ec;
      raw->acceptor->accept(*sock, ec);
      std::lock_guard<std::mutex> lock(raw->mu);
      if (raw->stopping) break;
      if (ec) continue;
      ++raw->connections;
      raw->conn_fds.insert(sock->native_handle());
      raw->conn_threads.emplace_back([raw, sock] { raw->Serve(sock); });
    }
  });
  return std::unique_ptr<FakeDockerDaemon>(new FakeDockerDaemon(std::move(impl)));
}

FakeDockerDaemon::~FakeDockerDaemon() { Stop(); }

void FakeDockerDaemon::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
    impl_->cv.notify_all();
    ::shutdown(impl_->acceptor->native_handle(), SHUT_RDWR);
    for (int fd : impl_->conn_fds) ::shutdown(fd, SHUT_RDWR);
  }
  impl_->accept_thread.join();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    threads.swap(impl_->conn_threads);
  }
  for (auto& t : threads) t.join();
  boost::system::error_code ignored;
  impl_->acceptor->close(ignored);
  ::unlink(impl_->options.socket_path.c_str());
}

const std::string& FakeDockerDaemon::socket_path() const { return impl_->options.socket_path; }

void FakeDockerDaemon::InjectFault(Fault fault, int count, std::string path_substring) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->faults.push_back(FaultEntry{fault, count, std::move(path_substring)});
}

void FakeDockerDaemon::SetLatency(absl::Duration latency) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->latency = latency;
}

TransportFaults& FakeDockerDaemon::transport_faults() { return impl_->transport_faults; }

void FakeDockerDaemon::SetChunked(bool chunked) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options.chunked = chunked;
}

void FakeDockerDaemon::CloseIdleConnections() {
  // Let connections that just answered reach their idle state first (bounded: 1 s).
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      bool all_idle = true;
      for (const auto& c : impl_->conn_idle) all_idle &= c.second;
      if (all_idle) break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (const auto& c : impl_->conn_idle) {
    if (c.second) ::shutdown(c.first, SHUT_RDWR);
  }
}

int FakeDockerDaemon::connections_accepted() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->connections;
}

int FakeDockerDaemon::requests_served() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->requests;
}

std::vector<std::string> FakeDockerDaemon::request_log() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->log;
}

std::string FakeDockerDaemon::LastHeader(absl::string_view name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->last_headers.find(absl::AsciiStrToLower(name));
  return it == impl_->last_headers.end() ? "" : it->second;
}

std::string FakeDockerDaemon::AddImage(const std::string& reference) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::string ref = impl_->ImageRefFor(reference);
  auto it = impl_->images.find(ref);
  if (it != impl_->images.end()) return it->second;
  std::string id = "sha256:" + RandomHex(impl_->rng, 64);
  impl_->images[ref] = id;
  return id;
}

void FakeDockerDaemon::RequireRegistryAuth(const std::string& registry_host,
                                           const std::string& user, const std::string& password) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->registry_auth[registry_host] = {user, password};
}

void FakeDockerDaemon::AppendLogs(const std::string& id_or_name, int stream,
                                  const std::string& text) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Container* c = impl_->FindLocked(id_or_name);
  if (c != nullptr) c->logs.emplace_back(stream, text);
  impl_->cv.notify_all();
}

void FakeDockerDaemon::ExitContainer(const std::string& id_or_name, int code) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Container* c = impl_->FindLocked(id_or_name);
  if (c != nullptr) impl_->StopLocked(*c, code);
}

}  // namespace maestro::testing
