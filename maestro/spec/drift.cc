#include "maestro/spec/drift.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "maestro/docker/short_id.h"
#include "maestro/model/secrets.h"
#include "maestro/spec/drift_container_keys.h"

namespace maestro::spec {
namespace {

using docker::ShortId;

using nlohmann::json;
using EnvMap = std::map<std::string, std::optional<std::string>>;

const json& Field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

// A JSON list of strings; null and non-arrays are empty.
std::vector<std::string> Strings(const json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const json& e : j) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

std::set<std::string> StringSet(const json& j) {
  std::vector<std::string> v = Strings(j);
  return {v.begin(), v.end()};
}

std::set<std::string> Keys(const json& j) {
  std::set<std::string> out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) out.insert(it.key());
  return out;
}

std::string Str(const json& j) { return j.is_string() ? j.get<std::string>() : std::string(); }

int64_t Int(const json& j) {
  if (j.is_number_integer() || j.is_number_unsigned()) return j.get<int64_t>();
  if (j.is_number_float()) return static_cast<int64_t>(j.get<double>());
  return 0;
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

EnvMap ParseEnv(const std::vector<std::string>& list) {
  EnvMap out;
  for (const std::string& e : list) {
    size_t eq = e.find('=');
    if (eq == std::string::npos) {
      out[e] = std::nullopt;
    } else {
      out[e.substr(0, eq)] = e.substr(eq + 1);
    }
  }
  return out;
}

std::string EnvValue(const std::string& name, const std::optional<std::string>& v) {
  if (model::IsSecretName(name)) return "(value hidden)";
  return v ? Quote(*v) : "(no value)";
}

// "a, b added; c removed" for two sets, or "" when equal.
std::string SetDelta(const std::set<std::string>& want, const std::set<std::string>& have,
                     absl::string_view noun = "") {
  std::vector<std::string> added, removed;
  for (const std::string& s : want) {
    if (!have.count(s)) added.push_back(s);
  }
  for (const std::string& s : have) {
    if (!want.count(s)) removed.push_back(s);
  }
  std::vector<std::string> parts;
  std::string prefix = noun.empty() ? "" : absl::StrCat(noun, " ");
  if (!added.empty()) parts.push_back(absl::StrCat(prefix, absl::StrJoin(added, ", "), " added"));
  if (!removed.empty()) {
    parts.push_back(absl::StrCat(prefix, absl::StrJoin(removed, ", "), " removed"));
  }
  return absl::StrJoin(parts, "; ");
}

std::string ListRepr(const std::vector<std::string>& v) {
  json j = v;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);  // the daemon's bytes
}

// "/db-1:/web-1/db" (how daemons report links) -> "db-1:db".
std::string NormalizeLink(const std::string& link) {
  std::vector<std::string> parts = absl::StrSplit(link, ':');
  if (parts.size() != 2) return link;
  absl::string_view name = parts[0];
  absl::ConsumePrefix(&name, "/");
  absl::string_view alias = parts[1];
  size_t slash = alias.rfind('/');
  if (slash != absl::string_view::npos) alias = alias.substr(slash + 1);
  return absl::StrCat(name, ":", alias);
}

std::string NormalizeNetwork(const std::string& mode) {
  return mode.empty() || mode == "default" ? "bridge" : mode;
}

std::set<std::string> Bindings(const json& port_bindings) {
  std::set<std::string> out;
  if (!port_bindings.is_object()) return out;
  for (auto it = port_bindings.begin(); it != port_bindings.end(); ++it) {
    if (!it.value().is_array()) continue;
    for (const json& b : it.value()) {
      std::string ip = Str(Field(b, "HostIp"));
      if (ip.empty()) ip = "0.0.0.0";
      out.insert(absl::StrCat(it.key(), " -> ", ip, ":", Str(Field(b, "HostPort"))));
    }
  }
  return out;
}

std::set<std::string> Ulimits(const json& j) {
  std::set<std::string> out;
  if (!j.is_array()) return out;
  for (const json& u : j) {
    out.insert(absl::StrCat(Str(Field(u, "Name")), "=", Int(Field(u, "Soft")), ":",
                            Int(Field(u, "Hard"))));
  }
  return out;
}

class Differ {
 public:
  // `body`: the desired create body (BuildCreateBody for the canonical API version, or a
  // recorded spec).
  // `desired`: the instance the body was built from; nullptr for a recorded spec (then what is
  // not in a create body, the secondary networks and the container keys' own comparison, is not
  // compared).
  Differ(json body, const docker::ContainerInspect& actual,
         const std::optional<docker::ImageInspect>& image, const model::Instance* desired)
      : desired_(desired),
        actual_(actual),
        image_(image),
        body_(std::move(body)),
        want_hc_(Field(body_, "HostConfig")),
        config_(Field(actual.raw, "Config")),
        have_hc_(actual.host_config),
        image_config_(image ? image->config : json()),
        own_image_known_(image && image->id == actual.image_id) {}

