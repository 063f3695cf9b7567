// FakeDockerHost: logs, exec, images, pulls, login and events.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
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

namespace {

// The API's since/until: "<unix seconds>[.<nanoseconds>]" (what HttpDockerClient sends);
// InfinitePast/InfiniteFuture for "" or garbage.
absl::Time ParseTimeParam(absl::string_view text, absl::Time fallback) {
  if (text.empty()) return fallback;
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(text, absl::MaxSplits('.', 1));
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(parts.first, &seconds)) return fallback;
  std::string nanos(parts.second.substr(0, 9));
  nanos.resize(9, '0');
  int64_t ns = 0;
  if (!absl::SimpleAtoi(nanos, &ns)) ns = 0;
  return absl::FromUnixSeconds(seconds) + absl::Nanoseconds(ns);
}

// Docker's `timestamps=1` form: every line of `text` prefixed with the entry's time, RFC 3339
// with nine fraction digits.
std::string WithTimestamps(const std::string& text, absl::Time t) {
  const std::string stamp =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", t, absl::UTCTimeZone()), " ");
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, absl::ByString("\n"))) {
    if (line.empty()) continue;
    absl::StrAppend(&out, stamp, line, "\n");
  }
  if (!text.empty() && text.back() != '\n' && !out.empty()) out.pop_back();
  return out;
}

}  // namespace

absl::Status FakeDockerHost::Logs(absl::string_view id, const docker::LogsOptions& options,
                                  const docker::OutputCallback& callback) {
  std::string what = absl::StrCat("GET /containers/", id, "/logs");
  MAESTRO_RETURN_IF_ERROR(Enter("Logs", id, what));
  std::unique_lock<std::mutex> lock(mu_);
  const Container* c = FindLocked(id);
  if (c == nullptr) {
    return Error(404, absl::StatusCode::kNotFound, what, absl::StrCat("No such container: ", id));
  }
  const std::string cid = c->id;
  const std::string name = c->name;
  const int drops = log_drops_;
  const absl::Time since = ParseTimeParam(options.since, absl::InfinitePast());
  const absl::Time until = ParseTimeParam(options.until, absl::InfiniteFuture());
  // A TTY container has one raw stream: everything is stdout.
  const bool tty = c->create_body.is_object() && c->create_body.value("Tty", false);
  // This container's entries (not those of an earlier container with the name) in the window.
  auto visible = [&](const LogEntry& e) {
    return (e.container_id.empty() || e.container_id == cid) && e.time >= since && e.time <= until;
  };
  size_t next = 0;
  size_t tail = 0;
  if (options.tail != "all" && absl::SimpleAtoi(options.tail, &tail)) {
    const std::vector<LogEntry>& all = logs_[name];
    next = all.size();
    for (size_t kept = 0; next > 0 && kept < tail; --next) {
      if (visible(all[next - 1])) ++kept;
    }
  }
  for (;;) {
    std::vector<LogEntry> out;
    const std::vector<LogEntry>& all = logs_[name];
    for (; next < all.size(); ++next) {
      if (visible(all[next])) out.push_back(all[next]);
    }
    lock.unlock();
    for (const LogEntry& e : out) {
      docker::StdStream stream = tty ? docker::StdStream::kStdout : e.stream;
      bool wanted =
          tty || (e.stream == docker::StdStream::kStderr ? options.stderr_ : options.stdout_);
      if (!wanted) continue;
      if (!callback(stream, options.timestamps ? WithTimestamps(e.text, e.time) : e.text)) {
        return absl::OkStatus();
      }
    }
    if (!options.follow) return absl::OkStatus();
    lock.lock();
    // Follow: until the container stops (or goes), `until` passes, the caller cancels, the
    // connection "drops" or the host shuts down.
    for (;;) {
      if (log_drops_ != drops) {
        return StreamError(absl::StatusCode::kUnavailable, what, "connection reset by peer");
      }
      const Container* now = FindLocked(cid);
      if (next < logs_[name].size()) break;
      if (now == nullptr || now->state != FakeContainerState::kRunning || shutting_down_ ||
          clock_->Now() > until || (options.cancel != nullptr && options.cancel->load())) {
        return absl::OkStatus();
      }
      cv_.wait_for(lock, std::chrono::milliseconds(10));
    }
  }
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
  e.tty = options.tty;
  e.user = options.user;
  e.attach_stdin = options.attach_stdin;
  std::string id = e.id;
  execs_[id] = std::move(e);
  exec_order_.push_back(id);
  return id;
}

