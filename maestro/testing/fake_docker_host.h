// FakeDockerHost: a stateful, in-memory Docker daemon behind the DockerClient interface: the one
// model of Docker's behaviour for both test tiers. Unit tests of the orchestration layer use it
// in process (one per ship); FakeDockerDaemon serves it over HTTP to the real HttpDockerClient.
// It really tracks containers (id, name, create body, state, timestamps from a Clock, exit
// code, labels, logs), images (repo tags -> id), execs and events, and reproduces the API
// semantics that matter to maestro:
//   * create with a name in use -> AlreadyExists (HTTP 409) with Docker's "Conflict. The
//     container name ..." message; create from an image the host lacks -> NotFound (404);
//   * start/stop/kill/remove/inspect of an unknown container -> NotFound (404)
//     "No such container: x";
//   * start of a running or stop of a stopped container -> OK (the daemon's 304);
//   * kill of a stopped container -> FailedPrecondition (409) "... is not running";
//   * remove of a running container without force -> FailedPrecondition (409);
//   * starting a container whose host port is taken by a running container of this host ->
//     Internal (500) "... port is already allocated";
//   * list with `all` and label/name filters; images by reference ("ubuntu" == "ubuntu:latest");
//   * pulls and logins for registries set up with RequireRegistryAuth need their credentials;
//   * a registry behind the host (InspectDistribution): it has every pullable image and every
//     image the host has (a re-pull), with a digest derived from the reference and image id
//     and the host's own platform, unless SetRegistryImage says otherwise; a pulled image's
//     RepoDigests name the digest it was pulled as.
// Errors carry the HTTP status the real client would attach, so docker::HttpStatusOf() works,
// and the daemon's own message (DaemonMessageOf(), what FakeDockerDaemon sends back); their
// text is shaped like HttpDockerClient's ("ship1 (fake://ship1): POST /...: 404 Not Found: No
// such container: x"), so both tiers give the same text after the "ship (url): " prefix.
//
// Failure injection: SetDown(), FailNext(), per-call latency, containers that exit right after
// start (ExitOnStart), containers that ignore SIGTERM (stop then takes the full timeout on the
// Clock), scripted pulls, exec exit codes and log lines.
//
// Time: timestamps and SIGTERM timeouts use the Clock handed in (a FakeClock keeps tests
// instant). Per-call latency sleeps on that Clock, or on the wall clock with
// LatencyMode::kWallClock (benchmarks that want real 20 ms round trips with a FakeClock).
//
// Thread-safety: thread-safe; calls from many threads interleave like requests to one daemon.
// Latency and SIGTERM waits happen outside the lock. The Clock must outlive the host.
#ifndef MAESTRO_TESTING_FAKE_DOCKER_HOST_H_
#define MAESTRO_TESTING_FAKE_DOCKER_HOST_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "maestro/base/clock.h"
#include "maestro/docker/docker_client.h"
#include "nlohmann/json.hpp"

namespace maestro::testing {

// One recorded call: the DockerClient method name ("CreateContainer") and its target (container
// name or id as passed, image reference, exec id; "" for host-wide calls).
struct FakeCall {
  std::string method;
  std::string target;
  bool operator==(const FakeCall& o) const { return method == o.method && target == o.target; }
};

// One exec as the host saw it: what ran, as whom, and what it got on its stdin (only through
// StartExecInteractive).
struct FakeExec {
  std::string id;
  std::string container;  // the container's name
  std::vector<std::string> cmd;
  std::string user;
  bool attach_stdin = false;
  std::string stdin_data;
  bool stdin_closed = false;
  std::optional<int64_t> exit_code;  // set once it ended
};

enum class FakeContainerState { kCreated, kRunning, kExited };

// A snapshot of one container.
struct FakeContainer {
  std::string id;        // 64 hex digits
  std::string name;      // without the leading '/'
  std::string image;     // as given in the create body
  std::string image_id;  // what it resolved to at create
  nlohmann::json create_body;
  nlohmann::json image_config;  // the image's Config at create time (env, cmd, labels defaults)
  FakeContainerState state = FakeContainerState::kCreated;
  absl::Time created;
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> finished_at;
  int64_t exit_code = 0;
  std::map<std::string, std::string> labels;
  // Host ports actually allocated while running: "80/tcp" -> [{HostIp, HostPort}].
  std::map<std::string, std::vector<docker::PortBinding>> allocated_ports;
  int start_count = 0;
  // Networks connected with ConnectNetwork: name -> EndpointConfig.
  std::map<std::string, nlohmann::json> connected_networks;
};

class FakeDockerHost : public docker::DockerClient {
 public:
  enum class LatencyMode { kClock, kWallClock };

