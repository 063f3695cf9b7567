// The convergence plan (`maestro plan`, and later `up`): for every container in scope, what it
// takes to make the ship match the environment file, with the reasons, plus the preflight
// problems that would stop the change, all found in one pass.
//
// The plan is data. ComputeConvergencePlan is a pure function of the environment, the ordered
// containers in scope and the live state of each ship (ShipLive: one list answer, the inspects
// of the containers whose spec-hash label does not settle the question, the inspects of the
// configured images). GatherLiveState (convergence_gather.h) does the I/O that fills ShipLive.
//
// Actions:
//   create    no container of that name on its ship;
//   recreate  the container differs from the file (spec/drift.h's Diff: field-level reasons
//             such as `env: JAVA_OPTS changed from "a" to "b"`, the image id when the tag now
//             points elsewhere on the ship), or is dead; when the env differs by the link
//             variables of a container it depends on (its host or ports changed), also
//             `link variables from db-1 changed`;
//   start     the container is stopped and unchanged;
//   orphan    a container labelled with this environment whose instance the file no longer
//             has (only when the whole environment is in scope, see PlanScope);
//   none      running and unchanged;
//   unknown   its ship could not be asked (the problem says why).
// A recreate of a running container of a service with an `update:` policy carries how it rolls
// (PlannedRolling: the policy in words, and its planned batch where that is known).
//
// Preflight problems (every one listed, nothing touched): ship unreachable or its API older
// than kMinimumPlanApi; a host port wanted twice on one ship (two planned containers, or a
// planned container and another running container); a configured image that cannot be
// inspected on its ship; an image that is neither on its ship nor in its registry (asked
// through the ship, ShipLive::registry), or whose registry manifest lacks the ship's platform
// (os/architecture), or whose registry could not be asked (unreachable, credentials refused:
// the reason, never a secret); a network or named volume that exists with other options than
// configured (or is external and absent); volumes_from to a container that will not exist; a
// dependency cycle, with its path. A ship whose API is older than InspectDistribution's gets a note
// instead of the registry check.
//
// With --refresh (GatherOptions::refresh) the registry is asked about present images too, and
// a container whose image was pulled as another digest than the tag's digest in the registry
// now is recreated: `image digest sha256:ab12... -> sha256:cd34...` (and the image pulled
// first, PlannedContainer::pull).
//
// Plain values and pure functions; safe from any thread.
#ifndef MAESTRO_PLAYS_CONVERGENCE_H_
#define MAESTRO_PLAYS_CONVERGENCE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "maestro/docker/docker_types.h"
#include "maestro/model/environment.h"

namespace maestro::plays {

// Labels (and label filters) need Engine API 1.18 (MaestroNG 0.7.0's minimum too).
inline constexpr char kMinimumPlanApi[] = "1.18";

enum class ConvergeAction { kNone, kCreate, kRecreate, kStart, kOrphan, kUnknown };

// "none", "create", "recreate", "start", "orphan", "unknown".
const char* ConvergeActionName(ConvergeAction action);
std::optional<ConvergeAction> ParseConvergeAction(absl::string_view name);

// How a re-create rolls under its service's `update:` policy (docs/usage.md#rolling-updates),
// said in advance. The batch is known without probing only when no instance of the service
// that rolls has a role probe (the leader is found at the rollout) and is computed as if every
// running instance passes its checks (one that fails them at the rollout goes first).
struct PlannedRolling {
  std::string how;           // DescribeRolling: "1 at a time, quorum majority, ..., failure pause"
  int batch_size = 0;        // instances of the service down at once
  int per_ship = 0;          // at most this many per ship (0: no bound)
  int quorum = 0;            // other instances that must pass before one goes down (0: none)
  bool leader_last = false;  // a role probe: the leader goes last, alone
  std::string failure;       // "pause", "continue", "rollback"
  double delay = 0;          // seconds between batches
  double monitor = 0;        // seconds a new instance must keep passing its checks
  int batch = 0;             // 1-based planned batch; 0 when only the rollout can tell
  int batches = 0;           // planned batches of the service; 0 when only the rollout can tell
  bool operator==(const PlannedRolling& o) const {
    return how == o.how && batch_size == o.batch_size && per_ship == o.per_ship &&
           quorum == o.quorum && leader_last == o.leader_last && failure == o.failure &&
           delay == o.delay && monitor == o.monitor && batch == o.batch && batches == o.batches;
  }
};

struct PlannedContainer {
  std::string name;
  std::string ship;
  std::string service;  // for orphans: the service label of the container ("" when none)
  std::string image;    // as configured (orphans: what the container runs)
  ConvergeAction action = ConvergeAction::kUnknown;
  std::vector<std::string> reasons;  // why this action; secrets never appear
  std::string container_id;          // "" when absent
  std::string state;                 // "absent", "running", "exited", "created", ...
  std::vector<std::string> notes;    // facts that are not changes ("image ... will be pulled")
  // Pull the image before creating, even though the ship has it: the registry's digest of the
  // tag moved (--refresh).
  bool pull = false;
  // spec::SpecHash of what the file asks for ("" for orphans and unknown ships): `up --plan`
  // refuses a saved plan when the file now asks for something else.
  std::string spec_hash;
  // Set when `up` re-creates it through its service's rolling policy (RollsUnderPolicy).
  std::optional<PlannedRolling> rolling;
};

// Whether `up` re-creates `pc` through its service's `update:` policy (rollout_internal.h): a
// running container to re-create, of a service with a policy. Containers that are only created
// or started, and stopped ones re-created, keep up's own path.
bool RollsUnderPolicy(const model::Environment& env, const PlannedContainer& pc);

struct PlanProblem {
  std::string ship;       // "" when not about one ship
  std::string container;  // "" when about the ship or the environment
  std::string message;
};

// What the plan saw of one container, to tell later whether the ship changed since.
struct SeenContainer {
  std::string name;
  std::string id;
  std::string state;
  std::string image_id;
  bool operator==(const SeenContainer& o) const {
    return name == o.name && id == o.id && state == o.state && image_id == o.image_id;
  }
};

// Per ship: the planned containers and orphans as they were (absent ones with an empty id),
// the ids the configured images resolved to (image reference -> id, "" when absent), and the
// digests the registry gave for the tags it was asked about (absent images; with --refresh,
// present ones too): a tag moved in the registry after the plan makes the plan stale.
struct ShipFingerprint {
  std::vector<SeenContainer> containers;  // sorted by name
  std::map<std::string, std::string> images;
  std::map<std::string, std::string> registry;  // image reference -> digest
  bool operator==(const ShipFingerprint& o) const {
    return containers == o.containers && images == o.images && registry == o.registry;
  }
};

// "sha256:" and the first 12 hex digits of a digest, as plans show them.
std::string ShortDigest(absl::string_view digest);

struct PlanScope {
  // Report orphans: containers on the planned ships labelled with this environment whose
  // instance the file no longer has. Meant for a plan of the whole environment.
  bool orphans = false;
  // Ships to look for orphans on besides those of the planned containers.
  std::vector<std::string> orphan_ships;
  // The registry was asked about present images too (--refresh); `up --plan` asks again.
  bool refresh = false;
};

struct ConvergencePlan {
  std::string environment;
  // Every container in scope in dependency order, then the orphans (sorted by name).
  std::vector<PlannedContainer> containers;
  std::vector<PlanProblem> problems;
  std::map<std::string, ShipFingerprint> fingerprint;  // ship -> what it looked like
  // Where orphans were looked for (`up --plan FILE` looks again in the same places).
  PlanScope scope;

