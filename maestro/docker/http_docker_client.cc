#include "maestro/docker/http_docker_client.h"

#include <cctype>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "maestro/base/status_macros.h"
#include "maestro/docker/http_docker_client_internal.h"

namespace maestro::docker {
namespace {

using nlohmann::json;

std::string Escape(absl::string_view s, bool keep_slash) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && (c == '/' || c == ':' || c == '@'))) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::optional<json> ParseJson(absl::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::nullopt;
  return j;
}

// At most `max` characters of `s` for a message, control characters replaced (a hostile or
// broken server must not drive the terminal), with a note of what was left out.
std::string ShortenText(absl::string_view s, size_t max) {
  std::string out(s.substr(0, max));
  for (char& c : out) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7f) c = '?';
  }
  if (s.size() > max) absl::StrAppend(&out, "... (", s.size() - max, " more bytes not shown)");
  return out;
}

// The daemon's own error message: {"message": "..."} or the raw body, shortened.
std::string DaemonMessage(const HttpResponse& r, size_t max) {
  std::string out;
  absl::optional<json> j = ParseJson(r.body);
  if (j && j->is_object() && j->contains("message") && (*j)["message"].is_string()) {
    out = ShortenText((*j)["message"].get<std::string>(), max);
  } else {
    out = ShortenText(absl::StripAsciiWhitespace(r.body), max);
  }
  if (r.truncated) {
    absl::StrAppend(&out, " (the answer was cut after ", r.body.size() / 1024, " KiB)");
  }
  return out;
}

// "1.41"-shaped: digits, a dot, digits.
bool IsApiVersion(absl::string_view v) {
  std::vector<absl::string_view> parts = absl::StrSplit(v, '.');
  if (parts.size() != 2) return false;
  for (absl::string_view p : parts) {
    if (p.empty() || p.size() > 4) return false;
    for (char c : p) {
      if (!absl::ascii_isdigit(c)) return false;
    }
  }
  return true;
}

// Whether a failure says the daemon could not be reached (as opposed to an answer).
bool IsUnreachable(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         s.code() == absl::StatusCode::kDeadlineExceeded ||
         s.code() == absl::StatusCode::kCancelled;
}

}  // namespace

namespace http_internal {

std::string PathPart(absl::string_view s) { return Escape(s, true); }

absl::StatusOr<std::string> BodyJson(const json& body, absl::string_view what) {
  try {
    return body.dump();
  } catch (const json::exception&) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the request holds text that is not valid UTF-8"));
  }
}

std::string FiltersJson(const std::map<std::string, std::vector<std::string>>& filters) {
  json j = json::object();
  for (const auto& f : filters) j[f.first] = f.second;
  return j.dump();
}

}  // namespace http_internal

using http_internal::BodyJson;
using http_internal::FiltersJson;
using http_internal::PathPart;

absl::StatusOr<std::unique_ptr<HttpDockerClient>> HttpDockerClient::Create(
    const transport::ConnectionSpec& spec) {
  MAESTRO_ASSIGN_OR_RETURN(std::unique_ptr<transport::Transport> t, transport::MakeTransport(spec));
  return std::make_unique<HttpDockerClient>(spec.ship, std::move(t), spec.request_timeout,
                                            spec.api_version);
}

HttpDockerClient::HttpDockerClient(std::string ship,
                                   std::unique_ptr<transport::Transport> transport,
                                   absl::Duration timeout, std::string pinned_api_version,
                                   CallLimits limits)
    : ship_(std::move(ship)),
      url_(transport->Describe()),
      timeout_(timeout),
      pinned_(pinned_api_version == "auto" ? "" : std::move(pinned_api_version)),
      limits_(limits),
      http_(std::move(transport)) {}

RequestOptions HttpDockerClient::Quick() const {
  RequestOptions o;
  o.timeout = timeout_;
  o.patience = limits_.quick_patience;
  return o;
}

RequestOptions HttpDockerClient::Change(absl::Duration extra) const {
  RequestOptions o;
  o.timeout = timeout_;
  o.patience = limits_.change_patience + extra;
  return o;
}

std::string HttpDockerClient::Shorten(absl::string_view message) const {
  return ShortenText(message, limits_.max_message);
}