  // `clock` defaults to RealClock::Get().
  explicit FakeDockerHost(std::string ship_name = "ship1", Clock* clock = nullptr);
  ~FakeDockerHost() override;

  // ---- Setup and failure injection ----
  // Adds or moves a tag: "ubuntu" means "ubuntu:latest". `id` defaults to one derived from the
  // reference. `config` is the image's Config (Env, Cmd, Labels, ExposedPorts, Volumes).
  // Returns the image id.
  std::string AddImage(absl::string_view reference, absl::string_view id = "",
                       nlohmann::json config = nlohmann::json::object());
  void RemoveImage(absl::string_view reference);
  // PullImage of `reference` succeeds and (re)tags it to `id` (default: derived). By default a
  // pull succeeds only for images already present (a re-pull); anything else fails with
  // NotFound "pull access denied ...".
  void SetPullable(absl::string_view reference, absl::string_view id = "");
  // PullImage of `reference` fails with `status` (every time, until cleared with OkStatus()).
  void SetPullError(absl::string_view reference, absl::Status status);
  // The registry has `reference` as `digest` ("" = derived) for these platforms (default: the
  // host's own, see SetPlatform); it is pullable too (as `id`, default derived from the
  // digest), and a pull records the digest in the image's RepoDigests.
  void SetRegistryImage(absl::string_view reference, absl::string_view digest = "",
                        std::vector<docker::Platform> platforms = {}, absl::string_view id = "");
  // The registry no longer has `reference` (nor can it be pulled).
  void RemoveRegistryImage(absl::string_view reference);
  // What Version() answers for Os and Arch (default "linux", "amd64").
  void SetPlatform(absl::string_view os, absl::string_view arch);
  // Every call fails with Unavailable "connection refused", after `delay` (on the latency clock).
  void SetDown(bool down, absl::Duration delay = absl::ZeroDuration());
  // The next call of `method` (a DockerClient method name) fails with `status`. Queued: two
  // FailNext calls for one method fail its next two calls.
  void FailNext(absl::string_view method, absl::Status status);
  void SetLatency(absl::Duration latency, LatencyMode mode = LatencyMode::kClock);
  // What ApiVersion() answers (default "1.41"): an old daemon.
  void SetApiVersion(absl::string_view version);
  // What SwarmNodeState() answers (default "inactive": not a swarm node).
  void SetSwarmNodeState(absl::string_view state);
  // Benchmarks: with false, containers created from now on keep their create body without its
  // "Env" (inspect then shows only the image's), so that one process can serve thousands of
  // containers whose environments carry thousands of link variables. Default true.
  void SetKeepCreateEnv(bool keep);
  // Containers created from `image` (as configured, normalised) or named `image_or_name` exit
  // with `exit_code` right after start (start itself succeeds, as on a real daemon).
  void SetExitOnStart(absl::string_view image_or_name, int exit_code = 1);
  // Such containers ignore SIGTERM: stop waits the whole timeout on the Clock, then SIGKILLs
  // (exit code 137).
  void SetIgnoresSigterm(absl::string_view image_or_name);
  // Once a stop or kill has ended the process of the container named `name` (its "die" is
  // out), the reply is held until another StopContainer or KillContainer call arrives on this
  // host, or `max` of real time passes: a daemon still tearing the container down (network,
  // mounts) before it answers. teardown_holds_timed_out() counts holds that ran to `max`.
  void SetTeardownHold(absl::string_view name, absl::Duration max);
  int teardown_holds_timed_out() const;
  // Output lines of a container (by name) for Logs, on stdout: replaces what it logged so far.
  void SetLogs(absl::string_view container_name, std::vector<std::string> lines);
  // Appends `text` to a container's output (by name or id; kept by name, so it may precede the
  // container); a following Logs call sees it at once. Each entry is stamped with the Clock's
  // time (what `timestamps`, `since` and `until` see) and belongs to the container that has the
  // name now: a container re-created under the same name starts with an empty log, as on a
  // real daemon (entries appended before any container had the name belong to the next one).
  void AppendLogs(absl::string_view name_or_id, docker::StdStream stream, std::string text);
  // Every Logs stream open now ends with Unavailable "connection reset by peer", as when the
  // connection to the daemon drops mid-stream (later Logs calls work).
  void DropLogStreams();
  // Execs in `container_name` ("" = any) whose command line (argv joined by spaces) contains
  // `command_substring` exit with `exit_code` after writing `output` (stdout) and
  // `error_output` (stderr). Later scripts win. The default is exit code 0 with no output.
  void ScriptExec(absl::string_view container_name, absl::string_view command_substring,
                  int exit_code, std::string output = "", std::string error_output = "");
  // Docker's own health of the container named `name` (State.Health in inspect): each
  // InspectContainer of it takes the next of `statuses` ("starting", "healthy", "unhealthy"),
  // the last one stays; `output` is the Output of the newest State.Health.Log entry. Without
  // this, a running container created with a Healthcheck whose Test is not ["NONE"] reports
  // "starting", and a container without one has no State.Health.
  void SetHealth(absl::string_view name, std::vector<std::string> statuses,
                 std::string output = "");
  // Pulls of images under `registry_host` ("127.0.0.1:5000") need an X-Registry-Auth with these
  // credentials, and logins to it these credentials (else 401).
  void RequireRegistryAuth(absl::string_view registry_host, absl::string_view user,
                           absl::string_view password);

