#include "maestro/cli/commands.h"

#include <errno.h>
#include <string.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "maestro/cli/logs_command.h"
#include "maestro/config/dump.h"
#include "maestro/graph/dep_graph_render.h"
#include "maestro/graph/graph.h"
#include "maestro/plays/logs.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/resources.h"
#include "maestro/ui/json_sink.h"
#include "maestro/ui/table_sink.h"
#include "maestro/ui/timeline_svg.h"
#include "maestro/ui/timings.h"

namespace maestro::cli {

absl::StatusOr<std::vector<std::string>> ResolveCommandThings(const model::Environment& env,
                                                              const Options& options) {
  std::vector<std::string> things = options.things;
  // dump always includes dependencies (MaestroNG), with or without things.
  bool with_dependencies = options.with_dependencies || options.command == Command::kDump;
  if (things.empty()) {
    for (const model::Service& s : env.services) {
      if (options.command == Command::kStatus || !s.omit) things.push_back(s.name);
    }
    if (options.command == Command::kDeptree || options.command == Command::kDump) {
      with_dependencies = true;
    } else {
      with_dependencies = !options.ignore_dependencies;
    }
  }
  // Only stop, kill and restart need -s/-a to expand services (MaestroNG 0.5.0); -a implies -s.
  bool expand = !IsStopLike(options.command) || options.expand_services || options.expand_all;
  bool forward = !IsStopLike(options.command);
  return graph::ResolveThings(env, things, expand, options.container_filter, options.ship_filter,
                              with_dependencies, forward);
}

std::vector<std::string> Completions(const model::Environment* env,
                                     const std::vector<std::string>& tokens) {
  // The shell hands the whole line as words; the last word is the one being completed.
  std::vector<std::string> words;
  for (const std::string& t : tokens) {
    for (absl::string_view w : absl::StrSplit(t, ' ', absl::SkipEmpty())) {
      words.emplace_back(w);
    }
  }
  if (!tokens.empty() && !tokens.back().empty() && tokens.back().back() == ' ') {
    words.emplace_back("");  // completing a new, empty word
  }
  if (words.empty()) words.emplace_back("");
  const std::string current = words.back();
  // Positional words before the current one, without the program name and flags.
  static const std::set<std::string> kTakesValue = {"-f",           "--file",
                                                    "-c",           "--concurrency",
                                                    "-C",           "--container-filter",
                                                    "-S",           "--ship-filter",
                                                    "-n",           "--format",
                                                    "--step-delay", "--stop-start-delay",
                                                    "-o",           "--out",
                                                    "--lock-wait",  "--tail",
                                                    "--since",      "--until",
                                                    "--grep",       "--plan"};
  std::vector<std::string> positional;
  for (size_t i = 1; i + 1 < words.size(); ++i) {
    if (kTakesValue.count(words[i])) {
      ++i;  // skip the option's value
      continue;
    }
    if (!absl::StartsWith(words[i], "-")) positional.push_back(words[i]);
  }
  std::vector<std::string> out;
  auto offer = [&](const std::string& word) {
    if (absl::StartsWith(word, current)) out.push_back(word);
  };
  if (positional.empty()) {
    if (absl::StartsWith(current, "-")) {
      for (const char* f : {"-f", "--file", "-h", "--help", "-v", "--version", "--color",
                            "--no-color", "--verbose"}) {
        offer(f);
      }
    } else {
      for (const CommandInfo& c : Commands()) {
        if (c.command != Command::kComplete) offer(c.name);
      }
    }
    return out;
  }
  const CommandInfo* command = FindCommand(positional.front());
  if (command == nullptr || !command->takes_things) return out;
  if (absl::StartsWith(current, "-")) {
    std::vector<std::string> flags = FlagNames(command->command);
    for (const std::string& f : flags) offer(f);
    return out;
  }
  if (command->command == Command::kLock && positional.size() == 1) {
    for (const char* action : {"status", "break"}) offer(action);
    return out;
  }
  if (command->command == Command::kExport && positional.size() == 1) {
    offer("swarm");
    return out;
  }
  if (command->command == Command::kSwarm) {
    if (positional.size() == 1) offer("label");
    return out;
  }
  if (env == nullptr) return out;
  std::set<std::string> already(positional.begin() + 1, positional.end());
  for (const model::Service& s : env->services) {
    if (!already.count(s.name)) offer(s.name);
  }
  for (const model::Instance& i : env->instances) {
    if (!already.count(i.name)) offer(i.name);
  }
  return out;
}

int FinishOutput(const Streams& io, int code) {
  errno = 0;
  const bool flushed = std::fflush(io.out) == 0;
  const int err = errno;
  if (flushed && !std::ferror(io.out)) return code;
  std::fprintf(io.err, "maestro: error: cannot write the output: %s\n",
               !flushed && err != 0 ? strerror(err) : "write error");
  return code == kExitOk ? kExitFailed : code;
}

int RunDeptree(const model::Environment& env, const Options& options, const Streams& io) {
  std::vector<std::string> things = options.things;
  if (things.empty()) {
    // Like every command but status, no things means every service that is not omitted.
    for (const model::Service& s : env.services) {
      if (!s.omit) things.push_back(s.name);
    }
    std::sort(things.begin(), things.end());
  }
  absl::StatusOr<std::string> tree =
      options.format == OutputFormat::kDot || options.format == OutputFormat::kMermaid
          ? graph::RenderDepGraph(env, things, options.recursive,
                                  options.format == OutputFormat::kDot
                                      ? graph::DepGraphFormat::kDot
                                      : graph::DepGraphFormat::kMermaid)
          : graph::RenderDepTree(env, things, options.recursive);
  if (!tree.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n", std::string(tree.status().message()).c_str());
    return kExitUsage;
  }
  std::fputs(tree->c_str(), io.out);
  return FinishOutput(io, kExitOk);
}

int RunDump(const model::Environment& env, const Options& options, const Streams& io) {
  absl::StatusOr<std::vector<std::string>> containers = ResolveCommandThings(env, options);
  if (!containers.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n",
                 std::string(containers.status().message()).c_str());
    return kExitUsage;
  }
  // Streamed: the output grows with the square of the containers (link variables), memory
  // must not.
  bool write_failed = false;
  int write_errno = 0;
  absl::Status written = config::WriteDump(
      env, *containers, {.show_secrets = options.show_secrets}, [&](absl::string_view piece) {
        errno = 0;
        if (std::fwrite(piece.data(), 1, piece.size(), io.out) == piece.size()) return true;
        write_failed = true;
        write_errno = errno;
        return false;
      });
  if (write_failed) {
    std::fprintf(io.err, "maestro: error: cannot write the output: %s\n",
                 write_errno != 0 ? strerror(write_errno) : "write error");
    return kExitFailed;
  }
  if (!written.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n", std::string(written.message()).c_str());
    return kExitFailed;
  }
  return FinishOutput(io, kExitOk);
}

