#include "maestro/lifecycle/checks.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/base/status_macros.h"
#include "maestro/lifecycle/check_rules.h"
#include "maestro/lifecycle/http_fetch.h"
#include "maestro/lifecycle/python_regex.h"
#include "maestro/lifecycle/subprocess.h"
#include "maestro/transport/socket_transport.h"

namespace maestro::lifecycle {
namespace {

using nlohmann::json;

constexpr absl::Duration kRetryPause = absl::Seconds(1);
constexpr absl::Duration kDefaultHttpTimeout = absl::Seconds(5);

bool IsSet(const std::atomic<bool>* flag) { return flag != nullptr && flag->load(); }

// Sleeps `d` on `clock` in slices of at most 100 ms so that either flag interrupts it.
// Returns false when interrupted.
bool Pause(Clock* clock, absl::Duration d, const std::atomic<bool>* a,
           const std::atomic<bool>* b = nullptr) {
  while (d > absl::ZeroDuration()) {
    if (IsSet(a) || IsSet(b)) return false;
    absl::Duration step = std::min(d, absl::Milliseconds(100));
    if (!clock->SleepFor(step, a)) return false;
    d -= step;
  }
  return !IsSet(a) && !IsSet(b);
}

// One attempt's stop flag for calls that take a single cancel flag: it is set when `outer`
// is set or when `timeout` of real time has passed, whichever comes first (a watcher thread,
// joined by the destructor, notices `outer` within 50 ms).
class AttemptStop {
 public:
  AttemptStop(const std::atomic<bool>* outer, absl::Duration timeout)
      : deadline_(absl::Now() + timeout) {
    thread_ = std::thread([this, outer] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!done_) {
        if (IsSet(outer)) break;
        const absl::Duration left = deadline_ - absl::Now();
        if (left <= absl::ZeroDuration()) {
          timed_out_ = true;
          break;
        }
        cv_.wait_for(lock, absl::ToChronoNanoseconds(std::min(left, absl::Milliseconds(50))));
      }
      flag_ = true;
    });
  }
  AttemptStop(const AttemptStop&) = delete;
  AttemptStop& operator=(const AttemptStop&) = delete;
  ~AttemptStop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  const std::atomic<bool>* flag() const { return &flag_; }
  bool timed_out() {
    std::lock_guard<std::mutex> lock(mu_);
    return timed_out_;
  }

 private:
  const absl::Time deadline_;
  std::atomic<bool> flag_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;       // guarded by mu_
  bool timed_out_ = false;  // guarded by mu_
  std::thread thread_;
};

std::string TimedOut(double seconds) {
  return absl::StrCat("timed out after ", absl::FormatDuration(absl::Seconds(seconds)));
}