  // ---- Direct state changes (as if something happened on the host) ----
  // The container's process exits (crash, or a one-shot finishing): emits "die".
  absl::Status SimulateExit(absl::string_view name_or_id, int exit_code);

  // A DockerClient-shaped API error for FailNext: the status code HttpDockerClient would give
  // for `http_status` (409 -> FailedPrecondition, 5xx -> Internal, ...) with the HTTP status
  // attached for docker::HttpStatusOf().
  static absl::Status ApiError(int http_status, absl::string_view message);
  // The daemon's own message in an error of this host ("No such container: x"), as the HTTP
  // front end sends it; the whole message for statuses that did not come from this host.
  static std::string DaemonMessageOf(const absl::Status& status);

  // ---- The wire form (what FakeDockerDaemon serialises; the DockerClient calls parse it) ----
  // Same calls, recording and errors as the DockerClient methods of the same name.
  absl::StatusOr<nlohmann::json> ListContainersJson(const docker::ListContainersOptions& options);
  absl::StatusOr<nlohmann::json> InspectContainerJson(absl::string_view id_or_name);
  absl::StatusOr<nlohmann::json> InspectExecJson(absl::string_view exec_id);
  absl::StatusOr<nlohmann::json> InspectImageJson(absl::string_view name);

  // ---- Inspection ----
  std::vector<FakeCall> calls() const;
  int CountCalls(absl::string_view method) const;
  int CountCalls(absl::string_view method, absl::string_view target) const;
  void ClearCalls();
  std::optional<FakeContainer> FindContainer(absl::string_view name_or_id) const;
  std::vector<FakeContainer> containers() const;  // sorted by name
  std::vector<docker::Event> events() const;      // everything emitted so far
  std::vector<FakeExec> execs() const;            // in creation order
  bool HasImage(absl::string_view reference) const;

