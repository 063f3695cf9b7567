// The environment loader's internals, shared by its source files (not a public API: use
// loader.h). One Loader object loads one file; its methods are split by job:
//   loader.cc           diagnostics, typed accessors, top-level keys, registries, audit,
//                       cross-references (dependencies, volumes_from, cycles), link variables;
//   loader_ships.cc     ships and ship_defaults;
//   loader_services.cc  services and the container environment building (env, envfile);
//   loader_instance.cc  instances (command, ports, volumes, limits, logging, ...);
//   loader_checks.cc    lifecycle states and checks;
//   loader_networks.cc  top-level networks and named volumes, instance `networks:`.
//   loader_update.cc    service_defaults and the `update:` policy.
//   loader_secrets.cc   top-level secrets and the secrets of services and instances.
//   loader_container_keys.cc  the Compose-style container keys (tmpfs, read_only, ...).
//   loader_template.cc  instance templates (`zk-{index}: {count: 3, ships: [...]}`).
// Every problem is recorded as a Diagnostic at the YAML node it is about; Load() turns them
// into one Status. Thread-compatible: one Loader per load.
#ifndef MAESTRO_CONFIG_LOADER_INTERNAL_H_
#define MAESTRO_CONFIG_LOADER_INTERNAL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "maestro/config/diagnostic.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"
#include "maestro/config/yaml_tree.h"
#include "maestro/model/environment.h"
#include "maestro/transport/connection_spec.h"
#include "nlohmann/json.hpp"

namespace maestro {
namespace config {
namespace loader_internal {

// At most this many instances come from templates in one file (and from one template).
constexpr int64_t kMaxTemplateInstances = 10000;

using EnvMap = std::map<std::string, std::optional<std::string>>;
using Kind = YamlNode::Kind;

bool Contains(const std::vector<std::string>& v, const std::string& s);
// The Compose-style container keys (loader_container_keys.cc), valid on services and
// instances; WithContainerKeys appends them to a list of known keys.
const std::vector<std::string>& ContainerKeyNames();
std::vector<std::string> WithContainerKeys(std::vector<std::string> keys);
// A YAML value as JSON (strings as Python's str() of the scalar).
nlohmann::json ToJson(const YamlNode& node);

// How Loader::StringMap reads entries.
struct StringMapRules {
  // Values must be non-null, non-bool scalars (else any scalar; null is "").
  bool strict_values = false;
  // List items must contain '=' (else "KEY" alone is KEY with an empty value).
  bool require_equals = false;
  // Checks one entry; an error is reported at the entry (the list item or mapping key).
  std::function<absl::Status(const std::string& key, const std::string& value)> check;
};

class Loader {
 public:
  Loader(const LoadInput& in, FileReader& files) : in_(in), files_(files) {}

  absl::StatusOr<LoadResult> Load();

 private:
  // --- diagnostics (loader.cc) -------------------------------------------------------------
  void Error(const YamlNode& at, const std::string& message);
  void Warn(const YamlNode& at, const std::string& message, bool with_path = true);
  // Warns about every key of `map` not in `known` (keys starting with '_' are allowed when
  // `allow_underscore`).
  void CheckKeys(const YamlNode& map, const std::vector<std::string>& known,
                 const std::string& where, bool allow_underscore = false);
  // All errors, in document order, without repeats (a bad service-level value is seen once per
  // instance).
  absl::Status ErrorsStatus() const;

  // --- typed accessors (loader.cc; report and return nullopt on a bad type) ----------------
  std::optional<std::string> String(const YamlNode& node, const std::string& what);
  std::optional<int64_t> Int(const YamlNode& node, const std::string& what);
  std::optional<bool> Bool(const YamlNode& node, const std::string& what);
  // A string or a list of strings.
  std::optional<std::vector<std::string>> StringList(const YamlNode& node, const std::string& what);
  const YamlNode* Mapping(const YamlNode* node, const std::string& what);

  // --- top level and cross-references (loader.cc) ------------------------------------------
  void LoadRegistries(const YamlNode* node);
  void LoadAudit(const YamlNode* node);
  void ResolveDependencies();
  void CheckVolumesFrom();
  void CheckCycles();
  void InjectLinkVariables();

  // --- ships (loader_ships.cc) -------------------------------------------------------------
  void LoadShips(const YamlNode& root);
  void LoadShip(const YamlNode& key, const YamlNode& node, const YamlNode* defaults);
  // `url` is the parsed docker_host when it is an ssh:// URL, else null.
  void LoadSshTunnel(const YamlNode& node, const transport::ConnectionSpec* url, model::Ship& ship);

  // --- services and their environment (loader_services.cc) ---------------------------------
  void LoadServices(const YamlNode* node);
  void LoadService(const YamlNode& key, const YamlNode& node);
  bool AddEnvFiles(const YamlNode& node, EnvMap* env);
  bool AddEnvMapping(const YamlNode& node, EnvMap* env);
  std::optional<std::string> FlattenEnvList(const std::string& key, const YamlNode& list, bool* ok);

