#include "maestro/cli/options.h"

#include "gtest/gtest.h"

namespace maestro::cli {
namespace {

using Kind = ParseOutcome::Kind;

TEST(Options, DefaultsAndGlobalFile) {
  ParseOutcome out = ParseCommandLine({"-f", "env.yaml", "status", "zk-1", "kafka"});
  ASSERT_EQ(out.kind, Kind::kRun) << out.text;
  EXPECT_EQ(out.options.file, "env.yaml");
  EXPECT_EQ(out.options.command, Command::kStatus);
  EXPECT_EQ(out.options.things, (std::vector<std::string>{"zk-1", "kafka"}));
  EXPECT_FALSE(out.options.concurrency.has_value());
}

TEST(Options, DefaultFileIsMaestroYaml) {
  ParseOutcome out = ParseCommandLine({"deptree"});
  ASSERT_EQ(out.kind, Kind::kRun);
  EXPECT_EQ(out.options.file, "maestro.yaml");
  EXPECT_EQ(out.options.command, Command::kDeptree);
}

TEST(Options, StdinFile) {
  ParseOutcome out = ParseCommandLine({"-f", "-", "dump"});
  ASSERT_EQ(out.kind, Kind::kRun);
  EXPECT_EQ(out.options.file, "-");
}

TEST(Options, MissingCommandIsUsageError) {
  ParseOutcome out = ParseCommandLine({});
  EXPECT_EQ(out.kind, Kind::kUsageError);
  EXPECT_NE(out.text.find("usage: maestro"), std::string::npos);
}

TEST(Options, UnknownFlagIsUsageError) {
  EXPECT_EQ(ParseCommandLine({"status", "--bogus"}).kind, Kind::kUsageError);
  EXPECT_EQ(ParseCommandLine({"bogus"}).kind, Kind::kUsageError);
}

TEST(Options, GlobalOptionsMustPrecedeCommand) {
  EXPECT_EQ(ParseCommandLine({"status", "-f", "x.yaml"}).kind, Kind::kUsageError);
}

TEST(Options, RefreshAndReuseAreExclusive) {
  EXPECT_EQ(ParseCommandLine({"start", "-r", "--reuse"}).kind, Kind::kUsageError);
  ParseOutcome out = ParseCommandLine({"start", "-r", "-c", "4", "-d", "kafka"});
  ASSERT_EQ(out.kind, Kind::kRun) << out.text;
  EXPECT_TRUE(out.options.refresh_images);
  EXPECT_EQ(out.options.concurrency, 4);
  EXPECT_TRUE(out.options.with_dependencies);
}

TEST(Options, ExpandFlagsOnlyOnStopKillRestart) {
  ParseOutcome out = ParseCommandLine({"stop", "-a"});
  ASSERT_EQ(out.kind, Kind::kRun);
  EXPECT_TRUE(out.options.expand_all);
  EXPECT_EQ(ParseCommandLine({"start", "-a"}).kind, Kind::kUsageError);
}

TEST(Options, StopLikeCommandsAreStopKillRestart) {
  std::vector<std::string> stop_like;
  for (const CommandInfo& info : Commands()) {
    if (IsStopLike(info.command)) stop_like.push_back(info.name);
  }
  EXPECT_EQ(stop_like, (std::vector<std::string>{"stop", "kill", "restart"}));
}

TEST(Options, RestartFlags) {
  ParseOutcome out =
      ParseCommandLine({"restart", "-s", "--step-delay", "3", "--stop-start-delay", "1",
                        "--only-if-changed", "-C", "zk*", "-S", "ship?", "zookeeper"});
  ASSERT_EQ(out.kind, Kind::kRun) << out.text;
  EXPECT_EQ(out.options.command, Command::kRestart);
  EXPECT_TRUE(out.options.expand_services);
  EXPECT_EQ(out.options.step_delay, 3);
  EXPECT_EQ(out.options.stop_start_delay, 1);
  EXPECT_TRUE(out.options.only_if_changed);
  EXPECT_EQ(out.options.container_filter, "zk*");
  EXPECT_EQ(out.options.ship_filter, "ship?");
}

TEST(Options, SameLetterMeansDifferentThingsPerCommand) {
  ParseOutcome status = ParseCommandLine({"status", "-F", "-H"});
  ASSERT_EQ(status.kind, Kind::kRun);
  EXPECT_TRUE(status.options.full);
  EXPECT_TRUE(status.options.show_hosts);
  ParseOutcome logs = ParseCommandLine({"logs", "-F", "-n", "20", "zk-1"});
  ASSERT_EQ(logs.kind, Kind::kRun) << logs.text;
  EXPECT_TRUE(logs.options.follow);
  EXPECT_EQ(logs.options.lines, 20);
  ParseOutcome deptree = ParseCommandLine({"deptree", "-r"});
  ASSERT_EQ(deptree.kind, Kind::kRun);
  EXPECT_TRUE(deptree.options.recursive);
  ParseOutcome dump = ParseCommandLine({"dump", "-c"});
  ASSERT_EQ(dump.kind, Kind::kRun);
  EXPECT_TRUE(dump.options.dump_config);
  EXPECT_FALSE(dump.options.show_secrets);
  EXPECT_TRUE(ParseCommandLine({"dump", "--show-secrets"}).options.show_secrets);
}

TEST(Options, BadNumbersAreUsageErrors) {
  EXPECT_EQ(ParseCommandLine({"start", "-c", "zero"}).kind, Kind::kUsageError);
  EXPECT_EQ(ParseCommandLine({"start", "-c", "0"}).kind, Kind::kUsageError);
  EXPECT_EQ(ParseCommandLine({"logs", "-n", "-3", "x"}).kind, Kind::kUsageError);
}

TEST(Options, JsonFormat) {
  ParseOutcome out = ParseCommandLine({"status", "--format", "json"});
  ASSERT_EQ(out.kind, Kind::kRun);
  EXPECT_EQ(out.options.format, OutputFormat::kJson);
  EXPECT_EQ(ParseCommandLine({"status", "--format", "xml"}).kind, Kind::kUsageError);
}

TEST(Options, PlanFlags) {
  ParseOutcome out = ParseCommandLine(
      {"plan", "--detailed-exitcode", "-o", "p.json", "-S", "ship*", "--format", "json", "web"});
  ASSERT_EQ(out.kind, Kind::kRun) << out.text;
  EXPECT_EQ(out.options.command, Command::kPlan);
  EXPECT_TRUE(out.options.detailed_exitcode);
  EXPECT_EQ(out.options.plan_out, "p.json");
  EXPECT_EQ(out.options.ship_filter, "ship*");
  EXPECT_EQ(out.options.format, OutputFormat::kJson);
  EXPECT_EQ(out.options.things, std::vector<std::string>{"web"});
  // plan changes nothing: no -r/--reuse, no --detailed-exitcode elsewhere.
  EXPECT_EQ(ParseCommandLine({"plan", "-r"}).kind, Kind::kUsageError);
  EXPECT_EQ(ParseCommandLine({"start", "--detailed-exitcode"}).kind, Kind::kUsageError);
}

TEST(Options, UpFlags) {
  ParseOutcome out = ParseCommandLine({"up", "--remove-orphans", "-c", "4", "-i", "-C", "web-*",
                                       "-S", "ship1", "--format", "json", "--lock-wait", "5"});
  ASSERT_EQ(out.kind, Kind::kRun) << out.text;
  EXPECT_EQ(out.options.command, Command::kUp);
  EXPECT_TRUE(out.options.remove_orphans);
  EXPECT_EQ(out.options.concurrency, 4);
  EXPECT_TRUE(out.options.ignore_dependencies);
  EXPECT_EQ(out.options.container_filter, "web-*");
  EXPECT_EQ(out.options.format, OutputFormat::kJson);
  EXPECT_EQ(out.options.lock_wait, 5);
  EXPECT_EQ(ParseCommandLine({"up", "--plan", "p.json"}).options.plan_in, "p.json");
  EXPECT_TRUE(ParseCommandLine({"up", "-d", "web"}).options.with_dependencies);
  // --remove-orphans and --plan belong to up only.
  EXPECT_EQ(ParseCommandLine({"start", "--remove-orphans"}).kind, Kind::kUsageError);
  EXPECT_EQ(ParseCommandLine({"plan", "--plan", "p.json"}).kind, Kind::kUsageError);
}

TEST(Options, DeptreeFormats) {
  EXPECT_EQ(ParseCommandLine({"deptree", "--format", "dot"}).options.format, OutputFormat::kDot);
  EXPECT_EQ(ParseCommandLine({"deptree", "-r", "--format", "mermaid"}).options.format,
            OutputFormat::kMermaid);
  EXPECT_EQ(ParseCommandLine({"deptree"}).options.format, OutputFormat::kText);
  EXPECT_EQ(ParseCommandLine({"deptree", "--format", "json"}).kind, Kind::kUsageError);
  EXPECT_EQ(ParseCommandLine({"status", "--format", "dot"}).kind, Kind::kUsageError);
}

TEST(Options, HelpAndVersion) {
  ParseOutcome help = ParseCommandLine({"--help"});
  EXPECT_EQ(help.kind, Kind::kHelp);
  EXPECT_NE(help.text.find("deptree"), std::string::npos);
  ParseOutcome sub_help = ParseCommandLine({"restart", "--help"});
  EXPECT_EQ(sub_help.kind, Kind::kHelp);
  EXPECT_NE(sub_help.text.find("--only-if-changed"), std::string::npos);
  ParseOutcome version = ParseCommandLine({"-v"});
  EXPECT_EQ(version.kind, Kind::kVersion);
  EXPECT_EQ(version.text, std::string("maestro ") + kVersion + "\n");
}

TEST(Options, CompleteTakesEverything) {
  ParseOutcome out = ParseCommandLine({"complete", "maestro st", "-x"});
  ASSERT_EQ(out.kind, Kind::kRun) << out.text;
  EXPECT_EQ(out.options.command, Command::kComplete);
  ASSERT_FALSE(out.options.tokens.empty());
  EXPECT_EQ(out.options.tokens[0], "maestro st");
}

TEST(Options, ExecTakesTheCommandAfterDashes) {
  ParseOutcome out = ParseCommandLine({"-f", "x.yaml", "exec", "-c", "2", "web", "db-1", "--", "sh",
                                       "-c", "echo -- hi", "--", "-x"});
  ASSERT_EQ(out.kind, Kind::kRun) << out.text;
  EXPECT_EQ(out.options.command, Command::kExec);
  EXPECT_EQ(out.options.things, (std::vector<std::string>{"web", "db-1"}));
  EXPECT_EQ(out.options.exec_command,
            (std::vector<std::string>{"sh", "-c", "echo -- hi", "--", "-x"}));
  EXPECT_EQ(out.options.concurrency, 2);
  // No command, or no thing: usage errors.
  EXPECT_EQ(ParseCommandLine({"exec", "web"}).kind, Kind::kUsageError);
  EXPECT_EQ(ParseCommandLine({"exec", "web", "--"}).kind, Kind::kUsageError);
  EXPECT_EQ(ParseCommandLine({"exec", "--", "ls"}).kind, Kind::kUsageError);
  // "--" of another command is left to the parser as before.
  EXPECT_TRUE(ParseCommandLine({"status", "--", "web"}).options.exec_command.empty());
}

TEST(Options, EventsAndWatch) {
  ParseOutcome events =
      ParseCommandLine({"events", "web", "--since", "10m", "--until", "0s", "--format", "json"});
  ASSERT_EQ(events.kind, Kind::kRun) << events.text;
  EXPECT_EQ(events.options.command, Command::kEvents);
  EXPECT_EQ(events.options.since, "10m");
  EXPECT_EQ(events.options.until, "0s");
  EXPECT_EQ(events.options.format, OutputFormat::kJson);
  EXPECT_EQ(ParseCommandLine({"events", "--format", "dot"}).kind, Kind::kUsageError);
  EXPECT_TRUE(ParseCommandLine({"status", "-w"}).options.watch);
  EXPECT_TRUE(ParseCommandLine({"status", "--watch", "--format", "json"}).options.watch);
  EXPECT_EQ(ParseCommandLine({"start", "--watch"}).kind, Kind::kUsageError);
}

TEST(Options, ExportTakesItsTargetThenThings) {
  ParseOutcome out = ParseCommandLine({"export", "swarm", "--relaxed-placement", "db",
                                       "--relaxed-placement", "cache", "web-1", "--strict", "-o",
                                       "stack.yml", "--placement", "hostname"});
  ASSERT_EQ(out.kind, ParseOutcome::Kind::kRun) << out.text;
  EXPECT_EQ(out.options.command, Command::kExport);
  EXPECT_EQ(out.options.export_target, "swarm");
  EXPECT_EQ(out.options.relaxed_placement, (std::vector<std::string>{"db", "cache"}));
  EXPECT_EQ(out.options.things, std::vector<std::string>{"web-1"});
  EXPECT_TRUE(out.options.export_strict);
  EXPECT_EQ(out.options.export_out, "stack.yml");
  EXPECT_EQ(out.options.placement, "hostname");
  EXPECT_EQ(ParseCommandLine({"export"}).kind, ParseOutcome::Kind::kUsageError);
  EXPECT_EQ(ParseCommandLine({"export", "compose"}).kind, ParseOutcome::Kind::kUsageError);
  EXPECT_EQ(ParseCommandLine({"export", "swarm", "--placement", "rack"}).kind,
            ParseOutcome::Kind::kUsageError);
}

}  // namespace
}  // namespace maestro::cli
