#include "maestro/audit/auditors.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <mutex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "maestro/lifecycle/http_fetch.h"
#include "maestro/lifecycle/subprocess.h"

namespace maestro::audit {
namespace {

using nlohmann::json;

absl::Status Bad(absl::string_view why) { return absl::InvalidArgumentError(why); }

std::string OptString(const json& o, const char* key, const std::string& dflt = "") {
  if (!o.is_object() || !o.contains(key) || o[key].is_null()) return dflt;
  return o[key].is_string() ? o[key].get<std::string>() : o[key].dump();
}

absl::StatusOr<absl::Duration> OptSeconds(const json& o, const char* key, absl::Duration dflt) {
  if (!o.contains(key) || o[key].is_null()) return dflt;
  if (!o[key].is_number() || o[key].get<double>() <= 0) {
    return Bad(absl::StrCat("`", key, "` must be a positive number of seconds"));
  }
  return absl::Seconds(o[key].get<double>());
}

// ---------------------------------------------------------------------------------------- log

class LogAuditor : public Auditor {
 public:
  LogAuditor(std::string path, int fd, AuditorEnv env)
      : path_(std::move(path)), fd_(fd), env_(std::move(env)) {}
  ~LogAuditor() override { ::close(fd_); }

  std::string Describe() const override { return absl::StrCat("log ", path_); }
  absl::Status Action(AuditLevel level, const AuditWhat& what, absl::string_view action) override {
    return Write(AuditLevelName(level), ActionText(env_.who, what, action, false));
  }
  absl::Status Success(AuditLevel level, const AuditWhat& what, absl::string_view action) override {
    return Write(AuditLevelName(level), SuccessText(what, action, false));
  }
  absl::Status Error(const AuditWhat& what, absl::string_view action,
                     absl::string_view message) override {
    return Write("ERROR", ErrorText(what, action, message, false));
  }

 private:
  absl::Status Write(absl::string_view level, absl::string_view message) {
    absl::Time now = env_.clock != nullptr ? env_.clock->Now() : absl::Now();
    std::string line =
        absl::StrCat(PyAscTime(now, env_.time_zone), " ", level, ": ", message, "\n");
    std::lock_guard<std::mutex> lock(mu_);
    size_t off = 0;
    while (off < line.size()) {
      ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return absl::UnavailableError(
            absl::StrCat("audit log ", path_, ": write failed: ", strerror(errno)));
      }
      off += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }

  std::string path_;
  int fd_;
  AuditorEnv env_;
  std::mutex mu_;
};

// ------------------------------------------------------------------------------------ webhook

class WebhookAuditor : public Auditor {
 public:
  WebhookAuditor(lifecycle::HttpFetchRequest base, json payload, std::set<std::string> events,
                 AuditorEnv env)
      : base_(std::move(base)),
        payload_(std::move(payload)),
        events_(std::move(events)),
        env_(std::move(env)) {}

  std::string Describe() const override { return absl::StrCat("http ", base_.url); }
  absl::Status Action(AuditLevel, const AuditWhat& what, absl::string_view action) override {
    if (events_.count("action") == 0) return absl::OkStatus();
    return Send(what, action, ActionText(env_.who, what, action));
  }
  absl::Status Success(AuditLevel, const AuditWhat& what, absl::string_view action) override {
    if (events_.count("success") == 0) return absl::OkStatus();
    return Send(what, action, SuccessText(what, action));
  }
  absl::Status Error(const AuditWhat& what, absl::string_view action,
                     absl::string_view message) override {
    if (events_.count("error") == 0) return absl::OkStatus();
    return Send(what, action, ErrorText(what, action, message));
  }

 private:
  absl::Status Send(const AuditWhat& what, absl::string_view action, const std::string& text) {
    std::map<std::string, std::string> vars = {{"what", what.Names()},
                                               {"action", std::string(action)},
                                               {"who", env_.who},
                                               {"message", text}};
    absl::StatusOr<json> body = FormatPayload(payload_, vars);
    if (!body.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("webhook ", base_.url, ": payload: ", body.status().message()));
    }
    lifecycle::HttpFetchRequest req = base_;
    req.body = body->dump();
    absl::StatusOr<lifecycle::HttpFetchResponse> r = lifecycle::HttpFetch(req);
    if (!r.ok())
      return absl::Status(r.status().code(), absl::StrCat("webhook: ", r.status().message()));
    if (r->status < 200 || r->status >= 300) {
      std::string snippet = r->body.substr(0, 200);
      return absl::UnavailableError(absl::StrCat("webhook ", req.method, " ", req.url, ": HTTP ",
                                                 r->status, " ", r->reason,
                                                 snippet.empty() ? "" : ": ", snippet));
    }
    return absl::OkStatus();
  }

