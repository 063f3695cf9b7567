// The deploy lock (docs/usage.md#the-deploy-lock, docs/ships.md#the-deploy-lock): a lease per
// environment on every ship a mutating command touches, kept on the ship itself with nothing but
// the Docker Engine API, so two maestros (two people, two CI jobs) never change one environment
// at once.
//
// A lease is a never-started container named `maestro-lock.<env>` whose labels say who holds it
// (owner, host, pid, command), since when, and until when. Creating it is the atomic step: the
// daemon refuses a second container with the same name (409), which is the "held" answer. Labels
// are immutable, so a renewal creates a small companion container
// `maestro-lock.<env>.<token>.<n>` carrying the new expiry and removes the previous one; a
// lease's expiry is the latest of its own and its companions'. An expired lease is taken over by
// removing it BY ID and creating a new one: two takers may both remove the stale container, but
// only one create succeeds, and a removal by id can never hit the new lease. A holder only ever
// removes its own containers, by id. Both images and containers come from the ship alone: the
// image `maestro/lock:1` is imported from a one-file tar through the API when it is missing.
//
// Expiry compares the holder's clock (written into the labels) with the reader's: clocks of the
// machines that run maestro must agree to well within the TTL (60 s by default).
//
// Thread-safety: DeployLock is thread-safe (its renewal thread and the caller share it under a
// mutex). The free functions are thread-compatible. DeployLock does not own the clients, clock
// or cancel flag it is given; they must outlive it.
#ifndef MAESTRO_LOCK_DEPLOY_LOCK_H_
#define MAESTRO_LOCK_DEPLOY_LOCK_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "maestro/base/clock.h"
#include "maestro/docker/docker_client.h"

namespace maestro::lock {

inline constexpr char kLockImageRepo[] = "maestro/lock";
inline constexpr char kLockImageTag[] = "1";

// Who takes a lease: shown to whoever finds it held.
struct Holder {
  std::string owner;  // user name
  std::string host;   // host name
  int64_t pid = 0;
  std::string command;  // "start web", no secrets
};

// A lease as read from a ship.
struct Lease {
  Holder holder;
  std::string env;
  std::string token;  // unique per DeployLock
  absl::Time acquired = absl::InfinitePast();
  // The latest expiry of the lease and its renewals. InfiniteFuture() for a container that
  // holds the name but is not a maestro lease (never taken over).
  absl::Time expires = absl::InfinitePast();
  bool foreign = false;  // the name is held by a container without lease labels
  std::string id;        // the lease container
  std::vector<std::string> renewal_ids;

  bool Expired(absl::Time now) const { return !foreign && now >= expires; }
};

// The lease container's name for an environment: "maestro-lock.<env>", with characters a
// container name cannot hold replaced by '_'.
std::string LeaseName(absl::string_view env);

// "alice@build-7 (pid 4242, `maestro start web`) since 2026-12-03 23:41:02 UTC, expires in 45s"
// (or "expired 3m ago").
std::string DescribeLease(const Lease& lease, absl::Time now);

// The image's only layer: an uncompressed tar holding one empty file (exposed for tests).
std::string LockImageTar();

// The lease on one ship, or nullopt when there is none.
absl::StatusOr<std::optional<Lease>> ReadLease(docker::DockerClient& ship, absl::string_view env);

// Removes the lease on one ship (live or expired, whoever holds it) with its renewals, by id.
// Returns what it removed (nullopt when there was none). A container holding the name that is
// not a lease is left alone (FailedPrecondition).
absl::StatusOr<std::optional<Lease>> BreakLease(docker::DockerClient& ship, absl::string_view env);

struct LockOptions {
  absl::Duration ttl = absl::Seconds(60);      // how long a lease lives without renewal
  absl::Duration wait = absl::ZeroDuration();  // --lock-wait: how long to wait for a holder
  absl::Duration poll = absl::Seconds(1);      // how often to look again while waiting
};

struct LockShip {
  std::string name;
  docker::DockerClient* client = nullptr;
};

class DeployLock {
 public:
  // Takes the lease for `env` on every ship, in ship-name order (two maestros wanting
  // overlapping ships never wait for each other in a cycle). A lease held by someone else is
  // waited for up to options.wait (polling every options.poll on `clock`), then the call fails
  // with FailedPrecondition naming the holder and since when. An expired lease is taken over.
  // Ship names that reach one daemon share its lease.
  // A ship that cannot be reached (Unavailable, DeadlineExceeded) is not locked: its containers
  // fail in the play anyway; `notice` says so. Any other failure releases what was taken and
  // fails. `cancel` (may be null) ends a wait with Cancelled. `notice` (may be null) gets one
  // line when a ship starts being waited for or is skipped.
  static absl::StatusOr<std::unique_ptr<DeployLock>> Acquire(
      std::vector<LockShip> ships, const std::string& env, const Holder& holder,
      const LockOptions& options, Clock* clock, const std::atomic<bool>* cancel,
      const std::function<void(const std::string&)>& notice);

  ~DeployLock();  // stops renewing and releases
  DeployLock(const DeployLock&) = delete;
  DeployLock& operator=(const DeployLock&) = delete;

  // Extends every lease by the TTL from now. Fails (naming the ship) when a lease is gone:
  // broken with `maestro lock break`, or taken over after it expired.
  absl::Status Renew();
  // Renews every ttl/3 on a thread (sleeping on the Clock given to Acquire) until Release();
  // `on_error` (may be null) gets each failed renewal. Call at most once.
  void StartRenewing(std::function<void(const absl::Status&)> on_error);
  // Removes this maestro's leases and renewals (by id: never someone else's). Idempotent.
  absl::Status Release();

  const std::string& token() const { return token_; }
  // The ships locked, and those skipped as unreachable.
  std::vector<std::string> locked_ships() const;
  const std::vector<std::string>& skipped_ships() const { return skipped_; }

 private:
  struct Held {
    std::string ship;
    docker::DockerClient* client = nullptr;
    std::string lease_id;
    std::string renewal_id;
    int generation = 0;
    bool image_imported = false;
    bool shared = false;  // the lease of an earlier ship name for the same daemon
  };

  DeployLock(std::string env, Holder holder, LockOptions options, Clock* clock);
  // One attempt: nullopt when the lease is ours now (held.lease_id set), else the live lease of
  // someone else.
  absl::StatusOr<std::optional<Lease>> TryTake(Held& held);
  nlohmann::json Body(absl::string_view role, absl::Time expires) const;
  absl::Status RenewLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReleaseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StopRenewing();

  const std::string env_;
  const Holder holder_;
  const LockOptions options_;
  Clock* const clock_;
  const std::atomic<bool>* cancel_ = nullptr;  // Acquire's: ends a backoff in TryTake
  const std::string token_;
  absl::Time acquired_;
  std::vector<std::string> skipped_;

  mutable std::mutex mu_;
  std::vector<Held> held_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stop_{false};
  std::thread renewer_;
};

}  // namespace maestro::lock

#endif  // MAESTRO_LOCK_DEPLOY_LOCK_H_
