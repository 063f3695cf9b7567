// maestro guest functions: what a container learns about its environment, its own service
// and its peers and dependencies from the variables maestro injects (docs/guest.md#the-variables).
// A C++ port of MaestroNG's `maestro.guestutils` (docs/guest.md) with the same names, defaults and
// error texts, returning Result<T> values instead of raising MaestroEnvironmentError.
//
//   #include "maestro/guest.h"
//   maestro::guest::Guest guest;  // reads the process environment
//   auto zk = guest.NodeList("zookeeper", {"client"});
//   if (!zk.ok()) { std::cerr << zk.error() << "\n"; return 1; }
//
// Header-only, standard library plus POSIX (getifaddrs, sockets for the NSS-free resolver);
// no exceptions are thrown. The variable names come from maestro/model/env_contract.h, the
// one header shared with maestro itself.
//
// Differences from MaestroNG 0.8.3 (see docs/guest.md): ContainerHostAddress(true) with an
// empty variable is an error (bug #19, MaestroNG returned "0.0.0.0"); an empty or
// comma-only {S}_INSTANCES lists no instances (MaestroNG looked up a container named "");
// errors also name the variable that was read and why it did not do.
//
// Thread-safety: a Guest is immutable; its const methods may be called from several threads
// as long as the Environ allows it (see environ.h). Ownership: the Environ is not owned and
// must outlive the Guest.
#ifndef MAESTRO_GUEST_H_
#define MAESTRO_GUEST_H_

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "maestro/guest/environ.h"
#include "maestro/guest/resolve.h"
#include "maestro/guest/result.h"
#include "maestro/model/env_contract.h"

namespace maestro {
namespace guest {

inline constexpr const char kDefaultEnvironmentName[] = "local";
inline constexpr const char kDefaultInterface[] = "eth0";

// Python's int(str): surrounding whitespace, an optional sign, decimal digits with single
// '_' separators between digits. nullopt when Python would raise ValueError (so "", "80-90",
// "8o" and "1.5" all fail) or when the value does not fit in a long long.
inline std::optional<long long> ParsePythonInt(const std::string& text) {
  const char* ws = " \t\n\r\v\f";
  size_t begin = text.find_first_not_of(ws);
  if (begin == std::string::npos) return std::nullopt;
  size_t end = text.find_last_not_of(ws) + 1;
  size_t i = begin;
  bool negative = false;
  if (text[i] == '+' || text[i] == '-') {
    negative = text[i] == '-';
    ++i;
  }
  if (i >= end) return std::nullopt;
  unsigned long long magnitude = 0;
  bool previous_digit = false;
  for (; i < end; ++i) {
    char c = text[i];
    if (c == '_') {
      if (!previous_digit || i + 1 >= end) return std::nullopt;
      previous_digit = false;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    previous_digit = true;
    unsigned digit = static_cast<unsigned>(c - '0');
    if (magnitude > (static_cast<unsigned long long>(LLONG_MAX) + 1 - digit) / 10) {
      return std::nullopt;
    }
    magnitude = magnitude * 10 + digit;
  }
  if (!previous_digit) return std::nullopt;
  if (negative) {
    if (magnitude == static_cast<unsigned long long>(LLONG_MAX) + 1) return LLONG_MIN;
    return -static_cast<long long>(magnitude);
  }
  if (magnitude > static_cast<unsigned long long>(LLONG_MAX)) return std::nullopt;
  return static_cast<long long>(magnitude);
}

// The first IPv4 address of a network interface, via getifaddrs.
inline Result<std::string> InterfaceIPv4(const std::string& interface_name) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return Error{"getifaddrs failed"};
  std::optional<std::string> found;
  bool interface_seen = false;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_name == nullptr || interface_name != it->ifa_name) continue;
    interface_seen = true;
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* sin = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text)) != nullptr) {
      found = text;
      break;
    }
  }
  freeifaddrs(list);
  if (found) return *found;
  if (!interface_seen) return Error{"No network interface " + interface_name};
  return Error{"No IPv4 address on network interface " + interface_name};
}

