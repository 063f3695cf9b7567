// Plays past what one machine's daemon holds: `status` and `start` through the real
// HttpDockerClient against many in-process fake Docker daemons (testing::FakeDockerDaemon, a
// real HTTP server per ship on its own unix socket) that answer every request after a fixed
// latency. Prints one line per measurement:
//   load: N instances: T ms, peak RSS so far M MB
//   status: N containers on S ships in T ms, peak RSS M MB
//   start -c C: K containers in T ms
//
// Usage: plays_scale_benchmark [--ships=100] [--per_ship=50] [--latency_ms=20]
//                              [--start=100] [--concurrency=1,10,50,100]
//        plays_scale_benchmark --file=benchmarks/testdata/scale_100k.yaml.j2 [--latency_ms=0]
// With --file, an environment file (rendered and loaded as `maestro status` does: no link
// variables) gets one fake daemon per ship; every instance's container is created and started
// in the daemons' FakeDockerHost directly (not timed as maestro work), then `status` of every
// instance runs through the real HttpDockerClient. Prints load, deptree, seeding and status
// times with the process's RSS after each (docs/benchmarks.md §5):
//   file: N instances on S ships
//   load: T ms, RSS M MB (peak P MB)
//   deptree: T ms, B bytes of output, RSS M MB (peak P MB)
//   seed: N containers in T ms, RSS M MB (peak P MB)
//   status: N containers, R running, T ms, RSS M MB (peak P MB)
// Bounded: every daemon is in this process on a unix socket; at most ships*per_ship + start
// containers are created (with --file, one per instance of the file, at most 200,000).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "maestro/base/clock.h"
#include "maestro/cli/load.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"
#include "maestro/docker/http_docker_client.h"
#include "maestro/graph/graph.h"
#include "maestro/plays/plays.h"
#include "maestro/plays/world.h"
#include "maestro/testing/fake_docker_daemon.h"
#include "maestro/transport/connection_spec.h"
#include "maestro/ui/progress.h"

namespace {

using maestro::docker::HttpDockerClient;
using maestro::testing::FakeDockerDaemon;

constexpr char kImage[] = "maestro-test/busybox:latest";

class Ships : public maestro::plays::ShipClients {
 public:
  absl::StatusOr<maestro::docker::DockerClient*> Client(const std::string& ship) override {
    auto it = clients_.find(ship);
    if (it == clients_.end()) return absl::NotFoundError(ship);
    return it->second.get();
  }
  std::map<std::string, std::unique_ptr<HttpDockerClient>> clients_;
};

// No lifecycle checks are configured; "running" still confirms the container runs.
class NoChecks : public maestro::plays::CheckRunner {
 public:
  absl::Status Run(const std::string& state, const maestro::model::Instance&,
                   const maestro::model::Ship&, maestro::docker::DockerClient&,
                   const std::function<bool()>& condition,
                   const maestro::plays::CancellationToken&) override {
    if ((state == "running" || state == "pre-stop") && !condition()) {
      return absl::FailedPreconditionError("container is not running");
    }
    return absl::OkStatus();
  }
};

// A do-nothing progress sink: the benchmark measures the plays, not the terminal.
class NullSink : public maestro::ui::ProgressSink {
 public:
  void Begin(const std::vector<maestro::ui::Row>&) override {}
  void Pending(size_t, const std::string&) override {}
  void Result(size_t, const maestro::ui::RowResult&) override {}
  void End() override {}
};

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "plays_scale_benchmark: %s\n", what.c_str());
  return 1;
}

}  // namespace

// Peak resident set size of this process (the fake daemons included) in MB.
long PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

// The current resident set size in MB (from /proc/self/statm).
long RssMb() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
  std::fclose(f);
  return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024) / 1024;
}

