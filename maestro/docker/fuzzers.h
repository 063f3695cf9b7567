// Fuzz entry point (libFuzzer signature) for the multiplexed stream parser. Built into a fuzzer
// binary with -fsanitize=fuzzer by a clang config, and replayed over testdata/docker/fuzz/ by
// fuzz_corpus_test without libFuzzer. (The HTTP response parser's is maestro/http.)
#ifndef MAESTRO_DOCKER_FUZZERS_H_
#define MAESTRO_DOCKER_FUZZERS_H_

#include <cstddef>
#include <cstdint>

namespace maestro::docker {
int MultiplexedStreamFuzz(const uint8_t* data, size_t size);
}  // namespace maestro::docker

#endif  // MAESTRO_DOCKER_FUZZERS_H_