// MaestroNG's update_os_env: copies `vars` into the process environment (setenv).
inline void UpdateProcessEnv(const std::map<std::string, std::string>& vars) {
  for (const auto& kv : vars) setenv(kv.first.c_str(), kv.second.c_str(), 1);
}

class Guest {
 public:
  // Resolves a host name or address to a dotted IPv4 address.
  using Resolver = std::function<Result<std::string>(const std::string& host)>;
  // The first IPv4 address of the named network interface.
  using InterfaceLookup = std::function<Result<std::string>(const std::string& name)>;

  // The process environment, ResolveIPv4 with default options, getifaddrs.
  Guest() : Guest(ProcessEnviron::Instance()) {}
  explicit Guest(const Environ& env)
      : Guest(
            env, [](const std::string& host) { return ResolveIPv4(host); }, InterfaceIPv4) {}
  Guest(const Environ& env, Resolver resolver, InterfaceLookup interfaces)
      : env_(&env), resolver_(std::move(resolver)), interfaces_(std::move(interfaces)) {}

  const Environ& env() const { return *env_; }

  // Resolves a host with this Guest's resolver (ResolveIPv4 by default).
  Result<std::string> ResolveHost(const std::string& host) const { return resolver_(host); }

  // get_environment_name(): MAESTRO_ENVIRONMENT_NAME, "local" when absent. Never fails.
  std::string EnvironmentName() const {
    return env_->Get(env_contract::kEnvironmentName).value_or(kDefaultEnvironmentName);
  }

  // get_service_name(): SERVICE_NAME; missing or empty is an error.
  Result<std::string> ServiceName() const {
    return NonEmpty(env_contract::kServiceName, "Service name was not defined");
  }

  // get_container_name(): CONTAINER_NAME; missing or empty is an error.
  Result<std::string> ContainerName() const {
    return NonEmpty(env_contract::kContainerName, "Container name was not defined");
  }

  // get_container_host_address(as_ip_address): CONTAINER_HOST_ADDRESS, optionally resolved
  // to an IPv4 address. Missing or empty is an error, also with as_ip_address (bug #19).
  Result<std::string> ContainerHostAddress(bool as_ip_address = false) const {
    Result<std::string> address =
        NonEmpty(env_contract::kContainerHostAddress, "Container host address was not defined");
    if (!address.ok() || !as_ip_address) return address;
    Result<std::string> ip = resolver_(address.value());
    if (!ip.ok()) {
      return Error{"Could not resolve the container host address " + address.value() + " (" +
                   env_contract::kContainerHostAddress + "): " + ip.error()};
    }
    return ip;
  }

  // get_container_internal_address(): the first IPv4 address of eth0 (or `interface_name`).
  Result<std::string> ContainerInternalAddress(
      const std::string& interface_name = kDefaultInterface) const {
    return interfaces_(interface_name);
  }

  // get_port(name, default): the internal (exposed) port `name` of this very container,
  // i.e. SpecificExposedPort(ServiceName(), ContainerName(), name, default_value).
  Result<int> Port(const std::string& name,
                   std::optional<long long> default_value = std::nullopt) const {
    Result<std::string> service = ServiceName();
    if (!service.ok()) return Error{service.error()};
    Result<std::string> container = ContainerName();
    if (!container.ok()) return Error{container.error()};
    return SpecificExposedPort(service.value(), container.value(), name, default_value);
  }

  // get_specific_host(service, container): {S}_{C}_HOST. Only absence is an error (an empty
  // value is returned as is, like MaestroNG).
  Result<std::string> SpecificHost(const std::string& service, const std::string& container) const {
    std::string var = env_contract::HostVar(service, container);
    std::optional<std::string> host = env_->Get(var);
    if (!host) {
      return Error{"No host defined for container " + container + " of service " + service + " (" +
                   var + " is not set)"};
    }
    return *host;
  }