absl::Status FakeDockerHost::StartExec(absl::string_view exec_id, bool tty,
                                       const docker::OutputCallback& callback,
                                       const std::atomic<bool>* /*cancel*/) {
  std::string what = absl::StrCat("POST /exec/", exec_id, "/start");
  MAESTRO_RETURN_IF_ERROR(Enter("StartExec", exec_id, what));
  std::string output, error_output;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = execs_.find(std::string(exec_id));
    if (it == execs_.end()) {
      return Error(404, absl::StatusCode::kNotFound, what,
                   absl::StrCat("No such exec instance: ", exec_id));
    }
    EndExecLocked(it->second, &output, &error_output);
  }
  // A TTY exec has one raw stream.
  if (!output.empty() && !callback(docker::StdStream::kStdout, output)) return absl::OkStatus();
  if (!error_output.empty()) {
    callback(tty ? docker::StdStream::kStdout : docker::StdStream::kStderr, error_output);
  }
  return absl::OkStatus();
}

void FakeDockerHost::EndExecLocked(Exec& e, std::string* output, std::string* error_output) {
  auto c = containers_.find(e.container_id);
  std::string name = c == containers_.end() ? "" : c->second.name;
  std::string cmdline = absl::StrJoin(e.cmd, " ");
  int code = 0;
  for (auto s = exec_scripts_.rbegin(); s != exec_scripts_.rend(); ++s) {
    if ((s->container.empty() || s->container == name) &&
        absl::StrContains(cmdline, s->substring)) {
      code = s->exit_code;
      *output = s->output;
      *error_output = s->error_output;
      break;
    }
  }
  e.running = false;
  e.exit_code = code;
}

// Writes go to the exec's recorded stdin; CloseWrite ends the process (EndExecLocked) and makes
// its output readable, framed as the daemon frames a non-TTY exec.
class FakeDockerHost::ExecStreamImpl : public docker::ExecStream {
 public:
  ExecStreamImpl(FakeDockerHost* host, std::string id, bool tty)
      : host_(host), id_(std::move(id)), tty_(tty) {}

  absl::Status Write(absl::string_view data, absl::Time /*deadline*/) override {
    std::lock_guard<std::mutex> lock(host_->mu_);
    auto it = host_->execs_.find(id_);
    if (it == host_->execs_.end() || it->second.stdin_closed) {
      return absl::FailedPreconditionError("exec stdin is closed");
    }
    it->second.stdin_data.append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> Read(char* buf, size_t len, absl::Time /*deadline*/) override {
    if (!ended_) {
      // A process that never sees the end of its input never ends: the caller must close.
      return absl::DeadlineExceededError("fake exec still reading its stdin");
    }
    size_t n = std::min(len, output_.size() - read_);
    std::copy(output_.begin() + static_cast<long>(read_),
              output_.begin() + static_cast<long>(read_ + n), buf);
    read_ += n;
    return n;
  }
  // Nothing here blocks: the flag has nothing to end.
  void SetCancel(const std::atomic<bool>* /*cancel*/) override {}
  absl::Status CloseWrite(absl::Time /*deadline*/) override {
    std::string out, err;
    {
      std::lock_guard<std::mutex> lock(host_->mu_);
      auto it = host_->execs_.find(id_);
      if (it == host_->execs_.end()) return absl::NotFoundError("no such exec");
      it->second.stdin_closed = true;
      host_->EndExecLocked(it->second, &out, &err);
    }
    Append(docker::StdStream::kStdout, out);
    Append(tty_ ? docker::StdStream::kStdout : docker::StdStream::kStderr, err);
    ended_ = true;
    return absl::OkStatus();
  }

 private:
  void Append(docker::StdStream stream, const std::string& data) {
    if (data.empty()) return;
    if (!tty_) {
      const uint32_t n = static_cast<uint32_t>(data.size());
      char header[8] = {static_cast<char>(stream == docker::StdStream::kStderr ? 2 : 1),
                        0,
                        0,
                        0,
                        static_cast<char>(n >> 24),
                        static_cast<char>(n >> 16),
                        static_cast<char>(n >> 8),
                        static_cast<char>(n)};
      output_.append(header, sizeof(header));
    }
    output_ += data;
  }

  FakeDockerHost* host_;
  std::string id_;
  bool tty_;
  bool ended_ = false;
  std::string output_;
  size_t read_ = 0;
};

absl::StatusOr<std::unique_ptr<docker::ExecStream>> FakeDockerHost::StartExecInteractive(
    absl::string_view exec_id, bool tty) {
  std::string what = absl::StrCat("POST /exec/", exec_id, "/start");
  MAESTRO_RETURN_IF_ERROR(Enter("StartExecInteractive", exec_id, what));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = execs_.find(std::string(exec_id));
  if (it == execs_.end()) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("No such exec instance: ", exec_id));
  }
  it->second.running = true;
  return std::unique_ptr<docker::ExecStream>(
      std::make_unique<ExecStreamImpl>(this, std::string(exec_id), tty));
}

