#include "maestro/config/link_variables.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "maestro/model/env_contract.h"

namespace maestro {
namespace config {

std::shared_ptr<const LinkVariables> LinkVariables::Build(const model::Environment& env) {
  auto links = std::make_shared<LinkVariables>();
  std::unordered_map<std::string, const model::Instance*> instances;
  instances.reserve(env.instances.size());
  for (const model::Instance& c : env.instances) instances.emplace(c.name, &c);
  links->services_.reserve(env.services.size());
  for (const model::Service& s : env.services) {
    ServiceLinks& entry = links->services_[s.name];
    entry.wants_info = s.wants_info;
    Map& full = entry.table;
    std::vector<std::string> names = s.instances;
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const model::Instance* c = instances.at(name);
      const model::Ship* ship = env.FindShip(c->ship);
      full[env_contract::HostVar(s.name, name)] = ship->ip;
      for (const model::Port& p : c->ports) {
        full[env_contract::PortVar(s.name, name, p.name)] = p.external.Number();
        full[env_contract::InternalPortVar(s.name, name, p.name)] = p.exposed.Number();
      }
    }
    full[env_contract::InstancesVar(s.name)] = absl::StrJoin(names, ",");
  }
  links->requires_ = graph::RequiresEdges(env);
  return links;
}

void LinkVariables::Attach(const std::shared_ptr<const LinkVariables>& links,
                           model::Environment& env) {
  for (model::Instance& c : env.instances) c.env.SetOverlaySource(links, c.service);
}

LinkVariables::Map LinkVariables::Compute(const std::string& service) const {
  auto self = services_.find(service);
  if (self == services_.end()) return {};
  // Its own service's variables with the internal ports, then those of the services it
  // requires (transitively) and of its wants_info without, later ones winning.
  Map links = self->second.table;
  std::set<std::string> deps = graph::Reachable(requires_, service);
  deps.insert(self->second.wants_info.begin(), self->second.wants_info.end());
  for (const std::string& dep : deps) {
    auto it = services_.find(dep);
    if (it == services_.end()) continue;
    for (const auto& [k, v] : it->second.table) {
      if (!absl::EndsWith(k, "_INTERNAL_PORT")) links.insert_or_assign(k, v);
    }
  }
  return links;
}

}  // namespace config
}  // namespace maestro