std::string HttpDockerClient::Describe() const { return absl::StrCat(ship_, " (", url_, ")"); }

absl::Status HttpDockerClient::Prefix(const Call& call, const absl::Status& status) const {
  std::string what = call.what.empty() ? absl::StrCat(call.method, " ", call.path) : call.what;
  absl::Status out(status.code(), absl::StrCat(Describe(), ": ", what, ": ", status.message()));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

absl::StatusOr<std::string> HttpDockerClient::ApiVersion() {
  if (!pinned_.empty()) {
    if (!IsApiVersion(pinned_)) {
      return absl::FailedPreconditionError(
          absl::StrCat(Describe(), ": api_version '", Shorten(pinned_),
                       "' is not a Docker API version (use a version such as 1.41, or auto)"));
    }
    return pinned_;
  }
  std::lock_guard<std::mutex> lock(version_mu_);
  if (!negotiated_.empty()) return negotiated_;
  bool answered = false;
  absl::StatusOr<std::string> v = Negotiate(&answered);
  if (!v.ok()) {
    // Not reaching the server (refused, SSH or TLS authentication, host keys, a broken
    // stream) keeps its own code and reason.
    if (!answered || IsUnreachable(v.status())) return v.status();
    // An answer, but not a Docker daemon's: never NotFound ("no such container") and friends.
    return absl::FailedPreconditionError(absl::StrCat(
        v.status().message(), " (API version negotiation failed: not a Docker daemon?)"));
  }
  negotiated_ = *v;
  return negotiated_;
}

absl::StatusOr<std::string> HttpDockerClient::Negotiate(bool* answered) {
  // GET /_ping first, as the docker CLI does: its Api-Version header is all we need when the
  // daemon is not newer than we are. GET /version costs the daemon far more (20.10 runs
  // `runc --version` and `docker-init --version` for every call): ~7 ms against 0.4 ms here,
  // and much more on a loaded host.
  {
    Call ping;
    ping.answered = answered;
    MAESTRO_ASSIGN_OR_RETURN(HttpResponse r, GetPing(&ping));
    std::string server = r.Header("Api-Version");
    if (server.empty() && absl::StripAsciiWhitespace(r.body) != "OK") {
      return Prefix(ping, absl::FailedPreconditionError(absl::StrCat(
                              "the server at this address is not a Docker daemon (answered ",
                              r.status, " '", Shorten(absl::StripAsciiWhitespace(r.body)),
                              "' without an Api-Version header)")));
    }
    if (!server.empty() && CompareApiVersions(server, kMaxApiVersion) <= 0) {
      return server;  // a daemon's own version is never below its minimum
    }
  }
  // A newer daemon (or one that does not say): its minimum may be above our maximum.
  Call call;
  call.path = "/version";
  call.versioned = false;
  call.answered = answered;
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  VersionInfo v = ParseVersionInfo(j);
  if (v.api_version.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(Describe(), ": GET /version: no ApiVersion in the daemon's answer"));
  }
  std::string use =
      CompareApiVersions(v.api_version, kMaxApiVersion) < 0 ? v.api_version : kMaxApiVersion;
  if (!v.min_api_version.empty() && CompareApiVersions(use, v.min_api_version) < 0) {
    use = v.min_api_version;
  }
  return use;
}

absl::StatusOr<HttpRequest> HttpDockerClient::Request(const Call& call) {
  HttpRequest req;
  req.method = call.method;
  std::string prefix;
  if (call.versioned) {
    MAESTRO_ASSIGN_OR_RETURN(std::string version, ApiVersion());
    prefix = absl::StrCat("/v", version);
  }
  req.target = prefix + call.path;
  for (size_t i = 0; i < call.query.size(); ++i) {
    absl::StrAppend(&req.target, i == 0 ? "?" : "&", Escape(call.query[i].first, false), "=",
                    Escape(call.query[i].second, false));
  }
  req.body = call.body;
  req.content_type = call.content_type;
  req.headers = call.headers;
  return req;
}