std::vector<FakeExec> FakeDockerHost::execs() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FakeExec> out;
  for (const std::string& id : exec_order_) {
    auto it = execs_.find(id);
    if (it == execs_.end()) continue;
    const Exec& e = it->second;
    auto c = containers_.find(e.container_id);
    out.push_back(FakeExec{e.id, c == containers_.end() ? "" : c->second.name, e.cmd, e.user,
                           e.attach_stdin, e.stdin_data, e.stdin_closed, e.exit_code});
  }
  return out;
}

absl::StatusOr<docker::ExecInspect> FakeDockerHost::InspectExec(absl::string_view exec_id) {
  absl::StatusOr<json> j = InspectExecJson(exec_id);
  if (!j.ok()) return j.status();
  return docker::ParseExecInspect(*j);
}

absl::StatusOr<json> FakeDockerHost::InspectExecJson(absl::string_view exec_id) {
  std::string what = absl::StrCat("GET /exec/", exec_id, "/json");
  MAESTRO_RETURN_IF_ERROR(Enter("InspectExec", exec_id, what));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = execs_.find(std::string(exec_id));
  if (it == execs_.end()) {
    return Error(404, absl::StatusCode::kNotFound, what,
                 absl::StrCat("No such exec instance: ", exec_id));
  }
  const Exec& e = it->second;
  return json{{"ID", e.id},
              {"Running", e.running},
              {"ExitCode", e.exit_code ? json(*e.exit_code) : json(nullptr)},
              {"ContainerID", e.container_id},
              {"ProcessConfig", {{"tty", e.tty}}}};
}

absl::StatusOr<docker::ImageInspect> FakeDockerHost::InspectImage(absl::string_view name) {
  absl::StatusOr<json> j = InspectImageJson(name);
  if (!j.ok()) return j.status();
  return docker::ParseImageInspect(*j);
}

absl::StatusOr<json> FakeDockerHost::InspectImageJson(absl::string_view name) {
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
  json digests = json::array();
  for (const auto& [ref, image] : images_) {
    if (image.id != *id || image.digest.empty()) continue;
    std::string repo = ref.substr(0, ref.rfind(':'));
    std::string digest = absl::StrCat(repo, "@", image.digest);
    if (std::find(digests.begin(), digests.end(), digest) == digests.end()) {
      digests.push_back(digest);
    }
  }
  return json{{"Id", *id},
              {"RepoTags", tags},
              {"RepoDigests", digests},
              {"Created", FormatTime(created)},
              {"Config", config}};
}

