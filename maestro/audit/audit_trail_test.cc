#include "maestro/audit/audit_trail.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "maestro/lifecycle/test_http_server.h"
#include "maestro/testing/fake_clock.h"
#include "nlohmann/json.hpp"

namespace maestro::audit {
namespace {

using lifecycle::testing::ScriptedResponse;
using lifecycle::testing::TestHttpServer;
using nlohmann::json;

std::string TmpDir() { return std::getenv("TEST_TMPDIR"); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

AuditWhat List(int n) {
  std::vector<AuditTarget> t;
  for (int i = 1; i <= n; ++i) {
    t.push_back(
        {"c" + std::to_string(i), "svc" + std::to_string(i), "s1", "10.0.0." + std::to_string(i)});
  }
  return AuditWhat::List(t);
}

AuditWhat One() { return AuditWhat::One({"c1", "svc1", "s1", "10.0.0.1"}); }

model::AuditConfig Config(std::string type, json options, std::string level = "info",
                          bool ignore = false, int line = 7) {
  model::AuditConfig c;
  c.type = std::move(type);
  c.options = std::move(options);
  c.level = std::move(level);
  c.ignore_errors = ignore;
  c.line = line;
  return c;
}

class AuditTrailTest : public ::testing::Test {
 protected:
  AuditTrailTest() {
    options_.source = "env.yaml";
    options_.env.who = "bob";
    options_.env.clock = &clock_;
    options_.env.time_zone = absl::UTCTimeZone();
    options_.warn = [this](const std::string& w) { warnings_.push_back(w); };
  }
  std::unique_ptr<AuditTrail> Make(std::vector<model::AuditConfig> configs) {
    absl::StatusOr<std::unique_ptr<AuditTrail>> t = MakeAuditTrail(configs, options_);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? std::move(*t) : nullptr;
  }
  std::string MakeError(std::vector<model::AuditConfig> configs) {
    absl::StatusOr<std::unique_ptr<AuditTrail>> t = MakeAuditTrail(configs, options_);
    EXPECT_FALSE(t.ok());
    return t.ok() ? "" : std::string(t.status().message());
  }

  maestro::testing::FakeClock clock_;  // 2023-11-14 22:13:20 UTC
  AuditTrailOptions options_;
  std::vector<std::string> warnings_;
};

TEST_F(AuditTrailTest, LogFileLinesLikePythonLogging) {
  std::string file = TmpDir() + "/audit.log";
  std::remove(file.c_str());
  {
    std::ofstream pre(file);
    pre << "earlier line\n";  // appended to, never truncated
  }
  auto trail = Make({Config("log", {{"file", file}}, "debug")});
  clock_.Advance(absl::Milliseconds(123));
  ASSERT_TRUE(trail->Action(AuditLevel::kInfo, List(6), "start").ok());
  ASSERT_TRUE(trail->Action(AuditLevel::kDebug, One(), "start").ok());
  trail->Success(AuditLevel::kDebug, One(), "start");
  trail->Error(List(2), "stop", "boom");
  trail->Success(AuditLevel::kInfo, List(6), "start");
  EXPECT_EQ(ReadFile(file),
            "earlier line\n"
            "2023-11-14 22:13:20,123 INFO: bob is starting c1, c2, c3, c4, c5, c6.\n"
            "2023-11-14 22:13:20,123 DEBUG: bob is starting c1.\n"
            "2023-11-14 22:13:20,123 DEBUG: Start of c1 succeeded.\n"
            "2023-11-14 22:13:20,123 ERROR: Failed to stop c1, c2! (message: boom)\n"
            "2023-11-14 22:13:20,123 INFO: Start of c1, c2, c3, c4, c5, c6 succeeded.\n");
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(AuditTrailTest, InfoLevelDropsDebugEventsButNotErrors) {
  std::string file = TmpDir() + "/info.log";
  std::remove(file.c_str());
  auto trail = Make({Config("log", {{"file", file}})});
  ASSERT_TRUE(trail->Action(AuditLevel::kDebug, One(), "stop").ok());
  trail->Success(AuditLevel::kDebug, One(), "stop");
  trail->Error(One(), "stop", "");
  EXPECT_EQ(ReadFile(file), "2023-11-14 22:13:20,000 ERROR: Failed to stop c1!\n");
}

TEST_F(AuditTrailTest, WebhookPostsTheFormattedPayloadWithMergedHeaders) {
  TestHttpServer server;
  json payload = {{"text", "{message}"},
                  {"who", "{who}"},
                  {"n", 3},
                  {"flag", true},
                  {"empty", ""},
                  {"nested", {{"gone", ""}}},
                  {"list", {"{action}: {what}", ""}}};
  auto trail = Make(
      {Config("http", {{"endpoint", server.url() + "/hook"},
                       {"payload", payload},
                       {"headers", {{"X-Token", "t0k"}, {"content-type", "application/json"}}}})});
  ASSERT_TRUE(trail->Action(AuditLevel::kInfo, List(2), "start").ok());
  trail->Success(AuditLevel::kInfo, List(2), "start");  // not sent by default (MaestroNG)
  trail->Error(List(2), "start", "boom");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/hook");
  EXPECT_EQ(reqs[0].headers["x-token"], "t0k");
  EXPECT_EQ(reqs[0].headers["content-type"], "application/json");
  EXPECT_EQ(json::parse(reqs[0].body), json({{"text", "bob is starting c1, c2."},
                                             {"who", "bob"},
                                             {"n", 3},
                                             {"flag", true},
                                             {"list", {"start: c1, c2"}}}));
}

TEST_F(AuditTrailTest, WebhookSlackStyleWithAllEvents) {
  TestHttpServer server;
  auto trail = Make({Config("http", {{"endpoint", server.url()},
                                     {"payload", {{"text", "{message}"}}},
                                     {"events", {"action", "success", "error"}}})});
  ASSERT_TRUE(trail->Action(AuditLevel::kInfo, List(6), "start").ok());
  trail->Success(AuditLevel::kInfo, List(6), "start");
  trail->Error(One(), "stop", "container died");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].headers["content-type"], "application/json; charset=utf-8");
  EXPECT_EQ(reqs[0].body, R"({"text":"bob is starting 6 containers."})");
  EXPECT_EQ(reqs[1].body, R"({"text":"Start of 6 containers succeeded."})");
  EXPECT_EQ(reqs[2].body, R"j({"text":"Failed to stop c1! (message: container died)"})j");
}

TEST_F(AuditTrailTest, WebhookEmptyPayloadIsNullAndGetWorks) {
  TestHttpServer server;
  auto trail = Make({Config("http", {{"endpoint", server.url()}, {"method", "get"}})});
  ASSERT_TRUE(trail->Action(AuditLevel::kInfo, One(), "kill").ok());
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].body, "null");
}

