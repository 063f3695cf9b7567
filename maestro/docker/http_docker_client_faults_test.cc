// The real HttpDockerClient against the fake daemon's transport faults: a slow but alive
// daemon (start answered after 8 s, pings at once) never fails a call; an unreachable one is
// reported as such without waiting the call's patience; endless and huge bodies are bounded;
// stalled streams end on their stall bound or on Ctrl-C; a foreign server or a bad
// api_version is named as the reason.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "maestro/docker/http_docker_client.h"
#include "maestro/testing/fake_docker_daemon.h"
#include "maestro/transport/socket_transport.h"

namespace maestro::docker {
namespace {

using maestro::testing::FakeDockerDaemon;
using maestro::testing::TransportFault;
using nlohmann::json;

class FaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = FakeDockerDaemon::Start();
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = std::move(*d);
    daemon_->AddImage("busybox:latest");
  }
  std::unique_ptr<HttpDockerClient> MakeClient(absl::Duration timeout,
                                               CallLimits limits = CallLimits(),
                                               std::string version = "") {
    return std::make_unique<HttpDockerClient>(
        "ship1", std::make_unique<transport::UnixTransport>("ship1", daemon_->socket_path()),
        timeout, std::move(version), limits);
  }
  int Pings() const {
    int n = 0;
    for (const std::string& r : daemon_->request_log()) n += r == "GET /_ping";
    return n;
  }
  static TransportFault Fault(TransportFault::Kind kind, std::string method, std::string path) {
    TransportFault f;
    f.kind = kind;
    f.method = std::move(method);
    f.path_substring = std::move(path);
    return f;
  }

  std::unique_ptr<FakeDockerDaemon> daemon_;
};

TEST_F(FaultsTest, SlowStartOfAliveDaemonSucceedsPastTheTimeout) {
  auto client = MakeClient(absl::Milliseconds(400));
  auto created = client->CreateContainer("slow", json{{"Image", "busybox"}});
  ASSERT_TRUE(created.ok()) << created.status();
  TransportFault slow = Fault(TransportFault::Kind::kDelay, "POST", "/start");
  slow.delay = absl::Seconds(8);
  daemon_->transport_faults().Add(slow);
  int pings_before = Pings();
  absl::Status started = client->StartContainer(created->id);
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_TRUE(client->InspectContainer(created->id)->state.running);
  // The client checked the daemon was alive while it waited (a ping per silent slice).
  EXPECT_GE(Pings() - pings_before, 5);
}

TEST_F(FaultsTest, DeadDaemonFailsAsUnreachable) {
  CallLimits limits;
  limits.change_patience = absl::Seconds(60);  // a wrong wait would show as DeadlineExceeded
  auto client = MakeClient(absl::Milliseconds(300), limits, "1.41");
  daemon_->Stop();
  absl::Status s = client->StartContainer("abc");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StartsWith(s.message(), "ship1 (unix://")) << s;
}

TEST_F(FaultsTest, HungDaemonIsUnreachableOnceItsPingGoesUnanswered) {
  CallLimits limits;
  limits.change_patience = absl::Seconds(60);
  auto client = MakeClient(absl::Milliseconds(300), limits, "1.41");
  // Accepts connections but answers nothing, pings included.
  daemon_->InjectFault(FakeDockerDaemon::Fault::kNeverAnswer, 1000, "");
  absl::Status s = client->StartContainer("abc");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "daemon unreachable")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "POST /containers/abc/start")) << s;
}

TEST_F(FaultsTest, InterruptEndsTheWaitForASlowAnswer) {
  auto client = MakeClient(absl::Milliseconds(300));
  std::atomic<bool> interrupt{false};
  client->SetInterrupt(&interrupt);
  auto created = client->CreateContainer("slow", json{{"Image", "busybox"}});
  ASSERT_TRUE(created.ok()) << created.status();
  TransportFault slow = Fault(TransportFault::Kind::kDelay, "POST", "/start");
  slow.delay = absl::Minutes(5);
  daemon_->transport_faults().Add(slow);
  std::thread ctrl_c([&] {
    absl::SleepFor(absl::Milliseconds(300));
    interrupt = true;
  });
  absl::Status s = client->StartContainer(created->id);
  ctrl_c.join();
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "may still carry the request out")) << s;
}

TEST_F(FaultsTest, EndlessJsonBodyIsRefusedAtTheSizeCap) {
  CallLimits limits;
  limits.max_json_body = 1 << 20;
  auto client = MakeClient(absl::Seconds(2), limits, "1.41");
  daemon_->transport_faults().Add(
      Fault(TransportFault::Kind::kEndlessBody, "GET", "/containers/json"));
  auto list = client->ListContainers({});
  EXPECT_EQ(list.status().code(), absl::StatusCode::kResourceExhausted) << list.status();
  EXPECT_TRUE(absl::StrContains(list.status().message(), "larger than 1 MiB")) << list.status();
  // The client stopped reading: the server could not push much past the cap.
  EXPECT_LT(daemon_->transport_faults().body_bytes_sent(), int64_t{32} << 20);
}

