// The desired container, as a Docker Engine API `POST /containers/create` body,
// and the stable hash of that desired spec that maestro writes as a label so that later runs can
// tell "unchanged" cheaply and for certain (restart --only-if-changed, start drift checks).
//
// This is what MaestroNG 0.8.3 + docker-py 1.10.6 sent, adapted for modern daemons. Deliberate
// differences from docker-py (documented in docs and tested):
//   * ExposedPorts: a range "1234-1236/tcp" is expanded into one key per port; modern daemons
//     reject range keys in the create body.
//   * PortBindings: range -> range is mapped port by port (exposed first+i -> external first+i,
//     as `docker run -p` does); a single exposed port to an external range keeps the range as
//     HostPort "1234-1236" (the daemon picks a free port in it). An exposed range with a single
//     external port is mapped like a range starting at that port.
//   * CpuShares goes in HostConfig for API >= 1.18 (docker-py 1.10.6 put it at the top level,
//     deprecated since 1.18 and ignored by modern daemons); below 1.18 it stays top level.
//   * LxcConf is sent only for API < 1.22 (the LXC driver is gone since Docker 1.10).
//   * NetworkMode "default" is sent when `net` is unset and the API is above 1.19 (as docker-py).
//   * PidMode comes from `pid` (not supported by MaestroNG 0.8.3), and the Compose-style keys
//     (model::ContainerOptions: tmpfs, read_only, init, ...) map to their Engine API fields
//     (Tmpfs, ReadonlyRootfs, Init, ...; docs/environment.md#container-keys).
//   * Labels also carry maestro's own labels (kEnvironmentLabel, ...), which override user labels
//     of the same name.
//
// Pure functions over values; safe from any thread.
#ifndef MAESTRO_SPEC_CONTAINER_SPEC_H_
#define MAESTRO_SPEC_CONTAINER_SPEC_H_

#include <cstddef>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "maestro/model/environment.h"
#include "nlohmann/json.hpp"

