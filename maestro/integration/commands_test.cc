// End to end: status (plain, --format json, -F), stop (stop_timeout honoured), kill, clean,
// logs -n, pull from the authenticated registry (right and wrong password), and bad input that
// must never touch a container.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CommandsTest : public E2eTest {};

constexpr char kYaml[] = R"(
__maestro: {schema: 2}
name: commands-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 10}
services:
  web:
    image: "{{IMAGE}}"
    instances:
      "{{P}}web":
        ship: local
        command: httpd -f -p 80 -h /www
        stop_timeout: 1
        ports: {web: "80:{{PORT1}}", spare: "81:{{PORT2}}", syslog: "514/udp:{{PORT3}}/udp"}
        lifecycle: {running: [{type: tcp, port: web, max_wait: 15}]}
  chatty:
    image: "{{IMAGE}}"
    requires: [web]
    instances:
      "{{P}}chatty":
        ship: local
        command: "sh -c 'for i in 1 2 3 4 5; do echo line$i; done; exec sleep 1000'"
        stop_timeout: 1
  stubborn:
    image: "{{IMAGE}}"
    instances:
      "{{P}}stubborn":
        ship: local
        command: "sh -c \"trap '' TERM; sleep 1000 & wait; sleep 1000\""
        stop_timeout: 2
)";

nlohmann::json ParseResults(const RunResult& r) {
  nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << r.all();
  nlohmann::json by_name = nlohmann::json::object();
  if (doc.is_object() && doc["results"].is_array()) {
    for (const auto& x : doc["results"]) by_name[x["instance"].get<std::string>()] = x;
  }
  return by_name;
}

TEST_F(CommandsTest, StatusStopKillCleanLogs) {
  std::string file = WriteEnvironment("c.yaml", kYaml);

  RunResult before = RunMaestro(file, {"status", "--format", "json"});
  ASSERT_EQ(before.exit_code, 0) << before.all();
  nlohmann::json b = ParseResults(before);
  ASSERT_EQ(b.size(), 3u) << before.out;
  EXPECT_NE(b[C("web")]["state"], "running");
  EXPECT_EQ(b[C("web")]["container_id"], "");

  RunResult start = RunMaestro(file, {"start"});
  ASSERT_EQ(start.exit_code, 0) << start.all();

  // status (text): every row running, with tag:shortid.
  RunResult status = RunMaestro(file, {"status"});
  ASSERT_EQ(status.exit_code, 0) << status.all();
  for (const char* n : {"web", "chatty", "stubborn"}) {
    std::string line = LastLine(status.out, C(n));
    EXPECT_THAT(line, HasSubstr("running")) << status.out;
    std::string id = (*Inspect(C(n)))["Id"];
    EXPECT_THAT(line, HasSubstr(absl::StrCat("latest:", id.substr(0, 7)))) << status.out;
  }
  // status --format json: states and full ids.
  RunResult js = RunMaestro(file, {"status", "--format", "json"});
  ASSERT_EQ(js.exit_code, 0) << js.all();
  nlohmann::json s = ParseResults(js);
  for (const char* n : {"web", "chatty", "stubborn"}) {
    EXPECT_EQ(s[C(n)]["state"], "running") << js.out;
    EXPECT_EQ(s[C(n)]["container_id"], (*Inspect(C(n)))["Id"]) << js.out;
    EXPECT_EQ(s[C(n)]["ship"], "local");
  }
  // status -F: one line per named port; tcp ports with a listener are up.
  RunResult full = RunMaestro(file, {"status", "-F", C("web")});
  ASSERT_EQ(full.exit_code, 0) << full.all();
  EXPECT_THAT(full.out, HasSubstr(absl::StrCat("web: ", port_base_ + 1, "/tcp is up"))) << full.out;
  EXPECT_THAT(full.out, HasSubstr(absl::StrCat("spare: ", port_base_ + 2, "/tcp is"))) << full.out;
  EXPECT_THAT(full.out, HasSubstr(absl::StrCat("syslog: ", port_base_ + 3, "/udp is down")))
      << full.out;
  EXPECT_THAT(full.out, HasSubstr(Env()->image)) << full.out;

  // logs -n 2: only the last two lines.
  RunResult logs = RunMaestro(file, {"logs", "-n", "2", C("chatty")});
  ASSERT_EQ(logs.exit_code, 0) << logs.all();
  EXPECT_EQ(logs.out, "line4\nline5\n") << logs.all();

  // stop: stop_timeout is honoured for a container that ignores SIGTERM (~2 s, not 10).
  RunResult stop = RunMaestro(file, {"stop", C("stubborn")});
  ASSERT_EQ(stop.exit_code, 0) << stop.all();
  EXPECT_GE(stop.elapsed, absl::Milliseconds(1500)) << stop.all();
  EXPECT_LT(stop.elapsed, absl::Seconds(8)) << stop.all();
  std::optional<nlohmann::json> stubborn = Inspect(C("stubborn"));
  ASSERT_TRUE(stubborn.has_value());
  EXPECT_FALSE((*stubborn)["State"]["Running"].get<bool>());
  EXPECT_EQ((*stubborn)["State"]["ExitCode"], 137);  // SIGKILLed after the timeout
  EXPECT_THAT(LastLine(stop.out, C("stubborn")), HasSubstr("stopped")) << stop.out;

  // A service name needs -s for stop.
  RunResult unexpanded = RunMaestro(file, {"stop", "web"});
  EXPECT_NE(unexpanded.exit_code, 0) << unexpanded.all();
  EXPECT_TRUE((*Inspect(C("web")))["State"]["Running"].get<bool>());

  // kill -a: everything killed (dependents first), exit code 137.
  RunResult kill = RunMaestro(file, {"kill", "-a"});
  ASSERT_EQ(kill.exit_code, 0) << kill.all();
  for (const char* n : {"web", "chatty"}) {
    std::optional<nlohmann::json> c = Inspect(C(n));
    ASSERT_TRUE(c.has_value());
    EXPECT_FALSE((*c)["State"]["Running"].get<bool>()) << n;
    EXPECT_EQ((*c)["State"]["ExitCode"], 137) << n;
    EXPECT_THAT(LastLine(kill.out, C(n)), HasSubstr("killed")) << kill.out;
  }
  EXPECT_THAT(LastLine(kill.out, C("stubborn")), HasSubstr("down")) << kill.out;
  EXPECT_LE(FinishedAt(*Inspect(C("chatty"))), FinishedAt(*Inspect(C("web"))));

  RunResult down = RunMaestro(file, {"status", "--format", "json"});
  nlohmann::json d = ParseResults(down);
  for (const char* n : {"web", "chatty", "stubborn"}) EXPECT_EQ(d[C(n)]["state"], "exited");
  RunResult down_text = RunMaestro(file, {"status"});
  EXPECT_THAT(LastLine(down_text.out, C("web")), HasSubstr("down")) << down_text.out;

  // clean: removes the stopped containers; a second clean finds them absent.
  RunResult clean = RunMaestro(file, {"clean"});
  ASSERT_EQ(clean.exit_code, 0) << clean.all();
  for (const char* n : {"web", "chatty", "stubborn"}) {
    EXPECT_FALSE(Inspect(C(n)).has_value()) << n;
    EXPECT_THAT(LastLine(clean.out, C(n)), HasSubstr("removed")) << clean.out;
  }
  RunResult again = RunMaestro(file, {"clean"});
  ASSERT_EQ(again.exit_code, 0) << again.all();
  EXPECT_THAT(LastLine(again.out, C("web")), HasSubstr("absent")) << again.out;
}

