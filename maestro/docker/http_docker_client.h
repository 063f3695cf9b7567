// HttpDockerClient: DockerClient over HTTP/1.1 (HttpClient) and a transport (unix, tcp, tls,
// ssh). Negotiates the API version on first use: min(server ApiVersion, kMaxApiVersion) but at
// least the server's MinAPIVersion, unless the ship pins `api_version`.
// Thread-safe; owns its transport and connection pool.
#ifndef MAESTRO_DOCKER_HTTP_DOCKER_CLIENT_H_
#define MAESTRO_DOCKER_HTTP_DOCKER_CLIENT_H_

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "maestro/docker/docker_client.h"
#include "maestro/docker/http_client.h"
#include "maestro/transport/connection_spec.h"
#include "maestro/transport/transport.h"

namespace maestro::docker {

// The highest Engine API version whose semantics this client implements.
inline constexpr char kMaxApiVersion[] = "1.41";

// Compares "1.41"-style versions numerically (-1, 0, 1).
int CompareApiVersions(absl::string_view a, absl::string_view b);

class HttpDockerClient : public DockerClient {
 public:
  // Builds the transport for `spec` (see transport::MakeTransport).
  static absl::StatusOr<std::unique_ptr<HttpDockerClient>> Create(
      const transport::ConnectionSpec& spec);
  HttpDockerClient(std::string ship, std::unique_ptr<transport::Transport> transport,
                   absl::Duration timeout, std::string pinned_api_version);

  std::string Describe() const override;
  absl::StatusOr<std::string> ApiVersion() override;
  absl::Status Ping() override;
  absl::StatusOr<VersionInfo> Version() override;
  absl::StatusOr<nlohmann::json> Info() override;
  absl::StatusOr<std::vector<ContainerSummary>> ListContainers(
      const ListContainersOptions& options) override;
  absl::StatusOr<ContainerInspect> InspectContainer(absl::string_view id_or_name) override;
  absl::StatusOr<CreateContainerResult> CreateContainer(absl::string_view name,
                                                        const nlohmann::json& body) override;
  absl::Status StartContainer(absl::string_view id) override;
  absl::Status StopContainer(absl::string_view id, absl::optional<int> timeout_seconds) override;
  absl::Status KillContainer(absl::string_view id, absl::string_view signal) override;
  absl::Status RemoveContainer(absl::string_view id, const RemoveContainerOptions& options) override;
  absl::StatusOr<int64_t> WaitContainer(absl::string_view id, absl::Duration timeout) override;
  absl::Status Logs(absl::string_view id, const LogsOptions& options,
                    const OutputCallback& callback) override;
  absl::Status Attach(absl::string_view id, const AttachOptions& options,
                      const OutputCallback& callback) override;
  absl::StatusOr<std::string> CreateExec(absl::string_view container,
                                         const ExecOptions& options) override;
  absl::Status StartExec(absl::string_view exec_id, bool tty, const OutputCallback& callback,
                         const std::atomic<bool>* cancel) override;
  absl::StatusOr<ExecInspect> InspectExec(absl::string_view exec_id) override;
  absl::StatusOr<ImageInspect> InspectImage(absl::string_view name) override;
  absl::StatusOr<std::vector<ImageSummary>> ListImages(absl::string_view reference) override;
  absl::Status PullImage(absl::string_view image, absl::string_view tag,
                         absl::string_view registry_auth,
                         const PullProgressCallback& progress) override;
  absl::StatusOr<std::string> Login(const nlohmann::json& auth_config) override;
  absl::Status Events(const EventsOptions& options, const EventCallback& callback) override;

  HttpClient& http() { return http_; }

 private:
  using Query = std::vector<std::pair<std::string, std::string>>;
  struct Call {
    std::string method = "GET";
    std::string path;  // unversioned, e.g. "/containers/json"
    Query query;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool versioned = true;
    absl::StatusCode conflict_code = absl::StatusCode::kFailedPrecondition;
    std::string what;  // overrides "METHOD path" in messages
  };
  absl::StatusOr<HttpResponse> Do(const Call& call, RequestOptions options);
  // GET /_ping (unversioned): the daemon's answer, for Ping() and API negotiation.
  absl::StatusOr<HttpResponse> GetPing(Call* call);
  absl::StatusOr<nlohmann::json> DoJson(const Call& call);
  absl::Status DoStream(const Call& call, bool tty, bool unbounded,
                        const std::atomic<bool>* cancel, const OutputCallback& callback);
  absl::Status Prefix(const Call& call, const absl::Status& status) const;

  std::string ship_;
  std::string url_;
  absl::Duration timeout_;
  std::string pinned_;
  HttpClient http_;
  std::mutex version_mu_;
  std::string negotiated_;
};

}  // namespace maestro::docker

#endif  // MAESTRO_DOCKER_HTTP_DOCKER_CLIENT_H_
