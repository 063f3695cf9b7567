#include "maestro/testing/fake_docker_host.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/testing/fake_clock.h"
#include "nlohmann/json.hpp"

namespace maestro::testing {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

int HttpOf(const absl::Status& s) {
  absl::optional<absl::Cord> p = s.GetPayload("type.maestro/http_status");
  int code = 0;
  if (p) (void)absl::SimpleAtoi(std::string(*p), &code);
  return code;
}

json WebBody(const std::string& host_port = "8080") {
  return json::parse(R"({
    "Image": "nginx", "Hostname": "web-1", "Env": ["A=1"],
    "ExposedPorts": {"80/tcp": {}},
    "Labels": {"maestro.environment": "test", "maestro.service": "web"},
    "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": ")" +
                     host_port + R"("}]},
                   "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
                   "Links": [], "VolumesFrom": [], "Binds": []}
  })");
}

class FakeDockerHostTest : public ::testing::Test {
 protected:
  FakeDockerHostTest() : host_("ship1", &clock_) {
    host_.AddImage("nginx", "sha256:aaaa1111", json::parse(R"({"Env": ["PATH=/usr/bin"],
        "Cmd": ["nginx"], "Labels": {"vendor": "nginx"}, "ExposedPorts": {"443/tcp": {}}})"));
  }
  std::string CreateWeb(const std::string& name = "web-1", const std::string& port = "8080") {
    absl::StatusOr<docker::CreateContainerResult> r = host_.CreateContainer(name, WebBody(port));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->id : "";
  }
  FakeClock clock_;
  FakeDockerHost host_;
};

TEST_F(FakeDockerHostTest, CreateStartInspectLifecycle) {
  std::string id = CreateWeb();
  EXPECT_EQ(id.size(), 64u);
  absl::StatusOr<docker::ContainerInspect> c = host_.InspectContainer("web-1");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->id, id);
  EXPECT_EQ(c->name, "/web-1");
  EXPECT_EQ(c->state.status, "created");
  EXPECT_FALSE(c->state.running);
  EXPECT_EQ(c->state.started_at, "0001-01-01T00:00:00Z");
  EXPECT_EQ(c->image_id, "sha256:aaaa1111");
  EXPECT_EQ(c->config_image, "nginx");
  // Image defaults show through like on a real daemon.
  EXPECT_THAT(c->env, ElementsAre("PATH=/usr/bin", "A=1"));
  EXPECT_THAT(c->cmd, ElementsAre("nginx"));
  EXPECT_EQ(c->labels["vendor"], "nginx");
  EXPECT_EQ(c->labels["maestro.service"], "web");
  EXPECT_TRUE(c->host_config["Links"].is_null());  // empty lists come back as null
  EXPECT_EQ(c->host_config["LogConfig"]["Type"], "json-file");

  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(host_.StartContainer(id.substr(0, 12)).ok());
  c = host_.InspectContainer(id);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->state.running);
  EXPECT_EQ(c->state.started_at, "2023-11-14T22:13:25Z");
  ASSERT_EQ(c->ports["80/tcp"].size(), 1u);
  EXPECT_EQ(c->ports["80/tcp"][0].host_port, "8080");

  clock_.Advance(absl::Seconds(60));
  ASSERT_TRUE(host_.StopContainer(id, 10).ok());
  c = host_.InspectContainer(id);
  EXPECT_EQ(c->state.status, "exited");
  EXPECT_EQ(c->state.exit_code, 0);
  EXPECT_EQ(c->state.finished_at, "2023-11-14T22:14:25Z");
  EXPECT_TRUE(c->ports.empty());
}

TEST_F(FakeDockerHostTest, CreateWithExistingNameConflicts) {
  std::string id = CreateWeb();
  absl::StatusOr<docker::CreateContainerResult> r = host_.CreateContainer("web-1", WebBody());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(HttpOf(r.status()), 409);
  EXPECT_THAT(
      r.status().message(),
      HasSubstr("Conflict. The container name \"/web-1\" is already in use by container \"" + id +
                "\""));
}

