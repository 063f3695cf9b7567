#include "maestro/cli/commands.h"

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/cli/capture_streams.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"
#include "maestro/plays/test_world.h"
#include "maestro/testing/fake_clock.h"
#include "nlohmann/json.hpp"

namespace maestro::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kEnv[] = R"(
name: t
__maestro: {schema: 2}
registries:
  private: {registry: "https://r.example:5000/v1/", username: u, password: hunter2, email: e}
ships:
  ship1: {ip: 127.0.0.1}
  ship2: {ip: 127.0.0.2}
services:
  zookeeper:
    image: zk
    instances:
      zk-1: {ship: ship1}
      zk-2: {ship: ship2}
  kafka:
    image: kafka
    requires: [zookeeper]
    instances:
      kafka-1: {ship: ship1}
  tools:
    image: tools
    omit: true
    requires: [kafka]
    instances:
      tools-1: {ship: ship2}
)";

model::Environment Load() {
  config::LoadInput in;
  in.display_name = "t.yaml";
  in.text = kEnv;
  config::FakeFileReader files;
  auto loaded = config::LoadEnvironment(in, files);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return loaded->environment;
}

Options Parse(std::vector<std::string> args) {
  ParseOutcome out = ParseCommandLine(args);
  EXPECT_EQ(out.kind, ParseOutcome::Kind::kRun) << out.text;
  return out.options;
}

TEST(ResolveCommandThings, NoThingsMeansEveryNonOmittedServiceWithDependencies) {
  model::Environment env = Load();
  auto start = ResolveCommandThings(env, Parse({"start"}));
  ASSERT_TRUE(start.ok()) << start.status();
  EXPECT_THAT(*start, ElementsAre("zk-1", "zk-2", "kafka-1"));
  // status includes omitted services.
  auto status = ResolveCommandThings(env, Parse({"status"}));
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(*status, UnorderedElementsAre("zk-1", "zk-2", "kafka-1", "tools-1"));
}

TEST(ResolveCommandThings, StopNeedsExpandFlagsForServices) {
  model::Environment env = Load();
  auto refused = ResolveCommandThings(env, Parse({"stop", "kafka"}));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("--expand-services"));
  auto stop = ResolveCommandThings(env, Parse({"stop", "-s", "-d", "zookeeper"}));
  ASSERT_TRUE(stop.ok()) << stop.status();
  // Dependents come first when stopping, and -d brings them in (tools too).
  EXPECT_EQ(stop->front(), "tools-1");
  EXPECT_THAT(*stop, UnorderedElementsAre("tools-1", "kafka-1", "zk-1", "zk-2"));
}

TEST(ResolveCommandThings, FiltersApplyToDependenciesToo) {
  model::Environment env = Load();
  auto filtered = ResolveCommandThings(env, Parse({"start", "-C", "zk*"}));
  ASSERT_TRUE(filtered.ok());
  EXPECT_THAT(*filtered, ElementsAre("zk-1", "zk-2"));
  auto by_ship = ResolveCommandThings(env, Parse({"status", "-S", "ship2"}));
  ASSERT_TRUE(by_ship.ok());
  EXPECT_THAT(*by_ship, UnorderedElementsAre("zk-2", "tools-1"));
}

TEST(ResolveCommandThings, DuplicatesAreScheduledOnce) {
  model::Environment env = Load();
  auto things = ResolveCommandThings(env, Parse({"start", "-i", "zk-1", "zookeeper", "zk-1"}));
  ASSERT_TRUE(things.ok());
  EXPECT_THAT(*things, ElementsAre("zk-1", "zk-2"));
}

TEST(ResolveCommandThings, UnknownThing) {
  model::Environment env = Load();
  auto bad = ResolveCommandThings(env, Parse({"start", "nope"}));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("nope is neither a service nor a container!"));
}