  bool HasChanges() const;  // anything but none (unknown counts: it is not known to be none)
  // --detailed-exitcode: 0 nothing to do, 2 changes, 1 problems; otherwise 0, or 1 on problems.
  int ExitCode(bool detailed) const;
  // "1 to create, 2 to recreate, 1 to start, 1 orphan, 3 unchanged" (zero counts left out).
  std::string Summary() const;
};

// The live state of one ship, as GatherLiveState collects it.
struct ShipLive {
  // Not OK when the ship could not be listed or its API is too old; nothing else is used then.
  absl::Status reachable;
  std::string api_version;
  std::vector<docker::ContainerSummary> containers;  // every container on the ship (list -a)
  // Inspects of the containers NeedsInspect() asked for, by container name; a failed inspect
  // is recorded as its status.
  std::map<std::string, absl::StatusOr<docker::ContainerInspect>> inspected;
  // InspectImage of each configured image reference (as written in the file): OK, NotFound
  // (not on the ship) or another error.
  std::map<std::string, absl::StatusOr<docker::ImageInspect>> images;
  // What the registry says about a configured image (by reference as written), asked through
  // the ship (DockerClient::InspectDistribution) for each image absent from the ship, and with
  // refresh for present ones too. No entry: not asked.
  struct RegistryAnswer {
    std::string registry;  // for messages: "127.0.0.1:5000", "Docker Hub"
    std::string skipped;   // not asked, and why ("Docker API 1.29 is older than 1.30")
    absl::StatusOr<docker::DistributionInspect> answer = absl::UnknownError("not asked");
  };
  std::map<std::string, RegistryAnswer> registry;
  // GET /version of the ship (its Os and Arch), asked once when a registry answer lists
  // platforms; nullopt when not asked.
  std::optional<absl::StatusOr<docker::VersionInfo>> version;
  // Networks and named volumes of the planned containers that exist on the ship with other
  // options than configured, or are external and absent (resources.h), one message each.
  std::vector<std::string> resource_problems;
};

// Whether the list answer alone cannot settle whether `summary` matches `instance`: its
// maestro.spec-hash label is missing or differs from SpecHash(instance). Only those are
// inspected.
bool NeedsInspect(const model::Instance& instance, const model::Ship& ship,
                  const docker::ContainerSummary& summary);

// `containers` are instance names of `env`, in dependency order (graph::ResolveThings);
// `live` has an entry for every ship involved (a missing one counts as unreachable).
ConvergencePlan ComputeConvergencePlan(const model::Environment& env,
                                       const std::vector<std::string>& containers,
                                       const std::map<std::string, ShipLive>& live,
                                       const PlanScope& scope);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_CONVERGENCE_H_
