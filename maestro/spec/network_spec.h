// Networks and named volumes as the Engine API wants them: create bodies for the top-level
// `networks:`/`volumes:` of an environment, the endpoint config of an instance's attachment,
// and what differs between a configured network or volume and the one a ship already has
// (never re-created silently: plan reports it, start/up refuse). docs/environment.md#networks.
//
// Pure functions over values; safe from any thread.
#ifndef MAESTRO_SPEC_NETWORK_SPEC_H_
#define MAESTRO_SPEC_NETWORK_SPEC_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "maestro/docker/docker_types.h"
#include "maestro/model/environment.h"
#include "nlohmann/json.hpp"

namespace maestro::spec {

// POST /networks/create body: Name (the daemon name), Driver, Internal, Attachable, EnableIPv6,
// Options, IPAM (one config when a subnet is set) and Labels, with maestro.environment set to
// `environment` (the label `clean --networks` selects by).
nlohmann::json NetworkCreateBody(const model::Network& network, absl::string_view environment);

// POST /volumes/create body: Name, Driver, DriverOpts, Labels (+ maestro.environment).
nlohmann::json VolumeCreateBody(const model::NamedVolume& volume, absl::string_view environment);

// An attachment's EndpointConfig: Aliases and IPAMConfig (IPv4Address, IPv6Address), for the
// create body's NetworkingConfig and for POST /networks/{id}/connect.
nlohmann::json EndpointConfig(const model::NetworkAttachment& attachment);

// What the ship's `existing` network has that the configuration does not ask for, one phrase
// each ("driver is bridge, configured macvlan"); empty when it matches. Only what is
// configured is compared (an unset subnet accepts the daemon's choice; labels and driver
// options are compared key by key for the configured keys).
std::vector<std::string> NetworkDifferences(const model::Network& network,
                                            const docker::NetworkInfo& existing);
std::vector<std::string> VolumeDifferences(const model::NamedVolume& volume,
                                           const docker::VolumeInfo& existing);

// The environment's networks and volumes the instances in `instances` use, in the order of the
// environment (the networks: every attachment; the volumes: every named bind).
std::vector<const model::Network*> NetworksUsed(const model::Environment& env,
                                                const model::Instance& instance);
std::vector<const model::NamedVolume*> VolumesUsed(const model::Environment& env,
                                                   const model::Instance& instance);

}  // namespace maestro::spec

#endif  // MAESTRO_SPEC_NETWORK_SPEC_H_
