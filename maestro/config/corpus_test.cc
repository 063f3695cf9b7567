// Data-driven tests over testdata/envs/ (each file rendered as a template first, as maestro
// does): every invalid/*.yaml must fail with the exact first
// error line of its sibling *.expected file; every valid/*.yaml must load without errors, and
// when valid/<name>.golden exists it must equal the rendering of every container's injected
// environment (see RenderEnvGolden). Set MAESTRO_CORPUS_PRINT=1 to print the actual results
// instead of comparing (for writing new expectations; review them before committing).
#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "maestro/config/dump.h"
#include "maestro/config/loader.h"
#include "maestro/template/template.h"

namespace maestro {
namespace config {
namespace {

const char kInvalidDir[] = "testdata/envs/invalid";
const char kValidDir[] = "testdata/envs/valid";

std::vector<std::string> ListYaml(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".yaml") == 0) {
      names.push_back(name.substr(0, name.size() - 5));
    }
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const std::string& path, bool* ok = nullptr) {
  std::ifstream in(path, std::ios::binary);
  if (ok != nullptr) *ok = static_cast<bool>(in);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool Printing() { return std::getenv("MAESTRO_CORPUS_PRINT") != nullptr; }

// As `maestro` loads a file (cli/load.cc): rendered as a template with include/import next to
// it (and an empty `env`), then parsed and validated.
absl::StatusOr<LoadResult> LoadFile(const std::string& dir, const std::string& name) {
  jinja::FileSystemLoader templates_dir(dir);
  jinja::Environment templates(&templates_dir);
  absl::StatusOr<std::string> rendered =
      templates.RenderString(ReadFile(dir + "/" + name + ".yaml"), name + ".yaml",
                             {{"env", jinja::MakeEnvDict(std::map<std::string, std::string>())}});
  if (!rendered.ok()) return rendered.status();
  RealFileReader files;
  LoadInput in;
  in.display_name = name + ".yaml";
  in.base_dir = dir;
  in.text = *std::move(rendered);
  return LoadEnvironment(in, files);
}

// "[container]" then its Docker Env lines, for every container in YAML order.
std::string RenderEnvGolden(const model::Environment& env) {
  std::string out;
  for (const model::Instance& c : env.instances) {
    out += "[" + c.name + "]\n";
    for (const std::string& line : c.DockerEnv()) out += line + "\n";
  }
  return out;
}

TEST(CorpusTest, InvalidFilesFailWithTheExpectedFirstError) {
  std::vector<std::string> names = ListYaml(kInvalidDir);
  EXPECT_GE(names.size(), 35u);
  for (const std::string& name : names) {
    auto result = LoadFile(kInvalidDir, name);
    std::string first = "<loaded without error>";
    if (!result.ok()) {
      std::string message(result.status().message());
      first = message.substr(0, message.find('\n'));
    }
    if (Printing()) {
      std::cout << "=== " << name << "\n" << first << "\n";
      continue;
    }
    bool found = false;
    std::string expected = ReadFile(std::string(kInvalidDir) + "/" + name + ".expected", &found);
    ASSERT_TRUE(found) << "missing " << name << ".expected";
    while (!expected.empty() && expected.back() == '\n') expected.pop_back();
    EXPECT_EQ(first, expected) << "in " << name << ".yaml";
  }
}

TEST(CorpusTest, ValidFilesLoadAndMatchTheirGoldens) {
  std::vector<std::string> names = ListYaml(kValidDir);
  EXPECT_GE(names.size(), 4u);
  for (const std::string& name : names) {
    auto result = LoadFile(kValidDir, name);
    ASSERT_TRUE(result.ok()) << name << ": " << result.status();
    // The dump must always be serialisable.
    EXPECT_FALSE(DumpEnvironment(result->environment).dump(2).empty());
    std::string actual = RenderEnvGolden(result->environment);
    if (Printing()) {
      std::cout << "=== " << name << "\n" << actual;
      for (const Diagnostic& w : result->warnings) std::cout << "warning: " << w.ToString() << "\n";
      continue;
    }
    bool found = false;
    std::string golden = ReadFile(std::string(kValidDir) + "/" + name + ".golden", &found);
    if (found) {
      EXPECT_EQ(actual, golden) << "in " << name << ".golden";
    }
  }
}

}  // namespace
}  // namespace config
}  // namespace maestro
