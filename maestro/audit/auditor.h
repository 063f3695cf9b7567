// The audit trail (docs/environment.md#audit): plays report what they are doing to a list of
// auditors configured under `audit:`. This header holds the event vocabulary (levels, targets),
// the Auditor interface, and MaestroNG's message texts, which every auditor shares:
//   action  "{who} is {verb} {what}."        e.g. "bob is stopping c1, c2."
//   success "{Action} of {what} succeeded."  e.g. "Restart of c1 succeeded."
//   error   "Failed to {action} {what}!"     plus " (message: {message})" when there is one
// where verb = action + "ing" (stop -> stopping) and the compact `what` is the container's
// name, a comma-joined list of fewer than 5 names, or "{n} containers".
//
// Thread-safety: Auditor implementations are thread-safe (plays audit from many threads).
// The formatting functions are pure.
#ifndef MAESTRO_AUDIT_AUDITOR_H_
#define MAESTRO_AUDIT_AUDITOR_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace maestro::audit {

// Python logging levels; an auditor configured at `info` drops debug events.
enum class AuditLevel { kDebug = 10, kInfo = 20 };
const char* AuditLevelName(AuditLevel level);  // "DEBUG", "INFO"

// One container an event is about.
struct AuditTarget {
  std::string name;  // container name
  std::string service;
  std::string ship;     // ship name
  std::string ship_ip;  // the ship's ip
};

// What an event is about: one container (a task) or the list of containers of a play.
struct AuditWhat {
  std::vector<AuditTarget> targets;
  bool is_list = false;

  static AuditWhat One(AuditTarget target) { return {{std::move(target)}, false}; }
  static AuditWhat List(std::vector<AuditTarget> targets) { return {std::move(targets), true}; }
  // The container's name, or the names joined with `sep`.
  std::string Names(absl::string_view sep = ", ") const;
};

class Auditor {
 public:
  virtual ~Auditor() = default;
  // "log /var/log/maestro.log", "http https://hooks.example/x", ... (for warnings).
  virtual std::string Describe() const = 0;
  // Level filtering is done by the caller (AuditTrail); `level` tells the auditor how to log.
  virtual absl::Status Action(AuditLevel level, const AuditWhat& what,
                              absl::string_view action) = 0;
  virtual absl::Status Success(AuditLevel level, const AuditWhat& what,
                               absl::string_view action) = 0;
  // `message` may be empty (no message). Errors have no level: they are always emitted.
  virtual absl::Status Error(const AuditWhat& what, absl::string_view action,
                             absl::string_view message) = 0;
};

// "starting", "stopping", "pulling", ...
std::string ActionVerb(absl::string_view action);
// Python str.title(): "restart" -> "Restart".
std::string PyTitle(absl::string_view s);
// Compact: name / "a, b, c" (< 5 items) / "7 containers". Not compact: all names.
std::string FormatWhat(const AuditWhat& what, bool compact);
std::string ActionText(absl::string_view who, const AuditWhat& what, absl::string_view action,
                       bool compact = true);
std::string SuccessText(const AuditWhat& what, absl::string_view action, bool compact = true);
std::string ErrorText(const AuditWhat& what, absl::string_view action, absl::string_view message,
                      bool compact = true);

// Python str.format with named fields only: "{name}" and "{name!s}" are replaced from `vars`,
// "{{" and "}}" are literal braces. Unknown names, positional fields and format specs are
// InvalidArgument errors.
absl::StatusOr<std::string> PyFormatNamed(absl::string_view tmpl,
                                          const std::map<std::string, std::string>& vars);

// getpass.getuser(): $LOGNAME, $USER, $LNAME, $USERNAME, then the name of the current uid in
// /etc/passwd (read directly: no NSS in a static binary), else the numeric uid.
// `getenv` is injectable for tests.
std::string CurrentUserName(const std::function<const char*(const char*)>& getenv = nullptr);

}  // namespace maestro::audit

#endif  // MAESTRO_AUDIT_AUDITOR_H_
