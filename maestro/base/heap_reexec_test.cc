// ReexecWithoutThreadCaches, observed from outside: this test binary runs itself as the probe
// (`--probe`), under the environments a user may have, and reads what the probe reports.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "maestro/base/heap.h"

namespace maestro {
namespace {

std::string Self() {
  char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return "";
  path[n] = '\0';
  return path;
}

// The probe's stdout for `env_prefix /path/to/this --probe`.
std::string RunProbe(const std::string& env_prefix) {
  std::string command = env_prefix + " '" + Self() + "' --probe";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::string out;
  char buf[512];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

TEST(HeapReexecTest, RunsOnceMoreWithTheSettingAndGivesTheCallersEnvironmentBack) {
  std::string out = RunProbe("env -u GLIBC_TUNABLES -u MAESTRO_HEAP_REEXEC");
  // main ran twice (once before the exec), glibc got the setting at process start, and the
  // environment seen afterwards (and by children) has no GLIBC_TUNABLES, as the caller's.
  EXPECT_EQ(out,
            "main\nmain\nthread cache: off\n"
            "getenv: <unset>\nmarker: <unset>\nSIGINT: blocked, default action\n");
}

TEST(HeapReexecTest, ASigintLeftIgnoredByTheParentIsNotLostDuringTheExec) {
  // A shell's background job starts with SIGINT ignored; one sent during the exec would be
  // discarded. The re-executed process has it blocked (pending if sent) with its default action.
  std::string out = RunProbe("trap '' INT; exec env -u GLIBC_TUNABLES -u MAESTRO_HEAP_REEXEC");
  EXPECT_EQ(out,
            "main\nmain\nthread cache: off\n"
            "getenv: <unset>\nmarker: <unset>\nSIGINT: blocked, default action\n");
}

TEST(HeapReexecTest, AppendsToTheCallersTunablesAndRestoresThem) {
  std::string out =
      RunProbe("env -u MAESTRO_HEAP_REEXEC GLIBC_TUNABLES=glibc.malloc.trim_threshold=262144");
  EXPECT_EQ(out,
            "main\nmain\n"
            "thread cache: off\n"
            "getenv: glibc.malloc.trim_threshold=262144\nmarker: <unset>\n"
            "SIGINT: blocked, default action\n");
}

TEST(HeapReexecTest, LeavesAUsersOwnCacheSettingAlone) {
  // No re-exec: the process, its environment and its signals are left as they came.
  std::string out = RunProbe(
      "trap '' INT; exec env -u MAESTRO_HEAP_REEXEC GLIBC_TUNABLES=glibc.malloc.tcache_count=3");
  EXPECT_EQ(out,
            "main\nthread cache: on\n"
            "getenv: glibc.malloc.tcache_count=3\nmarker: <unset>\nSIGINT: unblocked, ignored\n");
}

// Whether a freed small block goes to a per-thread cache. Without one (and without fast bins),
// a block freed next to the top of the heap merges into it, and a larger request is served at
// the same address; with one, the block stays parked in the cache.
bool ThreadCacheOn() {
  mallopt(M_MXFAST, 0);
  void* block = std::malloc(1000);
  std::free(block);
  void* larger = std::malloc(1500);
  const bool on = larger != block;
  std::free(larger);
  return on;
}

// The probe: the per-thread cache, GLIBC_TUNABLES as getenv sees it after the call, and SIGINT.
int Probe(char** argv) {
  (void)!write(1, "main\n", 5);  // unbuffered: a re-exec would discard a stdio buffer
  ReexecWithoutThreadCaches(argv);
  const bool cache = ThreadCacheOn();
  const char* now = std::getenv("GLIBC_TUNABLES");
  const char* marker = std::getenv(kHeapReexecMarker);
  sigset_t mask;
  sigprocmask(SIG_SETMASK, nullptr, &mask);
  struct sigaction action = {};
  sigaction(SIGINT, nullptr, &action);
  std::printf("thread cache: %s\ngetenv: %s\nmarker: %s\nSIGINT: %s, %s\n", cache ? "on" : "off",
              now ? now : "<unset>", marker ? marker : "<unset>",
              sigismember(&mask, SIGINT) ? "blocked" : "unblocked",
              action.sa_handler == SIG_IGN   ? "ignored"
              : action.sa_handler == SIG_DFL ? "default action"
                                             : "handled");
  return 0;
}

}  // namespace
}  // namespace maestro

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--probe") == 0) return maestro::Probe(argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
