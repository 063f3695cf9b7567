// End to end: user-defined networks and named volumes on the real daemon
// (docs/environment.md#networks): two containers on one network resolve each other by alias,
// a secondary network is connected before start, a named volume survives re-creation, and
// `clean --networks --volumes` removes this environment's unused ones and nothing else.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::HasSubstr;

// The environment name is the prefix, so the networks and volumes are unique to this run.
constexpr char kEnvironment[] = R"(
__maestro: {schema: 2}
name: "{{P}}env"
networks:
  back: {labels: {purpose: e2e}}
  front: {}
volumes:
  data: {}
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 10}
services:
  db:
    image: "{{IMAGE}}"
    networks: {back: {aliases: [database]}}
    instances:
      "{{P}}db":
        ship: local
        command: "sh -c 'date >> /data/starts; exec sleep 1000'"
        volumes: {data: /data}
        stop_timeout: 1
  web:
    image: "{{IMAGE}}"
    requires: [db]
    instances:
      "{{P}}web":
        ship: local
        command: sleep 1000
        stop_timeout: 1
        networks: {front: {aliases: [www]}, back: {}}
)";

// Four instances that start side by side, all on one network that does not exist yet.
constexpr char kSideBySide[] = R"(
__maestro: {schema: 2}
name: "{{P}}env"
networks:
  back: {}
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 10}
services:
  app:
    image: "{{IMAGE}}"
    networks: [back]
    instances:
      "{{P}}app-1": {ship: local, command: sleep 1000, stop_timeout: 1}
      "{{P}}app-2": {ship: local, command: sleep 1000, stop_timeout: 1}
      "{{P}}app-3": {ship: local, command: sleep 1000, stop_timeout: 1}
      "{{P}}app-4": {ship: local, command: sleep 1000, stop_timeout: 1}
)";

class NetworksTest : public E2eTest {
 protected:
  void TearDown() override {
    E2eTest::TearDown();
    for (const char* n : {"back", "front"}) (void)Docker().RemoveNetwork(Net(n));
    (void)Docker().RemoveVolume(Vol("data"));
    (void)Docker().RemoveNetwork(C("foreign"));
  }
  std::string Net(const std::string& key) const { return absl::StrCat(prefix_, "env_", key); }
  std::string Vol(const std::string& key) const { return absl::StrCat(prefix_, "env_", key); }

  // Runs `cmd` in `container`: its exit code, output in *out.
  int Exec(const std::string& container, std::vector<std::string> cmd, std::string* out) {
    docker::ExecOptions options;
    options.cmd = std::move(cmd);
    absl::StatusOr<std::string> id = Docker().CreateExec(container, options);
    if (!id.ok()) {
      *out = std::string(id.status().message());
      return -1;
    }
    absl::Status run = Docker().StartExec(
        *id, false,
        [&](docker::StdStream, absl::string_view data) {
          out->append(data.data(), data.size());
          return true;
        },
        nullptr);
    if (!run.ok()) return -1;
    absl::StatusOr<docker::ExecInspect> done = Docker().InspectExec(*id);
    return done.ok() && done->exit_code ? static_cast<int>(*done->exit_code) : -1;
  }
};

