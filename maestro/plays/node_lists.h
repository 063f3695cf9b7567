// NodeLists: for each node of a play, the nodes it waits for, stored without repeating what many
// nodes share. Dependencies are between services, so every instance of a service waits for the
// same set (every instance of each service it requires, transitively): 3,000 instances each
// waiting for the same 3,000 others are one shared row of 3,000 entries plus 3,000 row numbers,
// not 9 million entries. Each node's list is its shared row (interned: equal rows are stored
// once) plus a short list of its own (for example "start after my own create").
//
// A node's list never holds a node twice: Set sorts and de-duplicates, Add skips what the list
// already holds. Lists hold node indices; whether they are in range is for the user (Plan::Create
// checks).
//
// Plain value; thread-compatible.
#ifndef MAESTRO_PLAYS_NODE_LISTS_H_
#define MAESTRO_PLAYS_NODE_LISTS_H_

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace maestro::plays {

class NodeLists {
 public:
  NodeLists() = default;
  // `n` nodes, each with an empty list.
  explicit NodeLists(size_t n) : shared_(n, 0), own_(n) {}
  // Each dense[i] becomes node i's list (interned). Implicit: a plain vector of lists reads
  // naturally in tests and small plays.
  NodeLists(const std::vector<std::vector<size_t>>& dense);  // NOLINT(runtime/explicit)

  size_t size() const { return shared_.size(); }

  // Replaces node's shared row with `list` (sorted, de-duplicated, interned); entries of its own
  // list that the row now holds are dropped from the own list.
  void Set(size_t node, std::vector<size_t> list);
  // Adds `other` to node's own list unless the node's list already holds it.
  void Add(size_t node, size_t other);

  // Calls f(other) once for every node in node's list (the shared row, then the own list; each
  // ascending).
  template <typename F>
  void ForEach(size_t node, F&& f) const {
    for (size_t other : rows_[shared_[node]]) f(other);
    for (size_t other : own_[node]) f(other);
  }
  size_t Count(size_t node) const { return rows_[shared_[node]].size() + own_[node].size(); }
  bool Contains(size_t node, size_t other) const;
  // node's list, sorted (a copy: for tests and small uses).
  std::vector<size_t> Of(size_t node) const;

  // The representation, for Plan's reverse index: row ids are 0..row_count()-1, row 0 is empty.
  size_t row_count() const { return rows_.size(); }
  const std::vector<size_t>& row(size_t id) const { return rows_[id]; }
  size_t row_of(size_t node) const { return shared_[node]; }
  const std::vector<size_t>& own(size_t node) const { return own_[node]; }

 private:
  uint32_t Intern(std::vector<size_t> list);

  std::vector<uint32_t> shared_;               // node -> row id
  std::vector<std::vector<size_t>> own_;       // node -> own entries, sorted, not in its row
  std::vector<std::vector<size_t>> rows_{{}};  // row id -> sorted entries; row 0 is empty
  std::unordered_multimap<size_t, uint32_t> by_hash_;  // hash of a row -> row ids
};

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_NODE_LISTS_H_
