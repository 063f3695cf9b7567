// Loading `secrets:` (top level, services, instances) and reading their values
// (secret_values.h) with fake sources: positions in errors, and never a value in a message.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/config_test_util.h"
#include "maestro/config/loader.h"
#include "maestro/config/secret_values.h"

namespace maestro {
namespace config {
namespace {

using test_util::LoadErrors;
using test_util::LoadText;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kValue[] = "s3cr3t-Vaiue-42";

const char kEnv[] = R"(
name: demo
ships:
  s1: {ip: 10.0.0.1}
secrets:
  db_password: {file: secrets/db.txt}
  api_token: {environment: API_TOKEN}
  tls_key: {command: [pass, show, demo/tls]}
services:
  web:
    image: busybox
    secrets: [db_password]
    instances:
      web-1:
        ship: s1
        secrets:
          - api_token
          - {source: db_password, target: /etc-app/db, mode: 0440, uid: 1000, gid: 1000}
      web-2: {ship: s1}
)";

TEST(LoaderSecretsTest, SourcesAndMounts) {
  auto r = LoadText(kEnv);
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Environment& env = r->environment;
  ASSERT_EQ(env.secrets.size(), 3u);
  EXPECT_EQ(env.secrets[0].name, "db_password");
  EXPECT_EQ(env.secrets[0].source, model::SecretSource::kFile);
  EXPECT_EQ(env.secrets[0].file, "secrets/db.txt");
  EXPECT_EQ(env.secrets[0].line, 6);
  EXPECT_EQ(env.secrets[1].source, model::SecretSource::kEnvironment);
  EXPECT_EQ(env.secrets[1].variable, "API_TOKEN");
  EXPECT_EQ(env.secrets[2].source, model::SecretSource::kCommand);
  EXPECT_EQ(env.secrets[2].command, (std::vector<std::string>{"pass", "show", "demo/tls"}));
  EXPECT_FALSE(env.secrets[0].value.has_value());  // the loader never reads values

  // web-1: the instance's db_password mapping overrides the service's; sorted by target.
  const model::Instance* web1 = env.FindInstance("web-1");
  ASSERT_EQ(web1->secrets.size(), 2u);
  EXPECT_EQ(web1->secrets[0].name, "db_password");
  EXPECT_EQ(web1->secrets[0].target, "/etc-app/db");
  EXPECT_EQ(web1->secrets[0].mode, 0440);
  EXPECT_EQ(web1->secrets[0].uid, 1000);
  EXPECT_EQ(web1->secrets[0].gid, 1000);
  EXPECT_EQ(web1->secrets[1].name, "api_token");
  EXPECT_EQ(web1->secrets[1].target, "/run/secrets/api_token");
  EXPECT_EQ(web1->secrets[1].mode, 0400);
  EXPECT_FALSE(web1->secrets[1].uid.has_value());
  // web-2 inherits the service's list with the defaults.
  const model::Instance* web2 = env.FindInstance("web-2");
  ASSERT_EQ(web2->secrets.size(), 1u);
  EXPECT_EQ(web2->secrets[0].target, "/run/secrets/db_password");
}

TEST(LoaderSecretsTest, BadInputIsLocated) {
  const std::string head = "name: demo\nships:\n  s1: {ip: 10.0.0.1}\n";
  EXPECT_EQ(LoadErrors(head + "secrets:\n  x: {file: a, environment: B}\n"),
            "maestro.yaml:5:29: secrets.x.environment: secret 'x' needs exactly one source "
            "(file, environment or command), got file and environment");
  EXPECT_EQ(LoadErrors(head + "secrets:\n  x: {}\n"),
            "maestro.yaml:5:6: secrets.x: secret 'x' needs exactly one source (file, "
            "environment or command), got none");
  EXPECT_EQ(LoadErrors(head + "secrets:\n  x: {command: pass show x}\n"),
            "maestro.yaml:5:16: secrets.x.command: secrets.x.command must be a list (the "
            "program and its arguments, run without a shell), got a string");
  EXPECT_EQ(LoadErrors(head + "secrets:\n  ../x: {file: a}\n"),
            "maestro.yaml:5:3: secrets.../x: invalid secret name '../x' (letters, digits, '_', '-' "
            "and '.', not starting with '.' or '-', at most 128 characters)");
  const std::string with = head +
                           "secrets:\n  db: {file: a}\nservices:\n  web:\n    image: b\n"
                           "    instances:\n      w: {ship: s1, secrets: ";
  EXPECT_EQ(LoadErrors(with + "[dv]}\n"),
            "maestro.yaml:10:31: services.web.instances.w.secrets[0]: unknown secret 'dv' "
            "(declare it under the top-level 'secrets:') (did you mean 'db'?)");
  EXPECT_EQ(LoadErrors(with + "[{source: db, mode: 0999}]}\n"),
            "maestro.yaml:10:50: services.web.instances.w.secrets[0].mode: secret mode must be "
            "octal permissions like 0400 or 0440, got '0999'");
  EXPECT_EQ(LoadErrors(with + "[{source: db, target: run/x}]}\n"),
            "maestro.yaml:10:52: services.web.instances.w.secrets[0].target: secret target "
            "'run/x' must be an absolute path");
  EXPECT_THAT(LoadErrors(with + "[{source: db, target: /etc/x}]}\n"),
              HasSubstr("secret target '/etc/x' cannot be under /etc/"));
  EXPECT_THAT(LoadErrors(with + "[{source: db, uid: -1}]}\n"),
              HasSubstr("secret uid must be a number from 0 to 2147483647, got -1"));
  EXPECT_THAT(LoadErrors(with + "db}\n"), HasSubstr("secrets must be a list"));
  EXPECT_EQ(LoadErrors(with + "[db], secrets_guest: maestro-guest}\n"),
            "maestro.yaml:10:51: services.web.instances.w.secrets_guest: secrets_guest "
            "'maestro-guest' must be an absolute path to a file (the path of a static "
            "maestro-guest in the image)");
  EXPECT_THAT(LoadErrors(with + "[db], secrets_guest: /bin/../g}\n"),
              HasSubstr("secrets_guest '/bin/../g' must be a normalised path"));
  EXPECT_THAT(LoadErrors(with + "[db], secrets_guest: [a]}\n"),
              HasSubstr("services.web.instances.w.secrets_guest: "));
}

TEST(LoaderSecretsTest, SecretsGuestOfServiceAndInstance) {
  const std::string text =
      std::string(kEnv).replace(std::string(kEnv).find("    secrets: [db_password]\n"), 0,
                                "    secrets_guest: /usr/local/bin/maestro-guest\n");
  auto r = LoadText(text + "      web-3: {ship: s1, secrets_guest: /maestro-guest}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Environment& env = r->environment;
  EXPECT_EQ(env.FindInstance("web-1")->secrets_guest, "/usr/local/bin/maestro-guest");
  EXPECT_EQ(env.FindInstance("web-3")->secrets_guest, "/maestro-guest");
  auto plain = LoadText(kEnv);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->environment.FindInstance("web-1")->secrets_guest, std::nullopt);
}

// Fake sources: files from a FakeFileReader, a variable map, a scripted command.
struct Sources {
  FakeFileReader files;
  std::map<std::string, std::string> vars;
  std::map<std::string, absl::StatusOr<std::string>> commands;  // argv[0] -> result
  std::vector<std::vector<std::string>> ran;