  // --- instances (loader_instance.cc) ------------------------------------------------------
  void LoadInstance(const YamlNode& service_node, model::Service& service, const YamlNode& key,
                    const YamlNode& node);
  void LoadCommand(const YamlNode& node, model::Instance& c);
  void LoadPorts(const YamlNode& service_node, const YamlNode& node, model::Instance& c);
  void LoadVolumes(const YamlNode& node, model::Instance& c);
  void LoadHostSettings(const YamlNode& node, model::Instance& c);
  void LoadLimits(const YamlNode& service_node, const YamlNode& node, model::Instance& c);
  void LoadLogging(const YamlNode& node, model::Instance& c);
  void LoadKernelSettings(const YamlNode& node, model::Instance& c);
  void LoadLabels(const YamlNode& node, model::Instance& c);
  // `healthcheck:` (service, overridden per key by the instance).
  void LoadHealthcheck(const YamlNode& service_node, const YamlNode& node, model::Instance& c);

  // --- instance templates (loader_template.cc) ---------------------------------------------
  // The entries of a service's `instances:` mapping with templates expanded in place, as
  // (key, settings) nodes; a template with an error is reported and contributes nothing.
  using InstanceEntries = std::vector<std::pair<const YamlNode*, const YamlNode*>>;
  InstanceEntries ExpandInstances(const YamlNode& instances);
  static bool IsInstanceTemplate(const YamlNode& key);
  // The `count` of a template when valid, else 0 (for reserving space).
  static int64_t TemplateCount(const YamlNode& node);
  // `written`: the hand-written instance names of the service, with their key nodes.
  void ExpandTemplate(const YamlNode& key, const YamlNode& node,
                      const std::map<std::string, const YamlNode*>& written, InstanceEntries* out);
  // Substitutes {index}, {ship} and expressions in every string (values and mapping keys) of
  // `node`'s subtree; a value that is one arithmetic expression becomes an integer.
  bool SubstituteTree(YamlNode& node, int64_t index, const std::string& ship,
                      const std::string& where, bool is_key = false);

  // --- networks and named volumes (loader_networks.cc) -------------------------------------
  void LoadNetworks(const YamlNode* node);
  void LoadNamedVolumes(const YamlNode* node);
  // `networks:` of the instance, else of its service (after `net` is loaded).
  void LoadInstanceNetworks(const YamlNode& service_node, const YamlNode& node, model::Instance& c);
  // Binds whose source is a declared volume become named-volume mounts.
  void ResolveNamedVolumes(model::Instance& c);
  // A mapping of scalars, or a list of "KEY=VALUE" strings (labels, driver_opts, sysctls). Every
  // bad entry is reported; nullopt if any was.
  std::optional<std::map<std::string, std::string>> StringMap(
      const YamlNode& node, const std::string& what,
      const StringMapRules& rules = StringMapRules());
  std::string DaemonName(const YamlNode& spec, const std::string& key, bool* external,
                         const std::string& what);
  // --- rolling update policy (loader_update.cc) --------------------------------------------
  void LoadServiceDefaults(const YamlNode* node);
  // `update:` of a service (or of service_defaults); after the service's instances are loaded.
  void LoadUpdate(const YamlNode& service_node, model::Service& service);
  // --- secrets (loader_secrets.cc) ---------------------------------------------------------
  void LoadSecrets(const YamlNode* node);
  // `secrets:` of the service, overridden by name by the instance's.
  void LoadInstanceSecrets(const YamlNode& service_node, const YamlNode& node, model::Instance& c);
  // --- container keys: tmpfs, read_only, init, ... (loader_container_keys.cc) --------------
  // The instance's value of each key, else the service's. Runs after LoadLimits (cpu_shares).
  void LoadContainerKeys(const YamlNode& service_node, const YamlNode& node, model::Instance& c);
  void LoadTmpfs(const YamlNode& node, model::ContainerOptions& o);
  // A non-null, non-bool scalar as text.
  std::optional<std::string> Word(const YamlNode& node, const std::string& what);

  // --- lifecycle checks (loader_checks.cc) -------------------------------------------------
  void LoadLifecycle(const YamlNode* service_lc, const YamlNode* instance_lc,
                     const model::Ship& ship, model::Instance& c);
  std::optional<model::Check> LoadCheck(const YamlNode& node, const std::string& state,
                                        const model::Ship& ship, const model::Instance& c);

  const LoadInput& in_;
  FileReader& files_;
  model::Environment env_;
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
  // Source nodes kept for messages after the first pass.
  std::map<std::string, const YamlNode*> service_keys_;
  std::map<std::string, const YamlNode*> service_nodes_;
  std::map<std::string, const YamlNode*> instance_nodes_;
  std::map<std::string, const YamlNode*> instance_keys_;
  std::map<std::string, std::string> instance_owner_;
  // Ships that failed to load: their instances are not reported again as "unknown ship".
  std::set<std::string> bad_ships_;
  // The nodes of expanded instance templates (a deque: nodes never move once made).
  std::deque<YamlNode> template_nodes_;
  int64_t templated_ = 0;  // instances made from templates so far
  const YamlNode* service_defaults_ =
      nullptr;  // `service_defaults:` when a mapping  // instance -> service (first definition)
};

}  // namespace loader_internal
}  // namespace config
}  // namespace maestro

#endif  // MAESTRO_CONFIG_LOADER_INTERNAL_H_