absl::StatusOr<HttpResponse> HttpDockerClient::Do(const Call& call, RequestOptions options) {
  MAESTRO_ASSIGN_OR_RETURN(HttpRequest req, Request(call));
  if (options.interrupt == nullptr) options.interrupt = interrupt_.load();
  options.limits.max_body = limits_.max_json_body;
  options.limits.max_error_body = limits_.max_error_body;
  absl::StatusOr<HttpResponse> r = http_.Do(req, options);
  if (!r.ok()) return Prefix(call, r.status());
  if (call.answered != nullptr) *call.answered = true;
  if (r->status >= 400) {
    std::string message = DaemonMessage(*r, limits_.max_message);
    absl::StatusCode code = CodeForHttp(r->status, call.conflict_code);
    if (r->status == 404 && message == "page not found") {
      // The daemon's router knows no such path: not "no such container" (NotFound).
      code = absl::StatusCode::kUnimplemented;
      message += " (the daemon does not serve this API call: check the ship's api_version)";
    }
    absl::Status s(code, absl::StrCat(r->status, " ", Shorten(r->reason), ": ", message));
    SetHttpStatus(s, r->status);
    return Prefix(call, s);
  }
  return r;
}

absl::StatusOr<json> HttpDockerClient::DoJson(const Call& call, RequestOptions options) {
  MAESTRO_ASSIGN_OR_RETURN(HttpResponse r, Do(call, options));
  absl::optional<json> j = ParseJson(r.body);
  if (!j) {
    return Prefix(call, absl::InternalError(absl::StrCat("daemon answered ", r.status,
                                                         " with a body that is not JSON")));
  }
  std::string().swap(r.body);  // the text is no longer needed: free it before the tree moves
  return std::move(*j);        // a move: a list answer's tree can be tens of MB
}

absl::Status HttpDockerClient::DoStream(const Call& call, bool tty, bool unbounded,
                                        const std::atomic<bool>* cancel,
                                        const OutputCallback& callback) {
  absl::Status demux_error;
  MultiplexedStreamParser demux(callback);
  RequestOptions options = Quick();
  options.stream_body_unbounded = unbounded;
  options.cancel = cancel;
  bool stopped = false;
  options.sink = [&](absl::string_view data) {
    if (tty) {
      if (!callback(StdStream::kStdout, data)) stopped = true;
      return !stopped;
    }
    demux_error = demux.Feed(data);
    if (demux.stopped()) stopped = true;
    return demux_error.ok() && !stopped;
  };
  absl::StatusOr<HttpResponse> r = Do(call, options);
  if (!r.ok()) {
    // The caller's own cancel ends the stream normally; Ctrl-C (interrupt) is an error.
    if (absl::IsCancelled(r.status()) && cancel != nullptr && cancel->load()) {
      return absl::OkStatus();
    }
    return r.status();
  }
  if (!demux_error.ok()) return Prefix(call, demux_error);
  if (!tty && !stopped) {
    absl::Status s = demux.Finish();
    if (!s.ok()) return Prefix(call, s);
  }
  return absl::OkStatus();
}

absl::StatusOr<HttpResponse> HttpDockerClient::GetPing(Call* call) {
  call->path = "/_ping";
  call->versioned = false;
  RequestOptions options;  // the liveness probe: the ship timeout, no patience
  options.timeout = timeout_;
  return Do(*call, options);
}

absl::StatusOr<std::vector<ContainerSummary>> HttpDockerClient::ListContainers(
    const ListContainersOptions& options) {
  Call call;
  call.path = "/containers/json";
  if (options.all) call.query.emplace_back("all", "1");
  std::map<std::string, std::vector<std::string>> filters;
  if (!options.labels.empty()) filters["label"] = options.labels;
  if (!options.names.empty()) filters["name"] = options.names;
  if (!filters.empty()) call.query.emplace_back("filters", FiltersJson(filters));
  MAESTRO_ASSIGN_OR_RETURN(HttpResponse r, Do(call, Quick()));
  // Each entry of the list is turned into a ContainerSummary as soon as the parser has read it,
  // and dropped from the tree: the whole answer is never held as a JSON tree (at 10,000
  // containers that tree is ~10 times the 3.9 MB of text; docs/benchmarks.md §5).
  std::vector<ContainerSummary> out;
  bool top_is_array = false;
  json::parser_callback_t entry = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 0 && event == json::parse_event_t::array_start) top_is_array = true;
    if (depth != 1 || !top_is_array) return true;
    if (event == json::parse_event_t::object_end || event == json::parse_event_t::array_end ||
        event == json::parse_event_t::value) {
      out.push_back(ParseContainerSummary(parsed));
      return false;  // discard the entry's subtree
    }
    return true;
  };
  json j = json::parse(r.body.begin(), r.body.end(), entry, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Prefix(call, absl::InternalError(absl::StrCat("daemon answered ", r.status,
                                                         " with a body that is not JSON")));
  }
  if (!j.is_array()) out.clear();
  return out;
}

