// End to end: no container is lost when the daemon is slow or another run races us.
//  * A unix-socket proxy in front of the real daemon holds back every answer to
//    POST /containers/*/start for 2 s (the daemon has started the container by then), with the
//    ship's `timeout: 0.4`: maestro waits for the alive daemon, every container ends up
//    running, and the daemon's event history (the witness) shows no kill and no destroy.
//  * Two `maestro start` runs on the same file at once: neither removes a container, all end
//    up running. (The deploy lock now makes the second wait for the first: MAESTRO_LOCK_WAIT.)
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::HasSubstr;

// unix socket `path()` -> the daemon's socket; answers to start requests are delayed.
class SlowStartProxy {
 public:
  SlowStartProxy(std::string upstream, std::string path, absl::Duration delay)
      : upstream_(std::move(upstream)), path_(std::move(path)), delay_(delay) {
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    ::unlink(path_.c_str());
    if (listen_fd_ < 0 ||
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 128) != 0) {
      ADD_FAILURE() << "proxy listen on " << path_ << ": " << std::strerror(errno);
      return;
    }
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~SlowStartProxy() {
    stopping_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    for (std::thread& t : pumps_) t.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  int delayed() const { return delayed_.load(); }

 private:
  static bool WaitReadable(int fd, const std::atomic<bool>& stopping) {
    for (int i = 0; i < 100000 && !stopping; ++i) {  // bounded: ~5.5 h at most
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, 200);
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
    }
    return false;
  }
  static bool WriteAll(int fd, const char* data, size_t n) {
    while (n > 0) {
      ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      data += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }
  void AcceptLoop() {
    while (WaitReadable(listen_fd_, stopping_)) {
      int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      int up = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", upstream_.c_str());
      if (up < 0 || ::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(client);
        if (up >= 0) ::close(up);
        continue;
      }
      pumps_.emplace_back([this, client, up] { Pump(client, up); });
    }
  }
  // One connection: requests pass at once; the answer to a start waits `delay_`.
  void Pump(int client, int up) {
    std::atomic<bool> start_pending{false};
    std::thread down([&] {
      char buf[65536];
      while (WaitReadable(up, stopping_)) {
        ssize_t n = ::recv(up, buf, sizeof buf, 0);
        if (n <= 0) break;
        if (start_pending.exchange(false)) {
          ++delayed_;
          absl::SleepFor(delay_);
        }
        if (!WriteAll(client, buf, static_cast<size_t>(n))) break;
      }
      ::shutdown(client, SHUT_RDWR);
      ::shutdown(up, SHUT_RDWR);
    });
    char buf[65536];
    while (WaitReadable(client, stopping_)) {
      ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) break;
      std::string head(buf, static_cast<size_t>(std::min<ssize_t>(n, 256)));
      if (absl::StartsWith(head, "POST ") &&
          absl::StrContains(head.substr(0, head.find('\n')), "/start")) {
        start_pending = true;
      }
      if (!WriteAll(up, buf, static_cast<size_t>(n))) break;
    }
    ::shutdown(up, SHUT_RDWR);
    ::shutdown(client, SHUT_RDWR);
    down.join();
    ::close(client);
    ::close(up);
  }

  std::string upstream_;
  std::string path_;
  absl::Duration delay_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> delayed_{0};
  std::thread acceptor_;
  std::vector<std::thread> pumps_;  // only the acceptor thread adds; joined after it ends
};

class StartReliabilityTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    since_ = absl::Now() - absl::Seconds(1);
  }
  // "action name" of every kill/destroy/die of this test's containers since SetUp.
  std::vector<std::string> Destructions() {
    docker::EventsOptions o;
    o.filters = {{"type", {"container"}}, {"event", {"kill", "destroy", "die"}}};
    o.since = absl::StrFormat("%d", absl::ToUnixSeconds(since_));
    o.until = absl::StrFormat("%d", absl::ToUnixSeconds(absl::Now()) + 1);
    std::vector<std::string> out;
    absl::Status s = Docker().Events(o, [&](const docker::Event& e) {
      auto name = e.attributes.find("name");
      if (name != e.attributes.end() && absl::StartsWith(name->second, prefix_)) {
        out.push_back(absl::StrCat(e.action, " ", name->second));
      }
      return true;
    });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }
  bool Running(const std::string& name) {
    std::optional<nlohmann::json> j = Inspect(name);
    return j && (*j)["State"]["Running"].get<bool>();
  }
  std::string Instances(int n) {
    std::string out;
    for (int i = 1; i <= n; ++i) {
      absl::StrAppend(&out, "      \"{{P}}web-", i, "\": {ship: local, command: sleep 1000, ",
                      "stop_timeout: 1, labels: {maestro.test: \"1\"}}\n");
    }
    return out;
  }
  absl::Time since_;
};

TEST_F(StartReliabilityTest, TimeoutDuringStartCannotLoseTheContainer) {
  // /tmp: a socket path under the test directory may pass the 108-byte limit.
  SlowStartProxy proxy(Env()->docker_socket, absl::StrCat("/tmp/", prefix_, "slow.sock"),
                       absl::Seconds(2));
  const int n = 6;
  std::string file = WriteEnvironment("slow.yaml",
                                      absl::StrCat(R"(
__maestro: {schema: 2}
name: slow-start-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SLOW}}", timeout: 0.4}
services:
  web:
    image: "{{IMAGE}}"
    instances:
)",
                                                   Instances(n)),
                                      {{"SLOW", proxy.path()}});
  RunResult r = RunMaestro(file, {"start"}, absl::Seconds(180));
  ASSERT_FALSE(r.timed_out) << r.all();
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_GE(proxy.delayed(), n) << "every start answer was held back past the timeout";
  for (int i = 1; i <= n; ++i) {
    EXPECT_TRUE(Running(C(absl::StrCat("web-", i)))) << i << "\n" << r.all();
  }
  EXPECT_THAT(r.all(), ::testing::Not(HasSubstr("left in place")));
  // The daemon's own record: nothing was killed or destroyed.
  EXPECT_THAT(Destructions(), ::testing::IsEmpty()) << r.all();
}

TEST_F(StartReliabilityTest, ConcurrentRunsNeverRemoveEachOthersContainers) {
  const int n = 12;
  std::string file = WriteEnvironment("twice.yaml", absl::StrCat(R"(
__maestro: {schema: 2}
name: concurrent-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}"}
services:
  web:
    image: "{{IMAGE}}"
    instances:
)",
                                                                 Instances(n)));
  MaestroProcess a(file, {"start"});
  MaestroProcess b(file, {"start"});
  ASSERT_TRUE(a.started() && b.started());
  RunResult ra = a.Wait(absl::Seconds(180));
  RunResult rb = b.Wait(absl::Seconds(180));
  ASSERT_FALSE(ra.timed_out || rb.timed_out) << ra.all() << rb.all();
  EXPECT_EQ(ra.exit_code, 0) << ra.all();
  EXPECT_EQ(rb.exit_code, 0) << rb.all();
  for (int i = 1; i <= n; ++i) {
    EXPECT_TRUE(Running(C(absl::StrCat("web-", i)))) << i << "\n" << ra.all() << rb.all();
  }
  EXPECT_THAT(Destructions(), ::testing::IsEmpty()) << ra.all() << rb.all();
}

}  // namespace
}  // namespace maestro::integration