TEST_F(FakeDockerHostTest, CreateFromMissingImageIsNotFound) {
  json body = WebBody();
  body["Image"] = "redis";
  absl::StatusOr<docker::CreateContainerResult> r = host_.CreateContainer("r", body);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("No such image: redis:latest"));
}

TEST_F(FakeDockerHostTest, UnknownContainerIsNotFound) {
  for (absl::Status s :
       {host_.StartContainer("ghost"), host_.StopContainer("ghost", 1),
        host_.KillContainer("ghost", "SIGKILL"), host_.RemoveContainer("ghost", {}),
        host_.InspectContainer("ghost").status()}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_EQ(HttpOf(s), 404);
    EXPECT_THAT(s.message(), HasSubstr("No such container: ghost"));
    EXPECT_THAT(s.message(), HasSubstr("ship1 (fake://ship1)"));
  }
}

TEST_F(FakeDockerHostTest, StartRunningAndStopStoppedAreNoOps) {
  std::string id = CreateWeb();
  EXPECT_TRUE(host_.StopContainer(id, 10).ok());  // created, not running: 304
  ASSERT_TRUE(host_.StartContainer(id).ok());
  EXPECT_TRUE(host_.StartContainer(id).ok());  // 304
  EXPECT_EQ(host_.FindContainer(id)->start_count, 1);
  ASSERT_TRUE(host_.StopContainer(id, 10).ok());
  EXPECT_TRUE(host_.StopContainer(id, 10).ok());
}

