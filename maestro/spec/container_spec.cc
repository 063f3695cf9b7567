#include "maestro/spec/container_spec.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "maestro/docker/docker_types.h"
#include "maestro/model/env_contract.h"
#include "maestro/spec/network_spec.h"

namespace maestro::spec {
namespace {

using nlohmann::json;

// The version the spec hash is computed for: the canonical modern body.
constexpr char kCanonicalApiVersion[] = "1.41";

// True when `api` is at least `min`. "auto", "" and anything without a digit count as modern.
bool ApiAtLeast(absl::string_view api, absl::string_view min) {
  if (api.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(api[0]))) return true;
  return docker::CompareApiVersions(api, min) >= 0;
}

std::string PortKey(int port, const std::string& protocol) {
  return absl::StrCat(port, "/", protocol);
}

json ExposedPorts(const model::Instance& instance) {
  json out = json::object();
  for (const model::Port& p : instance.ports) {
    for (int port = p.exposed.first; port <= p.exposed.last; ++port) {
      out[PortKey(port, p.exposed.protocol)] = json::object();
    }
  }
  return out;
}

json PortBindings(const model::Instance& instance) {
  json out = json::object();
  for (const model::Port& p : instance.ports) {
    if (!p.exposed.is_range()) {
      out[p.exposed.ToString()].push_back(
          {{"HostIp", p.host_ip}, {"HostPort", p.external.Number()}});
      continue;
    }
    for (int i = 0; i <= p.exposed.last - p.exposed.first; ++i) {
      out[PortKey(p.exposed.first + i, p.exposed.protocol)].push_back(
          {{"HostIp", p.host_ip}, {"HostPort", std::to_string(p.external.first + i)}});
    }
  }
  return out;
}

json Labels(const model::Instance& instance) {
  json out = json::object();
  if (instance.labels) {
    for (const auto& [k, v] : *instance.labels) out[k] = v;
  }
  auto env = instance.env.find(env_contract::kEnvironmentName);
  out[kEnvironmentLabel] = env != instance.env.end() && env->second ? *env->second : "";
  out[kServiceLabel] = instance.service;
  out[kInstanceLabel] = instance.name;
  return out;
}

// The Compose-style keys (model::ContainerOptions) that go in the top-level Config.
void AddContainerKeysConfig(const model::ContainerOptions& o, json& body) {
  if (o.entrypoint) body["Entrypoint"] = *o.entrypoint;
  if (o.tty) body["Tty"] = *o.tty;
  if (o.stdin_open) body["OpenStdin"] = *o.stdin_open;
  if (o.domainname) body["Domainname"] = *o.domainname;
  if (o.mac_address) body["MacAddress"] = *o.mac_address;
  if (o.stop_signal) body["StopSignal"] = *o.stop_signal;
}

// ... and those that go in HostConfig.
void AddContainerKeysHostConfig(const model::ContainerOptions& o, json& hc) {
  if (!o.tmpfs.empty()) hc["Tmpfs"] = o.tmpfs;
  if (o.read_only) hc["ReadonlyRootfs"] = *o.read_only;
  if (o.init) hc["Init"] = *o.init;
  if (o.shm_size) hc["ShmSize"] = *o.shm_size;
  if (!o.sysctls.empty()) hc["Sysctls"] = o.sysctls;
  if (!o.devices.empty()) {
    json devices = json::array();
    for (const model::Device& d : o.devices) {
      devices.push_back({{"PathOnHost", d.host},
                         {"PathInContainer", d.container},
                         {"CgroupPermissions", d.permissions}});
    }
    hc["Devices"] = devices;
  }
  if (!o.group_add.empty()) hc["GroupAdd"] = o.group_add;
  if (o.ipc) hc["IpcMode"] = *o.ipc;
  if (o.oom_score_adj) hc["OomScoreAdj"] = *o.oom_score_adj;
  if (o.cpuset) hc["CpusetCpus"] = *o.cpuset;
  if (o.memory_reservation) hc["MemoryReservation"] = *o.memory_reservation;
  if (o.pids_limit) hc["PidsLimit"] = *o.pids_limit;
}

json HostConfig(const model::Instance& instance, absl::string_view api_version) {
  json hc = json::object();
  json binds = json::array();
  for (const model::Bind& b : instance.volumes) {
    binds.push_back(absl::StrCat(b.host, ":", b.target, ":", b.mode.empty() ? "rw" : b.mode));
  }
  hc["Binds"] = binds;
  hc["PortBindings"] = PortBindings(instance);
  if (!ApiAtLeast(api_version, "1.22")) {
    json lxc = json::array();
    for (const auto& [k, v] : instance.lxc_conf) lxc.push_back({{"Key", k}, {"Value", v}});
    hc["LxcConf"] = lxc;
  }
  if (instance.privileged) hc["Privileged"] = true;
  if (!instance.cap_add.empty()) hc["CapAdd"] = instance.cap_add;
  if (!instance.cap_drop.empty()) hc["CapDrop"] = instance.cap_drop;
  if (!instance.extra_hosts.empty()) {
    std::vector<std::string> hosts;
    for (const auto& [host, ip] : instance.extra_hosts) hosts.push_back(host + ":" + ip);
    std::sort(hosts.begin(), hosts.end());
    hc["ExtraHosts"] = hosts;
  }
  if (!instance.networks.empty()) {
    hc["NetworkMode"] = instance.networks.front().daemon_name;  // the others: connected later
  } else if (instance.net) {
    hc["NetworkMode"] = *instance.net;
  } else if (!ApiAtLeast(api_version, "1.20")) {
    // docker-py sends "default" only above 1.19.
  } else {
    hc["NetworkMode"] = "default";
  }
  hc["RestartPolicy"] = {{"Name", instance.restart.name},
                         {"MaximumRetryCount", instance.restart.max_retry}};
  if (instance.dns) hc["Dns"] = *instance.dns;
  std::vector<std::string> links;
  for (const auto& [name, alias] : instance.links) links.push_back(name + ":" + alias);
  std::sort(links.begin(), links.end());
  hc["Links"] = links;
  if (!instance.ulimits.empty()) {
    json ulimits = json::array();
    for (const model::Ulimit& u : instance.ulimits) {
      ulimits.push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
    }
    hc["Ulimits"] = ulimits;
  }
  hc["VolumesFrom"] = instance.volumes_from;
  if (!instance.security_opt.empty()) hc["SecurityOpt"] = instance.security_opt;
  if (instance.log_config) {
    json config = json::object();
    for (const auto& [k, v] : instance.log_config->options) config[k] = v;
    hc["LogConfig"] = {{"Type", instance.log_config->driver}, {"Config", config}};
  }
  if (instance.limits.memory) hc["Memory"] = *instance.limits.memory;
  if (instance.limits.swap) hc["MemorySwap"] = *instance.limits.swap;
  if (instance.limits.cpu && ApiAtLeast(api_version, "1.18")) {
    hc["CpuShares"] = *instance.limits.cpu;
  }
  if (instance.pid) hc["PidMode"] = *instance.pid;
  AddContainerKeysHostConfig(*instance.options, hc);
  return hc;
}

// docs/architecture.md#secrets: a tmpfs at each directory that holds a secret (and at
// /run/secrets, where the ready marker goes), and the secrets' names, targets, modes, owners and
// salted fingerprints as the kSecretsLabel (never a value). The entrypoint wrap needs the image's
// entrypoint, so it is WrapEntrypointForSecrets, applied by the start.
void AddSecretMounts(const model::Instance& instance, json& body) {
  if (instance.secrets.empty()) return;
  json& tmpfs = body["HostConfig"]["Tmpfs"];
  const std::string mode = SecretsDirMode(instance) == 0700 ? "mode=0700" : "mode=0711";
  tmpfs[model::kSecretsDir] = mode;
  json label = json::object();
  for (const model::SecretMount& m : instance.secrets) {
    tmpfs[m.target.substr(0, m.target.rfind('/'))] = mode;
    char octal[8];
    std::snprintf(octal, sizeof(octal), "%04o", m.mode);
    json one = {{"fingerprint", m.fingerprint}, {"target", m.target}, {"mode", octal}};
    if (m.uid) one["uid"] = *m.uid;
    if (m.gid) one["gid"] = *m.gid;
    label[m.name] = one;
  }
  body["Labels"][kSecretsLabel] = label.dump();
  // Another wrapper is another container (part of the spec hash).
  if (instance.secrets_guest) body["Labels"][kSecretsGuestLabel] = *instance.secrets_guest;
}

json BodyWithoutHash(const model::Instance& instance, absl::string_view api_version) {
  json body = json::object();
  if (instance.healthcheck) body["Healthcheck"] = HealthcheckJson(*instance.healthcheck);
  if (!instance.net)
    body["Hostname"] = instance.hostname.empty() ? instance.name : instance.hostname;
  if (instance.username) body["User"] = *instance.username;
  // Straight into the JSON array: no second copy of thousands of link variables alive.
  json env = json::array();
  env.get_ref<json::array_t&>().reserve(instance.env.size());
  for (const auto& var : instance.env) env.push_back(model::Instance::DockerEnvEntry(var));
  body["Env"] = std::move(env);
  if (instance.command) body["Cmd"] = *instance.command;
  body["Image"] = instance.image;
  std::set<std::string> volumes = instance.Volumes();
  if (!volumes.empty()) {
    json v = json::object();
    for (const std::string& path : volumes) v[path] = json::object();
    body["Volumes"] = v;
  }
  if (!instance.ports.empty()) body["ExposedPorts"] = ExposedPorts(instance);
  if (instance.limits.cpu && !ApiAtLeast(api_version, "1.18")) {
    body["CpuShares"] = *instance.limits.cpu;
  }
  if (instance.workdir) body["WorkingDir"] = *instance.workdir;
  AddContainerKeysConfig(*instance.options, body);
  body["Labels"] = Labels(instance);
  body["HostConfig"] = HostConfig(instance, api_version);
  if (!instance.networks.empty()) {
    const model::NetworkAttachment& primary = instance.networks.front();
    body["NetworkingConfig"] = {
        {"EndpointsConfig", {{primary.daemon_name, EndpointConfig(primary)}}}};
  }
  AddSecretMounts(instance, body);
  return body;
}

// FNV-1a, 64 bits (stable everywhere, and plenty for change detection; not adversarial) of
// body.dump() (compact, bytes that are not UTF-8 replaced), fed to the hash as the serializer
// writes it instead of through a string as large as the body (a body can carry 17,000 link
// variables). The serializer and its output protocol are nlohmann's detail API (3.11).
class Fnv1aOutput : public nlohmann::detail::output_adapter_protocol<char> {
 public:
  void write_character(char c) override { Add(static_cast<unsigned char>(c)); }
  void write_characters(const char* s, std::size_t length) override {
    for (std::size_t i = 0; i < length; ++i) Add(static_cast<unsigned char>(s[i]));
  }
  uint64_t hash() const { return h_; }