  std::vector<Difference> Run() {
    Env();
    Command();
    Scalar("user", Opt(body_, "User"), Str(Field(config_, "User")), "User");
    Scalar("workdir", Opt(body_, "WorkingDir"), Str(Field(config_, "WorkingDir")), "WorkingDir");
    if (body_.contains("Hostname")) {  // not with `net` set
      std::string want = Str(Field(body_, "Hostname"));
      std::string have = Str(Field(config_, "Hostname"));
      if (want != have)
        Add("hostname", absl::StrCat("is ", Quote(want), ", container has ", Quote(have)));
    }
    Ports();
    Volumes();
    Limits();
    Restart();
    Labels();
    Privileges();
    Network();
    Networks();
    Lists();
    LogConfig();
    Healthcheck();
    Secrets();
    Tmpfs();
    if (desired_ != nullptr) {
      for (Difference& d : DiffContainerKeys(*desired_->options, config_, have_hc_)) {
        out_.push_back(std::move(d));
      }
    }
    return std::move(out_);
  }

 private:
  void Add(std::string what, std::string detail) {
    out_.push_back(Difference{std::move(what), std::move(detail)});
  }

  static std::optional<std::string> Opt(const json& j, const char* key) {
    if (!j.is_object() || !j.contains(key)) return std::nullopt;
    return Str(j[key]);
  }
  static std::optional<int64_t> OptInt(const json& j, const char* key) {
    if (!j.is_object() || !j.contains(key)) return std::nullopt;
    return Int(j[key]);
  }

  void Env() {
    EnvMap want = ParseEnv(Strings(Field(body_, "Env")));
    EnvMap have = ParseEnv(actual_.env);
    EnvMap image_env = ParseEnv(Strings(Field(image_config_, "Env")));
    std::vector<std::string> parts;
    for (const auto& [name, value] : want) {
      auto it = have.find(name);
      if (it == have.end()) {
        parts.push_back(name + " added");
      } else if (it->second != value) {
        parts.push_back(model::IsSecretName(name)
                            ? name + " changed (value hidden)"
                            : absl::StrCat(name, " changed from ", EnvValue(name, it->second),
                                           " to ", EnvValue(name, value)));
      }
    }
    // Variables only the container has: removed from the configuration, unless the image
    // provides them (only knowable with the image inspect).
    if (own_image_known_) {
      for (const auto& [name, value] : have) {
        if (want.count(name)) continue;
        auto from_image = image_env.find(name);
        if (from_image != image_env.end() && from_image->second == value) continue;
        parts.push_back(name + " removed");
      }
    }
    if (!parts.empty()) Add("env", absl::StrJoin(parts, "; "));
  }

  // The kSecretsLabel of the container against the desired secrets: names and what changed,
  // never a value ("secret db_password changed").
  void Secrets() {
    json want = json::object();
    auto label = body_.find("Labels");
    if (label != body_.end() && label->contains(kSecretsLabel)) {
      want = json::parse((*label)[kSecretsLabel].get<std::string>(), nullptr, false);
    }
    json have = json::object();
    auto it = actual_.labels.find(kSecretsLabel);
    if (it != actual_.labels.end()) have = json::parse(it->second, nullptr, false);
    if (!want.is_object()) want = json::object();
    if (!have.is_object()) have = json::object();
    for (auto w = want.begin(); w != want.end(); ++w) {
      if (!have.contains(w.key())) {
        Add("secrets", absl::StrCat("secret ", w.key(), " added"));
        continue;
      }
      const json& h = have[w.key()];
      if (Field(h, "fingerprint") != Field(w.value(), "fingerprint")) {
        Add("secrets", absl::StrCat("secret ", w.key(), " changed"));
      } else if (h != w.value()) {
        Add("secrets", absl::StrCat("secret ", w.key(), " target, mode or owner changed"));
      }
    }
    for (auto h = have.begin(); h != have.end(); ++h) {
      if (!want.contains(h.key())) Add("secrets", absl::StrCat("secret ", h.key(), " removed"));
    }
  }

