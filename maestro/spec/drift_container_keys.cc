#include "maestro/spec/drift_container_keys.h"

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace maestro::spec {
namespace {

using nlohmann::json;

const json& Field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

// A value for a message: strings quoted, null "unset", the rest as JSON.
std::string Text(const json& j) {
  if (j.is_null()) return "unset";
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

class KeyDiffer {
 public:
  // `want` null: compared with `unset` (the field's empty value) unless `only_if_set`.
  void Compare(const char* key, const json& have_object, const char* field, const json& want,
               const json& unset, bool only_if_set = false) {
    if (want.is_null() && only_if_set) return;
    json w = want.is_null() ? unset : want;
    json h = Field(have_object, field);
    if (h.is_null()) h = unset;
    if (w != h) out_.push_back({key, absl::StrCat("is ", Text(w), ", container has ", Text(h))});
  }

  std::vector<Difference> Take() { return std::move(out_); }

 private:
  std::vector<Difference> out_;
};

template <typename T>
json Opt(const std::optional<T>& v) {
  return v ? json(*v) : json();
}

}  // namespace

std::vector<Difference> DiffContainerKeys(const model::ContainerOptions& o, const json& config,
                                          const json& hc) {
  KeyDiffer d;
  const json kEmptyObject = json::object();
  const json kEmptyList = json::array();
  d.Compare("read_only", hc, "ReadonlyRootfs", Opt(o.read_only), false);
  d.Compare("init", hc, "Init", Opt(o.init), false);
  d.Compare("shm_size", hc, "ShmSize", Opt(o.shm_size), 0, true);
  d.Compare("sysctls", hc, "Sysctls", json(o.sysctls), kEmptyObject);
  json devices = json::array();
  for (const model::Device& dev : o.devices) {
    devices.push_back({{"PathOnHost", dev.host},
                       {"PathInContainer", dev.container},
                       {"CgroupPermissions", dev.permissions}});
  }
  d.Compare("devices", hc, "Devices", devices, kEmptyList);
  d.Compare("group_add", hc, "GroupAdd", json(o.group_add), kEmptyList);
  d.Compare("ipc", hc, "IpcMode", Opt(o.ipc), "", true);
  d.Compare("stop_signal", config, "StopSignal", Opt(o.stop_signal), "", true);
  d.Compare("oom_score_adj", hc, "OomScoreAdj", Opt(o.oom_score_adj), 0);
  d.Compare("cpuset", hc, "CpusetCpus", Opt(o.cpuset), "");
  d.Compare("memory_reservation", hc, "MemoryReservation", Opt(o.memory_reservation), 0);
  d.Compare("pids_limit", hc, "PidsLimit", Opt(o.pids_limit), 0, true);
  d.Compare("entrypoint", config, "Entrypoint", Opt(o.entrypoint), kEmptyList, true);
  d.Compare("tty", config, "Tty", Opt(o.tty), false);
  d.Compare("stdin_open", config, "OpenStdin", Opt(o.stdin_open), false);
  d.Compare("domainname", config, "Domainname", Opt(o.domainname), "");
  d.Compare("mac_address", config, "MacAddress", Opt(o.mac_address), "", true);
  return d.Take();
}

}  // namespace maestro::spec