TEST_F(NetworksTest, ContainersResolveEachOtherByAliasAndVolumesSurviveRecreation) {
  std::string file = WriteEnvironment("networks.yaml", kEnvironment);
  RunResult r = RunMaestro(file, {"start"}, absl::Seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.all();

  absl::StatusOr<docker::NetworkInfo> back = Docker().InspectNetwork(Net("back"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->labels["maestro.environment"], C("env"));
  EXPECT_EQ(back->labels["purpose"], "e2e");
  std::optional<nlohmann::json> web = Inspect(C("web"));
  ASSERT_TRUE(web.has_value());
  const nlohmann::json& networks = (*web)["NetworkSettings"]["Networks"];
  EXPECT_TRUE(networks.contains(Net("front"))) << networks.dump();
  EXPECT_TRUE(networks.contains(Net("back"))) << "connected before start: " << networks.dump();
  EXPECT_EQ((*web)["HostConfig"]["NetworkMode"], Net("front"));

  // web reaches db by its alias on the shared network; db does not see web's front alias.
  std::string out;
  EXPECT_EQ(Exec(C("web"), {"ping", "-c1", "-W5", "database"}, &out), 0) << out;
  out.clear();
  EXPECT_EQ(Exec(C("web"), {"ping", "-c1", "-W5", C("db")}, &out), 0) << out;
  out.clear();
  EXPECT_NE(Exec(C("db"), {"ping", "-c1", "-W2", "www"}, &out), 0) << out;

  // The named volume keeps its data when the container is re-created.
  ASSERT_EQ(RunMaestro(file, {"stop", C("web"), C("db")}).exit_code, 0);
  RunResult cleaned = RunMaestro(file, {"clean", C("web"), C("db")});
  ASSERT_EQ(cleaned.exit_code, 0) << cleaned.all();
  EXPECT_FALSE(Inspect(C("db")).has_value());
  EXPECT_TRUE(Docker().InspectVolume(Vol("data")).ok()) << "plain clean keeps named volumes";
  EXPECT_TRUE(Docker().InspectNetwork(Net("back")).ok()) << "plain clean keeps networks";
  ASSERT_EQ(RunMaestro(file, {"start", C("db")}, absl::Seconds(90)).exit_code, 0);
  out.clear();
  ASSERT_EQ(Exec(C("db"), {"wc", "-l", "/data/starts"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("2 /data/starts"));
}

TEST_F(NetworksTest, InstancesStartingSideBySideMakeTheNetworkOnce) {
  std::string file = WriteEnvironment("side.yaml", kSideBySide);
  RunResult r = RunMaestro(file, {"start", "-c", "4"}, absl::Seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.all();
  // The daemon's own duplicate check is racy: created in parallel, there were several
  // networks of this name and every start failed ("network ... is ambiguous").
  EXPECT_EQ(Shell(absl::StrCat("docker network ls --format '{{.Name}}' | grep -cx ", Net("back"))),
            "1\n");
  for (int i = 1; i <= 4; ++i) {
    std::optional<nlohmann::json> app = Inspect(C(absl::StrCat("app-", i)));
    ASSERT_TRUE(app.has_value());
    EXPECT_TRUE((*app)["State"]["Running"].get<bool>()) << i;
  }
}

TEST_F(NetworksTest, CleanRemovesOnlyThisEnvironmentsUnusedNetworksAndVolumes) {
  std::string file = WriteEnvironment("networks.yaml", kEnvironment);
  ASSERT_EQ(RunMaestro(file, {"start", C("db")}, absl::Seconds(90)).exit_code, 0);
  // A network of another environment on the same daemon.
  ASSERT_TRUE(
      Docker()
          .CreateNetwork({{"Name", C("foreign")}, {"Labels", {{"maestro.environment", "x"}}}})
          .ok());

  // db runs: its network and volume are in use and stay.
  RunResult busy = RunMaestro(file, {"clean", "--networks", "--volumes", C("db")});
  EXPECT_THAT(busy.out, HasSubstr(absl::StrCat("local: kept network ", Net("back")))) << busy.all();
  EXPECT_THAT(busy.out, HasSubstr(absl::StrCat("local: kept volume ", Vol("data")))) << busy.all();

  ASSERT_EQ(RunMaestro(file, {"stop", C("db")}).exit_code, 0);
  RunResult r = RunMaestro(file, {"clean", "--networks", "--volumes", C("db")});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("local: removed network ", Net("back"))));
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("local: removed volume ", Vol("data"))));
  EXPECT_TRUE(absl::IsNotFound(Docker().InspectNetwork(Net("back")).status()));
  EXPECT_TRUE(absl::IsNotFound(Docker().InspectVolume(Vol("data")).status()));
  EXPECT_TRUE(Docker().InspectNetwork(C("foreign")).ok()) << "another environment's network";
}

}  // namespace
}  // namespace maestro::integration
