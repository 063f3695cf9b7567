// Example guest service: a container entrypoint built against the header-only guest library.
// It prints who it is, its own port and where its peers and its zookeeper dependency are,
// then (in a real service) would exec the server with that configuration.
//
//   bazel run //guest/examples:print_peers  (with the maestro variables in the environment)
#include <iostream>
#include <string>
#include <vector>

#include "maestro/guest.h"

namespace {

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i > 0 ? separator : "") + items[i];
  return out;
}

}  // namespace

int main() {
  maestro::guest::Guest guest;  // the process environment
  auto service = guest.ServiceName();
  auto container = guest.ContainerName();
  if (!service.ok() || !container.ok()) {
    std::cerr << "print_peers: " << (service.ok() ? container.error() : service.error()) << "\n";
    return 1;
  }
  std::cout << "environment: " << guest.EnvironmentName() << "\n";
  std::cout << "me: " << container.value() << " of " << service.value() << " on "
            << guest.ContainerHostAddress().value_or("?") << "\n";
  std::cout << "listen port: " << guest.Port("broker", 9092).value_or(-1) << "\n";

  // Peers: every instance of my own service, with its external broker port.
  auto peers = guest.NodeList(service.value(), {"broker"});
  if (!peers.ok()) {
    std::cerr << "print_peers: " << peers.error() << "\n";
    return 1;
  }
  std::cout << "peers: " << Join(peers.value(), " ") << "\n";

  // A hard dependency: at least one zookeeper node is needed.
  auto zookeeper = guest.NodeList("zookeeper", {"client"}, /*minimum=*/1);
  if (!zookeeper.ok()) {
    std::cerr << "print_peers: " << zookeeper.error() << "\n";
    return 1;
  }
  std::cout << "zookeeper.connect=" << Join(zookeeper.value(), ",") << "\n";
  return 0;
}