  // The create body's tmpfs mounts, the `tmpfs:` key's and those maestro adds for secrets
  // (container_spec.h, AddSecretMounts) alike; a daemon reports none as null.
  void Tmpfs() {
    json want = Field(want_hc_, "Tmpfs");
    json have = Field(have_hc_, "Tmpfs");
    if (want.is_null()) want = json::object();
    if (have.is_null()) have = json::object();
    if (want != have) {
      Add("tmpfs", absl::StrCat("is ", want.dump(-1, ' ', false, json::error_handler_t::replace),
                                ", container has ",
                                have.dump(-1, ' ', false, json::error_handler_t::replace)));
    }
  }

  void Command() {
    std::vector<std::string> have = Strings(Field(config_, "Cmd"));
    std::vector<std::string> want;
    if (body_.contains("Cmd")) {
      want = Strings(body_["Cmd"]);
    } else if (image_) {
      want = Strings(Field(image_config_, "Cmd"));
    } else {
      return;  // the image's default, unknown here
    }
    // With secrets the container's Cmd is the original entrypoint and command behind the
    // wait wrapper (WrapEntrypointForSecrets): the command is its tail.
    if (Field(Field(body_, "Labels"), kSecretsLabel).is_string() && have.size() >= want.size() &&
        std::equal(want.begin(), want.end(), have.end() - static_cast<long>(want.size()))) {
      return;
    }
    if (want != have) {
      Add("command", absl::StrCat("is ", ListRepr(want), ", container runs ", ListRepr(have)));
    }
  }

  void Scalar(const char* what, const std::optional<std::string>& want_opt, const std::string& have,
              const char* image_key) {
    std::string want;
    if (want_opt) {
      want = *want_opt;
    } else if (image_) {
      want = Str(Field(image_config_, image_key));
    } else {
      return;
    }
    if (want != have) {
      Add(what, absl::StrCat("is ", Quote(want), ", container has ", Quote(have)));
    }
  }

  // Keys of a Config object minus what the image contributes (when known). Without the image
  // inspect, keys the desired spec lacks cannot be told from image defaults and are ignored.
  std::string ObjectKeyDelta(const char* key, absl::string_view noun) {
    std::set<std::string> want = Keys(Field(body_, key));
    std::set<std::string> have = Keys(Field(config_, key));
    std::set<std::string> from_image = Keys(Field(image_config_, key));
    for (auto it = have.begin(); it != have.end();) {
      bool drop = !want.count(*it) && (!own_image_known_ || from_image.count(*it));
      it = drop ? have.erase(it) : std::next(it);
    }
    return SetDelta(want, have, noun);
  }

  void Ports() {
    std::vector<std::string> parts;
    std::string exposed = ObjectKeyDelta("ExposedPorts", "exposed port");
    if (!exposed.empty()) parts.push_back(exposed);
    std::string bindings = SetDelta(Bindings(Field(want_hc_, "PortBindings")),
                                    Bindings(Field(have_hc_, "PortBindings")), "binding");
    if (!bindings.empty()) parts.push_back(bindings);
    if (!parts.empty()) Add("ports", absl::StrJoin(parts, "; "));
  }

  void Volumes() {
    std::vector<std::string> parts;
    std::string volumes = ObjectKeyDelta("Volumes", "volume");
    if (!volumes.empty()) parts.push_back(volumes);
    std::string binds =
        SetDelta(StringSet(Field(want_hc_, "Binds")), StringSet(Field(have_hc_, "Binds")), "bind");
    if (!binds.empty()) parts.push_back(binds);
    if (!parts.empty()) Add("volumes", absl::StrJoin(parts, "; "));
  }

  void Limits() {
    std::vector<std::string> parts;
    auto check = [&](const char* label, std::optional<int64_t> want, int64_t have) {
      int64_t w = want.value_or(0);
      if (w != have) {
        parts.push_back(absl::StrCat(label, " is ", want ? std::to_string(w) : "unset",
                                     ", container has ",
                                     have == 0 ? "unset" : std::to_string(have)));
      }
    };
    int64_t memory = Int(Field(have_hc_, "Memory"));
    check("memory", OptInt(want_hc_, "Memory"), memory);
    int64_t swap = Int(Field(have_hc_, "MemorySwap"));
    std::optional<int64_t> want_swap = OptInt(want_hc_, "MemorySwap");
    if (want_swap || !(swap == 0 || swap == 2 * memory || swap == -1)) {
      check("memory+swap", want_swap, swap);
    }
    std::optional<int64_t> cpu = OptInt(want_hc_, "CpuShares");
    if (!cpu) cpu = OptInt(body_, "CpuShares");  // API < 1.18
    check("cpu shares", cpu, Int(Field(have_hc_, "CpuShares")));
    if (!parts.empty()) Add("limits", absl::StrJoin(parts, "; "));
  }

