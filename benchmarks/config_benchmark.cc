// The stages of `maestro deptree` on the 6,000-instance benchmark environment
// (benchmarks/testdata/deptree_6000.yaml.j2): Jinja render, YAML parse (config::ParseYaml),
// the whole load (config::LoadEnvironment: model, validation, cycles, link variables) and
// the injected environment of one container (model::Instance::DockerEnv, what `start` sends
// for each container).
//
// Run from the workspace root (bazel run sets it): the template is read from
// benchmarks/testdata/. MAESTRO_BENCH_UNIT scales the file (default 1000 -> 6,000 instances).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "benchmark/benchmark.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"
#include "maestro/config/yaml_tree.h"
#include "maestro/template/template.h"

namespace {

constexpr char kTemplatePath[] = "benchmarks/testdata/deptree_6000.yaml.j2";

const std::string& Source() {
  static const std::string* text = [] {
    std::ifstream in(kTemplatePath);
    std::stringstream ss;
    ss << in.rdbuf();
    return new std::string(ss.str());
  }();
  return *text;
}

std::string Render() {
  maestro::jinja::Environment templates(nullptr);
  std::vector<std::pair<std::string, maestro::jinja::Value>> context = {
      {"env", maestro::jinja::MakeEnvDict()}};
  auto out = templates.RenderString(Source(), kTemplatePath, context);
  if (!out.ok()) {
    std::fprintf(stderr, "render failed: %s\n", std::string(out.status().message()).c_str());
    std::abort();
  }
  return *out;
}

const std::string& Rendered() {
  static const std::string* text = new std::string(Render());
  return *text;
}

void BM_Render(benchmark::State& state) {
  if (Source().empty()) {
    state.SkipWithError(
        "cannot read benchmarks/testdata/deptree_6000.yaml.j2 (run from the "
        "workspace root)");
    return;
  }
  for (auto _ : state) {
    std::string out = Render();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(Rendered().size());
}
BENCHMARK(BM_Render)->Unit(benchmark::kMillisecond);

void BM_ParseYaml(benchmark::State& state) {
  if (Source().empty()) {
    state.SkipWithError("cannot read the benchmark template");
    return;
  }
  const std::string& text = Rendered();
  for (auto _ : state) {
    auto tree = maestro::config::ParseYaml("bench.yaml", text);
    if (!tree.ok()) {
      state.SkipWithError(std::string(tree.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(tree->kind);
  }
}
BENCHMARK(BM_ParseYaml)->Unit(benchmark::kMillisecond);

maestro::config::LoadResult Load() {
  maestro::config::FakeFileReader files;
  maestro::config::LoadInput in;
  in.display_name = "bench.yaml";
  in.text = Rendered();
  auto r = maestro::config::LoadEnvironment(in, files);
  if (!r.ok()) {
    std::fprintf(stderr, "load failed: %s\n", std::string(r.status().message()).c_str());
    std::abort();
  }
  return *std::move(r);
}

void BM_LoadEnvironment(benchmark::State& state) {
  if (Source().empty()) {
    state.SkipWithError("cannot read the benchmark template");
    return;
  }
  size_t instances = 0;
  for (auto _ : state) {
    maestro::config::LoadResult r = Load();
    instances = r.environment.instances.size();
    benchmark::DoNotOptimize(instances);
  }
  state.counters["instances"] = static_cast<double>(instances);
}
BENCHMARK(BM_LoadEnvironment)->Unit(benchmark::kMillisecond);

// The Docker Env list of the last (most linked) container: built per container at `start`.
void BM_DockerEnvOfOneContainer(benchmark::State& state) {
  if (Source().empty()) {
    state.SkipWithError("cannot read the benchmark template");
    return;
  }
  static const maestro::config::LoadResult* loaded = new maestro::config::LoadResult(Load());
  const maestro::model::Instance& c = loaded->environment.instances.back();
  size_t vars = 0;
  for (auto _ : state) {
    std::vector<std::string> env = c.DockerEnv();
    vars = env.size();
    benchmark::DoNotOptimize(env.data());
  }
  state.counters["variables"] = static_cast<double>(vars);
}
BENCHMARK(BM_DockerEnvOfOneContainer)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