TEST_F(AuditTrailTest, WebhookFailureAbortsActionUnlessIgnored) {
  TestHttpServer server;
  server.Script({{500, "down"}});
  auto trail = Make({Config("http", {{"endpoint", server.url()}})});
  absl::Status s = trail->Action(AuditLevel::kInfo, One(), "start");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "HTTP 500")) << s;

  auto ignored = Make({Config("http", {{"endpoint", server.url()}}, "info", true)});
  EXPECT_TRUE(ignored->Action(AuditLevel::kInfo, One(), "start").ok());
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(warnings_[0], "warning: audit http " + server.url() + ": "))
      << warnings_[0];
}

TEST_F(AuditTrailTest, WebhookTimeout) {
  TestHttpServer server;
  ScriptedResponse hang;
  hang.never_answer = true;
  server.Script({hang});
  auto trail = Make({Config("http", {{"endpoint", server.url()}, {"timeout", 0.3}})});
  absl::Status s = trail->Action(AuditLevel::kInfo, One(), "start");
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  server.Stop();
}

TEST_F(AuditTrailTest, ExecAuditorGetsArgsAndJsonOnStdin) {
  std::string dir = TmpDir();
  std::string script = dir + "/audit.sh";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\necho \"$#:$*\" > " << dir << "/args\ncat > " << dir << "/stdin\n";
  }
  chmod(script.c_str(), 0755);
  auto trail = Make({Config("exec", {{"script", script}, {"args", "{action} {what} {who}"}})});
  ASSERT_TRUE(trail->Action(AuditLevel::kInfo, List(2), "start").ok());  // ignored
  trail->Success(AuditLevel::kInfo, List(2), "start");
  EXPECT_EQ(ReadFile(dir + "/args"), "3:start c1,c2 bob\n");
  EXPECT_EQ(json::parse(ReadFile(dir + "/stdin")),
            json({{"c1", {{"ship", "10.0.0.1"}, {"service", "svc1"}}},
                  {"c2", {{"ship", "10.0.0.2"}, {"service", "svc2"}}}}));
  std::remove((dir + "/args").c_str());
  trail->Success(AuditLevel::kInfo, One(), "start");  // single containers are not sent
  EXPECT_EQ(ReadFile(dir + "/args"), "");

  auto no_args = Make({Config("exec", {{"script", script}})});  // FIX #17: args optional
  no_args->Success(AuditLevel::kInfo, List(1), "stop");
  EXPECT_EQ(ReadFile(dir + "/args"), "0:\n");
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(AuditTrailTest, ExecAuditorFailureIsAClearWarning) {
  std::string script = TmpDir() + "/fail.sh";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\necho 'cannot reach CMDB' >&2\nexit 3\n";
  }
  chmod(script.c_str(), 0755);
  auto trail = Make({Config("exec", {{"script", script}})});
  trail->Success(AuditLevel::kInfo, List(2), "start");
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0], "warning: audit exec " + script + ": audit script " + script +
                              " exited with status 3: cannot reach CMDB");
}