  void Restart() {
    const json& have = Field(have_hc_, "RestartPolicy");
    std::string name = Str(Field(have, "Name"));
    if (name.empty()) name = "no";
    int64_t retries = Int(Field(have, "MaximumRetryCount"));
    const json& want = Field(want_hc_, "RestartPolicy");
    std::string want_name = Str(Field(want, "Name"));
    if (want_name.empty()) want_name = "no";
    int64_t want_retries = Int(Field(want, "MaximumRetryCount"));
    if (name != want_name || retries != want_retries) {
      Add("restart policy", absl::StrCat("is ", want_name, ":", want_retries, ", container has ",
                                         name, ":", retries));
    }
  }

  void Labels() {
    std::map<std::string, std::string> want;
    const json& labels = Field(body_, "Labels");
    for (auto it = labels.begin(); it != labels.end(); ++it) want[it.key()] = Str(it.value());
    std::map<std::string, std::string> have = actual_.labels;
    // Secrets() compares kSecretsLabel; the spec labels are records, not configuration.
    for (const char* own : {kSpecHashLabel, kSpecLabel, kPreviousSpecLabel, kSecretsLabel}) {
      want.erase(own);
      have.erase(own);
    }
    std::map<std::string, std::string> image_labels;
    const json& il = Field(image_config_, "Labels");
    if (il.is_object()) {
      for (auto it = il.begin(); it != il.end(); ++it) image_labels[it.key()] = Str(it.value());
    }
    std::vector<std::string> parts;
    for (const auto& [k, v] : want) {
      auto it = have.find(k);
      if (it == have.end()) {
        parts.push_back(k + " added");
      } else if (it->second != v) {
        parts.push_back(absl::StrCat(k, " changed from ", Quote(it->second), " to ", Quote(v)));
      }
    }
    if (own_image_known_) {
      for (const auto& [k, v] : have) {
        if (want.count(k)) continue;
        auto from_image = image_labels.find(k);
        if (from_image != image_labels.end() && from_image->second == v) continue;
        parts.push_back(k + " removed");
      }
    }
    if (!parts.empty()) Add("labels", absl::StrJoin(parts, "; "));
  }

  void Privileges() {
    std::vector<std::string> parts;
    auto flag = [](const json& hc) {
      return Field(hc, "Privileged").is_boolean() && Field(hc, "Privileged").get<bool>();
    };
    bool have_priv = flag(have_hc_);
    bool want_priv = flag(want_hc_);
    if (want_priv != have_priv) {
      parts.push_back(want_priv ? "privileged mode added" : "privileged mode removed");
    }
    std::string add = SetDelta(StringSet(Field(want_hc_, "CapAdd")),
                               StringSet(Field(have_hc_, "CapAdd")), "cap_add");
    if (!add.empty()) parts.push_back(add);
    std::string drop = SetDelta(StringSet(Field(want_hc_, "CapDrop")),
                                StringSet(Field(have_hc_, "CapDrop")), "cap_drop");
    if (!drop.empty()) parts.push_back(drop);
    if (!parts.empty()) Add("privileges", absl::StrJoin(parts, "; "));
  }

  void Network() {
    std::string want = NormalizeNetwork(Str(Field(want_hc_, "NetworkMode")));
    std::string have = NormalizeNetwork(Str(Field(have_hc_, "NetworkMode")));
    // On user-defined networks the primary one is NetworkMode: Networks() names the change.
    const bool user_networks =
        !Keys(Field(Field(body_, "NetworkingConfig"), "EndpointsConfig")).empty();
    if (want != have && !user_networks) {
      Add("network", absl::StrCat("is ", want, ", container has ", have));
    }
    std::string want_pid = Str(Field(want_hc_, "PidMode"));
    std::string have_pid = Str(Field(have_hc_, "PidMode"));
    if (want_pid != have_pid) {
      Add("pid mode", absl::StrCat("is ", Quote(want_pid), ", container has ", Quote(have_pid)));
    }
  }

