// AuditTrail: MaestroNG's auditor multiplexer (docs/environment.md#audit), built from the `audit:`
// entries.
//   * Action() calls every auditor whose level admits the event, in configuration order;
//     the first failure is returned (and the remaining auditors are not called), so the
//     caller aborts the play — unless that auditor has `ignore_errors: true`.
//   * Success() and Error() never fail: every auditor is called; failures are reported as one
//     warning line each ("warning: audit <auditor>: <error>") and otherwise swallowed.
//   * Errors from `ignore_errors: true` auditors are swallowed too, with the same warning.
//   * Level: an event is sent when its level >= the auditor's (`info` = 20 by default,
//     `debug` = 10). Error events have no level and always go out.
// Plays emit: play start (Action, INFO, list of containers, action = play name), play end
// (Success INFO, or Error with the exception text), and per top-level task Action/Success at
// DEBUG (or Error). Status plays audit nothing; nested tasks are not audited.
//
// Thread-safety: all methods may be called concurrently (auditors are thread-safe).
#ifndef MAESTRO_AUDIT_AUDIT_TRAIL_H_
#define MAESTRO_AUDIT_AUDIT_TRAIL_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "maestro/audit/auditor.h"
#include "maestro/audit/auditors.h"
#include "maestro/model/environment.h"

namespace maestro::audit {

using WarningSink = std::function<void(const std::string&)>;

class AuditTrail {
 public:
  // `warn` receives one line per swallowed error (stderr when empty).
  explicit AuditTrail(WarningSink warn = nullptr);

  void Add(std::unique_ptr<Auditor> auditor, AuditLevel level, bool ignore_errors);
  size_t size() const { return entries_.size(); }

  absl::Status Action(AuditLevel level, const AuditWhat& what, absl::string_view action);
  void Success(AuditLevel level, const AuditWhat& what, absl::string_view action);
  void Error(const AuditWhat& what, absl::string_view action, absl::string_view message);

 private:
  struct Entry {
    std::unique_ptr<Auditor> auditor;
    AuditLevel level;
    bool ignore_errors;
  };
  void Warn(const Entry& e, const absl::Status& s);

  std::vector<Entry> entries_;
  WarningSink warn_;
};

struct AuditTrailOptions {
  std::string source;  // the environment file as the user named it, for messages
  AuditorEnv env;      // env.who empty: CurrentUserName()
  WarningSink warn;
};

// Builds the trail from the environment's `audit:` entries. Errors name the entry:
//   "env.yaml:12: audit entry 1 (type log): Missing audit log filename!"
// Unknown types: "Unknown auditor type foo"; levels other than info/debug are rejected;
// hipchat and slack entries are rejected with the equivalent webhook configuration.
absl::StatusOr<std::unique_ptr<AuditTrail>> MakeAuditTrail(
    const std::vector<model::AuditConfig>& configs, const AuditTrailOptions& options);

// The AuditTarget for a container (ship may be null).
AuditTarget TargetOf(const model::Instance& instance, const model::Ship* ship);

}  // namespace maestro::audit

#endif  // MAESTRO_AUDIT_AUDIT_TRAIL_H_
