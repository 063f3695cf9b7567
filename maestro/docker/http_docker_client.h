// HttpDockerClient: DockerClient over HTTP/1.1 (HttpClient) and a transport (unix, tcp, tls,
// ssh). Negotiates the API version on first use: min(server ApiVersion, kMaxApiVersion) but at
// least the server's MinAPIVersion, unless the ship pins `api_version`. A server that does not
// answer /_ping like a Docker daemon, or a pinned version that is not a version, fails every
// call with FailedPrecondition naming that reason (never NotFound, which callers read as "no
// such container/image"); a server that cannot be reached at all (refused, SSH or TLS
// authentication, host keys) keeps the transport's own code and reason.
//
// Per-call bounds (CallLimits; the table is in docs/ships.md): connect, send and the
// negotiation ping within the ship's `timeout`; other calls wait for a slow but alive daemon
// (pinged between slices of `timeout`) up to their patience; streams are bounded by their
// caller plus a stall bound for pulls; kept bodies and shown daemon messages are size-capped.
// SetInterrupt() hands in the Ctrl-C flag that every wait observes.
// Thread-safe; owns its transport and connection pool.
#ifndef MAESTRO_DOCKER_HTTP_DOCKER_CLIENT_H_
#define MAESTRO_DOCKER_HTTP_DOCKER_CLIENT_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "maestro/docker/docker_client.h"
#include "maestro/docker/http_client.h"
#include "maestro/transport/connection_spec.h"
#include "maestro/transport/transport.h"

namespace maestro::docker {

// The highest Engine API version whose semantics this client implements.
inline constexpr char kMaxApiVersion[] = "1.41";

// How long and how much each kind of call may take (see docs/ships.md).
struct CallLimits {
  // Inspect, list, exec inspect, login (and the version negotiation after the ping).
  absl::Duration quick_patience = absl::Minutes(2);
  // Create, start, kill, remove, exec create; stop gets this plus its grace period `t`.
  absl::Duration change_patience = absl::Minutes(10);
  // A pull: until the stream's head arrives, and the longest silence within the stream.
  absl::Duration pull_head_patience = absl::Minutes(10);
  absl::Duration pull_stall = absl::Minutes(10);
  size_t max_pull_stream = size_t{1} << 30;  // bytes of progress JSON in one pull
  size_t max_stream_line = size_t{1} << 20;  // one progress or event line
  size_t max_json_body = size_t{64} << 20;   // a 2xx JSON answer
  size_t max_error_body = size_t{64} << 10;  // kept of an error answer
  size_t max_message = 1000;                 // characters of a daemon message shown
};

class HttpDockerClient : public DockerClient {
 public:
  // Builds the transport for `spec` (see transport::MakeTransport).
  static absl::StatusOr<std::unique_ptr<HttpDockerClient>> Create(
      const transport::ConnectionSpec& spec);
  HttpDockerClient(std::string ship, std::unique_ptr<transport::Transport> transport,
                   absl::Duration timeout, std::string pinned_api_version,
                   CallLimits limits = CallLimits());

  // The flag Ctrl-C sets (may be null; must outlive the client): waits for answers end
  // kInterruptGrace after it is set, streams at once, with Cancelled.
  void SetInterrupt(const std::atomic<bool>* interrupt) { interrupt_.store(interrupt); }