  // get_specific_port(service, container, port, default): {S}_{C}_{P}_PORT, the external
  // port. The default is used only when the variable is absent; an empty or non-integer
  // value (such as a range "9000-9010") is an error naming the variable.
  Result<int> SpecificPort(const std::string& service, const std::string& container,
                           const std::string& port,
                           std::optional<long long> default_value = std::nullopt) const {
    return ReadPort(
        env_contract::PortVar(service, container, port), default_value,
        "No port " + port + " defined for container " + container + " of service " + service);
  }

  // get_specific_exposed_port(service, container, port, default): {S}_{C}_{P}_INTERNAL_PORT
  // (only set for the peers of S), with SpecificPort's semantics.
  Result<int> SpecificExposedPort(const std::string& service, const std::string& container,
                                  const std::string& port,
                                  std::optional<long long> default_value = std::nullopt) const {
    return ReadPort(env_contract::InternalPortVar(service, container, port), default_value,
                    "No internal port " + port + " defined for container " + container +
                        " of service " + service);
  }

  // _get_service_instance_names(service): {S}_INSTANCES split on ','. Absent, empty or
  // empty items list nothing.
  std::vector<std::string> ServiceInstanceNames(const std::string& service) const {
    std::vector<std::string> names;
    std::optional<std::string> list = env_->Get(env_contract::InstancesVar(service));
    if (!list) return names;
    size_t start = 0;
    while (start <= list->size()) {
      size_t comma = list->find(',', start);
      if (comma == std::string::npos) comma = list->size();
      if (comma > start) names.push_back(list->substr(start, comma - start));
      start = comma + 1;
    }
    return names;
  }

  // get_node_list(service, ports, minimum): "host[:port1[:port2...]]" for every instance in
  // {S}_INSTANCES order, with the external ports named in `ports`. A missing host or port is
  // an error; fewer than `minimum` nodes is "No or not enough {service} nodes configured".
  Result<std::vector<std::string>> NodeList(const std::string& service,
                                            const std::vector<std::string>& ports = {},
                                            int minimum = 1) const {
    std::vector<std::string> nodes;
    for (const std::string& container : ServiceInstanceNames(service)) {
      Result<std::string> host = SpecificHost(service, container);
      if (!host.ok()) return Error{host.error()};
      std::string node = host.value();
      for (const std::string& port : ports) {
        Result<int> number = SpecificPort(service, container, port);
        if (!number.ok()) return Error{number.error()};
        node += ":" + std::to_string(number.value());
      }
      nodes.push_back(std::move(node));
    }
    if (static_cast<long long>(nodes.size()) < minimum) {
      std::string var = env_contract::InstancesVar(service);
      std::string why = env_->Get(var) ? var + " lists " + std::to_string(nodes.size()) +
                                             ", minimum " + std::to_string(minimum)
                                       : var + " is not set";
      return Error{"No or not enough " + service + " nodes configured (" + why + ")"};
    }
    return nodes;
  }

  // ---- Discovery beyond MaestroNG (used by `maestro-guest --json` and `wait-for`). ----

  // The sanitised prefixes S of every {S}_INSTANCES variable, sorted.
  std::vector<std::string> DiscoveredServicePrefixes() const {
    static const std::string kSuffix = "_INSTANCES";
    std::vector<std::string> out;
    for (const std::string& name : env_->Names()) {
      if (name.size() > kSuffix.size() &&
          name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
        out.push_back(name.substr(0, name.size() - kSuffix.size()));
      }
    }
    return out;
  }

  // The sanitised names P of the port variables {S}_{C}_{P}_PORT (internal == false) or
  // {S}_{C}_{P}_INTERNAL_PORT (internal == true) of one container, sorted. Variables that
  // belong to another instance of S whose sanitised name extends C's ("zk" and "zk-1") are
  // attributed to that instance. `instances` (an InstanceIndex of S) saves re-reading
  // {S}_INSTANCES when asking about many containers of one service.
  std::vector<std::string> PortNames(const std::string& service, const std::string& container,
                                     bool internal) const {
    return PortNames(service, container, internal, InstanceIndex(ServiceInstanceNames(service)));
  }