TEST(Completions, CommandsThenThingsThenFlags) {
  model::Environment env = Load();
  EXPECT_THAT(Completions(&env, {"maestro st"}), UnorderedElementsAre("status", "start", "stop"));
  EXPECT_THAT(Completions(&env, {"maestro start z"}),
              UnorderedElementsAre("zookeeper", "zk-1", "zk-2"));
  EXPECT_THAT(Completions(&env, {"maestro", "start", "zk-1", "zk-"}), ElementsAre("zk-2"));
  EXPECT_THAT(Completions(&env, {"maestro restart --o"}), ElementsAre("--only-if-changed"))
      << "restart-specific flags are offered";
  EXPECT_THAT(Completions(nullptr, {"maestro start z"}), ::testing::IsEmpty());
  EXPECT_THAT(Completions(nullptr, {"maestro k"}), ElementsAre("kill"));
  EXPECT_THAT(Completions(&env, {"maestro up --rem"}), ElementsAre("--remove-orphans"));
  EXPECT_THAT(Completions(&env, {"maestro rol"}), ElementsAre("rollback"));
  EXPECT_THAT(Completions(&env, {"maestro rollback --dr"}), ElementsAre("--dry-run"));
  EXPECT_THAT(Completions(&env, {"maestro rollback kaf"}),
              UnorderedElementsAre("kafka", "kafka-1"));
}

TEST(RunDeptree, MatchesMaestroNgLayout) {
  model::Environment env = Load();
  CaptureStreams io;
  EXPECT_EQ(RunDeptree(env, Parse({"deptree", "kafka", "zookeeper"}), io.streams()), kExitOk);
  EXPECT_EQ(io.out(), "kafka\n \\- zookeeper\n\nzookeeper\n");
}

TEST(RunDeptree, DotAndMermaid) {
  model::Environment env = Load();
  CaptureStreams io;
  EXPECT_EQ(RunDeptree(env, Parse({"deptree", "--format", "mermaid", "kafka"}), io.streams()),
            kExitOk);
  EXPECT_EQ(io.out(), "flowchart TD\n  n0[\"kafka\"]\n  n1[\"zookeeper\"]\n  n0 --> n1\n");
  CaptureStreams dot;
  EXPECT_EQ(RunDeptree(env, Parse({"deptree", "-r", "--format", "dot", "kafka-1"}), dot.streams()),
            kExitOk);
  EXPECT_THAT(dot.out(), HasSubstr("\"kafka-1\" -> \"zk-2\";\n"));
  EXPECT_THAT(dot.out(), HasSubstr("label=\"ship2\";\n"));
}

TEST(RunPlanCommand, LinesExitCodesAndSavedPlan) {
  model::Environment env = Load();
  testing::FakeClock clock;
  plays::test::FakeShips ships(&clock, {"ship1", "ship2"}, {"zk", "kafka"});
  plays::PlayWorld world;
  world.env = &env;
  world.ships = &ships;
  world.clock = &clock;
  std::string saved = ::testing::TempDir() + "/plan.json";
  {
    CaptureStreams io;
    plays::Scheduler scheduler({});
    EXPECT_EQ(RunPlanCommand(world, Parse({"plan", "--detailed-exitcode", "-o", saved}), scheduler,
                             {}, io.streams()),
              2);
    EXPECT_EQ(io.out(),
              "ship1 zk-1 create: no container zk-1 on ship1\n"
              "ship1 kafka-1 create: no container kafka-1 on ship1\n"
              "ship2 zk-2 create: no container zk-2 on ship2\n"
              "Plan: 3 to create.\n");
    FILE* f = std::fopen(saved.c_str(), "r");
    ASSERT_NE(f, nullptr);
    char buf[256] = {};
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    EXPECT_THAT(std::string(buf, n), HasSubstr("\"changes\": true"));
  }
  {
    // Without --detailed-exitcode, changes exit 0; an unreachable ship is a problem: 1.
    CaptureStreams io;
    plays::Scheduler scheduler({});
    EXPECT_EQ(RunPlanCommand(world, Parse({"plan"}), scheduler, {}, io.streams()), kExitOk);
    ships.host("ship2").SetDown(true);
    CaptureStreams down;
    plays::Scheduler again({});
    EXPECT_EQ(RunPlanCommand(world, Parse({"plan", "--format", "json"}), again, {}, down.streams()),
              kExitFailed);
    nlohmann::json j = nlohmann::json::parse(down.out());
    EXPECT_EQ(j["problems"][0]["ship"], "ship2");
  }
  ships.host("ship2").SetDown(false);
  {
    CaptureStreams io;
    plays::Scheduler scheduler({});
    EXPECT_EQ(RunPlanCommand(world, Parse({"plan", "-o", "/nonexistent-dir/p.json"}), scheduler, {},
                             io.streams()),
              kExitFailed);
    EXPECT_THAT(io.err(), HasSubstr("cannot write /nonexistent-dir/p.json"));
  }
}