namespace maestro::spec {

inline constexpr char kEnvironmentLabel[] = "maestro.environment";
inline constexpr char kServiceLabel[] = "maestro.service";
inline constexpr char kInstanceLabel[] = "maestro.instance";
inline constexpr char kSpecHashLabel[] = "maestro.spec-hash";
// JSON: secret name -> {fingerprint, target, mode, uid?, gid?}; never a value.
inline constexpr char kSecretsLabel[] = "maestro.secrets";
// The instance's secrets_guest (the maestro-guest path that waits and writes), when set.
inline constexpr char kSecretsGuestLabel[] = "maestro.secrets-guest";
// How long a wrapped entrypoint waits for the secrets before it gives up (exit code 70).
inline constexpr int kSecretsWaitSeconds = 120;
// The create body a container was made from (SpecLabelValue), and the one of the container it
// replaced (PreviousSpecLabelValue), which `maestro rollback` re-creates it from. Neither is
// part of the spec hash nor of drift's label comparison. Both are stored compressed
// (EncodeSpecLabel: "z1:" + base64 of the zlib-deflated compact JSON), since every
// `GET /containers/json` returns them for every container.
inline constexpr char kSpecLabel[] = "maestro.spec";
inline constexpr char kPreviousSpecLabel[] = "maestro.previous-spec";
// The version prefix of a stored spec label; decoding accepts this form only.
inline constexpr char kSpecLabelPrefix[] = "z1:";
// The bound on a stored spec label, after compression (prefix and base64 included;
// kPreviousSpecLabel adds the image id to the spec). A larger one (thousands of link
// variables) is recorded as {"Omitted":<label bytes>,"JsonBytes":<bytes>} instead: the
// container works as usual, and a rollback to it is refused with the size in the message.
inline constexpr size_t kMaxSpecLabelBytes = 16 * 1024;
// The bound on a spec's compact JSON: a larger spec is not recorded either, and decoding stops
// inflating there (a label is never inflated beyond it, whatever it holds).
inline constexpr size_t kMaxSpecJsonBytes = 1024 * 1024;

// `Healthcheck` (Docker API 1.24+; start_period 1.29+, ignored by older daemons).
inline constexpr char kHealthcheckMinApi[] = "1.24";

// The complete create body (the container name goes in the query, not here). `api_version` is
// the version the request will be sent with ("1.41"); "auto" or an unparsable value counts as
// modern. The environment name comes from the instance's MAESTRO_ENVIRONMENT_NAME variable
// (model::Instance does not carry it otherwise).
nlohmann::json BuildCreateBody(const model::Instance& instance, const model::Ship& ship,
                               absl::string_view api_version);

// A stable hash of the desired spec: the same instance gives the same value on every machine
// and every run, and any change to what BuildCreateBody sends (env, ports, binds, limits, ...)
// changes it. Independent of the API version, and the image is normalised ("ubuntu" hashes
// like "ubuntu:latest"); which image *id* the tag resolves to is not part of it (compare ids
// separately, see drift.h). Format: "v1:" + 16 lower-case hex digits.
std::string SpecHash(const model::Instance& instance, const model::Ship& ship);

// Docker's `Healthcheck` object: Test, Interval/Timeout/StartPeriod in nanoseconds, Retries;
// unset fields are left out (the image's HEALTHCHECK or the daemon's defaults apply).
nlohmann::json HealthcheckJson(const model::Healthcheck& healthcheck);

// What BuildCreateBody would have to drop for `api_version`: FailedPrecondition naming the
// instance, the feature and the version it needs (a healthcheck needs 1.24; init 1.25, sysctls
// 1.24, pids_limit 1.23, tmpfs/shm_size/oom_score_adj 1.22, stop_signal/memory_reservation
// 1.21, group_add 1.20, cpuset 1.19). Callers check
// this before creating the container, so nothing is silently left out.
absl::Status CheckApiSupport(const model::Instance& instance, absl::string_view api_version);

// Secrets (docs/environment.md#secrets). BuildCreateBody gives an instance with secrets a tmpfs
// at /run/secrets and at every directory of a target (HostConfig.Tmpfs, mode SecretsDirMode)
// and the kSecretsLabel. WrapEntrypointForSecrets then makes the container's process wait for
// maestro's delivery: Entrypoint becomes `/bin/sh -c SecretsWaitScript maestro-secrets-wait`
// and Cmd the original entrypoint and command (the body's, else the image's `image_config`),
// which the script runs with `exec "$@"` once /run/secrets/.maestro-ready exists. With
// `secrets_guest` (images without /bin/sh) Entrypoint is instead
// `GUEST secrets-wait --timeout 120 --`, which execs Cmd the same way. Not part of
// the spec hash (it follows from the instance and the image). No-op without secrets.
void WrapEntrypointForSecrets(nlohmann::json& body, const model::Instance& instance,
                              const nlohmann::json& image_config);
// 0700, or 0711 when the process may not run as root (`username`, or a secret with an owner).
int SecretsDirMode(const model::Instance& instance);
// The POSIX sh script of the wrapper: waits up to `max_seconds` for the ready marker.
std::string SecretsWaitScript(int max_seconds);
// "z1:" + base64(zlib deflate(`text`)): the stored form of a spec label (not bounded here).
std::string EncodeSpecLabel(absl::string_view text);

// The text EncodeSpecLabel stored. InvalidArgument, naming `label_name`, when `value` lacks the
// prefix, is not base64, is not one complete zlib stream (truncated, corrupt, trailing bytes)
// or inflates above kMaxSpecJsonBytes (inflating stops there).
absl::StatusOr<std::string> DecodeSpecLabel(absl::string_view value, absl::string_view label_name);

// The kSpecLabel value for a create body: the body (without the kSpecLabel and
// kPreviousSpecLabel labels) as compact JSON, encoded (EncodeSpecLabel); the encoded
// {"Omitted":...} marker above kMaxSpecLabelBytes (compressed) or kMaxSpecJsonBytes (JSON).
std::string SpecLabelValue(const nlohmann::json& body);

// The kPreviousSpecLabel value for a container about to be replaced by a new one: its own
// kSpecLabel with the image id it runs ("ImageId", so that a rollback gets the very image
// back even after its tag moved), encoded and bounded like SpecLabelValue. "" when it has no
// readable kSpecLabel (created by hand, by MaestroNG or by a maestro before rollback existed, or
// a label edited by hand): nothing is recorded then.
std::string PreviousSpecLabelValue(const std::map<std::string, std::string>& old_labels,
                                   absl::string_view old_image_id);

// Sets kSpecLabel on `body` (SpecLabelValue) and, when `previous` is not empty,
// kPreviousSpecLabel. Call last, once the body is complete.
void AddSpecLabels(nlohmann::json& body, const std::string& previous);

// A parsed kPreviousSpecLabel: the create body to send again, and the image id it ran ("" when
// unknown).
struct RecordedSpec {
  nlohmann::json body;
  std::string image_id;
};

// Decodes a kPreviousSpecLabel value. InvalidArgument, naming the label, when it is not a
// recorded spec (DecodeSpecLabel's errors, not a JSON object, no Image); FailedPrecondition when
// it was too large to record ({"Omitted":...}), with the size and the bound.
absl::StatusOr<RecordedSpec> ParseRecordedSpec(absl::string_view label);

// "repo:tag" with the tag defaulted to latest (MaestroNG's get_image_details).
std::string NormalizedImage(absl::string_view image);

}  // namespace maestro::spec

#endif  // MAESTRO_SPEC_CONTAINER_SPEC_H_
