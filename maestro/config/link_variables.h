// The link variables of an environment's containers (docs/guest.md#the-variables: the hosts
// and ports of a service's peers and of the services it depends on), computed on demand.
//
// Build() makes one table per service once, at load: `<SVC>_<INST>_HOST`, `..._<PORT>_PORT`,
// `..._<PORT>_INTERNAL_PORT` of each of its instances and `<SVC>_INSTANCES` (O(instances x
// ports) in all). The overlay of a service (what every one of its containers gets over its own
// variables) is its own table, then the tables without the internal ports of the services it
// requires, transitively, and of its wants_info, in name order, later ones winning. That
// overlay is assembled only when someone reads a container's environment (a play creating it,
// `dump`, drift detection) and dropped when no longer used (model::CachingOverlaySource): a
// chain of n services each requiring the previous has O(n²) link variables in total, but
// memory stays O(n).
//
// Immutable after Build (apart from the internal, locked cache): thread-safe. Independent of
// the Environment it was built from (it keeps copies of what it needs).
#ifndef MAESTRO_CONFIG_LINK_VARIABLES_H_
#define MAESTRO_CONFIG_LINK_VARIABLES_H_

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "maestro/graph/graph.h"
#include "maestro/model/env_vars.h"
#include "maestro/model/environment.h"

namespace maestro {
namespace config {

class LinkVariables : public model::CachingOverlaySource {
 public:
  // `env` must be valid (every instance's service and ship exist; acyclic requires).
  static std::shared_ptr<const LinkVariables> Build(const model::Environment& env);
  // Points every instance's env at its service's overlay in `links`.
  static void Attach(const std::shared_ptr<const LinkVariables>& links, model::Environment& env);

 protected:
  Map Compute(const std::string& service) const override;

 private:
  struct ServiceLinks {
    Map table;  // with the internal ports
    std::vector<std::string> wants_info;
  };
  std::unordered_map<std::string, ServiceLinks> services_;
  graph::Adjacency requires_;
};

}  // namespace config
}  // namespace maestro

#endif  // MAESTRO_CONFIG_LINK_VARIABLES_H_