// Running checks pass while the container runs.
class RunningChecks : public plays::CheckRunner {
 public:
  absl::Status Run(const std::string& state, const model::Instance&, const model::Ship&,
                   docker::DockerClient&, const std::function<bool()>& condition,
                   const plays::CancellationToken&) override {
    if (state == "running" && !condition()) return absl::FailedPreconditionError("not running");
    return absl::OkStatus();
  }
};

TEST(RunUpCommand, AppliesThePlanThenHasNothingToDoAndRefusesAStaleSavedPlan) {
  model::Environment env = Load();
  testing::FakeClock clock;
  plays::test::FakeShips ships(&clock, {"ship1", "ship2"}, {"zk", "kafka"});
  RunningChecks checks;
  plays::PlayWorld world;
  world.env = &env;
  world.ships = &ships;
  world.clock = &clock;
  world.checks = &checks;
  {
    CaptureStreams io;
    plays::Scheduler scheduler({});
    EXPECT_EQ(RunUpCommand(world, Parse({"up"}), scheduler, false, io.streams()), kExitOk)
        << io.err();
    EXPECT_THAT(io.out(), HasSubstr("Plan: 3 to create.\n"));
    EXPECT_TRUE(ships.host("ship1").FindContainer("kafka-1").has_value());
    // up reports where its time went, as start does.
    EXPECT_THAT(io.out(), HasSubstr("timings: up took "));
  }
  {
    CaptureStreams io;
    plays::Scheduler scheduler({});
    EXPECT_EQ(
        RunUpCommand(world, Parse({"up", "--format", "json"}), scheduler, false, io.streams()),
        kExitOk);
    EXPECT_THAT(io.out(), HasSubstr("\"no change\""));
  }
  std::string saved = ::testing::TempDir() + "/up-plan.json";
  {
    CaptureStreams io;
    plays::Scheduler scheduler({});
    ASSERT_EQ(RunPlanCommand(world, Parse({"plan", "-o", saved}), scheduler, {}, io.streams()),
              kExitOk);
  }
  {
    CaptureStreams io;
    plays::Scheduler scheduler({});
    EXPECT_EQ(RunUpCommand(world, Parse({"up", "--plan", saved, "kafka"}), scheduler, false,
                           io.streams()),
              kExitUsage);
  }
  ASSERT_TRUE(ships.host("ship1").StopContainer("kafka-1", 1).ok());
  {
    CaptureStreams io;
    plays::Scheduler scheduler({});
    EXPECT_EQ(RunUpCommand(world, Parse({"up", "--plan", saved}), scheduler, false, io.streams()),
              kExitFailed);
    EXPECT_THAT(io.err(), HasSubstr("the saved plan is stale"));
    EXPECT_THAT(io.err(), HasSubstr("ship1: kafka-1 was running"));
    EXPECT_FALSE(ships.host("ship1").FindContainer("kafka-1")->state ==
                 testing::FakeContainerState::kRunning);
  }
  ships.host("ship2").SetDown(true);
  {
    CaptureStreams io;
    plays::Scheduler scheduler({});
    ships.host("ship1").ClearCalls();
    EXPECT_EQ(RunUpCommand(world, Parse({"up"}), scheduler, false, io.streams()), kExitFailed);
    EXPECT_THAT(io.err(), HasSubstr("the plan has problems; nothing was changed"));
    EXPECT_EQ(ships.host("ship1").CountCalls("StartContainer"), 0);
  }
}

