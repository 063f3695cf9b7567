// Environ: where the guest functions read the variables maestro injected. The default reads
// the process environment (getenv/environ); tests and embedders hand in a MapEnviron.
//
// Thread-safety: MapEnviron is immutable after construction and safe to share. ProcessEnviron
// reads the live process environment: safe as long as nobody calls setenv/putenv meanwhile.
// Ownership: whoever builds a Guest keeps its Environ alive for the Guest's lifetime.
#ifndef MAESTRO_GUEST_ENVIRON_H_
#define MAESTRO_GUEST_ENVIRON_H_

#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

extern "C" char** environ;

namespace maestro {
namespace guest {

class Environ {
 public:
  virtual ~Environ() = default;
  // nullopt when the variable is absent (an empty value is present and empty).
  virtual std::optional<std::string> Get(const std::string& name) const = 0;
  // Every variable name, sorted, without duplicates.
  virtual std::vector<std::string> Names() const = 0;
  // The names starting with `prefix`, sorted. MapEnviron answers in O(log n + matches).
  virtual std::vector<std::string> NamesWithPrefix(const std::string& prefix) const {
    std::vector<std::string> out;
    for (std::string& name : Names()) {
      if (name.compare(0, prefix.size(), prefix) == 0) out.push_back(std::move(name));
    }
    return out;
  }
};

// The process environment.
class ProcessEnviron : public Environ {
 public:
  std::optional<std::string> Get(const std::string& name) const override {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }
  std::vector<std::string> Names() const override {
    std::map<std::string, bool> names;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      const char* eq = std::strchr(*entry, '=');
      if (eq == nullptr || eq == *entry) continue;
      names.emplace(std::string(*entry, static_cast<size_t>(eq - *entry)), true);
    }
    std::vector<std::string> out;
    out.reserve(names.size());
    for (const auto& kv : names) out.push_back(kv.first);
    return out;
  }
  // A shared instance for the default-constructed Guest.
  static const ProcessEnviron& Instance() {
    static const ProcessEnviron* instance = new ProcessEnviron();
    return *instance;
  }
};

// A fixed set of variables.
class MapEnviron : public Environ {
 public:
  MapEnviron() = default;
  explicit MapEnviron(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  // MapEnviron env{{"SERVICE_NAME", "kafka"}, {"CONTAINER_NAME", "kafka-1"}};
  MapEnviron(std::initializer_list<std::pair<const std::string, std::string>> vars) : vars_(vars) {}
  // A copy of the process environment as it is now: lookups in O(log n) instead of getenv's
  // linear scan (the maestro-guest binary reads through one of these).
  static MapEnviron FromProcess() {
    std::map<std::string, std::string> vars;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      const char* eq = std::strchr(*entry, '=');
      if (eq == nullptr || eq == *entry) continue;
      // The first entry of a name wins, as with getenv.
      vars.emplace(std::string(*entry, static_cast<size_t>(eq - *entry)), std::string(eq + 1));
    }
    return MapEnviron(std::move(vars));
  }
  // Parses "KEY=VALUE" entries (an envp); entries without '=' are ignored.
  static MapEnviron FromEntries(const std::vector<std::string>& entries) {
    std::map<std::string, std::string> vars;
    for (const std::string& entry : entries) {
      size_t eq = entry.find('=');
      if (eq == std::string::npos || eq == 0) continue;
      vars[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    return MapEnviron(std::move(vars));
  }

  std::optional<std::string> Get(const std::string& name) const override {
    auto it = vars_.find(name);
    if (it == vars_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> Names() const override {
    std::vector<std::string> out;
    out.reserve(vars_.size());
    for (const auto& kv : vars_) out.push_back(kv.first);
    return out;
  }
  std::vector<std::string> NamesWithPrefix(const std::string& prefix) const override {
    std::vector<std::string> out;
    for (auto it = vars_.lower_bound(prefix);
         it != vars_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      out.push_back(it->first);
    }
    return out;
  }
  const std::map<std::string, std::string>& vars() const { return vars_; }

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace guest
}  // namespace maestro

#endif  // MAESTRO_GUEST_ENVIRON_H_