 private:
  void Add(unsigned char c) {
    h_ ^= c;
    h_ *= 1099511628211ull;
  }
  uint64_t h_ = 14695981039346656037ull;
};

uint64_t Fnv1a64OfJson(const json& body) {
  auto out = std::make_shared<Fnv1aOutput>();
  nlohmann::detail::serializer<json> serializer(out, ' ', json::error_handler_t::replace);
  serializer.dump(body, /*pretty_print=*/false, /*ensure_ascii=*/false, /*indent_step=*/0);
  return out->hash();
}

}  // namespace

nlohmann::json HealthcheckJson(const model::Healthcheck& h) {
  json out = json::object();
  if (!h.test.empty()) out["Test"] = h.test;
  if (h.interval_ns) out["Interval"] = *h.interval_ns;
  if (h.timeout_ns) out["Timeout"] = *h.timeout_ns;
  if (h.start_period_ns) out["StartPeriod"] = *h.start_period_ns;
  if (h.retries) out["Retries"] = *h.retries;
  return out;
}

absl::Status CheckApiSupport(const model::Instance& instance, absl::string_view api_version) {
  if (instance.healthcheck && !ApiAtLeast(api_version, kHealthcheckMinApi)) {
    return absl::FailedPreconditionError(
        absl::StrCat("instance ", instance.name, " has a healthcheck, which needs Docker API ",
                     kHealthcheckMinApi, " or newer; the ship uses API ", api_version,
                     " (raise the ship's api_version, or remove the healthcheck)"));
  }
  // The container keys that older daemons would ignore: every one too new, in one message.
  const model::ContainerOptions& o = *instance.options;
  const std::vector<std::pair<bool, std::pair<const char*, const char*>>> gates = {
      {!o.tmpfs.empty(), {"tmpfs", "1.22"}},
      {o.init.has_value(), {"init", "1.25"}},
      {o.shm_size.has_value(), {"shm_size", "1.22"}},
      {!o.sysctls.empty(), {"sysctls", "1.24"}},
      {!o.group_add.empty(), {"group_add", "1.20"}},
      {o.stop_signal.has_value(), {"stop_signal", "1.21"}},
      {o.oom_score_adj.has_value(), {"oom_score_adj", "1.22"}},
      {o.cpuset.has_value(), {"cpuset", "1.19"}},
      {o.memory_reservation.has_value(), {"memory_reservation", "1.21"}},
      {o.pids_limit.has_value(), {"pids_limit", "1.23"}}};
  std::vector<std::string> too_new;
  for (const auto& [used, key_min] : gates) {
    if (used && !ApiAtLeast(api_version, key_min.second)) {
      too_new.push_back(absl::StrCat(key_min.first, " (API ", key_min.second, ")"));
    }
  }
  if (!too_new.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("instance ", instance.name, " sets ", absl::StrJoin(too_new, ", "),
                     ", which the ship's Docker API ", api_version,
                     " does not have (raise the ship's api_version, or remove the key)"));
  }
  return absl::OkStatus();
}

