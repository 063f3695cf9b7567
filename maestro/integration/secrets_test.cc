// End to end: secrets on the real daemon (testdata/integration/secrets.yaml). The application
// reads them, and their values are nowhere else: not in `docker inspect`, `docker diff`, the
// container's environment, maestro's stdout, stderr or audit log, nor any file under the daemon's
// data root.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/integration/e2e.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class SecretsTest : public E2eTest {
 protected:
  std::string Docker(const std::string& args, int* code = nullptr) {
    return Shell(absl::StrCat("docker -H unix://", Env()->docker_socket, " ", args, " 2>&1"), code);
  }
  // The container's log once it has `needle` (bounded: 50 looks, 0.2 s apart).
  std::string LogsWith(const std::string& container, const std::string& needle) {
    std::string logs;
    for (int i = 0; i < 50; ++i) {
      logs = Docker("logs " + container);
      if (logs.find(needle) != std::string::npos) break;
      Shell("sleep 0.2");
    }
    return logs;
  }
  // The files under the daemon's data root that hold any of `values` ("" when none).
  std::string FilesUnderDataRootWith(const std::vector<std::string>& values) {
    std::string root = Docker("info --format '{{.DockerRootDir}}'");
    while (!root.empty() && (root.back() == '\n' || root.back() == ' ')) root.pop_back();
    if (root.empty() || root[0] != '/') return "no data root: " + root;
    std::string patterns;
    for (const std::string& v : values) absl::StrAppend(&patterns, " -e '", v, "'");
    return Shell(absl::StrCat("grep -r -l -D skip -F", patterns, " '", root, "' 2>/dev/null"));
  }
};

TEST_F(SecretsTest, DeliveredToTheApplicationAndNowhereElse) {
  // Unique per run, so that nothing left by another run can match.
  const std::string db = absl::StrCat("db-", prefix_, "Vq7Zx");
  const std::string api = absl::StrCat("api-", prefix_, "Kp3Wy");
  ASSERT_TRUE(WriteFile(dir_ + "/db.txt", db));
  ASSERT_TRUE(WriteFile(dir_ + "/api.txt", api + "\n"));  // a command's newline is dropped
  std::string file = WriteEnvironment("secrets.yaml", ReadTemplate("secrets.yaml"));

  RunResult start = RunMaestro(file, {"start"});
  ASSERT_EQ(start.exit_code, 0) << start.all();
  std::vector<std::string> outputs = {start.out, start.err};

  // The application ran after delivery and read both (their hashes in its log).
  const std::string app = C("app");
  std::string logs;
  for (int i = 0; i < 50; ++i) {
    logs = Docker("logs " + app);
    if (logs.find("/etc-app:") != std::string::npos) break;
    Shell("sleep 0.2");
  }
  const std::string db_sha = Shell(absl::StrCat("printf %s '", db, "' | sha256sum"));
  const std::string api_sha = Shell(absl::StrCat("printf %s '", api, "' | sha256sum"));
  EXPECT_THAT(logs, HasSubstr(db_sha.substr(0, 64) + "  /run/secrets/db")) << logs;
  EXPECT_THAT(logs, HasSubstr(api_sha.substr(0, 64) + "  /etc-app/api")) << logs;
  // Modes and owners as configured (ls -ln: numeric ids).
  EXPECT_THAT(logs, HasSubstr("-r--r-----    1 1000     1001")) << logs;
  EXPECT_THAT(logs, HasSubstr("-r--------    1 0        0")) << logs;
  int code = -1;
  EXPECT_EQ(Docker("exec " + app + " cat /run/secrets/db", &code), db);
  EXPECT_EQ(code, 0);

  // Nowhere else.
  const std::string inspect = Docker("inspect " + app);
  nlohmann::json j = nlohmann::json::parse(inspect, nullptr, false);
  ASSERT_TRUE(j.is_array() && !j.empty()) << inspect;
  EXPECT_EQ(j[0]["HostConfig"]["Tmpfs"]["/run/secrets"], "mode=0711");
  EXPECT_EQ(j[0]["HostConfig"]["Tmpfs"]["/etc-app"], "mode=0711");
  EXPECT_EQ(j[0]["Config"]["Entrypoint"][0], "/bin/sh");
  const std::string diff = Docker("diff " + app);
  EXPECT_THAT(diff, Not(HasSubstr("/run/secrets/")));
  EXPECT_THAT(diff, Not(HasSubstr("/etc-app/")));
  const std::string env = Docker("exec " + app + " env");
  std::vector<std::string> places = {inspect, diff, env, logs};

  RunResult status = RunMaestro(file, {"status"});
  RunResult dump = RunMaestro(file, {"dump"});
  RunResult plan = RunMaestro(file, {"plan"});
  EXPECT_EQ(plan.exit_code, 0) << plan.all();
  EXPECT_THAT(plan.out, Not(HasSubstr("secret db changed")));
  // Another value: plan says so, without either value.
  ASSERT_TRUE(WriteFile(dir_ + "/db.txt", db + "-new"));
  RunResult changed = RunMaestro(file, {"plan"});
  EXPECT_THAT(changed.all(), HasSubstr("secret db changed")) << changed.all();
  for (const RunResult* r : {&status, &dump, &plan, &changed}) {
    places.push_back(r->out);
    places.push_back(r->err);
  }
  places.push_back(ReadFile(dir_ + "/audit.log"));
  EXPECT_THAT(places.back(), HasSubstr(app));  // the audit log did record the start
  places.insert(places.end(), outputs.begin(), outputs.end());
  for (const std::string& place : places) {
    EXPECT_THAT(place, Not(HasSubstr(db)));
    EXPECT_THAT(place, Not(HasSubstr(api)));
  }

  // Every file under the daemon's data root (what `docker info` says; the test env's daemon).
  std::string root = Docker("info --format '{{.DockerRootDir}}'");
  while (!root.empty() && (root.back() == '\n' || root.back() == ' ')) root.pop_back();
  ASSERT_FALSE(root.empty());
  ASSERT_EQ(root[0], '/') << root;
  int grep = -1;
  std::string found = Shell(
      absl::StrCat("grep -r -l -D skip -F -e '", db, "' -e '", api, "' '", root, "' 2>/dev/null"),
      &grep);
  EXPECT_NE(grep, 0) << "found under " << root << ":\n" << found;
  EXPECT_EQ(found, "");

  RunResult stop = RunMaestro(file, {"stop", "--all"});
  EXPECT_EQ(stop.exit_code, 0) << stop.all();
}

