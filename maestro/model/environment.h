// The environment model: plain value types describing a fully loaded and validated MaestroNG
// environment (docs/environment.md). Built by config::LoadEnvironment; read by graph/,
// plays/, lifecycle/, docker/ and cli/. Every field is already parsed and defaulted, so
// consumers never look at YAML: ports are Port values, sizes are bytes, the injected
// environment is final, lifecycle checks have their options resolved.
//
// Value semantics: copying an Environment copies everything; nothing points into anything
// else (instances refer to their ship and service by name), except that instances share one
// immutable source of link variables (EnvVars' OverlaySource, config/link_variables.h), which
// builds a service's overlay when a container's environment is read.
// Immutable after loading by convention, so a const Environment may be shared between threads.
//
// Name lookups (FindShip, FindService, FindInstance, FindRegistry) go through a name index
// built on first use (thread-safe: guarded by a mutex) and rebuilt when the vector's size
// changes or a hit no longer matches; a copy starts with an empty index. Code that renames or
// reorders elements in place after a lookup must call InvalidateIndex().
#ifndef MAESTRO_MODEL_ENVIRONMENT_H_
#define MAESTRO_MODEL_ENVIRONMENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "maestro/model/container_options.h"
#include "maestro/model/env_vars.h"
#include "maestro/model/out_of_line.h"
#include "maestro/model/secrets.h"
#include "nlohmann/json.hpp"

namespace maestro {
namespace model {

// docs/environment.md#registries.
struct RetryPolicy {
  int attempts = 3;
  std::vector<int> when;  // HTTP status codes to retry on; empty = no retries
};

struct Registry {
  std::string name;  // the key under `registries:`
  std::string url;   // `registry:` (full URL)
  std::string username;
  std::string password;  // never print this: use MaskedPassword() in dumps and logs
  std::string email;
  RetryPolicy retry;
  int line = 0;

  // "********" when a password is set, "" otherwise.
  std::string MaskedPassword() const { return password.empty() ? "" : kMaskedValue; }
};

struct SshTunnel {
  std::string user;
  std::string key;  // identity file; may be empty for docker_host: ssh://... (agent)
  int port = 22;
  std::vector<std::string> known_hosts;  // extra known_hosts files (string or list in YAML)
  std::string socket_path;  // remote unix socket to tunnel to (direct-streamlocal), optional
  int keepalive = 30;       // seconds between SSH keepalives; 0 = off
};

// How maestro reaches a ship's Docker daemon.
enum class ShipTransport { kTcp, kUnix, kSsh };

// docs/ships.md. ship_defaults are already applied (except ip and endpoint, never defaulted).
struct Ship {
  std::string name;
  std::string ip;                    // used for CONTAINER_HOST_ADDRESS, *_HOST, checks
  std::string endpoint;              // Docker daemon / SSH address; defaults to ip
  int docker_port = 2375;            // 2376 when tls
  std::string socket_path;           // unix socket (not realpath'd here)
  std::string api_version = "1.18";  // the source text: `1.20` stays "1.20" (not Python's 1.2)
  double timeout = 5;                // seconds
  std::optional<SshTunnel> ssh_tunnel;
  bool tls = false;
  bool tls_verify = false;
  std::string tls_ca_cert, tls_cert, tls_key, ssl_version;
  std::string docker_host;  // as written (unix://, tcp://host:port, ssh://user@host[:port])
  int line = 0;

  ShipTransport transport() const {
    if (ssh_tunnel) return ShipTransport::kSsh;
    if (!socket_path.empty()) return ShipTransport::kUnix;
    return ShipTransport::kTcp;
  }
  // http(s)://endpoint:docker_port, or unix://socket_path (the URL MaestroNG gives docker-py
  // for non-tunnelled ships; docs/ships.md).
  std::string DockerUrl() const;
};

// One side of a port mapping: "p1[-p2]/proto" (docs/environment.md#ports).
struct PortAtom {
  int first = 0;
  int last = 0;                  // == first unless a range
  std::string protocol = "tcp";  // "tcp" or "udp"

