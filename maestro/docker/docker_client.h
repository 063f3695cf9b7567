// DockerClient: the Docker Engine API operations maestro uses, as an interface handed to the
// orchestration layer (fakes implement it too). HttpDockerClient is the real implementation.
//
// Errors keep the daemon's own message and say which ship and which call failed, e.g.
//   ship1 (unix:///var/run/docker.sock): POST /containers/create: 409 Conflict: Conflict. ...
// HTTP statuses map to codes: 404 NotFound, 409 AlreadyExists (create) or FailedPrecondition,
// 400 InvalidArgument, 401 Unauthenticated, 403 PermissionDenied, 503 Unavailable, other 5xx
// Internal; connection failures Unavailable, timeouts DeadlineExceeded. HttpStatusOf() gives
// the HTTP status back. Implementations are thread-safe.
#ifndef MAESTRO_DOCKER_DOCKER_CLIENT_H_
#define MAESTRO_DOCKER_DOCKER_CLIENT_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "maestro/docker/docker_types.h"
#include "maestro/docker/stream_parsers.h"

namespace maestro::docker {

struct ListContainersOptions {
  bool all = false;
  // label filters: "key" or "key=value".
  std::vector<std::string> labels;
  std::vector<std::string> names;  // name filters
};

struct CreateContainerResult {
  std::string id;
  std::vector<std::string> warnings;
};

struct RemoveContainerOptions {
  bool volumes = true;  // v=1 like MaestroNG
  bool force = false;
};

struct LogsOptions {
  bool stdout_ = true;
  bool stderr_ = true;
  bool follow = false;
  bool timestamps = false;
  std::string tail = "all";  // "all" or a number
  std::string since;         // only output after this UNIX time ("1700000000.5"); "" = all
  std::string until;         // only output before this UNIX time; "" = no end (API >= 1.35)
  absl::optional<bool> tty;  // unknown: the client inspects the container
  const std::atomic<bool>* cancel = nullptr;
};

struct ExecOptions {
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string user;
  std::string working_dir;
  bool tty = false;
  bool attach_stdin = false;  // for StartExecInteractive
};

// A two-way exec stream (POST /exec/{id}/start on a hijacked connection, "Upgrade: tcp"):
// Write() goes to the process's stdin, Read() gives its output (raw with a TTY, multiplexed
// frames without). Used by one thread at a time; closing it (destruction) ends the attachment.
class ExecStream {
 public:
  virtual ~ExecStream() = default;
  virtual absl::Status Write(absl::string_view data, absl::Time deadline) = 0;
  // At least one byte, or 0 at the end of the stream; DeadlineExceeded past `deadline` (the
  // stream stays usable, so short deadlines can interleave reads and writes).
  virtual absl::StatusOr<size_t> Read(char* buf, size_t len, absl::Time deadline) = 0;
  // End of input: the process's stdin reaches EOF (the connection is half-closed over every
  // transport); its output can still be read to the end. Write() fails afterwards.
  virtual absl::Status CloseWrite(absl::Time deadline) = 0;
  // While `*cancel` is true, a blocked Write, Read or CloseWrite returns Cancelled promptly
  // instead of at its deadline; the stream is unusable afterwards.
  virtual void SetCancel(const std::atomic<bool>* cancel) = 0;
};

struct EventsOptions {
  // Filters as the API takes them: {"type": ["container"], "label": ["maestro.test=1"]}.
  std::map<std::string, std::vector<std::string>> filters;
  std::string since;
  std::string until;
  const std::atomic<bool>* cancel = nullptr;  // set to stop the stream
};

using PullProgressCallback = std::function<void(const PullProgress&)>;
// Return false to stop the event stream.
using EventCallback = std::function<bool(const Event&)>;

class DockerClient {
 public:
  virtual ~DockerClient() = default;

  // A short "ship (url)" for messages.
  virtual std::string Describe() const = 0;
  // The API version in use ("1.41"); negotiates on first use unless pinned.
  virtual absl::StatusOr<std::string> ApiVersion() = 0;