absl::StatusOr<ContainerInspect> HttpDockerClient::InspectContainer(absl::string_view id) {
  Call call;
  call.path = absl::StrCat("/containers/", PathPart(id), "/json");
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  return ParseContainerInspect(j);
}

absl::StatusOr<CreateContainerResult> HttpDockerClient::CreateContainer(absl::string_view name,
                                                                        const json& body) {
  Call call;
  call.method = "POST";
  call.path = "/containers/create";
  if (!name.empty()) call.query.emplace_back("name", std::string(name));
  MAESTRO_ASSIGN_OR_RETURN(call.body, BodyJson(body, absl::StrCat(Describe(), ": create ", name)));
  call.conflict_code = absl::StatusCode::kAlreadyExists;
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call, Change()));
  CreateContainerResult out;
  if (j.contains("Id") && j["Id"].is_string()) out.id = j["Id"].get<std::string>();
  if (j.contains("Warnings") && j["Warnings"].is_array()) {
    for (const json& w : j["Warnings"]) {
      if (w.is_string()) out.warnings.push_back(w.get<std::string>());
    }
  }
  return out;
}

absl::Status HttpDockerClient::StartContainer(absl::string_view id) {
  Call call;
  call.method = "POST";
  call.path = absl::StrCat("/containers/", PathPart(id), "/start");
  return Do(call, Change()).status();  // 304 (already started) is success
}

absl::Status HttpDockerClient::RenameContainer(absl::string_view id, absl::string_view new_name) {
  Call call;
  call.method = "POST";
  call.path = absl::StrCat("/containers/", PathPart(id), "/rename");
  call.query.emplace_back("name", std::string(new_name));
  return Do(call, Change()).status();
}

absl::Status HttpDockerClient::StopContainer(absl::string_view id,
                                             absl::optional<int> timeout_seconds) {
  Call call;
  call.method = "POST";
  call.path = absl::StrCat("/containers/", PathPart(id), "/stop");
  absl::Duration grace = absl::Seconds(10);  // the daemon's default grace period
  if (timeout_seconds) {
    call.query.emplace_back("t", std::to_string(*timeout_seconds));
    grace = absl::Seconds(std::max(0, *timeout_seconds));
  }
  return Do(call, Change(grace)).status();  // 304 (already stopped) is success
}

absl::Status HttpDockerClient::KillContainer(absl::string_view id, absl::string_view signal) {
  Call call;
  call.method = "POST";
  call.path = absl::StrCat("/containers/", PathPart(id), "/kill");
  if (!signal.empty()) call.query.emplace_back("signal", std::string(signal));
  return Do(call, Change()).status();
}

absl::Status HttpDockerClient::RemoveContainer(absl::string_view id,
                                               const RemoveContainerOptions& o) {
  Call call;
  call.method = "DELETE";
  call.path = absl::StrCat("/containers/", PathPart(id));
  if (o.volumes) call.query.emplace_back("v", "1");
  if (o.force) call.query.emplace_back("force", "1");
  return Do(call, Change()).status();
}

absl::Status HttpDockerClient::Logs(absl::string_view id, const LogsOptions& o,
                                    const OutputCallback& callback) {
  bool tty;
  if (o.tty) {
    tty = *o.tty;
  } else {
    MAESTRO_ASSIGN_OR_RETURN(ContainerInspect c, InspectContainer(id));
    tty = c.tty;
  }
  Call call;
  call.path = absl::StrCat("/containers/", PathPart(id), "/logs");
  call.query = {{"stdout", o.stdout_ ? "1" : "0"},
                {"stderr", o.stderr_ ? "1" : "0"},
                {"follow", o.follow ? "1" : "0"},
                {"timestamps", o.timestamps ? "1" : "0"},
                {"tail", o.tail.empty() ? "all" : o.tail}};
  if (!o.since.empty()) call.query.emplace_back("since", o.since);
  if (!o.until.empty()) call.query.emplace_back("until", o.until);
  return DoStream(call, tty, o.follow, o.cancel, callback);
}

