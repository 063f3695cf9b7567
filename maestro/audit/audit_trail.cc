#include "maestro/audit/audit_trail.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace maestro::audit {
namespace {

constexpr char kSlackHint[] =
    "use the http (webhook) auditor with a Slack incoming webhook URL instead:\n"
    "  - type: http\n"
    "    endpoint: https://hooks.slack.com/services/T000/B000/XXXXXXXX\n"
    "    payload: {text: \"{message}\"}\n"
    "    events: [action, success, error]";

}  // namespace

AuditTrail::AuditTrail(WarningSink warn) : warn_(std::move(warn)) {}

void AuditTrail::Add(std::unique_ptr<Auditor> auditor, AuditLevel level, bool ignore_errors) {
  entries_.push_back({std::move(auditor), level, ignore_errors});
}

void AuditTrail::Warn(const Entry& e, const absl::Status& s) {
  std::string line = absl::StrCat("warning: audit ", e.auditor->Describe(), ": ", s.message());
  if (warn_) {
    warn_(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

absl::Status AuditTrail::Action(AuditLevel level, const AuditWhat& what, absl::string_view action) {
  for (const Entry& e : entries_) {
    if (static_cast<int>(level) < static_cast<int>(e.level)) continue;
    absl::Status s = e.auditor->Action(level, what, action);
    if (s.ok()) continue;
    if (e.ignore_errors) {
      Warn(e, s);
      continue;
    }
    return absl::Status(s.code(), absl::StrCat("audit ", e.auditor->Describe(), ": ", s.message()));
  }
  return absl::OkStatus();
}

void AuditTrail::Success(AuditLevel level, const AuditWhat& what, absl::string_view action) {
  for (const Entry& e : entries_) {
    if (static_cast<int>(level) < static_cast<int>(e.level)) continue;
    absl::Status s = e.auditor->Success(level, what, action);
    if (!s.ok()) Warn(e, s);
  }
}

void AuditTrail::Error(const AuditWhat& what, absl::string_view action, absl::string_view message) {
  for (const Entry& e : entries_) {
    absl::Status s = e.auditor->Error(what, action, message);
    if (!s.ok()) Warn(e, s);
  }
}

AuditTarget TargetOf(const model::Instance& instance, const model::Ship* ship) {
  AuditTarget t;
  t.name = instance.name;
  t.service = instance.service;
  t.ship = instance.ship;
  t.ship_ip = ship != nullptr ? ship->ip : "";
  return t;
}

absl::StatusOr<std::unique_ptr<AuditTrail>> MakeAuditTrail(
    const std::vector<model::AuditConfig>& configs, const AuditTrailOptions& options) {
  auto trail = std::make_unique<AuditTrail>(options.warn);
  AuditorEnv env = options.env;
  if (env.who.empty()) env.who = CurrentUserName();
  for (size_t i = 0; i < configs.size(); ++i) {
    const model::AuditConfig& c = configs[i];
    std::string where = options.source;
    if (c.line > 0) absl::StrAppend(&where, where.empty() ? "line " : ":", c.line);
    if (!where.empty()) where += ": ";
    absl::StrAppend(&where, "audit entry ", i + 1, " (type ", c.type, "): ");
    auto fail = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(where, why));
    };
    AuditLevel level;
    if (c.level == "info") {
      level = AuditLevel::kInfo;
    } else if (c.level == "debug") {
      level = AuditLevel::kDebug;
    } else {
      return fail(absl::StrCat("invalid level '", c.level, "' (expected info or debug)"));
    }
    absl::StatusOr<std::unique_ptr<Auditor>> a;
    if (c.type == "log") {
      a = MakeLogAuditor(c.options, env);
    } else if (c.type == "http") {
      a = MakeWebhookAuditor(c.options, env);
    } else if (c.type == "exec") {
      a = MakeExecAuditor(c.options, env);
    } else if (c.type == "_fail") {
      a = MakeFailAuditor();
    } else if (c.type == "slack") {
      return fail(absl::StrCat(
          "the slack auditor used Slack's legacy bot-token API client, which maestro does not "
          "carry; ",
          kSlackHint));
    } else if (c.type == "hipchat") {
      return fail(
          absl::StrCat("HipChat was shut down in 2019; to notify a chat service, ", kSlackHint));
    } else {
      return fail(absl::StrCat("Unknown auditor type ", c.type));
    }
    if (!a.ok()) return fail(a.status().message());
    trail->Add(std::move(*a), level, c.ignore_errors);
  }
  return trail;
}

}  // namespace maestro::audit