  bool is_range() const { return last != first; }
  std::string Number() const;    // "80" or "1234-1236"
  std::string ToString() const;  // "80/tcp" or "1234-1236/udp"
  bool operator==(const PortAtom& o) const {
    return first == o.first && last == o.last && protocol == o.protocol;
  }
};

struct Port {
  std::string name;
  PortAtom exposed;                 // container side
  std::string host_ip = "0.0.0.0";  // external bind address
  PortAtom external;                // host side
};

struct Bind {
  std::string host;    // host path, or the daemon name of a named volume (`named`)
  std::string target;  // container path
  std::string mode;    // "rw", "ro", "ro,Z", ...
  bool named = false;  // `host` names a top-level `volumes:` entry (its daemon name)
};

// A top-level `networks:` entry (docs/environment.md#networks). `daemon_name` is the name on
// the ships: "<environment>_<name>" unless `name:` or `external: true` says otherwise.
struct Network {
  std::string name;  // the key under `networks:`
  std::string daemon_name;
  bool external = false;  // never created nor removed by maestro: it must exist
  std::string driver = "bridge";
  std::string subnet, gateway, ip_range;  // IPAM (one config); "" = the daemon's choice
  bool internal = false;
  bool attachable = false;
  bool enable_ipv6 = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> driver_opts;
  int line = 0;
};

// A top-level `volumes:` entry (docs/environment.md#named-volumes); named like networks.
struct NamedVolume {
  std::string name;
  std::string daemon_name;
  bool external = false;
  std::string driver = "local";
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> driver_opts;
  int line = 0;
};

// One network an instance joins (`networks:` of the instance or its service).
struct NetworkAttachment {
  std::string network;      // the key under the top-level `networks:`
  std::string daemon_name;  // that network's name on the ship
  std::vector<std::string> aliases;
  std::string ipv4_address, ipv6_address;
  bool operator==(const NetworkAttachment& o) const {
    return network == o.network && daemon_name == o.daemon_name && aliases == o.aliases &&
           ipv4_address == o.ipv4_address && ipv6_address == o.ipv6_address;
  }
};

struct RestartPolicy {
  std::string name = "no";  // no | always | on-failure | unless-stopped
  int max_retry = 0;
};

struct Limits {
  std::optional<int64_t> cpu;     // CpuShares
  std::optional<int64_t> memory;  // bytes
  std::optional<int64_t> swap;    // bytes (MemorySwap)
};

struct Ulimit {
  std::string name;
  int64_t soft = 0;
  int64_t hard = 0;
};

struct LogConfig {
  std::string driver;                          // json-file, syslog, journald, gelf, fluentd, none
  std::map<std::string, std::string> options;  // values stringified like Python str()
};

// A lifecycle check (docs/environment.md#lifecycle-checks) with every option resolved for its
// container.
enum class CheckType { kTcp, kHttp, kExec, kRexec, kSleep, kHealth };
const char* CheckTypeName(CheckType type);

struct Check {
  CheckType type = CheckType::kTcp;
  // tcp, http: the configured port (a port name, or a number for http) and the resolved
  // external port number on `host`.
  std::string port_name;
  int port = 0;
  std::string host;  // tcp: ship ip; http: `host` option or ship ip
  int max_wait = 0;  // tcp: attempts (180); http: seconds (300)
  // http
  std::optional<std::string> match_regex;
  std::string path = "/";  // always starts with '/'
  std::string scheme = "http";
  std::string method = "get";  // lower-cased
  nlohmann::json requests_options = nlohmann::json::object();
  // exec, rexec
  std::string command;
  std::vector<std::string> argv;  // shlex split of command
  int attempts = 180;             // exec, rexec, health
  std::string envfrom = "env";    // exec: env | stdin
  double timeout = 60;            // exec, rexec: seconds one attempt may take
  // sleep
  int wait = 0;
  int line = 0;  // position of the check in the YAML file
};

struct ImageDetails {
  std::string repository;
  std::string tag;  // "latest" when absent
};

// Docker's own healthcheck (docs/environment.md#healthcheck): the create body's `Healthcheck`.
// Unset fields are left to the image's HEALTHCHECK / the daemon's defaults.
struct Healthcheck {
  // ["CMD", arg...], ["CMD-SHELL", "cmd"] or ["NONE"] (disable: true); empty = the image's.
  std::vector<std::string> test;
  std::optional<int64_t> interval_ns, timeout_ns, start_period_ns;  // nanoseconds
  std::optional<int> retries;