TEST(RunRollbackCommand, RefusesWithoutAPreviousSpecThenPreviewsAndRollsBack) {
  model::Environment v1 = Load();
  std::string edited = kEnv;
  edited.replace(edited.find("    requires: [zookeeper]"), 0, "    env: {X: 2}\n");
  config::LoadInput in;
  in.display_name = "t.yaml";
  in.text = edited;
  config::FakeFileReader files;
  auto loaded = config::LoadEnvironment(in, files);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  model::Environment v2 = loaded->environment;
  testing::FakeClock clock;
  plays::test::FakeShips ships(&clock, {"ship1", "ship2"}, {"zk", "kafka"});
  RunningChecks checks;
  plays::PlayWorld world;
  world.env = &v1;
  world.ships = &ships;
  world.clock = &clock;
  world.checks = &checks;
  auto run = [&](const std::vector<std::string>& args, int want) {
    CaptureStreams io;
    plays::Scheduler scheduler({});
    Options options = Parse(args);
    int code = args[0] == "up" ? RunUpCommand(world, options, scheduler, false, io.streams())
                               : RunRollbackCommand(world, options, scheduler, false, io.streams());
    EXPECT_EQ(code, want) << io.err();
    return io.out() + io.err();
  };
  run({"up"}, kExitOk);
  EXPECT_THAT(run({"rollback"}, kExitUsage), HasSubstr("rollback needs the services"));
  EXPECT_THAT(run({"rollback", "kafka-1"}, kExitFailed),
              HasSubstr("kafka-1 on ship1 has no previous spec"));
  world.env = &v2;
  run({"up"}, kExitOk);
  const std::string id = ships.host("ship1").FindContainer("kafka-1")->id;
  EXPECT_THAT(run({"rollback", "--dry-run", "kafka"}, kExitOk),
              HasSubstr("Rollback:\n  kafka-1 on ship1: env: X removed\n"));
  EXPECT_EQ(ships.host("ship1").FindContainer("kafka-1")->id, id);  // a preview touches nothing
  EXPECT_THAT(run({"rollback", "kafka"}, kExitOk), HasSubstr("rolled back: env: X removed"));
  EXPECT_NE(ships.host("ship1").FindContainer("kafka-1")->id, id);
  EXPECT_FALSE(ships.host("ship1").FindContainer("kafka-1")->create_body["Env"].dump().find(
                   "X=2") != std::string::npos);
}

TEST(RunDump, MasksPasswordsAndListsResolvedContainers) {
  model::Environment env = Load();
  CaptureStreams io;
  EXPECT_EQ(RunDump(env, Parse({"dump", "kafka"}), io.streams()), kExitOk);
  std::string text = io.out();
  EXPECT_THAT(text, ::testing::Not(HasSubstr("hunter2")));
  auto doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["format"], "maestro-dump/1");
  std::vector<std::string> names;
  for (const auto& c : doc["instances"]) names.push_back(c["name"]);
  EXPECT_THAT(names, ElementsAre("zk-1", "zk-2", "kafka-1"))
      << "dump includes dependencies, in order";
}

// Output to /dev/full (every write fails with ENOSPC), errors captured.
class FullDisk {
 public:
  FullDisk() : out_(std::fopen("/dev/full", "w")), err_(std::tmpfile()) {}
  ~FullDisk() {
    if (out_ != nullptr) std::fclose(out_);
    std::fclose(err_);
  }
  bool ok() const { return out_ != nullptr && err_ != nullptr; }
  Streams streams() { return {out_, err_}; }
  std::string err() {
    std::fflush(err_);
    std::rewind(err_);
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, err_)) > 0) s.append(buf, n);
    return s;
  }

 private:
  FILE* out_;
  FILE* err_;
};

TEST(FinishOutput, DumpToAFullDiskFails) {
  model::Environment env = Load();
  FullDisk io;
  ASSERT_TRUE(io.ok());
  EXPECT_EQ(RunDump(env, Parse({"dump"}), io.streams()), kExitFailed);
  EXPECT_THAT(io.err(), HasSubstr("maestro: error: cannot write the output: "));
}

TEST(FinishOutput, DeptreeToAFullDiskFails) {
  model::Environment env = Load();
  FullDisk io;
  ASSERT_TRUE(io.ok());
  EXPECT_EQ(RunDeptree(env, Parse({"deptree"}), io.streams()), kExitFailed);
  EXPECT_THAT(io.err(), HasSubstr("maestro: error: cannot write the output: "));
}

