// Status propagation macros. Debian's Abseil (20220623) has no RETURN_IF_ERROR or
// ASSIGN_OR_RETURN, so maestro carries its own. Stateless; safe from any thread.
#ifndef MAESTRO_BASE_STATUS_MACROS_H_
#define MAESTRO_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MAESTRO_STATUS_CONCAT_INNER_(a, b) a##b
#define MAESTRO_STATUS_CONCAT_(a, b) MAESTRO_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function if not OK.
#define MAESTRO_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::absl::Status maestro_status_ = (expr);           \
    if (!maestro_status_.ok()) return maestro_status_; \
  } while (false)

// `lhs` receives the value of `rexpr` (an absl::StatusOr<T>), or the enclosing function
// returns its status. `lhs` may be a declaration: MAESTRO_ASSIGN_OR_RETURN(auto x, F());
#define MAESTRO_ASSIGN_OR_RETURN(lhs, rexpr) \
  MAESTRO_ASSIGN_OR_RETURN_IMPL_(MAESTRO_STATUS_CONCAT_(maestro_statusor_, __LINE__), lhs, rexpr)

#define MAESTRO_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

#endif  // MAESTRO_BASE_STATUS_MACROS_H_