  bool disabled() const { return test.size() == 1 && test[0] == "NONE"; }
  bool operator==(const Healthcheck& o) const {
    return test == o.test && interval_ns == o.interval_ns && timeout_ns == o.timeout_ns &&
           start_period_ns == o.start_period_ns && retries == o.retries;
  }
};

// docs/environment.md#secrets: a value read on the machine that runs maestro, delivered into a
// container's tmpfs after it starts (never in its create body, image or writable layer).
enum class SecretSource { kFile, kEnvironment, kCommand };

inline constexpr char kSecretsDir[] = "/run/secrets";            // the default target directory
inline constexpr char kSecretsReadyMarker[] = ".maestro-ready";  // in kSecretsDir, after delivery

struct Secret {
  std::string name;  // the key under `secrets:`
  SecretSource source = SecretSource::kFile;
  std::string file;                  // kFile: as written (relative to the environment's base_dir)
  std::string variable;              // kEnvironment: the variable's name
  std::vector<std::string> command;  // kCommand: argv, argv[0] searched in PATH
  int line = 0;
  int column = 0;
  // Filled by config::ResolveSecrets (never by the loader). Never print `value`.
  std::optional<std::string> value;
  // A salted hash of the value (16 hex digits; config::SecretFingerprint), "" until resolved.
  std::string fingerprint;
};

// A secret a container needs (`secrets:` of a service or instance).
struct SecretMount {
  std::string name;    // the secret's name (Environment::secrets)
  std::string target;  // absolute path in the container; default kSecretsDir + "/" + name
  int mode = 0400;
  std::optional<int64_t> uid, gid;  // owner; default root
  std::string fingerprint;          // the secret's, copied by config::ResolveSecrets
};

// One container (an instance of a service), docs/environment.md#instances.
struct Instance {
  std::string name;  // container name, globally unique
  std::string service;
  std::string ship;
  std::string image;  // full image string as configured
  ImageDetails image_details;
  std::string short_image;                          // everything after the first '/'
  std::optional<std::vector<std::string>> command;  // shlex split when given as a string
  std::vector<Port> ports;  // service ports overridden per name by instance ports, in order
  // The final injected environment (docs/environment.md#the-container-environment). nullopt values
  // are variables written as just "KEY" (a YAML null). Sorted by name; that is also the order of
  // DockerEnv(). The link variables are an overlay shared by all instances of the service (see
  // env_vars.h).
  EnvVars env;
  std::vector<Bind> volumes;  // sorted by host path
  std::set<std::string> container_volumes;
  std::vector<std::string> volumes_from;     // sorted, unique
  std::map<std::string, std::string> links;  // name -> alias
  IndirectOptional<std::string> username;
  bool privileged = false;
  std::vector<std::string> cap_add, cap_drop;
  std::map<std::string, std::string> extra_hosts;  // host -> ip (ship references resolved)
  IndirectOptional<std::string> net;
  // `networks:`: the first is the primary network (NetworkMode), the others are connected
  // before start. Empty when not given (then `net` or the daemon's default applies).
  std::vector<NetworkAttachment> networks;
  IndirectOptional<std::string> pid;
  RestartPolicy restart;
  IndirectOptional<std::vector<std::string>> dns;
  int stop_timeout = 10;
  Limits limits;
  IndirectOptional<LogConfig> log_config;
  std::vector<std::pair<std::string, std::string>> lxc_conf;
  IndirectOptional<std::string> workdir;
  std::vector<std::string> security_opt;
  std::vector<Ulimit> ulimits;
  std::optional<std::map<std::string, std::string>> labels;  // list form -> empty values
  // Service `healthcheck:` overridden per key by the instance's; nullopt when neither has one.
  IndirectOptional<Healthcheck> healthcheck;
  // The Compose-style keys (tmpfs, read_only, init, ...): service value, or the instance's.
  Indirect<ContainerOptions> options;
  std::string hostname;  // the container name, or "" when `net` is set
  // state (pre-start, running, pre-stop, stopped, ...) -> checks (service's first).
  std::map<std::string, std::vector<Check>> lifecycle;
  // The service's `update: role:` probe resolved for this container (ports, ship ip).
  IndirectOptional<Check> role_probe;
  // Secrets delivered after start (service's, overridden by name by the instance's), by target.
  std::vector<SecretMount> secrets;
  // `secrets_guest:`: the path of a static maestro-guest in the image. When set, the entrypoint
  // wrapper and the delivery execs run it instead of /bin/sh (images without a shell).
  IndirectOptional<std::string> secrets_guest;
  int line = 0;  // position of the instance's key in the YAML file
  int column = 0;

  // The Docker `Env` list: DockerEnvEntry of every variable, sorted by KEY.
  std::vector<std::string> DockerEnv() const;
  // One entry of it: "KEY=VALUE", or "KEY" for a null value.
  static std::string DockerEnvEntry(const EnvVars::value_type& var);
  // container_volumes ∪ bind targets (MaestroNG get_volumes()).
  std::set<std::string> Volumes() const;
  const Port* FindPort(const std::string& name) const;
};

// A service's rolling update policy (docs/environment.md#update), used by `restart` and the
// re-creates of `up`. The role probe lives per instance (Instance::role_probe).
struct UpdatePolicy {
  enum class Failure { kPause, kContinue, kRollback };
  int parallelism = 0;           // instances down at once; 0 = no bound
  int parallelism_percent = 0;   // when > 0: that share of the service's instances, at least 1
  int per_ship = 0;              // instances down at once on one ship; 0 = no bound
  bool quorum_majority = false;  // quorum: majority
  int quorum = 0;                // quorum: N (0 = none)
  double quorum_timeout = 300;   // seconds to wait for the quorum before failing
  bool pull_before = true;       // pull: before | never
  Failure failure = Failure::kPause;
  double delay = 0;    // seconds between batches
  double monitor = 0;  // seconds the new instances must keep passing their running checks
  int line = 0;

