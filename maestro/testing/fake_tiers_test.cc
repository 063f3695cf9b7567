// Both test tiers see one model of Docker: the same scenario against FakeDockerHost in process
// and against the real HttpDockerClient talking to FakeDockerDaemon (the HTTP front end over a
// FakeDockerHost) gives the same results: codes, HTTP statuses, error texts (after the
// "ship (url): " prefix), ids and the inspect/list JSON.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "maestro/docker/docker_client.h"
#include "maestro/docker/http_docker_client.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_daemon.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/transport/socket_transport.h"

namespace maestro::testing {
namespace {

using docker::DockerClient;
using nlohmann::json;

// A list entry's typed fields (ContainerSummary keeps no raw JSON) as one comparable line.
std::string Describe(const docker::ContainerSummary& s) {
  json ports = json::array();
  for (const docker::SummaryPort& p : s.ports) {
    ports.push_back({p.ip, p.private_port, p.public_port, p.type});
  }
  return json{
      {"id", s.id},       {"names", s.names},   {"image", s.image},   {"image_id", s.image_id},
      {"state", s.state}, {"status", s.status}, {"labels", s.labels}, {"created", s.created},
      {"ports", ports}}
      .dump();
}

// One line per step: "OK ..." or "<code> <http status> <message without the ship prefix>".
std::string Outcome(const DockerClient& client, const absl::Status& s) {
  if (s.ok()) return "OK";
  std::string message(s.message());
  std::string prefix = client.Describe() + ": ";
  EXPECT_TRUE(absl::StartsWith(message, prefix)) << message;
  if (absl::StartsWith(message, prefix)) message = message.substr(prefix.size());
  absl::optional<int> http = docker::HttpStatusOf(s);
  return absl::StrCat(absl::StatusCodeToString(s.code()), " ", http ? *http : 0, " ", message);
}

// The scenario: create, conflicts, start, stop, kill, remove and their 404/409 answers.
std::vector<std::string> Scenario(DockerClient& c) {
  std::vector<std::string> out;
  auto step = [&](const std::string& name, const absl::Status& s) {
    out.push_back(absl::StrCat(name, ": ", Outcome(c, s)));
  };
  json body = {{"Image", "busybox"},
               {"Cmd", {"sleep", "3600"}},
               {"Labels", {{"maestro.test", "1"}}},
               {"ExposedPorts", {{"80/tcp", json::object()}}},
               {"HostConfig", {{"PortBindings", {{"80/tcp", {{{"HostPort", "8080"}}}}}}}}};
  absl::StatusOr<docker::CreateContainerResult> web = c.CreateContainer("web", body);
  step("create web", web.status());
  if (web.ok()) out.push_back("id " + web->id);
  step("create web again", c.CreateContainer("web", body).status());
  step("create from a missing image",
       c.CreateContainer("other", json{{"Image", "nope:1"}}).status());
  step("create other", c.CreateContainer("other", body).status());
  step("start web", c.StartContainer("web"));
  step("start web again", c.StartContainer("web"));
  step("start other on the same host port", c.StartContainer("other"));
  absl::StatusOr<docker::ContainerInspect> running = c.InspectContainer("web");
  step("inspect running web", running.status());
  if (running.ok()) out.push_back("inspect " + running->raw.dump());
  absl::StatusOr<std::vector<docker::ContainerSummary>> list =
      c.ListContainers({.all = true, .labels = {"maestro.test=1"}, .names = {}});
  step("list", list.status());
  if (list.ok()) {
    for (const docker::ContainerSummary& s : *list) out.push_back("list " + Describe(s));
  }
  step("remove running web", c.RemoveContainer("web", {}));
  step("stop web", c.StopContainer("web", 1));
  step("stop web again", c.StopContainer("web", 1));
  step("kill stopped web", c.KillContainer("web", "KILL"));
  absl::StatusOr<docker::ContainerInspect> stopped = c.InspectContainer("web");
  step("inspect stopped web", stopped.status());
  if (stopped.ok()) out.push_back("inspect " + stopped->raw.dump());
  step("remove web", c.RemoveContainer("web", {}));
  step("start gone web", c.StartContainer("web"));
  step("stop gone web", c.StopContainer("web", 1));
  step("kill gone web", c.KillContainer("web", "KILL"));
  step("remove gone web", c.RemoveContainer("web", {}));
  step("inspect gone web", c.InspectContainer("web").status());
  step("remove other", c.RemoveContainer("other", {.volumes = true, .force = true}));
  step("inspect a missing image", c.InspectImage("nope:1").status());
  step("pull a missing image", c.PullImage("nope", "1", "", nullptr));
  docker::LogsOptions logs;
  logs.tty = false;
  step("logs of gone web",
       c.Logs("web", logs, [](docker::StdStream, absl::string_view) { return true; }));
  return out;
}

TEST(FakeTiersTest, SameScenarioSameResultsInProcessAndOverHttp) {
  // The same clock start on both sides: timestamps (and so the JSON) agree too.
  FakeClock in_process_clock;
  FakeDockerHost in_process("fake", &in_process_clock);
  in_process.AddImage("busybox");

  FakeClock daemon_clock;
  FakeDockerDaemon::Options options;
  options.clock = &daemon_clock;
  auto daemon = FakeDockerDaemon::Start(options);
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  (*daemon)->AddImage("busybox");
  docker::HttpDockerClient http(
      "ship1", std::make_unique<transport::UnixTransport>("ship1", (*daemon)->socket_path()),
      absl::Seconds(5), "1.41");

  std::vector<std::string> direct = Scenario(in_process);
  std::vector<std::string> served = Scenario(http);
  EXPECT_EQ(direct, served);

  // And the scenario says what it should (the texts users see).
  auto has = [&](const std::string& line) {
    for (const std::string& l : served) {
      if (l == line) return true;
    }
    ADD_FAILURE() << "no line " << line;
    return false;
  };
  ASSERT_GE(served.size(), 2u);
  const std::string id = served[1].substr(3);
  has(absl::StrCat(
      "create web again: ALREADY_EXISTS 409 POST /containers/create: 409 Conflict: Conflict. "
      "The container name \"/web\" is already in use by container \"",
      id, "\". You have to remove (or rename) that container to be able to reuse that name."));
  has("create from a missing image: NOT_FOUND 404 POST /containers/create: 404 Not Found: No "
      "such image: nope:1");
  has("start web again: OK");
  bool port_conflict = false;
  for (const std::string& l : served) {
    port_conflict =
        port_conflict ||
        (absl::StartsWith(l,
                          "start other on the same host port: INTERNAL 500 POST "
                          "/containers/other/start: 500 Internal Server Error: driver "
                          "failed programming external connectivity on endpoint other") &&
         absl::EndsWith(l, "Bind for 0.0.0.0:8080 failed: port is already allocated"));
  }
  EXPECT_TRUE(port_conflict);
  has(
      absl::StrCat("remove running web: FAILED_PRECONDITION 409 DELETE /containers/web: 409 "
                   "Conflict: You cannot remove a running container ",
                   id, ". Stop the container before attempting removal or force remove"));
  has("stop web again: OK");
  has(
      absl::StrCat("kill stopped web: FAILED_PRECONDITION 409 POST /containers/web/kill: 409 "
                   "Conflict: Cannot kill container: web: Container ",
                   id, " is not running"));
  has("start gone web: NOT_FOUND 404 POST /containers/web/start: 404 Not Found: No such "
      "container: web");
  has("stop gone web: NOT_FOUND 404 POST /containers/web/stop: 404 Not Found: No such "
      "container: web");
  has("remove gone web: NOT_FOUND 404 DELETE /containers/web: 404 Not Found: No such "
      "container: web");
  has("inspect gone web: NOT_FOUND 404 GET /containers/web/json: 404 Not Found: No such "
      "container: web");
  has("pull a missing image: NOT_FOUND 404 pull nope:1: 404 Not Found: pull access denied for "
      "nope, repository does not exist or may require 'docker login': denied: requested access "
      "to the resource is denied");
  has("logs of gone web: NOT_FOUND 404 GET /containers/web/logs: 404 Not Found: No such "
      "container: web");
  // The calls reached the daemon's model as the same DockerClient calls.
  EXPECT_EQ((*daemon)->host().CountCalls("StartContainer"),
            in_process.CountCalls("StartContainer"));
  EXPECT_EQ((*daemon)->host().CountCalls("RemoveContainer"),
            in_process.CountCalls("RemoveContainer"));
}

}  // namespace
}  // namespace maestro::testing