  // The user-defined networks it is on (NetworkSettings.Networks), when it should be on some or
  // is on more than one: "networks: demo_front added".
  void Networks() {
    std::set<std::string> have = Keys(Field(Field(actual_.raw, "NetworkSettings"), "Networks"));
    std::set<std::string> want;
    if (desired_ != nullptr) {
      for (const model::NetworkAttachment& a : desired_->networks) want.insert(a.daemon_name);
    } else {  // a recorded body names its primary network only
      want = Keys(Field(Field(body_, "NetworkingConfig"), "EndpointsConfig"));
    }
    if (want.empty() && have.size() <= 1) return;
    if (want.empty()) want.insert(NormalizeNetwork(Str(Field(want_hc_, "NetworkMode"))));
    std::string d = SetDelta(want, have);
    if (!d.empty()) Add("networks", d);
  }

  void Lists() {
    auto set_diff = [&](const char* what, const char* key, std::set<std::string> have) {
      std::string d = SetDelta(StringSet(Field(want_hc_, key)), have);
      if (!d.empty()) Add(what, d);
    };
    set_diff("dns", "Dns", StringSet(Field(have_hc_, "Dns")));
    set_diff("extra hosts", "ExtraHosts", StringSet(Field(have_hc_, "ExtraHosts")));
    std::set<std::string> links;
    for (const std::string& l : Strings(Field(have_hc_, "Links"))) links.insert(NormalizeLink(l));
    set_diff("links", "Links", links);
    set_diff("volumes_from", "VolumesFrom", StringSet(Field(have_hc_, "VolumesFrom")));
    set_diff("security options", "SecurityOpt", StringSet(Field(have_hc_, "SecurityOpt")));
    std::string u =
        SetDelta(Ulimits(Field(want_hc_, "Ulimits")), Ulimits(Field(have_hc_, "Ulimits")));
    if (!u.empty()) Add("ulimits", u);
  }

  void LogConfig() {
    const json& want = Field(want_hc_, "LogConfig");
    if (!want.is_object()) return;  // the daemon's default driver applies
    std::string want_type = Str(Field(want, "Type"));
    std::map<std::string, std::string> want_options;
    const json& want_config = Field(want, "Config");
    if (want_config.is_object()) {
      for (auto it = want_config.begin(); it != want_config.end(); ++it) {
        want_options[it.key()] = Str(it.value());
      }
    }
    const json& have = Field(have_hc_, "LogConfig");
    std::string type = Str(Field(have, "Type"));
    std::map<std::string, std::string> options;
    const json& config = Field(have, "Config");
    if (config.is_object()) {
      for (auto it = config.begin(); it != config.end(); ++it) options[it.key()] = Str(it.value());
    }
    if (type != want_type || options != want_options) {
      json want_opts = want_options;
      json have_opts = options;
      const auto replace = json::error_handler_t::replace;  // the daemon's bytes
      Add("log config",
          absl::StrCat("is ", want_type, " ", want_opts.dump(-1, ' ', false, replace),
                       ", container has ", type, " ", have_opts.dump(-1, ' ', false, replace)));
    }
  }

  // Only what the configuration sets is compared: unset fields (and an unconfigured
  // healthcheck) are the image's HEALTHCHECK or the daemon's defaults.
  void Healthcheck() {
    const json& want = Field(body_, "Healthcheck");
    if (!want.is_object()) return;
    const json& have = Field(config_, "Healthcheck");
    std::vector<std::string> parts;
    if (want.contains("Test")) {
      std::vector<std::string> w = Strings(want["Test"]);
      std::vector<std::string> h = Strings(Field(have, "Test"));
      if (w != h) {
        parts.push_back(absl::StrCat("test changed from ", h.empty() ? "unset" : ListRepr(h),
                                     " to ", ListRepr(w)));
      }
    }
    for (auto [key, label] : {std::pair<const char*, const char*>{"Interval", "interval"},
                              {"Timeout", "timeout"},
                              {"StartPeriod", "start_period"}}) {
      if (!want.contains(key)) continue;
      int64_t w = Int(want[key]);
      int64_t h = Int(Field(have, key));
      if (w != h) {
        parts.push_back(
            absl::StrCat(label, " changed from ", h == 0 ? "unset" : NsText(h), " to ", NsText(w)));
      }
    }
    if (want.contains("Retries")) {
      int64_t w = Int(want["Retries"]);
      int64_t h = Int(Field(have, "Retries"));
      if (w != h) {
        parts.push_back(
            absl::StrCat("retries changed from ", h == 0 ? "unset" : std::to_string(h), " to ", w));
      }
    }
    if (!parts.empty()) Add("healthcheck", absl::StrJoin(parts, "; "));
  }

