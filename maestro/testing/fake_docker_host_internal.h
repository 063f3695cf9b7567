// Helpers shared by the FakeDockerHost sources (fake_docker_host*.cc); not for other users.
// Pure functions: thread-safe.
#ifndef MAESTRO_TESTING_FAKE_DOCKER_HOST_INTERNAL_H_
#define MAESTRO_TESTING_FAKE_DOCKER_HOST_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "maestro/testing/fake_docker_host.h"
#include "nlohmann/json.hpp"

namespace maestro::testing::fake_internal {

inline constexpr int kEphemeralFirst = 32768;
// The Status payload under which the host's errors carry the daemon's own message.
inline constexpr char kDaemonMessagePayload[] = "type.maestro/fake_daemon_message";

// "ubuntu" -> "ubuntu:latest"; "host:5000/x" -> "host:5000/x:latest" (as MaestroNG).
std::string NormalizeRef(absl::string_view ref);
// 64 hex digits derived from `seed`.
std::string Hex64(absl::string_view seed);
std::string DerivedImageId(absl::string_view ref);
// RFC 3339 with nanoseconds; Docker's zero time for nullopt.
std::string FormatTime(std::optional<absl::Time> t);
const char* StateName(FakeContainerState s);
// "Up <Ago>" / "Exited (0) <Ago> ago" as `docker ps` words it.
std::string Ago(absl::Duration d);
// Merges the keys of two JSON objects (b wins); null when both are empty.
nlohmann::json MergeObjects(const nlohmann::json& a, const nlohmann::json& b);
std::string EnvKey(const std::string& entry);
bool IpsOverlap(const std::string& a, const std::string& b);
// `object`'s Labels match every filter ("key" or "key=value").
bool LabelsMatch(const nlohmann::json& object, const std::vector<std::string>& filters);

}  // namespace maestro::testing::fake_internal

#endif  // MAESTRO_TESTING_FAKE_DOCKER_HOST_INTERNAL_H_
