#include "maestro/docker/registry_auth.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "maestro/docker/http_docker_client.h"
#include "maestro/testing/fake_docker_daemon.h"
#include "maestro/transport/socket_transport.h"

namespace maestro::docker {
namespace {

using maestro::testing::FakeDockerDaemon;
using nlohmann::json;

std::vector<Registry> Registries() {
  return {
      {"foo4", "https://foo4.example.com/v1/", "", "", "", {}},
      {"quay", "https://quay.io/v1/", "u", "p", "", {}},
      {"local", "https://127.0.0.1:5000/v1/", "maestro", "s3cret-pw", "", {3, {500, 502}}},
  };
}

TEST(FindRegistryTest, MatchingRulesOfSection58) {
  auto regs = Registries();
  EXPECT_EQ(*FindRegistryForImage("busybox", regs), nullptr);   // Hub official
  EXPECT_EQ(*FindRegistryForImage("/busybox", regs), nullptr);  // '/' at index 0
  EXPECT_EQ(*FindRegistryForImage("library/busybox", regs), nullptr);
  EXPECT_EQ((*FindRegistryForImage("foo4/bar", regs))->name, "foo4");  // by key (Hub namespace)
  EXPECT_EQ((*FindRegistryForImage("quay.io/org/app", regs))->name, "quay");  // by netloc
  EXPECT_EQ((*FindRegistryForImage("127.0.0.1:5000/maestro/busybox", regs))->name, "local");
  EXPECT_EQ((*FindRegistryForImage("127.0.0.1/maestro/busybox", regs))->name,
            "local");  // host part
  EXPECT_EQ(*FindRegistryForImage("other.io/x", regs), nullptr);
  std::vector<Registry> broken = {{"nourl", "", "", "", "", {}}};
  EXPECT_FALSE(FindRegistryForImage("h:1/x", broken).ok());
  EXPECT_EQ(UrlNetloc("https://h:5000/v1/"), "h:5000");
  EXPECT_EQ(UrlNetloc("h:5000"), "");
  EXPECT_EQ(UrlNetloc("//h:5000/x"), "h:5000");
}

TEST(ResolveAuthTest, OwnCredentialsThenDockerConfig) {
  Registry r{"local", "https://127.0.0.1:5000/v1/", "", "", "", {}};
  json config = {{"auths",
                  {{"127.0.0.1:5000", {{"auth", absl::Base64Escape("alice:pa:ss")}}},
                   {"https://quay.io", {{"username", "bob"}, {"password", "pw"}}}}}};
  auto a = ResolveAuth(r, &config);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->username, "alice");
  EXPECT_EQ((*a)->password, "pa:ss");
  EXPECT_EQ((*a)->server_address, "127.0.0.1:5000");
  Registry q{"quay", "https://quay.io/v1/", "", "", "", {}};
  EXPECT_EQ((*ResolveAuth(q, &config))->username, "bob");
  Registry none{"x", "https://x.io/", "", "", "", {}};
  EXPECT_FALSE(ResolveAuth(none, &config)->has_value());
  r.username = "own";
  r.password = "pw";
  EXPECT_EQ((*ResolveAuth(r, &config))->username, "own");
}

// Writes `content` to <dir>/config.json under the test's temporary directory.
std::string WriteDockerConfig(const std::string& name, const std::string& content) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
  ::mkdir(dir.c_str(), 0700);
  std::ofstream(dir + "/config.json") << content;
  return dir;
}

TEST(LoadDockerConfigTest, AbsentValidAndMalformed) {
  std::string missing = WriteDockerConfig("absent", "{}");
  std::remove((missing + "/config.json").c_str());
  auto none = LoadDockerConfig(missing.c_str(), nullptr);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());

  std::string good = WriteDockerConfig("good", R"({"auths": {"h:5000": {"auth": "dTpw"}}})");
  auto loaded = LoadDockerConfig(good.c_str(), nullptr);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_TRUE((**loaded).contains("auths"));

  // Regression: a malformed file was ignored silently (pulls then failed with an unrelated
  // registry error). The message names the file and the position, and quotes nothing of it.
  std::string bad = WriteDockerConfig(
      "bad", "{\n  \"auths\": {\n    \"h:5000\": {\"auth\": \"c2VjcmV0LXRva2Vu\" x}\n  }\n}\n");
  auto broken = LoadDockerConfig(bad.c_str(), nullptr);
  ASSERT_FALSE(broken.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(broken.status()));
  EXPECT_TRUE(absl::StartsWith(broken.status().message(),
                               bad + "/config.json:3:43: malformed Docker configuration: "))
      << broken.status();
  EXPECT_FALSE(absl::StrContains(broken.status().message(), "c2VjcmV0")) << broken.status();

  std::string not_object = WriteDockerConfig("array", "[1]");
  EXPECT_EQ(LoadDockerConfig(not_object.c_str(), nullptr).status().message(),
            not_object +
                "/config.json: malformed Docker configuration: expected a JSON object, "
                "got array");
}

