// Drift detection: does a container on a ship still match its desired instance? Used by
// `restart --only-if-changed` and by `start` (which MaestroNG never checked).
//
// Two layers:
//   1. The maestro.spec-hash label (written by BuildCreateBody, container_spec.h). When it
//      equals SpecHash(desired), the configuration is unchanged for certain and only the image
//      id is compared: cheap and exact.
//   2. Otherwise (a changed configuration, or a container created by MaestroNG or by hand with
//      no label) the daemon's inspect output is compared field by field, with the daemon's
//      normalisations undone: Config.Env/Labels/ExposedPorts/Volumes include the image's own
//      defaults (ignored when the image inspect is given), empty lists come back as null,
//      Links come back as "/name:/container/alias", MemorySwap defaults to twice Memory,
//      NetworkMode "default" is reported as "bridge" by newer daemons, and LogConfig gets the
//      daemon's default driver. If the label differs but no field explains it, one
//      "configuration" difference says so.
//
// The image is compared by id: the configured image (`ubuntu`, i.e. `ubuntu:latest`) resolves
// to the id in `desired_image` (InspectImage of the configured reference on that ship), which
// is compared with the id the container runs. This fixes MaestroNG bug #10 (untagged images
// always counted as changed). Without `desired_image`, the normalised references are compared.
//
// Values of variables whose name looks secret (model::IsSecretName, maestro/model/secrets.h)
// are never printed: "(value hidden)".
//
// Pure functions over values; safe from any thread.
#ifndef MAESTRO_SPEC_DRIFT_H_
#define MAESTRO_SPEC_DRIFT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "maestro/docker/docker_types.h"
#include "maestro/model/environment.h"
#include "maestro/spec/container_spec.h"

namespace maestro::spec {

struct Difference {
  // What differs: "image", "env", "command", "user", "workdir", "hostname", "ports",
  // "volumes", "limits", "restart policy", "labels", "privileges", "network", "dns",
  // "extra hosts", "links", "volumes_from", "security options", "ulimits", "log config",
  // "pid mode", "healthcheck", the container keys by name ("tmpfs", "read_only", "init",
  // ...; drift_container_keys.h), "configuration".
  std::string what;
  // Why, for a user: "DB_HOST changed from \"a\" to \"b\"; FOO added".
  std::string detail;

  std::string ToString() const { return what + ": " + detail; }
  bool operator==(const Difference& o) const { return what == o.what && detail == o.detail; }
};

// Empty when the container matches the desired instance.
std::vector<Difference> Diff(const model::Instance& desired, const model::Ship& ship,
                             const docker::ContainerInspect& actual,
                             const std::optional<docker::ImageInspect>& desired_image);

// What re-creating `actual` from a recorded spec (container_spec.h, ParseRecordedSpec) would
// change, with the same field-level reasons as Diff: "image" (another reference, or the same
// tag on another image id), then the configuration fields. `actual_image`: the inspect of the
// image `actual` runs, when known (then variables, labels, ports and volumes only `actual` has
// are reported as removed, unless its image provides them).
std::vector<Difference> DiffRecorded(const nlohmann::json& recorded_body,
                                     const std::string& recorded_image_id,
                                     const docker::ContainerInspect& actual,
                                     const std::optional<docker::ImageInspect>& actual_image);

// The differences joined with "; " for one progress line.
std::string FormatDifferences(const std::vector<Difference>& differences);

}  // namespace maestro::spec

#endif  // MAESTRO_SPEC_DRIFT_H_
