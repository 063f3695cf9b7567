// The time arguments of --since/--until (docs/usage.md#events), as `docker events` and
// `docker logs` take them: RFC 3339 ("2026-12-04T03:00:00Z", "2026-12-04T03:00:00.5+01:00"),
// a date-time without an offset, read in `zone` as Docker reads it in the local zone
// ("2026-12-04T03:00:00", "2026-12-04T03:00", "2026-12-04"), Unix seconds ("1764817200",
// "1764817200.25"), or a duration before `now` ("10m", "1h30m", "45s"). The one parser of
// every --since/--until (`events`, `logs`). Pure; thread-safe.
#ifndef MAESTRO_CLI_TIME_ARG_H_
#define MAESTRO_CLI_TIME_ARG_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace maestro::cli {

// InvalidArgument naming `flag` and the accepted forms for anything else.
absl::StatusOr<absl::Time> ParseTimeArgument(absl::string_view flag, absl::string_view text,
                                             absl::Time now,
                                             absl::TimeZone zone = absl::LocalTimeZone());

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_TIME_ARG_H_