  std::string Describe() const override;
  absl::StatusOr<std::string> ApiVersion() override;
  absl::StatusOr<std::vector<ContainerSummary>> ListContainers(
      const ListContainersOptions& options) override;
  absl::StatusOr<ContainerInspect> InspectContainer(absl::string_view id_or_name) override;
  absl::StatusOr<CreateContainerResult> CreateContainer(absl::string_view name,
                                                        const nlohmann::json& body) override;
  absl::Status StartContainer(absl::string_view id) override;
  absl::Status StopContainer(absl::string_view id, absl::optional<int> timeout_seconds) override;
  absl::Status KillContainer(absl::string_view id, absl::string_view signal) override;
  absl::Status RemoveContainer(absl::string_view id,
                               const RemoveContainerOptions& options) override;
  absl::Status RenameContainer(absl::string_view id, absl::string_view new_name) override;
  absl::Status Logs(absl::string_view id, const LogsOptions& options,
                    const OutputCallback& callback) override;
  absl::StatusOr<std::string> CreateExec(absl::string_view container,
                                         const ExecOptions& options) override;
  absl::Status StartExec(absl::string_view exec_id, bool tty, const OutputCallback& callback,
                         const std::atomic<bool>* cancel) override;
  absl::StatusOr<std::unique_ptr<ExecStream>> StartExecInteractive(absl::string_view exec_id,
                                                                   bool tty) override;
  absl::Status ResizeExec(absl::string_view exec_id, int rows, int columns) override;
  absl::StatusOr<ExecInspect> InspectExec(absl::string_view exec_id) override;
  absl::StatusOr<ImageInspect> InspectImage(absl::string_view name) override;
  absl::StatusOr<std::vector<SwarmNode>> ListNodes() override;
  // Networks and volumes: http_docker_client_networks.cc.
  absl::StatusOr<std::vector<NetworkInfo>> ListNetworks(
      const std::vector<std::string>& labels) override;
  absl::StatusOr<NetworkInfo> InspectNetwork(absl::string_view name) override;
  absl::StatusOr<std::string> SwarmNodeState() override;
  absl::StatusOr<std::string> CreateNetwork(const nlohmann::json& body) override;
  absl::Status ConnectNetwork(absl::string_view network, absl::string_view container,
                              const nlohmann::json& endpoint) override;
  absl::Status RemoveNetwork(absl::string_view id) override;
  absl::StatusOr<std::vector<VolumeInfo>> ListVolumes(
      const std::vector<std::string>& labels) override;
  absl::StatusOr<VolumeInfo> InspectVolume(absl::string_view name) override;
  absl::StatusOr<VolumeInfo> CreateVolume(const nlohmann::json& body) override;
  absl::Status RemoveVolume(absl::string_view name) override;
  absl::Status UpdateNode(absl::string_view id, int64_t version,
                          const nlohmann::json& spec) override;
  // Swarm services, secrets, tasks: http_docker_client_swarm.cc.
  absl::StatusOr<std::vector<ServiceInfo>> ListServices(
      const std::vector<std::string>& labels) override;
  absl::StatusOr<std::string> CreateService(const nlohmann::json& spec) override;
  absl::Status UpdateService(absl::string_view id, int64_t version,
                             const nlohmann::json& spec) override;
  absl::StatusOr<std::vector<SecretInfo>> ListSecrets(
      const std::vector<std::string>& labels) override;
  absl::StatusOr<std::string> CreateSecret(const nlohmann::json& body) override;
  absl::StatusOr<std::vector<TaskInfo>> ListTasks(
      const std::map<std::string, std::vector<std::string>>& filters) override;
  absl::Status PullImage(absl::string_view image, absl::string_view tag,
                         absl::string_view registry_auth,
                         const PullProgressCallback& progress) override;
  absl::Status ImportImage(absl::string_view repo, absl::string_view tag,
                           absl::string_view tar) override;
  absl::StatusOr<std::string> Login(const nlohmann::json& auth_config) override;
  absl::StatusOr<VersionInfo> Version() override;
  absl::StatusOr<DistributionInspect> InspectDistribution(absl::string_view image,
                                                          absl::string_view registry_auth) override;
  absl::Status Events(const EventsOptions& options, const EventCallback& callback) override;

  HttpClient& http() { return http_; }

 private:
  using Query = std::vector<std::pair<std::string, std::string>>;
  struct Call {
    std::string method = "GET";
    std::string path;  // unversioned, e.g. "/containers/json"
    Query query;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    bool versioned = true;
    absl::StatusCode conflict_code = absl::StatusCode::kFailedPrecondition;
    std::string what;          // overrides "METHOD path" in messages
    bool* answered = nullptr;  // when set: becomes true once the server sent an HTTP answer
  };
  // The HTTP request of `call` (versioned path, query, body, headers).
  absl::StatusOr<HttpRequest> Request(const Call& call);
  absl::StatusOr<HttpResponse> Do(const Call& call, RequestOptions options);
  RequestOptions Quick() const;
  RequestOptions Change(absl::Duration extra = absl::ZeroDuration()) const;
  std::string Shorten(absl::string_view message) const;
  // `*answered`: the failure (if any) came with an HTTP answer, not from reaching the server.
  absl::StatusOr<std::string> Negotiate(bool* answered);
  // GET /_ping (unversioned): the daemon's answer, for API negotiation (liveness pings are
  // HttpClient::Probe's).
  absl::StatusOr<HttpResponse> GetPing(Call* call);
  absl::StatusOr<nlohmann::json> DoJson(const Call& call, RequestOptions options);
  absl::StatusOr<nlohmann::json> DoJson(const Call& call) { return DoJson(call, Quick()); }
  absl::Status DoStream(const Call& call, bool tty, bool unbounded, const std::atomic<bool>* cancel,
                        const OutputCallback& callback);
  absl::Status Prefix(const Call& call, const absl::Status& status) const;

  std::string ship_;
  std::string url_;
  absl::Duration timeout_;
  std::string pinned_;
  CallLimits limits_;
  std::atomic<const std::atomic<bool>*> interrupt_{nullptr};
  HttpClient http_;
  std::mutex version_mu_;
  std::string negotiated_ ABSL_GUARDED_BY(version_mu_);
};

}  // namespace maestro::docker

#endif  // MAESTRO_DOCKER_HTTP_DOCKER_CLIENT_H_
