// MAESTRO_CHECK: crash on a broken invariant (Envoy's error policy). For programmer errors only
// — a bad index handed to Plan, a state that the code's own logic rules out — never for
// anything a YAML file, a daemon, the network or the user can cause (those are absl::Status
// values). A failed check prints "file:line: check failed: <condition>[: <message>]" to stderr
// and aborts, in every build mode (NDEBUG does not turn it off, unlike assert()).
// Stateless; safe from any thread.
#ifndef MAESTRO_BASE_CHECK_H_
#define MAESTRO_BASE_CHECK_H_

#include "absl/base/optimization.h"

namespace maestro::base_internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const char* message);
}  // namespace maestro::base_internal

#define MAESTRO_CHECK(condition)                                                      \
  do {                                                                                \
    if (ABSL_PREDICT_FALSE(!(condition))) {                                           \
      ::maestro::base_internal::CheckFailed(__FILE__, __LINE__, #condition, nullptr); \
    }                                                                                 \
  } while (false)

// As MAESTRO_CHECK, with a fixed explanation (a string literal) added to the report.
#define MAESTRO_CHECK_MSG(condition, message)                                         \
  do {                                                                                \
    if (ABSL_PREDICT_FALSE(!(condition))) {                                           \
      ::maestro::base_internal::CheckFailed(__FILE__, __LINE__, #condition, message); \
    }                                                                                 \
  } while (false)

#endif  // MAESTRO_BASE_CHECK_H_