int ReportTimings(const ui::PlayTimings& timings, const Options& options, int code,
                  const Streams& io) {
  if (options.format == OutputFormat::kText) {
    std::string text =
        options.timings ? ui::FormatTimingReport(timings) : ui::FormatTimingSummary(timings);
    std::fprintf(io.out, "\n%s", text.c_str());
  }
  if (options.timeline.empty()) return code;
  const std::string svg = ui::RenderTimelineSvg(timings);
  errno = 0;
  FILE* f = std::fopen(options.timeline.c_str(), "w");
  bool ok = f != nullptr && std::fwrite(svg.data(), 1, svg.size(), f) == svg.size();
  int err = errno;
  if (f != nullptr && std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    std::fprintf(io.err, "maestro: error: cannot write the timeline %s: %s\n",
                 options.timeline.c_str(), err != 0 ? strerror(err) : "write error");
    return code == kExitOk ? kExitFailed : code;
  }
  return code;
}

std::unique_ptr<ui::ProgressSink> MakePlaySink(const Options& options, bool color,
                                               const Streams& io) {
  if (options.format == OutputFormat::kJson) {
    return std::make_unique<ui::JsonSink>(io.out, CommandName(options.command));
  }
  ui::TerminalInfo terminal = ui::DetectTerminal(fileno(io.out), nullptr);
  terminal.color = color;
  return std::make_unique<ui::TableSink>(io.out, terminal);
}

void PrintPlayFailures(const plays::PlayReport& report, const Options& options, const Streams& io) {
  if (report.ExitCode() == kExitOk || options.format != OutputFormat::kText) return;
  std::string summary = report.FailureSummary();
  std::fprintf(io.err, "\n%s %s: %d of %zu container(s) did not complete:\n%s",
               report.interrupted ? "Interrupted" : "Failed", CommandName(options.command),
               static_cast<int>(report.outcomes.size() - static_cast<size_t>(report.succeeded())),
               report.outcomes.size(), summary.c_str());
}

// clean --networks / --volumes, on every ship of `containers`: prints what was removed and
// what was kept (in use). False when a ship could not be asked.
namespace {

bool CleanNetworksAndVolumes(const plays::PlayWorld& world,
                             const std::vector<std::string>& containers, const Options& options,
                             const Streams& io) {
  std::set<std::string> ships;
  for (const std::string& name : containers) {
    if (const model::Instance* inst = world.env->FindInstance(name)) ships.insert(inst->ship);
  }
  bool ok = true;
  for (const std::string& ship : ships) {
    absl::StatusOr<docker::DockerClient*> client = world.ships->Client(ship);
    absl::StatusOr<plays::CleanedResources> cleaned =
        client.ok() ? plays::CleanResources(*world.env, **client, options.clean_networks,
                                            options.clean_volumes)
                    : absl::StatusOr<plays::CleanedResources>(client.status());
    if (!cleaned.ok()) {
      std::fprintf(io.err, "maestro: error: %s: %s\n", ship.c_str(),
                   std::string(cleaned.status().message()).c_str());
      ok = false;
      continue;
    }
    for (const std::string& r : cleaned->removed) {
      std::fprintf(io.out, "%s: removed %s\n", ship.c_str(), r.c_str());
    }
    for (const std::string& k : cleaned->kept) {
      std::fprintf(io.out, "%s: kept %s\n", ship.c_str(), k.c_str());
    }
  }
  return ok;
}

}  // namespace