TEST(EncodeRegistryAuthTest, Base64UrlJson) {
  AuthConfig a{"u", "p?>", "", "127.0.0.1:5000"};
  std::string header = EncodeRegistryAuth(a);
  EXPECT_EQ(header.find_first_of("+/"), std::string::npos);
  EXPECT_EQ(header.size() % 4, 0u);  // padded, as Go's base64.URLEncoding wants
  std::string decoded;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(header, &decoded));
  json j = json::parse(decoded);
  EXPECT_EQ(j["username"], "u");
  EXPECT_EQ(j["password"], "p?>");
  EXPECT_EQ(j["serveraddress"], "127.0.0.1:5000");
}

TEST(RunWithRetryTest, RetriesListedCodesAndFailsWhenExhausted) {
  int calls = 0;
  std::vector<absl::Duration> sleeps;
  auto sleep = [&](absl::Duration d) {
    sleeps.push_back(d);
    return true;
  };
  auto http_error = [](int code) {
    absl::Status s = absl::InternalError("boom");
    s.SetPayload("type.maestro/http_status", absl::Cord(std::to_string(code)));
    return s;
  };
  absl::Status s = RunWithRetry(
      {3, {502}}, "pull x",
      [&] {
        ++calls;
        return http_error(502);
      },
      sleep);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(sleeps.size(), 2u);
  EXPECT_TRUE(absl::StrContains(s.message(), "giving up after 3 attempts")) << s;

  calls = 0;
  s = RunWithRetry(
      {3, {502}}, "x", [&] { return ++calls < 2 ? http_error(502) : absl::OkStatus(); }, sleep);
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(calls, 2);

  calls = 0;
  s = RunWithRetry(
      {3, {502}}, "x",
      [&] {
        ++calls;
        return http_error(404);
      },
      sleep);
  EXPECT_EQ(calls, 1);  // not listed: no retry
  calls = 0;
  s = RunWithRetry(
      {}, "x",
      [&] {
        ++calls;
        return http_error(502);
      },
      sleep);
  EXPECT_EQ(calls, 1);  // default: nothing retried
  calls = 0;
  s = RunWithRetry(
      {2, {500}}, "x",
      [&] {
        ++calls;
        return absl::InternalError("received unexpected HTTP status: 500 Internal Server Error");
      },
      sleep);
  EXPECT_EQ(calls, 2);  // stream errors carry the code in the text
}

TEST(RunWithRetryTest, ACancelledWaitEndsTheRetriesAtOnce) {
  int calls = 0;
  int waits = 0;
  absl::Status s = RunWithRetry(
      {5, {500}}, "login as u",
      [&] {
        ++calls;
        absl::Status e = absl::InternalError("boom");
        e.SetPayload("type.maestro/http_status", absl::Cord("500"));
        return e;
      },
      [&](absl::Duration) {
        ++waits;
        return false;  // Ctrl-C during the first wait
      });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(waits, 1);
  EXPECT_TRUE(absl::IsCancelled(s)) << s;
  EXPECT_EQ(s.message(), "login as u: interrupted after attempt 1 of 5: boom");
}

class LoginAndPullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::move(*FakeDockerDaemon::Start());
    daemon_->RequireRegistryAuth("127.0.0.1:5000", "maestro", "s3cret-pw");
    daemon_->host().SetPullable("127.0.0.1:5000/maestro/busybox:latest");
    daemon_->host().SetPullable("busybox:1.36");
    client_ = std::make_unique<HttpDockerClient>(
        "ship1", std::make_unique<transport::UnixTransport>("ship1", daemon_->socket_path()),
        absl::Seconds(2), "");
  }
  std::unique_ptr<FakeDockerDaemon> daemon_;
  std::unique_ptr<HttpDockerClient> client_;
  std::function<bool(absl::Duration)> no_sleep_ = [](absl::Duration) { return true; };
};