  // ---- DockerClient ----
  std::string Describe() const override;
  absl::StatusOr<std::string> ApiVersion() override;
  absl::StatusOr<std::vector<docker::ContainerSummary>> ListContainers(
      const docker::ListContainersOptions& options) override;
  absl::StatusOr<docker::ContainerInspect> InspectContainer(absl::string_view id_or_name) override;
  absl::StatusOr<docker::CreateContainerResult> CreateContainer(
      absl::string_view name, const nlohmann::json& body) override;
  absl::Status StartContainer(absl::string_view id) override;
  absl::Status StopContainer(absl::string_view id, absl::optional<int> timeout_seconds) override;
  absl::Status KillContainer(absl::string_view id, absl::string_view signal) override;
  absl::Status RemoveContainer(absl::string_view id,
                               const docker::RemoveContainerOptions& options) override;
  absl::Status RenameContainer(absl::string_view id, absl::string_view new_name) override;
  absl::Status Logs(absl::string_view id, const docker::LogsOptions& options,
                    const docker::OutputCallback& callback) override;
  absl::StatusOr<std::string> CreateExec(absl::string_view container,
                                         const docker::ExecOptions& options) override;
  // Never blocks (a scripted exec ends at once), so `cancel` is not consulted.
  absl::Status StartExec(absl::string_view exec_id, bool tty,
                         const docker::OutputCallback& callback,
                         const std::atomic<bool>* cancel) override;
  // The process reads its stdin until CloseWrite; then it ends as ScriptExec says, and its output
  // (multiplexed frames without a TTY) can be read.
  absl::StatusOr<std::unique_ptr<docker::ExecStream>> StartExecInteractive(
      absl::string_view exec_id, bool tty) override;
  absl::StatusOr<docker::ExecInspect> InspectExec(absl::string_view exec_id) override;
  absl::StatusOr<docker::ImageInspect> InspectImage(absl::string_view name) override;
  // Networks and named volumes (fake_docker_host_networks.cc): a create of a taken network
  // name is AlreadyExists (409); a volume create of an existing name returns it unchanged (as
  // the daemon); removing a network a running container is on is PermissionDenied (403
  // "has active endpoints"), a volume any container mounts FailedPrecondition (409 "volume
  // is in use"). A container created with a NetworkMode that names no network fails with
  // 404 "network X not found"; connecting to a running container works as on the daemon.
  absl::StatusOr<std::vector<docker::NetworkInfo>> ListNetworks(
      const std::vector<std::string>& labels) override;
  absl::StatusOr<docker::NetworkInfo> InspectNetwork(absl::string_view name) override;
  absl::StatusOr<std::string> SwarmNodeState() override;
  absl::StatusOr<std::string> CreateNetwork(const nlohmann::json& body) override;
  absl::Status ConnectNetwork(absl::string_view network, absl::string_view container,
                              const nlohmann::json& endpoint) override;
  absl::Status RemoveNetwork(absl::string_view id) override;
  absl::StatusOr<std::vector<docker::VolumeInfo>> ListVolumes(
      const std::vector<std::string>& labels) override;
  absl::StatusOr<docker::VolumeInfo> InspectVolume(absl::string_view name) override;
  absl::StatusOr<docker::VolumeInfo> CreateVolume(const nlohmann::json& body) override;
  absl::Status RemoveVolume(absl::string_view name) override;
  // Swarm (fake_docker_host_swarm.cc): a host is a manager only after SetSwarmManager; every
  // other host answers the swarm calls 503 "This node is not a swarm manager" (Unavailable).
  // A created service gets one running task on the node its placement constraint
  // (node.labels.K == V) names, else the first node; an update replaces that task (the old one
  // is shut down). An update naming a stale version fails like the daemon (500 "update out of
  // sequence"); a taken service or secret name is AlreadyExists (409).
  void SetSwarmManager(bool manager);
  void AddSwarmNode(const std::string& id, const std::string& hostname, const std::string& addr,
                    const std::map<std::string, std::string>& labels);
  // The spec a service was last created or updated with, and a secret's value (decoded).
  std::optional<nlohmann::json> SwarmServiceSpec(const std::string& name) const;
  std::optional<std::string> SwarmSecretValue(const std::string& name) const;
  absl::StatusOr<std::vector<docker::SwarmNode>> ListNodes() override;
  absl::StatusOr<std::vector<docker::ServiceInfo>> ListServices(
      const std::vector<std::string>& labels) override;
  absl::StatusOr<std::string> CreateService(const nlohmann::json& spec) override;
  absl::Status UpdateService(absl::string_view id, int64_t version,
                             const nlohmann::json& spec) override;
  absl::StatusOr<std::vector<docker::SecretInfo>> ListSecrets(
      const std::vector<std::string>& labels) override;
  absl::StatusOr<std::string> CreateSecret(const nlohmann::json& body) override;
  absl::StatusOr<std::vector<docker::TaskInfo>> ListTasks(
      const std::map<std::string, std::vector<std::string>>& filters) override;
  // The networks a container is on (its NetworkMode's, then connected ones), by name.
  std::vector<std::string> ContainerNetworks(absl::string_view name_or_id) const;
  absl::Status PullImage(absl::string_view image, absl::string_view tag,
                         absl::string_view registry_auth,
                         const docker::PullProgressCallback& progress) override;
  // Tags a new image `repo:tag` (an empty `tar` fails like the daemon's "unexpected EOF").
  absl::Status ImportImage(absl::string_view repo, absl::string_view tag,
                           absl::string_view tar) override;
  absl::StatusOr<std::string> Login(const nlohmann::json& auth_config) override;
  absl::StatusOr<docker::VersionInfo> Version() override;
  absl::StatusOr<docker::DistributionInspect> InspectDistribution(
      absl::string_view image, absl::string_view registry_auth) override;
  absl::Status Events(const docker::EventsOptions& options,
                      const docker::EventCallback& callback) override;