// An image without a shell: only a static maestro-guest and a static busybox at /app/busybox
// (docker import of a two-file tree). With secrets_guest, maestro-guest waits for the secrets and
// writes them; the application reads them, and they are nowhere else.
TEST_F(SecretsTest, ImageWithoutAShellTakesThemThroughMaestroGuest) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  const std::string guest =
      absl::StrCat(srcdir ? srcdir : ".", "/", ws ? ws : "maestro", "/guest/maestro-guest-slim");
  const std::string root = dir_ + "/rootfs";
  int code = -1;
  Shell(absl::StrCat("mkdir -p '", root, "/app' && cp '", guest, "' '", root,
                     "/maestro-guest' && cp /bin/busybox '", root, "/app/busybox'"),
        &code);
  ASSERT_EQ(code, 0) << "could not lay out the image from " << guest << " and /bin/busybox";
  const std::string image = absl::StrCat("maestro-test/noshell:", prefix_, "1");
  std::string imported = Shell(absl::StrCat("tar -C '", root, "' -c . | docker -H unix://",
                                            Env()->docker_socket, " import - ", image, " 2>&1"),
                               &code);
  ASSERT_EQ(code, 0) << imported;

  const std::string db = absl::StrCat("db-", prefix_, "Nq4Hs");
  const std::string api = absl::StrCat("api-", prefix_, "Gw8Tm");
  ASSERT_TRUE(WriteFile(dir_ + "/db.txt", db));
  ASSERT_TRUE(WriteFile(dir_ + "/api.txt", api));
  std::string file = WriteEnvironment("secrets_scratch.yaml", ReadTemplate("secrets_scratch.yaml"),
                                      {{"SCRATCH_IMAGE", image}});
  RunResult start = RunMaestro(file, {"start"});
  EXPECT_EQ(start.exit_code, 0) << start.all();

  const std::string app = C("app");
  const std::string logs = LogsWith(app, "/etc-app:");
  const std::string db_sha = Shell(absl::StrCat("printf %s '", db, "' | sha256sum"));
  const std::string api_sha = Shell(absl::StrCat("printf %s '", api, "' | sha256sum"));
  EXPECT_THAT(logs, HasSubstr(db_sha.substr(0, 64) + "  /run/secrets/db")) << logs;
  EXPECT_THAT(logs, HasSubstr(api_sha.substr(0, 64) + "  /etc-app/api")) << logs;
  EXPECT_THAT(logs, HasSubstr("-r--r-----    1 1000     1001")) << logs;
  EXPECT_THAT(logs, HasSubstr("-r--------    1 0        0")) << logs;
  // Really no shell in it.
  std::string sh = Docker("exec " + app + " /bin/sh -c true", &code);
  EXPECT_NE(code, 0) << sh;

  const std::string inspect = Docker("inspect " + app);
  nlohmann::json j = nlohmann::json::parse(inspect, nullptr, false);
  ASSERT_TRUE(j.is_array() && !j.empty()) << inspect;
  EXPECT_EQ(j[0]["Config"]["Entrypoint"],
            (nlohmann::json{"/maestro-guest", "secrets-wait", "--timeout", "120", "--"}));
  EXPECT_EQ(j[0]["Config"]["Cmd"][0], "/app/busybox");
  const std::string diff = Docker("diff " + app);
  EXPECT_THAT(diff, Not(HasSubstr("/run/secrets/")));
  EXPECT_THAT(diff, Not(HasSubstr("/etc-app/")));

  // A start of the running container only looks (secrets-wait --check): nothing to deliver.
  RunResult again = RunMaestro(file, {"start"});
  EXPECT_EQ(again.exit_code, 0) << again.all();
  EXPECT_THAT(again.all(), Not(HasSubstr("delivered again")));
  RunResult plan = RunMaestro(file, {"plan"});
  EXPECT_EQ(plan.exit_code, 0) << plan.all();
  EXPECT_THAT(plan.all(), Not(HasSubstr("recreate"))) << plan.all();

  for (const std::string& place :
       {inspect, diff, logs, start.out, start.err, again.out, again.err, plan.out, plan.err}) {
    EXPECT_THAT(place, Not(HasSubstr(db)));
    EXPECT_THAT(place, Not(HasSubstr(api)));
  }
  EXPECT_EQ(FilesUnderDataRootWith({db, api}), "");

  RunResult stop = RunMaestro(file, {"stop", "--all"});
  EXPECT_EQ(stop.exit_code, 0) << stop.all();
  RemoveContainersWithPrefix(prefix_);
  Docker("rmi " + image);
}

}  // namespace
}  // namespace maestro::integration