int SecretsDirMode(const model::Instance& instance) {
  if (instance.username) return 0711;
  for (const model::SecretMount& m : instance.secrets) {
    if (m.uid || m.gid) return 0711;
  }
  return 0700;
}

std::string SecretsWaitScript(int max_seconds) {
  const std::string marker = absl::StrCat(model::kSecretsDir, "/", model::kSecretsReadyMarker);
  // Ten looks a second (one when `sleep` only takes whole seconds), at most max_seconds.
  return absl::StrCat("i=0; while [ ! -e ", marker, " ]; do i=$((i+1)); if [ \"$i\" -gt ",
                      max_seconds * 10, " ]; then echo \"maestro: secrets were not delivered to ",
                      model::kSecretsDir, " within ", max_seconds,
                      " s (maestro start delivers them; see docs/environment.md#secrets)\" >&2; "
                      "exit 70; fi; sleep 0.1 2>/dev/null || { sleep 1; i=$((i+9)); }; done; "
                      "exec \"$@\"");
}

void WrapEntrypointForSecrets(nlohmann::json& body, const model::Instance& instance,
                              const nlohmann::json& image_config) {
  if (instance.secrets.empty()) return;
  auto strings = [](const json& j) {
    std::vector<std::string> out;
    if (j.is_array()) {
      for (const json& s : j) {
        if (s.is_string()) out.push_back(s.get<std::string>());
      }
    } else if (j.is_string()) {
      out.push_back(j.get<std::string>());
    }
    return out;
  };
  auto field = [](const json& j, const char* key) -> json {
    return j.is_object() && j.contains(key) ? j[key] : json();
  };
  // Docker's rules: an entrypoint in the body replaces the image's and drops the image's Cmd.
  const bool own_entrypoint = body.contains("Entrypoint") && !body["Entrypoint"].is_null();
  std::vector<std::string> argv =
      strings(own_entrypoint ? body["Entrypoint"] : field(image_config, "Entrypoint"));
  std::vector<std::string> cmd;
  if (body.contains("Cmd") && !body["Cmd"].is_null()) {
    cmd = strings(body["Cmd"]);
  } else if (!own_entrypoint) {
    cmd = strings(field(image_config, "Cmd"));
  }
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  if (instance.secrets_guest) {
    body["Entrypoint"] = {*instance.secrets_guest, "secrets-wait", "--timeout",
                          std::to_string(kSecretsWaitSeconds), "--"};
  } else {
    body["Entrypoint"] = {"/bin/sh", "-c", SecretsWaitScript(kSecretsWaitSeconds),
                          "maestro-secrets-wait"};
  }
  body["Cmd"] = argv;
}