TEST(FinishOutput, StatusToAFullDiskFailsInEveryFormat) {
  model::Environment env = Load();
  testing::FakeClock clock;
  plays::test::FakeShips ships(&clock, {"ship1", "ship2"}, {});
  plays::PlayWorld world;
  world.env = &env;
  world.ships = &ships;
  world.clock = &clock;
  for (const std::vector<std::string>& args : {std::vector<std::string>{"status"},
                                               {"status", "-F"},
                                               {"--color", "status"},
                                               {"status", "--format", "json"}}) {
    FullDisk io;
    ASSERT_TRUE(io.ok());
    plays::Scheduler scheduler({});
    EXPECT_EQ(RunPlayCommand(world, Parse(args), scheduler, false, io.streams()), kExitFailed)
        << args.back();
    EXPECT_THAT(io.err(), HasSubstr("maestro: error: cannot write the output: ")) << args.back();
  }
}

TEST(FinishOutput, LogsToAFullDiskFails) {
  model::Environment env = Load();
  testing::FakeClock clock;
  plays::test::FakeShips ships(&clock, {"ship1", "ship2"}, {"zk"});
  auto created = ships.host("ship1").CreateContainer("zk-1", {{"Image", "zk"}});
  ASSERT_TRUE(created.ok()) << created.status();
  ships.host("ship1").SetLogs("zk-1", {"hello"});
  plays::PlayWorld world;
  world.env = &env;
  world.ships = &ships;
  world.clock = &clock;
  FullDisk io;
  ASSERT_TRUE(io.ok());
  EXPECT_EQ(RunLogs(world, Parse({"logs", "zk-1"}), nullptr, io.streams()), kExitFailed);
  EXPECT_THAT(io.err(), HasSubstr("maestro: error: cannot write the output: "));
}

TEST(Logs, ServiceMergesItsContainersAcrossShipsAndKeepsStderrApart) {
  model::Environment env = Load();
  testing::FakeClock clock;
  plays::test::FakeShips ships(&clock, {"ship1", "ship2"}, {"zk"});
  for (const char* ship : {"ship1", "ship2"}) {
    std::string name = std::string(ship) == "ship1" ? "zk-1" : "zk-2";
    auto created = ships.host(ship).CreateContainer(name, {{"Image", "zk"}});
    ASSERT_TRUE(created.ok()) << created.status();
  }
  ships.host("ship2").AppendLogs("zk-2", docker::StdStream::kStdout, "first\n");
  clock.Advance(absl::Seconds(1));
  ships.host("ship1").AppendLogs("zk-1", docker::StdStream::kStderr, "second\n");
  clock.Advance(absl::Seconds(1));
  ships.host("ship1").AppendLogs("zk-1", docker::StdStream::kStdout, "third\n");
  plays::PlayWorld world;
  world.env = &env;
  world.ships = &ships;
  world.clock = &clock;
  {
    CaptureStreams io;
    EXPECT_EQ(RunLogs(world, Parse({"logs", "zookeeper"}), nullptr, io.streams()), kExitOk);
    EXPECT_EQ(io.out(), "zk-2@ship2 | first\nzk-1@ship1 | third\n");
    EXPECT_EQ(io.err(), "zk-1@ship1 | second\n");
  }
  {
    // One container alone keeps its bare output; a merged-only flag gives the merged form.
    CaptureStreams io;
    EXPECT_EQ(RunLogs(world, Parse({"logs", "zk-1"}), nullptr, io.streams()), kExitOk);
    EXPECT_EQ(io.out(), "third\n");
    CaptureStreams json;
    EXPECT_EQ(RunLogs(world, Parse({"logs", "--format", "json", "--stdout-only", "zk-1"}), nullptr,
                      json.streams()),
              kExitOk);
    EXPECT_THAT(json.out(), HasSubstr("\"instance\":\"zk-1\",\"ship\":\"ship1\",\"stream\":"
                                      "\"stdout\",\"line\":\"third\"}\n"));
  }
  {
    CaptureStreams io;
    EXPECT_EQ(
        RunLogs(world, Parse({"logs", "--since", "yesterday", "zookeeper"}), nullptr, io.streams()),
        kExitUsage);
    EXPECT_THAT(io.err(),
                HasSubstr("maestro: error: --since: \"yesterday\" is not a time: use RFC 3339"));
  }
}

TEST(FinishOutput, WrittenOutputKeepsTheCode) {
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  std::fputs("fine\n", out);
  EXPECT_EQ(FinishOutput({out, stderr}, kExitOk), kExitOk);
  EXPECT_EQ(FinishOutput({out, stderr}, kExitInterrupted), kExitInterrupted);
  std::fclose(out);
}

}  // namespace
}  // namespace maestro::cli
