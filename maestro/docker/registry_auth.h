// Registry credentials and retries (docs/environment.md#registries): which configured registry an
// image belongs to, its credentials (from the environment, else ~/.docker/config.json:
// `credHelpers`, `credsStore`, `auths`, as the docker CLI reads them),
// the base64url X-Registry-Auth header, and login/pull with the registry's retry spec.
// Passwords never appear in any message or Status produced here (they are scrubbed even from
// daemon messages). Pure functions except LoginAndPull, which talks to a DockerClient.
#ifndef MAESTRO_DOCKER_REGISTRY_AUTH_H_
#define MAESTRO_DOCKER_REGISTRY_AUTH_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "maestro/docker/docker_client.h"

namespace maestro::docker {

struct RetrySpec {
  int attempts = 3;    // total attempts when a listed code occurs
  std::set<int> when;  // HTTP codes to retry on; empty = never retry
};

struct Registry {
  std::string name;  // the key under `registries:`
  std::string url;   // `registry:` e.g. https://host:5000/v1/
  std::string username;
  std::string password;
  std::string email;
  RetrySpec retry;
};

struct AuthConfig {
  std::string username;
  std::string password;
  std::string email;
  std::string server_address;
  std::string identity_token;  // from a credential helper answering Username "<token>"
  // What must never be printed: the identity token when there is one, else the password.
  const std::string& secret() const { return identity_token.empty() ? password : identity_token; }
};

// Runs a docker credential helper: `program` (e.g. "docker-credential-pass") with the argument
// "get" and `server` on its stdin; returns its stdout. An error when it cannot be run, times
// out or exits non-zero (the message must not contain its stdout: it may hold the secret).
using CredentialHelperRunner = std::function<absl::StatusOr<std::string>(
    const std::string& program, const std::string& server)>;

// urlparse(url).netloc: "https://h:5000/v1/" -> "h:5000"; "" when the URL has no "//".
std::string UrlNetloc(absl::string_view url);

// As MaestroNG: nullptr for Docker Hub images (no '/', or '/' first); then by registry name (also
// Hub namespaces), then by netloc or its host part, first match wins. A registry without a URL
// met during the netloc scan is an InvalidArgument error (MaestroNG's KeyError).
absl::StatusOr<const Registry*> FindRegistryForImage(absl::string_view image,
                                                     const std::vector<Registry>& registries);

// Credentials for `registry`: its own username/password; else, from a ~/.docker/config.json
// document, the credential helper named for its host in `credHelpers`, else the one in
// `credsStore` (run through `run_helper`; skipped when null), else its `auths` entry (`auth`
// base64 "user:pass", or username/password), keyed by netloc or URL. A helper that has no
// credentials for the server ("credentials not found") falls through to `auths`; a helper that
// fails otherwise is an error naming the helper and the server. nullopt when nothing has
// credentials.
absl::StatusOr<absl::optional<AuthConfig>> ResolveAuth(
    const Registry& registry, const nlohmann::json* docker_config,
    const CredentialHelperRunner& run_helper = nullptr);

// The registry an image comes from and the credentials for it, for pulls and registry queries
// alike: the environment's registry for the image (FindRegistryForImage) with ResolveAuth's
// credentials; for an image on a registry the file does not list, a registry named after its host
// when the Docker configuration has credentials for that host (the docker CLI's behaviour;
// MaestroNG used none).
struct ImageAuth {
  absl::optional<Registry> registry;  // nullopt: Docker Hub, or unlisted without credentials
  absl::optional<AuthConfig> auth;
};
absl::StatusOr<ImageAuth> ResolveImageAuth(absl::string_view image,
                                           const std::vector<Registry>& registries,
                                           const nlohmann::json* docker_config,
                                           const CredentialHelperRunner& run_helper = nullptr);

// The registry host of an image reference as the docker CLI reads it: the part before the
// first '/' when it contains '.' or ':' or is "localhost"; "" for Docker Hub images.
std::string ImageRegistryHost(absl::string_view image);

// Reads $DOCKER_CONFIG/config.json or $HOME/.docker/config.json; nullopt when absent.
// A file that is not a JSON object is InvalidArgument naming the file and the position:
// "/home/u/.docker/config.json:3:7: malformed Docker configuration: syntax error ..." (no
// content of the file is quoted: it holds credentials).
absl::StatusOr<absl::optional<nlohmann::json>> LoadDockerConfig(const char* docker_config_dir,
                                                                const char* home);

nlohmann::json AuthConfigJson(const AuthConfig& auth);
// base64url (RFC 4648 §5, padded) of the JSON auth config: the X-Registry-Auth header value.
std::string EncodeRegistryAuth(const AuthConfig& auth);

// Replaces every occurrence of `secret` in the status message by "***".
absl::Status ScrubSecret(const absl::Status& status, absl::string_view secret);

// Runs `op` until it succeeds, fails with a code not in spec.when, or spec.attempts attempts
// are used. Exhausted retries are an error naming `what` and the attempt count. The HTTP
// code comes from HttpStatusOf(), or for stream errors (pulls) from a listed code appearing in
// the message. `sleep` waits between attempts (injectable for tests; may be null); it returns
// false when the wait was cut short by a cancellation (Ctrl-C): then no further attempt is made
// and the result is a Cancelled error naming `what` and the last attempt's error.
absl::Status RunWithRetry(const RetrySpec& spec, absl::string_view what,
                          const std::function<absl::Status()>& op,
                          const std::function<bool(absl::Duration)>& sleep);

struct PullRequest {
  std::string image;  // repository, e.g. 127.0.0.1:5000/maestro/busybox
  std::string tag = "latest";
};

// Finds the image's registry, logs in when credentials exist (POST /auth) and pulls with
// X-Registry-Auth, applying the registry's retry spec to both. Errors name the registry.
// `sleep` as for RunWithRetry: a cancelled wait between attempts ends the login or pull with
// a Cancelled error.
// Credentials as ResolveImageAuth finds them.
absl::Status LoginAndPull(DockerClient& client, const PullRequest& request,
                          const std::vector<Registry>& registries,
                          const nlohmann::json* docker_config, const PullProgressCallback& progress,
                          const std::function<bool(absl::Duration)>& sleep,
                          const CredentialHelperRunner& run_helper = nullptr);

}  // namespace maestro::docker

#endif  // MAESTRO_DOCKER_REGISTRY_AUTH_H_
