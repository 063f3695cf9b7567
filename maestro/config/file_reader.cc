#include "maestro/config/file_reader.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/read_file.h"

namespace maestro {
namespace config {

absl::StatusOr<std::string> RealFileReader::Read(const std::string& path) {
  absl::StatusOr<std::string> content = base::ReadRegularFile(path);
  if (!content.ok()) {
    return absl::Status(content.status().code(),
                        absl::StrCat("cannot read ", content.status().message()));
  }
  absl::string_view text = base::StripUtf8Bom(*content);
  if (text.size() != content->size()) return std::string(text);
  return content;
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