TEST_F(LoginAndPullTest, AuthenticatedPull) {
  int lines = 0;
  absl::Status s = LoginAndPull(
      *client_, {"127.0.0.1:5000/maestro/busybox", "latest"}, Registries(), nullptr,
      [&](const PullProgress&) { ++lines; }, no_sleep_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_GT(lines, 3);
  EXPECT_FALSE(daemon_->LastHeader("X-Registry-Auth").empty());
  EXPECT_TRUE(client_->InspectImage("127.0.0.1:5000/maestro/busybox:latest").ok());
}

TEST_F(LoginAndPullTest, WrongPasswordNamesRegistryButNeverThePassword) {
  auto regs = Registries();
  regs[2].password = "wrong-Pa55word";
  absl::Status s = LoginAndPull(*client_, {"127.0.0.1:5000/maestro/busybox", "latest"}, regs,
                                nullptr, nullptr, no_sleep_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "registry 'local' (https://127.0.0.1:5000/v1/)")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "login as maestro failed")) << s;
  EXPECT_FALSE(absl::StrContains(s.message(), "wrong-Pa55word")) << s;
  EXPECT_FALSE(absl::StrContains(s.ToString(), "wrong-Pa55word"));
}

TEST_F(LoginAndPullTest, ScrubsPasswordEchoedByDaemon) {
  absl::Status s = ScrubSecret(absl::InternalError("bad credentials hunter2 for x"), "hunter2");
  EXPECT_EQ(s.message(), "bad credentials *** for x");
}

TEST_F(LoginAndPullTest, ServerErrorsRetriedThenReported) {
  auto regs = Registries();  // local retries 500 and 502, 3 attempts
  daemon_->InjectFault(FakeDockerDaemon::Fault::kInternalError, 2, "/images/create");
  absl::Status s = LoginAndPull(*client_, {"127.0.0.1:5000/maestro/busybox", "latest"}, regs,
                                nullptr, nullptr, no_sleep_);
  EXPECT_TRUE(s.ok()) << s;  // third attempt succeeds
  daemon_->InjectFault(FakeDockerDaemon::Fault::kInternalError, 3, "/images/create");
  s = LoginAndPull(*client_, {"127.0.0.1:5000/maestro/busybox", "latest"}, regs, nullptr, nullptr,
                   no_sleep_);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "giving up after 3 attempts")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "registry 'local'")) << s;
}

TEST_F(LoginAndPullTest, HubImagesNeedNoLogin) {
  ASSERT_TRUE(
      LoginAndPull(*client_, {"busybox", "1.36"}, Registries(), nullptr, nullptr, no_sleep_).ok());
  EXPECT_TRUE(daemon_->LastHeader("X-Registry-Auth").empty());
  for (const auto& r : daemon_->request_log()) EXPECT_FALSE(absl::StrContains(r, "/auth"));
}

// ---- credential helpers (credHelpers, credsStore), as the docker CLI uses them ----------------

struct HelperCall {
  std::string program;
  std::string server;
};

// A runner that answers like docker-credential-* programs, recording each call.
CredentialHelperRunner FakeHelpers(std::vector<HelperCall>* calls) {
  return [calls](const std::string& program,
                 const std::string& server) -> absl::StatusOr<std::string> {
    calls->push_back({program, server});
    if (program == "docker-credential-vault") {
      return std::string(R"({"ServerURL":"x","Username":"robot","Secret":"v-pass-1"})");
    }
    if (program == "docker-credential-tokens") {
      return std::string(R"({"ServerURL":"x","Username":"<token>","Secret":"id-token-9"})");
    }
    if (program == "docker-credential-empty") {
      return absl::UnavailableError(
          "exited with status 1: credentials not found in native keychain");
    }
    if (program == "docker-credential-garbage") return std::string("Secret: v-pass-1");
    return absl::NotFoundError(absl::StrCat(program, ": No such file or directory"));
  };
}

