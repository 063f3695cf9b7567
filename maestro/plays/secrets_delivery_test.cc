// Secrets delivery through `start` against the stateful fake: the value travels only on an
// exec's stdin, never in the create body, and the entrypoint waits for the ready marker.
#include "maestro/plays/secrets_delivery.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/secret_values.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/test_world.h"
#include "maestro/spec/container_spec.h"
#include "maestro/spec/drift.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/ui/progress.h"

namespace maestro::plays {
namespace {

using ::testing::ElementsAre;
using testing::FakeClock;
using testing::FakeExec;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kValue[] = "pa55-W0rd-in-a-tmpfs";

constexpr char kEnvironment[] = R"(
name: test
ships:
  ship1: {ip: 127.0.0.1}
secrets:
  db_password: {environment: DB_PASSWORD}
  api_key: {environment: API_KEY}
services:
  app:
    image: app:1
    instances:
      app-1:
        ship: ship1
        command: [serve, --port, "80"]
        secrets: [db_password, {source: api_key, target: /conf/db, mode: 0440, uid: 7}]
)";

// The same for an image without a shell: maestro-guest waits and writes.
constexpr char kGuestEnvironment[] = R"(
name: test
ships:
  ship1: {ip: 127.0.0.1}
secrets:
  db_password: {environment: DB_PASSWORD}
  api_key: {environment: API_KEY}
services:
  app:
    image: app:1
    secrets_guest: /maestro-guest
    instances:
      app-1:
        ship: ship1
        command: [serve, --port, "80"]
        secrets: [db_password, {source: api_key, target: /conf/db, mode: 0440, uid: 7}]
)";

class SecretsDeliveryTest : public ::testing::Test {
 protected:
  explicit SecretsDeliveryTest(const char* yaml = kEnvironment)
      : env_(test::LoadTestEnvironment(yaml)), ships_(&clock_, {"ship1"}, {}) {
    ships_.host("ship1").AddImage(
        "app:1", "", {{"Entrypoint", {"/docker-entrypoint.sh"}}, {"Cmd", {"ignored-by-command"}}});
    Resolve(kValue);
    world_.env = &env_;
    world_.ships = &ships_;
    world_.checks = &checks_;
    world_.clock = &clock_;
    world_.sink = &sink_;
  }

  void Resolve(const std::string& value) {
    for (model::Secret& s : env_.secrets) s.value.reset();
    config::FakeFileReader files;
    config::SecretSources sources;
    sources.files = &files;
    // DB_PASSWORD is `value`; API_KEY stays kValue.
    sources.getenv = [value](const std::string& name) {
      return std::optional<std::string>(name == "DB_PASSWORD" ? value : kValue);
    };
    ASSERT_TRUE(config::ResolveSecrets(env_, sources).ok());
  }

  PlayReport Start() {
    Scheduler scheduler({});
    return RunStart(world_, {"app-1"}, {}, scheduler);
  }

  testing::FakeDockerHost& host() { return ships_.host("ship1"); }

  FakeClock clock_;
  model::Environment env_;
  test::FakeShips ships_;
  test::ScriptedChecks checks_;
  ui::RecordingSink sink_;
  PlayWorld world_;
};