// --file: load, deptree, then `status` of every instance of the file against one fake daemon
// per ship.
int RunFile(const std::string& file, int latency_ms) {
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  auto loaded = maestro::cli::LoadEnvironmentFile(file, stdin, /*link_variables=*/false);
  auto t1 = Clock::now();
  if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
  const maestro::model::Environment& env = loaded->environment;
  if (env.instances.size() > 200000 || env.ships.size() > 200) {
    return Fail("the file is too big: at most 200,000 instances on 200 ships");
  }
  std::printf("file: %zu instances on %zu ships\n", env.instances.size(), env.ships.size());
  std::printf("load: %.1f ms, RSS %ld MB (peak %ld MB)\n", Ms(t1 - t0), RssMb(), PeakRssMb());
  std::fflush(stdout);

  std::vector<std::string> services;
  for (const maestro::model::Service& s : env.services) services.push_back(s.name);
  std::sort(services.begin(), services.end());
  t0 = Clock::now();
  auto tree = maestro::graph::RenderDepTree(env, services, /*recursive=*/false);
  t1 = Clock::now();
  if (!tree.ok()) return Fail(std::string(tree.status().message()));
  std::printf("deptree: %.1f ms, %zu bytes of output, RSS %ld MB (peak %ld MB)\n", Ms(t1 - t0),
              tree->size(), RssMb(), PeakRssMb());
  std::fflush(stdout);
  *tree = std::string();

  // One fake daemon per ship, each with the HTTP client maestro would use.
  std::map<std::string, std::unique_ptr<FakeDockerDaemon>> daemons;
  Ships clients;
  for (const maestro::model::Ship& ship : env.ships) {
    auto daemon = FakeDockerDaemon::Start();
    if (!daemon.ok()) return Fail(std::string(daemon.status().message()));
    maestro::transport::ConnectionSpec spec;
    spec.ship = ship.name;
    spec.kind = maestro::transport::TransportKind::kUnix;
    spec.socket_path = (*daemon)->socket_path();
    spec.request_timeout = absl::Seconds(60);
    auto client = HttpDockerClient::Create(spec);
    if (!client.ok()) return Fail(std::string(client.status().message()));
    clients.clients_[ship.name] = *std::move(client);
    daemons[ship.name] = *std::move(daemon);
  }
  // Every instance's container, created and started in the daemons' models directly.
  t0 = Clock::now();
  std::vector<std::string> names;
  names.reserve(env.instances.size());
  for (const maestro::model::Instance& inst : env.instances) {
    maestro::testing::FakeDockerHost& host = daemons.at(inst.ship)->host();
    if (!host.HasImage(inst.image)) host.AddImage(inst.image);
    nlohmann::json body = {{"Image", inst.image},
                           {"Labels",
                            {{"maestro.environment", env.name},
                             {"maestro.service", inst.service},
                             {"maestro.instance", inst.name}}}};
    auto created = host.CreateContainer(inst.name, body);
    if (!created.ok()) return Fail("seed: " + std::string(created.status().message()));
    absl::Status started = host.StartContainer(created->id);
    if (!started.ok()) return Fail("seed: " + std::string(started.message()));
    names.push_back(inst.name);
  }
  t1 = Clock::now();
  std::printf("seed: %zu containers in %.1f ms, RSS %ld MB (peak %ld MB)\n", names.size(),
              Ms(t1 - t0), RssMb(), PeakRssMb());
  std::fflush(stdout);
  for (auto& [ship, d] : daemons) d->SetLatency(absl::Milliseconds(latency_ms));

  NoChecks checks;
  NullSink sink;
  maestro::plays::PlayWorld world;
  world.env = &env;
  world.ships = &clients;
  world.checks = &checks;
  world.clock = maestro::RealClock::Get();
  world.sink = &sink;
  maestro::plays::Scheduler scheduler({});
  t0 = Clock::now();
  auto report = maestro::plays::RunStatus(world, names, {}, false, scheduler);
  t1 = Clock::now();
  if (report.ExitCode() != 0) return Fail("status: " + report.FailureSummary());
  size_t running = 0;
  for (const auto& o : report.outcomes) running += o.summary == "running";
  std::printf(
      "status: %zu containers, %zu running, %d ms latency: %.1f ms, RSS %ld MB (peak %ld MB)\n",
      names.size(), running, latency_ms, Ms(t1 - t0), RssMb(), PeakRssMb());
  std::fflush(stdout);
  if (running != names.size()) return Fail("status: not every container was seen running");
  return 0;
}