 private:
  using Container = FakeContainer;
  struct Image {
    std::string id;
    nlohmann::json config;
    absl::Time created;
    std::string digest;  // the registry digest it was pulled as ("" when not pulled)
  };
  struct RegistryImage {
    std::string digest;
    std::vector<docker::Platform> platforms;  // empty: the host's platform
  };
  struct Exec {
    std::string id;
    std::string container_id;
    std::vector<std::string> cmd;
    bool tty = false;
    bool running = false;
    std::optional<int64_t> exit_code;
    std::string user;
    bool attach_stdin = false;
    std::string stdin_data;
    bool stdin_closed = false;
  };
  class ExecStreamImpl;
  // The scripted end of exec `e` (ScriptExec): its exit code is set, its output returned.
  void EndExecLocked(Exec& e, std::string* output, std::string* error_output);
  struct ExecScript {
    std::string container;
    std::string substring;
    int exit_code;
    std::string output;
    std::string error_output;
  };
  struct LogEntry {
    docker::StdStream stream;
    std::string text;
    absl::Time time;
    std::string container_id;  // "" until a container had the name
  };

  // Records the call, sleeps the latency, applies SetDown/FailNext. Not under the lock.
  absl::Status Enter(absl::string_view method, absl::string_view target,
                     absl::string_view http_what);
  // An API error: `code` (docker::CodeForHttp(http) unless a call maps 409 otherwise), the
  // HTTP status and the daemon's message attached.
  absl::Status Error(int http, absl::StatusCode code, absl::string_view what,
                     absl::string_view message) const;
  // Whether the X-Registry-Auth `registry_auth` carries the credentials RequireRegistryAuth
  // set for `image`'s registry (true for a registry that needs none).
  bool RegistryAuthOkLocked(absl::string_view image, absl::string_view registry_auth) const;
  // The registry's digest of `ref` (normalised), or "" when the registry does not have it.
  std::string RegistryDigestLocked(const std::string& ref) const;
  // A failure reported inside a 200 stream (pull): no HTTP status, the message attached.
  absl::Status StreamError(absl::StatusCode code, absl::string_view what,
                           absl::string_view message) const;
  Container* FindLocked(absl::string_view name_or_id);
  const Container* FindLocked(absl::string_view name_or_id) const;
  // The image id for a reference or id (prefix), or nullptr.
  const std::string* ResolveImageLocked(absl::string_view reference) const;
  bool BehaviourLocked(const std::map<std::string, int>& table, const Container& c,
                       int* value) const;
  void EmitLocked(const Container& c, absl::string_view action, int64_t exit_code = -1,
                  absl::string_view signal = "");
  // SetTeardownHold: waits (mu_ held by `lock`) for the next stop/kill call or the hold's max.
  void HoldTeardownLocked(std::unique_lock<std::mutex>& lock, const std::string& name,
                          size_t stop_calls_seen);
  void ExitLocked(Container& c, int64_t exit_code);
  absl::Status AllocatePortsLocked(Container& c, absl::string_view what);
  nlohmann::json InspectJsonLocked(const Container& c) const;
  // The container's State.Health.Status now ("" when it has none); see SetHealth.
  std::string HealthLocked(const Container& c) const;
  std::string NewId(absl::string_view seed);
  // The network named or with the id `name_or_id`, or nullptr.
  const nlohmann::json* FindNetworkLocked(absl::string_view name_or_id) const;
  bool NetworkInUseLocked(const std::string& name) const;
  absl::Status SwarmManagerLocked(absl::string_view what) const;
  void StartTaskLocked(const nlohmann::json& service);

