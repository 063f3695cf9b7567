#include "maestro/graph/graph.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

std::set<std::string> ContainerClosure(const model::Environment& env,
                                       const std::string& container, bool forward) {
  Adjacency edges = ContainerEdges(env);
  return Reachable(forward ? edges : Reverse(edges), container);
}

namespace {

std::vector<std::string> Order(const Adjacency& edges, const std::vector<std::string>& containers) {
  std::set<std::string> members(containers.begin(), containers.end());
  std::map<std::string, std::set<std::string>> deps;
  for (const std::string& c : members) {
    for (const std::string& d : Reachable(edges, c)) {
      if (d != c && members.count(d)) deps[c].insert(d);
    }
  }
  std::vector<std::string> pending(members.begin(), members.end());
  std::vector<std::string> ordered;
  std::set<std::string> taken;
  while (!pending.empty()) {
    std::vector<std::string> wait;
    for (const std::string& c : pending) {
      bool ready = std::all_of(deps[c].begin(), deps[c].end(),
                               [&](const std::string& d) { return taken.count(d) > 0; });
      if (ready) {
        ordered.push_back(c);
        taken.insert(c);
      } else {
        wait.push_back(c);
      }
    }
    if (wait.size() == pending.size()) {
      // Only reachable with a cycle, which loading rejects; keep the rest in name order.
      ordered.insert(ordered.end(), wait.begin(), wait.end());
      break;
    }
    pending = std::move(wait);
  }
  return ordered;
}

}  // namespace

std::vector<std::string> OrderContainers(const model::Environment& env,
                                         const std::vector<std::string>& containers,
                                         bool forward) {
  Adjacency edges = ContainerEdges(env);
  return Order(forward ? edges : Reverse(edges), containers);
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
      return absl::InvalidArgumentError(absl::StrCat(thing, " is neither a service nor a container!"));
    }
    if (!expand_services) {
      return absl::InvalidArgumentError(
          absl::StrCat(thing, " is a service but --expand-services was not specified"));
    }
    selected.insert(service->instances.begin(), service->instances.end());
  }
  if (with_dependencies) {
    Adjacency edges = ContainerEdges(env);
    if (!forward) edges = Reverse(edges);
    std::set<std::string> gathered = selected;
    for (const std::string& c : selected) {
      std::set<std::string> more = Reachable(edges, c);
      gathered.insert(more.begin(), more.end());
    }
    selected = std::move(gathered);
  }
  std::vector<std::string> result;
  for (const std::string& name : selected) {
    const model::Instance* c = env.FindInstance(name);
    if (!container_glob.empty() && !FnMatch(name, container_glob)) continue;
    if (!ship_glob.empty() && !FnMatch(c->ship, ship_glob)) continue;
    result.push_back(name);
  }
  if (with_dependencies) return OrderContainers(env, result, forward);
  return result;  // std::set iteration order: sorted by name
}

absl::StatusOr<std::string> RenderDepTree(const model::Environment& env,
                                          const std::vector<std::string>& things,
                                          bool recursive) {
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
      return absl::InvalidArgumentError(absl::StrCat(thing, " is neither a service nor a container!"));
    }
  }
  std::string out;
  std::set<std::string> shown;
  std::function<void(const std::string&, const std::string&)> children =
      [&](const std::string& service, const std::string& indent) {
        const model::Service* s = env.FindService(service);
        if (s == nullptr) return;
        std::vector<std::string> deps = s->Dependencies();  // sorted
        for (size_t i = 0; i < deps.size(); ++i) {
          if (!recursive && shown.count(deps[i])) continue;
          bool last = true;
          for (size_t j = i + 1; j < deps.size(); ++j) {
            if (recursive || !shown.count(deps[j])) last = false;
          }
          out += indent + (last ? "\\-" : "+-") + " " + deps[i] + "\n";
          shown.insert(deps[i]);
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
