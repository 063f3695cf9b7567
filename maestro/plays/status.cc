// status and status -F.
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/plays_internal.h"
#include "maestro/ui/table_sink.h"

namespace maestro::plays {

using internal::TagAndId;
using ui::Tone;

namespace {

// The health in Docker's human status: "Up 3 minutes (healthy)" -> "healthy", "(health:
// starting)" -> "starting", "(unhealthy)" -> "unhealthy"; "" without one.
std::string HealthOf(const docker::ContainerSummary& c) {
  if (c.state != "running") return "";
  for (const char* h : {"unhealthy", "healthy"}) {
    if (absl::EndsWith(c.status, absl::StrCat("(", h, ")"))) return h;
  }
  if (absl::EndsWith(c.status, "(health: starting)")) return "starting";
  return "";
}

// Docker's human status ("Up 3 minutes (healthy)", "Exited (1) 2 hours ago", "Created") as
// MaestroNG-style words: "running for 3 minutes", "down for 2 hours", "down".
std::string DescribeState(const docker::ContainerSummary& c) {
  absl::string_view status = c.status;
  if (c.state == "running") {
    absl::string_view rest = status;
    if (absl::ConsumePrefix(&rest, "Up ")) {
      size_t paren = rest.find(" (");
      if (paren != absl::string_view::npos) rest = rest.substr(0, paren);
      return absl::StrCat("running for ", absl::AsciiStrToLower(rest));
    }
    return "running";
  }
  absl::string_view rest = status;
  if (absl::ConsumePrefix(&rest, "Exited (")) {
    size_t close = rest.find(") ");
    if (close != absl::string_view::npos) {
      absl::string_view when = rest.substr(close + 2);
      absl::ConsumeSuffix(&when, " ago");
      return absl::StrCat("down for ", absl::AsciiStrToLower(when));
    }
  }
  return "down";
}

}  // namespace

PlayReport RunStatus(const PlayWorld& world, const std::vector<std::string>& containers,
                     const PlayOptions& options, bool show_hosts, Scheduler& scheduler) {
  PlayReport report;
  report.play = "status";
  ui::ProgressSink& sink = *world.sink;
  std::vector<ui::Row> rows;
  std::map<std::string, std::vector<size_t>> by_ship;  // ship -> rows
  for (size_t i = 0; i < containers.size(); ++i) {
    const model::Instance* inst = world.env->FindInstance(containers[i]);
    const model::Ship* ship = inst ? world.env->FindShip(inst->ship) : nullptr;
    std::string ship_col = ship ? (show_hosts ? ship->ip : ship->name) : "";
    rows.push_back({static_cast<int>(i + 1), containers[i], inst ? inst->service : "", ship_col});
    if (ship != nullptr) by_ship[ship->name].push_back(i);
    report.outcomes.push_back({containers[i], NodeState::kWaiting, "", ""});
  }
  sink.Begin(rows);
  for (size_t i = 0; i < containers.size(); ++i) sink.Pending(i, "checking...");

  // One list call per ship, every ship at once: a slow or dead ship only delays its own rows.
  std::vector<std::string> ships;
  for (const auto& [ship, unused] : by_ship) ships.push_back(ship);
  std::vector<std::vector<size_t>> no_edges(ships.size());
  absl::StatusOr<Plan> plan = Plan::Create(no_edges);
  std::mutex mu;
  auto work = [&](size_t node, const CancellationToken&) -> absl::Status {
    const std::string& ship_name = ships[node];
    const std::vector<size_t>& ship_rows = by_ship[ship_name];
    absl::StatusOr<docker::DockerClient*> client = world.ships->Client(ship_name);
    absl::StatusOr<std::vector<docker::ContainerSummary>> list =
        client.ok() ? (*client)->ListContainers({.all = true}) : client.status();
    std::map<std::string, const docker::ContainerSummary*> by_name;
    if (list.ok()) {
      for (const docker::ContainerSummary& c : *list) by_name[docker::SummaryName(c)] = &c;
    }
    for (size_t row : ship_rows) {
      const model::Instance& inst = *world.env->FindInstance(containers[row]);
      ui::RowResult result;
      result.image = inst.image;
      if (!list.ok()) {
        sink.Container(row, "-", Tone::kNeutral);
        sink.State(row, "host down", Tone::kBad);
        sink.Problem(row, std::string(list.status().message()));
        result.state = "unreachable";
        result.error = std::string(list.status().message());
      } else if (auto it = by_name.find(inst.name); it == by_name.end()) {
        sink.Container(row, TagAndId(inst.image, ""), Tone::kNeutral);
        sink.State(row, "down", Tone::kBad);
        result.state = "absent";
      } else {
        const docker::ContainerSummary& c = *it->second;
        bool running = c.state == "running";
        std::string health = HealthOf(c);
        std::string state = DescribeState(c);
        if (!health.empty()) absl::StrAppend(&state, " (", health, ")");
        sink.Container(row, TagAndId(c.image, c.id), running ? Tone::kGood : Tone::kNeutral);
        sink.State(row, state, running && health != "unhealthy" ? Tone::kGood : Tone::kBad);
        result.health = health;
        result.state = running ? "running" : c.state;
        result.container_id = c.id;
        result.image = c.image;
        result.action = c.status;
      }
      sink.Result(row, result);
      std::lock_guard<std::mutex> lock(mu);
      report.outcomes[row].state = list.ok() ? NodeState::kSucceeded : NodeState::kFailed;
      report.outcomes[row].summary = result.state;
      report.outcomes[row].error = result.error;
    }
    return list.ok() ? absl::OkStatus() : list.status();
  };
  if (plan.ok()) scheduler.Run(*plan, work);
  report.interrupted = scheduler.cancelled();
  sink.End();
  // A ship that cannot be reached is reported, not a failure of the command (MaestroNG: a
  // "host down" status exits 0); interrupted status exits 130.
  for (ContainerOutcome& o : report.outcomes) {
    if (o.state == NodeState::kFailed) o.state = NodeState::kSucceeded;
    if (o.state == NodeState::kWaiting) o.state = NodeState::kCancelled;
  }
  return report;
}

PlayReport RunFullStatus(const PlayWorld& world, const std::vector<std::string>& containers,
                         bool color, FILE* out, Scheduler& scheduler) {
  PlayReport report;
  report.play = "status";
  std::vector<std::string> text(containers.size());
  std::vector<std::vector<size_t>> no_edges(containers.size());
  absl::StatusOr<Plan> plan = Plan::Create(no_edges);
  auto work = [&](size_t i, const CancellationToken&) -> absl::Status {
    const model::Instance& inst = *world.env->FindInstance(containers[i]);
    const model::Ship& ship = *world.env->FindShip(inst.ship);
    ui::FullStatus status;
    status.row = {static_cast<int>(i + 1), inst.name, inst.service, ship.name};
    status.image = inst.image;
    absl::StatusOr<docker::DockerClient*> client = world.ships->Client(ship.name);
    absl::StatusOr<docker::ContainerInspect> inspect =
        client.ok() ? (*client)->InspectContainer(inst.name)
                    : absl::StatusOr<docker::ContainerInspect>(client.status());
    if (!inspect.ok() && inspect.status().code() != absl::StatusCode::kNotFound) {
      status.reachable = false;
      status.problem = std::string(inspect.status().message());
      text[i] = ui::RenderFullStatus(status, color);
      return absl::OkStatus();
    }
    status.exists = inspect.ok();
    status.running = status.exists && inspect->state.running;
    if (status.exists) {
      status.container = TagAndId(inspect->config_image, inspect->id);
      status.image_id = inspect->image_id;
      status.since =
          ui::TimeAgo(docker::ParseDockerTime(status.running ? inspect->state.started_at
                                                             : inspect->state.finished_at),
                      world.clock->Now());
    }
    for (const model::Port& port : inst.ports) {
      ui::FullStatus::PortState state;
      state.name = port.name;
      state.external = port.external.ToString();
      if (port.external.protocol == "tcp" && status.running && world.ports != nullptr) {
        state.up = world.ports->Accepts(ship.ip, port.external.first, absl::Seconds(1));
      }
      status.ports.push_back(std::move(state));
    }
    text[i] = ui::RenderFullStatus(status, color);
    return absl::OkStatus();
  };
  if (plan.ok()) scheduler.Run(*plan, work);
  for (size_t i = 0; i < containers.size(); ++i) {
    std::fputs(text[i].c_str(), out);
    report.outcomes.push_back(
        {containers[i], text[i].empty() ? NodeState::kCancelled : NodeState::kSucceeded, "", ""});
  }
  std::fflush(out);
  report.interrupted = scheduler.cancelled();
  return report;
}

}  // namespace maestro::plays
