#include "maestro/model/environment.h"

#include <algorithm>
#include <string>

namespace maestro {
namespace model {

std::string Ship::DockerUrl() const {
  if (!socket_path.empty() && !ssh_tunnel) return "unix://" + socket_path;
  std::string scheme = (tls || tls_verify) ? "https" : "http";
  return scheme + "://" + endpoint + ":" + std::to_string(docker_port);
}

std::string PortAtom::Number() const {
  std::string s = std::to_string(first);
  if (is_range()) s += "-" + std::to_string(last);
  return s;
}

std::string PortAtom::ToString() const { return Number() + "/" + protocol; }

const char* CheckTypeName(CheckType type) {
  switch (type) {
    case CheckType::kTcp:
      return "tcp";
    case CheckType::kHttp:
      return "http";
    case CheckType::kExec:
      return "exec";
    case CheckType::kRexec:
      return "rexec";
    case CheckType::kSleep:
      return "sleep";
    case CheckType::kHealth:
      return "health";
  }
  return "?";
}

std::vector<std::string> Instance::DockerEnv() const {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& var : env) out.push_back(DockerEnvEntry(var));
  return out;
}

std::string Instance::DockerEnvEntry(const EnvVars::value_type& var) {
  return var.second ? var.first + "=" + *var.second : var.first;
}

std::set<std::string> Instance::Volumes() const {
  std::set<std::string> out = container_volumes;
  for (const Bind& b : volumes) out.insert(b.target);
  return out;
}

const Port* Instance::FindPort(const std::string& port_name) const {
  for (const Port& p : ports) {
    if (p.name == port_name) return &p;
  }
  return nullptr;
}

std::vector<std::string> Service::Dependencies() const {
  std::set<std::string> deps(requires.begin(), requires.end());
  deps.insert(volumes_from_services.begin(), volumes_from_services.end());
  return std::vector<std::string>(deps.begin(), deps.end());
}

const Ship* Environment::FindShip(const std::string& n) const { return ship_index_.Find(ships, n); }
const Service* Environment::FindService(const std::string& n) const {
  return service_index_.Find(services, n);
}
const Instance* Environment::FindInstance(const std::string& n) const {
  return instance_index_.Find(instances, n);
}
const Registry* Environment::FindRegistry(const std::string& n) const {
  return registry_index_.Find(registries, n);
}
const Network* Environment::FindNetwork(const std::string& n) const {
  for (const Network& net : networks) {
    if (net.name == n) return &net;
  }
  return nullptr;
}
const NamedVolume* Environment::FindVolume(const std::string& n) const {
  for (const NamedVolume& v : volumes) {
    if (v.name == n) return &v;
  }
  return nullptr;
}
const Secret* Environment::FindSecret(const std::string& n) const {
  for (const Secret& s : secrets) {
    if (s.name == n) return &s;
  }
  return nullptr;
}
void Environment::InvalidateIndex() {
  ship_index_.Invalidate();
  service_index_.Invalidate();
  instance_index_.Invalidate();
  registry_index_.Invalidate();
}

ImageDetails ParseImageDetails(const std::string& image) {
  size_t colon = image.rfind(':');
  if (colon == std::string::npos) return {image, "latest"};
  std::string tag = image.substr(colon + 1);
  if (tag.find('/') != std::string::npos) return {image, "latest"};
  return {image.substr(0, colon), tag.empty() ? "latest" : tag};
}

std::string ShortImage(const std::string& image) {
  size_t slash = image.find('/');
  return slash == std::string::npos ? image : image.substr(slash + 1);
}

}  // namespace model
}  // namespace maestro

namespace maestro {
namespace model {

int UpdatePolicy::BatchSize(int n) const {
  if (n <= 0) return 0;
  int size = n;
  if (parallelism_percent > 0) {
    size = static_cast<int>((static_cast<int64_t>(n) * parallelism_percent) / 100);
  } else if (parallelism > 0) {
    size = parallelism;
  }
  if (size < 1) size = 1;
  return size > n ? n : size;
}

int UpdatePolicy::RequiredQuorum(int n) const {
  if (quorum_majority) return n / 2 + 1;
  return quorum;
}

const char* UpdateFailureName(UpdatePolicy::Failure failure) {
  switch (failure) {
    case UpdatePolicy::Failure::kPause:
      return "pause";
    case UpdatePolicy::Failure::kContinue:
      return "continue";
    case UpdatePolicy::Failure::kRollback:
      return "rollback";
  }
  return "pause";
}

}  // namespace model
}  // namespace maestro
