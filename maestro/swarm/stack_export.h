// `maestro export swarm` (docs/swarm.md): the environment as a Compose-format stack file
// (version 3.8, what `docker stack deploy -c` reads), one Swarm service per instance (replicas
// 1), pinned to its ship, with host-mode published ports, so every task keeps its ship's
// address and external port and sees exactly the environment `maestro start` injects.
//
// The stack is derived from spec::BuildCreateBody, the one home of "what a container is": every
// field of the create body is either mapped to its Compose key or reported as a Gap (one per
// instance and key, with what the export does instead). A body field this file does not know
// is a Gap too, so a container key added later is never dropped silently.
//
// Compose interpolates `$` in every value at deploy time: the writer doubles it, so a value
// reaches the task byte for byte.
//
// Pure functions over values; safe from any thread.
#ifndef MAESTRO_SWARM_STACK_EXPORT_H_
#define MAESTRO_SWARM_STACK_EXPORT_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "maestro/model/environment.h"

namespace maestro::swarm {

// How a service is pinned to its ship's node.
enum class Placement {
  kNodeLabel,  // node.labels.maestro.ship == SHIP (set with `maestro swarm label` or by hand)
  kHostname,   // node.hostname == SHIP's address as written (`ip`)
};

struct ExportOptions {
  Placement placement = Placement::kNodeLabel;
  // Services whose instances are not pinned: Swarm may reschedule them. Their peers then reach
  // them through Swarm DNS: in every exported container, `{S}_{C}_HOST` becomes the Swarm
  // service name and `{S}_{C}_{P}_PORT` the container port; their ports are published in
  // ingress mode. Every name must be a service of the environment.
  std::set<std::string> relaxed_services;
  // Gaps become an error (FailedPrecondition listing every one).
  bool strict = false;
};

// Something of an instance that has no Swarm equivalent, and what the export does instead.
struct Gap {
  std::string instance;
  std::string key;   // the environment file's key: "links", "privileged", "ports.admin", ...
  std::string note;  // "no Swarm equivalent; peers find each other through *_HOST variables"
  std::string ToString() const;  // "web-1: links: no Swarm equivalent; ..."
};

// The intermediate model: one Swarm service per instance, with exactly what the stack file
// writes. RenderStackYaml (the stack file) and ServiceSpec (service_spec.h, what `--deploy`
// sends) are both built from it, so the two never disagree.
struct SwarmPort {
  int target = 0;
  int published = 0;
  std::string protocol = "tcp";
  bool host_mode = true;  // false: ingress (relaxed services)
};
struct SwarmMount {
  std::string type;  // bind | volume (anonymous, or named: source) | tmpfs
  std::string source, target;
  bool read_only = false;
  std::string propagation;            // bind only; "" = the default
  std::optional<int64_t> tmpfs_size;  // tmpfs only
};
struct SwarmSecretRef {
  std::string key;     // the stack's secret key (the environment's secret name)
  std::string target;  // absolute path in the task
  int mode = 0400;
  std::optional<int64_t> uid, gid;
};
struct SwarmNetworkRef {
  std::string key;  // the stack's network key ("default": the stack's own; "hostnet": host)
  std::vector<std::string> aliases;
};
struct SwarmService {
  std::string name;  // the instance name; the deployed service is STACK_<name>
  std::string image;
  std::optional<std::string> hostname, user, working_dir, stop_signal;
  std::optional<std::vector<std::string>> command, entrypoint;
  std::vector<std::string> env;                             // "KEY=VALUE" or "KEY", in order
  std::vector<std::pair<std::string, std::string>> labels;  // container labels, sorted
  std::vector<SwarmPort> ports;
  std::vector<SwarmMount> mounts;
  std::optional<bool> tty, stdin_open, read_only, init;
  std::vector<std::pair<std::string, std::string>> sysctls;
  std::optional<std::vector<std::string>> cap_add, cap_drop, dns;
  std::optional<std::vector<std::string>> extra_hosts;  // "host:ip"
  std::optional<std::string> log_driver;
  std::vector<std::pair<std::string, std::string>> log_options;
  std::optional<model::Healthcheck> healthcheck;
  int64_t stop_grace_seconds = 10;
  std::vector<SwarmNetworkRef> networks;  // empty: the stack's default network
  std::optional<std::string> constraint;  // none for relaxed services
  std::string restart_condition;          // none | any | on-failure; "" = no restart policy
  int max_attempts = 0;                   // on-failure only; 0 = unlimited
  std::optional<int64_t> memory_limit, memory_reservation;
  std::vector<std::pair<std::string, std::string>> deploy_labels;  // the service's labels
  std::vector<SwarmSecretRef> secrets;
};
// A network of the stack: an environment `networks:` entry (overlay), or an external one.
struct StackNetwork {
  std::string key;
  std::string name;  // external: the name on the swarm; else "" (deployed as STACK_<key>)
  bool external = false;
  bool attachable = false, internal = false;
  std::string subnet;  // IPAM (Compose 3.8 takes a subnet only)
  std::vector<std::pair<std::string, std::string>> labels, driver_opts;
};
// An environment secret as a Swarm secret. Swarm secrets are immutable, so the name carries
// the value's salted fingerprint: "<environment>_<secret>_<fingerprint>"; a changed value is a
// new secret. The value is never part of this model.
struct StackSecret {
  std::string key;   // the environment's secret name
  std::string name;  // the versioned Swarm secret name
  std::string file;  // `file:` secrets: the absolute path the stack file names (never a value)
};
struct StackModel {
  std::vector<SwarmService> services;  // in instance order
  std::vector<StackNetwork> networks;  // used by some service, in file order
  std::vector<StackSecret> secrets;    // used by some service, in file order
  std::vector<std::string> volumes;    // named volumes some service mounts (daemon names)
  bool uses_default_network = false;   // some service joins the stack's default network
  std::vector<Gap> gaps;               // in instance order
};

struct StackExport {
  std::string yaml;
  std::vector<Gap> gaps;  // in instance order
  StackModel model;
};

// The model for `containers` (instance names, in the order they are written). Fails with
// InvalidArgument for a relaxed service that does not exist or an instance name Swarm cannot
// take as a service name, and with FailedPrecondition under `strict` when there are gaps.
// Secrets must have been resolved (config::ResolveSecrets) for their versioned names.
absl::StatusOr<StackModel> BuildStackModel(const model::Environment& env,
                                           const std::vector<std::string>& containers,
                                           const ExportOptions& options);

// The stack file of `model` (stack_yaml.cc).
std::string RenderStackYaml(const model::Environment& env, const StackModel& model);

// "<environment>_<secret>_<fingerprint>" (config::SecretFingerprint: salted, never the value's
// bare hash); without a fingerprint (secrets not resolved) "<environment>_<secret>".
std::string SwarmSecretName(const std::string& environment, const std::string& secret,
                            const std::string& fingerprint);

// BuildStackModel, then RenderStackYaml.
absl::StatusOr<StackExport> ExportSwarmStack(const model::Environment& env,
                                             const std::vector<std::string>& containers,
                                             const ExportOptions& options);

}  // namespace maestro::swarm

#endif  // MAESTRO_SWARM_STACK_EXPORT_H_
