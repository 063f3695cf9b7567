#include "maestro/base/heap.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace maestro {
namespace {

std::string ReadFileOrEmpty(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The VmFlags line of the smaps entry of the mapping that contains `address` ("" if none).
std::string VmFlagsOf(uintptr_t address) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2) {
      inside = address >= lo && address < hi;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

TEST(HeapTest, MainHeapIsGrownAheadAndAdvisedForHugePages) {
  const std::string thp = ReadFileOrEmpty("/sys/kernel/mm/transparent_hugepage/enabled");
  if (thp.find("[never]") != std::string::npos || thp.empty()) {
    GTEST_SKIP() << "transparent huge pages are disabled on this kernel";
  }
  const uintptr_t before = reinterpret_cast<uintptr_t>(sbrk(0));
  ASSERT_TRUE(TuneProcessHeap());
  const uintptr_t after = reinterpret_cast<uintptr_t>(sbrk(0));
  EXPECT_GE(after - before, kHeapStep);
  // " hg" is the VmFlags mnemonic of MADV_HUGEPAGE.
  const std::string flags = VmFlagsOf(after - (uintptr_t{4} << 20));
  EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
}

}  // namespace
}  // namespace maestro
