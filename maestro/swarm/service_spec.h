// What `maestro export swarm --deploy STACK` sends to a manager's Engine API, built from the
// same StackModel as the stack file (stack_export.h), the way `docker stack deploy` converts
// that file: services named STACK_<instance>, networks STACK_<key> (STACK_default for the
// stack's own), every object labelled com.docker.stack.namespace=STACK so `docker stack ps`
// and `docker stack rm` see them.
//
// Pure functions over values; safe from any thread.
#ifndef MAESTRO_SWARM_SERVICE_SPEC_H_
#define MAESTRO_SWARM_SERVICE_SPEC_H_

#include <map>
#include <string>

#include "maestro/swarm/stack_export.h"
#include "nlohmann/json.hpp"

namespace maestro::swarm {

inline constexpr char kStackNamespaceLabel[] = "com.docker.stack.namespace";
// A service's label: the hash of the spec maestro sent, so an unchanged service is left alone.
inline constexpr char kSwarmSpecHashLabel[] = "maestro.swarm-spec-hash";

// The name a stack network is deployed under: its external name, "host", or STACK_<key>.
std::string StackNetworkName(const std::string& stack, const StackNetwork& network);

// The ServiceSpec of `service` in `stack`. `network_ids` and `secret_ids` map the deployed
// network and secret names to their ids (a name missing from them is sent as the name).
// Labels carry kSwarmSpecHashLabel, a hash of the rest of the spec.
nlohmann::json ServiceSpec(const std::string& stack, const StackModel& model,
                           const SwarmService& service,
                           const std::map<std::string, std::string>& network_ids,
                           const std::map<std::string, std::string>& secret_ids);

// The POST /networks/create body of a (non-external) stack network, or of the stack's default
// network when `network` is null.
nlohmann::json NetworkCreateBody(const std::string& stack, const StackNetwork* network);

}  // namespace maestro::swarm

#endif  // MAESTRO_SWARM_SERVICE_SPEC_H_
