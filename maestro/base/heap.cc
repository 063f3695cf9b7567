#include "maestro/base/heap.h"

#include <malloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

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

void ReexecWithoutThreadCaches(char** argv) {
  constexpr char kSetting[] = "glibc.malloc.tcache_count=0";
  if (const char* marker = std::getenv(kHeapReexecMarker)) {
    // The re-executed process: glibc has read the setting; give the caller's value back.
    // "=VALUE" when GLIBC_TUNABLES was set, "-" when it was not.
    if (marker[0] == '=') {
      setenv("GLIBC_TUNABLES", marker + 1, 1);
    } else {
      unsetenv("GLIBC_TUNABLES");
    }
    unsetenv(kHeapReexecMarker);
    return;
  }
  if (argv == nullptr || argv[0] == nullptr) return;
  const char* current = std::getenv("GLIBC_TUNABLES");
  if (current != nullptr && std::strstr(current, "glibc.malloc.tcache_count") != nullptr) return;
  const std::string original = current == nullptr ? "-" : std::string("=") + current;
  const std::string tunables =
      current == nullptr || current[0] == '\0' ? kSetting : std::string(current) + ":" + kSetting;
  if (setenv(kHeapReexecMarker, original.c_str(), 1) != 0) return;
  if (setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) {
    unsetenv(kHeapReexecMarker);
    return;
  }
  // A Ctrl-C or SIGTERM during the exec stays pending for the re-executed process instead of
  // being lost: a parent may have left them ignored (a shell's background job), and an ignored
  // disposition would be inherited. Both reach the new process blocked, with their default
  // action, which is how maestro's main wants them (it sigwaits for them).
  sigset_t stop;
  sigset_t old_mask;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop, &old_mask);
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  struct sigaction old_int = {};
  struct sigaction old_term = {};
  sigaction(SIGINT, &default_action, &old_int);
  sigaction(SIGTERM, &default_action, &old_term);
  execv("/proc/self/exe", argv);
  // Not re-executed: run as we are, with the environment and signals as they were.
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (current == nullptr) {
    unsetenv("GLIBC_TUNABLES");
  } else {
    setenv("GLIBC_TUNABLES", original.c_str() + 1, 1);
  }
  unsetenv(kHeapReexecMarker);
}

void ReleaseFreeHeap() {
  // The bulk phase is over: from here on, small pages and the usual trimming, so that what the
  // rest of the command frees (create bodies, answers) goes back instead of keeping whole huge
  // pages and a 128 MiB top pad resident. Allocations of 128 KiB and more are mmapped again.
  mallopt(M_TOP_PAD, static_cast<int>(kSettledTopPad));
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * kSettledTopPad));
  mallopt(M_MMAP_THRESHOLD, 128 << 10);
  mallopt(M_MXFAST, 0);
  const struct mallinfo2 info = mallinfo2();
  const uintptr_t end = reinterpret_cast<uintptr_t>(sbrk(0));
  if (end != static_cast<uintptr_t>(-1) && info.arena <= end) {
    const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const uintptr_t start = (end - info.arena + page - 1) & ~(page - 1);
    // Existing huge pages are split where malloc_trim below gives back part of one.
    if (end > start) (void)madvise(reinterpret_cast<void*>(start), end - start, MADV_NOHUGEPAGE);
  }
  malloc_trim(0);
}

}  // namespace maestro