std::string Stringify(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string TailLines(const std::string& text, size_t n) {
  size_t pos = text.size();
  while (n-- > 0 && pos > 0) {
    size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
  }
  return pos == 0 ? text : text.substr(pos + 1);
}

std::string HttpUrl(const model::Check& c) {
  std::string host =
      c.host.find(':') != std::string::npos ? absl::StrCat("[", c.host, "]") : c.host;
  return absl::StrCat(c.scheme, "://", host, ":", c.port, c.path);
}

std::string UrlEncode(absl::string_view s) {
  std::string out;
  for (unsigned char ch : s) {
    if (absl::ascii_isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      absl::StrAppend(&out, "%",
                      absl::AsciiStrToUpper(absl::BytesToHexString(
                          absl::string_view(reinterpret_cast<char*>(&ch), 1))));
    }
  }
  return out;
}

absl::Duration Seconds(const json& v) { return absl::Seconds(v.get<double>()); }

// Builds the request of an http check from its options (validated by ValidateCheck).
HttpFetchRequest BuildHttpRequest(const model::Check& c) {
  HttpFetchRequest req;
  req.method = absl::AsciiStrToUpper(c.method);
  req.url = HttpUrl(c);
  req.timeout = kDefaultHttpTimeout;
  req.connect_timeout = kDefaultHttpTimeout;
  req.max_redirects = 30;  // requests' default
  const json& o = c.requests_options;
  if (!o.is_object()) return req;
  if (o.contains("timeout") && !o["timeout"].is_null()) {
    const json& t = o["timeout"];
    if (t.is_number()) {
      req.timeout = req.connect_timeout = Seconds(t);
    } else if (t.is_array() && t.size() == 2) {
      req.connect_timeout = Seconds(t[0]);
      req.timeout = Seconds(t[0]) + Seconds(t[1]);
    }
  }
  if (o.contains("verify")) {
    if (o["verify"].is_boolean()) req.verify_tls = o["verify"].get<bool>();
    if (o["verify"].is_string()) req.ca_file = o["verify"].get<std::string>();
  }
  if (o.contains("cert")) {
    if (o["cert"].is_string()) {
      req.client_cert = req.client_key = o["cert"].get<std::string>();
    } else if (o["cert"].is_array() && o["cert"].size() == 2) {
      req.client_cert = Stringify(o["cert"][0]);
      req.client_key = Stringify(o["cert"][1]);
    }
  }
  if (o.contains("allow_redirects") && o["allow_redirects"].is_boolean() &&
      !o["allow_redirects"].get<bool>()) {
    req.max_redirects = 0;
  }
  if (o.contains("auth") && o["auth"].is_array() && o["auth"].size() == 2) {
    req.headers.emplace_back(
        "Authorization",
        absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(Stringify(o["auth"][0]), ":",
                                                               Stringify(o["auth"][1])))));
  }
  if (o.contains("params") && o["params"].is_object() && !o["params"].empty()) {
    std::vector<std::string> parts;
    for (const auto& [k, v] : o["params"].items()) {
      parts.push_back(absl::StrCat(UrlEncode(k), "=", UrlEncode(Stringify(v))));
    }
    req.url += (c.path.find('?') == std::string::npos ? "?" : "&") + absl::StrJoin(parts, "&");
  }
  if (o.contains("json")) {
    req.body = o["json"].dump();
    req.headers.emplace_back("Content-Type", "application/json");
  } else if (o.contains("data")) {
    const json& d = o["data"];
    if (d.is_object()) {
      std::vector<std::string> parts;
      for (const auto& [k, v] : d.items()) {
        parts.push_back(absl::StrCat(UrlEncode(k), "=", UrlEncode(Stringify(v))));
      }
      req.body = absl::StrJoin(parts, "&");
      req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    } else {
      req.body = Stringify(d);
    }
  }
  if (o.contains("headers") && o["headers"].is_object()) {
    for (const auto& [k, v] : o["headers"].items()) req.headers.emplace_back(k, Stringify(v));
  }
  return req;
}

CheckOutcome RunTcp(const model::Check& c, const CheckContext& ctx, const std::atomic<bool>* stop,
                    CheckOutcome out) {
  if (c.max_wait <= 0) {
    out.last_error = "max_wait is 0: no connection attempt made";
    return out;
  }
  for (int attempt = 1; attempt <= c.max_wait; ++attempt) {
    if (IsSet(stop)) {
      out.last_error =
          absl::StrCat("cancelled", out.last_error.empty() ? "" : " (last error: ", out.last_error,
                       out.last_error.empty() ? "" : ")");
      return out;
    }
    out.attempts = attempt;
    absl::StatusOr<int> fd =
        transport::ConnectTcpSocket(c.host, c.port, absl::Now() + absl::Seconds(1));
    if (fd.ok()) {
      ::close(*fd);
      out.ok = true;
      out.last_error.clear();
      return out;
    }
    out.last_error = std::string(fd.status().message());
    if (attempt < c.max_wait && !Pause(ctx.clock, kRetryPause, stop)) {
      out.last_error = absl::StrCat("cancelled (last error: ", out.last_error, ")");
      return out;
    }
  }
  out.last_error = absl::StrCat(out.last_error, " (after ", c.max_wait, " attempts)");
  return out;
}

