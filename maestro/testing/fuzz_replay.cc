#include "maestro/testing/fuzz_replay.h"

#include <dirent.h>

#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "gtest/gtest.h"

namespace maestro::testing {
namespace {

std::vector<std::string> ReadDir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::ifstream in(dir + "/" + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  closedir(d);
  return out;
}

}  // namespace

void ReplayFuzzCorpus(const std::string& dir, FuzzEntryPoint fn, size_t min_files) {
  std::vector<std::string> corpus = ReadDir(dir);
  ASSERT_GE(corpus.size(), min_files) << "corpus missing: " << dir;
  std::mt19937 rng(1234);
  for (const std::string& input : corpus) {
    fn(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    for (int m = 0; m < 50; ++m) {
      std::string mutated = input;
      int edits = 1 + rng() % 4;
      for (int e = 0; e < edits && !mutated.empty(); ++e) {
        size_t pos = rng() % mutated.size();
        switch (rng() % 3) {
          case 0:
            mutated[pos] = static_cast<char>(rng());
            break;
          case 1:
            mutated.erase(pos, 1 + rng() % 8);
            break;
          case 2:
            mutated.insert(pos, mutated.substr(rng() % mutated.size(), 1 + rng() % 16));
            break;
        }
      }
      fn(reinterpret_cast<const uint8_t*>(mutated.data()), mutated.size());
    }
  }
}

}  // namespace maestro::testing
