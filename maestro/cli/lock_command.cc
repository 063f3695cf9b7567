#include "maestro/cli/lock_command.h"

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/graph/fnmatch.h"

namespace maestro::cli {
namespace {

// The ships (sorted, once each) of the containers `options` targets.
absl::StatusOr<std::set<std::string>> TargetShips(const model::Environment& env,
                                                  const Options& options) {
  absl::StatusOr<std::vector<std::string>> containers = ResolveCommandThings(env, options);
  if (!containers.ok()) return containers.status();
  std::set<std::string> ships;
  for (const std::string& name : *containers) {
    const model::Instance* instance = env.FindInstance(name);
    if (instance != nullptr) ships.insert(instance->ship);
  }
  // `up` of the whole environment may remove orphans on every ship -S lets through.
  if (options.command == Command::kUp && options.things.empty() &&
      options.container_filter.empty()) {
    for (const model::Ship& ship : env.ships) {
      if (options.ship_filter.empty() || graph::FnMatch(ship.name, options.ship_filter)) {
        ships.insert(ship.name);
      }
    }
  }
  return ships;
}

}  // namespace

absl::StatusOr<int> LockWaitFromEnvironment(const char* value) {
  if (value == nullptr || *value == '\0') return 0;
  int seconds = 0;
  if (!absl::SimpleAtoi(value, &seconds) || seconds < 0 || seconds > (1 << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("MAESTRO_LOCK_WAIT: not a number of seconds: '", value, "'"));
  }
  return seconds;
}

lock::Holder CurrentHolder(const Options& options) {
  lock::Holder holder;
  for (const char* var : {"USER", "LOGNAME"}) {
    const char* value = std::getenv(var);
    if (value != nullptr && *value != '\0') {
      holder.owner = value;
      break;
    }
  }
  if (holder.owner.empty()) holder.owner = absl::StrCat("uid ", getuid());
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) holder.host = host;
  holder.pid = getpid();
  holder.command = CommandName(options.command);
  for (const std::string& thing : options.things) absl::StrAppend(&holder.command, " ", thing);
  if (holder.command.size() > 200) holder.command = holder.command.substr(0, 197) + "...";
  return holder;
}

std::optional<int> RunUpIfNothingToDo(const plays::PlayWorld& world, const Options& options,
                                      plays::Scheduler& scheduler, bool color, const Streams& io) {
  if (options.command != Command::kUp || !options.plan_in.empty()) return std::nullopt;
  std::map<std::string, plays::ShipLive> live;
  absl::StatusOr<plays::ConvergencePlan> plan =
      ComputeCommandPlan(world, options, scheduler, &live);
  if (!plan.ok() || !plan->problems.empty() || plan->HasChanges()) return std::nullopt;
  const std::string lease = "/" + lock::LeaseName(world.env->name);
  for (const auto& [ship, state] : live) {
    if (!state.reachable.ok()) return std::nullopt;
    for (const docker::ContainerSummary& c : state.containers) {
      for (const std::string& name : c.names) {
        if (name == lease) return std::nullopt;
      }
    }
  }
  return ApplyUpPlan(world, options, *plan, scheduler, color, io);
}

absl::StatusOr<std::unique_ptr<lock::DeployLock>> TakeDeployLock(
    const plays::PlayWorld& world, const Options& options, const lock::Holder& holder,
    const std::atomic<bool>* cancel, const Streams& io, const lock::LockOptions& lock_options) {
  absl::StatusOr<std::set<std::string>> names = TargetShips(*world.env, options);
  if (!names.ok()) return std::unique_ptr<lock::DeployLock>();
  auto notice = [&io](const std::string& line) {
    std::fprintf(io.err, "maestro: %s\n", line.c_str());
    std::fflush(io.err);
  };
  std::vector<lock::LockShip> ships;
  for (const std::string& name : *names) {
    absl::StatusOr<docker::DockerClient*> client = world.ships->Client(name);
    if (!client.ok()) {
      notice(absl::StrCat(name, ": not locked (", client.status().message(), ")"));
      continue;
    }
    ships.push_back({name, *client});
  }
  lock::LockOptions o = lock_options;
  o.wait = absl::Seconds(options.lock_wait.value_or(0));
  return lock::DeployLock::Acquire(std::move(ships), world.env->name, holder, o, world.clock,
                                   cancel, notice);
}

int RunLock(const plays::PlayWorld& world, const Options& options, const Streams& io) {
  Options resolve = options;
  resolve.command = Command::kStatus;  // no things: every container, omitted ones too
  absl::StatusOr<std::set<std::string>> names = TargetShips(*world.env, resolve);
  if (!names.ok()) {
    std::fprintf(io.err, "maestro: error: %s\n", std::string(names.status().message()).c_str());
    return kExitUsage;
  }
  const bool do_break = options.lock_action == "break";
  int code = kExitOk;
  for (const std::string& ship : *names) {
    absl::StatusOr<docker::DockerClient*> client = world.ships->Client(ship);
    absl::StatusOr<std::optional<lock::Lease>> lease =
        !client.ok() ? absl::StatusOr<std::optional<lock::Lease>>(client.status())
        : do_break   ? lock::BreakLease(**client, world.env->name)
                     : lock::ReadLease(**client, world.env->name);
    if (!lease.ok()) {
      std::fprintf(io.err, "maestro: error: %s: %s\n", ship.c_str(),
                   std::string(lease.status().message()).c_str());
      code = kExitFailed;
      continue;
    }
    const absl::Time now = world.clock->Now();
    if (!lease->has_value()) {
      std::fprintf(io.out, "%s: %s\n", ship.c_str(), do_break ? "not locked" : "free");
    } else if (do_break) {
      std::fprintf(io.out, "%s: broke the lock held by %s\n", ship.c_str(),
                   lock::DescribeLease(**lease, now).c_str());
    } else if ((*lease)->Expired(now)) {
      std::fprintf(io.out, "%s: free (the lease of %s; the next command takes it over)\n",
                   ship.c_str(), lock::DescribeLease(**lease, now).c_str());
    } else {
      std::fprintf(io.out, "%s: locked by %s\n", ship.c_str(),
                   lock::DescribeLease(**lease, now).c_str());
    }
  }
  return FinishOutput(io, code);
}

}  // namespace maestro::cli
