// Fuzz entry point (libFuzzer signature) for HttpResponseParser. Built into a fuzzer binary with
// -fsanitize=fuzzer by a clang config, and replayed over testdata/http/fuzz/http_response/ by
// fuzz_corpus_test without libFuzzer. Reentrant.
#ifndef MAESTRO_HTTP_RESPONSE_FUZZER_H_
#define MAESTRO_HTTP_RESPONSE_FUZZER_H_

#include <cstddef>
#include <cstdint>

namespace maestro::http {
int HttpResponseFuzz(const uint8_t* data, size_t size);
}  // namespace maestro::http

#endif  // MAESTRO_HTTP_RESPONSE_FUZZER_H_