TEST(CredentialHelperTest, CredHelpersByHostThenCredsStoreThenAuths) {
  Registry reg{"local", "https://127.0.0.1:5000/v1/", "", "", "", {}};
  const std::string auth_entry = absl::Base64Escape("fromauths:auths-pass");
  json config = {{"credHelpers", {{"127.0.0.1:5000", "vault"}, {"other.example", "tokens"}}},
                 {"credsStore", "tokens"},
                 {"auths", {{"127.0.0.1:5000", {{"auth", auth_entry}}}}}};
  std::vector<HelperCall> calls;
  auto auth = ResolveAuth(reg, &config, FakeHelpers(&calls));
  ASSERT_TRUE(auth.ok()) << auth.status();
  ASSERT_TRUE(auth->has_value());
  EXPECT_EQ((*auth)->username, "robot");
  EXPECT_EQ((*auth)->password, "v-pass-1");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].program, "docker-credential-vault");
  EXPECT_EQ(calls[0].server, "127.0.0.1:5000");

  // No credHelpers entry for the host: credsStore; "<token>" is an identity token.
  config["credHelpers"].erase("127.0.0.1:5000");
  auth = ResolveAuth(reg, &config, FakeHelpers(&calls));
  ASSERT_TRUE(auth.ok() && auth->has_value()) << auth.status();
  EXPECT_EQ((*auth)->identity_token, "id-token-9");
  EXPECT_EQ((*auth)->username, "");
  EXPECT_EQ(AuthConfigJson(**auth)["identitytoken"], "id-token-9");

  // A helper without credentials for the server falls through to auths.
  config["credsStore"] = "empty";
  auth = ResolveAuth(reg, &config, FakeHelpers(&calls));
  ASSERT_TRUE(auth.ok() && auth->has_value()) << auth.status();
  EXPECT_EQ((*auth)->username, "fromauths");

  // Without a runner, helpers are not consulted.
  config["credsStore"] = "vault";
  calls.clear();
  auth = ResolveAuth(reg, &config);
  ASSERT_TRUE(auth.ok() && auth->has_value());
  EXPECT_EQ((*auth)->username, "fromauths");
  EXPECT_TRUE(calls.empty());

  // The file's own credentials win over every helper.
  reg.username = "own";
  reg.password = "own-pass";
  auth = ResolveAuth(reg, &config, FakeHelpers(&calls));
  ASSERT_TRUE(auth.ok() && auth->has_value());
  EXPECT_EQ((*auth)->username, "own");
  EXPECT_TRUE(calls.empty());
}

TEST(CredentialHelperTest, FailingHelpersAreErrorsNamingThemButNeverTheAnswer) {
  Registry reg{"local", "https://127.0.0.1:5000/v1/", "", "", "", {}};
  std::vector<HelperCall> calls;
  json config = {{"credsStore", "missing"}};
  auto auth = ResolveAuth(reg, &config, FakeHelpers(&calls));
  ASSERT_FALSE(auth.ok());
  EXPECT_TRUE(absl::StrContains(auth.status().message(),
                                "credential helper docker-credential-missing for 127.0.0.1:5000"))
      << auth.status();

  config["credsStore"] = "garbage";
  auth = ResolveAuth(reg, &config, FakeHelpers(&calls));
  ASSERT_FALSE(auth.ok());
  EXPECT_TRUE(absl::StrContains(auth.status().message(), "not a JSON object with a Secret"));
  EXPECT_FALSE(absl::StrContains(auth.status().ToString(), "v-pass-1"));

  config["credsStore"] = "../../bin/sh";
  auth = ResolveAuth(reg, &config, FakeHelpers(&calls));
  ASSERT_FALSE(auth.ok());
  EXPECT_TRUE(absl::StrContains(auth.status().message(), "must not contain '/'"));
}

TEST(CredentialHelperTest, ImageRegistryHostAsTheDockerCliReadsIt) {
  EXPECT_EQ(ImageRegistryHost("127.0.0.1:5000/maestro/busybox"), "127.0.0.1:5000");
  EXPECT_EQ(ImageRegistryHost("registry.example.com/a/b"), "registry.example.com");
  EXPECT_EQ(ImageRegistryHost("localhost/x"), "localhost");
  EXPECT_EQ(ImageRegistryHost("library/busybox"), "");
  EXPECT_EQ(ImageRegistryHost("busybox"), "");
  EXPECT_EQ(ImageRegistryHost("/busybox"), "");
}

// An image whose registry the file does not list still gets the Docker configuration's
// credentials for its host (MaestroNG pulled it without any, and failed).
TEST_F(LoginAndPullTest, UnlistedRegistryUsesTheDockerConfigsHelper) {
  json config = {{"credHelpers", {{"127.0.0.1:5000", "local"}}}};
  std::vector<std::string> programs;
  CredentialHelperRunner helper = [&](const std::string& program,
                                      const std::string& server) -> absl::StatusOr<std::string> {
    programs.push_back(program + " " + server);
    return std::string(R"({"Username":"maestro","Secret":"s3cret-pw"})");
  };
  absl::Status s = LoginAndPull(*client_, {"127.0.0.1:5000/maestro/busybox", "latest"}, {}, &config,
                                nullptr, no_sleep_, helper);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(programs, std::vector<std::string>{"docker-credential-local 127.0.0.1:5000"});
  EXPECT_FALSE(daemon_->LastHeader("X-Registry-Auth").empty());

  // Without credentials for it, the pull goes without (and the registry refuses it).
  json none = {{"credHelpers", {{"elsewhere.example", "local"}}}};
  s = LoginAndPull(*client_, {"127.0.0.1:5000/maestro/busybox", "latest"}, {}, &none, nullptr,
                   no_sleep_, helper);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(programs.size(), 1u);
}

}  // namespace
}  // namespace maestro::docker
