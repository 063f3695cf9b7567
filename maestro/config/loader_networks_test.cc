// Top-level `networks:` and `volumes:`, the instance/service key `networks:` and named-volume
// binds (docs/environment.md#networks): good input and located errors for bad input.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/config_test_util.h"

namespace maestro {
namespace config {
namespace {

using test_util::LoadErrors;
using test_util::LoadText;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Environment "demo" with top-level `top` (already indented YAML), service svc (with `service`
// settings) and its instance c1 (with `instance` settings, flow style).
std::string Env(const std::string& top, const std::string& service, const std::string& instance) {
  return "name: demo\n" + top + "ships: {s1: {ip: 10.0.0.1}}\nservices:\n  svc:\n" +
         "    image: busybox\n" + (service.empty() ? "" : "    " + service + "\n") +
         "    instances:\n      c1: {ship: s1" + (instance.empty() ? "" : ", " + instance) + "}\n";
}

const char kNets[] =
    "networks:\n"
    "  front: {}\n"
    "  back:\n"
    "    driver: bridge\n"
    "    subnet: 10.77.0.0/16\n"
    "    gateway: 10.77.0.1\n"
    "    ip_range: 10.77.5.0/24\n"
    "    internal: true\n"
    "    attachable: true\n"
    "    labels: {team: core}\n"
    "    driver_opts: {com.docker.network.bridge.name: br-back}\n"
    "  shared: {external: true}\n"
    "  fixed: {name: fixed-net}\n";

TEST(LoaderNetworksTest, TopLevelNetworksAndDaemonNames) {
  absl::StatusOr<LoadResult> r = LoadText(Env(kNets, "", ""));
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Environment& env = r->environment;
  ASSERT_EQ(env.networks.size(), 4u);
  EXPECT_EQ(env.networks[0].daemon_name, "demo_front");
  EXPECT_EQ(env.networks[0].driver, "bridge");
  const model::Network& back = env.networks[1];
  EXPECT_EQ(back.daemon_name, "demo_back");
  EXPECT_EQ(back.subnet, "10.77.0.0/16");
  EXPECT_EQ(back.gateway, "10.77.0.1");
  EXPECT_EQ(back.ip_range, "10.77.5.0/24");
  EXPECT_TRUE(back.internal);
  EXPECT_TRUE(back.attachable);
  EXPECT_EQ(back.labels.at("team"), "core");
  EXPECT_EQ(back.driver_opts.at("com.docker.network.bridge.name"), "br-back");
  EXPECT_TRUE(env.networks[2].external);
  EXPECT_EQ(env.networks[2].daemon_name, "shared");
  EXPECT_EQ(env.networks[3].daemon_name, "fixed-net");
}

TEST(LoaderNetworksTest, InstanceListFirstIsPrimary) {
  absl::StatusOr<LoadResult> r = LoadText(Env(kNets, "", "networks: [back, front]"));
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Instance& c = r->environment.instances[0];
  ASSERT_EQ(c.networks.size(), 2u);
  EXPECT_EQ(c.networks[0].network, "back");
  EXPECT_EQ(c.networks[0].daemon_name, "demo_back");
  EXPECT_EQ(c.networks[1].daemon_name, "demo_front");
  EXPECT_EQ(c.hostname, "c1");
}

TEST(LoaderNetworksTest, MappingWithAliasesAndAddressesFromTheService) {
  absl::StatusOr<LoadResult> r =
      LoadText(Env(kNets,
                   "networks: {front: {aliases: [web, www]}, back: {ipv4_address: 10.77.5.9, "
                   "ipv6_address: 'fd00::9'}, shared: }",
                   ""));
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Instance& c = r->environment.instances[0];
  ASSERT_EQ(c.networks.size(), 3u);
  EXPECT_EQ(c.networks[0].network, "front");
  EXPECT_THAT(c.networks[0].aliases, ElementsAre("web", "www"));
  EXPECT_EQ(c.networks[1].ipv4_address, "10.77.5.9");
  EXPECT_EQ(c.networks[1].ipv6_address, "fd00::9");
  EXPECT_EQ(c.networks[2].daemon_name, "shared");
}

TEST(LoaderNetworksTest, InstanceNetworksReplaceTheService) {
  absl::StatusOr<LoadResult> r = LoadText(Env(kNets, "networks: [front]", "networks: [back]"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->environment.instances[0].networks.size(), 1u);
  EXPECT_EQ(r->environment.instances[0].networks[0].network, "back");
}

TEST(LoaderNetworksTest, NetAndNetworksTogetherIsAnErrorThatSaysWhy) {
  EXPECT_EQ(LoadErrors(Env(kNets, "", "net: host, networks: [front]")),
            "maestro.yaml:20:43: services.svc.instances.c1.networks: instance 'c1' sets both "
            "'net' (host) and 'networks': 'net' is Docker's network mode (one network, or "
            "host/none/container:NAME), 'networks' joins user-defined networks; keep one of them");
}

TEST(LoaderNetworksTest, UnknownNetworkNamesTheDeclaredOnes) {
  EXPECT_EQ(LoadErrors(Env(kNets, "", "networks: [front, backend]")),
            "maestro.yaml:20:40: services.svc.instances.c1.networks[1]: unknown network "
            "'backend' in instance 'c1' (declared networks: front, back, shared, fixed)");
  EXPECT_EQ(LoadErrors(Env("", "", "networks: [front]")),
            "maestro.yaml:7:33: services.svc.instances.c1.networks[0]: unknown network 'front' "
            "in instance 'c1' (declared networks: none, add a top-level 'networks:')");
}

TEST(LoaderNetworksTest, BadNetworkDefinitionsAreLocated) {
  EXPECT_EQ(LoadErrors(Env("networks:\n  n1: {driver: weave}\n", "", "")),
            "maestro.yaml:3:16: networks.n1.driver: unknown driver 'weave' for network 'n1' "
            "(expected one of bridge, macvlan, ipvlan, overlay)");
  EXPECT_EQ(LoadErrors(Env("networks:\n  n1: {subnet: 10.0.0.0/33}\n", "", "")),
            "maestro.yaml:3:16: networks.n1.subnet: 'subnet' of network 'n1' must be an address "
            "range like 10.5.0.0/16, got '10.0.0.0/33'");
  EXPECT_EQ(LoadErrors(Env("networks:\n  n1: {subnet: 10.1.0.0/16, gateway: 10.1.0}\n", "", "")),
            "maestro.yaml:3:38: networks.n1.gateway: 'gateway' of network 'n1' must be an IP "
            "address like 10.5.0.1, got '10.1.0'");
  EXPECT_EQ(LoadErrors(Env("networks:\n  n1: {internal: maybe}\n", "", "")),
            "maestro.yaml:3:18: networks.n1.internal: 'internal' of network 'n1' must be true "
            "or false, got a string 'maybe'");
  EXPECT_EQ(LoadErrors(Env("networks:\n  n1: {external: true, driver: bridge}\n", "", "")),
            "maestro.yaml:3:24: networks.n1.driver: 'driver' of network 'n1': an external "
            "network is not created by maestro, so it takes only 'name'");
  EXPECT_EQ(LoadErrors(Env("networks:\n  n1: [a]\n", "", "")),
            "maestro.yaml:3:7: networks.n1: network 'n1' must be a mapping (driver, subnet, "
            "...), got a list");
}

TEST(LoaderNetworksTest, BadAttachmentsAreLocated) {
  EXPECT_THAT(LoadErrors(Env(kNets, "", "networks: {back: {ipv4_address: 'fd00::1'}}")),
              HasSubstr("services.svc.instances.c1.networks.back.ipv4_address: 'ipv4_address' "
                        "of network 'back' of instance 'c1' must be an IPv4 address, got "
                        "'fd00::1'"));
  EXPECT_THAT(LoadErrors(Env(kNets, "", "networks: front")),
              HasSubstr("services.svc.instances.c1.networks: 'networks' of instance 'c1' must "
                        "be a list of network names or a mapping"));
  EXPECT_THAT(LoadErrors(Env(kNets, "", "networks: [front, front]")),
              HasSubstr("network 'front' is listed twice in instance 'c1'"));
}

TEST(LoaderNetworksTest, NamedVolumesBecomeNamedMounts) {
  absl::StatusOr<LoadResult> r = LoadText(
      "name: demo\n__maestro: {schema: 2}\n"
      "volumes:\n  data: {driver: local, labels: {keep: 'yes'}, driver_opts: {type: tmpfs}}\n"
      "  ext: {external: true, name: shared-data}\n"
      "ships: {s1: {ip: 10.0.0.1}}\nservices:\n  svc:\n    image: busybox\n"
      "    instances:\n      c1:\n        ship: s1\n"
      "        volumes: {data: /var/lib/zk, ext: /shared, /srv/logs: /logs}\n");
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Environment& env = r->environment;
  ASSERT_EQ(env.volumes.size(), 2u);
  EXPECT_EQ(env.volumes[0].daemon_name, "demo_data");
  EXPECT_EQ(env.volumes[0].labels.at("keep"), "yes");
  EXPECT_EQ(env.volumes[0].driver_opts.at("type"), "tmpfs");
  EXPECT_EQ(env.volumes[1].daemon_name, "shared-data");
  const model::Instance& c = env.instances[0];
  std::map<std::string, model::Bind> by_target;
  for (const model::Bind& b : c.volumes) by_target[b.target] = b;
  EXPECT_EQ(by_target["/var/lib/zk"].host, "demo_data");
  EXPECT_TRUE(by_target["/var/lib/zk"].named);
  EXPECT_EQ(by_target["/shared"].host, "shared-data");
  EXPECT_TRUE(by_target["/shared"].named);
  EXPECT_EQ(by_target["/logs"].host, "/srv/logs");
  EXPECT_FALSE(by_target["/logs"].named);
}

TEST(LoaderNetworksTest, BadVolumeDefinitionsAreLocated) {
  EXPECT_EQ(LoadErrors(Env("volumes:\n  data: {driver_opts: [1, [2]]}\n", "", "")),
            "maestro.yaml:3:27: volumes.data.driver_opts[1]: 'driver_opts' of volume 'data' "
            "must be a mapping or a list of KEY=VALUE strings, got a list");
  EXPECT_EQ(LoadErrors(Env("volumes:\n  data: {size: 10}\n", "", "")), "<ok>");  // a warning
  EXPECT_EQ(LoadErrors(Env("volumes:\n  data: {external: true, driver: local}\n", "", "")),
            "maestro.yaml:3:26: volumes.data.driver: 'driver' of volume 'data': an external "
            "volume is not created by maestro, so it takes only 'name'");
}

}  // namespace
}  // namespace config
}  // namespace maestro
