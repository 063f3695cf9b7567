#include "maestro/cli/options.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <sstream>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"

namespace maestro::cli {
namespace {

constexpr char kDescription[] =
    "maestro, Docker container orchestrator for many hosts without a cluster "
    "(MaestroNG compatible).";

}  // namespace

const std::vector<CommandInfo>& Commands() {
  //                        command             name       help                               exp
  //                        conc   filt   refr   things
  static const auto* const kCommands = new std::vector<CommandInfo>{
      {Command::kStatus, "status", "display container status", false, true, true, false, true},
      {Command::kPlan, "plan", "show what would change, with reasons, before anything is touched",
       false, true, true, false, true},
      {Command::kUp, "up", "apply the plan: converge the ships to the environment file", false,
       true, true, false, true},
      {Command::kStart, "start", "start services and containers", false, true, true, true, true},
      {Command::kStop, "stop", "stop services and containers", true, true, true, false, true},
      {Command::kKill, "kill", "kill services and containers", true, true, true, false, true},
      {Command::kRestart, "restart", "restart services and containers", true, true, true, true,
       true},
      {Command::kRollback, "rollback",
       "re-create containers from the spec of the container each one replaced", false, true, true,
       false, true},
      {Command::kPull, "pull", "pull container images from registry", false, true, true, false,
       true},
      {Command::kClean, "clean", "remove stopped containers", false, true, true, false, true},
      {Command::kLogs, "logs", "show logs of containers, merged across ships", false, false, false,
       false, true},
      {Command::kEvents, "events", "show the Docker events of the environment's containers", false,
       false, true, false, true},
      {Command::kExec, "exec", "run a command in containers: exec THING... -- COMMAND...", false,
       false, true, false, true},
      {Command::kDeptree, "deptree", "show the dependency tree", false, false, false, false, true},
      {Command::kDump, "dump", "dump the resolved environment as JSON", false, false, false, false,
       true},
      {Command::kExport, "export",
       "export the environment for another orchestrator: export swarm (a stack file)", false, false,
       false, false, true},
      {Command::kSwarm, "swarm",
       "swarm label: label each Swarm node with its ship, for the exported stack's placement",
       false, false, false, false, false},
      {Command::kLock, "lock", "show (status) or break the deploy lock", false, false, false, false,
       true},
      {Command::kComplete, "complete", "shell auto-completion helper", false, false, false, false,
       false},
  };
  return *kCommands;
}

const CommandInfo* FindCommand(absl::string_view name) {
  for (const CommandInfo& info : Commands()) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

const char* CommandName(Command command) {
  for (const CommandInfo& info : Commands()) {
    if (info.command == command) return info.name;
  }
  return "?";
}

bool IsStopLike(Command command) {
  for (const CommandInfo& info : Commands()) {
    if (info.command == command) return info.expandable;
  }
  return false;
}

bool ReportsTimings(Command command) {
  switch (command) {
    case Command::kUp:
    case Command::kStart:
    case Command::kStop:
    case Command::kKill:
    case Command::kRestart:
    case Command::kRollback:
      return true;
    default:
      return false;
  }
}

bool TakesDeployLock(Command command) {
  switch (command) {
    case Command::kUp:
    case Command::kStart:
    case Command::kStop:
    case Command::kKill:
    case Command::kRestart:
    case Command::kRollback:
    case Command::kClean:
      return true;
    default:
      return false;
  }
}

namespace {

// Everything the parser fills in besides Options.
struct Extras {
  bool version = false;
  bool color = false;
  bool no_color = false;
  std::string format = "text";
  std::vector<std::pair<CLI::App*, Command>> subs;
};

std::unique_ptr<CLI::App> BuildApp(Options& o, Extras& x) {
  auto app_ptr = std::make_unique<CLI::App>(kDescription, "maestro");
  CLI::App& app = *app_ptr;
  app.require_subcommand(1);
  app.fallthrough(false);
  app.set_help_flag("-h,--help", "show this help message and exit");
  app.add_option("-f,--file", o.file,
                 "read environment description from FILE (use - for stdin); "
                 "default maestro.yaml")
      ->type_name("FILE");
  app.add_flag("-v,--version", x.version, "show program's version number and exit");
  auto* color_opt = app.add_flag("--color", x.color, "force colours on");
  app.add_flag("--no-color", x.no_color, "force colours off (NO_COLOR also works)")
      ->excludes(color_opt);

  for (const CommandInfo& info : Commands()) {
    CLI::App* sub = app.add_subcommand(info.name, info.help);
    sub->set_help_flag("-h,--help", "show this help message and exit");
    x.subs.emplace_back(sub, info.command);
    if (info.command == Command::kLock) {  // before the things: `lock status web`
      sub->add_option("action", o.lock_action, "status: who holds it; break: remove it")
          ->required()
          ->check(CLI::IsMember({"status", "break"}));
    }
    if (info.command == Command::kSwarm) {
      sub->add_option("action", o.swarm_action, "label: set maestro.ship on each ship's node")
          ->required()
          ->check(CLI::IsMember({"label"}));
    }
    if (info.command == Command::kExport) {  // before the things: `export swarm web`
      sub->add_option("target", o.export_target, "swarm: a Compose stack file for Docker Swarm")
          ->required()
          ->check(CLI::IsMember({"swarm"}));
    }
    if (info.takes_things) {
      sub->add_option("thing", o.things, "container(s) or service(s) to act on");
    }
    if (info.expandable) {
      sub->add_flag("-s,--expand-services", o.expand_services,
                    "expand service names to their containers");
      sub->add_flag("-a,--all", o.expand_all, "no arguments means all containers");
    }
    if (info.concurrent) {
      sub->add_option("-c,--concurrency", o.concurrency,
                      "limit how many containers are handled at once")
          ->type_name("LIMIT")
          ->check(CLI::Range(1, 1 << 20));
      sub->add_flag("-d,--with-dependencies", o.with_dependencies,
                    "include dependencies (or dependents, when stopping)");
      sub->add_flag("-i,--ignore-dependencies", o.ignore_dependencies, "ignore dependency order");
    }
    if (info.filterable) {
      sub->add_option("-C,--container-filter", o.container_filter,
                      "only containers whose name matches PATTERN (shell glob)")
          ->type_name("PATTERN");
      sub->add_option("-S,--ship-filter", o.ship_filter,
                      "only containers on ships whose name matches PATTERN (shell glob)")
          ->type_name("PATTERN");
    }
    if (info.refreshable) {
      auto* refresh = sub->add_flag("-r,--refresh-images", o.refresh_images,
                                    "force a pull of the images before starting");
      sub->add_flag("--reuse", o.reuse, "reuse existing containers when they exist")
          ->excludes(refresh);
    }
    if (info.concurrent) {
      sub->add_option("--format", x.format, "output format: text (default) or json")
          ->check(CLI::IsMember({"text", "json"}));
    }
    if (TakesDeployLock(info.command)) {
      sub->add_option("--lock-wait", o.lock_wait,
                      "seconds to wait for another maestro's deploy lock on this environment "
                      "(default $MAESTRO_LOCK_WAIT, else 0: fail at once, naming the holder)")
          ->type_name("SECONDS")
          ->check(CLI::Range(0, 1 << 20));
    }
    if (ReportsTimings(info.command)) {
      sub->add_flag("--timings", o.timings,
                    "after the play, the full timing report: per ship and container the time "
                    "of each phase, and the critical path");
      sub->add_option("--timeline", o.timeline,
                      "write the play's timings to FILE as a self-contained SVG Gantt chart")
          ->type_name("FILE");
    }
    switch (info.command) {
      case Command::kStatus:
        sub->add_flag("-F,--full", o.full, "show the status of each port too");
        sub->add_flag("-H,--show-hosts", o.show_hosts, "show the ship address instead of its name");
        sub->add_flag("-w,--watch", o.watch,
                      "keep watching: a live table driven by the ships' events (Ctrl-C ends)");
        sub->add_option("--stack", o.status_stack,
                        "the environment runs as this Swarm stack (export swarm --deploy): each "
                        "instance's task state and node, from a manager ship")
            ->type_name("STACK");
        sub->add_option("--manager", o.swarm_manager,
                        "with --stack: the ship to ask (default: the first swarm manager)")
            ->type_name("SHIP");
        break;
      case Command::kEvents:
        sub->add_option("--since", o.since,
                        "show events from this time on (RFC 3339, Unix seconds or a duration "
                        "before now: 10m)")
            ->type_name("TIME");
        sub->add_option("--until", o.until, "stop at this time (same forms as --since)")
            ->type_name("TIME");
        sub->add_option("--format", x.format, "output format: text (default) or json (NDJSON)")
            ->check(CLI::IsMember({"text", "json"}));
        break;
      case Command::kExec:
        sub->add_option("-c,--concurrency", o.concurrency,
                        "limit how many containers run the command at once")
            ->type_name("LIMIT")
            ->check(CLI::Range(1, 1 << 20));
        break;
      case Command::kClean:
        sub->add_flag("--networks", o.clean_networks,
                      "also remove this environment's networks that no container uses");
        sub->add_flag("--volumes", o.clean_volumes,
                      "also remove this environment's named volumes that no container uses");
        break;
      case Command::kRestart:
        sub->add_option("--step-delay", o.step_delay,
                        "seconds to wait between containers (rolling restart)")
            ->check(CLI::NonNegativeNumber);
        sub->add_option("--stop-start-delay", o.stop_start_delay,
                        "seconds to wait between stopping and starting each container")
            ->check(CLI::NonNegativeNumber);
        sub->add_flag("--only-if-changed", o.only_if_changed,
                      "only restart containers whose image or configuration changed");
        break;
      case Command::kRollback:
        sub->add_flag("--dry-run", o.dry_run,
                      "say what each container would change back, and touch nothing");
        break;
      case Command::kLogs: {
        sub->add_flag("-f,-F,--follow", o.follow,
                      "follow the logs, across restarts, re-created containers and reconnections");
        sub->add_option("-n,--tail", o.lines, "show only the last LINES lines of each container")
            ->type_name("LINES")
            ->check(CLI::NonNegativeNumber);
        sub->add_flag("-t,--timestamps", o.timestamps, "show timestamps");
        sub->add_option("--since", o.since,
                        "only lines after TIME: RFC 3339, UNIX seconds or relative (10m, 1h30m)")
            ->type_name("TIME");
        sub->add_option("--until", o.until, "only lines before TIME (as --since)")
            ->type_name("TIME");
        sub->add_option("--grep", o.grep, "only lines matching REGEX (ECMAScript syntax)")
            ->type_name("REGEX");
        sub->add_flag("--no-prefix", o.no_prefix, "do not prefix lines with instance@ship");
        auto* out_only = sub->add_flag("--stdout-only", o.stdout_only, "only the stdout stream");
        sub->add_flag("--stderr-only", o.stderr_only, "only the stderr stream")->excludes(out_only);
        sub->add_option("--format", x.format,
                        "output format: text (default) or json (one object a line: time, "
                        "instance, ship, stream, line)")
            ->check(CLI::IsMember({"text", "json"}));
        break;
      }
      case Command::kPlan:
        sub->add_flag("--detailed-exitcode", o.detailed_exitcode,
                      "exit 0 when there is nothing to do, 2 when there are changes, 1 on "
                      "problems");
        sub->add_option("-o,--out", o.plan_out,
                        "save the plan, with a fingerprint of what the ships looked like, to "
                        "FILE")
            ->type_name("FILE");
        sub->add_flag("--refresh", o.refresh,
                      "also ask each image's registry about images the ships have: a tag that "
                      "now points to another digest recreates its containers");
        break;
      case Command::kUp:
        sub->add_flag("--remove-orphans", o.remove_orphans,
                      "stop and remove containers of this environment that the file no longer "
                      "has (default: report them and leave them alone)");
        sub->add_option("--plan", o.plan_in,
                        "apply exactly the plan saved by `plan -o FILE`; refused when a ship "
                        "changed since")
            ->type_name("FILE");
        sub->add_flag("--refresh", o.refresh,
                      "as plan --refresh: pull and recreate what the registry moved on");
        break;
      case Command::kDeptree:
        sub->add_flag("-r,--recursive", o.recursive,
                      "show dependencies recursively (possibly with duplicates); with dot or "
                      "mermaid: the containers, grouped by ship");
        sub->add_option("--format", x.format,
                        "output format: text (default), dot (Graphviz) or mermaid")
            ->check(CLI::IsMember({"text", "dot", "mermaid"}));
        break;
      case Command::kDump:
        sub->add_flag("-c,--config", o.dump_config,
                      "accepted for MaestroNG compatibility: the dump always includes the resolved "
                      "configuration (secrets masked)");
        sub->add_flag("--show-secrets", o.show_secrets,
                      "print secret values in clear (env variables and auditor options whose "
                      "names contain PASSWORD, SECRET, TOKEN or KEY, registry passwords)");
        break;
      case Command::kExport:
        sub->add_option("-o,--out", o.export_out, "write the stack file to FILE (default: stdout)")
            ->type_name("FILE");
        sub->add_flag("--strict", o.export_strict,
                      "fail when anything cannot be exported, instead of reporting it");
        sub->add_option("--relaxed-placement", o.relaxed_placement,
                        "do not pin this service's instances to their ships: Swarm may move "
                        "them, peers reach them through Swarm DNS (repeatable)")
            ->type_name("SERVICE")
            ->allow_extra_args(false);
        sub->add_option("--placement", o.placement,
                        "how services are pinned: label (node.labels.maestro.ship, default) or "
                        "hostname (node.hostname == the ship's ip)")
            ->check(CLI::IsMember({"label", "hostname"}));
        sub->add_option("--deploy", o.export_deploy,
                        "deploy the stack as STACK through a manager ship's Engine API (no "
                        "docker CLI): networks, secrets, services; unchanged ones are left alone")
            ->type_name("STACK");
        sub->add_option("--manager", o.swarm_manager,
                        "with --deploy: the manager ship to deploy through (default: the first "
                        "ship that is a swarm manager)")
            ->type_name("SHIP");
        break;
      case Command::kComplete:
        sub->add_option("tokens", o.tokens, "the words typed so far");
        sub->allow_extras();
        break;
      default:
        break;
    }
  }

  return app_ptr;
}

}  // namespace

std::vector<std::string> FlagNames(Command command) {
  Options o;
  Extras x;
  std::unique_ptr<CLI::App> app = BuildApp(o, x);
  std::vector<std::string> out;
  for (auto& [sub, cmd] : x.subs) {
    if (cmd != command) continue;
    for (const CLI::Option* opt : sub->get_options()) {
      for (const std::string& s : opt->get_snames()) out.push_back("-" + s);
      for (const std::string& l : opt->get_lnames()) out.push_back("--" + l);
    }
  }
  return out;
}

ParseOutcome ParseCommandLine(const std::vector<std::string>& args) {
  ParseOutcome outcome;
  Options& o = outcome.options;
  Extras x;
  std::unique_ptr<CLI::App> app_ptr = BuildApp(o, x);
  CLI::App& app = *app_ptr;
  bool& version = x.version;
  bool& color = x.color;
  bool& no_color = x.no_color;
  std::string& format = x.format;
  auto& subs = x.subs;

  // exec THING... -- COMMAND...: the command is everything after the first "--" (CLI11 would
  // take it as more things).
  std::vector<std::string> parsed_args = args;
  auto dashes = std::find(parsed_args.begin(), parsed_args.end(), "--");
  if (dashes != parsed_args.end() && std::find(parsed_args.begin(), dashes, "exec") != dashes) {
    o.exec_command.assign(dashes + 1, parsed_args.end());
    parsed_args.erase(dashes, parsed_args.end());
  }
  // CLI11 wants argv[0]-less input in reverse order.
  std::vector<std::string> reversed(parsed_args.rbegin(), parsed_args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    outcome.kind = ParseOutcome::Kind::kHelp;
    std::ostringstream out;
    CLI::App* target = &app;
    for (auto& [sub, cmd] : subs) {
      if (sub->parsed()) target = sub;
    }
    out << target->help();
    outcome.text = out.str();
    return outcome;
  } catch (const CLI::ParseError& e) {
    if (version) {
      outcome.kind = ParseOutcome::Kind::kVersion;
      outcome.text = absl::StrCat("maestro ", kVersion, "\n");
      return outcome;
    }
    outcome.kind = ParseOutcome::Kind::kUsageError;
    std::string what = e.what();
    if (e.get_name() == "RequiredError" && app.get_subcommands().empty()) {
      what = "a command is required";
    }
    std::string names;
    for (const CommandInfo& info : Commands()) {
      absl::StrAppend(&names, names.empty() ? "" : ",", info.name);
    }
    outcome.text = absl::StrCat("usage: maestro [-h] [-f FILE] [-v] {", names,
                                "} ...\nmaestro: error: ", what, "\n");
    return outcome;
  }
  if (version) {
    outcome.kind = ParseOutcome::Kind::kVersion;
    outcome.text = absl::StrCat("maestro ", kVersion, "\n");
    return outcome;
  }
  if (color) o.color = true;
  if (no_color) o.color = false;
  o.format = format == "json"      ? OutputFormat::kJson
             : format == "dot"     ? OutputFormat::kDot
             : format == "mermaid" ? OutputFormat::kMermaid
                                   : OutputFormat::kText;
  for (auto& [sub, cmd] : subs) {
    if (sub->parsed()) o.command = cmd;
  }
  if (o.command == Command::kExec && (o.things.empty() || o.exec_command.empty())) {
    outcome.kind = ParseOutcome::Kind::kUsageError;
    outcome.text =
        "usage: maestro exec [-c LIMIT] THING... -- COMMAND [ARG...]\n"
        "maestro: error: exec needs at least one container or service and a command after --\n";
    return outcome;
  }
  if (o.command != Command::kStatus && o.watch) o.watch = false;
  if (o.command == Command::kComplete) {
    for (const std::string& extra : app.get_subcommand("complete")->remaining()) {
      o.tokens.push_back(extra);
    }
  }
  return outcome;
}

}  // namespace maestro::cli