CheckOutcome RunHttp(const model::Check& c, const CheckContext& ctx, const std::atomic<bool>* stop,
                     CheckOutcome out) {
  absl::StatusOr<PythonRegex> regex = absl::UnknownError("unused");
  if (c.match_regex) {
    regex = PythonRegex::Compile(*c.match_regex);
    if (!regex.ok()) {
      out.last_error = std::string(regex.status().message());
      return out;
    }
  }
  HttpFetchRequest req = BuildHttpRequest(c);
  const absl::Duration per_request = req.timeout;
  req.cancel = stop;
  absl::Time start = ctx.clock->Now();
  absl::Time deadline = start + absl::Seconds(c.max_wait);
  while (ctx.clock->Now() < deadline) {
    if (IsSet(stop)) break;
    ++out.attempts;
    // FIX #27: a request never outlives max_wait.
    absl::Duration left = deadline - ctx.clock->Now();
    req.timeout = std::min(per_request, std::max(left, absl::Milliseconds(1)));
    req.connect_timeout = std::min(req.connect_timeout, req.timeout);
    absl::StatusOr<HttpFetchResponse> r = HttpFetch(req);
    if (r.ok()) {
      if (c.match_regex) {
        if (regex->Search(r->body)) {
          out.ok = true;
          out.last_error.clear();
          return out;
        }
        out.last_error =
            absl::StrCat("HTTP ", r->status, ": the body did not match /", *c.match_regex, "/");
      } else if (r->status == 200) {
        out.ok = true;
        out.last_error.clear();
        return out;
      } else {
        out.last_error = absl::StrCat("HTTP ", r->status, " ", r->reason);
      }
    } else {
      out.last_error = std::string(r.status().message());
    }
    if (ctx.clock->Now() >= deadline) break;
    if (!Pause(ctx.clock, kRetryPause, stop)) break;
  }
  if (IsSet(stop)) {
    out.last_error = out.last_error.empty()
                         ? "cancelled"
                         : absl::StrCat("cancelled (last error: ", out.last_error, ")");
  } else {
    out.last_error =
        absl::StrCat(out.last_error.empty() ? "no request made" : out.last_error,
                     " (gave up after ", c.max_wait, "s, ", out.attempts, " requests)");
  }
  return out;
}

std::map<std::string, std::string> MergedEnv(const CheckContext& ctx) {
  std::map<std::string, std::string> env =
      ctx.process_env != nullptr ? *ctx.process_env : ProcessEnvironment();
  if (ctx.instance != nullptr) {
    for (const auto& [k, v] : ctx.instance->env) env[k] = v.has_value() ? *v : "None";
  }
  return env;
}

// The common end of the exec and rexec retry loops: say why the attempts stopped.
CheckOutcome FinishAttempts(const model::Check& c, const std::atomic<bool>* stop,
                            CheckOutcome out) {
  if (IsSet(stop)) {
    out.last_error = out.last_error.empty()
                         ? "cancelled"
                         : absl::StrCat("cancelled (last error: ", out.last_error, ")");
  } else if (c.attempts <= 0) {
    out.last_error = "attempts is 0: the command was not run";
  }
  return out;
}

CheckOutcome RunExec(const model::Check& c, const CheckContext& ctx, const std::atomic<bool>* stop,
                     CheckOutcome out) {
  SubprocessOptions opts;
  opts.argv = c.argv;
  opts.cancel = stop;
  opts.timeout = absl::Seconds(c.timeout);  // per attempt
  opts.output = ctx.exec_output;
  opts.tail_lines = 5;
  std::map<std::string, std::string> merged = MergedEnv(ctx);
  if (c.envfrom == "stdin") {
    opts.env = ctx.process_env != nullptr ? *ctx.process_env : ProcessEnvironment();
    opts.stdin_data = json(merged).dump();
  } else {
    opts.env = std::move(merged);
  }
  for (int attempt = 1; attempt <= c.attempts; ++attempt) {
    if (IsSet(stop)) break;
    out.attempts = attempt;
    absl::StatusOr<SubprocessResult> r = RunSubprocess(opts);
    if (!r.ok()) {
      out.last_error = std::string(r.status().message());
      return out;  // cannot start the command: retrying will not help
    }
    if (r->ok()) {
      out.ok = true;
      out.last_error.clear();
      return out;
    }
    out.last_error = r->Describe();
    if (!r->tail.empty()) absl::StrAppend(&out.last_error, ": ", r->tail);
    if (attempt < c.attempts && !Pause(ctx.clock, kRetryPause, stop)) break;
  }
  return FinishAttempts(c, stop, std::move(out));
}