  lifecycle::HttpFetchRequest base_;
  json payload_;
  std::set<std::string> events_;
  AuditorEnv env_;
};

// --------------------------------------------------------------------------------------- exec

class ExecAuditor : public Auditor {
 public:
  ExecAuditor(std::string script, std::string args, absl::Duration timeout, AuditorEnv env)
      : script_(std::move(script)),
        args_(std::move(args)),
        timeout_(timeout),
        env_(std::move(env)) {}

  std::string Describe() const override { return absl::StrCat("exec ", script_); }
  absl::Status Action(AuditLevel, const AuditWhat&, absl::string_view) override {
    return absl::OkStatus();
  }
  absl::Status Error(const AuditWhat&, absl::string_view, absl::string_view) override {
    return absl::OkStatus();
  }
  absl::Status Success(AuditLevel, const AuditWhat& what, absl::string_view action) override {
    if (!what.is_list) return absl::OkStatus();  // plays only, as MaestroNG
    lifecycle::SubprocessOptions o;
    o.argv = {script_};
    if (!args_.empty()) {
      absl::StatusOr<std::string> args = PyFormatNamed(
          args_, {{"action", std::string(action)}, {"what", what.Names(",")}, {"who", env_.who}});
      if (!args.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("audit script ", script_, ": args: ", args.status().message()));
      }
      for (absl::string_view a :
           absl::StrSplit(*args, absl::ByAnyChar(" \t\n"), absl::SkipEmpty())) {
        o.argv.emplace_back(a);
      }
    }
    json input = json::object();
    for (const AuditTarget& t : what.targets) {
      input[t.name] = {{"ship", t.ship_ip}, {"service", t.service}};
    }
    o.stdin_data = input.dump();
    o.timeout = timeout_;
    o.tail_lines = 3;
    absl::StatusOr<lifecycle::SubprocessResult> r = lifecycle::RunSubprocess(o);
    if (!r.ok())
      return absl::Status(r.status().code(), absl::StrCat("audit script: ", r.status().message()));
    if (!r->ok()) {
      return absl::InternalError(absl::StrCat("audit script ", script_, " ", r->Describe(),
                                              r->tail.empty() ? "" : ": ", r->tail));
    }
    return absl::OkStatus();
  }

 private:
  std::string script_;
  std::string args_;
  absl::Duration timeout_;
  AuditorEnv env_;
};

// --------------------------------------------------------------------------------------- fail

class FailAuditor : public Auditor {
 public:
  std::string Describe() const override { return "_fail"; }
  absl::Status Action(AuditLevel, const AuditWhat&, absl::string_view) override {
    return absl::InternalError("_fail auditor: action");
  }
  absl::Status Success(AuditLevel, const AuditWhat&, absl::string_view) override {
    return absl::InternalError("_fail auditor: success");
  }
  absl::Status Error(const AuditWhat&, absl::string_view, absl::string_view) override {
    return absl::InternalError("_fail auditor: error");
  }
};

bool Empty(const json& v) {
  return v.is_null() || (v.is_string() && v.get<std::string>().empty()) ||
         (v.is_object() && v.empty()) || (v.is_array() && v.empty());
}

}  // namespace

std::string PyAscTime(absl::Time t, absl::TimeZone tz) {
  int64_t ms = absl::ToUnixMillis(t) % 1000;
  if (ms < 0) ms += 1000;
  return absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M:%S", t, tz), ",",
                      absl::StrFormat("%03d", ms));
}

absl::StatusOr<json> FormatPayload(const json& payload,
                                   const std::map<std::string, std::string>& vars) {
  if (payload.is_string()) {
    absl::StatusOr<std::string> s = PyFormatNamed(payload.get<std::string>(), vars);
    if (!s.ok()) return s.status();
    return s->empty() ? json(nullptr) : json(*s);
  }
  if (payload.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : payload.items()) {
      absl::StatusOr<json> f = FormatPayload(v, vars);
      if (!f.ok()) return f.status();
      if (!Empty(*f)) out[k] = *f;
    }
    return out.empty() ? json(nullptr) : out;
  }
  if (payload.is_array()) {
    json out = json::array();
    for (const json& v : payload) {
      absl::StatusOr<json> f = FormatPayload(v, vars);
      if (!f.ok()) return f.status();
      if (!Empty(*f)) out.push_back(*f);
    }
    return out.empty() ? json(nullptr) : out;
  }
  return payload;  // numbers, booleans, null: kept as they are
}

