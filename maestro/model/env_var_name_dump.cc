// Test helper: prints ToEnvVarName(chr(cp)) as hex UTF-8, one line per code point (surrogates
// skipped), for env_contract_python_test.sh to compare with Python's own result.
#include <cstdint>
#include <cstdio>
#include <string>

#include "maestro/model/env_contract.h"

int main() {
  for (uint32_t cp = 0; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string s;
    maestro::unicode::AppendUtf8(cp, &s);
    for (unsigned char c : maestro::env_contract::ToEnvVarName(s)) std::printf("%02x", c);
    std::printf("\n");
  }
  return 0;
}
