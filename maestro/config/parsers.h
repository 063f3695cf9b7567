// Parsers for the value formats of an environment file (docs/environment.md): port
// specs, byte sizes, restart policies, volume maps, envfiles and shell-like command strings.
// Each returns a value or an InvalidArgument status whose message says what is wrong with the
// value but not where (the loader prefixes file:line:col and the YAML path). Pure functions;
// safe from any thread.
#ifndef MAESTRO_CONFIG_PARSERS_H_
#define MAESTRO_CONFIG_PARSERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "maestro/config/yaml_tree.h"
#include "maestro/model/environment.h"

namespace maestro {
namespace config {

// One side of a mapping: "<p>", "<p1>-<p2>", optionally "/tcp" or "/udp" (default tcp).
absl::StatusOr<model::PortAtom> ParsePortAtom(absl::string_view atom);

// A named port (docs/environment.md#ports): 80, "80/udp", "80:8080" (exposed:external),
// "1234-1236", {exposed: X, external: Y} or {exposed: X, external: [ip, Y]}. Unlike MaestroNG the
// mapping form also checks that both sides use the same protocol, and port numbers must be 1-65535.
// An exposed range needs an external range of the same length ("1000-1002:2000-2002", not
// "1000-1002:2000" or "1000-1002:2000-2010"); one exposed port may map to an external range.
absl::StatusOr<model::Port> ParsePort(const std::string& name, const YamlNode& spec);

// Memory/swap sizes (docs/environment.md#sizes): an integer, a digit string, or digits with a k/m/g
// suffix (case-insensitive, powers of 1024). "1.5g", "10b", "k" and negative sizes are errors.
// Null or an empty string give nullopt.
absl::StatusOr<std::optional<int64_t>> ParseBytes(const YamlNode& value);

// Durations (docs/environment.md#durations), in nanoseconds: a non-negative number of seconds
// (5, 0.5, "30"), or Go-style units summed: "5s", "1m30s", "500ms", "1h", "1.5s" (units ns, us,
// ms, s, m, h). A value above 0 and below 1ms is an error (Docker's minimum), as is one above
// 10000 hours.
absl::StatusOr<int64_t> ParseDuration(const YamlNode& value);

// Restart policies (docs/environment.md#restart-policies): "no", "always", "on-failure[:N]",
// "unless-stopped", {name: X, retries: N} (also `maximum_retry_count: N`, as the MaestroNG docs
// spell it), null, false (unquoted `no`) and [] (both {no, 0}). Other types are errors.
absl::StatusOr<model::RestartPolicy> ParseRestart(const YamlNode& value);

// Bind mounts (docs/environment.md#volumes). Schema 1: {container_path: host_path}, always rw.
// Schema 2 (any other schema): {host_path: target} (mode rw) or {host_path: {target: T, mode: M}}.
// Result sorted by host path. A host path bound twice is an error.
absl::StatusOr<std::vector<model::Bind>> ParseVolumes(const YamlNode& value, int schema);

// docker-py's env-file format: lines whose first character is '#' are comments,
// blank lines are skipped, other lines are stripped and split on the first '='. No quoting,
// no expansion. A line without '=' is an error naming its line number.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseEnvFile(
    absl::string_view content);

// What a container environment can hold: a non-empty name without '=' or NUL, a value
// without NUL. The message names the variable but never quotes its value.
absl::Status CheckEnvVariable(absl::string_view name, absl::string_view value);

// Python's shlex.split (POSIX mode, no comments).
absl::StatusOr<std::vector<std::string>> ShlexSplit(absl::string_view text);

// Levenshtein distance, for "did you mean" suggestions.
int EditDistance(absl::string_view a, absl::string_view b);
// The closest candidate within a small distance of `word`, or "".
std::string Suggest(absl::string_view word, const std::vector<std::string>& candidates);

}  // namespace config
}  // namespace maestro

#endif  // MAESTRO_CONFIG_PARSERS_H_
