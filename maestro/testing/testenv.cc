#include "maestro/testing/testenv.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace maestro::testing {
namespace {

constexpr char kHowToFix[] =
    "run `tools/testenv up` (as root), then pass "
    "--test_env=MAESTRO_TESTENV_FILE=/var/tmp/maestro-testenv/testenv.env to bazel test "
    "(tools/test does both)";

struct Field {
  const char* key;
  std::string TestEnv::*member;
  bool required;
};

const std::vector<Field>& StringFields() {
  static const auto* fields = new std::vector<Field>{
      {"MAESTRO_TEST_DOCKER_SOCKET", &TestEnv::docker_socket, true},
      {"MAESTRO_TEST_DOCKER_TCP", &TestEnv::docker_tcp, true},
      {"MAESTRO_TEST_DOCKER_TLS", &TestEnv::docker_tls, true},
      {"MAESTRO_TEST_TLS_CA", &TestEnv::tls_ca, true},
      {"MAESTRO_TEST_TLS_CERT", &TestEnv::tls_cert, true},
      {"MAESTRO_TEST_TLS_KEY", &TestEnv::tls_key, true},
      {"MAESTRO_TEST_TLS_WRONG_CA", &TestEnv::tls_wrong_ca, true},
      {"MAESTRO_TEST_TLS_WRONG_CERT", &TestEnv::tls_wrong_cert, false},
      {"MAESTRO_TEST_TLS_WRONG_KEY", &TestEnv::tls_wrong_key, false},
      {"MAESTRO_TEST_SSH_HOST", &TestEnv::ssh_host, true},
      {"MAESTRO_TEST_SSH_USER", &TestEnv::ssh_user, true},
      {"MAESTRO_TEST_SSH_KEY", &TestEnv::ssh_key, true},
      {"MAESTRO_TEST_SSH_KEY_RSA", &TestEnv::ssh_key_rsa, false},
      {"MAESTRO_TEST_SSH_WRONG_KEY", &TestEnv::ssh_wrong_key, true},
      {"MAESTRO_TEST_SSH_KNOWN_HOSTS", &TestEnv::ssh_known_hosts, true},
      {"MAESTRO_TEST_SSH_WRONG_KNOWN_HOSTS", &TestEnv::ssh_wrong_known_hosts, true},
      {"MAESTRO_TEST_REGISTRY", &TestEnv::registry, true},
      {"MAESTRO_TEST_REGISTRY_USER", &TestEnv::registry_user, true},
      {"MAESTRO_TEST_REGISTRY_PASSWORD", &TestEnv::registry_password, true},
      {"MAESTRO_TEST_IMAGE", &TestEnv::image, true},
      {"MAESTRO_TEST_IMAGE_V2", &TestEnv::image_v2, true},
      {"MAESTRO_TEST_REGISTRY_IMAGE", &TestEnv::registry_image, true},
      {"MAESTRO_TEST_DOCKERD_LOG", &TestEnv::dockerd_log, true},
      {"MAESTRO_TEST_STATE_DIR", &TestEnv::state_dir, false},
  };
  return *fields;
}

constexpr char kSshPortKey[] = "MAESTRO_TEST_SSH_PORT";

bool IsKey(absl::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!(absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '_')) return false;
  }
  return !absl::ascii_isdigit(key[0]);
}

}  // namespace

absl::StatusOr<TestEnv> ParseTestEnv(absl::string_view text, absl::string_view origin) {
  TestEnv env;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    absl::ConsumePrefix(&line, "export ");
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ":", line_number, ": expected KEY=VALUE, got \"", line, "\""));
    }
    absl::string_view key = absl::StripAsciiWhitespace(line.substr(0, eq));
    absl::string_view value = line.substr(eq + 1);
    if (!IsKey(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ":", line_number, ": \"", key, "\" is not a KEY name"));
    }
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    env.values[std::string(key)] = std::string(value);
  }

  std::vector<std::string> missing;
  for (const Field& field : StringFields()) {
    auto it = env.values.find(field.key);
    if (it == env.values.end() || it->second.empty()) {
      if (field.required) missing.push_back(field.key);
      continue;
    }
    env.*field.member = it->second;
  }
  auto port = env.values.find(kSshPortKey);
  if (port == env.values.end() || port->second.empty()) {
    missing.push_back(kSshPortKey);
  } else if (!absl::SimpleAtoi(port->second, &env.ssh_port) || env.ssh_port <= 0 ||
             env.ssh_port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": ", kSshPortKey, "=\"", port->second, "\" is not a TCP port"));
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": missing ", absl::StrJoin(missing, ", "),
                     "; the file is stale or incomplete: ", kHowToFix));
  }
  return env;
}

absl::StatusOr<TestEnv> LoadTestEnvFromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the test environment file ", path, ": ", kHowToFix));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat("error while reading ", path));
  }
  return ParseTestEnv(text.str(), path);
}

absl::StatusOr<TestEnv> LoadTestEnv() {
  const char* path = std::getenv(kTestEnvFileVar);
  if (path == nullptr || *path == '\0') {
    return absl::FailedPreconditionError(absl::StrCat(
        kTestEnvFileVar, " is not set, so the real test environment is unknown: ", kHowToFix));
  }
  return LoadTestEnvFromFile(path);
}

}  // namespace maestro::testing