CheckOutcome RunRexec(const model::Check& c, const CheckContext& ctx, const std::atomic<bool>* stop,
                      CheckOutcome out) {
  if (ctx.docker == nullptr || ctx.instance == nullptr) {
    out.last_error = "rexec check: no Docker client for the container";
    return out;
  }
  // The exit code is polled every second of clock time for at most `timeout` seconds.
  const int max_polls = std::max(1, static_cast<int>(std::ceil(c.timeout)));
  for (int attempt = 1; attempt <= c.attempts; ++attempt) {
    if (IsSet(stop)) break;
    out.attempts = attempt;
    docker::ExecOptions eo;
    eo.cmd = c.argv;
    absl::StatusOr<std::string> id = ctx.docker->CreateExec(ctx.instance->name, eo);
    if (id.ok()) {
      // Ends the attached stream on cancellation or after `timeout` (the command may go on
      // inside the container: Docker cannot kill an exec).
      AttemptStop attempt_stop(stop, absl::Seconds(c.timeout));
      const std::atomic<bool>* attempt_flag = attempt_stop.flag();
      std::string output;
      absl::Status started = ctx.docker->StartExec(
          *id, false,
          [&](docker::StdStream, absl::string_view data) {
            if (ctx.exec_output) ctx.exec_output(data);
            output.append(data.data(), data.size());
            if (output.size() > 64 * 1024) output.erase(0, output.size() - 16 * 1024);
            return !IsSet(attempt_flag);
          },
          attempt_flag);
      if (!started.ok()) {
        out.last_error = std::string(started.message());
      } else {
        absl::optional<int64_t> exit_code;
        int poll = 0;
        for (; poll < max_polls && !IsSet(attempt_flag); ++poll) {
          absl::StatusOr<docker::ExecInspect> info = ctx.docker->InspectExec(*id);
          if (!info.ok()) {
            out.last_error = std::string(info.status().message());
            break;
          }
          if (info->exit_code.has_value()) {
            exit_code = info->exit_code;
            break;
          }
          if (!Pause(ctx.clock, kRetryPause, attempt_flag)) break;
        }
        if (exit_code.has_value() && *exit_code == 0) {
          out.ok = true;
          out.last_error.clear();
          return out;
        }
        if (exit_code.has_value()) {
          out.last_error = absl::StrCat("exited with status ", *exit_code);
          std::string tail = TailLines(std::string(absl::StripTrailingAsciiWhitespace(output)), 5);
          if (!tail.empty()) absl::StrAppend(&out.last_error, ": ", tail);
        } else if (!IsSet(stop) && (attempt_stop.timed_out() || poll >= max_polls)) {
          out.last_error = TimedOut(c.timeout);
        }
      }
    } else {
      out.last_error = std::string(id.status().message());
    }
    if (attempt < c.attempts && !Pause(ctx.clock, kRetryPause, stop)) break;
  }
  return FinishAttempts(c, stop, std::move(out));
}

// The last line of the newest State.Health.Log entry's Output ("" when there is none).
std::string LastHealthOutput(const nlohmann::json& health) {
  const nlohmann::json* log = health.contains("Log") ? &health["Log"] : nullptr;
  if (log == nullptr || !log->is_array() || log->empty()) return "";
  const nlohmann::json& last = log->back();
  if (!last.is_object() || !last.contains("Output") || !last["Output"].is_string()) return "";
  std::string output(absl::StripTrailingAsciiWhitespace(last["Output"].get<std::string>()));
  return TailLines(output, 1);
}