absl::StatusOr<std::string> HttpDockerClient::CreateExec(absl::string_view container,
                                                         const ExecOptions& o) {
  Call call;
  call.method = "POST";
  call.path = absl::StrCat("/containers/", PathPart(container), "/exec");
  json body = {{"AttachStdin", o.attach_stdin},
               {"AttachStdout", true},
               {"AttachStderr", true},
               {"Tty", o.tty},
               {"Cmd", o.cmd}};
  if (!o.env.empty()) body["Env"] = o.env;
  if (!o.user.empty()) body["User"] = o.user;
  if (!o.working_dir.empty()) body["WorkingDir"] = o.working_dir;
  MAESTRO_ASSIGN_OR_RETURN(call.body, BodyJson(body, absl::StrCat(Describe(), ": exec")));
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call, Change()));
  if (!j.contains("Id") || !j["Id"].is_string()) {
    return Prefix(call, absl::InternalError("no Id in the daemon's answer"));
  }
  return j["Id"].get<std::string>();
}

absl::Status HttpDockerClient::StartExec(absl::string_view exec_id, bool tty,
                                         const OutputCallback& callback,
                                         const std::atomic<bool>* cancel) {
  Call call;
  call.method = "POST";
  call.path = absl::StrCat("/exec/", PathPart(exec_id), "/start");
  call.body = json{{"Detach", false}, {"Tty", tty}}.dump();
  return DoStream(call, tty, /*unbounded=*/true, cancel, callback);
}

namespace {

// The hijacked exec connection: the bytes that came with the answer head first.
class HijackedExecStream : public ExecStream {
 public:
  explicit HijackedExecStream(HijackedConnection hijacked) : h_(std::move(hijacked)) {}
  ~HijackedExecStream() override { h_.connection->Close(); }
  absl::Status Write(absl::string_view data, absl::Time deadline) override {
    return h_.connection->WriteAll(data, deadline);
  }
  absl::StatusOr<size_t> Read(char* buf, size_t len, absl::Time deadline) override {
    if (!h_.buffered.empty()) {
      size_t n = std::min(len, h_.buffered.size());
      std::memcpy(buf, h_.buffered.data(), n);
      h_.buffered.erase(0, n);
      return n;
    }
    return h_.connection->ReadSome(buf, len, deadline);
  }
  absl::Status CloseWrite(absl::Time deadline) override {
    return h_.connection->CloseWrite(deadline);
  }
  void SetCancel(const std::atomic<bool>* cancel) override { h_.connection->SetCancel(cancel); }

