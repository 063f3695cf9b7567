// The Compose-style container keys of an instance (docs/environment.md#container-keys):
// tmpfs, read_only, init, shm_size, sysctls, devices, group_add, ipc, stop_signal,
// oom_score_adj, cpuset, memory_reservation, pids_limit, entrypoint, tty, stdin_open,
// domainname and mac_address (cpu_shares is limits.cpu). Plain values, already parsed and
// validated by the loader; unset fields are nullopt/empty and are left out of the create body.
// Value semantics; immutable after loading, so safe to share between threads.
#ifndef MAESTRO_MODEL_CONTAINER_OPTIONS_H_
#define MAESTRO_MODEL_CONTAINER_OPTIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace maestro {
namespace model {

// A host device made available in the container (HostConfig.Devices).
struct Device {
  std::string host;         // PathOnHost
  std::string container;    // PathInContainer (defaults to host)
  std::string permissions;  // CgroupPermissions: a non-empty subset of "rwm" (default "rwm")

  bool operator==(const Device& o) const {
    return host == o.host && container == o.container && permissions == o.permissions;
  }
};

struct ContainerOptions {
  // container path -> mount options as Docker takes them ("size=67108864,mode=1777", or "");
  // sizes are normalised to bytes, modes to octal without a leading 0.
  std::map<std::string, std::string> tmpfs;
  std::optional<bool> read_only;               // HostConfig.ReadonlyRootfs
  std::optional<bool> init;                    // HostConfig.Init
  std::optional<int64_t> shm_size;             // HostConfig.ShmSize, bytes
  std::map<std::string, std::string> sysctls;  // HostConfig.Sysctls
  std::vector<Device> devices;                 // HostConfig.Devices, in YAML order
  std::vector<std::string> group_add;          // HostConfig.GroupAdd
  std::optional<std::string> ipc;              // HostConfig.IpcMode
  std::optional<std::string> stop_signal;      // Config.StopSignal ("SIGTERM", "SIGRTMIN+3")
  std::optional<int64_t> oom_score_adj;        // HostConfig.OomScoreAdj, -1000..1000
  std::optional<std::string> cpuset;           // HostConfig.CpusetCpus ("0-2,4")
  std::optional<int64_t> memory_reservation;   // HostConfig.MemoryReservation, bytes
  std::optional<int64_t> pids_limit;           // HostConfig.PidsLimit (-1: unlimited)
  std::optional<std::vector<std::string>> entrypoint;  // Config.Entrypoint
  std::optional<bool> tty;                             // Config.Tty
  std::optional<bool> stdin_open;                      // Config.OpenStdin
  std::optional<std::string> domainname;               // Config.Domainname
  std::optional<std::string> mac_address;              // Config.MacAddress
};

}  // namespace model
}  // namespace maestro

#endif  // MAESTRO_MODEL_CONTAINER_OPTIONS_H_
