// Lifecycle checks (docs/environment.md#lifecycle-checks): tcp, http, exec, rexec, sleep and
// health checks
// that gate the start and stop of a container, run per state (pre-start, running, pre-stop,
// stopped).
//
// RunChecks runs every check of a state concurrently, one thread per check, as MaestroNG does
// (the MaestroNG docs imply sequential checks; the code runs them concurrently). While
// they run, the container condition (e.g. "still running") is verified about every second
// (two polls 0.5 s apart, as MaestroNG); when it turns false the checks are stopped and the
// state fails with a message saying so. With no checks, the condition is polled up to 11
// times, 0.5 s apart. All threads are joined before RunChecks returns (FIX #28: MaestroNG leaked
// a thread pool per evaluation).
//
// Check semantics and defaults (all resolved by the config loader into model::Check):
//   tcp   `max_wait` (180) connection attempts to ship.ip:port, each with a 1 s connect
//         timeout, 1 s apart. (The MaestroNG docs say 300 seconds; the code counts attempts.)
//   http  requests to {scheme}://{host}:{port}{path} until `max_wait` (300) seconds of clock
//         time have passed, 1 s apart. Success: status == 200 exactly, or with `match_regex`
//         a DOTALL search of the body (see python_regex.h). Every request has a timeout:
//         requests_options.timeout (a number, or [connect, read]), default 5 s, and never more
//         than what is left of max_wait (FIX #27). Supported requests_options: timeout,
//         verify (bool or CA bundle path; true by default for https), cert (path or
//         [cert, key]), headers, auth ([user, password], Basic), params (query), data, json,
//         allow_redirects (default true, as requests). Other keys are rejected by
//         ValidateCheck (MaestroNG raised TypeError).
//   exec  `command` run locally without a shell (the shlex-split argv), in maestro's CWD,
//         up to `attempts` (180) times, 1 s apart; success = exit status 0. envfrom `env`:
//         the child's environment is maestro's overlaid with the container's (values as
//         Python str(): a YAML null is "None"); envfrom `stdin`: the child inherits maestro's
//         environment and reads that merged environment as a JSON object on stdin. Output
//         goes to CheckContext::exec_output (when set) and its last lines to last_error.
//         A command that cannot be started fails at once (no retries). An attempt that runs
//         longer than `timeout` (60 s; real time) is killed with its whole process group
//         ("timed out after 1m"); so is a running attempt on cancellation (MaestroNG had no
//         timeout: a hanging command hung the play).
//   rexec `command` run inside the container (Docker exec, no env passed, exit status
//         decides — the MaestroNG docs claim otherwise), up to `attempts` times, 1 s
//         apart; the exec's exit code is polled every 1 s. An attempt ends after `timeout`
//         (60 s: real time for the attached output stream, clock time for the polling) or on
//         cancellation; the command may go on inside the container (Docker cannot kill an
//         exec), maestro no longer waits for it.
//   sleep waits `wait` seconds, every time it runs (FIX #18: no state is kept between runs).
//   health inspects the container up to `attempts` (180) times, 1 s apart, until Docker's own
//         State.Health.Status is `healthy`; `unhealthy` fails at once with the last line of
//         the newest health log Output; a container without State.Health (no `healthcheck:`
//         and no HEALTHCHECK in the image) fails at once saying so.
// Checks are never modified (const model::Check&), so shared service-level checks cannot
// leak between instances (FIX #6, #7 are the config loader's side of the same rule).
//
// All waiting goes through CheckContext::clock (FakeClock makes tests instant) and stops
// early when *cancel is set (Ctrl-C): every blocking call (connect, HTTP request, local
// process, Docker exec stream) observes the flag within about 100 ms. Network and process
// timeouts are real time.
//
// Thread-safety: RunChecks/RunCheck may be called concurrently for different containers.
// The context's pointers must outlive the call; `condition` is called from the calling
// thread only; `exec_output` may be called from check threads concurrently.
#ifndef MAESTRO_LIFECYCLE_CHECKS_H_
#define MAESTRO_LIFECYCLE_CHECKS_H_

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "maestro/base/clock.h"
#include "maestro/docker/docker_client.h"
#include "maestro/model/environment.h"

namespace maestro::lifecycle {

struct CheckContext {
  const model::Instance* instance = nullptr;  // required (name, env, lifecycle)
  const model::Ship* ship = nullptr;          // for messages; may be null
  docker::DockerClient* docker = nullptr;     // rexec and health only
  Clock* clock = nullptr;                     // required
  const std::atomic<bool>* cancel = nullptr;  // optional
  // Polled while the checks run (see above); empty means "always true".
  std::function<bool()> condition;
  // Said when `condition` turns false, e.g. "container c1 is no longer running". Default:
  // DefaultConditionFailure(state, instance name).
  std::string condition_failure;
  // The environment exec checks start from; null means maestro's own (environ).
  const std::map<std::string, std::string>* process_env = nullptr;
  // Pass-through of exec/rexec output (MaestroNG inherits stdout/stderr); may be empty.
  std::function<void(absl::string_view)> exec_output;
};

struct CheckOutcome {
  bool ok = false;
  std::string check;       // DescribeCheck(): "tcp check on port client (10.0.0.1:2181)"
  std::string last_error;  // "" on success
  int attempts = 0;
  absl::Duration elapsed;  // clock time
};

struct StateOutcome {
  bool ok = false;
  std::string state;
  std::vector<CheckOutcome> checks;  // in configuration order; empty when the state has none
  bool condition_failed = false;     // the container condition turned false
  std::string message;  // "" when ok; otherwise one line naming the container and the cause
};

// Runs the checks of `state` from ctx.instance->lifecycle. Errors: InvalidArgument when a
// check fails ValidateCheck (nothing is run), Cancelled when *ctx.cancel was set.
absl::StatusOr<StateOutcome> RunChecks(absl::string_view state, const CheckContext& ctx);

// Runs one check on the calling thread; *ctx.cancel stops it (ok = false, "cancelled").
// ctx.condition is not consulted. The check should have passed ValidateCheck.
CheckOutcome RunCheck(const model::Check& check, const CheckContext& ctx);

// The rules of check_rules.h (the loader already applied them, with positions), as a
// Status: "lifecycle tcp check at line 12 of c1: Port web is not TCP!".
absl::Status ValidateCheck(const model::Check& check, const model::Instance* instance);

// "tcp check on port client (10.0.0.1:2181)", "http check GET http://h:80/health",
// "exec check `cmd`", "rexec check `cmd` in c1", "sleep check (5s)",
// "health check (Docker healthcheck)".
std::string DescribeCheck(const model::Check& check);

// "container c1 is no longer running" for running/pre-stop, "container c1 is running" for
// pre-start/stopped, else "the condition of container c1 changed".
std::string DefaultConditionFailure(absl::string_view state, absl::string_view container);

}  // namespace maestro::lifecycle

#endif  // MAESTRO_LIFECYCLE_CHECKS_H_
