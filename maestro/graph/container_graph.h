// ContainerGraph: the container dependency graph of an environment (graph.h's ContainerEdges)
// kept in its compact form, so that closures and orders cost about linear time in the number
// of containers instead of the O(n²) names ContainerEdges materialises (a container depends on
// every container of each service its service depends on).
//
// The graph is stored as groups: each service's instance list is one group; a container's
// successors are the groups of its service's dependencies (Service::Dependencies(), less its
// own service) plus its volumes_from containers. Walking an edge into a group visits the whole
// group once, in either direction.
//
// Built once from a const Environment (which must outlive it; names are copied, nothing points
// into the Environment). Immutable after construction: const methods may be called from many
// threads at once.
#ifndef MAESTRO_GRAPH_CONTAINER_GRAPH_H_
#define MAESTRO_GRAPH_CONTAINER_GRAPH_H_

#include <string>
#include <unordered_map>
#include <vector>

#include "maestro/model/environment.h"

namespace maestro {
namespace graph {

class ContainerGraph {
 public:
  explicit ContainerGraph(const model::Environment& env);

  // Names reachable from `container` through one or more edges (dependencies when forward,
  // dependents otherwise), sorted. Exactly Reachable(ContainerEdges(env)[or Reverse], name).
  std::vector<std::string> Closure(const std::string& container, bool forward) const;
  // The union of Closure(c) over `containers` together with `containers` themselves, sorted.
  std::vector<std::string> ClosureOf(const std::vector<std::string>& containers,
                                     bool forward) const;
  // graph.h's OrderContainers (the §5.3 static order) in O((n + e) log n), where e counts
  // group edges, not container pairs. On an acyclic graph it equals the pass-by-pass
  // definition; names on or behind a cycle come last, in name order.
  std::vector<std::string> Order(const std::vector<std::string>& containers, bool forward) const;

 private:
  int Id(const std::string& name) const;  // -1 when unknown
  // Visits every node reachable from the ids in `from` (excluding them unless reached).
  std::vector<char> Reach(const std::vector<int>& from, bool forward) const;

  std::vector<std::string> names_;  // sorted: id order is name order
  std::unordered_map<std::string, int> ids_;
  std::vector<std::vector<int>> group_members_;  // per service: its instance ids
  std::vector<std::vector<int>> group_sources_;  // per service: ids depending on the group
  std::vector<std::vector<int>> out_groups_;     // per id: groups it depends on
  std::vector<std::vector<int>> in_groups_;      // per id: groups it belongs to
  std::vector<std::vector<int>> extra_out_;      // per id: volumes_from ids
  std::vector<std::vector<int>> extra_in_;       // per id: ids taking volumes from it
};

}  // namespace graph
}  // namespace maestro

#endif  // MAESTRO_GRAPH_CONTAINER_GRAPH_H_