TEST_F(SecretsDeliveryTest, ValueGoesOnlyThroughExecStdin) {
  PlayReport report = Start();
  ASSERT_EQ(report.ExitCode(), 0) << test::OutcomeOf(report, "app-1").error;

  std::optional<testing::FakeContainer> c = host().FindContainer("app-1");
  ASSERT_TRUE(c.has_value());
  const std::string body = c->create_body.dump();
  EXPECT_THAT(body, Not(HasSubstr(kValue)));
  EXPECT_THAT(c->create_body["HostConfig"]["Tmpfs"],
              ::testing::Eq(nlohmann::json{{"/run/secrets", "mode=0711"}, {"/conf", "mode=0711"}}));
  // The original entrypoint and the configured command run behind the wait wrapper.
  EXPECT_EQ(c->create_body["Entrypoint"],
            (nlohmann::json{"/bin/sh", "-c", spec::SecretsWaitScript(spec::kSecretsWaitSeconds),
                            "maestro-secrets-wait"}));
  EXPECT_EQ(c->create_body["Cmd"],
            (nlohmann::json{"/docker-entrypoint.sh", "serve", "--port", "80"}));
  EXPECT_THAT(c->labels[spec::kSecretsLabel], HasSubstr(env_.secrets[0].fingerprint));

  std::vector<FakeExec> execs = host().execs();
  ASSERT_EQ(execs.size(), 3u);  // two secrets (by target), then the marker
  for (const FakeExec& e : execs) {
    EXPECT_EQ(e.user, "0");
    EXPECT_TRUE(e.attach_stdin);
    EXPECT_TRUE(e.stdin_closed);
    for (const std::string& arg : e.cmd) EXPECT_THAT(arg, Not(HasSubstr(kValue)));
  }
  EXPECT_EQ(execs[0].cmd, SecretWriteCommand(env_.FindInstance("app-1")->secrets[0]));
  EXPECT_THAT(execs[0].cmd, ElementsAre("/bin/sh", "-c", ::testing::_, "maestro-secret", "/conf/db",
                                        "0440", "7:0"));
  EXPECT_EQ(execs[0].stdin_data, kValue);
  EXPECT_THAT(execs[1].cmd, ElementsAre("/bin/sh", "-c", ::testing::_, "maestro-secret",
                                        "/run/secrets/db_password", "0400", "0:0"));
  EXPECT_EQ(execs[1].stdin_data, kValue);
  EXPECT_THAT(execs[2].cmd, ElementsAre("/bin/sh", "-c", ": > \"$1\"", "maestro-secret",
                                        "/run/secrets/.maestro-ready"));
  EXPECT_EQ(execs[2].stdin_data, "");
  // Nothing the user sees carries the value.
  for (const ui::RecordingSink::Event& e : sink_.events()) {
    EXPECT_THAT(e.text, Not(HasSubstr(kValue)));
  }
}

TEST_F(SecretsDeliveryTest, FailedDeliveryIsReportedWithTheValueRedacted) {
  // The image's sh echoes what it got (say, a broken cat): the message must not show it.
  host().ScriptExec("app-1", "/run/secrets/db_password", 1, "", std::string("cat: ") + kValue);
  PlayReport report = Start();
  EXPECT_NE(report.ExitCode(), 0);
  const std::string error = test::OutcomeOf(report, "app-1").error;
  EXPECT_THAT(error, HasSubstr("delivering secret db_password (/run/secrets/db_password) to "
                               "app-1 failed: exit code 1: cat: ********"));
  EXPECT_THAT(error, HasSubstr("waits 120 s for them, then exits with code 70"));
  EXPECT_THAT(error, Not(HasSubstr(kValue)));
}

TEST_F(SecretsDeliveryTest, RunningContainerWithoutMarkerGetsThemAgain) {
  ASSERT_EQ(Start().ExitCode(), 0);
  // Restarted by its restart policy: the tmpfs is empty, `test -e marker` fails.
  host().ScriptExec("app-1", "test -e", 1);
  const size_t before = host().execs().size();
  PlayReport again = Start();
  ASSERT_EQ(again.ExitCode(), 0);
  std::vector<FakeExec> execs = host().execs();
  ASSERT_EQ(execs.size(), before + 4);  // the look, two secrets, the marker
  EXPECT_EQ(execs[before + 1].stdin_data, kValue);
  EXPECT_EQ(test::OutcomeOf(again, "app-1").summary, "already running; secrets delivered again");

  // With the marker there, a start only looks.
  host().ScriptExec("app-1", "test -e", 0);
  ASSERT_EQ(Start().ExitCode(), 0);
  EXPECT_EQ(host().execs().size(), before + 5);
}

TEST_F(SecretsDeliveryTest, ChangedValueIsAChangeNamedWithoutTheValue) {
  ASSERT_EQ(Start().ExitCode(), 0);
  absl::StatusOr<docker::ContainerInspect> live = host().InspectContainer("app-1");
  ASSERT_TRUE(live.ok());
  const model::Instance& app = *env_.FindInstance("app-1");
  const model::Ship& ship = *env_.FindShip("ship1");
  EXPECT_TRUE(spec::Diff(app, ship, *live, std::nullopt).empty());

  const std::string old_hash = spec::SpecHash(app, ship);
  Resolve("another-value");
  EXPECT_NE(spec::SpecHash(*env_.FindInstance("app-1"), ship), old_hash);
  std::vector<spec::Difference> diff =
      spec::Diff(*env_.FindInstance("app-1"), ship, *live, std::nullopt);
  ASSERT_EQ(diff.size(), 1u) << spec::FormatDifferences(diff);
  EXPECT_EQ(diff[0].ToString(), "secrets: secret db_password changed");
}