absl::StatusOr<std::unique_ptr<Auditor>> MakeLogAuditor(const json& options,
                                                        const AuditorEnv& env) {
  std::string file = OptString(options, "file");
  if (file.empty()) return Bad("Missing audit log filename!");
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Bad(absl::StrCat("cannot open audit log ", file, ": ", strerror(errno)));
  }
  return std::unique_ptr<Auditor>(new LogAuditor(file, fd, env));
}

absl::StatusOr<std::unique_ptr<Auditor>> MakeWebhookAuditor(const json& options,
                                                            const AuditorEnv& env) {
  std::string endpoint = OptString(options, "endpoint");
  if (endpoint.empty()) return Bad("Missing webhook endpoint!");
  absl::StatusOr<lifecycle::Url> url = lifecycle::ParseUrl(endpoint);
  if (!url.ok()) return Bad(absl::StrCat("webhook endpoint: ", url.status().message()));
  lifecycle::HttpFetchRequest req;
  req.url = endpoint;
  req.method = absl::AsciiStrToUpper(OptString(options, "method", "POST"));
  if (req.method != "GET" && req.method != "POST") {
    return Bad(absl::StrCat("Invalid HTTP method ", OptString(options, "method"), "!"));
  }
  absl::StatusOr<absl::Duration> timeout = OptSeconds(options, "timeout", absl::Seconds(3));
  if (!timeout.ok()) return timeout.status();
  req.timeout = req.connect_timeout = *timeout;
  req.max_body = 64 * 1024;
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json; charset=utf-8"}};
  if (options.contains("headers") && !options["headers"].is_null()) {
    if (!options["headers"].is_object()) return Bad("webhook `headers` must be a map");
    for (const auto& [k, v] : options["headers"].items()) {
      std::string value = v.is_string() ? v.get<std::string>() : v.dump();
      auto it = std::find_if(headers.begin(), headers.end(),
                             [&](const auto& h) { return absl::EqualsIgnoreCase(h.first, k); });
      if (it != headers.end()) {
        it->second = value;
      } else {
        headers.emplace_back(k, value);
      }
    }
  }
  req.headers = std::move(headers);
  if (options.contains("verify")) {
    const json& v = options["verify"];
    if (v.is_boolean()) {
      req.verify_tls = v.get<bool>();
    } else if (v.is_string()) {
      req.ca_file = v.get<std::string>();
    } else {
      return Bad("webhook `verify` must be true, false or a CA bundle path");
    }
  }
  json payload = options.contains("payload") ? options["payload"] : json::object();
  // Check the template once now, so a typo is a load error rather than a failed play.
  absl::StatusOr<json> probe =
      FormatPayload(payload, {{"what", "w"}, {"action", "a"}, {"who", "u"}, {"message", "m"}});
  if (!probe.ok()) return Bad(absl::StrCat("webhook payload: ", probe.status().message()));
  std::set<std::string> events = {"action"};
  if (options.contains("events")) {
    const json& e = options["events"];
    if (!e.is_array()) return Bad("webhook `events` must be a list of action, success, error");
    events.clear();
    for (const json& x : e) {
      std::string name = x.is_string() ? x.get<std::string>() : x.dump();
      if (name != "action" && name != "success" && name != "error") {
        return Bad(absl::StrCat("webhook `events`: unknown event '", name,
                                "' (expected action, success, error)"));
      }
      events.insert(name);
    }
  }
  return std::unique_ptr<Auditor>(
      new WebhookAuditor(std::move(req), std::move(payload), std::move(events), env));
}

absl::StatusOr<std::unique_ptr<Auditor>> MakeExecAuditor(const json& options,
                                                         const AuditorEnv& env) {
  std::string script = OptString(options, "script");
  if (script.empty()) return Bad("Missing script to execute!");
  std::string args = OptString(options, "args");
  if (!args.empty()) {
    absl::StatusOr<std::string> probe =
        PyFormatNamed(args, {{"action", "a"}, {"what", "w"}, {"who", "u"}});
    if (!probe.ok()) return Bad(absl::StrCat("exec auditor args: ", probe.status().message()));
  }
  absl::StatusOr<absl::Duration> timeout = OptSeconds(options, "timeout", absl::Seconds(60));
  if (!timeout.ok()) return timeout.status();
  return std::unique_ptr<Auditor>(new ExecAuditor(script, args, *timeout, env));
}

std::unique_ptr<Auditor> MakeFailAuditor() { return std::make_unique<FailAuditor>(); }

}  // namespace maestro::audit