TEST_F(FaultsTest, HugeErrorBodyIsTruncatedInTheMessage) {
  auto client = MakeClient(absl::Seconds(2), CallLimits(), "1.41");
  TransportFault huge = Fault(TransportFault::Kind::kHugeBody, "POST", "/start");
  huge.status = 500;
  huge.bytes = 50 << 20;
  daemon_->transport_faults().Add(huge);
  absl::Status s = client->StartContainer("abc");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s.code();
  EXPECT_LT(s.message().size(), 2000u);
  EXPECT_TRUE(absl::StrContains(s.message(), "more bytes not shown")) << s.message().substr(0, 300);
  EXPECT_TRUE(absl::StrContains(s.message(), "the answer was cut after 64 KiB"));
  EXPECT_LT(daemon_->transport_faults().body_bytes_sent(), int64_t{32} << 20);
}

TEST_F(FaultsTest, EndlessErrorBodyIsBounded) {
  auto client = MakeClient(absl::Seconds(2), CallLimits(), "1.41");
  TransportFault endless = Fault(TransportFault::Kind::kEndlessBody, "GET", "/json");
  endless.status = 500;
  daemon_->transport_faults().Add(endless);
  absl::Status s = client->InspectContainer("abc").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s.code();
  EXPECT_LT(s.message().size(), 2000u);
  EXPECT_LT(daemon_->transport_faults().body_bytes_sent(), int64_t{32} << 20);
}

TEST_F(FaultsTest, EndlessPullStreamWithoutNewlinesIsRefused) {
  auto client = MakeClient(absl::Seconds(3), CallLimits(), "1.41");
  daemon_->transport_faults().Add(
      Fault(TransportFault::Kind::kEndlessBody, "POST", "/images/create"));
  absl::Status s = client->PullImage("example/app", "1", "", nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "pull example/app:1: a pull progress line")) << s;
  EXPECT_LT(daemon_->transport_faults().body_bytes_sent(), int64_t{32} << 20);
}

TEST_F(FaultsTest, StalledPullStreamEndsAtItsStallBound) {
  CallLimits limits;
  limits.pull_stall = absl::Seconds(1);
  auto client = MakeClient(absl::Milliseconds(300), limits, "1.41");
  TransportFault stall = Fault(TransportFault::Kind::kStall, "POST", "/images/create");
  stall.prefix = "{\"status\":\"Pulling from example/app\",\"id\":\"1\"}\n";
  daemon_->transport_faults().Add(stall);
  int progress = 0;
  absl::Status s =
      client->PullImage("example/app", "1", "", [&](const PullProgress&) { ++progress; });
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "stream stalled")) << s;
  EXPECT_EQ(progress, 1);
}

TEST_F(FaultsTest, StalledPullStreamEndsOnInterrupt) {
  auto client = MakeClient(absl::Seconds(2), CallLimits(), "1.41");  // 10 min stall bound
  std::atomic<bool> interrupt{false};
  client->SetInterrupt(&interrupt);
  TransportFault stall = Fault(TransportFault::Kind::kStall, "POST", "/images/create");
  stall.prefix = "{\"status\":\"Pulling from example/app\",\"id\":\"1\"}\n";
  daemon_->transport_faults().Add(stall);
  std::thread ctrl_c([&] {
    absl::SleepFor(absl::Milliseconds(300));
    interrupt = true;
  });
  absl::Status s = client->PullImage("example/app", "1", "", nullptr);
  ctrl_c.join();
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "interrupted")) << s;
}

TEST_F(FaultsTest, ForeignServerIsNamedNotMistakenForMissingContainers) {
  auto client = MakeClient(absl::Seconds(2));
  TransportFault html = Fault(TransportFault::Kind::kHugeBody, "GET", "/_ping");
  html.status = 404;
  html.bytes = 40;
  daemon_->transport_faults().Add(html);
  absl::Status s = client->InspectContainer("web-1").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "not a Docker daemon")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "API version negotiation failed")) << s;
}

// A transport that cannot reach the daemon for a reason of its own (as SSH does for a wrong
// key or an unknown host key): no HTTP answer ever arrives.
class RefusingTransport : public transport::Transport {
 public:
  absl::StatusOr<std::unique_ptr<transport::Connection>> Connect(absl::Time) override {
    return absl::PermissionDeniedError("SSH authentication with key k failed");
  }
  std::string Describe() const override { return "ssh://u@127.0.0.1:2222"; }
};

TEST(NegotiationTest, TransportFailureKeepsItsCodeAndIsNotCalledAForeignServer) {
  HttpDockerClient client("ship1", std::make_unique<RefusingTransport>(), absl::Seconds(1), "");
  absl::Status s = client.InspectContainer("web-1").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "SSH authentication with key k failed")) << s;
  EXPECT_FALSE(absl::StrContains(s.message(), "not a Docker daemon")) << s;
}

TEST_F(FaultsTest, PinnedApiVersionThatIsNotAVersionIsTheReason) {
  auto client = MakeClient(absl::Seconds(2), CallLimits(), "banana");
  absl::Status s = client->InspectContainer("web-1").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "api_version 'banana' is not a Docker API version"))
      << s;
  EXPECT_EQ(client->PullImage("busybox", "latest", "", nullptr).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(daemon_->request_log().empty()) << "nothing sent with a bad version";
}

}  // namespace
}  // namespace maestro::docker