TEST_F(CommandsTest, CleanSkipsRunningContainers) {
  std::string file = WriteEnvironment("c.yaml", kYaml);
  RunResult start = RunMaestro(file, {"start", C("web")});
  ASSERT_EQ(start.exit_code, 0) << start.all();
  RunResult clean = RunMaestro(file, {"clean", "-i", C("web")});
  EXPECT_EQ(clean.exit_code, 0) << clean.all();
  EXPECT_THAT(LastLine(clean.out, C("web")), HasSubstr("skipped")) << clean.out;
  EXPECT_TRUE((*Inspect(C("web")))["State"]["Running"].get<bool>());
}

constexpr char kPullYaml[] = R"(
__maestro: {schema: 2}
name: pull-e2e
registries:
  testreg:
    registry: "http://{{REGISTRY}}/v2/"
    username: "{{REGISTRY_USER}}"
    password: "{{PASSWORD}}"
    email: maestro@example.invalid
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 20}
services:
  pulled:
    image: "{{REGISTRY_IMAGE}}"
    instances:
      "{{P}}pulled": {ship: local, command: sleep 1000, stop_timeout: 1}
)";

TEST_F(CommandsTest, PullFromTheAuthenticatedRegistry) {
  const std::string image = Env()->registry_image;
  auto remove_image = [&] {
    Shell(absl::StrCat("docker image rm -f ", image, " >/dev/null 2>&1"));
  };
  remove_image();

  const std::string wrong = "wrong-Pa55word-4711";
  std::string bad = WriteEnvironment("bad.yaml", kPullYaml, {{"PASSWORD", wrong}});
  RunResult denied = RunMaestro(bad, {"pull"});
  EXPECT_EQ(denied.exit_code, 1) << denied.all();
  EXPECT_THAT(denied.all(), HasSubstr(Env()->registry)) << denied.all();
  EXPECT_THAT(denied.all(), Not(HasSubstr(wrong)));
  EXPECT_THAT(denied.all(), Not(HasSubstr(Env()->registry_password)));
  EXPECT_FALSE(Docker().InspectImage(image).ok());

  std::string good =
      WriteEnvironment("good.yaml", kPullYaml, {{"PASSWORD", Env()->registry_password}});
  RunResult pulled = RunMaestro(good, {"pull"});
  EXPECT_EQ(pulled.exit_code, 0) << pulled.all();
  EXPECT_THAT(LastLine(pulled.out, C("pulled")), HasSubstr("done")) << pulled.out;
  EXPECT_THAT(pulled.all(), Not(HasSubstr(Env()->registry_password)));
  EXPECT_TRUE(Docker().InspectImage(image).ok());
  // The testenv contract: the registry image is not kept locally.
  remove_image();
}

TEST_F(CommandsTest, BadInputNeverTouchesContainers) {
  std::string file = WriteEnvironment("bad.yaml", R"(
__maestro: {schema: 2}
name: bad-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}"}
services:
  good:
    image: "{{IMAGE}}"
    instances:
      "{{P}}good": {ship: local, command: sleep 1000}
  bad:
    image: "{{IMAGE}}"
    instances:
      "{{P}}bad": {ship: nowhere, command: sleep 1000}
)");
  for (const char* command : {"start", "status", "stop", "clean", "pull"}) {
    std::vector<std::string> args = {command};
    if (std::string(command) == "stop") args.push_back("-a");
    RunResult r = RunMaestro(file, args);
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.all();
    EXPECT_THAT(r.err, HasSubstr(file + ":14:")) << command << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("nowhere")) << r.err;
  }
  EXPECT_TRUE(ContainersWithPrefix(prefix_).empty());
}

}  // namespace
}  // namespace maestro::integration
