#include "maestro/lock/deploy_lock.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "maestro/base/status_macros.h"
#include "maestro/docker/docker_types.h"
#include "maestro/docker/short_id.h"

namespace maestro::lock {
namespace {

using nlohmann::json;

constexpr char kEnv[] = "maestro.lock.env";
constexpr char kRole[] = "maestro.lock.role";
constexpr char kToken[] = "maestro.lock.token";
constexpr char kOwner[] = "maestro.lock.owner";
constexpr char kHost[] = "maestro.lock.host";
constexpr char kPid[] = "maestro.lock.pid";
constexpr char kCommand[] = "maestro.lock.command";
constexpr char kAcquired[] = "maestro.lock.acquired";
constexpr char kExpires[] = "maestro.lock.expires";
constexpr char kRoleLease[] = "lease";
constexpr char kRoleRenewal[] = "renewal";

std::string FormatLabelTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string Label(const std::map<std::string, std::string>& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

std::string NewToken() {
  std::random_device device;
  std::mt19937_64 gen((static_cast<uint64_t>(device()) << 32) ^ device());
  return absl::StrFormat("%016x", gen());
}

// Removes a lease's renewals, then the lease, by id; already gone is fine.
absl::Status RemoveLease(docker::DockerClient& ship, const Lease& lease) {
  docker::RemoveContainerOptions remove;
  remove.force = true;
  for (const std::string& id : lease.renewal_ids) {
    absl::Status s = ship.RemoveContainer(id, remove);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  absl::Status s = ship.RemoveContainer(lease.id, remove);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  return absl::OkStatus();
}

absl::Status RemoveById(docker::DockerClient& ship, const std::string& id) {
  if (id.empty()) return absl::OkStatus();
  docker::RemoveContainerOptions remove;
  remove.force = true;
  absl::Status s = ship.RemoveContainer(id, remove);
  return absl::IsNotFound(s) ? absl::OkStatus() : s;
}

}  // namespace

std::string LeaseName(absl::string_view env) {
  std::string out = "maestro-lock.";
  if (env.empty()) env = "_";
  for (char c : env) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    out.push_back(ok ? c : '_');
  }
  return out;
}

std::string DescribeLease(const Lease& lease, absl::Time now) {
  if (lease.foreign) {
    return absl::StrCat("a container named ", LeaseName(lease.env), " (", docker::ShortId(lease.id),
                        ") that is not a maestro lease");
  }
  std::string out = absl::StrCat(lease.holder.owner.empty() ? "?" : lease.holder.owner, "@",
                                 lease.holder.host.empty() ? "?" : lease.holder.host, " (pid ",
                                 lease.holder.pid, ", `maestro ", lease.holder.command, "`)");
  if (lease.acquired != absl::InfinitePast()) {
    absl::StrAppend(&out, " since ",
                    absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", lease.acquired, absl::UTCTimeZone()));
  }
  absl::Duration left = absl::Trunc(lease.expires - now, absl::Seconds(1));
  if (lease.expires == absl::InfinitePast()) {
    absl::StrAppend(&out, ", no valid expiry");
  } else if (lease.Expired(now)) {
    absl::StrAppend(&out, ", expired ", absl::FormatDuration(-left), " ago");
  } else {
    absl::StrAppend(&out, ", expires in ", absl::FormatDuration(left));
  }
  return out;
}

std::string LockImageTar() {
  // One ustar header for an empty regular file, then the two zero blocks that end an archive.
  std::string header(512, '\0');
  auto put = [&header](size_t offset, absl::string_view text) {
    std::copy(text.begin(), text.end(), header.begin() + offset);
  };
  put(0, "maestro-lock");
  put(100, "0000644");
  put(108, "0000000");
  put(116, "0000000");
  put(124, "00000000000");
  put(136, "00000000000");
  put(148, "        ");  // the checksum counts its own field as spaces
  put(156, "0");
  put(257, "ustar");
  put(263, "00");
  unsigned sum = 0;
  for (char c : header) sum += static_cast<unsigned char>(c);
  char checksum[8];
  std::snprintf(checksum, sizeof checksum, "%06o", sum);
  put(148, absl::string_view(checksum, 6));
  header[154] = '\0';
  header[155] = ' ';
  return header + std::string(1024, '\0');
}

absl::StatusOr<std::optional<Lease>> ReadLease(docker::DockerClient& ship, absl::string_view env) {
  absl::StatusOr<docker::ContainerInspect> c = ship.InspectContainer(LeaseName(env));
  if (absl::IsNotFound(c.status())) return std::optional<Lease>();
  if (!c.ok()) return c.status();
  Lease lease;
  lease.env = std::string(env);
  lease.id = c->id;
  lease.token = Label(c->labels, kToken);
  if (Label(c->labels, kRole) != kRoleLease || lease.token.empty()) {
    lease.foreign = true;
    lease.expires = absl::InfiniteFuture();
    return std::optional<Lease>(std::move(lease));
  }
  lease.holder.owner = Label(c->labels, kOwner);
  lease.holder.host = Label(c->labels, kHost);
  lease.holder.command = Label(c->labels, kCommand);
  int64_t pid = 0;
  if (absl::SimpleAtoi(Label(c->labels, kPid), &pid)) lease.holder.pid = pid;
  lease.acquired = docker::ParseDockerTime(Label(c->labels, kAcquired));
  lease.expires = docker::ParseDockerTime(Label(c->labels, kExpires));
  docker::ListContainersOptions list;
  list.all = true;
  list.labels = {absl::StrCat(kToken, "=", lease.token), absl::StrCat(kRole, "=", kRoleRenewal)};
  MAESTRO_ASSIGN_OR_RETURN(std::vector<docker::ContainerSummary> renewals,
                           ship.ListContainers(list));
  for (const docker::ContainerSummary& r : renewals) {
    lease.renewal_ids.push_back(r.id);
    lease.expires = std::max(lease.expires, docker::ParseDockerTime(Label(r.labels, kExpires)));
  }
  return std::optional<Lease>(std::move(lease));
}

absl::StatusOr<std::optional<Lease>> BreakLease(docker::DockerClient& ship, absl::string_view env) {
  MAESTRO_ASSIGN_OR_RETURN(std::optional<Lease> lease, ReadLease(ship, env));
  if (!lease) return lease;
  if (lease->foreign) {
    return absl::FailedPreconditionError(
        absl::StrCat(ship.Describe(), ": ", DescribeLease(*lease, absl::InfinitePast()),
                     " holds the lock's name; maestro leaves it alone"));
  }
  MAESTRO_RETURN_IF_ERROR(RemoveLease(ship, *lease));
  return lease;
}

DeployLock::DeployLock(std::string env, Holder holder, LockOptions options, Clock* clock)
    : env_(std::move(env)),
      holder_(std::move(holder)),
      options_(options),
      clock_(clock),
      token_(NewToken()) {}

DeployLock::~DeployLock() { (void)Release(); }

json DeployLock::Body(absl::string_view role, absl::Time expires) const {
  json labels = {{kEnv, env_},
                 {kRole, std::string(role)},
                 {kToken, token_},
                 {kOwner, holder_.owner},
                 {kHost, holder_.host},
                 {kPid, std::to_string(holder_.pid)},
                 {kCommand, holder_.command},
                 {kAcquired, FormatLabelTime(acquired_)},
                 {kExpires, FormatLabelTime(expires)}};
  // Never started: the command only has to exist for the create to be accepted.
  return {{"Image", absl::StrCat(kLockImageRepo, ":", kLockImageTag)},
          {"Cmd", {"/maestro-lock"}},
          {"Labels", labels},
          {"NetworkDisabled", true},
          {"HostConfig", {{"NetworkMode", "none"}}}};
}

absl::StatusOr<std::optional<Lease>> DeployLock::TryTake(Held& held) {
  // Each round either takes the lease, finds it live, or clears one expired lease: a few
  // takeovers are plenty unless other maestros keep taking it over between our calls.
  //
  // A daemon still removing a released lease refuses the name (409) while an inspect by name
  // already says "no such container"; under load that lasts long enough for many quick rounds.
  // Such a round is not a change of hands: it backs off (20 ms doubling to 500 ms, on the
  // clock) for up to kVanishingBound before giving up.
  constexpr absl::Duration kVanishingBound = absl::Seconds(15);
  int takeovers = 0;
  absl::Duration backoff = absl::Milliseconds(20);
  const absl::Time vanishing_deadline = clock_->Now() + kVanishingBound;
  while (takeovers < 8) {
    acquired_ = clock_->Now();
    absl::StatusOr<docker::CreateContainerResult> created =
        held.client->CreateContainer(LeaseName(env_), Body(kRoleLease, acquired_ + options_.ttl));
    if (created.ok()) {
      held.lease_id = created->id;
      return std::optional<Lease>();
    }
    if (absl::IsNotFound(created.status()) && !held.image_imported) {
      // No lock image on this ship yet: make it from nothing (idempotent), then try again.
      held.image_imported = true;
      MAESTRO_RETURN_IF_ERROR(
          held.client->ImportImage(kLockImageRepo, kLockImageTag, LockImageTar()));
      continue;
    }
    if (!absl::IsAlreadyExists(created.status())) return created.status();
    MAESTRO_ASSIGN_OR_RETURN(std::optional<Lease> lease, ReadLease(*held.client, env_));
    if (!lease) {
      // Released in between, or still being removed by the daemon.
      if (clock_->Now() >= vanishing_deadline) {
        return absl::AbortedError(
            absl::StrCat(held.client->Describe(), ": the name ", LeaseName(env_),
                         " stayed taken for ", absl::FormatDuration(kVanishingBound),
                         " while no container by that name could be inspected; try again"));
      }
      if (!clock_->SleepFor(backoff, cancel_)) {
        return absl::CancelledError("interrupted while waiting for the deploy lock");
      }
      backoff = std::min(backoff * 2, absl::Milliseconds(500));
      continue;
    }
    // Ours already: another ship name for a daemon this lock has taken. Only the first ship
    // renews that lease; every ship that reaches it may release it.
    if (lease->token == token_) {
      held.lease_id = lease->id;
      held.shared = true;
      return std::optional<Lease>();
    }
    if (!lease->Expired(clock_->Now())) return lease;
    // Expired: remove exactly that container (by id) and race for the name again.
    MAESTRO_RETURN_IF_ERROR(RemoveLease(*held.client, *lease));
    ++takeovers;
  }
  return absl::AbortedError(absl::StrCat(held.client->Describe(), ": the deploy lock of ", env_,
                                         " kept changing hands; try again"));
}

absl::StatusOr<std::unique_ptr<DeployLock>> DeployLock::Acquire(
    std::vector<LockShip> ships, const std::string& env, const Holder& holder,
    const LockOptions& options, Clock* clock, const std::atomic<bool>* cancel,
    const std::function<void(const std::string&)>& notice) {
  std::sort(ships.begin(), ships.end(),
            [](const LockShip& a, const LockShip& b) { return a.name < b.name; });
  ships.erase(std::unique(ships.begin(), ships.end(),
                          [](const LockShip& a, const LockShip& b) { return a.name == b.name; }),
              ships.end());
  std::unique_ptr<DeployLock> lock(new DeployLock(env, holder, options, clock));
  lock->cancel_ = cancel;
  const absl::Time start = clock->Now();
  const absl::Time deadline = start + options.wait;
  auto fail = [&lock](absl::Status status) {
    (void)lock->Release();
    return status;
  };
  for (const LockShip& ship : ships) {
    Held held;
    held.ship = ship.name;
    held.client = ship.client;
    bool announced = false;
    while (true) {
      if (cancel != nullptr && cancel->load()) {
        return fail(absl::CancelledError("interrupted while waiting for the deploy lock"));
      }
      absl::StatusOr<std::optional<Lease>> taken = lock->TryTake(held);
      if (!taken.ok()) {
        const absl::Status& s = taken.status();
        if (absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s)) {
          lock->skipped_.push_back(ship.name);
          if (notice) {
            notice(absl::StrCat(ship.name, ": not locked (unreachable: ", s.message(), ")"));
          }
          break;
        }
        return fail(absl::Status(s.code(), absl::StrCat(ship.name, ": taking the deploy lock of ",
                                                        env, ": ", s.message())));
      }
      if (!taken->has_value()) {
        std::lock_guard<std::mutex> guard(lock->mu_);
        lock->held_.push_back(held);
        break;
      }
      const Lease& lease = **taken;
      const absl::Time now = clock->Now();
      if (now >= deadline) {
        std::string waited =
            options.wait > absl::ZeroDuration()
                ? absl::StrCat(" (waited ",
                               absl::FormatDuration(absl::Trunc(now - start, absl::Seconds(1))),
                               ")")
                : "";
        return fail(absl::FailedPreconditionError(absl::StrCat(
            ship.name, ": environment ", env, " is locked by ", DescribeLease(lease, now), waited,
            "; wait for it with --lock-wait SECONDS, or if that maestro is gone, "
            "`maestro lock break`")));
      }
      if (!announced && notice) {
        notice(absl::StrCat(ship.name, ": waiting for the deploy lock of ", env, ", held by ",
                            DescribeLease(lease, now)));
      }
      announced = true;
      if (!clock->SleepFor(std::min(options.poll, deadline - now), cancel)) {
        return fail(absl::CancelledError("interrupted while waiting for the deploy lock"));
      }
    }
  }
  return lock;
}

std::vector<std::string> DeployLock::locked_ships() const {
  std::lock_guard<std::mutex> guard(mu_);
  std::vector<std::string> out;
  for (const Held& h : held_) out.push_back(h.ship);
  return out;
}

absl::Status DeployLock::Renew() {
  std::lock_guard<std::mutex> guard(mu_);
  return RenewLocked();
}

absl::Status DeployLock::RenewLocked() {
  absl::Status first;
  auto note = [&first](absl::Status s) {
    if (first.ok()) first = std::move(s);
  };
  const absl::Time expires = clock_->Now() + options_.ttl;
  for (Held& held : held_) {
    if (held.lease_id.empty() || held.shared) continue;  // lost earlier, or renewed elsewhere
    auto lost = [&]() {
      held.lease_id.clear();
      return absl::FailedPreconditionError(absl::StrCat(
          held.ship, ": the deploy lock of ", env_,
          " was lost (broken with `maestro lock break`, or taken over after it expired)"));
    };
    absl::StatusOr<docker::ContainerInspect> mine = held.client->InspectContainer(held.lease_id);
    if (absl::IsNotFound(mine.status())) {
      note(lost());
      continue;
    }
    if (!mine.ok()) {
      note(mine.status());
      continue;
    }
    ++held.generation;
    absl::StatusOr<docker::CreateContainerResult> created = held.client->CreateContainer(
        absl::StrCat(LeaseName(env_), ".", token_, ".", held.generation),
        Body(kRoleRenewal, expires));
    if (!created.ok()) {
      note(created.status());
      continue;
    }
    (void)RemoveById(*held.client, held.renewal_id);
    held.renewal_id = created->id;
    // Taken over while we renewed: our renewal must not linger.
    if (absl::IsNotFound(held.client->InspectContainer(held.lease_id).status())) {
      (void)RemoveById(*held.client, held.renewal_id);
      held.renewal_id.clear();
      note(lost());
    }
  }
  return first;
}

void DeployLock::StartRenewing(std::function<void(const absl::Status&)> on_error) {
  renewer_ = std::thread([this, on_error = std::move(on_error)] {
    const absl::Duration every = std::max(options_.ttl / 3, absl::Milliseconds(1));
    while (clock_->SleepFor(every, &stop_) && !stop_.load()) {
      absl::Status s;
      {
        std::lock_guard<std::mutex> guard(mu_);
        if (held_.empty()) return;
        s = RenewLocked();
      }
      if (!s.ok() && on_error) on_error(s);
    }
  });
}

void DeployLock::StopRenewing() {
  stop_.store(true);
  if (renewer_.joinable()) renewer_.join();
}

absl::Status DeployLock::Release() {
  StopRenewing();
  std::lock_guard<std::mutex> guard(mu_);
  return ReleaseLocked();
}

absl::Status DeployLock::ReleaseLocked() {
  // A container reachable through several ship names is released once any of them removed it.
  std::map<std::string, absl::Status> outcome;  // container id -> OK once removed
  for (Held& held : held_) {
    for (const std::string* id : {&held.renewal_id, &held.lease_id}) {
      if (id->empty()) continue;
      auto it = outcome.find(*id);
      if (it != outcome.end() && it->second.ok()) continue;
      absl::Status s = RemoveById(*held.client, *id);
      if (it == outcome.end() || s.ok()) outcome[*id] = s;
    }
  }
  held_.clear();
  for (const auto& [id, s] : outcome) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace maestro::lock