  const std::string ship_;
  Clock* const clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;                      // events and state changes
  std::map<std::string, Container> containers_;     // by id
  std::map<std::string, std::string> by_name_;      // name -> id
  std::map<std::string, Image> images_;             // "repo:tag" -> image
  std::map<std::string, nlohmann::json> networks_;  // name -> GET /networks/{id} answer
  std::map<std::string, nlohmann::json> volumes_;   // name -> GET /volumes/{name} answer
  bool swarm_manager_ = false;
  std::vector<nlohmann::json> swarm_nodes_;                 // GET /nodes answers
  std::map<std::string, nlohmann::json> swarm_services_;    // name -> GET /services answer
  std::map<std::string, nlohmann::json> swarm_secrets_;     // name -> GET /secrets answer
  std::map<std::string, std::string> swarm_secret_values_;  // name -> value
  std::vector<nlohmann::json> swarm_tasks_;                 // GET /tasks answers
  int64_t swarm_version_ = 10;
  std::map<std::string, std::string> pullable_;    // "repo:tag" -> id
  std::map<std::string, RegistryImage> registry_;  // SetRegistryImage: "repo:tag" -> entry
  std::set<std::string> not_in_registry_;          // RemoveRegistryImage
  std::map<std::string, absl::Status> pull_errors_;
  std::map<std::string, Exec> execs_;
  std::vector<std::string> exec_order_;
  std::vector<ExecScript> exec_scripts_;
  std::map<std::string, int> exit_on_start_;             // image (normalised) or name -> code
  std::map<std::string, int> ignores_sigterm_;           // image (normalised) or name -> 1
  std::map<std::string, absl::Duration> teardown_hold_;  // container name -> max
  int teardown_holds_timed_out_ = 0;
  size_t stop_calls_ = 0;  // StopContainer and KillContainer calls entered
  std::map<std::string, std::vector<LogEntry>> logs_;  // container name -> output
  struct HealthScript {
    std::deque<std::string> statuses;
    std::string output;
  };
  std::map<std::string, HealthScript> health_;  // container name -> SetHealth script
  std::map<std::string, std::pair<std::string, std::string>> registry_auth_;  // host -> user, pw
  std::vector<docker::Event> events_;
  std::vector<FakeCall> calls_;
  std::map<std::string, std::deque<absl::Status>> fail_next_;
  bool down_ = false;
  absl::Duration down_delay_;
  absl::Duration latency_;
  LatencyMode latency_mode_ = LatencyMode::kClock;
  uint64_t id_counter_ = 0;
  bool shutting_down_ = false;
  int log_drops_ = 0;  // DropLogStreams() generation
  std::string api_version_ = "1.41";
  std::string swarm_node_state_ = "inactive";
  std::string os_ = "linux";
  std::string arch_ = "amd64";
  bool keep_create_env_ = true;
};

}  // namespace maestro::testing

#endif  // MAESTRO_TESTING_FAKE_DOCKER_HOST_H_
