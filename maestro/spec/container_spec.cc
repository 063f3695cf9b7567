#include "maestro/spec/container_spec.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "maestro/docker/docker_types.h"
#include "maestro/model/env_contract.h"

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
  if (instance.net) {
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
  return hc;
}

json BodyWithoutHash(const model::Instance& instance, absl::string_view api_version) {
  json body = json::object();
  if (instance.healthcheck) body["Healthcheck"] = HealthcheckJson(*instance.healthcheck);
  if (!instance.net)
    body["Hostname"] = instance.hostname.empty() ? instance.name : instance.hostname;
  if (instance.username) body["User"] = *instance.username;
  body["Env"] = instance.DockerEnv();
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
  body["Labels"] = Labels(instance);
  body["HostConfig"] = HostConfig(instance, api_version);
  return body;
}

// FNV-1a, 64 bits: stable everywhere, and plenty for change detection (not adversarial).
uint64_t Fnv1a64(absl::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
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
  return absl::OkStatus();
}

std::string NormalizedImage(absl::string_view image) {
  model::ImageDetails d = model::ParseImageDetails(std::string(image));
  return d.repository + ":" + d.tag;
}

std::string SpecHash(const model::Instance& instance, const model::Ship& ship) {
  json body = BodyWithoutHash(instance, kCanonicalApiVersion);
  body["Image"] = NormalizedImage(instance.image);
  // nlohmann::json objects are std::map-backed: dump() is canonical (sorted keys). A YAML
  // escape ("\xff") can put bytes that are not UTF-8 into a value: replaced, never thrown.
  uint64_t h = Fnv1a64(body.dump(-1, ' ', false, json::error_handler_t::replace));
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
  json copy = body;
  if (copy.contains("Labels") && copy["Labels"].is_object()) {
    copy["Labels"].erase(kSpecLabel);
    copy["Labels"].erase(kPreviousSpecLabel);
  }
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
  json body = BodyWithoutHash(instance, api_version);
  body["Labels"][kSpecHashLabel] = SpecHash(instance, ship);
  return body;
}

}  // namespace maestro::spec