  virtual absl::StatusOr<std::vector<ContainerSummary>> ListContainers(
      const ListContainersOptions& options) = 0;
  virtual absl::StatusOr<ContainerInspect> InspectContainer(absl::string_view id_or_name) = 0;
  // `body` is the complete create body (built by the orchestration layer).
  virtual absl::StatusOr<CreateContainerResult> CreateContainer(absl::string_view name,
                                                                const nlohmann::json& body) = 0;
  virtual absl::Status StartContainer(absl::string_view id) = 0;
  // timeout_seconds: `t=`; the HTTP deadline is extended by it.
  virtual absl::Status StopContainer(absl::string_view id, absl::optional<int> timeout_seconds) = 0;
  virtual absl::Status KillContainer(absl::string_view id, absl::string_view signal) = 0;
  virtual absl::Status RemoveContainer(absl::string_view id,
                                       const RemoveContainerOptions& options) = 0;

  // Output demultiplexed (or raw, as kStdout, for TTY containers) to `callback`.
  virtual absl::Status Logs(absl::string_view id, const LogsOptions& options,
                            const OutputCallback& callback) = 0;

  virtual absl::StatusOr<std::string> CreateExec(absl::string_view container,
                                                 const ExecOptions& options) = 0;
  // Runs the exec attached; output goes to `callback` until the process ends, the callback
  // returns false or *cancel (optional) is set (then OK: the process may still run).
  virtual absl::Status StartExec(absl::string_view exec_id, bool tty,
                                 const OutputCallback& callback,
                                 const std::atomic<bool>* cancel) = 0;
  // Starts a created exec (with attach_stdin) attached both ways, for `exec -it`. Not every
  // DockerClient needs it: the default answers Unimplemented.
  virtual absl::StatusOr<std::unique_ptr<ExecStream>> StartExecInteractive(
      absl::string_view exec_id, bool tty);
  // POST /containers/{id}/rename?name=NEW (the rolling update keeps a replaced container under
  // another name until its successor is proven). Default: Unimplemented.
  virtual absl::Status RenameContainer(absl::string_view id, absl::string_view new_name);
  // POST /exec/{id}/resize: the exec's TTY size. Default: Unimplemented.
  virtual absl::Status ResizeExec(absl::string_view exec_id, int rows, int columns);
  virtual absl::StatusOr<ExecInspect> InspectExec(absl::string_view exec_id) = 0;
  // Swarm nodes (GET /nodes; a daemon that is not a swarm manager answers 503:
  // FailedPrecondition). Default: Unimplemented.
  virtual absl::StatusOr<std::vector<SwarmNode>> ListNodes();
  // POST /nodes/{id}/update?version=V with `spec` (the node's whole Spec). Default:
  // Unimplemented.
  virtual absl::Status UpdateNode(absl::string_view id, int64_t version,
                                  const nlohmann::json& spec);

  // Swarm services, secrets and tasks (docs/swarm.md, `export swarm --deploy`); only a
  // manager answers (503 from others: Unavailable). Defaults: Unimplemented.
  // GET /services, filtered by label ("key" or "key=value").
  virtual absl::StatusOr<std::vector<ServiceInfo>> ListServices(
      const std::vector<std::string>& labels);
  // POST /services/create with `spec` (a ServiceSpec): the new service's id.
  virtual absl::StatusOr<std::string> CreateService(const nlohmann::json& spec);
  // POST /services/{id}/update?version=V with `spec` (the whole new ServiceSpec).
  virtual absl::Status UpdateService(absl::string_view id, int64_t version,
                                     const nlohmann::json& spec);
  // GET /secrets, filtered by label. Values are never returned by the Engine.
  virtual absl::StatusOr<std::vector<SecretInfo>> ListSecrets(
      const std::vector<std::string>& labels);
  // POST /secrets/create with `body` ({Name, Labels, Data: base64}): the secret's id;
  // AlreadyExists (409) when the name is taken. Errors never carry the body.
  virtual absl::StatusOr<std::string> CreateSecret(const nlohmann::json& body);
  // GET /tasks?filters=... ({"service": [names], "desired-state": [...]}).
  virtual absl::StatusOr<std::vector<TaskInfo>> ListTasks(
      const std::map<std::string, std::vector<std::string>>& filters);

