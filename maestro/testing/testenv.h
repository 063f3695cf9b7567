// The real test environment, as integration tests see it. `tools/testenv up` starts a real
// dockerd (unix socket, TCP, mutual TLS), an sshd, an authenticated registry and test images,
// all on loopback, and writes their coordinates as KEY=VALUE lines to a file; Bazel hands that
// file's path to tests in MAESTRO_TESTENV_FILE (`tools/test` passes it with --test_env).
//
// Integration tests call LoadTestEnv() and FAIL (never skip) when it returns an error:
//
//   absl::StatusOr<maestro::testing::TestEnv> env = maestro::testing::LoadTestEnv();
//   ASSERT_TRUE(env.ok()) << env.status();
//
// Plain values and free functions: thread-compatible, no shared state. LoadTestEnv() reads the
// process environment (getenv) and a file.
#ifndef MAESTRO_TESTING_TESTENV_H_
#define MAESTRO_TESTING_TESTENV_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace maestro::testing {

// The environment variable that names the KEY=VALUE file.
inline constexpr char kTestEnvFileVar[] = "MAESTRO_TESTENV_FILE";

// One field per key of the contract; the comment names the key. Paths are absolute.
struct TestEnv {
  std::string docker_socket;          // MAESTRO_TEST_DOCKER_SOCKET  /var/run/docker.sock
  std::string docker_tcp;             // MAESTRO_TEST_DOCKER_TCP     127.0.0.1:2375 (plain)
  std::string docker_tls;             // MAESTRO_TEST_DOCKER_TLS     127.0.0.1:2376 (mutual TLS)
  std::string tls_ca;                 // MAESTRO_TEST_TLS_CA         CA of server and client
  std::string tls_cert;               // MAESTRO_TEST_TLS_CERT       client certificate
  std::string tls_key;                // MAESTRO_TEST_TLS_KEY        client key
  std::string tls_wrong_ca;           // MAESTRO_TEST_TLS_WRONG_CA   unrelated CA
  std::string tls_wrong_cert;         // MAESTRO_TEST_TLS_WRONG_CERT client cert of the wrong CA
  std::string tls_wrong_key;          // MAESTRO_TEST_TLS_WRONG_KEY  (optional keys)
  std::string ssh_host;               // MAESTRO_TEST_SSH_HOST       127.0.0.1
  int ssh_port = 0;                   // MAESTRO_TEST_SSH_PORT       2222
  std::string ssh_user;               // MAESTRO_TEST_SSH_USER       in the docker group
  std::string ssh_key;                // MAESTRO_TEST_SSH_KEY        ed25519, OpenSSH format
  std::string ssh_key_rsa;            // MAESTRO_TEST_SSH_KEY_RSA    RSA 3072, PEM (optional)
  std::string ssh_wrong_key;          // MAESTRO_TEST_SSH_WRONG_KEY  not authorized
  std::string ssh_known_hosts;        // MAESTRO_TEST_SSH_KNOWN_HOSTS        [127.0.0.1]:2222
  std::string ssh_wrong_known_hosts;  // MAESTRO_TEST_SSH_WRONG_KNOWN_HOSTS  other host keys
  std::string registry;               // MAESTRO_TEST_REGISTRY       127.0.0.1:5000 (http)
  std::string registry_user;          // MAESTRO_TEST_REGISTRY_USER
  std::string registry_password;      // MAESTRO_TEST_REGISTRY_PASSWORD
  std::string image;                  // MAESTRO_TEST_IMAGE          maestro-test/busybox:latest
  std::string image_v2;               // MAESTRO_TEST_IMAGE_V2       maestro-test/busybox:v2
  std::string registry_image;         // MAESTRO_TEST_REGISTRY_IMAGE 127.0.0.1:5000/maestro/...
  std::string dockerd_log;            // MAESTRO_TEST_DOCKERD_LOG
  std::string state_dir;              // MAESTRO_TEST_STATE_DIR (optional)

  // Every KEY=VALUE line of the file, including keys this struct does not know.
  std::map<std::string, std::string> values;
};

// Reads the file named by $MAESTRO_TESTENV_FILE. FailedPrecondition when the variable is unset
// or empty, NotFound when the file cannot be read, InvalidArgument when it is malformed or
// lacks a required key (the message names the file, line and key, and how to fix it).
absl::StatusOr<TestEnv> LoadTestEnv();

// Reads and parses one file.
absl::StatusOr<TestEnv> LoadTestEnvFromFile(const std::string& path);

// Parses KEY=VALUE lines. Blank lines and lines starting with '#' are skipped; an optional
// leading "export " and one pair of surrounding quotes around the value are removed.
// `origin` names the text in error messages (usually the file path).
absl::StatusOr<TestEnv> ParseTestEnv(absl::string_view text, absl::string_view origin);

}  // namespace maestro::testing

#endif  // MAESTRO_TESTING_TESTENV_H_
