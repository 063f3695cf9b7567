// Helpers for end-to-end tests of the real `maestro` binary against the real test environment
// (`tools/testenv up`): run the binary on a generated environment file, inspect what it did
// through a DockerClient on the local socket, clean up containers by name prefix, a small
// TCP proxy to simulate a ship going down or dropping its connections, and the test
// environment's own script (to restart the real dockerd).
//
// Thread-safety: MaestroProcess and TcpProxy are safe to poke from the test thread while their
// own threads run; everything else is plain functions. Every wait is bounded in time.
#ifndef MAESTRO_INTEGRATION_E2E_H_
#define MAESTRO_INTEGRATION_E2E_H_

#include <sys/types.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "maestro/docker/docker_client.h"
#include "maestro/testing/testenv.h"
#include "nlohmann/json.hpp"

namespace maestro::integration {

// The test environment, loaded once (the test fails, never skips, if it is missing).
const testing::TestEnv* Env();

// A fresh, unique name prefix such as "mt-3f9a1c-" (lower case, valid container names).
std::string UniquePrefix(const std::string& tag);

// A random base port in [20000, 60000) so that base..base+49 are likely free.
int RandomPortBase();

// The test's temporary directory (TEST_TMPDIR or /tmp), with a unique subdirectory.
std::string TempDir(const std::string& name);
bool WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);

// Replaces every "{{KEY}}" in `text` by vars[KEY] (simple, not Jinja: maestro's own templating
// must not see these).
std::string Substitute(std::string text, const std::map<std::string, std::string>& vars);
// Reads testdata/integration/<name> from the runfiles.
std::string ReadTemplate(const std::string& name);

// The maestro binary in the runfiles.
std::string MaestroPath();

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  bool timed_out = false;
  std::string out;
  std::string err;
  absl::Duration elapsed;
  std::string all() const { return out + "\n" + err; }
};

// `maestro -f <file> <args...>`, waiting at most `timeout` (then SIGKILL).
RunResult RunMaestro(const std::string& file, const std::vector<std::string>& args,
                     absl::Duration timeout = absl::Seconds(120));

// A maestro run in the background: poll its output, signal it, wait for it. Spawned and
// reaped by lifecycle::RunSubprocess (the one spawn-and-wait) on a thread of its own, in its
// own process group (a Ctrl-C to the test does not reach it), stdin /dev/null, COLUMNS=200 and
// NO_COLOR unset.
class MaestroProcess {
 public:
  MaestroProcess(const std::string& file, const std::vector<std::string>& args);
  ~MaestroProcess();  // kills it if it still runs
  // False once it is known that the binary could not be started.
  bool started() const;
  std::string Stdout() const;
  std::string Stderr() const;
  // Polls stdout+stderr until `needle` appears, or `timeout` passes, or the process exits.
  bool WaitForOutput(const std::string& needle, absl::Duration timeout);
  // Sends `sig` to the process (within 50 ms) unless it has ended.
  void Signal(int sig);
  // Waits for the exit; SIGKILLs it (and its group) after `timeout`.
  RunResult Wait(absl::Duration timeout);
  bool Exited();

 private:
  absl::Time began_;
  std::atomic<bool> stop_{false};
  std::atomic<int> signal_{0};
  absl::Notification done_;
  mutable std::mutex mu_;
  std::string out_ ABSL_GUARDED_BY(mu_);
  std::string err_ ABSL_GUARDED_BY(mu_);
  std::string spawn_error_ ABSL_GUARDED_BY(mu_);  // set when done_ and it could not start
  int exit_code_ ABSL_GUARDED_BY(mu_) = -1;
  bool killed_ ABSL_GUARDED_BY(mu_) = false;  // ended by Wait's timeout
  std::thread thread_;
};

// Polls maestro's stdout until its row for `container` (the line with " <container> ") shows
// `text`; false after `timeout` or when the process exited without it.
bool WaitForRow(MaestroProcess& p, const std::string& container, const std::string& text,
                absl::Duration timeout);

// Runs argv[0] (a path) with argv, the test's environment plus `env`, stdin /dev/null, and
// stdout and stderr both into RunResult::out (lifecycle::RunSubprocess); no descriptor but 0-2
// is inherited. Waits at most `timeout`, then kills the command's process group. Nothing it starts
// outlives the test: Bazel's process-wrapper kills every descendant of a test when the test ends.
RunResult RunCommand(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env, absl::Duration timeout);

// `tools/testenv <subcommand>` of the test environment (the script named by the contract's
// MAESTRO_TEST_TESTENV, on the contract's state directory): "restart-dockerd" (dockerd's
// keeper, started by `up` outside the test, brings the daemon back) or "status". exit_code -1
// and a message in `out` when the contract does not name the script.
RunResult TestEnvCommand(const std::string& subcommand, absl::Duration timeout);

// A Docker client on the local unix socket (the same daemon every ship reaches).
docker::DockerClient& Docker();

// Inspect by name: the raw JSON, or nullopt when absent (other errors fail the test and
// return nullopt).
std::optional<nlohmann::json> Inspect(const std::string& name);
// Names (without '/') of every container, running or not, whose name starts with `prefix`.
std::vector<std::string> ContainersWithPrefix(const std::string& prefix);
// Force-removes every container whose name starts with `prefix` (with volumes).
void RemoveContainersWithPrefix(const std::string& prefix);

// Docker's RFC 3339 nanosecond time ("2024-01-02T03:04:05.123456789Z").
absl::Time StartedAt(const nlohmann::json& inspect);
absl::Time FinishedAt(const nlohmann::json& inspect);
std::vector<std::string> EnvList(const nlohmann::json& inspect);

// Runs a shell command, returns its stdout (and the exit code through `code`).
std::string Shell(const std::string& command, int* code = nullptr);

// A TCP proxy 127.0.0.1:<port()> -> target. Kill() closes the listener and every connection
// (the ship is down: new connects are refused); DropConnections() closes the current
// connections but keeps accepting (a daemon restart as the client sees it).
class TcpProxy {
 public:
  TcpProxy(std::string target_host, int target_port);
  ~TcpProxy();
  bool ok() const { return listen_fd_ >= 0; }
  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  void Kill();
  void DropConnections();

 private:
  void AcceptLoop();
  void Pump(int client_fd);

  std::string target_host_;
  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);  // live sockets (both sides), to shut down
  std::vector<std::thread> pumps_ ABSL_GUARDED_BY(mu_);
};

// Test fixture: loads the environment (fails without it), picks a unique container-name
// prefix, a port base and a temporary directory, and removes the prefix's containers before
// and after the test.
class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Writes `yaml` (after Substitute with vars() plus `extra`) to <dir>/<name>, returns the path.
  std::string WriteEnvironment(const std::string& name, const std::string& yaml,
                               const std::map<std::string, std::string>& extra = {});
  std::map<std::string, std::string> vars() const;
  // Prefix + short name, e.g. C("zk-1").
  std::string C(const std::string& short_name) const { return prefix_ + short_name; }
  // The sanitized env-var form of C(short_name).
  std::string V(const std::string& short_name) const;
  // The table row (stdout line "  N. name ...") maestro printed last for a container.
  static std::string LastLine(const std::string& output, const std::string& container);

  std::string prefix_;
  int port_base_ = 0;
  std::string dir_;
};

}  // namespace maestro::integration

#endif  // MAESTRO_INTEGRATION_E2E_H_
