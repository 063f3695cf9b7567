// The I/O half of `maestro plan`: collects each ship's live state (convergence.h's ShipLive)
// for ComputeConvergencePlan. Per ship, all ships at once on the Scheduler (one node per
// ship): the API version, ONE list call (all containers: the list answer's labels settle
// every container whose spec hash matches, its Ports show foreign containers holding host
// ports, and containers created without labels are still found by name), an inspect of only
// the containers NeedsInspect() names, and one InspectImage per configured image. For each
// configured image absent from the ship (and with refresh, present ones too), the ship is
// asked what the image's registry has (InspectDistribution, API >= 1.30, with the configured
// credentials: registries: of the file, else ~/.docker/config.json), and when an answer lists
// platforms, the ship's own (GET /version, once). Nothing on a ship is changed.
//
// Thread-safety: runs on the calling thread plus the scheduler's workers; world.ships must be
// thread-safe (world.h).
#ifndef MAESTRO_PLAYS_CONVERGENCE_GATHER_H_
#define MAESTRO_PLAYS_CONVERGENCE_GATHER_H_

#include <map>
#include <string>
#include <vector>

#include "maestro/plays/convergence.h"
#include "maestro/plays/scheduler.h"
#include "maestro/plays/world.h"

namespace maestro::plays {

// The live state of the ships of `containers` (instance names of world.env) and of
// `extra_ships` (searched for orphans). A ship that cannot be reached, or whose API is older
// than kMinimumPlanApi, gets a non-OK ShipLive::reachable. A cancelled scheduler leaves the
// ships it did not reach marked Cancelled.
struct GatherOptions {
  // Also ask the registry about images the ships have (`plan --refresh`).
  bool refresh = false;
};

std::map<std::string, ShipLive> GatherLiveState(const PlayWorld& world,
                                                const std::vector<std::string>& containers,
                                                const std::vector<std::string>& extra_ships,
                                                Scheduler& scheduler,
                                                const GatherOptions& options = {});

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_CONVERGENCE_GATHER_H_
