// The maestro command line (docs/usage.md): global options, the command table and every
// command's flags, parsed into a plain Options value. Parsing is pure: it never exits, never
// prints; the caller decides (cli/main.cc). Thread-compatible.
#ifndef MAESTRO_CLI_OPTIONS_H_
#define MAESTRO_CLI_OPTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace maestro::cli {

enum class Command {
  kStatus,
  kPlan,
  kUp,
  kStart,
  kStop,
  kKill,
  kRestart,
  kRollback,
  kPull,
  kClean,
  kLogs,
  kEvents,
  kExec,
  kDeptree,
  kDump,
  kExport,
  kSwarm,
  kLock,
  kComplete,
};

// One row of the command table: name, one-line help, and its MaestroNG flag groups.
struct CommandInfo {
  Command command;
  const char* name;
  const char* help;
  bool expandable;   // -s/-a; stop, kill, restart
  bool concurrent;   // -c/-d/-i
  bool filterable;   // -C/-S
  bool refreshable;  // -r/--reuse
  bool takes_things;
};

// Every command, in the order `maestro --help` lists them.
const std::vector<CommandInfo>& Commands();
const CommandInfo* FindCommand(absl::string_view name);
const char* CommandName(Command command);
// Stop-like commands (stop, kill, restart): they act dependents first, need -s/-a to expand
// services and refuse to run with no things unless --all. The command table's `expandable`
// column is the one home of this decision.
bool IsStopLike(Command command);
// The commands that report where their time went (up, start, stop, kill, restart): a timing
// summary after the play, --timings and --timeline FILE (docs/usage.md#timings).
bool ReportsTimings(Command command);
// The commands that change containers (up, start, stop, kill, restart, clean): they take the deploy
// lock on the ships they touch (docs/usage.md#the-deploy-lock); read-only ones never do.
bool TakesDeployLock(Command command);

// kDot and kMermaid: deptree only.
enum class OutputFormat { kText, kJson, kDot, kMermaid };

struct Options {
  // Global.
  std::string file = "maestro.yaml";  // "-" reads stdin.
  std::optional<bool> color;          // --color/--no-color; unset: decide from the terminal.

  Command command = Command::kStatus;
  std::vector<std::string> things;

  // Flag groups (docs/usage.md#shared-options).
  bool expand_services = false;      // -s; commands other than stop/kill/restart always expand.
  bool expand_all = false;           // -a
  std::optional<int> concurrency;    // -c; unset = unlimited.
  bool with_dependencies = false;    // -d
  bool ignore_dependencies = false;  // -i
  std::string container_filter;      // -C (fnmatch), empty = none
  std::string ship_filter;           // -S (fnmatch), empty = none
  bool refresh_images = false;       // -r
  bool reuse = false;                // --reuse
  OutputFormat format = OutputFormat::kText;

  // status
  bool full = false;        // -F
  bool show_hosts = false;  // -H
  // plan
  bool detailed_exitcode = false;  // --detailed-exitcode: 0 nothing to do, 2 changes, 1 error
  std::string plan_out;            // -o FILE: save the plan
  bool refresh = false;            // --refresh (plan, up): ask the registry about present images
  // up
  bool remove_orphans = false;  // --remove-orphans
  std::string plan_in;          // --plan FILE: apply exactly this saved plan
  // clean
  bool clean_networks = false;  // --networks
  bool clean_volumes = false;   // --volumes
  // restart
  int step_delay = 0;
  int stop_start_delay = 0;
  bool only_if_changed = false;
  // rollback
  bool dry_run = false;  // --dry-run: say what would change back, touch nothing
  // logs (docs/usage.md#logs)
  bool follow = false;       // -f/-F
  std::optional<int> lines;  // -n/--tail, per container
  bool timestamps = false;   // -t
  // status --watch
  bool watch = false;
  // exec THING... -- COMMAND...: everything after the first "--"
  std::vector<std::string> exec_command;
  // logs and events: as typed (RFC 3339, UNIX seconds or "10m")
  std::string since;         // --since, as given (RFC 3339, UNIX seconds or "10m")
  std::string until;         // --until
  std::string grep;          // --grep REGEX
  bool no_prefix = false;    // --no-prefix
  bool stdout_only = false;  // --stdout-only
  bool stderr_only = false;  // --stderr-only
  // deptree
  bool recursive = false;  // -r
  // dump
  bool dump_config = false;   // -c
  bool show_secrets = false;  // --show-secrets
  // up, start, stop, kill, restart, clean
  // --lock-wait: seconds to wait for another maestro's deploy lock; unset: $MAESTRO_LOCK_WAIT,
  // else 0 (fail at once).
  std::optional<int> lock_wait;
  // start, stop, kill, restart (ReportsTimings)
  bool timings = false;  // --timings: the full timing report instead of the summary
  std::string timeline;  // --timeline FILE: the SVG Gantt chart
  // lock
  std::string lock_action;  // "status" or "break"
  // export (docs/swarm.md)
  std::string export_target;                   // "swarm"
  std::string export_out;                      // -o FILE (default: stdout)
  bool export_strict = false;                  // --strict: gaps are an error
  std::vector<std::string> relaxed_placement;  // --relaxed-placement SERVICE (repeatable)
  std::string placement = "label";             // --placement label|hostname
  std::string export_deploy;                   // --deploy STACK: through a manager's Engine API
  std::string swarm_manager;                   // --manager SHIP (default: the first manager)
  // status --stack STACK: the environment running as a Swarm stack
  std::string status_stack;
  // swarm
  std::string swarm_action;  // "label"
  // complete
  std::vector<std::string> tokens;
};

// What the caller should do after parsing.
struct ParseOutcome {
  enum class Kind { kRun, kHelp, kVersion, kUsageError };
  Kind kind = Kind::kRun;
  Options options;
  std::string text;  // help/version text, or the usage error (already formatted)
};

// Every flag of `command` ("-c", "--concurrency", ...), from the same definition the parser
// uses (for shell completion).
std::vector<std::string> FlagNames(Command command);

// Parses argv[1..]. Never throws; usage errors come back as kUsageError (exit 2).
ParseOutcome ParseCommandLine(const std::vector<std::string>& args);

inline constexpr char kVersion[] = "0.9.0";

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_OPTIONS_H_