namespace {

// The registry host of an image reference ("127.0.0.1:5000/x/y" -> "127.0.0.1:5000"; "" for
// Docker Hub names).
std::string RegistryHostOf(absl::string_view image) {
  size_t slash = image.find('/');
  if (slash == absl::string_view::npos) return "";
  absl::string_view first = image.substr(0, slash);
  if (!absl::StrContains(first, ".") && !absl::StrContains(first, ":") && first != "localhost") {
    return "";
  }
  return std::string(first);
}

// The host part of a login's serveraddress ("https://h:5000/v1/" -> "h:5000").
std::string ServerHost(absl::string_view server) {
  size_t sep = server.find("://");
  if (sep != absl::string_view::npos) server = server.substr(sep + 3);
  return std::string(server.substr(0, server.find('/')));
}

}  // namespace

absl::Status FakeDockerHost::PullImage(absl::string_view image, absl::string_view tag,
                                       absl::string_view registry_auth,
                                       const docker::PullProgressCallback& progress) {
  const std::string tag_or_latest = tag.empty() ? "latest" : std::string(tag);
  std::string ref = absl::StrCat(image, ":", tag_or_latest);
  // As HttpDockerClient names the call.
  std::string what = absl::StrCat("pull ", ref);
  MAESTRO_RETURN_IF_ERROR(Enter("PullImage", ref, what));
  bool fresh = false;
  std::string id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string registry = RegistryHostOf(image);
    if (!RegistryAuthOkLocked(image, registry_auth)) {
      // Reported inside the 200 progress stream, as the daemon does.
      return StreamError(
          absl::StatusCode::kUnauthenticated, what,
          absl::StrCat("Head \"http://", registry, "/v2/", image.substr(registry.size() + 1),
                       "/manifests/", tag_or_latest, "\": no basic auth credentials"));
    }
    auto err = pull_errors_.find(ref);
    if (err != pull_errors_.end()) {
      const absl::Status& e = err->second;
      if (docker::HttpStatusOf(e)) return e;  // an ApiError: the daemon's HTTP answer
      return StreamError(e.code(), what, e.message());
    }
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
      images_[ref] = Image{p->second, config, clock_->Now(), ""};
      images_[ref].digest = RegistryDigestLocked(ref);
    } else if (images_.find(ref) == images_.end()) {
      return Error(404, absl::StatusCode::kNotFound, what,
                   absl::StrCat("pull access denied for ", image,
                                ", repository does not exist or may require 'docker login': "
                                "denied: requested access to the resource is denied"));
    }
    id = images_[ref].id;
  }
  if (progress) {
    progress(docker::ParsePullProgress(
        {{"status", absl::StrCat("Pulling from ", image)}, {"id", tag_or_latest}}));
    if (fresh) {
      for (int i = 1; i <= 3; ++i) {
        progress(docker::ParsePullProgress(
            {{"status", "Downloading"},
             {"id", "a1b2c3d4e5f6"},
             {"progressDetail", {{"current", i * 100}, {"total", 300}}},
             {"progress", absl::StrCat("[", std::string(i * 10, '='), ">]")}}));
      }
      progress(
          docker::ParsePullProgress({{"status", "Download complete"}, {"id", "a1b2c3d4e5f6"}}));
    }
    progress(docker::ParsePullProgress({{"status", absl::StrCat("Digest: ", id)}}));
    progress(docker::ParsePullProgress(
        {{"status", fresh ? absl::StrCat("Status: Downloaded newer image for ", ref)
                          : absl::StrCat("Status: Image is up to date for ", ref)}}));
  }
  return absl::OkStatus();
}

bool FakeDockerHost::RegistryAuthOkLocked(absl::string_view image,
                                          absl::string_view registry_auth) const {
  std::string registry = RegistryHostOf(image);
  auto needs = registry_auth_.find(registry);
  if (registry.empty() || needs == registry_auth_.end()) return true;
  std::string decoded;
  json auth;
  if (absl::WebSafeBase64Unescape(registry_auth, &decoded)) {
    auth = json::parse(decoded, nullptr, false);
  }
  return auth.is_object() && auth.value("username", "") == needs->second.first &&
         auth.value("password", "") == needs->second.second;
}

std::string FakeDockerHost::RegistryDigestLocked(const std::string& ref) const {
  if (not_in_registry_.count(ref)) return "";
  auto r = registry_.find(ref);
  if (r != registry_.end()) return r->second.digest;
  std::string id;
  if (auto p = pullable_.find(ref); p != pullable_.end()) {
    id = p->second;
  } else if (auto i = images_.find(ref); i != images_.end()) {
    id = i->second.id;
  } else {
    return "";
  }
  return absl::StrCat("sha256:", Hex64(absl::StrCat(ref, "@registry:", id)));
}

