// ReplayFuzzCorpus: runs a libFuzzer-style entry point over every file of a corpus directory
// (relative to the test's runfiles working directory) and over deterministic mutations of each,
// so that fuzzers are exercised as ordinary tests and never rot. Fails the current gtest when
// the corpus has fewer than `min_files` files. Single-threaded; call from a TEST body.
#ifndef MAESTRO_TESTING_FUZZ_REPLAY_H_
#define MAESTRO_TESTING_FUZZ_REPLAY_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace maestro::testing {

using FuzzEntryPoint = int (*)(const uint8_t* data, size_t size);

void ReplayFuzzCorpus(const std::string& dir, FuzzEntryPoint fn, size_t min_files = 5);

}  // namespace maestro::testing

#endif  // MAESTRO_TESTING_FUZZ_REPLAY_H_
