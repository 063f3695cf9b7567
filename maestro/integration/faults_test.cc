// End to end: a ship going down mid-play (a TCP proxy in front of the daemon, killed while
// another container's check runs), a ship dropping every connection between two requests
// (maestro reconnects), and Ctrl-C in the middle of a start.
#include <signal.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

class FaultsTest : public E2eTest {
 protected:
  // Waits until maestro's row for `container` shows `text`.
  bool WaitForRow(MaestroProcess& p, const std::string& container, const std::string& text,
                  absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      std::string out = p.Stdout();
      std::istringstream in(out);
      std::string line;
      while (std::getline(in, line)) {
        if (absl::StrContains(line, absl::StrCat(" ", container, " ")) &&
            absl::StrContains(line, text)) {
          return true;
        }
      }
      if (p.Exited()) return false;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  bool Running(const std::string& short_name) {
    std::optional<nlohmann::json> j = Inspect(C(short_name));
    return j && (*j)["State"]["Running"].get<bool>();
  }

  int TcpPort() const {
    const std::string& t = Env()->docker_tcp;
    return std::stoi(t.substr(t.find(':') + 1));
  }
  std::string TcpHost() const {
    const std::string& t = Env()->docker_tcp;
    return t.substr(0, t.find(':'));
  }
};

constexpr char kShipDownYaml[] = R"(
__maestro: {schema: 2}
name: shipdown-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 3}
  flaky: {ip: 127.0.0.5, endpoint: 127.0.0.1, docker_port: {{PROXY}}, timeout: 3}
services:
  slow:
    image: "{{IMAGE}}"
    instances:
      "{{P}}slow-1":
        ship: local
        command: sleep 1000
        stop_timeout: 1
        lifecycle: {running: [{type: sleep, wait: {{WAIT}}}]}
  early:
    image: "{{IMAGE}}"
    instances:
      "{{P}}early-1": {ship: flaky, command: sleep 1000, stop_timeout: 1}
  indep:
    image: "{{IMAGE}}"
    instances:
      "{{P}}indep-1": {ship: local, command: sleep 1000, stop_timeout: 1}
  late:
    image: "{{IMAGE}}"
    requires: [slow]
    instances:
      "{{P}}late-1": {ship: flaky, command: sleep 1000, stop_timeout: 1}
      "{{P}}late-2": {ship: local, command: sleep 1000, stop_timeout: 1}
)";

TEST_F(FaultsTest, ShipGoesDownMidPlay) {
  TcpProxy proxy(TcpHost(), TcpPort());
  ASSERT_TRUE(proxy.ok());
  std::string file = WriteEnvironment("down.yaml", kShipDownYaml,
                                      {{"PROXY", std::to_string(proxy.port())}, {"WAIT", "4"}});
  MaestroProcess p(file, {"start"});
  ASSERT_TRUE(WaitForRow(p, C("slow-1"), "waiting for service...", absl::Seconds(30)))
      << p.Stdout() << p.Stderr();
  ASSERT_TRUE(WaitForRow(p, C("early-1"), "started", absl::Seconds(30)))
      << p.Stdout() << p.Stderr();
  EXPECT_GE(proxy.accepted(), 1);
  proxy.Kill();  // flaky is gone: its pooled connection dies, new connects are refused
  absl::Time killed = absl::Now();
  RunResult r = p.Wait(absl::Seconds(60));
  ASSERT_FALSE(r.timed_out) << r.all();
  EXPECT_EQ(r.exit_code, 1) << r.all();
  // The sleep check (4 s) plus the ship timeout (3 s), with slack; never a hang.
  EXPECT_LT(absl::Now() - killed, absl::Seconds(20)) << r.all();

  // The unreachable ship's container failed, naming why; nothing was created for it.
  std::string late1 = LastLine(r.out, C("late-1"));
  EXPECT_THAT(late1, AnyOf(HasSubstr("host down"), HasSubstr("failed"))) << r.out;
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat(C("late-1"), ": failed"))) << r.err;
  EXPECT_THAT(r.err, AnyOf(HasSubstr("refused"), HasSubstr("host down"), HasSubstr("nreachable")))
      << r.err;
  // Create-ahead may have created late-1 while its ship was still up. Then it never ran, and
  // maestro, unable to reach the ship to check or remove it, says it may be left in place.
  std::optional<nlohmann::json> late = Inspect(C("late-1"));
  if (late.has_value()) {
    EXPECT_EQ((*late)["State"]["Status"], "created") << late->dump();
    EXPECT_THAT(r.err, HasSubstr("may be left in place")) << r.err;
  }
  // Everything on the other ship went on, including a dependent started after the failure.
  EXPECT_TRUE(Running("slow-1"));
  EXPECT_TRUE(Running("indep-1"));
  EXPECT_TRUE(Running("late-2")) << r.all();
  EXPECT_TRUE(Running("early-1"));
  EXPECT_THAT(LastLine(r.out, C("late-2")), HasSubstr("started")) << r.out;
}