// Polls the container's State.Health.Status (Docker's own healthcheck) up to `attempts` times,
// 1 s apart: `healthy` passes, `unhealthy` fails at once with the last health output, a
// container without State.Health (no healthcheck configured, none in the image) fails at once.
CheckOutcome RunHealth(const model::Check& c, const CheckContext& ctx,
                       const std::atomic<bool>* stop, CheckOutcome out) {
  if (ctx.docker == nullptr || ctx.instance == nullptr) {
    out.last_error = "health check: no Docker client for the container";
    return out;
  }
  const std::string& name = ctx.instance->name;
  for (int attempt = 1; attempt <= c.attempts; ++attempt) {
    if (IsSet(stop)) break;
    out.attempts = attempt;
    absl::StatusOr<docker::ContainerInspect> inspect = ctx.docker->InspectContainer(name);
    if (!inspect.ok()) {
      out.last_error = std::string(inspect.status().message());
    } else {
      const nlohmann::json& raw = inspect->raw;
      const nlohmann::json* health = nullptr;
      if (raw.is_object() && raw.contains("State") && raw["State"].is_object() &&
          raw["State"].contains("Health") && raw["State"]["Health"].is_object()) {
        health = &raw["State"]["Health"];
      }
      if (health == nullptr) {
        out.last_error = absl::StrCat(
            "container ", name,
            " has no Docker healthcheck (configure `healthcheck:` or use an image with a "
            "HEALTHCHECK)");
        return out;
      }
      std::string status = health->contains("Status") && (*health)["Status"].is_string()
                               ? (*health)["Status"].get<std::string>()
                               : "";
      std::string output = LastHealthOutput(*health);
      if (status == "healthy") {
        out.ok = true;
        out.last_error.clear();
        return out;
      }
      if (status == "unhealthy") {
        out.last_error =
            absl::StrCat("container ", name, " is unhealthy", output.empty() ? "" : ": ", output);
        return out;
      }
      out.last_error = absl::StrCat(
          "container ", name, " is ", status.empty() ? "of unknown health" : status,
          output.empty() ? "" : " (last health output: ", output, output.empty() ? "" : ")");
    }
    if (attempt < c.attempts && !Pause(ctx.clock, kRetryPause, stop)) break;
  }
  if (IsSet(stop)) {
    out.last_error = out.last_error.empty()
                         ? "cancelled"
                         : absl::StrCat("cancelled (last error: ", out.last_error, ")");
  } else if (c.attempts <= 0) {
    out.last_error = "attempts is 0: the health was not looked at";
  } else {
    out.last_error = absl::StrCat("not healthy after ", c.attempts, " attempts: ", out.last_error);
  }
  return out;
}

CheckOutcome RunSleep(const model::Check& c, const CheckContext& ctx, const std::atomic<bool>* stop,
                      CheckOutcome out) {
  out.attempts = 1;
  if (!Pause(ctx.clock, absl::Seconds(std::max(c.wait, 0)), stop)) {
    out.last_error = "cancelled";
    return out;
  }
  out.ok = true;
  return out;
}

CheckOutcome RunWithStop(const model::Check& check, const CheckContext& ctx,
                         const std::atomic<bool>* stop) {
  CheckOutcome out;
  out.check = DescribeCheck(check);
  absl::Time start = ctx.clock->Now();
  switch (check.type) {
    case model::CheckType::kTcp:
      out = RunTcp(check, ctx, stop, std::move(out));
      break;
    case model::CheckType::kHttp:
      out = RunHttp(check, ctx, stop, std::move(out));
      break;
    case model::CheckType::kExec:
      out = RunExec(check, ctx, stop, std::move(out));
      break;
    case model::CheckType::kRexec:
      out = RunRexec(check, ctx, stop, std::move(out));
      break;
    case model::CheckType::kSleep:
      out = RunSleep(check, ctx, stop, std::move(out));
      break;
    case model::CheckType::kHealth:
      out = RunHealth(check, ctx, stop, std::move(out));
      break;
  }
  out.elapsed = ctx.clock->Now() - start;
  return out;
}

std::string ContainerName(const CheckContext& ctx) {
  return ctx.instance != nullptr ? ctx.instance->name : "?";
}

}  // namespace

std::string DescribeCheck(const model::Check& c) {
  switch (c.type) {
    case model::CheckType::kTcp: {
      std::string host =
          c.host.find(':') != std::string::npos ? absl::StrCat("[", c.host, "]") : c.host;
      return absl::StrCat("tcp check on port ",
                          c.port_name.empty() ? std::to_string(c.port) : c.port_name, " (", host,
                          ":", c.port, ")");
    }
    case model::CheckType::kHttp:
      return absl::StrCat("http check ", absl::AsciiStrToUpper(c.method), " ", HttpUrl(c));
    case model::CheckType::kExec:
      return absl::StrCat("exec check `", c.command, "`");
    case model::CheckType::kRexec:
      return absl::StrCat("rexec check `", c.command, "`");
    case model::CheckType::kSleep:
      return absl::StrCat("sleep check (", c.wait, "s)");
    case model::CheckType::kHealth:
      return "health check (Docker healthcheck)";
  }
  return "check";
}

std::string DefaultConditionFailure(absl::string_view state, absl::string_view container) {
  if (state == "running" || state == "pre-stop") {
    return absl::StrCat("container ", container, " is no longer running");
  }
  if (state == "pre-start" || state == "stopped") {
    return absl::StrCat("container ", container, " is running");
  }
  return absl::StrCat("the condition of container ", container, " changed");
}

