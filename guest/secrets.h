// The guest side of secret delivery for images without /bin/sh (scratch, distroless):
// docs/environment.md#images-without-a-shell.
//   secrets-wait [--timeout S] [--dir D] -- CMD ARGS...
//       the container's entrypoint: waits (bounded) for D/.maestro-ready, then execs CMD
//   secrets-wait --check [--dir D]
//       exit 0 when the marker is there, 1 when not (maestro's "delivered?" look)
//   secrets-write TARGET MODE UID GID
//       run by maestro's exec: the value on stdin goes to TARGET.tmp (umask 077), then chmod,
//       chown and rename to TARGET, as the sh script of plays/secrets_delivery.cc does
//   secrets-write --ready [--dir D]
//       writes the marker
// The marker name and exit code 70 are the sh wrapper's (spec::SecretsWaitScript).
//
// Side effects go through SecretsSystem so that tests drive the wait with fakes; the writes use
// the real file system (tests give them a temporary directory).
//
// Thread-safety: no shared state; one call per SecretsSystem at a time.
#ifndef MAESTRO_GUEST_SECRETS_H_
#define MAESTRO_GUEST_SECRETS_H_

#include <chrono>
#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace maestro {
namespace guest {

inline constexpr int kExitSecretsNotDelivered = 70;  // EX_SOFTWARE, as the sh wrapper
inline constexpr int kExitExecFailed = 127;          // CMD could not be executed
inline constexpr char kReadyMarker[] = ".maestro-ready";
inline constexpr char kDefaultSecretsDir[] = "/run/secrets";

struct SecretsSystem {
  std::function<bool(const std::string& path)> exists;
  std::function<void(std::chrono::milliseconds)> sleep;
  // Replaces the process by argv (PATH searched when argv[0] has no '/'); returns only on
  // failure, with the reason.
  std::function<std::string(const std::vector<std::string>& argv)> exec;
  std::istream* in = nullptr;  // secrets-write's value
};

// stat(2), nanosleep, execvp and std::cin.
SecretsSystem RealSecretsSystem();

// `args` excludes the subcommand's name. Exit codes: 0, 1 (--check: no marker; a write failed),
// 2 usage, 70 the marker did not come within the timeout, 127 CMD could not be executed.
int SecretsWait(const std::vector<std::string>& args, const SecretsSystem& system,
                std::ostream& err);
int SecretsWrite(const std::vector<std::string>& args, const SecretsSystem& system,
                 std::ostream& err);

}  // namespace guest
}  // namespace maestro

#endif  // MAESTRO_GUEST_SECRETS_H_
