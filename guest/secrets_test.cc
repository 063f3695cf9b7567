// secrets-wait and secrets-write through the real command line (RunCli): the wait with a fake
// file system look, sleep and exec; the writes on a real temporary directory.
#include "guest/secrets.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "guest/cli.h"

namespace maestro {
namespace guest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// The marker appears after `marker_after_sleeps` sleeps (-1: never); exec records its argv.
struct FakeSystem {
  int marker_after_sleeps = -1;
  std::string marker_path;  // the only path that can exist
  int sleeps = 0;
  std::vector<std::string> looked;
  std::vector<std::vector<std::string>> execs;
  std::istringstream in;

  SecretsSystem Make() {
    SecretsSystem s;
    s.exists = [this](const std::string& path) {
      looked.push_back(path);
      return path == marker_path && marker_after_sleeps >= 0 && sleeps >= marker_after_sleeps;
    };
    s.sleep = [this](std::chrono::milliseconds d) {
      EXPECT_EQ(d.count(), 100);
      ++sleeps;
    };
    s.exec = [this](const std::vector<std::string>& argv) {
      execs.push_back(argv);
      return std::string("(fake exec)");
    };
    s.in = &in;
    return s;
  }
};

struct WaitRun {
  int code;
  std::string err;
};

WaitRun RunWith(FakeSystem& fake, const std::vector<std::string>& args) {
  SecretsSystem system = fake.Make();
  CliHooks hooks;
  hooks.secrets = &system;
  MapEnviron env;
  Guest guest(env);
  std::ostringstream out, err;
  int code = RunCli(args, guest, out, err, hooks);
  EXPECT_EQ(out.str(), "");
  return WaitRun{code, err.str()};
}

TEST(SecretsWaitTest, ExecsTheCommandAtOnceWhenTheMarkerIsThere) {
  FakeSystem fake;
  fake.marker_path = "/run/secrets/.maestro-ready";
  fake.marker_after_sleeps = 0;
  WaitRun r = RunWith(fake, {"secrets-wait", "--", "/app/server", "--port", "80"});
  EXPECT_EQ(fake.sleeps, 0);
  EXPECT_THAT(fake.execs, ElementsAre(ElementsAre("/app/server", "--port", "80")));
  // The fake exec returns, as a real one does only when it fails.
  EXPECT_EQ(r.code, kExitExecFailed);
  EXPECT_THAT(r.err, HasSubstr("cannot execute /app/server: (fake exec)"));
}

TEST(SecretsWaitTest, WaitsForTheMarkerThenExecs) {
  FakeSystem fake;
  fake.marker_path = "/run/secrets/.maestro-ready";
  fake.marker_after_sleeps = 7;
  RunWith(fake, {"secrets-wait", "--timeout", "5", "--", "app", "--secret-options-pass"});
  EXPECT_EQ(fake.sleeps, 7);
  EXPECT_THAT(fake.execs, ElementsAre(ElementsAre("app", "--secret-options-pass")));
  EXPECT_THAT(std::set<std::string>(fake.looked.begin(), fake.looked.end()),
              ElementsAre("/run/secrets/.maestro-ready"));
}

TEST(SecretsWaitTest, TimesOutAfterTheTimeoutWithoutExec) {
  FakeSystem fake;
  fake.marker_path = "/run/secrets/.maestro-ready";
  WaitRun r = RunWith(fake, {"secrets-wait", "--timeout", "1.5", "--", "/app"});
  EXPECT_EQ(r.code, 70);
  EXPECT_EQ(fake.sleeps, 15);  // one look every 100 ms
  EXPECT_EQ(fake.looked.size(), 16u);
  EXPECT_THAT(fake.execs, IsEmpty());
  EXPECT_THAT(r.err, HasSubstr("maestro: secrets were not delivered to /run/secrets within 1.5 s"));
}

TEST(SecretsWaitTest, DefaultTimeoutIs120Seconds) {
  FakeSystem fake;
  WaitRun r = RunWith(fake, {"secrets-wait", "/app"});  // CMD without "--"
  EXPECT_EQ(r.code, 70);
  EXPECT_EQ(fake.sleeps, 1200);
}

TEST(SecretsWaitTest, TimeoutZeroLooksOnce) {
  FakeSystem fake;
  fake.marker_path = "/s/.maestro-ready";
  EXPECT_EQ(RunWith(fake, {"secrets-wait", "--timeout", "0", "--dir", "/s/", "--", "a"}).code, 70);
  EXPECT_EQ(fake.sleeps, 0);
  fake.marker_after_sleeps = 0;
  RunWith(fake, {"secrets-wait", "--timeout", "0", "--dir", "/s/", "--", "a"});
  EXPECT_THAT(fake.execs, ElementsAre(ElementsAre("a")));
}

TEST(SecretsWaitTest, CheckAnswersWithTheExitCode) {
  FakeSystem fake;
  fake.marker_path = "/other/.maestro-ready";
  EXPECT_EQ(RunWith(fake, {"secrets-wait", "--check", "--dir", "/other"}).code, 1);
  fake.marker_after_sleeps = 0;
  EXPECT_EQ(RunWith(fake, {"secrets-wait", "--check", "--dir", "/other"}).code, 0);
  EXPECT_EQ(RunWith(fake, {"secrets-wait", "--check"}).code, 1);  // default dir
  EXPECT_EQ(fake.sleeps, 0);
  EXPECT_THAT(fake.execs, IsEmpty());
}

TEST(SecretsWaitTest, UsageErrors) {
  FakeSystem fake;
  WaitRun none = RunWith(fake, {"secrets-wait", "--timeout", "3"});
  EXPECT_EQ(none.code, 2);
  EXPECT_THAT(none.err, HasSubstr("usage: secrets-wait"));
  WaitRun bad = RunWith(fake, {"secrets-wait", "--timeout", "soon", "--", "a"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--timeout must be a number of seconds (0 to 86400), got 'soon'"));
  EXPECT_EQ(RunWith(fake, {"secrets-wait", "--timeout", "-1", "--", "a"}).code, 2);
  EXPECT_THAT(RunWith(fake, {"secrets-wait", "--dir", "rel", "--", "a"}).err,
              HasSubstr("--dir must be an absolute path, got 'rel'"));
  EXPECT_THAT(RunWith(fake, {"secrets-wait", "--check", "--", "a"}).err,
              HasSubstr("--check takes no command"));
  EXPECT_EQ(fake.sleeps, 0);
  EXPECT_THAT(fake.execs, IsEmpty());
}

class SecretsWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/secrets-write-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  static std::string Read(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  static int Mode(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return -1;
    return static_cast<int>(st.st_mode & 07777);
  }
  std::string dir_;
};

TEST_F(SecretsWriteTest, WritesStdinWithModeAndOwner) {
  FakeSystem fake;
  const std::string value("s3cr3t\n\0binary", 14);
  fake.in.str(value);
  const std::string target = dir_ + "/deep/er/db";
  WaitRun r = RunWith(fake, {"secrets-write", target, "0440", std::to_string(::getuid()),
                             std::to_string(::getgid())});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Read(target), value);
  EXPECT_EQ(Mode(target), 0440);
  EXPECT_EQ(Mode(dir_ + "/deep"), 0700);  // created under umask 077
  EXPECT_EQ(Mode(target + ".tmp"), -1);   // renamed, nothing left behind
  // Again with another value: replaced.
  fake.in.clear();
  fake.in.str("other");
  EXPECT_EQ(RunWith(fake, {"secrets-write", target, "400", "0", "0"}).code,
            ::getuid() == 0 ? 0 : 1);
  if (::getuid() != 0) {
    EXPECT_EQ(Read(target), value);  // chown refused: the old value stays
  }
}

TEST_F(SecretsWriteTest, FailureNamesThePathNeverTheValue) {
  FakeSystem fake;
  fake.in.str("hunter2-value");
  // A regular file where a directory must be: fails for root too (CI runs as root).
  { std::ofstream(dir_ + "/notadir") << "x"; }
  WaitRun r = RunWith(fake, {"secrets-write", dir_ + "/notadir/x", "0400",
                             std::to_string(::getuid()), std::to_string(::getgid())});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot create " + dir_ + "/notadir/x.tmp"));
  EXPECT_THAT(r.err, Not(HasSubstr("hunter2")));
}

TEST_F(SecretsWriteTest, RefusesAValueOverOneMebibyte) {
  FakeSystem fake;
  fake.in.str(std::string((1 << 20) + 1, 'x'));
  WaitRun r = RunWith(fake, {"secrets-write", dir_ + "/big", "0400", std::to_string(::getuid()),
                             std::to_string(::getgid())});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("larger than 1 MiB"));
  EXPECT_EQ(Mode(dir_ + "/big"), -1);
}

TEST_F(SecretsWriteTest, ReadyWritesTheMarker) {
  FakeSystem fake;
  EXPECT_EQ(RunWith(fake, {"secrets-write", "--ready", "--dir", dir_}).code, 0);
  EXPECT_NE(Mode(dir_ + "/.maestro-ready"), -1);
  // And the real secrets-wait --check sees it.
  SecretsSystem real = RealSecretsSystem();
  std::ostringstream err;
  EXPECT_EQ(SecretsWait({"--check", "--dir", dir_}, real, err), 0);
  EXPECT_EQ(SecretsWait({"--check", "--dir", dir_ + "/none"}, real, err), 1);
}

TEST_F(SecretsWriteTest, UsageErrors) {
  FakeSystem fake;
  EXPECT_THAT(RunWith(fake, {"secrets-write", "rel", "0400", "0", "0"}).err,
              HasSubstr("TARGET must be an absolute file path, got 'rel'"));
  EXPECT_THAT(RunWith(fake, {"secrets-write", "/a/b", "0800", "0", "0"}).err,
              HasSubstr("MODE must be octal permissions like 0400, got '0800'"));
  EXPECT_THAT(RunWith(fake, {"secrets-write", "/a/b", "0400", "-1", "0"}).err,
              HasSubstr("UID and GID must be numbers"));
  EXPECT_EQ(RunWith(fake, {"secrets-write", "/a/b"}).code, 2);
  EXPECT_EQ(RunWith(fake, {"secrets-write", "--ready", "x"}).code, 2);
}

}  // namespace
}  // namespace guest
}  // namespace maestro
