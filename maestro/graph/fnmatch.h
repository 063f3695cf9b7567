// Shell-style wildcard matching with Python fnmatch.fnmatchcase semantics (what MaestroNG's
// -C/--container-filter and -S/--ship-filter use on POSIX): '*' any run, '?' one character,
// '[seq]' / '[!seq]' character classes with ranges; an unclosed '[' is a literal.
// Case-sensitive. Pure; safe from any thread.
#ifndef MAESTRO_GRAPH_FNMATCH_H_
#define MAESTRO_GRAPH_FNMATCH_H_

#include "absl/strings/string_view.h"

namespace maestro {
namespace graph {

bool FnMatch(absl::string_view name, absl::string_view pattern);

}  // namespace graph
}  // namespace maestro

#endif  // MAESTRO_GRAPH_FNMATCH_H_
