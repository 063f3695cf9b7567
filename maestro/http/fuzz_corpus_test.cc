// Replays testdata/http/fuzz/http_response/ (and mutations) through HttpResponseFuzz, so the
// fuzzer never rots.
#include "gtest/gtest.h"
#include "maestro/http/response_fuzzer.h"
#include "maestro/testing/fuzz_replay.h"

namespace maestro::http {
namespace {

TEST(FuzzCorpusTest, HttpResponse) {
  testing::ReplayFuzzCorpus("testdata/http/fuzz/http_response", &HttpResponseFuzz);
}

}  // namespace
}  // namespace maestro::http