  SecretSources Get() {
    SecretSources s;
    s.files = &files;
    s.getenv = [this](const std::string& n) -> std::optional<std::string> {
      auto it = vars.find(n);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    s.run = [this](const std::vector<std::string>& argv) -> absl::StatusOr<std::string> {
      ran.push_back(argv);
      auto it = commands.find(argv[0]);
      if (it == commands.end()) return absl::NotFoundError("no such program");
      return it->second;
    };
    return s;
  }
};

TEST(SecretValuesTest, ReadsEverySourceAndFingerprints) {
  auto r = LoadText(kEnv);
  ASSERT_TRUE(r.ok()) << r.status();
  model::Environment& env = r->environment;
  Sources src;
  src.files.Add("/cfg/secrets/db.txt", kValue);
  src.vars["API_TOKEN"] = "token-value";
  src.commands.emplace("pass", std::string("tls-value\n"));
  ASSERT_TRUE(ResolveSecrets(env, src.Get()).ok());
  EXPECT_EQ(env.secrets[0].value, kValue);
  EXPECT_EQ(env.secrets[1].value, "token-value");
  // tls_key is used by no instance: its command never runs.
  EXPECT_TRUE(src.ran.empty());
  EXPECT_FALSE(env.secrets[2].value.has_value());
  // Salted: not the bare hash of the value, different per environment and name, stable.
  const std::string fp = env.secrets[0].fingerprint;
  EXPECT_EQ(fp.size(), 16u);
  EXPECT_EQ(fp, SecretFingerprint("demo", "db_password", kValue));
  EXPECT_NE(fp, SecretFingerprint("other", "db_password", kValue));
  EXPECT_NE(fp, SecretFingerprint("demo", "db", kValue));
  EXPECT_NE(fp, SecretFingerprint("demo", "db_password", "other"));
  EXPECT_EQ(env.FindInstance("web-1")->secrets[0].fingerprint, fp);
}

TEST(SecretValuesTest, CommandOutputLosesOneTrailingNewline) {
  auto r = LoadText(R"(
name: demo
ships: {s1: {ip: 10.0.0.1}}
secrets: {k: {command: [pass, show, k]}}
services: {web: {image: b, secrets: [k], instances: {w: {ship: s1}}}}
)");
  ASSERT_TRUE(r.ok()) << r.status();
  Sources src;
  src.commands.emplace("pass", std::string("line1\nline2\n\n"));
  ASSERT_TRUE(ResolveSecrets(r->environment, src.Get()).ok());
  EXPECT_EQ(r->environment.secrets[0].value, "line1\nline2\n");
  EXPECT_EQ(src.ran, (std::vector<std::vector<std::string>>{{"pass", "show", "k"}}));
}

TEST(SecretValuesTest, MissingSourcesAreNamedErrorsWithoutValues) {
  auto r = LoadText(R"(
name: demo
ships: {s1: {ip: 10.0.0.1}}
secrets:
  a: {file: /nowhere/a}
  b: {environment: NOT_SET}
  c: {command: [pass, show, c]}
services: {web: {image: b, secrets: [a, b, c], instances: {w: {ship: s1}}}}
)");
  ASSERT_TRUE(r.ok()) << r.status();
  Sources src;
  src.commands.emplace("pass",
                       absl::FailedPreconditionError("exited with status 1: not logged in"));
  absl::Status s = ResolveSecrets(r->environment, src.Get());
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "maestro.yaml:5:3: secrets.a: cannot read secret 'a': file /nowhere/a does not exist\n"
            "maestro.yaml:6:3: secrets.b: cannot read secret 'b': environment variable NOT_SET "
            "is not set\n"
            "maestro.yaml:7:3: secrets.c: cannot read secret 'c': command pass: exited with "
            "status 1: not logged in");
}

TEST(SecretValuesTest, OversizedValueIsRefusedWithoutShowingIt) {
  auto r = LoadText(R"(
name: demo
ships: {s1: {ip: 10.0.0.1}}
secrets: {big: {environment: BIG}}
services: {web: {image: b, secrets: [big], instances: {w: {ship: s1}}}}
)");
  ASSERT_TRUE(r.ok()) << r.status();
  Sources src;
  src.vars["BIG"] = std::string(kMaxSecretBytes + 1, 'Q');
  absl::Status s = ResolveSecrets(r->environment, src.Get());
  EXPECT_THAT(std::string(s.message()), HasSubstr("the value has 1048577 bytes"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("QQQQ")));
}

}  // namespace
}  // namespace config
}  // namespace maestro
