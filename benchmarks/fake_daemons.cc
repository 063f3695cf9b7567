// fake_daemons: serves one testing::FakeDockerDaemon per ship on unix sockets DIR/SHIP.sock in
// a process of its own, so that the real `maestro` binary can run `start`/`status`/`stop` of a
// large environment against them and be measured alone (/usr/bin/time -v: peak RSS, time).
// Used by plays_rss_benchmark.sh (docs/benchmarks.md §3).
//
// Usage: fake_daemons --dir=DIR --ships=ship1,ship2 [--image=REF] [--max_seconds=3600]
// Prints "ready" on stdout once every socket accepts, then serves until SIGTERM or SIGINT, or
// at most --max_seconds (bounded: never outlives its caller by more than that). Every daemon
// has the image REF (default maestro-test/busybox:latest) and the deploy lock's, and keeps create
// bodies without their Env (FakeDockerHost::SetKeepCreateEnv), so thousands of containers with
// thousands of link variables each stay small in this process.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "maestro/testing/fake_docker_daemon.h"

namespace {

int Fail(const std::string& what) {
  std::fprintf(stderr, "fake_daemons: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir, image = "maestro-test/busybox:latest";
  std::vector<std::string> ships;
  int max_seconds = 3600;
  for (int i = 1; i < argc; ++i) {
    std::vector<std::string> kv = absl::StrSplit(argv[i], absl::MaxSplits('=', 1));
    bool ok = kv.size() == 2;
    if (ok && kv[0] == "--dir") {
      dir = kv[1];
    } else if (ok && kv[0] == "--ships") {
      ships = absl::StrSplit(kv[1], ',', absl::SkipEmpty());
    } else if (ok && kv[0] == "--image") {
      image = kv[1];
    } else if (ok && kv[0] == "--max_seconds") {
      ok = absl::SimpleAtoi(kv[1], &max_seconds) && max_seconds > 0 && max_seconds <= 86400;
    } else {
      ok = false;
    }
    if (!ok) return Fail(absl::StrCat("bad argument ", argv[i]));
  }
  if (dir.empty() || ships.empty() || ships.size() > 200) {
    return Fail("need --dir and --ships (1 to 200 names)");
  }
  // Block the signals in every thread (the daemons' threads inherit the mask); sigwait below.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGALRM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  std::vector<std::unique_ptr<maestro::testing::FakeDockerDaemon>> daemons;
  for (const std::string& ship : ships) {
    maestro::testing::FakeDockerDaemon::Options options;
    options.socket_path = absl::StrCat(dir, "/", ship, ".sock");
    auto daemon = maestro::testing::FakeDockerDaemon::Start(options);
    if (!daemon.ok()) return Fail(std::string(daemon.status().message()));
    (*daemon)->AddImage(image);
    (*daemon)->AddImage("maestro/lock:1");  // the deploy lock's image (maestro/lock)
    (*daemon)->host().SetKeepCreateEnv(false);
    daemons.push_back(*std::move(daemon));
  }
  std::printf("ready\n");
  std::fflush(stdout);
  alarm(static_cast<unsigned>(max_seconds));
  int sig = 0;
  sigwait(&set, &sig);
  for (auto& d : daemons) d->Stop();
  return 0;
}