  static std::string NsText(int64_t ns) { return absl::FormatDuration(absl::Nanoseconds(ns)); }

  const model::Instance* desired_;
  const docker::ContainerInspect& actual_;
  const std::optional<docker::ImageInspect>& image_;
  const json body_;
  const json& want_hc_;
  const json& config_;
  const json& have_hc_;
  const json image_config_;
  // Whether the image inspect is of the image the container runs: only then can what the
  // container has beyond the configuration be told apart from its image's defaults. When the
  // image changed (an image difference is reported anyway), the container's extra env, labels,
  // ports and volumes may come from its old image and are not reported as removed.
  const bool own_image_known_;
  std::vector<Difference> out_;
};

std::optional<Difference> ImageDifference(const model::Instance& desired,
                                          const docker::ContainerInspect& actual,
                                          const std::optional<docker::ImageInspect>& image) {
  std::string want_ref = NormalizedImage(desired.image);
  if (image) {
    if (image->id == actual.image_id) return std::nullopt;
    // Another reference in the file ("nginx:1.24" -> "nginx:1.25"): say so rather than ids.
    if (!actual.config_image.empty() && NormalizedImage(actual.config_image) != want_ref) {
      return Difference{"image",
                        absl::StrCat(NormalizedImage(actual.config_image), " -> ", want_ref)};
    }
    return Difference{"image", absl::StrCat(want_ref, " now resolves to image ", ShortId(image->id),
                                            ", the container runs ", ShortId(actual.image_id))};
  }
  std::string have_ref = NormalizedImage(actual.config_image);
  if (want_ref == have_ref) return std::nullopt;
  return Difference{"image", absl::StrCat("is ", want_ref, ", the container was created from ",
                                          actual.config_image)};
}

}  // namespace

std::vector<Difference> Diff(const model::Instance& desired, const model::Ship& ship,
                             const docker::ContainerInspect& actual,
                             const std::optional<docker::ImageInspect>& desired_image) {
  std::vector<Difference> out;
  if (std::optional<Difference> d = ImageDifference(desired, actual, desired_image)) {
    out.push_back(std::move(*d));
  }
  auto label = actual.labels.find(kSpecHashLabel);
  std::string want_hash = SpecHash(desired, ship);
  if (label != actual.labels.end() && label->second == want_hash) return out;

  std::vector<Difference> fields =
      Differ(BuildCreateBody(desired, ship, "1.41"), actual, desired_image, &desired).Run();
  if (fields.empty() && label != actual.labels.end()) {
    fields.push_back(Difference{
        "configuration",
        absl::StrCat("the container was created from another maestro configuration (spec hash ",
                     label->second, ", now ", want_hash, ")")});
  }
  out.insert(out.end(), fields.begin(), fields.end());
  return out;
}

std::vector<Difference> DiffRecorded(const nlohmann::json& recorded_body,
                                     const std::string& recorded_image_id,
                                     const docker::ContainerInspect& actual,
                                     const std::optional<docker::ImageInspect>& actual_image) {
  std::vector<Difference> out;
  std::string want_ref = NormalizedImage(Str(Field(recorded_body, "Image")));
  std::string have_ref = NormalizedImage(actual.config_image);
  if (want_ref != have_ref) {
    out.push_back(Difference{"image", absl::StrCat(have_ref, " -> ", want_ref)});
  } else if (!recorded_image_id.empty() && recorded_image_id != actual.image_id) {
    out.push_back(Difference{"image", absl::StrCat(want_ref, ": image ", ShortId(actual.image_id),
                                                   " -> ", ShortId(recorded_image_id))});
  }
  std::string want_hash = Str(Field(Field(recorded_body, "Labels"), kSpecHashLabel));
  auto label = actual.labels.find(kSpecHashLabel);
  if (!want_hash.empty() && label != actual.labels.end() && label->second == want_hash) {
    return out;
  }
  std::vector<Difference> fields = Differ(recorded_body, actual, actual_image, nullptr).Run();
  out.insert(out.end(), fields.begin(), fields.end());
  return out;
}

std::string FormatDifferences(const std::vector<Difference>& differences) {
  std::vector<std::string> parts;
  for (const Difference& d : differences) parts.push_back(d.ToString());
  return absl::StrJoin(parts, "; ");
}

}  // namespace maestro::spec
