#include "maestro/graph/dep_graph_render.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "maestro/graph/graph.h"

namespace maestro::graph {
namespace {

struct Edge {
  std::string from;
  std::string to;
  bool volumes_only = false;  // drawn dashed
  bool operator<(const Edge& o) const { return std::tie(from, to) < std::tie(o.from, o.to); }
};

struct Drawing {
  std::string title;
  // cluster ("" = none) -> nodes, in order.
  std::map<std::string, std::vector<std::string>> clusters;
  std::set<Edge> edges;
};

std::string DotQuote(const std::string& s) {
  return "\"" + absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}}) + "\"";
}

std::string MermaidLabel(const std::string& s) {
  return "\"" + absl::StrReplaceAll(s, {{"\"", "#quot;"}}) + "\"";
}

std::string Dot(const Drawing& d) {
  std::string out = absl::StrCat("digraph ", DotQuote(d.title), " {\n  node [shape=box];\n");
  int cluster = 0;
  for (const auto& [name, nodes] : d.clusters) {
    std::string indent = "  ";
    if (!name.empty()) {
      absl::StrAppend(&out, "  subgraph ", DotQuote(absl::StrCat("cluster_", cluster++)),
                      " {\n    label=", DotQuote(name), ";\n");
      indent = "    ";
    }
    for (const std::string& n : nodes) absl::StrAppend(&out, indent, DotQuote(n), ";\n");
    if (!name.empty()) out += "  }\n";
  }
  for (const Edge& e : d.edges) {
    absl::StrAppend(&out, "  ", DotQuote(e.from), " -> ", DotQuote(e.to),
                    e.volumes_only ? " [style=dashed, label=\"volumes_from\"]" : "", ";\n");
  }
  out += "}\n";
  return out;
}

std::string Mermaid(const Drawing& d) {
  std::map<std::string, std::string> ids;  // node -> n0, n1, ...
  for (const auto& [name, nodes] : d.clusters) {
    for (const std::string& n : nodes) ids.emplace(n, absl::StrCat("n", ids.size()));
  }
  std::string out = "flowchart TD\n";
  int cluster = 0;
  for (const auto& [name, nodes] : d.clusters) {
    std::string indent = "  ";
    if (!name.empty()) {
      absl::StrAppend(&out, "  subgraph s", cluster++, "[", MermaidLabel(name), "]\n");
      indent = "    ";
    }
    for (const std::string& n : nodes) {
      absl::StrAppend(&out, indent, ids.at(n), "[", MermaidLabel(n), "]\n");
    }
    if (!name.empty()) out += "  end\n";
  }
  for (const Edge& e : d.edges) {
    absl::StrAppend(&out, "  ", ids.at(e.from), e.volumes_only ? " -.->|volumes_from| " : " --> ",
                    ids.at(e.to), "\n");
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> RenderDepGraph(const model::Environment& env,
                                           const std::vector<std::string>& things, bool containers,
                                           DepGraphFormat format) {
  std::set<std::string> services;
  if (things.empty()) {
    for (const model::Service& s : env.services) services.insert(s.name);
  }
  for (const std::string& thing : things) {
    std::string service;
    if (const model::Instance* c = env.FindInstance(thing)) {
      service = c->service;
    } else if (env.FindService(thing) != nullptr) {
      service = thing;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(thing, " is neither a service nor a container!"));
    }
    services.insert(service);
    std::set<std::string> deps = ServiceClosure(env, service, /*forward=*/true);
    services.insert(deps.begin(), deps.end());
  }
  Drawing d;
  d.title = env.name;
  if (!containers) {
    for (const std::string& name : services) {
      d.clusters[""].push_back(name);
      const model::Service& s = *env.FindService(name);
      std::set<std::string> required(s.requires.begin(), s.requires.end());
      for (const std::string& dep : s.Dependencies()) {
        d.edges.insert({name, dep, !required.count(dep)});
      }
    }
  } else {
    for (const model::Instance& inst : env.instances) {
      if (!services.count(inst.service)) continue;
      d.clusters[inst.ship].push_back(inst.name);
      const model::Service& s = *env.FindService(inst.service);
      // As ContainerEdges: every container of each service its service depends on, then
      // the containers it takes volumes_from (possibly of its own service). The set keeps
      // the first (solid, when required) edge of a pair.
      std::set<std::string> required(s.requires.begin(), s.requires.end());
      for (const std::string& dep : s.Dependencies()) {
        if (dep == inst.service) continue;
        const model::Service* ds = env.FindService(dep);
        if (ds == nullptr) continue;
        for (const std::string& other : ds->instances) {
          d.edges.insert({inst.name, other, !required.count(dep)});
        }
      }
      for (const std::string& other : inst.volumes_from) {
        d.edges.insert({inst.name, other, true});
      }
    }
  }
  return format == DepGraphFormat::kDot ? Dot(d) : Mermaid(d);
}

}  // namespace maestro::graph
