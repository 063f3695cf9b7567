// Delivering secrets into a started container (docs/architecture.md#secrets): each value goes
// to the container only on the standard input of an exec (`POST /containers/{id}/exec` with
// AttachStdin, then the hijacked `POST /exec/{id}/start`), run as root by the image's POSIX sh:
//   sh -c 'umask 077; ... cat > "$1.tmp" ...; chmod/chown; mv' maestro-secret TARGET MODE OWNER
// so the value is never in an argv, the create body, the image, the writable layer (targets are
// in tmpfs mounts, spec::BuildCreateBody) or a daemon log. A last exec writes the ready marker
// (/run/secrets/.maestro-ready), which the wrapped entrypoint (spec::WrapEntrypointForSecrets)
// waits for before it execs the application. With the instance's `secrets_guest` (images
// without a shell) the same steps run the image's static maestro-guest instead of sh:
// `secrets-write TARGET MODE UID GID`, `secrets-write --ready`, `secrets-wait --check`.
//
// Errors name the container, the secret and the exec's exit code and output, with every secret
// value of the environment redacted (model::Redact).
//
// Thread-safety: reentrant; one call per container at a time. Every wait is bounded (30 s per
// exec on `clock`) and the delivery stops between execs once `cancel` is set.
#ifndef MAESTRO_PLAYS_SECRETS_DELIVERY_H_
#define MAESTRO_PLAYS_SECRETS_DELIVERY_H_

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "maestro/base/clock.h"
#include "maestro/docker/docker_client.h"
#include "maestro/model/environment.h"

namespace maestro::plays {

// The argv of the exec that writes one secret (its value comes on stdin): the sh script, or
// `GUEST secrets-write TARGET MODE UID GID` with the instance's secrets_guest.
std::vector<std::string> SecretWriteCommand(const model::SecretMount& mount,
                                            const std::optional<std::string>& guest = std::nullopt);

// Writes every secret of `instance` into the running container `id`, then the ready marker.
// FailedPrecondition when a secret has no value (not resolved) or an exec fails.
absl::Status DeliverSecrets(docker::DockerClient& client, absl::string_view id,
                            const model::Environment& env, const model::Instance& instance,
                            Clock& clock, const std::atomic<bool>* cancel);

// Whether the running container `id` has the ready marker (false after a restart of the
// container by its restart policy: its tmpfs mounts start empty).
absl::StatusOr<bool> SecretsDelivered(docker::DockerClient& client, absl::string_view id,
                                      const model::Instance& instance, Clock& clock);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_SECRETS_DELIVERY_H_
