// TuneProcessHeap: the malloc settings of the maestro binary, applied once at the start of main
// before any thread exists.
//
// - One malloc arena instead of glibc's 8 per core: maestro's worker threads (up to 256) mostly
//   wait on daemons, and extra arenas only fragment (`start` of 1,200 instances: 83 -> 48 MB
//   with two). With one, the workers reuse what loading the environment freed instead of
//   growing a second arena (`start` of 6,000 instances: 70 -> 62-66 MB, docs/benchmarks.md).
// - The main heap grows in steps of kHeapStep instead of 128 KiB, and that range is advised for
//   transparent huge pages (when the kernel's THP mode is `madvise` or `always`). Loading a
//   large environment allocates millions of small nodes: with 4 KiB pages that is ~8,700 page
//   faults for the 6,000-instance deptree file, with 2 MiB pages ~150, which removes most of
//   the system time of a short command (docs/benchmarks.md §1). Only touched memory becomes
//   resident, so peak RSS grows by at most one huge page per 2 MiB in use.
//
// Not thread-safe: call before starting threads. Has no effect under sanitizers that replace
// malloc (ASan), which keep their own allocator.
#ifndef MAESTRO_BASE_HEAP_H_
#define MAESTRO_BASE_HEAP_H_

#include <cstddef>

namespace maestro {

inline constexpr size_t kHeapStep = size_t{64} << 20;
// The top pad once the bulk phase is over (ReleaseFreeHeap).
inline constexpr size_t kSettledTopPad = size_t{1} << 20;

// The malloc setting that glibc reads only from the environment at process start: no per-thread
// cache (tcache). With up to 256 worker threads that each park up to 7 freed blocks of every
// small size, the caches held 6-8 MB at the peak of `start` of 6,000 instances (57-60 MB with
// them, 52 MB without; docs/benchmarks.md). Loading is single-threaded and no slower without.
//
// When GLIBC_TUNABLES does not already set glibc.malloc.tcache_count, re-executes the running
// binary (/proc/self/exe, same argv) once with it appended; the re-executed process gets the
// caller's GLIBC_TUNABLES back (or none) before returning, so commands maestro runs see the
// environment it was given. Returns normally when nothing needs doing or the re-exec is not
// possible (no /proc, exec refused): the setting is a memory optimisation, never a requirement.
// SIGINT and SIGTERM reach the re-executed process blocked, with their default action (one
// sent during the exec is pending, not lost): its main must handle them (maestro's sigwaits).
// Call first thing in main, before any thread exists. `kHeapReexecMarker` carries the caller's
// value across the exec.
inline constexpr char kHeapReexecMarker[] = "MAESTRO_HEAP_REEXEC";
void ReexecWithoutThreadCaches(char** argv);

// Returns true when the huge-page advice was applied to the heap range (false when the kernel
// refused it or the heap could not be grown; the arena setting applies either way).
bool TuneProcessHeap();

// Ends the bulk phase TuneProcessHeap set up: gives the kernel back the free pages of every
// malloc arena (glibc malloc_trim), whole pages inside free blocks too, not only the top of the
// heap, and from then on the heap uses small pages, a top pad of kSettledTopPad, trims beyond
// twice that, mmaps blocks of 128 KiB or more and has no fast bins (freed small blocks are
// coalesced at once). For after a phase that frees much more than it keeps: loading an
// environment frees the YAML tree and the template's output, which would otherwise stay
// resident (in huge pages: docs/benchmarks.md) for the whole command, and what the command
// allocates and frees afterwards (create bodies of thousands of link variables) would keep its
// high-water mark resident. Thread-safe (malloc locks each arena); costs a walk over the free
// blocks.
void ReleaseFreeHeap();

}  // namespace maestro

#endif  // MAESTRO_BASE_HEAP_H_