  // Networks and named volumes (docs/environment.md#networks). Defaults: Unimplemented.
  // GET /networks, filtered by label ("key" or "key=value").
  virtual absl::StatusOr<std::vector<NetworkInfo>> ListNetworks(
      const std::vector<std::string>& labels);
  // GET /networks/{name}: NotFound when absent.
  virtual absl::StatusOr<NetworkInfo> InspectNetwork(absl::string_view name);
  // GET /info: Swarm.LocalNodeState ("inactive", "pending", "active", "error", "locked"; ""
  // when the daemon does not say). An overlay network needs "active".
  virtual absl::StatusOr<std::string> SwarmNodeState();
  // POST /networks/create with `body` (Name, Driver, IPAM, ...): the new network's id;
  // AlreadyExists (409) when the name is taken.
  virtual absl::StatusOr<std::string> CreateNetwork(const nlohmann::json& body);
  // POST /networks/{network}/connect: {"Container": c, "EndpointConfig": endpoint}.
  virtual absl::Status ConnectNetwork(absl::string_view network, absl::string_view container,
                                      const nlohmann::json& endpoint);
  // DELETE /networks/{id}: FailedPrecondition/PermissionDenied while containers use it.
  virtual absl::Status RemoveNetwork(absl::string_view id);
  // GET /volumes, filtered by label.
  virtual absl::StatusOr<std::vector<VolumeInfo>> ListVolumes(
      const std::vector<std::string>& labels);
  virtual absl::StatusOr<VolumeInfo> InspectVolume(absl::string_view name);
  // POST /volumes/create with `body` (Name, Driver, DriverOpts, Labels); idempotent on the
  // daemon for the same name.
  virtual absl::StatusOr<VolumeInfo> CreateVolume(const nlohmann::json& body);
  // DELETE /volumes/{name}: FailedPrecondition (409) while a container uses it.
  virtual absl::Status RemoveVolume(absl::string_view name);

  virtual absl::StatusOr<ImageInspect> InspectImage(absl::string_view name) = 0;
  // POST /images/create?fromImage=&tag=. `registry_auth` is the X-Registry-Auth value ("" for
  // none). An {"error":...} progress line fails the pull with the daemon's message.
  virtual absl::Status PullImage(absl::string_view image, absl::string_view tag,
                                 absl::string_view registry_auth,
                                 const PullProgressCallback& progress) = 0;
  // POST /images/create?fromSrc=-&repo=&tag= with `tar` (an uncompressed tar archive) as the
  // body: a one-layer image from nothing but this call, no registry (the deploy lock's image).
  // Idempotent: importing again only moves the tag. Not every DockerClient needs it: the
  // default answers Unimplemented.
  virtual absl::Status ImportImage(absl::string_view repo, absl::string_view tag,
                                   absl::string_view tar);
  // GET /version: the daemon's version, API versions, Os and Arch. Default: Unimplemented.
  virtual absl::StatusOr<VersionInfo> Version();
  // The first API version that serves InspectDistribution.
  static constexpr char kMinDistributionApi[] = "1.30";
  // GET /distribution/{image:tag}/json (API >= kMinDistributionApi): the daemon asks the
  // image's registry, with `registry_auth` (the X-Registry-Auth value, "" for none), for the
  // tag's manifest descriptor and platforms. NotFound: the registry has no such tag or
  // repository; Unauthenticated: the registry refused the credentials (or wants some); other
  // codes: the registry or the daemon failed (unreachable registry: Internal). Default:
  // Unimplemented.
  virtual absl::StatusOr<DistributionInspect> InspectDistribution(absl::string_view image,
                                                                  absl::string_view registry_auth);
  // POST /auth with an auth-config JSON (see registry_auth.h); returns the daemon's Status.
  virtual absl::StatusOr<std::string> Login(const nlohmann::json& auth_config) = 0;

  // GET /events; calls `callback` per event until it returns false, options.cancel is set,
  // `until` is reached or the daemon closes the stream.
  virtual absl::Status Events(const EventsOptions& options, const EventCallback& callback) = 0;
};

// The Status payload key under which DockerClient errors carry their HTTP status.
inline constexpr char kHttpStatusPayload[] = "type.maestro/http_status";

// The HTTP status a DockerClient error came from, if any.
absl::optional<int> HttpStatusOf(const absl::Status& status);
// Attaches `http_status` to `status` (for implementations and fakes).
void SetHttpStatus(absl::Status& status, int http_status);

// The one mapping of an HTTP error status to a Status code (see the top of this file): 409 is
// `conflict` (AlreadyExists for create, FailedPrecondition elsewhere), 5xx other than 503
// Internal, anything else unknown Unknown. HttpDockerClient and the fakes use it.
absl::StatusCode CodeForHttp(int http_status,
                             absl::StatusCode conflict = absl::StatusCode::kFailedPrecondition);
// The standard reason phrase of the HTTP statuses the Engine API answers with ("Not Found"),
// "Error" for others.
const char* HttpReasonPhrase(int http_status);

}  // namespace maestro::docker

#endif  // MAESTRO_DOCKER_DOCKER_CLIENT_H_