TEST_F(AuditTrailTest, MultiplexerSemantics) {
  std::string file = TmpDir() + "/multi.log";
  std::remove(file.c_str());
  auto trail = Make({Config("_fail", json::object()), Config("log", {{"file", file}})});
  absl::Status s = trail->Action(AuditLevel::kInfo, List(2), "start");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "audit _fail: _fail auditor: action");
  EXPECT_EQ(ReadFile(file), "");  // the first failure stops the fan-out
  trail->Success(AuditLevel::kInfo, List(2), "start");
  trail->Error(List(2), "start", "x");
  EXPECT_EQ(warnings_, (std::vector<std::string>{"warning: audit _fail: _fail auditor: success",
                                                 "warning: audit _fail: _fail auditor: error"}));
  EXPECT_TRUE(absl::StrContains(ReadFile(file), "INFO: Start of c1, c2 succeeded.\n"));
  EXPECT_TRUE(absl::StrContains(ReadFile(file), "ERROR: Failed to start c1, c2! (message: x)\n"));

  warnings_.clear();
  auto ignoring =
      Make({Config("_fail", json::object(), "info", true), Config("log", {{"file", file}})});
  EXPECT_TRUE(ignoring->Action(AuditLevel::kInfo, One(), "pull").ok());
  EXPECT_EQ(warnings_.size(), 1u);
  EXPECT_TRUE(absl::StrContains(ReadFile(file), "INFO: bob is pulling c1.\n"));
}

TEST_F(AuditTrailTest, ConfigurationErrorsNameTheEntry) {
  EXPECT_EQ(MakeError({Config("log", json::object())}),
            "env.yaml:7: audit entry 1 (type log): Missing audit log filename!");
  EXPECT_EQ(MakeError({Config("_fail", json::object()), Config("carrier-pigeon", {})}),
            "env.yaml:7: audit entry 2 (type carrier-pigeon): Unknown auditor type "
            "carrier-pigeon");
  EXPECT_TRUE(absl::StrContains(MakeError({Config("_fail", json::object(), "warn")}),
                                "invalid level 'warn' (expected info or debug)"));
  EXPECT_TRUE(
      absl::StrContains(MakeError({Config("http", json::object())}), "Missing webhook endpoint!"));
  EXPECT_TRUE(absl::StrContains(
      MakeError({Config("http", {{"endpoint", "http://127.0.0.1:1/"}, {"method", "PUT"}})}),
      "Invalid HTTP method PUT!"));
  EXPECT_TRUE(absl::StrContains(MakeError({Config("http", {{"endpoint", "http://127.0.0.1:1/"},
                                                           {"payload", {{"t", "{colour}"}}}})}),
                                "unknown field {colour}"));
  EXPECT_TRUE(
      absl::StrContains(MakeError({Config("exec", json::object())}), "Missing script to execute!"));
  std::string slack = MakeError({Config("slack", {{"channel", "#ops"}, {"token", "xoxb-1"}})});
  EXPECT_TRUE(absl::StrContains(slack, "type: http")) << slack;
  EXPECT_TRUE(absl::StrContains(slack, "hooks.slack.com")) << slack;
  EXPECT_TRUE(
      absl::StrContains(MakeError({Config("hipchat", {{"room", "r"}})}), "HipChat was shut down"));
  EXPECT_TRUE(
      absl::StrContains(MakeError({Config("log", {{"file", TmpDir() + "/no/such/dir/x.log"}})}),
                        "cannot open audit log"));
}

}  // namespace
}  // namespace maestro::audit