TEST_F(FaultsTest, ShipDropsAllConnectionsBetweenRequests) {
  TcpProxy proxy(TcpHost(), TcpPort());
  ASSERT_TRUE(proxy.ok());
  std::string file = WriteEnvironment("drop.yaml", R"(
__maestro: {schema: 2}
name: drop-e2e
ships:
  flaky: {ip: 127.0.0.5, endpoint: 127.0.0.1, docker_port: {{PROXY}}, timeout: 5}
services:
  first:
    image: "{{IMAGE}}"
    instances:
      "{{P}}first-1":
        ship: flaky
        command: sleep 1000
        stop_timeout: 1
        lifecycle: {running: [{type: sleep, wait: 3}]}
  second:
    image: "{{IMAGE}}"
    requires: [first]
    instances:
      "{{P}}second-1": {ship: flaky, command: sleep 1000, stop_timeout: 1}
)",
                                      {{"PROXY", std::to_string(proxy.port())}});
  MaestroProcess p(file, {"start"});
  ASSERT_TRUE(WaitForRow(p, C("first-1"), "waiting for service...", absl::Seconds(30)))
      << p.Stdout() << p.Stderr();
  absl::SleepFor(absl::Milliseconds(700));
  const int before = proxy.accepted();
  proxy.DropConnections();  // as if the daemon restarted: every kept-alive connection is gone
  RunResult r = p.Wait(absl::Seconds(60));
  ASSERT_FALSE(r.timed_out) << r.all();
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_TRUE(Running("first-1"));
  EXPECT_TRUE(Running("second-1")) << r.all();
  EXPECT_GT(proxy.accepted(), before) << "maestro did not open a new connection";
}

TEST_F(FaultsTest, CtrlCMidStart) {
  std::string file = WriteEnvironment("int.yaml", R"(
__maestro: {schema: 2}
name: interrupt-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: "{{SOCKET}}", timeout: 5}
services:
  slow:
    image: "{{IMAGE}}"
    instances:
      "{{P}}slow-1":
        ship: local
        command: sleep 1000
        stop_timeout: 1
        lifecycle: {running: [{type: sleep, wait: 30}]}
  quick:
    image: "{{IMAGE}}"
    instances:
      "{{P}}quick-1": {ship: local, command: sleep 1000, stop_timeout: 1}
  after:
    image: "{{IMAGE}}"
    requires: [slow]
    instances:
      "{{P}}after-1": {ship: local, command: sleep 1000, stop_timeout: 1}
)");
  MaestroProcess p(file, {"start"});
  ASSERT_TRUE(WaitForRow(p, C("slow-1"), "waiting for service...", absl::Seconds(30)))
      << p.Stdout() << p.Stderr();
  ASSERT_TRUE(WaitForRow(p, C("quick-1"), "started", absl::Seconds(30)))
      << p.Stdout() << p.Stderr();
  absl::Time sent = absl::Now();
  p.Signal(SIGINT);
  RunResult r = p.Wait(absl::Seconds(20));
  ASSERT_FALSE(r.timed_out) << r.all();
  EXPECT_EQ(r.exit_code, 130) << r.all();
  EXPECT_LT(absl::Now() - sent, absl::Seconds(5)) << r.all();
  EXPECT_THAT(r.err, HasSubstr("Interrupted start")) << r.err;
  EXPECT_THAT(r.err, HasSubstr(C("after-1"))) << r.err;
  // Nothing new started: the dependent was never created.
  EXPECT_FALSE(Inspect(C("after-1")).has_value());
  EXPECT_TRUE(Running("quick-1"));
  // No container left created-but-not-started.
  for (const std::string& name : ContainersWithPrefix(prefix_)) {
    std::optional<nlohmann::json> j = Inspect(name);
    ASSERT_TRUE(j.has_value());
    EXPECT_NE((*j)["State"]["Status"], "created") << name;
  }
}

}  // namespace
}  // namespace maestro::integration
