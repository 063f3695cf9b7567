// The table output of every play, byte for byte: start (fresh, then already running, then
// with a changed configuration), pull, restart (plain and --only-if-changed), stop, kill,
// clean, and failures (a ship down, a refused start), through a real TableSink in plain mode
// and with forced colours, compared with goldens in testdata/plays_output/. One container at
// a time, so the lines come in a fixed order.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/test_world.h"
#include "maestro/testing/fake_clock.h"
#include "maestro/testing/fake_docker_host.h"
#include "maestro/ui/table_sink.h"

namespace maestro::plays {
namespace {

using testing::FakeClock;
using testing::FakeDockerHost;

constexpr char kEnvironment[] = R"(
name: test
__maestro: {schema: 2}
ships:
  ship1: {ip: 127.0.0.1}
  ship2: {ip: 127.0.0.2}
  ship3: {ip: 127.0.0.3}
services:
  zookeeper:
    image: zk:3.4
    instances:
      zk-1: {ship: ship1, ports: {client: 2181}}
  kafka:
    image: kafka:1
    requires: [zookeeper]
    instances:
      kafka-1: {ship: ship1, ports: {broker: 9092}}
  web:
    image: web:1
    instances:
      web-1: {ship: ship2}
      web-3: {ship: ship3}
)";

class NoChecks : public CheckRunner {
 public:
  absl::Status Run(const std::string&, const model::Instance&, const model::Ship&,
                   docker::DockerClient&, const std::function<bool()>&,
                   const CancellationToken&) override {
    return absl::OkStatus();
  }
};

// Ships 1 and 2 answer; ship3 is unknown to the fake (its client cannot be made: host down).
class Ships : public test::FakeShips {
 public:
  explicit Ships(Clock* clock)
      : test::FakeShips(clock, {"ship1", "ship2"}, {"zk:3.4", "kafka:1", "web:1"}) {}
};

std::string Slurp(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

// Runs the whole sequence with a TableSink on `terminal` and returns what it printed.
std::string RunSequence(ui::TerminalInfo terminal) {
  FakeClock clock;
  model::Environment env = test::LoadTestEnvironment(kEnvironment);
  Ships ships(&clock);
  NoChecks checks;
  FILE* out = std::tmpfile();
  ui::TableSink sink(out, terminal);
  PlayWorld world;
  world.env = &env;
  world.ships = &ships;
  world.checks = &checks;
  world.clock = &clock;
  world.sink = &sink;
  const std::vector<std::string> all = {"zk-1", "kafka-1", "web-1", "web-3"};
  PlayOptions one;
  one.concurrency = 1;
  auto play = [&](auto run, std::vector<std::string> containers, PlayOptions options) {
    Scheduler scheduler({.concurrency = 1});
    (void)run(world, containers, options, scheduler);
    clock.Advance(absl::Seconds(75));
  };
  play(RunStart, all, one);
  play(RunStart, all, one);  // already running
  // A changed configuration is noted, not applied, by start.
  model::Environment changed = env;
  for (model::Instance& i : changed.instances) {
    if (i.name == "web-1") i.privileged = true;
  }
  world.env = &changed;
  play(RunStart, {"web-1"}, one);
  PlayOptions only_if_changed = one;
  only_if_changed.only_if_changed = true;
  play(RunRestart, {"zk-1", "web-1"}, only_if_changed);
  world.env = &env;
  ships.host("ship1").SetPullable("zk:3.4");
  play(RunPull, {"zk-1", "kafka-1"}, one);
  play(RunRestart, {"zk-1", "kafka-1"}, one);
  play(RunStop, all, one);
  play(RunStop, {"zk-1"}, one);  // already down
  play(RunStart, {"zk-1"}, one);
  play(RunKill, {"zk-1"}, one);
  play(RunClean, all, one);
  play(RunClean, {"zk-1"}, one);  // absent
  // A refused start and a failed pull.
  ships.host("ship2").SetExitOnStart("web:1", 3);
  play(RunStart, {"web-1"}, one);
  ships.host("ship1").RemoveImage("kafka:1");
  play(RunStart, {"kafka-1"}, one);
  std::string text = Slurp(out);
  std::fclose(out);
  return text;
}

void ExpectGolden(const std::string& name, const std::string& text) {
  const std::string path = "testdata/plays_output/" + name;
  if (const char* dir = std::getenv("MAESTRO_WRITE_GOLDEN")) {
    std::ofstream(std::string(dir) + "/" + name, std::ios::binary) << text;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "missing " << path;
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(text, golden.str()) << "table output of the plays changed (" << path << ")";
}

TEST(PlaysOutput, PlainLinesMatchTheGolden) {
  ExpectGolden("plain.golden", RunSequence({.is_tty = false, .color = false, .columns = 120}));
}

TEST(PlaysOutput, ForcedColoursMatchTheGolden) {
  ExpectGolden("color.golden", RunSequence({.is_tty = false, .color = true, .columns = 120}));
}

}  // namespace
}  // namespace maestro::plays