absl::StatusOr<docker::VersionInfo> FakeDockerHost::Version() {
  MAESTRO_RETURN_IF_ERROR(Enter("Version", "", "GET /version"));
  std::lock_guard<std::mutex> lock(mu_);
  docker::VersionInfo v;
  v.version = "20.10.24";
  v.api_version = api_version_;
  v.min_api_version = "1.12";
  v.os = os_;
  v.arch = arch_;
  return v;
}

absl::StatusOr<docker::DistributionInspect> FakeDockerHost::InspectDistribution(
    absl::string_view image, absl::string_view registry_auth) {
  std::string ref = NormalizeRef(image);
  std::string what = absl::StrCat("GET /distribution/", image, "/json");
  MAESTRO_RETURN_IF_ERROR(Enter("InspectDistribution", ref, what));
  std::lock_guard<std::mutex> lock(mu_);
  if (docker::CompareApiVersions(api_version_, DockerClient::kMinDistributionApi) < 0) {
    return Error(404, absl::StatusCode::kUnimplemented, what, "page not found");
  }
  std::string repo = ref.substr(0, ref.rfind(':'));
  std::string registry = RegistryHostOf(repo);
  if (!RegistryAuthOkLocked(repo, registry_auth)) {
    // The daemon's answer when the registry wants credentials it was not given.
    return Error(registry_auth.empty() ? 500 : 401, absl::StatusCode::kUnauthenticated, what,
                 registry_auth.empty()
                     ? absl::StrCat("Head \"http://", registry, "/v2/",
                                    repo.substr(registry.size() + 1), "/manifests/",
                                    ref.substr(ref.rfind(':') + 1), "\": no basic auth credentials")
                     : std::string("unauthorized: authentication required"));
  }
  std::string digest = RegistryDigestLocked(ref);
  if (digest.empty()) {
    return Error(404, absl::StatusCode::kNotFound, what, "manifest unknown: manifest unknown");
  }
  docker::DistributionInspect d;
  d.media_type = "application/vnd.docker.distribution.manifest.v2+json";
  d.digest = digest;
  d.size = 528;
  auto r = registry_.find(ref);
  if (r != registry_.end()) d.platforms = r->second.platforms;
  if (d.platforms.empty()) d.platforms.push_back({os_, arch_, ""});
  return d;
}

absl::Status FakeDockerHost::ImportImage(absl::string_view repo, absl::string_view tag,
                                         absl::string_view tar) {
  std::string ref = NormalizeRef(absl::StrCat(repo, ":", tag.empty() ? "latest" : tag));
  std::string what = absl::StrCat("POST /images/create?fromSrc=-&repo=", repo, "&tag=", tag);
  MAESTRO_RETURN_IF_ERROR(Enter("ImportImage", ref, what));
  if (tar.empty()) return Error(500, absl::StatusCode::kInternal, what, "unexpected EOF");
  std::lock_guard<std::mutex> lock(mu_);
  images_[ref] = Image{DerivedImageId(absl::StrCat(ref, "@import:", tar.size())), json::object(),
                       clock_->Now(), ""};
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeDockerHost::Login(const json& auth_config) {
  std::string server =
      auth_config.is_object() ? auth_config.value("serveraddress", std::string()) : "";
  MAESTRO_RETURN_IF_ERROR(Enter("Login", server, "POST /auth"));
  std::string host = ServerHost(server);
  std::lock_guard<std::mutex> lock(mu_);
  auto needs = registry_auth_.find(host);
  if (needs != registry_auth_.end() &&
      (auth_config.value("username", "") != needs->second.first ||
       auth_config.value("password", "") != needs->second.second)) {
    return Error(401, absl::StatusCode::kUnauthenticated, "POST /auth",
                 absl::StrCat("login attempt to http://", host,
                              "/v2/ failed with status: 401 Unauthorized"));
  }
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
