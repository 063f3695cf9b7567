// Test helpers for the config package's loader tests: load YAML text as "maestro.yaml" in
// /cfg and get the result or the error text. Header-only, testonly. Thread-compatible.
#ifndef MAESTRO_CONFIG_CONFIG_TEST_UTIL_H_
#define MAESTRO_CONFIG_CONFIG_TEST_UTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"

namespace maestro {
namespace config {
namespace test_util {

// LoadEnvironment of `text` as /cfg/maestro.yaml; envfiles come from `files` (none when null).
inline absl::StatusOr<LoadResult> LoadText(const std::string& text,
                                           FakeFileReader* files = nullptr) {
  FakeFileReader empty;
  LoadInput in;
  in.display_name = "maestro.yaml";
  in.base_dir = "/cfg";
  in.text = text;
  return LoadEnvironment(in, files != nullptr ? *files : empty);
}

// Every error line of loading `text`, or "<ok>" when it loads.
inline std::string LoadErrors(const std::string& text, FakeFileReader* files = nullptr) {
  absl::StatusOr<LoadResult> r = LoadText(text, files);
  if (r.ok()) return "<ok>";
  return std::string(r.status().message());
}

}  // namespace test_util
}  // namespace config
}  // namespace maestro

#endif  // MAESTRO_CONFIG_CONFIG_TEST_UTIL_H_