absl::Status ValidateCheck(const model::Check& c, const model::Instance* instance) {
  std::optional<CheckProblem> problem = FindCheckProblem(c, instance);
  if (!problem) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "lifecycle ", model::CheckTypeName(c.type), " check",
      c.line > 0 ? absl::StrCat(" at line ", c.line) : "",
      instance != nullptr ? absl::StrCat(" of ", instance->name) : "", ": ", problem->message));
}

CheckOutcome RunCheck(const model::Check& check, const CheckContext& ctx) {
  return RunWithStop(check, ctx, ctx.cancel);
}

absl::StatusOr<StateOutcome> RunChecks(absl::string_view state, const CheckContext& ctx) {
  if (ctx.clock == nullptr || ctx.instance == nullptr) {
    return absl::InvalidArgumentError("RunChecks: clock and instance are required");
  }
  StateOutcome result;
  result.state = std::string(state);
  const std::string container = ContainerName(ctx);
  const std::string cond_failure = ctx.condition_failure.empty()
                                       ? DefaultConditionFailure(state, container)
                                       : ctx.condition_failure;
  auto condition = [&] { return !ctx.condition || ctx.condition(); };
  auto cancelled = [&] {
    return absl::CancelledError(absl::StrCat(state, " checks of ", container, " interrupted"));
  };

  static const std::vector<model::Check> kNone;
  auto it = ctx.instance->lifecycle.find(std::string(state));
  const std::vector<model::Check>& checks =
      it == ctx.instance->lifecycle.end() ? kNone : it->second;
  for (const model::Check& c : checks) MAESTRO_RETURN_IF_ERROR(ValidateCheck(c, ctx.instance));

  if (checks.empty()) {
    for (int poll = 0; poll < 11; ++poll) {
      if (IsSet(ctx.cancel)) return cancelled();
      if (condition()) {
        result.ok = true;
        return result;
      }
      if (poll < 10 && !Pause(ctx.clock, absl::Milliseconds(500), ctx.cancel)) return cancelled();
    }
    result.condition_failed = true;
    result.message = absl::StrCat(state, ": ", cond_failure);
    return result;
  }

  result.checks.resize(checks.size());
  std::atomic<bool> stop{false};
  std::atomic<bool> all_done{false};
  std::mutex mu;
  std::condition_variable cv;
  size_t done = 0;
  std::vector<std::thread> threads;
  threads.reserve(checks.size());
  for (size_t i = 0; i < checks.size(); ++i) {
    threads.emplace_back([&, i] {
      CheckOutcome o = RunWithStop(checks[i], ctx, &stop);
      std::lock_guard<std::mutex> lock(mu);
      result.checks[i] = std::move(o);
      if (++done == checks.size()) all_done = true;
      cv.notify_all();
    });
  }
  bool was_cancelled = false;
  while (!all_done.load()) {
    // Wait 1 s (clock time), then verify the condition with two polls 0.5 s apart.
    Pause(ctx.clock, absl::Seconds(1), ctx.cancel, &all_done);
    {
      // A real-time yield so that simulated clocks do not spin while checks do real I/O.
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, std::chrono::milliseconds(2), [&] { return all_done.load(); });
    }
    if (IsSet(ctx.cancel)) {
      was_cancelled = true;
      break;
    }
    if (all_done.load()) break;
    if (!condition()) {
      Pause(ctx.clock, absl::Milliseconds(500), ctx.cancel, &all_done);
      if (all_done.load()) break;
      if (!condition()) {
        result.condition_failed = true;
        break;
      }
    }
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  if (was_cancelled) return cancelled();

  result.ok = !result.condition_failed;
  std::vector<std::string> failures;
  for (const CheckOutcome& o : result.checks) {
    if (!o.ok) {
      result.ok = false;
      if (!result.condition_failed) failures.push_back(absl::StrCat(o.check, ": ", o.last_error));
    }
  }
  if (result.condition_failed) {
    result.message = absl::StrCat(state, " checks of ", container, " stopped: ", cond_failure);
  } else if (!result.ok) {
    result.message =
        absl::StrCat(state, " checks of ", container, " failed: ", absl::StrJoin(failures, "; "));
  }
  return result;
}

}  // namespace maestro::lifecycle