  // Instances of a service of `n` that may be down at once (at least 1, at most n).
  int BatchSize(int n) const;
  // Other instances that must pass their running checks before one goes down (0: no quorum).
  int RequiredQuorum(int n) const;
};
const char* UpdateFailureName(UpdatePolicy::Failure failure);

struct Service {
  std::string name;
  std::string image;
  bool omit = false;
  std::vector<std::string>
  requires;                             // direct hard dependencies, as written (deduplicated)
  std::vector<std::string> wants_info;  // direct soft dependencies (env only)
  // Services implied by volumes_from of this service's instances (other services only).
  std::vector<std::string> volumes_from_services;
  // The service-level environment (envfiles, env, seeds), before instance layers.
  std::map<std::string, std::optional<std::string>> env;
  std::vector<std::string> instances;  // instance names in YAML order
  std::optional<UpdatePolicy> update;  // `update:` (or service_defaults' update:)
  int line = 0;

  // requires ∪ volumes_from_services, sorted, unique (MaestroNG Service.dependencies).
  std::vector<std::string> Dependencies() const;
};

// An `audit:` entry (docs/environment.md#audit): common keys parsed, type-specific keys kept as
// JSON.
struct AuditConfig {
  std::string type;            // log, hipchat, slack, http, exec, _fail
  std::string level = "info";  // info | debug
  bool ignore_errors = false;
  nlohmann::json options = nlohmann::json::object();  // every other key
  int line = 0;
};

// name -> first position in a vector of named items, for Environment's lookups. Copying or
// moving one yields an empty index (rebuilt on first use). Thread-safe.
class NameIndex {
 public:
  NameIndex() = default;
  NameIndex(const NameIndex&) {}
  NameIndex& operator=(const NameIndex&) {
    Invalidate();
    return *this;
  }

  // The first item named `name`, or nullptr. O(1) expected after an O(n) (re)build.
  template <typename T>
  const T* Find(const std::vector<T>& items, const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!built_ || size_ != items.size() || data_ != static_cast<const void*>(items.data())) {
        Rebuild(items);
      }
      auto it = positions_.find(name);
      if (it == positions_.end()) return nullptr;
      if (it->second < items.size() && items[it->second].name == name) return &items[it->second];
      built_ = false;  // stale (an element was renamed in place): rebuild once
    }
    return nullptr;
  }
  void Invalidate() {
    std::lock_guard<std::mutex> lock(mu_);
    built_ = false;
  }

 private:
  template <typename T>
  void Rebuild(const std::vector<T>& items) const {
    positions_.clear();
    positions_.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) positions_.emplace(items[i].name, i);
    size_ = items.size();
    data_ = items.data();
    built_ = true;
  }

  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, size_t> positions_;
  mutable size_t size_ = 0;
  mutable const void* data_ = nullptr;
  mutable bool built_ = false;
};

struct Environment {
  std::string name;
  int schema = 1;                    // 1 (legacy inverted volumes) or 2 (anything not equal to 1)
  std::string base_dir;              // for envfiles and relative paths
  std::string display_name;          // the file as the user named it
  std::vector<Registry> registries;  // in YAML order
  std::vector<Ship> ships;           // in YAML order
  std::vector<Service> services;     // in YAML order
  std::vector<Instance> instances;   // in YAML order (services, then their instances)
  std::vector<AuditConfig> audit;
  std::vector<Network> networks;     // top-level `networks:`, in YAML order
  std::vector<NamedVolume> volumes;  // top-level `volumes:`, in YAML order
  std::vector<Secret> secrets;       // `secrets:`, in YAML order

  const Network* FindNetwork(const std::string& name) const;
  const NamedVolume* FindVolume(const std::string& name) const;
  const Ship* FindShip(const std::string& name) const;
  const Service* FindService(const std::string& name) const;
  const Instance* FindInstance(const std::string& name) const;
  const Registry* FindRegistry(const std::string& name) const;
  const Secret* FindSecret(const std::string& name) const;  // linear: there are few
  // Forget the name indexes (after renaming or reordering elements in place).
  void InvalidateIndex();

 private:
  NameIndex ship_index_, service_index_, instance_index_, registry_index_;
};

// MaestroNG's get_image_details: rsplit on ':'; a part after ':' containing '/' is a
// registry port, not a tag.
ImageDetails ParseImageDetails(const std::string& image);
// Everything after the first '/'.
std::string ShortImage(const std::string& image);

}  // namespace model
}  // namespace maestro

#endif  // MAESTRO_MODEL_ENVIRONMENT_H_