int main(int argc, char** argv) {
  int ships = 100, per_ship = 50, latency_ms = 20, start = 100;
  std::string file;
  std::vector<int> concurrency = {1, 10, 50, 100};
  for (int i = 1; i < argc; ++i) {
    std::vector<std::string> kv = absl::StrSplit(argv[i], absl::MaxSplits('=', 1));
    bool ok = kv.size() == 2;
    if (ok && kv[0] == "--ships")
      ok = absl::SimpleAtoi(kv[1], &ships);
    else if (ok && kv[0] == "--per_ship")
      ok = absl::SimpleAtoi(kv[1], &per_ship);
    else if (ok && kv[0] == "--latency_ms")
      ok = absl::SimpleAtoi(kv[1], &latency_ms);
    else if (ok && kv[0] == "--file")
      file = kv[1];
    else if (ok && kv[0] == "--start")
      ok = absl::SimpleAtoi(kv[1], &start);
    else if (ok && kv[0] == "--concurrency") {
      concurrency.clear();
      for (absl::string_view c : absl::StrSplit(kv[1], ',')) {
        int n = 0;
        ok = ok && absl::SimpleAtoi(c, &n) && n > 0;
        concurrency.push_back(n);
      }
    } else {
      ok = false;
    }
    if (!ok) return Fail(absl::StrCat("bad argument ", argv[i]));
  }
  if (ships < 1 || ships > 200 || per_ship < 0 || per_ship > 1000 || start < 0 || start > 2000 ||
      latency_ms < 0 || latency_ms > 1000) {
    return Fail("out of range: ships 1..200, per_ship 0..1000, start 0..2000, latency 0..1000");
  }
  if (!file.empty()) return RunFile(file, latency_ms);

  // One fake daemon per ship.
  std::vector<std::unique_ptr<FakeDockerDaemon>> daemons;
  Ships clients;
  std::string yaml = "name: scale\nships:\n";
  for (int s = 0; s < ships; ++s) {
    auto daemon = FakeDockerDaemon::Start();
    if (!daemon.ok()) return Fail(std::string(daemon.status().message()));
    (*daemon)->AddImage(kImage);
    std::string ship = absl::StrCat("ship", s);
    maestro::transport::ConnectionSpec spec;
    spec.ship = ship;
    spec.kind = maestro::transport::TransportKind::kUnix;
    spec.socket_path = (*daemon)->socket_path();
    spec.request_timeout = absl::Seconds(60);
    auto client = HttpDockerClient::Create(spec);
    if (!client.ok()) return Fail(std::string(client.status().message()));
    clients.clients_[ship] = *std::move(client);
    absl::StrAppend(&yaml, "  ", ship, ": {ip: 127.0.0.1, socket_path: ", spec.socket_path, "}\n");
    daemons.push_back(*std::move(daemon));
  }
  absl::StrAppend(&yaml, "services:\n  existing:\n    image: ", kImage, "\n    instances:\n");
  std::vector<std::string> existing, fresh;
  for (int s = 0; s < ships; ++s) {
    for (int i = 0; i < per_ship; ++i) {
      std::string name = absl::StrCat("exist-", s, "-", i);
      absl::StrAppend(&yaml, "      ", name, ": {ship: ship", s, ", command: sleep 3600}\n");
      existing.push_back(name);
    }
  }
  if (start > 0) {
    absl::StrAppend(&yaml, "  fresh:\n    image: ", kImage, "\n    instances:\n");
    for (int i = 0; i < start; ++i) {
      std::string name = absl::StrCat("fresh-", i);
      absl::StrAppend(&yaml, "      ", name, ": {ship: ship", i % ships,
                      ", command: sleep 3600}\n");
      fresh.push_back(name);
    }
  }
  maestro::config::LoadInput in;
  in.display_name = "scale.yaml";
  in.text = yaml;
  maestro::config::FakeFileReader files;
  auto load_t0 = std::chrono::steady_clock::now();
  auto loaded = maestro::config::LoadEnvironment(in, files);
  auto load_t1 = std::chrono::steady_clock::now();
  if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
  std::printf("load: %zu instances: %.1f ms, peak RSS so far %ld MB\n",
              loaded->environment.instances.size(), Ms(load_t1 - load_t0), PeakRssMb());
  std::fflush(stdout);
  const maestro::model::Environment& env = loaded->environment;

  NoChecks checks;
  NullSink sink;
  maestro::plays::PlayWorld world;
  world.env = &env;
  world.ships = &clients;
  world.checks = &checks;
  world.clock = maestro::RealClock::Get();
  world.sink = &sink;

  // The existing containers, created and started without latency.
  if (!existing.empty()) {
    maestro::plays::Scheduler scheduler({});
    auto report = maestro::plays::RunStart(world, existing, {}, scheduler);
    if (report.ExitCode() != 0) return Fail("setup: " + report.FailureSummary());
  }
  for (auto& d : daemons) d->SetLatency(absl::Milliseconds(latency_ms));

  if (!existing.empty()) {
    maestro::plays::Scheduler scheduler({});
    auto t0 = std::chrono::steady_clock::now();
    auto report = maestro::plays::RunStatus(world, existing, {}, false, scheduler);
    auto t1 = std::chrono::steady_clock::now();
    if (report.ExitCode() != 0) return Fail("status: " + report.FailureSummary());
    std::printf("status: %zu containers on %d ships, %d ms latency: %.1f ms, peak RSS %ld MB\n",
                existing.size(), ships, latency_ms, Ms(t1 - t0), PeakRssMb());
    std::fflush(stdout);
  }
  for (int c : concurrency) {
    if (fresh.empty()) break;
    maestro::plays::PlayOptions options;
    options.concurrency = static_cast<size_t>(c);
    maestro::plays::Scheduler scheduler({.concurrency = options.concurrency});
    auto t0 = std::chrono::steady_clock::now();
    auto report = maestro::plays::RunStart(world, fresh, options, scheduler);
    auto t1 = std::chrono::steady_clock::now();
    if (report.ExitCode() != 0) return Fail("start: " + report.FailureSummary());
    std::printf("start -c %d: %zu containers on %d ships, %d ms latency: %.1f ms\n", c,
                fresh.size(), ships, latency_ms, Ms(t1 - t0));
    std::fflush(stdout);
    // Remove them again (without latency) for the next concurrency.
    for (auto& d : daemons) d->SetLatency(absl::ZeroDuration());
    for (const std::string& name : fresh) {
      const maestro::model::Instance* inst = env.FindInstance(name);
      maestro::docker::RemoveContainerOptions rm_options;
      rm_options.force = true;
      absl::Status rm = clients.clients_[inst->ship]->RemoveContainer(name, rm_options);
      if (!rm.ok()) return Fail(std::string(rm.message()));
    }
    for (auto& d : daemons) d->SetLatency(absl::Milliseconds(latency_ms));
  }
  return 0;
}
