#include "maestro/plays/node_lists.h"

#include <algorithm>
#include <utility>

namespace maestro::plays {
namespace {

size_t HashOf(const std::vector<size_t>& list) {
  size_t h = 0xcbf29ce484222325ULL ^ list.size();
  for (size_t x : list) h = (h ^ x) * 0x100000001b3ULL;
  return h;
}

}  // namespace

NodeLists::NodeLists(const std::vector<std::vector<size_t>>& dense) : NodeLists(dense.size()) {
  for (size_t i = 0; i < dense.size(); ++i) Set(i, dense[i]);
}

uint32_t NodeLists::Intern(std::vector<size_t> list) {
  if (list.empty()) return 0;
  const size_t h = HashOf(list);
  auto range = by_hash_.equal_range(h);
  for (auto it = range.first; it != range.second; ++it) {
    if (rows_[it->second] == list) return it->second;
  }
  const uint32_t id = static_cast<uint32_t>(rows_.size());
  rows_.push_back(std::move(list));
  by_hash_.emplace(h, id);
  return id;
}

void NodeLists::Set(size_t node, std::vector<size_t> list) {
  std::sort(list.begin(), list.end());
  list.erase(std::unique(list.begin(), list.end()), list.end());
  shared_[node] = Intern(std::move(list));
  const std::vector<size_t>& row = rows_[shared_[node]];
  std::vector<size_t>& own = own_[node];
  own.erase(std::remove_if(own.begin(), own.end(),
                           [&](size_t x) { return std::binary_search(row.begin(), row.end(), x); }),
            own.end());
}

bool NodeLists::Contains(size_t node, size_t other) const {
  const std::vector<size_t>& row = rows_[shared_[node]];
  if (std::binary_search(row.begin(), row.end(), other)) return true;
  const std::vector<size_t>& own = own_[node];
  return std::binary_search(own.begin(), own.end(), other);
}

void NodeLists::Add(size_t node, size_t other) {
  const std::vector<size_t>& row = rows_[shared_[node]];
  if (std::binary_search(row.begin(), row.end(), other)) return;
  std::vector<size_t>& own = own_[node];  // kept sorted; entries mostly come ascending
  if (own.empty() || own.back() < other) {
    own.push_back(other);
    return;
  }
  auto at = std::lower_bound(own.begin(), own.end(), other);
  if (*at != other) own.insert(at, other);
}

std::vector<size_t> NodeLists::Of(size_t node) const {
  std::vector<size_t> out;
  out.reserve(Count(node));
  ForEach(node, [&](size_t other) { out.push_back(other); });
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace maestro::plays
