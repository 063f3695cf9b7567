#include "maestro/config/file_reader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace maestro {
namespace config {

absl::StatusOr<std::string> RealFileReader::Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string message = absl::StrCat("cannot read ", path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    return absl::UnavailableError(message);
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return absl::UnavailableError(absl::StrCat("error reading ", path));
  return out.str();
}

absl::StatusOr<std::string> FakeFileReader::Read(const std::string& path) {
  auto it = files_.find(path);
  if (it == files_.end()) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": No such file or directory"));
  }
  return it->second;
}

std::string JoinPath(const std::string& base, const std::string& path) {
  if (base.empty() || (!path.empty() && path[0] == '/')) return path;
  if (base.back() == '/') return base + path;
  return base + "/" + path;
}

}  // namespace config
}  // namespace maestro
