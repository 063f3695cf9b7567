#include "maestro/graph/container_graph.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace maestro {
namespace graph {

ContainerGraph::ContainerGraph(const model::Environment& env) {
  // Node ids in name order. Nodes: instances, names in service instance lists and
  // volumes_from targets (the latter two may name no instance in a hand-built environment).
  names_.reserve(env.instances.size());
  for (const model::Instance& c : env.instances) names_.push_back(c.name);
  for (const model::Instance& c : env.instances) {
    names_.insert(names_.end(), c.volumes_from.begin(), c.volumes_from.end());
  }
  for (const model::Service& s : env.services) {
    names_.insert(names_.end(), s.instances.begin(), s.instances.end());
  }
  std::sort(names_.begin(), names_.end());
  names_.erase(std::unique(names_.begin(), names_.end()), names_.end());
  ids_.reserve(names_.size());
  for (size_t i = 0; i < names_.size(); ++i) ids_.emplace(names_[i], static_cast<int>(i));

  const size_t n = names_.size();
  out_groups_.resize(n);
  in_groups_.resize(n);
  extra_out_.resize(n);
  extra_in_.resize(n);
  group_members_.resize(env.services.size());
  group_sources_.resize(env.services.size());
  std::unordered_map<std::string, int> service_index;
  service_index.reserve(env.services.size());
  for (size_t g = 0; g < env.services.size(); ++g) {
    service_index.emplace(env.services[g].name, static_cast<int>(g));  // first one wins
    for (const std::string& m : env.services[g].instances) {
      int id = ids_.at(m);
      group_members_[g].push_back(id);
      in_groups_[id].push_back(static_cast<int>(g));
    }
  }
  // Each service's dependency groups, computed once (ContainerEdges: Dependencies() minus the
  // service itself, unknown services ignored).
  std::vector<std::vector<int>> service_deps(env.services.size());
  for (size_t g = 0; g < env.services.size(); ++g) {
    const model::Service& s = env.services[g];
    for (const std::string& dep : s.Dependencies()) {
      if (dep == s.name) continue;
      auto it = service_index.find(dep);
      if (it != service_index.end()) service_deps[g].push_back(it->second);
    }
  }
  for (const model::Instance& c : env.instances) {
    int id = ids_.at(c.name);
    auto sit = service_index.find(c.service);
    if (sit != service_index.end()) {
      for (int g : service_deps[sit->second]) {
        out_groups_[id].push_back(g);
        group_sources_[g].push_back(id);
      }
    }
    for (const std::string& vf : c.volumes_from) {
      int to = ids_.at(vf);
      extra_out_[id].push_back(to);
      extra_in_[to].push_back(id);
    }
  }
}

int ContainerGraph::Id(const std::string& name) const {
  auto it = ids_.find(name);
  return it == ids_.end() ? -1 : it->second;
}

std::vector<char> ContainerGraph::Reach(const std::vector<int>& from, bool forward) const {
  std::vector<char> seen(names_.size(), 0);
  std::vector<char> expanded(group_members_.size(), 0);
  std::vector<int> todo;
  auto visit = [&](int node) {
    if (!seen[node]) {
      seen[node] = 1;
      todo.push_back(node);
    }
  };
  auto expand = [&](int node) {
    if (forward) {
      for (int g : out_groups_[node]) {
        if (expanded[g]) continue;
        expanded[g] = 1;
        for (int m : group_members_[g]) visit(m);
      }
      for (int m : extra_out_[node]) visit(m);
    } else {
      for (int g : in_groups_[node]) {
        if (expanded[g]) continue;
        expanded[g] = 1;
        for (int m : group_sources_[g]) visit(m);
      }
      for (int m : extra_in_[node]) visit(m);
    }
  };
  for (int f : from) expand(f);
  while (!todo.empty()) {
    int node = todo.back();
    todo.pop_back();
    expand(node);
  }
  return seen;
}

std::vector<std::string> ContainerGraph::Closure(const std::string& container, bool forward) const {
  std::vector<std::string> out;
  int id = Id(container);
  if (id < 0) return out;
  std::vector<char> seen = Reach({id}, forward);
  for (size_t i = 0; i < seen.size(); ++i) {
    if (seen[i]) out.push_back(names_[i]);
  }
  return out;
}

std::vector<std::string> ContainerGraph::ClosureOf(const std::vector<std::string>& containers,
                                                   bool forward) const {
  std::vector<int> from;
  std::set<std::string> unknown;  // names outside the graph are kept as they are
  for (const std::string& c : containers) {
    int id = Id(c);
    if (id < 0) {
      unknown.insert(c);
    } else {
      from.push_back(id);
    }
  }
  std::vector<char> seen = Reach(from, forward);
  for (int f : from) seen[f] = 1;
  std::vector<std::string> out;
  auto u = unknown.begin();
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) continue;
    while (u != unknown.end() && *u < names_[i]) out.push_back(*u++);
    out.push_back(names_[i]);
  }
  out.insert(out.end(), u, unknown.end());
  return out;
}