int RunPlayCommand(const plays::PlayWorld& world_in, const Options& options,
                   plays::Scheduler& scheduler, bool color, const Streams& io) {
  absl::StatusOr<std::vector<std::string>> containers =
      ResolveCommandThings(*world_in.env, options);
  if (!containers.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n",
                 std::string(containers.status().message()).c_str());
    return kExitUsage;
  }
  plays::PlayWorld world = world_in;
  std::unique_ptr<ui::ProgressSink> sink = MakePlaySink(options, color, io);
  world.sink = sink.get();

  plays::PlayOptions play;
  play.concurrency = options.concurrency.value_or(0);
  play.ignore_dependencies = options.ignore_dependencies;
  play.refresh_images = options.refresh_images;
  play.reuse = options.reuse;
  play.step_delay = options.step_delay;
  play.stop_start_delay = options.stop_start_delay;
  play.only_if_changed = options.only_if_changed;

  plays::PlayReport report;
  switch (options.command) {
    case Command::kStatus:
      if (options.full && options.format == OutputFormat::kText) {
        report = plays::RunFullStatus(world, *containers, color, io.out, scheduler);
      } else {
        report = plays::RunStatus(world, *containers, play, options.show_hosts, scheduler);
      }
      break;
    case Command::kStart:
      report = plays::RunStart(world, *containers, play, scheduler);
      break;
    case Command::kStop:
      report = plays::RunStop(world, *containers, play, scheduler);
      break;
    case Command::kKill:
      report = plays::RunKill(world, *containers, play, scheduler);
      break;
    case Command::kRestart:
      report = plays::RunRestart(world, *containers, play, scheduler);
      break;
    case Command::kPull:
      report = plays::RunPull(world, *containers, play, scheduler);
      break;
    case Command::kClean:
      report = plays::RunClean(world, *containers, play, scheduler);
      if (options.clean_networks || options.clean_volumes) {
        if (!CleanNetworksAndVolumes(world, *containers, options, io))
          report.outcomes.push_back(
              {"(networks and volumes)", plays::NodeState::kFailed, "", "see above"});
      }
      break;
    default:
      std::fprintf(io.err, "maestro: error: %s is not a play\n", CommandName(options.command));
      return kExitUsage;
  }
  int code = report.ExitCode();
  if (!report.timings.empty()) code = ReportTimings(report.timings, options, code, io);
  PrintPlayFailures(report, options, io);
  return FinishOutput(io, code);
}

int RunLogs(const plays::PlayWorld& world, const Options& options, const std::atomic<bool>* cancel,
            const Streams& io, bool color) {
  Options resolved = options;
  resolved.ignore_dependencies = true;
  // No things: every container of the environment's services (omitted ones excluded).
  absl::StatusOr<std::vector<std::string>> containers = ResolveCommandThings(*world.env, resolved);
  if (containers.ok() && containers->empty()) {
    containers = absl::InvalidArgumentError("no containers to show the logs of");
  }
  if (!containers.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n",
                 std::string(containers.status().message()).c_str());
    return kExitUsage;
  }
  // One container named alone keeps the single-container output (byte for byte).
  if (containers->size() != 1 || WantsMergedLogs(options)) {
    return RunMergedLogs(world, options, *containers, color, cancel, io);
  }
  plays::LogsRequest request;
  request.container = containers->front();
  request.lines = options.lines;
  request.timestamps = options.timestamps;
  request.follow = options.follow;
  auto print = [&](docker::StdStream stream, absl::string_view data) {
    FILE* f = stream == docker::StdStream::kStderr ? io.err : io.out;
    std::fwrite(data.data(), 1, data.size(), f);
    // A failed write (a full disk) ends the output; FinishOutput reports it.
    return std::fflush(f) == 0 && !std::ferror(f);
  };
  auto notice = [&](const std::string& text) { std::fprintf(io.err, "%s\n", text.c_str()); };
  absl::Status status = plays::RunLogs(world, request, print, notice, cancel);
  if (status.code() == absl::StatusCode::kCancelled) return FinishOutput(io, kExitInterrupted);
  if (!status.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n", std::string(status.message()).c_str());
    return FinishOutput(io, kExitFailed);
  }
  return FinishOutput(io, kExitOk);
}

}  // namespace maestro::cli
