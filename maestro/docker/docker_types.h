// Docker Engine API value types: the common fields typed, plus the raw JSON (`raw`) for
// callers that need more (not for list entries: a list answer can hold 10,000 containers, so a
// ContainerSummary keeps only its typed fields). Plain values; thread-compatible.
#ifndef MAESTRO_DOCKER_DOCKER_TYPES_H_
#define MAESTRO_DOCKER_DOCKER_TYPES_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"

namespace maestro::docker {

struct VersionInfo {
  std::string version;          // "24.0.5"
  std::string api_version;      // "1.43"
  std::string min_api_version;  // "1.12"
  std::string os;
  std::string arch;
  nlohmann::json raw;
};

// One entry of a list answer's "Ports": a published port has public_port > 0.
struct SummaryPort {
  std::string ip;  // host address ("0.0.0.0", "::", "127.0.0.1"; "" when not published)
  int private_port = 0;
  int public_port = 0;
  std::string type;  // "tcp", "udp"
};

struct ContainerSummary {
  std::string id;
  std::vector<std::string> names;  // with the leading '/'
  std::string image;
  std::string image_id;
  std::string state;   // "running", "exited", ...
  std::string status;  // "Up 3 minutes"
  std::map<std::string, std::string> labels;
  int64_t created = 0;  // unix seconds
  std::vector<SummaryPort> ports;
  // No `raw`: nothing reads more than the fields above, and a copy of each entry's JSON doubled
  // what `status` holds per container (docs/benchmarks.md §5).
};

bool operator==(const SummaryPort& a, const SummaryPort& b);
bool operator==(const ContainerSummary& a, const ContainerSummary& b);

// The container's name in a list answer ("" for none): the first of `names` that is not a link
// ("/web-1", not "/app/web-1"), without its leading '/'.
std::string SummaryName(const ContainerSummary& c);

struct PortBinding {
  std::string host_ip;
  std::string host_port;
};

struct ContainerState {
  bool running = false;
  bool paused = false;
  bool restarting = false;
  std::string status;  // "created", "running", "exited", ...
  int64_t exit_code = 0;
  int64_t pid = 0;
  std::string started_at;  // RFC 3339 as the daemon sent it
  std::string finished_at;
  std::string error;
};

struct ContainerInspect {
  std::string id;
  std::string name;          // with the leading '/'
  std::string image_id;      // "Image": the sha256 id
  std::string config_image;  // "Config.Image": what the container was created from
  std::vector<std::string> env;
  std::vector<std::string> cmd;
  std::map<std::string, std::string> labels;
  bool tty = false;
  ContainerState state;
  // "NetworkSettings.Ports": "80/tcp" -> bindings (empty when exposed but unpublished).
  std::map<std::string, std::vector<PortBinding>> ports;
  nlohmann::json host_config;  // "HostConfig" as sent by the daemon
  int restart_count = 0;
  nlohmann::json raw;
};

struct ImageInspect {
  std::string id;
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  std::string created;
  nlohmann::json config;  // "Config"
  nlohmann::json raw;
};

// One platform of an image in a registry ("linux"/"amd64", variant "v8" for arm64).
struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
};

// GET /distribution/{name}/json: what the image's registry says about a tag, as the daemon
// asked it (with the caller's X-Registry-Auth): the manifest (or manifest list) descriptor and
// the platforms it covers (empty when the registry does not say).
struct DistributionInspect {
  std::string media_type;
  std::string digest;  // "sha256:..."
  int64_t size = 0;
  std::vector<Platform> platforms;
};

// A Swarm node (GET /nodes), for `maestro swarm label`.
struct SwarmNode {
  std::string id;
  int64_t version = 0;                        // Version.Index: an update must name it
  std::string hostname;                       // Description.Hostname
  std::string addr;                           // Status.Addr
  std::string role;                           // Spec.Role: "manager" or "worker"
  std::map<std::string, std::string> labels;  // Spec.Labels
  nlohmann::json spec;                        // Spec, sent back whole with new labels
};

// A Swarm service (GET /services): what `export swarm --deploy` compares and updates.
struct ServiceInfo {
  std::string id;
  std::string name;                           // Spec.Name
  int64_t version = 0;                        // Version.Index: an update must name it
  std::map<std::string, std::string> labels;  // Spec.Labels
  nlohmann::json spec;                        // Spec
};

