// CaptureStreams: Streams over two temporary files, read back as strings, for CLI tests.
// Owns its files. Thread-compatible. Testonly.
#ifndef MAESTRO_CLI_CAPTURE_STREAMS_H_
#define MAESTRO_CLI_CAPTURE_STREAMS_H_

#include <cstdio>
#include <string>

#include "maestro/cli/commands.h"

namespace maestro::cli {

class CaptureStreams {
 public:
  CaptureStreams() : out_(std::tmpfile()), err_(std::tmpfile()) {}
  ~CaptureStreams() {
    std::fclose(out_);
    std::fclose(err_);
  }
  Streams streams() { return {out_, err_}; }
  std::string out() { return Read(out_); }
  std::string err() { return Read(err_); }

 private:
  static std::string Read(FILE* f) {
    std::fflush(f);
    std::rewind(f);
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    return s;
  }
  FILE* out_;
  FILE* err_;
};

}  // namespace maestro::cli

#endif  // MAESTRO_CLI_CAPTURE_STREAMS_H_
