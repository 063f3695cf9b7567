// The auditor types of `audit:` entries (docs/environment.md#audit). Each Make* function takes the
// entry's type-specific options (model::AuditConfig::options) and returns a configuration error
// (InvalidArgument, plain reason; AuditTrail adds the file and line) or the auditor.
//
//   log   `file` (required): appends "%(asctime)s %(levelname)s: %(message)s" lines, e.g.
//         "2026-11-25 14:32:53,123 INFO: bob is starting c1, c2." (local time, Python's
//         asctime), full container lists (not compact); errors at ERROR.
//   http  webhook. `endpoint` (required), `payload` (a JSON template, default {}), `headers`
//         (merged over Content-Type: application/json; charset=utf-8), `method` (POST or GET),
//         `timeout` (3 s), `verify` (true; false or a CA bundle path for https) and `events`
//         (default [action], as MaestroNG; add success and/or error to send those too).
//         Every string leaf of the payload is str.format'ed with {what} (all names, comma
//         joined), {action}, {who} and {message} (the event's compact text — FIX: MaestroNG
//         put a Python list repr there). Non-string leaves are kept as they are (MaestroNG
//         crashed); empty strings, nulls and emptied maps/lists are dropped; an empty payload
//         is sent as `null`. A non-2xx answer is an error (MaestroNG ignored the status).
//         Slack: an incoming webhook works through this auditor:
//           - type: http
//             endpoint: https://hooks.slack.com/services/T000/B000/XXXXXXXX
//             payload: {text: "{message}"}
//             events: [action, success, error]
//   exec  `script` (required), `args` (optional str.format string with {action}, {what},
//         {who}; split on whitespace, no shell), `timeout` (60 s). Runs on `success` events of
//         plays only (as MaestroNG), with JSON {"<container>": {"ship": ip, "service": name}}
//         on stdin. {what} is the names joined with "," (one argument; MaestroNG gave a
//         Python list repr), {who} the user (MaestroNG gave None). A non-zero exit is a clear
//         error naming the script and status with its last output lines (FIX #17).
//   _fail every event fails (for tests of error handling).
//   hipchat, slack: MaestroNG's clients for these services cannot work any more (HipChat
//         was shut down in 2019; Slack's legacy bot-token client library is not carried);
//         the entry is accepted by the loader but MakeAuditTrail reports an error that shows
//         the equivalent `http` webhook entry (see above).
//
// Thread-safety: all auditors are thread-safe.
#ifndef MAESTRO_AUDIT_AUDITORS_H_
#define MAESTRO_AUDIT_AUDITORS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "maestro/audit/auditor.h"
#include "maestro/base/clock.h"
#include "nlohmann/json.hpp"

namespace maestro::audit {

// What auditors need from the outside world.
struct AuditorEnv {
  std::string who;                                   // the user name in messages
  Clock* clock = nullptr;                            // log timestamps (RealClock when null)
  absl::TimeZone time_zone = absl::LocalTimeZone();  // log timestamps
};

absl::StatusOr<std::unique_ptr<Auditor>> MakeLogAuditor(const nlohmann::json& options,
                                                        const AuditorEnv& env);
absl::StatusOr<std::unique_ptr<Auditor>> MakeWebhookAuditor(const nlohmann::json& options,
                                                            const AuditorEnv& env);
absl::StatusOr<std::unique_ptr<Auditor>> MakeExecAuditor(const nlohmann::json& options,
                                                         const AuditorEnv& env);
std::unique_ptr<Auditor> MakeFailAuditor();

// Python logging's asctime: "2026-11-25 14:32:53,123".
std::string PyAscTime(absl::Time t, absl::TimeZone tz);

// The webhook payload template applied to one event (exposed for tests). Returns null when
// everything was empty.
absl::StatusOr<nlohmann::json> FormatPayload(const nlohmann::json& payload,
                                             const std::map<std::string, std::string>& vars);

}  // namespace maestro::audit

#endif  // MAESTRO_AUDIT_AUDITORS_H_
