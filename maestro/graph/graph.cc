#include "maestro/graph/graph.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/graph/container_graph.h"
#include "maestro/graph/fnmatch.h"

namespace maestro {
namespace graph {

std::optional<std::vector<std::string>> FindCycle(const Adjacency& edges) {
  enum Color { kWhite, kGrey, kBlack };
  std::map<std::string, Color> color;
  std::vector<std::string> stack;
  std::optional<std::vector<std::string>> found;

  std::function<void(const std::string&)> visit = [&](const std::string& node) {
    color[node] = kGrey;
    stack.push_back(node);
    auto it = edges.find(node);
    if (it != edges.end()) {
      std::vector<std::string> next = it->second;
      std::sort(next.begin(), next.end());
      for (const std::string& n : next) {
        if (found) return;
        Color c = color.count(n) ? color[n] : kWhite;
        if (c == kGrey) {
          auto start = std::find(stack.begin(), stack.end(), n);
          std::vector<std::string> cycle(start, stack.end());
          cycle.push_back(n);
          found = cycle;
          return;
        }
        if (c == kWhite) visit(n);
      }
    }
    stack.pop_back();
    color[node] = kBlack;
  };
  for (const auto& [node, succ] : edges) {
    if (found) break;
    if (!color.count(node) || color[node] == kWhite) visit(node);
  }
  return found;
}

std::optional<std::vector<std::string>> FindContainerCycle(const model::Environment& env) {
  // Node ids in name order, so that comparing ids compares names (FindCycle visits roots and
  // successors in name order). Roots are the instances; other names (volumes_from targets
  // or service instance lists naming no instance) are nodes without successors.
  std::vector<std::string> names;
  names.reserve(env.instances.size());
  for (const model::Instance& c : env.instances) names.push_back(c.name);
  for (const model::Instance& c : env.instances) {
    names.insert(names.end(), c.volumes_from.begin(), c.volumes_from.end());
  }
  for (const model::Service& s : env.services) {
    names.insert(names.end(), s.instances.begin(), s.instances.end());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::unordered_map<std::string, int> id;
  id.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) id.emplace(names[i], static_cast<int>(i));

  // One successor group per service: its instances' ids, sorted.
  std::unordered_map<std::string, int> service_index;
  std::vector<std::vector<int>> groups(env.services.size());
  std::vector<int> member_of(names.size(), -1);
  for (size_t g = 0; g < env.services.size(); ++g) {
    service_index.emplace(env.services[g].name, static_cast<int>(g));
    for (const std::string& n : env.services[g].instances) groups[g].push_back(id.at(n));
    std::sort(groups[g].begin(), groups[g].end());
    for (int m : groups[g]) member_of[m] = static_cast<int>(g);
  }
  // Per node: its dependency groups (ContainerEdges: Dependencies() minus its own service)
  // and its volumes_from ids. A node may be an instance listed twice; gather all its entries.
  std::vector<std::vector<int>> dep_groups(names.size()), extra(names.size());
  std::vector<char> is_root(names.size(), 0);
  for (const model::Instance& c : env.instances) {
    int n = id.at(c.name);
    is_root[n] = 1;
    auto sit = service_index.find(c.service);
    if (sit != service_index.end()) {
      const model::Service& service = env.services[sit->second];
      for (const std::string& dep : service.Dependencies()) {
        if (dep == service.name) continue;
        auto dit = service_index.find(dep);
        if (dit == service_index.end()) continue;
        dep_groups[n].push_back(dit->second);
      }
    }
    for (const std::string& vf : c.volumes_from) extra[n].push_back(id.at(vf));
  }

  enum Color : char { kWhite, kGrey, kBlack };
  std::vector<char> color(names.size(), kWhite);
  std::vector<size_t> black_in_group(groups.size(), 0);
  std::vector<int> stack;
  std::optional<std::vector<std::string>> found;
  std::function<void(int)> visit = [&](int node) {
    color[node] = kGrey;
    stack.push_back(node);
    // The successors FindCycle would walk, less groups that are all black (no-ops there).
    const std::vector<int>* next = nullptr;
    std::vector<int> merged;
    size_t live_groups = 0;
    for (int g : dep_groups[node]) {
      if (black_in_group[g] == groups[g].size()) continue;
      ++live_groups;
      next = &groups[g];
    }
    if (live_groups != 1 || !extra[node].empty()) {
      for (int g : dep_groups[node]) {
        if (black_in_group[g] == groups[g].size()) continue;
        merged.insert(merged.end(), groups[g].begin(), groups[g].end());
      }
      merged.insert(merged.end(), extra[node].begin(), extra[node].end());
      std::sort(merged.begin(), merged.end());
      next = &merged;
    }
    for (int n : *next) {
      if (found) return;
      if (color[n] == kGrey) {
        auto start = std::find(stack.begin(), stack.end(), n);
        std::vector<std::string> cycle;
        for (auto it = start; it != stack.end(); ++it) cycle.push_back(names[*it]);
        cycle.push_back(names[n]);
        found = std::move(cycle);
        return;
      }
      if (color[n] == kWhite) visit(n);
    }
    if (found) return;
    stack.pop_back();
    color[node] = kBlack;
    if (member_of[node] >= 0) ++black_in_group[member_of[node]];
  };
  for (size_t n = 0; n < names.size() && !found; ++n) {
    if (is_root[n] && color[n] == kWhite) visit(static_cast<int>(n));
  }
  return found;
}

std::string FormatCycle(const std::vector<std::string>& cycle) {
  return absl::StrJoin(cycle, " -> ");
}

std::set<std::string> Reachable(const Adjacency& edges, const std::string& from) {
  std::set<std::string> seen;
  std::vector<std::string> todo = {from};
  while (!todo.empty()) {
    std::string node = todo.back();
    todo.pop_back();
    auto it = edges.find(node);
    if (it == edges.end()) continue;
    for (const std::string& n : it->second) {
      if (seen.insert(n).second) todo.push_back(n);
    }
  }
  return seen;
}

Adjacency Reverse(const Adjacency& edges) {
  Adjacency out;
  for (const auto& [node, succ] : edges) {
    out[node];
    for (const std::string& n : succ) out[n].push_back(node);
  }
  return out;
}

Adjacency ServiceEdges(const model::Environment& env) {
  Adjacency out;
  for (const model::Service& s : env.services) out[s.name] = s.Dependencies();
  return out;
}

Adjacency RequiresEdges(const model::Environment& env) {
  Adjacency out;
  for (const model::Service& s : env.services) out[s.name] = s.requires;
  return out;
}

Adjacency ContainerEdges(const model::Environment& env) {
  Adjacency out;
  for (const model::Instance& c : env.instances) {
    std::vector<std::string>& succ = out[c.name];
    const model::Service* service = env.FindService(c.service);
    if (service != nullptr) {
      for (const std::string& dep : service->Dependencies()) {
        if (dep == service->name) continue;
        const model::Service* other = env.FindService(dep);
        if (other == nullptr) continue;
        succ.insert(succ.end(), other->instances.begin(), other->instances.end());
      }
    }
    for (const std::string& vf : c.volumes_from) {
      if (std::find(succ.begin(), succ.end(), vf) == succ.end()) succ.push_back(vf);
    }
  }
  return out;
}

std::set<std::string> ServiceClosure(const model::Environment& env, const std::string& service,
                                     bool forward) {
  Adjacency edges = ServiceEdges(env);
  return Reachable(forward ? edges : Reverse(edges), service);
}

std::set<std::string> ContainerClosure(const model::Environment& env, const std::string& container,
                                       bool forward) {
  std::vector<std::string> names = ContainerGraph(env).Closure(container, forward);
  return std::set<std::string>(names.begin(), names.end());
}

std::vector<std::string> OrderContainers(const model::Environment& env,
                                         const std::vector<std::string>& containers, bool forward) {
  return ContainerGraph(env).Order(containers, forward);
}

absl::StatusOr<std::vector<std::string>> ResolveThings(const model::Environment& env,
                                                       const std::vector<std::string>& things,
                                                       bool expand_services,
                                                       const std::string& container_glob,
                                                       const std::string& ship_glob,
                                                       bool with_dependencies, bool forward) {
  std::set<std::string> selected;
  for (const std::string& thing : things) {
    if (env.FindInstance(thing) != nullptr) {
      selected.insert(thing);
      continue;
    }
    const model::Service* service = env.FindService(thing);
    if (service == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(thing, " is neither a service nor a container!"));
    }
    if (!expand_services) {
      return absl::InvalidArgumentError(
          absl::StrCat(thing, " is a service but --expand-services was not specified"));
    }
    selected.insert(service->instances.begin(), service->instances.end());
  }
  std::vector<std::string> candidates(selected.begin(), selected.end());
  std::optional<ContainerGraph> graph;
  if (with_dependencies) {
    graph.emplace(env);
    candidates = graph->ClosureOf(candidates, forward);
  }
  std::vector<std::string> result;
  for (const std::string& name : candidates) {
    const model::Instance* c = env.FindInstance(name);
    if (!container_glob.empty() && !FnMatch(name, container_glob)) continue;
    if (!ship_glob.empty() && (c == nullptr || !FnMatch(c->ship, ship_glob))) continue;
    result.push_back(name);
  }
  if (with_dependencies) return graph->Order(result, forward);
  return result;  // sorted by name
}

absl::StatusOr<std::string> RenderDepTree(const model::Environment& env,
                                          const std::vector<std::string>& things, bool recursive) {
  std::set<std::string> roots;
  if (things.empty()) {
    for (const model::Service& s : env.services) roots.insert(s.name);
  }
  for (const std::string& thing : things) {
    if (const model::Instance* c = env.FindInstance(thing)) {
      roots.insert(c->service);
    } else if (env.FindService(thing) != nullptr) {
      roots.insert(thing);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(thing, " is neither a service nor a container!"));
    }
  }
  std::string out;
  std::set<std::string> shown;
  std::function<void(const std::string&, const std::string&)> children =
      [&](const std::string& service, const std::string& indent) {
        const model::Service* s = env.FindService(service);
        if (s == nullptr) return;
        // As MaestroNG's treehelper: without -r, the dependencies not yet shown in this
        // root's tree are chosen (and all marked shown) *before* descending, so a direct
        // dependency keeps its own line even when a sibling's subtree also reaches it.
        std::vector<std::string> deps;
        for (const std::string& d : s->Dependencies()) {  // sorted
          if (recursive || !shown.count(d)) deps.push_back(d);
        }
        shown.insert(deps.begin(), deps.end());
        for (size_t i = 0; i < deps.size(); ++i) {
          bool last = i + 1 == deps.size();
          out += indent + (last ? "\\-" : "+-") + " " + deps[i] + "\n";
          children(deps[i], indent + (last ? "  " : "|  "));
        }
      };
  bool first = true;
  for (const std::string& root : roots) {
    if (!first) out += "\n";
    first = false;
    out += root + "\n";
    shown.clear();
    children(root, " ");
  }
  return out;
}

}  // namespace graph
}  // namespace maestro
