// Replays testdata/docker/fuzz/multiplexed_stream/ (and mutations) through the fuzz entry point,
// so the fuzzer never rots. The HTTP response parser's corpus is replayed by
// //maestro/http:fuzz_corpus_test.
#include "gtest/gtest.h"
#include "maestro/docker/fuzzers.h"
#include "maestro/testing/fuzz_replay.h"

namespace maestro::docker {
namespace {

TEST(FuzzCorpusTest, MultiplexedStream) {
  testing::ReplayFuzzCorpus("testdata/docker/fuzz/multiplexed_stream", &MultiplexedStreamFuzz);
}

}  // namespace
}  // namespace maestro::docker
