#include "maestro/plays/critical_path.h"

#include <algorithm>

namespace maestro::plays {

std::vector<size_t> CriticalPath(const NodeLists& prerequisites,
                                 const std::vector<NodeSpan>& spans) {
  auto later = [&](size_t a, size_t b) {  // whether node a ended after node b (ties: higher)
    return spans[a].end > spans[b].end || (spans[a].end == spans[b].end && a > b);
  };
  const size_t n = spans.size();
  size_t last = n;
  for (size_t i = 0; i < n; ++i) {
    if (spans[i].ran && (last == n || later(i, last))) last = i;
  }
  std::vector<size_t> path;
  // Bounded by the number of nodes: a plan is acyclic, but the input is not trusted.
  for (size_t node = last; node < n && path.size() < n;) {
    path.push_back(node);
    size_t next = n;
    if (node < prerequisites.size()) {
      prerequisites.ForEach(node, [&](size_t p) {
        if (p < n && spans[p].ran && (next == n || later(p, next))) next = p;
      });
    }
    node = next;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace maestro::plays
