#include "maestro/base/heap.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace maestro {

bool TuneProcessHeap() {
  mallopt(M_ARENA_MAX, 1);
  // Grow (and keep) the main heap by kHeapStep at a time. Freed memory at the top is returned to
  // the kernel only beyond twice that, so a command that allocates and frees in waves does not
  // pay the faults again.
  mallopt(M_TOP_PAD, static_cast<int>(kHeapStep));
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * kHeapStep));

  // Make malloc extend the heap now (by kHeapStep, the top pad): small blocks until the break
  // moves, at most 64 of them, all freed again.
  constexpr size_t kProbe = 96 << 10;  // below glibc's smallest mmap threshold (128 KiB)
  constexpr int kMaxProbes = 64;
  void* probes[kMaxProbes] = {};
  const uintptr_t old_break = reinterpret_cast<uintptr_t>(sbrk(0));
  int n = 0;
  while (n < kMaxProbes && reinterpret_cast<uintptr_t>(sbrk(0)) == old_break) {
    probes[n] = malloc(kProbe);
    if (probes[n] == nullptr) break;
    ++n;
  }
  for (int i = 0; i < n; ++i) free(probes[i]);

  // The main arena's memory is [break - arena, break).
  const uintptr_t end = reinterpret_cast<uintptr_t>(sbrk(0));
  const struct mallinfo2 info = mallinfo2();
  if (end == static_cast<uintptr_t>(-1) || info.arena > end) return false;
  const uintptr_t start = end - info.arena;
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t first = (start + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t last = end & ~(kHuge - 1);
  if (last <= first) return false;
  return madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE) == 0;
}

void ReleaseFreeHeap() { malloc_trim(0); }

}  // namespace maestro