 private:
  HijackedConnection h_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ExecStream>> HttpDockerClient::StartExecInteractive(
    absl::string_view exec_id, bool tty) {
  Call call;
  call.method = "POST";
  call.path = absl::StrCat("/exec/", PathPart(exec_id), "/start");
  call.body = json{{"Detach", false}, {"Tty", tty}}.dump();
  MAESTRO_ASSIGN_OR_RETURN(HttpRequest req, Request(call));
  RequestOptions options = Quick();
  options.timeout = std::max(timeout_, absl::Seconds(1));
  options.interrupt = interrupt_.load();
  options.limits.max_error_body = limits_.max_error_body;
  absl::StatusOr<HijackedConnection> h = http_.Hijack(req, options);
  if (!h.ok()) return Prefix(call, h.status());
  if (h->connection == nullptr) {
    absl::Status s(CodeForHttp(h->head.status),
                   absl::StrCat(h->head.status, " ", Shorten(h->head.reason), ": ",
                                DaemonMessage(h->head, limits_.max_message)));
    SetHttpStatus(s, h->head.status);
    return Prefix(call, s);
  }
  return std::unique_ptr<ExecStream>(std::make_unique<HijackedExecStream>(std::move(*h)));
}

absl::Status HttpDockerClient::ResizeExec(absl::string_view exec_id, int rows, int columns) {
  Call call;
  call.method = "POST";
  call.path = absl::StrCat("/exec/", PathPart(exec_id), "/resize");
  call.query = {{"h", std::to_string(rows)}, {"w", std::to_string(columns)}};
  return Do(call, Quick()).status();
}

absl::StatusOr<ExecInspect> HttpDockerClient::InspectExec(absl::string_view exec_id) {
  Call call;
  call.path = absl::StrCat("/exec/", PathPart(exec_id), "/json");
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  return ParseExecInspect(j);
}

absl::StatusOr<ImageInspect> HttpDockerClient::InspectImage(absl::string_view name) {
  Call call;
  call.path = absl::StrCat("/images/", PathPart(name), "/json");
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  return ParseImageInspect(j);
}

absl::StatusOr<std::vector<SwarmNode>> HttpDockerClient::ListNodes() {
  Call call;
  call.path = "/nodes";
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  std::vector<SwarmNode> out;
  if (!j.is_array()) return out;
  for (const json& n : j) out.push_back(ParseSwarmNode(n));
  return out;
}

absl::Status HttpDockerClient::UpdateNode(absl::string_view id, int64_t version, const json& spec) {
  Call call;
  call.method = "POST";
  call.path = absl::StrCat("/nodes/", PathPart(id), "/update");
  call.query = {{"version", std::to_string(version)}};
  MAESTRO_ASSIGN_OR_RETURN(call.body,
                           BodyJson(spec, absl::StrCat(Describe(), ": update node ", id)));
  return Do(call, Change()).status();
}

absl::Status HttpDockerClient::PullImage(absl::string_view image, absl::string_view tag,
                                         absl::string_view registry_auth,
                                         const PullProgressCallback& progress) {
  Call call;
  call.method = "POST";
  call.path = "/images/create";
  call.query = {{"fromImage", std::string(image)},
                {"tag", tag.empty() ? "latest" : std::string(tag)}};
  if (!registry_auth.empty())
    call.headers.emplace_back("X-Registry-Auth", std::string(registry_auth));
  call.what = absl::StrCat("pull ", image, ":", tag.empty() ? "latest" : tag);
  absl::Status stream_error;
  LineSplitter lines(
      [&](absl::string_view line) {
        absl::optional<json> j = ParseJson(line);
        if (!j || !j->is_object()) return true;  // tolerate stray non-JSON lines
        if (j->contains("error")) {
          std::string msg =
              (*j)["error"].is_string() ? (*j)["error"].get<std::string>() : j->dump();
          absl::StatusCode code = absl::StatusCode::kInternal;
          std::string lower = absl::AsciiStrToLower(msg);
          if (absl::StrContains(lower, "unauthorized") ||
              absl::StrContains(lower, "authentication required") ||
              absl::StrContains(lower, "no basic auth credentials")) {
            code = absl::StatusCode::kUnauthenticated;
          } else if (absl::StrContains(lower, "not found") ||
                     absl::StrContains(lower, "manifest unknown")) {
            code = absl::StatusCode::kNotFound;
          }
          stream_error = absl::Status(code, Shorten(msg));
          return false;
        }
        if (progress) progress(ParsePullProgress(*j));
        return true;
      },
      limits_.max_stream_line);
  RequestOptions options;
  options.timeout = timeout_;
  options.patience = limits_.pull_head_patience;
  options.stall = limits_.pull_stall;
  options.stream_body_unbounded = true;  // no overall bound while progress keeps coming
  size_t received = 0;
  options.sink = [&](absl::string_view data) {
    received += data.size();
    if (received > limits_.max_pull_stream) {
      stream_error = absl::ResourceExhaustedError(absl::StrCat("the pull's progress stream passed ",
                                                               limits_.max_pull_stream >> 20,
                                                               " MiB (not a Docker daemon?)"));
      return false;
    }
    if (!lines.Feed(data) && lines.too_long()) {
      stream_error = absl::ResourceExhaustedError(
          absl::StrCat("a pull progress line is longer than ", lines.max_line() >> 10,
                       " KiB (not a Docker daemon?)"));
    }
    return stream_error.ok() && !lines.too_long();
  };
  absl::StatusOr<HttpResponse> r = Do(call, options);
  if (!r.ok()) return r.status();
  if (stream_error.ok()) lines.Finish();
  if (!stream_error.ok()) return Prefix(call, stream_error);
  return absl::OkStatus();
}

absl::Status HttpDockerClient::ImportImage(absl::string_view repo, absl::string_view tag,
                                           absl::string_view tar) {
  Call call;
  call.method = "POST";
  call.path = "/images/create";
  call.query = {{"fromSrc", "-"}, {"repo", std::string(repo)}, {"tag", std::string(tag)}};
  call.body = std::string(tar);
  call.content_type = "application/x-tar";
  call.what = absl::StrCat("import ", repo, ":", tag);
  MAESTRO_ASSIGN_OR_RETURN(HttpResponse r, Do(call, Change()));
  // A 200 whose progress stream carries {"error": ...} is a failed import.
  for (absl::string_view line : absl::StrSplit(r.body, '\n', absl::SkipWhitespace())) {
    absl::optional<json> j = ParseJson(line);
    if (j && j->is_object() && j->contains("error")) {
      const json& e = (*j)["error"];
      return Prefix(call,
                    absl::InternalError(Shorten(e.is_string() ? e.get<std::string>() : e.dump())));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HttpDockerClient::Login(const json& auth_config) {
  Call call;
  call.method = "POST";
  call.path = "/auth";
  call.body = auth_config.dump();
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  if (j.is_object() && j.contains("Status") && j["Status"].is_string()) {
    return j["Status"].get<std::string>();
  }
  return std::string();
}

absl::StatusOr<VersionInfo> HttpDockerClient::Version() {
  Call call;
  call.path = "/version";
  MAESTRO_ASSIGN_OR_RETURN(json j, DoJson(call));
  return ParseVersionInfo(j);
}

absl::StatusOr<DistributionInspect> HttpDockerClient::InspectDistribution(
    absl::string_view image, absl::string_view registry_auth) {
  Call call;
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(image, '/')) parts.push_back(PathPart(part));
  call.path = absl::StrCat("/distribution/", absl::StrJoin(parts, "/"), "/json");
  if (!registry_auth.empty()) {
    call.headers.emplace_back("X-Registry-Auth", std::string(registry_auth));
  }
  call.what = absl::StrCat("GET /distribution/", image, "/json");
  absl::StatusOr<json> j = DoJson(call);
  if (j.ok()) return ParseDistributionInspect(*j);
  // The daemon answers 500 for most registry failures; sort out the two callers act on.
  absl::Status s = j.status();
  std::string lower = absl::AsciiStrToLower(s.message());
  absl::StatusCode code = s.code();
  if (absl::StrContains(lower, "no basic auth credentials") ||
      absl::StrContains(lower, "unauthorized") ||
      absl::StrContains(lower, "authentication required")) {
    code = absl::StatusCode::kUnauthenticated;
  } else if (absl::StrContains(lower, "manifest unknown") ||
             absl::StrContains(lower, "name unknown")) {
    code = absl::StatusCode::kNotFound;
  }
  if (code == s.code()) return s;
  absl::Status out(code, s.message());
  s.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

absl::Status HttpDockerClient::Events(const EventsOptions& o, const EventCallback& callback) {
  Call call;
  call.path = "/events";
  if (!o.since.empty()) call.query.emplace_back("since", o.since);
  if (!o.until.empty()) call.query.emplace_back("until", o.until);
  if (!o.filters.empty()) call.query.emplace_back("filters", FiltersJson(o.filters));
  LineSplitter lines(
      [&](absl::string_view line) {
        absl::optional<json> j = ParseJson(line);
        if (!j || !j->is_object()) return true;
        return callback(ParseEvent(*j));
      },
      limits_.max_stream_line);
  RequestOptions options = Quick();
  options.stream_body_unbounded = true;
  options.cancel = o.cancel;
  options.sink = [&](absl::string_view data) { return lines.Feed(data); };
  absl::StatusOr<HttpResponse> r = Do(call, options);
  if (!r.ok()) {
    if (absl::IsCancelled(r.status()) && o.cancel != nullptr && o.cancel->load()) {
      return absl::OkStatus();
    }
    return r.status();
  }
  if (lines.too_long()) {
    return Prefix(call, absl::ResourceExhaustedError(absl::StrCat("an event line is longer than ",
                                                                  lines.max_line() >> 10, " KiB")));
  }
  lines.Finish();
  return absl::OkStatus();
}

}  // namespace maestro::docker
