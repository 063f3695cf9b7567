// Helpers shared by the FakeDockerHost sources.
#include "maestro/testing/fake_docker_host_internal.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace maestro::testing::fake_internal {

namespace {

using nlohmann::json;

constexpr char kNever[] = "0001-01-01T00:00:00Z";

uint64_t Fnv(absl::string_view s, uint64_t salt) {
  uint64_t h = 14695981039346656037ull ^ salt;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string NormalizeRef(absl::string_view ref) {
  size_t colon = ref.rfind(':');
  if (colon == absl::string_view::npos ||
      ref.substr(colon + 1).find('/') != absl::string_view::npos) {
    return absl::StrCat(ref, ":latest");
  }
  if (colon + 1 == ref.size()) return absl::StrCat(ref, "latest");
  return std::string(ref);
}

std::string Hex64(absl::string_view seed) {
  std::string out;
  for (uint64_t salt = 1; salt <= 4; ++salt) {
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(Fnv(seed, salt)));
    out += buf;
  }
  return out;
}

std::string DerivedImageId(absl::string_view ref) { return "sha256:" + Hex64(ref); }

std::string FormatTime(std::optional<absl::Time> t) {
  if (!t) return kNever;
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", *t, absl::UTCTimeZone());
}

const char* StateName(FakeContainerState s) {
  switch (s) {
    case FakeContainerState::kCreated:
      return "created";
    case FakeContainerState::kRunning:
      return "running";
    case FakeContainerState::kExited:
      return "exited";
  }
  return "unknown";
}

std::string Ago(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 1) return "Less than a second";
  if (s < 60) return absl::StrCat(s, " seconds");
  if (s < 3600) return s < 120 ? "About a minute" : absl::StrCat(s / 60, " minutes");
  if (s < 86400) return s < 7200 ? "About an hour" : absl::StrCat(s / 3600, " hours");
  return absl::StrCat(s / 86400, " days");
}

json MergeObjects(const json& a, const json& b) {
  json out = json::object();
  if (a.is_object()) out.update(a);
  if (b.is_object()) out.update(b);
  return out.empty() ? json(nullptr) : out;
}

std::string EnvKey(const std::string& entry) { return entry.substr(0, entry.find('=')); }

bool IpsOverlap(const std::string& a, const std::string& b) {
  auto any = [](const std::string& ip) { return ip.empty() || ip == "0.0.0.0" || ip == "::"; };
  return any(a) || any(b) || a == b;
}

bool LabelsMatch(const nlohmann::json& object, const std::vector<std::string>& filters) {
  const nlohmann::json labels = object.value("Labels", nlohmann::json::object());
  for (const std::string& filter : filters) {
    size_t eq = filter.find('=');
    std::string key = filter.substr(0, eq);
    if (!labels.is_object() || !labels.contains(key)) return false;
    if (eq != std::string::npos &&
        (!labels[key].is_string() || labels[key].get<std::string>() != filter.substr(eq + 1))) {
      return false;
    }
  }
  return true;
}

}  // namespace maestro::testing::fake_internal