// A Swarm secret (GET /secrets): never its value (the Engine does not return it).
struct SecretInfo {
  std::string id;
  std::string name;
  std::map<std::string, std::string> labels;
};

// A Swarm task (GET /tasks).
struct TaskInfo {
  std::string id;
  std::string service_id;
  std::string node_id;
  int64_t slot = 0;
  std::string state;          // Status.State: new, pending, ..., running, complete, failed
  std::string desired_state;  // DesiredState
  std::string message;        // Status.Message
  std::string error;          // Status.Err
  std::string container_id;   // Status.ContainerStatus.ContainerID
  std::string timestamp;      // Status.Timestamp (RFC 3339)
};

// A network (GET /networks, /networks/{id}): the fields maestro compares with the
// configuration, plus the raw answer.
struct NetworkInfo {
  std::string id;
  std::string name;
  std::string driver;
  bool internal = false;
  bool attachable = false;
  bool enable_ipv6 = false;
  std::string subnet, gateway, ip_range;  // IPAM.Config[0] ("" when absent)
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;  // driver options
  std::vector<std::string> containers;         // ids of the containers attached (inspect only)
  nlohmann::json raw;
};

// A named volume (GET /volumes, /volumes/{name}).
struct VolumeInfo {
  std::string name;
  std::string driver;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
  nlohmann::json raw;
};

struct ExecInspect {
  std::string id;
  bool running = false;
  absl::optional<int64_t> exit_code;
  std::string container_id;
  nlohmann::json raw;
};

struct Event {
  std::string type;    // "container", "image", ...
  std::string action;  // "start", "die", ...
  std::string actor_id;
  std::map<std::string, std::string> attributes;
  int64_t time = 0;
  int64_t time_nano = 0;
  nlohmann::json raw;
};

// A pull progress line, e.g. {"status":"Downloading","progressDetail":{...},"id":"a1b2"}.
struct PullProgress {
  std::string id;
  std::string status;
  std::string progress;
  int64_t current = 0;
  int64_t total = 0;
  nlohmann::json raw;
};

// Parsers from the daemon's JSON (tolerant: missing fields stay default). Exposed for tests.
ContainerSummary ParseContainerSummary(const nlohmann::json& j);
ContainerInspect ParseContainerInspect(const nlohmann::json& j);
ImageInspect ParseImageInspect(const nlohmann::json& j);
// One entry of GET /nodes; fields of the wrong type are left empty.
SwarmNode ParseSwarmNode(const nlohmann::json& j);
ServiceInfo ParseServiceInfo(const nlohmann::json& j);
SecretInfo ParseSecretInfo(const nlohmann::json& j);
TaskInfo ParseTaskInfo(const nlohmann::json& j);
ExecInspect ParseExecInspect(const nlohmann::json& j);
NetworkInfo ParseNetworkInfo(const nlohmann::json& j);
VolumeInfo ParseVolumeInfo(const nlohmann::json& j);
Event ParseEvent(const nlohmann::json& j);
VersionInfo ParseVersionInfo(const nlohmann::json& j);
PullProgress ParsePullProgress(const nlohmann::json& j);
// {"Descriptor":{"mediaType","digest","size"},"Platforms":[{"architecture","os","variant"}]}.
DistributionInspect ParseDistributionInspect(const nlohmann::json& j);

// Docker's names for a platform's architecture, as `uname -m` or Go spell them: "x86_64" ->
// "amd64", "aarch64" -> "arm64", "armv7l" -> "arm"; others as given, lower case.
std::string NormalizeArchitecture(absl::string_view arch);

// Compares dotted API versions ("1.41") numerically: -1, 0 or 1. Unparsable parts count as 0.
int CompareApiVersions(absl::string_view a, absl::string_view b);

// A time as the daemon writes it (RFC 3339 with up to nanoseconds, any offset:
// "2026-11-25T14:32:53.123456789Z"). absl::InfinitePast() for "", garbage and Docker's zero
// time "0001-01-01T00:00:00Z" (never started / never finished).
absl::Time ParseDockerTime(absl::string_view text);

// `t` as the API's `since`/`until` query parameters take it: "<unix seconds>.<nanoseconds>".
std::string DockerTimeParam(absl::Time t);

}  // namespace maestro::docker

#endif  // MAESTRO_DOCKER_DOCKER_TYPES_H_