  // The sanitised names of a service's instances, sorted, for PortNames.
  class InstanceIndex {
   public:
    explicit InstanceIndex(const std::vector<std::string>& instances) {
      sanitised_.reserve(instances.size());
      for (const std::string& name : instances) {
        sanitised_.push_back(env_contract::ToEnvVarName(name));
      }
      std::sort(sanitised_.begin(), sanitised_.end());
    }
    // The sanitised names that extend `sanitised` + "_" (sorted): a range lookup.
    std::vector<std::string> Extending(const std::string& sanitised) const {
      const std::string low = sanitised + "_";
      const std::string high = sanitised + "`";  // '`' follows '_'
      return std::vector<std::string>(std::lower_bound(sanitised_.begin(), sanitised_.end(), low),
                                      std::lower_bound(sanitised_.begin(), sanitised_.end(), high));
    }

   private:
    std::vector<std::string> sanitised_;
  };

  std::vector<std::string> PortNames(const std::string& service, const std::string& container,
                                     bool internal, const InstanceIndex& instances) const {
    const std::string s = env_contract::ToEnvVarName(service);
    const std::string own = env_contract::ToEnvVarName(container);
    const std::string prefix = s + "_" + own + "_";
    // Prefixes of other instances that extend ours, sorted like the variable names.
    std::vector<std::string> longer;
    for (const std::string& other : instances.Extending(own)) {
      longer.push_back(s + "_" + other + "_");
    }
    std::sort(longer.begin(), longer.end());  // the trailing '_' can change the order
    static const std::string kInternal = "_INTERNAL_PORT";
    static const std::string kExternal = "_PORT";
    std::vector<std::string> out;
    size_t j = 0;
    for (const std::string& name : env_->NamesWithPrefix(prefix)) {
      // Both lists are sorted: a prefix below `name` that `name` does not start with is below
      // every later name too, so one merge pass finds the names of other instances.
      while (j < longer.size() && longer[j] < name &&
             name.compare(0, longer[j].size(), longer[j]) != 0) {
        ++j;
      }
      if (j < longer.size() && name.compare(0, longer[j].size(), longer[j]) == 0) continue;
      std::string rest = name.substr(prefix.size());
      auto ends_with = [&rest](const std::string& suffix) {
        return rest.size() > suffix.size() &&
               rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0;
      };
      if (internal) {
        if (ends_with(kInternal)) out.push_back(rest.substr(0, rest.size() - kInternal.size()));
      } else if (ends_with(kExternal) && !ends_with(kInternal)) {
        out.push_back(rest.substr(0, rest.size() - kExternal.size()));
      }
    }
    return out;
  }

 private:
  Result<std::string> NonEmpty(const char* var, const std::string& message) const {
    std::optional<std::string> value = env_->Get(var);
    if (!value) return Error{message + " (" + var + " is not set)"};
    if (value->empty()) return Error{message + " (" + var + " is empty)"};
    return *value;
  }

  // int(os.environ.get(var, default)), with the failure explained.
  Result<int> ReadPort(const std::string& var, std::optional<long long> default_value,
                       const std::string& message) const {
    std::optional<std::string> raw = env_->Get(var);
    std::optional<long long> number;
    if (!raw) {
      if (!default_value) return Error{message + " (" + var + " is not set)"};
      number = default_value;
    } else if (raw->empty()) {
      return Error{message + " (" + var + " is empty)"};
    } else {
      number = ParsePythonInt(*raw);
      if (!number) {
        return Error{message + " (" + var + "='" + *raw + "' is not an integer)"};
      }
    }
    if (*number < INT_MIN || *number > INT_MAX) {
      return Error{message + " (" + var + ": " + std::to_string(*number) + " is out of range)"};
    }
    return static_cast<int>(*number);
  }

  const Environ* env_;
  Resolver resolver_;
  InterfaceLookup interfaces_;
};

}  // namespace guest
}  // namespace maestro

#endif  // MAESTRO_GUEST_H_