class GuestSecretsDeliveryTest : public SecretsDeliveryTest {
 protected:
  GuestSecretsDeliveryTest() : SecretsDeliveryTest(kGuestEnvironment) {}
};

TEST_F(GuestSecretsDeliveryTest, MaestroGuestWaitsAndWritesWithoutAShell) {
  PlayReport report = Start();
  ASSERT_EQ(report.ExitCode(), 0) << test::OutcomeOf(report, "app-1").error;
  std::optional<testing::FakeContainer> c = host().FindContainer("app-1");
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(c->create_body.dump(), Not(HasSubstr(kValue)));
  EXPECT_EQ(c->create_body["Entrypoint"],
            (nlohmann::json{"/maestro-guest", "secrets-wait", "--timeout", "120", "--"}));
  EXPECT_EQ(c->create_body["Cmd"],
            (nlohmann::json{"/docker-entrypoint.sh", "serve", "--port", "80"}));
  EXPECT_EQ(c->labels[spec::kSecretsGuestLabel], "/maestro-guest");

  std::vector<FakeExec> execs = host().execs();
  ASSERT_EQ(execs.size(), 3u);
  for (const FakeExec& e : execs) {
    EXPECT_EQ(e.user, "0");
    EXPECT_EQ(e.cmd[0], "/maestro-guest");  // never /bin/sh
    for (const std::string& arg : e.cmd) EXPECT_THAT(arg, Not(HasSubstr(kValue)));
  }
  EXPECT_THAT(execs[0].cmd,
              ElementsAre("/maestro-guest", "secrets-write", "/conf/db", "0440", "7", "0"));
  EXPECT_EQ(execs[0].stdin_data, kValue);
  EXPECT_THAT(execs[1].cmd, ElementsAre("/maestro-guest", "secrets-write",
                                        "/run/secrets/db_password", "0400", "0", "0"));
  EXPECT_EQ(execs[1].stdin_data, kValue);
  EXPECT_THAT(execs[2].cmd,
              ElementsAre("/maestro-guest", "secrets-write", "--ready", "--dir", "/run/secrets"));

  // Restarted by its restart policy: `secrets-wait --check` says no marker; delivered again.
  host().ScriptExec("app-1", "secrets-wait --check", 1);
  PlayReport again = Start();
  ASSERT_EQ(again.ExitCode(), 0);
  execs = host().execs();
  ASSERT_EQ(execs.size(), 7u);  // the look, two secrets, the marker
  EXPECT_THAT(execs[3].cmd,
              ElementsAre("/maestro-guest", "secrets-wait", "--check", "--dir", "/run/secrets"));
  EXPECT_EQ(test::OutcomeOf(again, "app-1").summary, "already running; secrets delivered again");

  // No drift against the file (the wrapper and the label are the file's).
  absl::StatusOr<docker::ContainerInspect> live = host().InspectContainer("app-1");
  ASSERT_TRUE(live.ok());
  const model::Instance& app = *env_.FindInstance("app-1");
  EXPECT_TRUE(spec::Diff(app, *env_.FindShip("ship1"), *live, std::nullopt).empty());
}

TEST_F(GuestSecretsDeliveryTest, AMissingGuestIsNamedInTheError) {
  host().ScriptExec("app-1", "secrets-write /conf/db", 127, "",
                    "exec: \"/maestro-guest\": stat /maestro-guest: no such file or directory");
  PlayReport report = Start();
  EXPECT_NE(report.ExitCode(), 0);
  EXPECT_THAT(test::OutcomeOf(report, "app-1").error,
              HasSubstr("exit code 127: exec: \"/maestro-guest\": stat /maestro-guest: no such "
                        "file or directory (the image needs a static maestro-guest at "
                        "/maestro-guest)"));
}

TEST(SecretsGuestSpecTest, AnotherGuestIsAnotherSpec) {
  model::Environment env = test::LoadTestEnvironment(kGuestEnvironment);
  model::Environment sh = test::LoadTestEnvironment(kEnvironment);
  EXPECT_EQ(env.FindInstance("app-1")->secrets_guest, "/maestro-guest");
  EXPECT_EQ(sh.FindInstance("app-1")->secrets_guest, std::nullopt);
  EXPECT_NE(spec::SpecHash(*env.FindInstance("app-1"), *env.FindShip("ship1")),
            spec::SpecHash(*sh.FindInstance("app-1"), *sh.FindShip("ship1")));
}

}  // namespace
}  // namespace maestro::plays