std::string NormalizedImage(absl::string_view image) {
  model::ImageDetails d = model::ParseImageDetails(std::string(image));
  return d.repository + ":" + d.tag;
}

std::string SpecHash(const model::Instance& instance, const model::Ship& ship) {
  json body = BodyWithoutHash(instance, kCanonicalApiVersion);
  body["Image"] = NormalizedImage(instance.image);
  // The networks connected after create are part of the spec too.
  for (size_t i = 1; i < instance.networks.size(); ++i) {
    body["MaestroNetworks"][instance.networks[i].daemon_name] =
        EndpointConfig(instance.networks[i]);
  }
  // nlohmann::json objects are std::map-backed: dump() is canonical (sorted keys). A YAML
  // escape ("\xff") can put bytes that are not UTF-8 into a value: replaced, never thrown.
  uint64_t h = Fnv1a64OfJson(body);
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
  return absl::StrCat("v1:", hex);
}

std::string EncodeSpecLabel(absl::string_view text) {
  uLongf size = compressBound(static_cast<uLong>(text.size()));
  std::string deflated(size, '\0');
  int rc = compress2(reinterpret_cast<Bytef*>(&deflated[0]), &size,
                     reinterpret_cast<const Bytef*>(text.data()), static_cast<uLong>(text.size()),
                     Z_BEST_COMPRESSION);
  if (rc != Z_OK) return "";  // only Z_MEM_ERROR: nothing recorded, like an unreadable spec
  deflated.resize(size);
  return absl::StrCat(kSpecLabelPrefix, absl::Base64Escape(deflated));
}

