// The dependency model of an environment: dependency edges, static order, thing resolution
// (docs/usage.md#which-containers-thing-expansion) and `deptree` (docs/usage.md#deptree).
//
// Edges: a service depends on its `requires` services and on the services of the containers
// its instances take `volumes_from` (wants_info is environment-only and never orders). A
// container depends on every container of the services its service depends on, and on the
// containers it takes volumes_from (which may be in its own service: that orders instances
// within a service and is not a cycle).
//
// All functions are pure over a const Environment (which must outlive the call) and return
// names, not pointers. Safe from any thread.
#ifndef MAESTRO_GRAPH_GRAPH_H_
#define MAESTRO_GRAPH_GRAPH_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/model/environment.h"

namespace maestro {
namespace graph {

// node -> direct successors. Nodes only appearing as successors need no key.
using Adjacency = std::map<std::string, std::vector<std::string>>;

// A cycle as a path whose first and last names are equal ({"kafka", "zookeeper", "kafka"}),
// found by depth-first search from the nodes in sorted order; nullopt if the graph is acyclic.
std::optional<std::vector<std::string>> FindCycle(const Adjacency& edges);
// Exactly FindCycle(ContainerEdges(env)), without materialising the container edges (a
// container depends on every container of its dependency services: O(n²) names at scale).
// All-black successor groups (a dependency service whose containers are all explored) are
// skipped whole, so an environment of services with thousands of instances is checked in
// about linear time.
std::optional<std::vector<std::string>> FindContainerCycle(const model::Environment& env);
// "kafka -> zookeeper -> kafka".
std::string FormatCycle(const std::vector<std::string>& cycle);
// Nodes reachable from `from` through one or more edges.
std::set<std::string> Reachable(const Adjacency& edges, const std::string& from);
Adjacency Reverse(const Adjacency& edges);

// service -> Service::Dependencies() (requires ∪ volumes_from services).
Adjacency ServiceEdges(const model::Environment& env);
// service -> requires only: the edges whose closure gives link variables
// (docs/guest.md#the-variables).
Adjacency RequiresEdges(const model::Environment& env);
// container -> containers it depends on (see above).
Adjacency ContainerEdges(const model::Environment& env);

// Transitive dependencies (forward) or dependents (!forward) of a service / container.
std::set<std::string> ServiceClosure(const model::Environment& env, const std::string& service,
                                     bool forward);
std::set<std::string> ContainerClosure(const model::Environment& env, const std::string& container,
                                       bool forward);

// MaestroNG's static order over `containers` (deduplicated): repeatedly walk the pending
// names in sorted order, taking each one whose dependencies (forward) or dependents
// (!forward) within the set are already taken. Dependencies first when forward, dependents
// first otherwise. The environment must be acyclic (LoadEnvironment guarantees it).
std::vector<std::string> OrderContainers(const model::Environment& env,
                                         const std::vector<std::string>& containers, bool forward);

// Thing resolution (docs/usage.md#which-containers-thing-expansion), with MaestroNG's bugs fixed:
// each thing is a container name or (with expand_services) a service name; duplicates are removed;
// with_dependencies adds the transitive dependencies (forward) or dependents (!forward); the
// container glob (on the container name) and ship glob (on the ship name) then apply to the whole
// set, dependencies included. An empty glob means no filter. The result is ordered by
// OrderContainers when with_dependencies, else sorted by name.
// Errors (InvalidArgument): "X is neither a service nor a container!",
// "X is a service but --expand-services was not specified".
absl::StatusOr<std::vector<std::string>> ResolveThings(const model::Environment& env,
                                                       const std::vector<std::string>& things,
                                                       bool expand_services,
                                                       const std::string& container_glob,
                                                       const std::string& ship_glob,
                                                       bool with_dependencies, bool forward);

// The `deptree` output (docs/usage.md#deptree) for `things` (service or container names; all
// services, sorted, when empty), ending with a newline. `recursive` is -r. Each root prints its
// name, children (direct dependencies incl. volumes_from ones, sorted) are printed "<indent>+-
// name" (or "<indent>\- name" for the last child) with the indent starting at " " and growing by "|
//  " below a non-last child and "  " below the last one. Without `recursive`, a service already
// shown under the current root is skipped. Roots are separated by one blank line.
absl::StatusOr<std::string> RenderDepTree(const model::Environment& env,
                                          const std::vector<std::string>& things, bool recursive);

}  // namespace graph
}  // namespace maestro

#endif  // MAESTRO_GRAPH_GRAPH_H_
