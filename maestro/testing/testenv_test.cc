#include "maestro/testing/testenv.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace maestro::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kComplete[] = R"(# written by tools/testenv
MAESTRO_TEST_DOCKER_SOCKET=/var/run/docker.sock
MAESTRO_TEST_DOCKER_TCP=127.0.0.1:2375
MAESTRO_TEST_DOCKER_TLS=127.0.0.1:2376
MAESTRO_TEST_TLS_CA=/s/tls/ca.pem
MAESTRO_TEST_TLS_CERT=/s/tls/client-cert.pem
MAESTRO_TEST_TLS_KEY=/s/tls/client-key.pem
MAESTRO_TEST_TLS_WRONG_CA=/s/tls/wrong-ca.pem
MAESTRO_TEST_SSH_HOST=127.0.0.1
MAESTRO_TEST_SSH_PORT=2222
MAESTRO_TEST_SSH_USER=maestro-test
MAESTRO_TEST_SSH_KEY=/s/ssh/id_ed25519
MAESTRO_TEST_SSH_WRONG_KEY=/s/ssh/id_wrong_ed25519
MAESTRO_TEST_SSH_KNOWN_HOSTS=/s/ssh/known_hosts
MAESTRO_TEST_SSH_WRONG_KNOWN_HOSTS=/s/ssh/known_hosts.wrong

MAESTRO_TEST_REGISTRY=127.0.0.1:5000
MAESTRO_TEST_REGISTRY_USER=maestro
MAESTRO_TEST_REGISTRY_PASSWORD=p=ss word
MAESTRO_TEST_IMAGE=maestro-test/busybox:latest
MAESTRO_TEST_IMAGE_V2=maestro-test/busybox:v2
MAESTRO_TEST_REGISTRY_IMAGE=127.0.0.1:5000/maestro/busybox:latest
export MAESTRO_TEST_DOCKERD_LOG="/s/logs/dockerd.log"
SOMETHING_NEW=kept
)";

std::string WriteTemp(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path;
}

TEST(ParseTestEnvTest, ReadsEveryKeyOfTheContract) {
  absl::StatusOr<TestEnv> env = ParseTestEnv(kComplete, "t.env");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->docker_socket, "/var/run/docker.sock");
  EXPECT_EQ(env->docker_tcp, "127.0.0.1:2375");
  EXPECT_EQ(env->docker_tls, "127.0.0.1:2376");
  EXPECT_EQ(env->tls_ca, "/s/tls/ca.pem");
  EXPECT_EQ(env->tls_cert, "/s/tls/client-cert.pem");
  EXPECT_EQ(env->tls_key, "/s/tls/client-key.pem");
  EXPECT_EQ(env->tls_wrong_ca, "/s/tls/wrong-ca.pem");
  EXPECT_EQ(env->tls_wrong_cert, "");  // optional
  EXPECT_EQ(env->ssh_host, "127.0.0.1");
  EXPECT_EQ(env->ssh_port, 2222);
  EXPECT_EQ(env->ssh_user, "maestro-test");
  EXPECT_EQ(env->ssh_key, "/s/ssh/id_ed25519");
  EXPECT_EQ(env->ssh_wrong_key, "/s/ssh/id_wrong_ed25519");
  EXPECT_EQ(env->ssh_known_hosts, "/s/ssh/known_hosts");
  EXPECT_EQ(env->ssh_wrong_known_hosts, "/s/ssh/known_hosts.wrong");
  EXPECT_EQ(env->registry, "127.0.0.1:5000");
  EXPECT_EQ(env->registry_user, "maestro");
  EXPECT_EQ(env->registry_password, "p=ss word");  // split at the first '=' only
  EXPECT_EQ(env->image, "maestro-test/busybox:latest");
  EXPECT_EQ(env->image_v2, "maestro-test/busybox:v2");
  EXPECT_EQ(env->registry_image, "127.0.0.1:5000/maestro/busybox:latest");
  EXPECT_EQ(env->dockerd_log, "/s/logs/dockerd.log");  // export and quotes removed
  EXPECT_EQ(env->values.at("SOMETHING_NEW"), "kept");
}

TEST(ParseTestEnvTest, NamesEveryMissingKey) {
  std::string text = kComplete;
  text.replace(text.find("MAESTRO_TEST_SSH_PORT=2222"), 26, "");
  text.replace(text.find("MAESTRO_TEST_REGISTRY_PASSWORD"), 5, "XXXXX");
  absl::StatusOr<TestEnv> env = ParseTestEnv(text, "t.env");
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(env.status().message(), HasSubstr("MAESTRO_TEST_SSH_PORT"));
  EXPECT_THAT(env.status().message(), HasSubstr("MAESTRO_TEST_REGISTRY_PASSWORD"));
  EXPECT_THAT(env.status().message(), HasSubstr("tools/testenv up"));
}

TEST(ParseTestEnvTest, RejectsMalformedLinesWithTheirPosition) {
  absl::StatusOr<TestEnv> env = ParseTestEnv("# c\nMAESTRO_TEST_IMAGE\n", "bad.env");
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(env.status().message(), HasSubstr("bad.env:2:"));

  env = ParseTestEnv("lower=case\n", "bad.env");
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(env.status().message(), HasSubstr("bad.env:1:"));
}

TEST(ParseTestEnvTest, RejectsABadPort) {
  std::string text = kComplete;
  text.replace(text.find("=2222"), 5, "=22x2");
  absl::StatusOr<TestEnv> env = ParseTestEnv(text, "t.env");
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(env.status().message(), HasSubstr("22x2"));
}

TEST(LoadTestEnvTest, ReadsTheFileNamedByTheVariable) {
  std::string path = WriteTemp("complete.env", kComplete);
  ASSERT_EQ(setenv(kTestEnvFileVar, path.c_str(), 1), 0);
  absl::StatusOr<TestEnv> env = LoadTestEnv();
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->ssh_port, 2222);
}

TEST(LoadTestEnvTest, FailsClearlyWithoutTheVariable) {
  ASSERT_EQ(unsetenv(kTestEnvFileVar), 0);
  absl::StatusOr<TestEnv> env = LoadTestEnv();
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(env.status().message(), HasSubstr("MAESTRO_TESTENV_FILE is not set"));
}

TEST(LoadTestEnvTest, FailsClearlyWithoutTheFile) {
  ASSERT_EQ(setenv(kTestEnvFileVar, "/nonexistent/testenv.env", 1), 0);
  absl::StatusOr<TestEnv> env = LoadTestEnv();
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(env.status().message(), HasSubstr("/nonexistent/testenv.env"));
}

}  // namespace
}  // namespace maestro::testing
