// The injectable file-system seam of the loader: envfiles are read through a FileReader so
// loading is testable without touching disk. RealFileReader reads the local file system:
// regular files only, at most 64 MiB (base/read_file.h: /dev/zero, a FIFO or a directory is an
// error, never a hang), a leading UTF-8 byte-order mark dropped; FakeFileReader serves an
// in-memory map as is. Implementations must be safe to call from the
// loading thread only (the loader is single-threaded); the two here are stateless/const.
#ifndef MAESTRO_CONFIG_FILE_READER_H_
#define MAESTRO_CONFIG_FILE_READER_H_

#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace maestro {
namespace config {

class FileReader {
 public:
  virtual ~FileReader() = default;
  // The whole content of `path`. NotFound when it does not exist; other errors as they come
  // (messages "cannot read <path>: <why>").
  virtual absl::StatusOr<std::string> Read(const std::string& path) = 0;
};

class RealFileReader : public FileReader {
 public:
  absl::StatusOr<std::string> Read(const std::string& path) override;
};

class FakeFileReader : public FileReader {
 public:
  FakeFileReader() = default;
  explicit FakeFileReader(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  void Add(const std::string& path, std::string content) { files_[path] = std::move(content); }
  absl::StatusOr<std::string> Read(const std::string& path) override;

 private:
  std::map<std::string, std::string> files_;
};

// Python's os.path.join(base, path): `path` when absolute or when base is empty.
std::string JoinPath(const std::string& base, const std::string& path);

}  // namespace config
}  // namespace maestro

#endif  // MAESTRO_CONFIG_FILE_READER_H_
