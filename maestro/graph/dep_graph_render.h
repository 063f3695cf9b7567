// `deptree --format dot|mermaid` (docs/usage.md#deptree): the dependency graph of the services
// `things` name (service or container names; every service when empty) and of everything they
// depend on, for Graphviz (`dot -Tsvg`) or a Markdown ```mermaid block. Arrows go from a
// dependent to what it needs; `requires` edges are solid, edges that only come from
// volumes_from are dashed and labelled "volumes_from". With `containers` (-r), the nodes are
// the containers of those services, grouped by ship (one cluster/subgraph per ship).
//
// Pure over a const Environment; safe from any thread.
#ifndef MAESTRO_GRAPH_DEP_GRAPH_RENDER_H_
#define MAESTRO_GRAPH_DEP_GRAPH_RENDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/model/environment.h"

namespace maestro::graph {

enum class DepGraphFormat { kDot, kMermaid };

// InvalidArgument "X is neither a service nor a container!" for an unknown thing.
absl::StatusOr<std::string> RenderDepGraph(const model::Environment& env,
                                           const std::vector<std::string>& things, bool containers,
                                           DepGraphFormat format);

}  // namespace maestro::graph

#endif  // MAESTRO_GRAPH_DEP_GRAPH_RENDER_H_