TEST_F(FakeDockerHostTest, RemoveRunningNeedsForce) {
  std::string id = CreateWeb();
  ASSERT_TRUE(host_.StartContainer(id).ok());
  absl::Status s = host_.RemoveContainer(id, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(HttpOf(s), 409);
  EXPECT_THAT(s.message(), HasSubstr("You cannot remove a running container"));
  docker::RemoveContainerOptions force;
  force.force = true;
  EXPECT_TRUE(host_.RemoveContainer(id, force).ok());
  EXPECT_FALSE(host_.FindContainer("web-1").has_value());
  // The name is free again.
  CreateWeb();
}

TEST_F(FakeDockerHostTest, KillStoppedContainerConflicts) {
  std::string id = CreateWeb();
  absl::Status s = host_.KillContainer(id, "SIGKILL");
  EXPECT_EQ(HttpOf(s), 409);
  ASSERT_TRUE(host_.StartContainer(id).ok());
  ASSERT_TRUE(host_.KillContainer(id, "").ok());
  EXPECT_EQ(host_.FindContainer(id)->exit_code, 137);
}

TEST_F(FakeDockerHostTest, HostPortCollisionBetweenRunningContainers) {
  std::string a = CreateWeb("web-1", "8080");
  std::string b = CreateWeb("web-2", "8080");
  ASSERT_TRUE(host_.StartContainer(a).ok());
  absl::Status s = host_.StartContainer(b);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(HttpOf(s), 500);
  EXPECT_THAT(s.message(), HasSubstr("Bind for 0.0.0.0:8080 failed: port is already allocated"));
  EXPECT_EQ(host_.FindContainer(b)->state, FakeContainerState::kCreated);
  // Once the first one stops, the port is free.
  ASSERT_TRUE(host_.StopContainer(a, 1).ok());
  EXPECT_TRUE(host_.StartContainer(b).ok());
}

TEST_F(FakeDockerHostTest, HostPortRangePicksAFreePort) {
  std::string a = CreateWeb("web-1", "9000");
  std::string b = CreateWeb("web-2", "9000-9002");
  ASSERT_TRUE(host_.StartContainer(a).ok());
  ASSERT_TRUE(host_.StartContainer(b).ok());
  EXPECT_EQ(host_.FindContainer(b)->allocated_ports["80/tcp"][0].host_port, "9001");
}

TEST_F(FakeDockerHostTest, ListAllAndLabelFilters) {
  std::string a = CreateWeb("web-1", "8080");
  CreateWeb("web-2", "8081");
  json other = WebBody("8082");
  other["Labels"] = {{"maestro.environment", "prod"}};
  ASSERT_TRUE(host_.CreateContainer("db-1", other).ok());
  ASSERT_TRUE(host_.StartContainer(a).ok());

  docker::ListContainersOptions running;
  auto r = host_.ListContainers(running);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_THAT((*r)[0].names, ElementsAre("/web-1"));
  EXPECT_EQ((*r)[0].state, "running");
  EXPECT_EQ((*r)[0].status, "Up Less than a second");

  docker::ListContainersOptions all;
  all.all = true;
  EXPECT_EQ(host_.ListContainers(all)->size(), 3u);
  all.labels = {"maestro.environment=test"};
  EXPECT_EQ(host_.ListContainers(all)->size(), 2u);
  all.labels = {"maestro.service"};
  EXPECT_EQ(host_.ListContainers(all)->size(), 2u);
  all.labels = {};
  all.names = {"db"};
  EXPECT_EQ(host_.ListContainers(all)->size(), 1u);
}

TEST_F(FakeDockerHostTest, ListStatusStrings) {
  std::string a = CreateWeb();
  ASSERT_TRUE(host_.StartContainer(a).ok());
  clock_.Advance(absl::Minutes(3));
  docker::ListContainersOptions all;
  all.all = true;
  EXPECT_EQ(host_.ListContainers(all)->at(0).status, "Up 3 minutes");
  ASSERT_TRUE(host_.SimulateExit(a, 2).ok());
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(host_.ListContainers(all)->at(0).status, "Exited (2) 30 seconds ago");
}

TEST_F(FakeDockerHostTest, ImagesUntaggedMeansLatestAndPulls) {
  EXPECT_TRUE(host_.HasImage("nginx:latest"));
  EXPECT_TRUE(host_.InspectImage("nginx").ok());
  EXPECT_TRUE(host_.InspectImage("sha256:aaaa1111").ok());
  EXPECT_EQ(host_.InspectImage("redis").status().code(), absl::StatusCode::kNotFound);

  absl::Status s = host_.PullImage("redis", "7", "", nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("pull access denied for redis"));

  host_.SetPullable("redis:7", "sha256:bbbb2222");
  std::vector<std::string> statuses;
  ASSERT_TRUE(host_
                  .PullImage("redis", "7", "",
                             [&](const docker::PullProgress& p) { statuses.push_back(p.status); })
                  .ok());
  EXPECT_EQ(statuses.back(), "Status: Downloaded newer image for redis:7");
  EXPECT_EQ(host_.InspectImage("redis:7")->id, "sha256:bbbb2222");

  // A re-pull of a present image succeeds; an injected pull error wins.
  EXPECT_TRUE(host_.PullImage("nginx", "", "", nullptr).ok());
  host_.SetPullError("nginx", absl::UnavailableError("registry down"));
  EXPECT_EQ(host_.PullImage("nginx", "latest", "", nullptr).code(), absl::StatusCode::kUnavailable);
}

TEST_F(FakeDockerHostTest, DownFailsEveryCallAndRecordsIt) {
  host_.SetDown(true, absl::Seconds(2));
  absl::Status s = host_.ApiVersion().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("connection refused"));
  EXPECT_EQ(host_.ListContainers({}).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(clock_.total_slept(), absl::Seconds(4));
  EXPECT_EQ(host_.CountCalls("ListContainers"), 1);
  host_.SetDown(false);
  EXPECT_TRUE(host_.ApiVersion().ok());
}

TEST_F(FakeDockerHostTest, FailNextIsQueuedPerMethod) {
  host_.FailNext("StartContainer", FakeDockerHost::ApiError(500, "boom"));
  host_.FailNext("StartContainer", absl::DeadlineExceededError("slow"));
  std::string id = CreateWeb();
  absl::Status first = host_.StartContainer(id);
  EXPECT_EQ(first.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(HttpOf(first), 500);
  EXPECT_EQ(host_.StartContainer(id).code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(host_.StartContainer(id).ok());
  EXPECT_TRUE(host_.FindContainer(id)->state == FakeContainerState::kRunning);
}

TEST_F(FakeDockerHostTest, RecordsCallsInOrder) {
  std::string id = CreateWeb();
  ASSERT_TRUE(host_.StartContainer(id).ok());
  (void)host_.InspectContainer("web-1");
  EXPECT_THAT(host_.calls(),
              ElementsAre(FakeCall{"CreateContainer", "web-1"}, FakeCall{"StartContainer", id},
                          FakeCall{"InspectContainer", "web-1"}));
  EXPECT_EQ(host_.CountCalls("StartContainer", id), 1);
  host_.ClearCalls();
  EXPECT_TRUE(host_.calls().empty());
}

TEST_F(FakeDockerHostTest, LatencyOnTheClock) {
  host_.SetLatency(absl::Milliseconds(20));
  (void)host_.ApiVersion();
  (void)host_.ApiVersion();
  EXPECT_EQ(clock_.total_slept(), absl::Milliseconds(40));
}

TEST(FakeDockerHostWallClockTest, RealLatency) {
  FakeClock clock;
  FakeDockerHost host("ship1", &clock);
  host.SetLatency(absl::Milliseconds(20), FakeDockerHost::LatencyMode::kWallClock);
  absl::Time start = absl::Now();
  ASSERT_TRUE(host.ApiVersion().ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(19));
  EXPECT_EQ(clock.total_slept(), absl::ZeroDuration());
}

TEST_F(FakeDockerHostTest, ExitOnStartByImageOrName) {
  host_.SetExitOnStart("nginx:latest", 3);
  std::string id = CreateWeb();
  ASSERT_TRUE(host_.StartContainer(id).ok());  // start succeeds, the process dies
  auto c = host_.InspectContainer(id);
  EXPECT_FALSE(c->state.running);
  EXPECT_EQ(c->state.exit_code, 3);
  EXPECT_NE(c->state.started_at, "0001-01-01T00:00:00Z");

  FakeDockerHost other("ship2", &clock_);
  other.AddImage("nginx");
  other.SetExitOnStart("web-9");
  auto r = other.CreateContainer("web-9", WebBody());
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(other.StartContainer(r->id).ok());
  EXPECT_EQ(other.FindContainer("web-9")->state, FakeContainerState::kExited);
}

TEST_F(FakeDockerHostTest, IgnoresSigtermTakesTheFullTimeout) {
  host_.SetIgnoresSigterm("web-1");
  std::string id = CreateWeb();
  ASSERT_TRUE(host_.StartContainer(id).ok());
  absl::Time before = clock_.Now();
  ASSERT_TRUE(host_.StopContainer(id, 7).ok());
  EXPECT_EQ(clock_.Now() - before, absl::Seconds(7));
  EXPECT_EQ(host_.FindContainer(id)->exit_code, 137);

  std::string b = CreateWeb("web-2", "8081");
  ASSERT_TRUE(host_.StartContainer(b).ok());
  before = clock_.Now();
  ASSERT_TRUE(host_.StopContainer(b, 7).ok());
  EXPECT_EQ(clock_.Now(), before);  // a well-behaved container stops at once
}

TEST_F(FakeDockerHostTest, ExecScripts) {
  std::string id = CreateWeb();
  EXPECT_EQ(host_.CreateExec(id, {}).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(host_.StartContainer(id).ok());
  host_.ScriptExec("web-1", "check.sh", 2, "not ready\n");
  docker::ExecOptions opts;
  opts.cmd = {"/bin/sh", "check.sh"};
  auto exec = host_.CreateExec("web-1", opts);
  ASSERT_TRUE(exec.ok());
  EXPECT_FALSE(host_.InspectExec(*exec)->exit_code.has_value());
  std::string out;
  ASSERT_TRUE(host_
                  .StartExec(
                      *exec, false,
                      [&](docker::StdStream, absl::string_view d) {
                        out.append(d.data(), d.size());
                        return true;
                      },
                      nullptr)
                  .ok());
  EXPECT_EQ(out, "not ready\n");
  EXPECT_EQ(host_.InspectExec(*exec)->exit_code, 2);

  opts.cmd = {"true"};
  auto ok_exec = host_.CreateExec("web-1", opts);
  ASSERT_TRUE(
      host_
          .StartExec(
              *ok_exec, false, [](docker::StdStream, absl::string_view) { return true; }, nullptr)
          .ok());
  EXPECT_EQ(host_.InspectExec(*ok_exec)->exit_code, 0);
  EXPECT_EQ(host_.InspectExec("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FakeDockerHostTest, LogsWithTail) {
  CreateWeb();
  host_.SetLogs("web-1", {"one", "two", "three"});
  std::string out;
  docker::LogsOptions opts;
  opts.tail = "2";
  ASSERT_TRUE(host_
                  .Logs("web-1", opts,
                        [&](docker::StdStream s, absl::string_view d) {
                          EXPECT_EQ(s, docker::StdStream::kStdout);
                          out.append(d.data(), d.size());
                          return true;
                        })
                  .ok());
  EXPECT_EQ(out, "two\nthree\n");
}

TEST_F(FakeDockerHostTest, LogsKeepStreamsAndFollowSeesAppendedOutput) {
  std::string id = CreateWeb();
  ASSERT_TRUE(host_.StartContainer(id).ok());
  host_.AppendLogs("web-1", docker::StdStream::kStdout, "out 1\n");
  host_.AppendLogs(id, docker::StdStream::kStderr, "err 1\n");
  std::string out, err;
  docker::LogsOptions opts;
  opts.follow = true;
  std::thread writer([&] {
    host_.AppendLogs("web-1", docker::StdStream::kStdout, "out 2\n");
    ASSERT_TRUE(host_.SimulateExit("web-1", 3).ok());  // ends the follow
  });
  ASSERT_TRUE(host_
                  .Logs("web-1", opts,
                        [&](docker::StdStream s, absl::string_view d) {
                          (s == docker::StdStream::kStdout ? out : err).append(d.data(), d.size());
                          return true;
                        })
                  .ok());
  writer.join();
  EXPECT_EQ(out, "out 1\nout 2\n");
  EXPECT_EQ(err, "err 1\n");
  // stderr=0 leaves it out.
  std::string only_out;
  docker::LogsOptions no_err;
  no_err.stderr_ = false;
  ASSERT_TRUE(host_
                  .Logs("web-1", no_err,
                        [&](docker::StdStream, absl::string_view d) {
                          only_out.append(d.data(), d.size());
                          return true;
                        })
                  .ok());
  EXPECT_EQ(only_out, "out 1\nout 2\n");
}

TEST_F(FakeDockerHostTest, LogsTimestampsSinceUntilAndARecreatedContainerStartsEmpty) {
  std::string id = CreateWeb();
  ASSERT_TRUE(host_.StartContainer(id).ok());
  const absl::Time t0 = clock_.Now();
  host_.AppendLogs("web-1", docker::StdStream::kStdout, "a\n");
  clock_.Advance(absl::Seconds(1));
  host_.AppendLogs("web-1", docker::StdStream::kStdout, "b\nc\n");
  clock_.Advance(absl::Seconds(1));
  host_.AppendLogs("web-1", docker::StdStream::kStdout, "d\n");
  auto read = [&](const docker::LogsOptions& o, const std::string& target) {
    std::string out;
    absl::Status st = host_.Logs(target, o, [&](docker::StdStream, absl::string_view d) {
      out.append(d.data(), d.size());
      return true;
    });
    EXPECT_TRUE(st.ok()) << st;
    return out;
  };
  docker::LogsOptions stamped;
  stamped.timestamps = true;
  stamped.tail = "2";
  const std::string s1 =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", t0 + absl::Seconds(1), absl::UTCTimeZone());
  const std::string s2 =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", t0 + absl::Seconds(2), absl::UTCTimeZone());
  EXPECT_EQ(read(stamped, "web-1"), absl::StrCat(s1, " b\n", s1, " c\n", s2, " d\n"))
      << "tail counts entries; each line of an entry carries its time";
  docker::LogsOptions window;
  window.since = docker::DockerTimeParam(t0 + absl::Milliseconds(500));
  window.until = docker::DockerTimeParam(t0 + absl::Seconds(1));
  EXPECT_EQ(read(window, "web-1"), "b\nc\n");
  // Re-created under the same name: only the new container's output.
  ASSERT_TRUE(host_.RemoveContainer(id, {.force = true}).ok());
  std::string id2 = CreateWeb();
  host_.AppendLogs("web-1", docker::StdStream::kStdout, "new\n");
  EXPECT_EQ(read({}, id2), "new\n");
}

TEST_F(FakeDockerHostTest, DropLogStreamsEndsAFollowWithUnavailable) {
  std::string id = CreateWeb();
  ASSERT_TRUE(host_.StartContainer(id).ok());
  host_.AppendLogs("web-1", docker::StdStream::kStdout, "one\n");
  docker::LogsOptions follow;
  follow.follow = true;
  absl::Status st = host_.Logs("web-1", follow, [&](docker::StdStream, absl::string_view) {
    host_.DropLogStreams();
    return true;
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("connection reset by peer"));
}

TEST_F(FakeDockerHostTest, ExecScriptWritesStderr) {
  ASSERT_TRUE(host_.StartContainer(CreateWeb()).ok());
  host_.ScriptExec("web-1", "check", 2, "partial\n", "bad thing\n");
  absl::StatusOr<std::string> exec = host_.CreateExec("web-1", {.cmd = {"check", "x"}});
  ASSERT_TRUE(exec.ok());
  std::string out, err;
  ASSERT_TRUE(host_
                  .StartExec(
                      *exec, false,
                      [&](docker::StdStream s, absl::string_view d) {
                        (s == docker::StdStream::kStdout ? out : err).append(d.data(), d.size());
                        return true;
                      },
                      nullptr)
                  .ok());
  EXPECT_EQ(out, "partial\n");
  EXPECT_EQ(err, "bad thing\n");
  EXPECT_EQ(host_.InspectExec(*exec)->exit_code, 2);
}

TEST_F(FakeDockerHostTest, RegistryAuthGuardsPullsAndLogins) {
  host_.RequireRegistryAuth("127.0.0.1:5000", "maestro", "pw");
  host_.SetPullable("127.0.0.1:5000/app:1");
  absl::Status none = host_.PullImage("127.0.0.1:5000/app", "1", "", nullptr);
  EXPECT_EQ(none.code(), absl::StatusCode::kUnauthenticated) << none;
  EXPECT_EQ(none.message(),
            "ship1 (fake://ship1): pull 127.0.0.1:5000/app:1: Head "
            "\"http://127.0.0.1:5000/v2/app/manifests/1\": no basic auth credentials");
  EXPECT_EQ(FakeDockerHost::DaemonMessageOf(none),
            "Head \"http://127.0.0.1:5000/v2/app/manifests/1\": no basic auth credentials");
  EXPECT_EQ(HttpOf(none), 0) << "reported in the progress stream, not as an HTTP status";
  std::string auth;
  absl::WebSafeBase64Escape(R"({"username":"maestro","password":"pw"})", &auth);
  EXPECT_TRUE(host_.PullImage("127.0.0.1:5000/app", "1", auth, nullptr).ok());

  absl::StatusOr<std::string> wrong = host_.Login(
      {{"username", "maestro"}, {"password", "x"}, {"serveraddress", "127.0.0.1:5000"}});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(HttpOf(wrong.status()), 401);
  EXPECT_EQ(*host_.Login({{"username", "maestro"},
                          {"password", "pw"},
                          {"serveraddress", "https://127.0.0.1:5000/v1/"}}),
            "Login Succeeded");
}

TEST_F(FakeDockerHostTest, FindsByNameIdAndUniqueIdPrefix) {
  std::string a = CreateWeb("a", "8081");
  std::string b = CreateWeb("b", "8082");
  EXPECT_EQ(host_.InspectContainer("/a")->id, a);
  EXPECT_EQ(host_.InspectContainer(b)->id, b);
  EXPECT_EQ(host_.InspectContainer(b.substr(0, 12))->id, b);
  size_t common = 0;
  while (a[common] == b[common]) ++common;
  // A prefix both ids share is ambiguous: not found.
  if (common > 0) {
    EXPECT_EQ(host_.InspectContainer(a.substr(0, common)).status().code(),
              absl::StatusCode::kNotFound);
  }
  ASSERT_TRUE(host_.RemoveContainer("a", {}).ok());
  EXPECT_EQ(host_.InspectContainer("a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(host_.InspectContainer(a).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FakeDockerHostTest, PublishedPortWithoutExposeIsInInspect) {
  json body = {{"Image", "nginx"},
               {"HostConfig", {{"PortBindings", {{"9000/tcp", {{{"HostPort", "9000"}}}}}}}}};
  absl::StatusOr<docker::CreateContainerResult> c = host_.CreateContainer("p", body);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(host_.StartContainer("p").ok());
  docker::ContainerInspect inspect = *host_.InspectContainer("p");
  ASSERT_EQ(inspect.ports["9000/tcp"].size(), 1u);
  EXPECT_EQ(inspect.ports["9000/tcp"][0].host_port, "9000");
}

TEST_F(FakeDockerHostTest, EventsStreamStartAndDie) {
  std::string id = CreateWeb();
  std::vector<std::string> seen;
  std::atomic<bool> cancel{false};
  std::thread watcher([&] {
    docker::EventsOptions opts;
    opts.filters["type"] = {"container"};
    opts.filters["event"] = {"start", "die"};
    opts.cancel = &cancel;
    absl::Status s = host_.Events(opts, [&](const docker::Event& e) {
      seen.push_back(e.action + ":" + e.attributes.at("name"));
      return seen.size() < 2;
    });
    EXPECT_TRUE(s.ok()) << s;
  });
  // Wait until the watcher is subscribed.
  while (host_.CountCalls("Events") == 0) absl::SleepFor(absl::Milliseconds(1));
  absl::SleepFor(absl::Milliseconds(20));
  ASSERT_TRUE(host_.StartContainer(id).ok());
  ASSERT_TRUE(host_.StopContainer(id, 1).ok());
  watcher.join();
  EXPECT_THAT(seen, ElementsAre("start:web-1", "die:web-1"));

  std::vector<std::string> all;
  for (const docker::Event& e : host_.events()) all.push_back(e.action);
  EXPECT_THAT(all, ElementsAre("create", "start", "kill", "die", "stop"));
  EXPECT_EQ(host_.events()[3].attributes.at("exitCode"), "0");
}

TEST_F(FakeDockerHostTest, EventsSinceReplaysHistoryAndUntilEnds) {
  std::string id = CreateWeb();
  ASSERT_TRUE(host_.StartContainer(id).ok());
  docker::EventsOptions opts;
  opts.since = "0";
  opts.until = std::to_string(absl::ToUnixSeconds(clock_.Now()));
  std::vector<std::string> seen;
  ASSERT_TRUE(host_
                  .Events(opts,
                          [&](const docker::Event& e) {
                            seen.push_back(e.action);
                            return true;
                          })
                  .ok());
  EXPECT_THAT(seen, ElementsAre("create", "start"));
}

TEST_F(FakeDockerHostTest, ConcurrentCallsAreSafe) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([this, i] {
      std::string name = "c" + std::to_string(i);
      auto r = host_.CreateContainer(name, WebBody(std::to_string(9000 + i)));
      ASSERT_TRUE(r.ok());
      ASSERT_TRUE(host_.StartContainer(r->id).ok());
      (void)host_.ListContainers({});
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(host_.containers().size(), 8u);
  EXPECT_EQ(host_.CountCalls("ListContainers"), 8);
}

}  // namespace
}  // namespace maestro::testing