std::vector<std::string> ContainerGraph::Order(const std::vector<std::string>& containers,
                                               bool forward) const {
  // MaestroNG's definition: repeatedly walk the pending names in sorted order, taking each one
  // whose members reachable through the graph are all taken. On an acyclic graph that is the
  // same as "every direct successor is done", where a member is done once taken and a
  // non-member once all its successors are done; counters track that incrementally, and a
  // name that becomes ready behind the walk's cursor waits for the next pass.
  const size_t n = names_.size();
  std::vector<char> member(n, 0);
  std::set<std::string> unknown;  // not in the graph: no dependencies, ready at once
  for (const std::string& c : containers) {
    int id = Id(c);
    if (id < 0) {
      unknown.insert(c);
    } else {
      member[id] = 1;
    }
  }
  // Direction-specific views: the groups a node waits for, the groups it counts towards, and
  // the extra (volumes_from) edges both ways.
  const auto& waits_groups = forward ? out_groups_ : in_groups_;
  const auto& feeds_groups = forward ? in_groups_ : out_groups_;
  const auto& group_waiters = forward ? group_sources_ : group_members_;
  const auto& group_feeders = forward ? group_members_ : group_sources_;
  const auto& extra_waits = forward ? extra_out_ : extra_in_;
  const auto& extra_waiters = forward ? extra_in_ : extra_out_;

  std::vector<size_t> group_left(group_feeders.size());
  for (size_t g = 0; g < group_feeders.size(); ++g) group_left[g] = group_feeders[g].size();
  std::vector<size_t> waiting(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (int g : waits_groups[i]) waiting[i] += group_left[g] > 0 ? 1 : 0;
    waiting[i] += extra_waits[i].size();
  }

  std::vector<char> done(n, 0);
  std::set<int> ready_now, ready_next;
  int cursor = -1;
  std::vector<int> finished;      // nodes just done, to propagate
  auto on_free = [&](int node) {  // all successors of `node` are done
    if (member[node]) {
      (node > cursor ? ready_now : ready_next).insert(node);
    } else {
      done[node] = 1;
      finished.push_back(node);
    }
  };
  auto propagate = [&]() {
    while (!finished.empty()) {
      int x = finished.back();
      finished.pop_back();
      for (int g : feeds_groups[x]) {
        if (--group_left[g] != 0) continue;
        for (int w : group_waiters[g]) {
          if (--waiting[w] == 0) on_free(w);
        }
      }
      for (int w : extra_waiters[x]) {
        if (--waiting[w] == 0) on_free(w);
      }
    }
  };
  for (size_t i = 0; i < n; ++i) {
    if (waiting[i] == 0) on_free(static_cast<int>(i));
  }
  propagate();

  std::vector<std::string> ordered;
  auto u = unknown.begin();
  while (true) {
    while (!ready_now.empty()) {
      int x = *ready_now.begin();
      ready_now.erase(ready_now.begin());
      while (u != unknown.end() && *u < names_[x]) ordered.push_back(*u++);
      cursor = x;
      ordered.push_back(names_[x]);
      done[x] = 1;
      finished.push_back(x);
      propagate();
    }
    // The first pass also walks the unknown names (always ready) after the last known one.
    ordered.insert(ordered.end(), u, unknown.end());
    u = unknown.end();
    if (ready_next.empty()) break;
    ready_now.swap(ready_next);
    cursor = -1;
  }
  // Only reachable with a cycle, which loading rejects: the rest in name order.
  for (size_t i = 0; i < n; ++i) {
    if (member[i] && !done[i]) ordered.push_back(names_[i]);
  }
  return ordered;
}

}  // namespace graph
}  // namespace maestro