absl::StatusOr<std::string> DecodeSpecLabel(absl::string_view value, absl::string_view label_name) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("the ", label_name, " label ", why));
  };
  if (!absl::ConsumePrefix(&value, kSpecLabelPrefix)) {
    return bad(absl::StrCat("is not a stored spec (no \"", kSpecLabelPrefix, "\" prefix)"));
  }
  std::string deflated;
  if (!absl::Base64Unescape(value, &deflated)) return bad("is not valid base64");
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return bad("cannot be inflated (zlib init failed)");
  zs.next_in = reinterpret_cast<Bytef*>(&deflated[0]);
  zs.avail_in = static_cast<uInt>(deflated.size());
  std::string out;
  char chunk[16 * 1024];
  int rc = Z_OK;
  // Bounded: each round either consumes input or produces output, and output stops at
  // kMaxSpecJsonBytes; the round count bounds it regardless.
  for (size_t round = 0; round < kMaxSpecJsonBytes / sizeof(chunk) + deflated.size() + 2; ++round) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(chunk, sizeof(chunk) - zs.avail_out);
    if (out.size() > kMaxSpecJsonBytes || rc != Z_OK) break;
  }
  const bool trailing = rc == Z_STREAM_END && zs.avail_in != 0;
  const std::string zmsg = zs.msg != nullptr ? zs.msg : "";
  inflateEnd(&zs);
  if (out.size() > kMaxSpecJsonBytes) {
    return bad(absl::StrCat("inflates above the ", kMaxSpecJsonBytes, "-byte bound"));
  }
  if (rc == Z_STREAM_END && !trailing) return out;
  if (trailing) return bad("has bytes after its deflate stream");
  if (rc == Z_OK || rc == Z_BUF_ERROR) return bad("is truncated (its deflate stream ends early)");
  return bad(absl::StrCat("is not a valid deflate stream",
                          zmsg.empty() ? std::string() : absl::StrCat(" (", zmsg, ")")));
}

