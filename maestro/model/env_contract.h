// The container environment contract: the names of the variables maestro injects into every
// container (docs/guest.md#the-variables) and that the guest helpers read back (docs/guest.md).
// Header-only and standard-library-only (with its generated unicode_tables.h), because guest/
// includes it too: this one file is the single source of truth for both sides. Pure functions;
// safe from any thread.
#ifndef MAESTRO_MODEL_ENV_CONTRACT_H_
#define MAESTRO_MODEL_ENV_CONTRACT_H_

#include <cstdint>
#include <string>

#include "maestro/model/unicode_tables.h"

namespace maestro {
namespace env_contract {

inline constexpr const char kEnvironmentName[] = "MAESTRO_ENVIRONMENT_NAME";
inline constexpr const char kServiceName[] = "SERVICE_NAME";
inline constexpr const char kContainerName[] = "CONTAINER_NAME";
inline constexpr const char kContainerHostAddress[] = "CONTAINER_HOST_ADDRESS";
inline constexpr const char kDockerImage[] = "DOCKER_IMAGE";
inline constexpr const char kDockerTag[] = "DOCKER_TAG";

// MaestroNG's _to_env_var_name: re.sub(r'[^\w]', '_', name).upper() on a Python str. Every
// character (code point) that is not in Python's Unicode-aware \w (ch.isalnum() or '_')
// becomes one '_', and the rest are upper-cased with Python's full case mapping ('ß' -> "SS"),
// both from the generated tables in unicode_tables.h. A byte that is not valid UTF-8 (never in
// a loaded YAML file) becomes '_'.
inline std::string ToEnvVarName(const std::string& name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size();) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {  // fast path: ASCII
      bool word =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      out.push_back(word ? static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c) : '_');
      ++i;
      continue;
    }
    uint32_t cp = 0;
    if (unicode::DecodeUtf8(name, &i, &cp) && unicode::IsWordChar(cp)) {
      unicode::AppendUpperUtf8(cp, &out);
    } else {
      out.push_back('_');
    }
  }
  return out;
}

// {S}_{C}_HOST: the ship address of container C of service S.
inline std::string HostVar(const std::string& service, const std::string& container) {
  return ToEnvVarName(service) + "_" + ToEnvVarName(container) + "_HOST";
}

// {S}_{C}_{P}_PORT: the external (host) port of named port P.
inline std::string PortVar(const std::string& service, const std::string& container,
                           const std::string& port) {
  return ToEnvVarName(service) + "_" + ToEnvVarName(container) + "_" + ToEnvVarName(port) + "_PORT";
}

// {S}_{C}_{P}_INTERNAL_PORT: the exposed (container) port; given to peers of S only.
inline std::string InternalPortVar(const std::string& service, const std::string& container,
                                   const std::string& port) {
  return ToEnvVarName(service) + "_" + ToEnvVarName(container) + "_" + ToEnvVarName(port) +
         "_INTERNAL_PORT";
}

// {S}_INSTANCES: comma-joined, sorted, raw (unsanitised) container names of S.
inline std::string InstancesVar(const std::string& service) {
  return ToEnvVarName(service) + "_INSTANCES";
}

}  // namespace env_contract
}  // namespace maestro

#endif  // MAESTRO_MODEL_ENV_CONTRACT_H_
