// The critical path of a finished plan: the chain of nodes, each waiting for the one before
// it, that ended last. From the node that ended last, step back each time to the prerequisite
// (among those that ran) that ended last: that is the one the node was waiting for. Pure; used
// by PlayRunner for the timing report (ui/timings.h).
#ifndef MAESTRO_PLAYS_CRITICAL_PATH_H_
#define MAESTRO_PLAYS_CRITICAL_PATH_H_

#include <cstddef>
#include <vector>

#include "absl/time/time.h"
#include "maestro/plays/node_lists.h"

namespace maestro::plays {

struct NodeSpan {
  bool ran = false;  // false: never started (skipped, cancelled); begin/end unset
  absl::Time begin;
  absl::Time end;
};

// Nodes first to last; empty when no node ran. Ties go to the higher node (the later one in
// the play's order). `prerequisites` as for Plan::Create; out-of-range entries are ignored.
std::vector<size_t> CriticalPath(const NodeLists& prerequisites,
                                 const std::vector<NodeSpan>& spans);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_CRITICAL_PATH_H_