namespace {

// `text` encoded, or the encoded {"Omitted":...} marker when it is above a bound.
std::string EncodeBounded(const std::string& text) {
  std::string encoded = EncodeSpecLabel(text);
  if (encoded.size() <= kMaxSpecLabelBytes && text.size() <= kMaxSpecJsonBytes) return encoded;
  return EncodeSpecLabel(json{{"Omitted", encoded.size()}, {"JsonBytes", text.size()}}.dump());
}

}  // namespace

std::string SpecLabelValue(const nlohmann::json& body) {
  // A body without the labels to leave out (every body maestro is about to send) is written as
  // it is: a copy of a body with 17,000 link variables costs ~2 MB per create in flight.
  auto labels = body.find("Labels");
  if (labels == body.end() || !labels->is_object() ||
      (!labels->contains(kSpecLabel) && !labels->contains(kPreviousSpecLabel))) {
    return EncodeBounded(body.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  json copy = body;
  copy["Labels"].erase(kSpecLabel);
  copy["Labels"].erase(kPreviousSpecLabel);
  return EncodeBounded(copy.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::string PreviousSpecLabelValue(const std::map<std::string, std::string>& old_labels,
                                   absl::string_view old_image_id) {
  auto it = old_labels.find(kSpecLabel);
  if (it == old_labels.end() || it->second.empty()) return "";
  absl::StatusOr<std::string> text = DecodeSpecLabel(it->second, kSpecLabel);
  if (!text.ok()) return "";
  json spec = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!spec.is_object()) return "";
  if (spec.contains("Omitted")) return it->second;  // passed on as it is
  if (!old_image_id.empty()) spec["ImageId"] = std::string(old_image_id);
  return EncodeBounded(spec.dump(-1, ' ', false, json::error_handler_t::replace));
}

void AddSpecLabels(nlohmann::json& body, const std::string& previous) {
  std::string own = SpecLabelValue(body);
  body["Labels"][kSpecLabel] = own;
  if (!previous.empty()) body["Labels"][kPreviousSpecLabel] = previous;
}

absl::StatusOr<RecordedSpec> ParseRecordedSpec(absl::string_view label) {
  absl::StatusOr<std::string> text = DecodeSpecLabel(label, kPreviousSpecLabel);
  if (!text.ok()) return text.status();
  json spec = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!spec.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", kPreviousSpecLabel, " label is not a JSON object"));
  }
  if (spec.contains("Omitted")) {
    auto size = [&](const char* key) {
      return spec.contains(key) && spec[key].is_number() ? spec[key].dump() : std::string("?");
    };
    return absl::FailedPreconditionError(absl::StrCat(
        "the previous spec was not recorded: it was ", size("Omitted"), " bytes compressed (",
        size("JsonBytes"), " bytes of JSON), above the ", kMaxSpecLabelBytes, "-byte bound of the ",
        kPreviousSpecLabel, " label (or the ", kMaxSpecJsonBytes, "-byte bound of its JSON)"));
  }
  if (!spec.contains("Image") || !spec["Image"].is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", kPreviousSpecLabel, " label names no image"));
  }
  RecordedSpec out;
  if (spec.contains("ImageId") && spec["ImageId"].is_string()) {
    out.image_id = spec["ImageId"].get<std::string>();
  }
  spec.erase("ImageId");
  out.body = std::move(spec);
  return out;
}

nlohmann::json BuildCreateBody(const model::Instance& instance, const model::Ship& ship,
                               absl::string_view api_version) {
  // The hash first: its own body is built, hashed and freed before this one exists.
  std::string hash = SpecHash(instance, ship);
  json body = BodyWithoutHash(instance, api_version);
  body["Labels"][kSpecHashLabel] = std::move(hash);
  return body;
}

}  // namespace maestro::spec
