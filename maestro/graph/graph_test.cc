#include "maestro/graph/graph.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "maestro/config/loader.h"
#include "maestro/graph/container_graph.h"

namespace maestro {
namespace graph {
namespace {

model::Environment LoadOrDie(const std::string& text) {
  config::FakeFileReader files;
  config::LoadInput in{"maestro.yaml", "", text, {}};
  auto r = config::LoadEnvironment(in, files);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->environment : model::Environment();
}

// The zookeeper/kafka example whose order was verified against MaestroNG 0.8.3.
const char kZk[] = R"(
name: t
ships: {ship1: {ip: 10.0.0.1}, ship2: {ip: 10.0.0.2}}
services:
  zookeeper:
    image: zk
    instances: {zk-1: {ship: ship1}, zk-2: {ship: ship2}}
  kafka:
    image: kafka
    requires: [zookeeper]
    instances: {kafka-1: {ship: ship1}}
  tools:
    image: tools
    omit: true
    wants_info: [kafka]
    instances: {tools-1: {ship: ship2}}
)";

TEST(GraphTest, StaticOrder) {
  model::Environment env = LoadOrDie(kZk);
  EXPECT_EQ(OrderContainers(env, {"kafka-1", "tools-1", "zk-1", "zk-2"}, true),
            (std::vector<std::string>{"tools-1", "zk-1", "zk-2", "kafka-1"}));
  EXPECT_EQ(OrderContainers(env, {"kafka-1", "zk-1", "zk-2"}, false),
            (std::vector<std::string>{"kafka-1", "zk-1", "zk-2"}));
}

TEST(GraphTest, ResolveThings) {
  model::Environment env = LoadOrDie(kZk);
  EXPECT_EQ(*ResolveThings(env, {"zookeeper", "zk-1", "zk-1"}, true, "", "", false, true),
            (std::vector<std::string>{"zk-1", "zk-2"}));
  EXPECT_EQ(ResolveThings(env, {"zookeeper"}, false, "", "", false, true).status().message(),
            "zookeeper is a service but --expand-services was not specified");
  EXPECT_EQ(ResolveThings(env, {"nope"}, true, "", "", false, true).status().message(),
            "nope is neither a service nor a container!");
  EXPECT_EQ(*ResolveThings(env, {"kafka-1"}, false, "", "", true, true),
            (std::vector<std::string>{"zk-1", "zk-2", "kafka-1"}));
  // Filters apply even with dependencies (MaestroNG ignored -C/-S for dependencies: bug 1, fixed).
  EXPECT_EQ(*ResolveThings(env, {"kafka-1"}, false, "zk*", "", true, true),
            (std::vector<std::string>{"zk-1", "zk-2"}));
  EXPECT_EQ(*ResolveThings(env, {"kafka-1"}, false, "", "ship2", true, true),
            (std::vector<std::string>{"zk-2"}));
  // Reverse: dependents first.
  EXPECT_EQ(*ResolveThings(env, {"zookeeper"}, true, "", "", true, false),
            (std::vector<std::string>{"kafka-1", "zk-1", "zk-2"}));
  EXPECT_EQ(ServiceClosure(env, "kafka", true), std::set<std::string>{"zookeeper"});
  EXPECT_EQ(ServiceClosure(env, "zookeeper", false), std::set<std::string>{"kafka"});
}

TEST(GraphTest, UpstreamContainerFilters) {
  model::Environment env = LoadOrDie(R"(
name: t
ships: {ship1: {ip: ship-ab}, ship2: {ip: ship-bb}}
services:
  webapp: {image: w, instances: {webapp-a: {ship: ship1}, webapp-b: {ship: ship2}}}
  webapp1: {image: w, instances: {webapp1-a: {ship: ship1}, webapp1-b: {ship: ship2}}}
)");
  EXPECT_EQ(ResolveThings(env, {"webapp"}, true, "", "", false, true)->size(), 2u);
  EXPECT_EQ(*ResolveThings(env, {"webapp"}, true, "*-a", "", false, true),
            std::vector<std::string>{"webapp-a"});
  EXPECT_EQ(*ResolveThings(env, {"webapp"}, true, "", "ship*2", false, true),
            std::vector<std::string>{"webapp-b"});
  EXPECT_EQ(*ResolveThings(env, {"webapp", "webapp1"}, true, "*-b", "ship*2", false, true),
            (std::vector<std::string>{"webapp-b", "webapp1-b"}));
}

TEST(GraphTest, DepTree) {
  model::Environment env = LoadOrDie(kZk);
  EXPECT_EQ(*RenderDepTree(env, {"kafka", "zookeeper"}, false),
            "kafka\n \\- zookeeper\n\nzookeeper\n");
  EXPECT_EQ(*RenderDepTree(env, {"kafka-1"}, false), "kafka\n \\- zookeeper\n");
  model::Environment diamond = LoadOrDie(R"(
name: t
ships: {s: {ip: 10.0.0.1}}
services:
  a: {image: x, requires: [b, c], instances: {a1: {ship: s}}}
  b: {image: x, requires: [d], instances: {b1: {ship: s}}}
  c: {image: x, requires: [d], instances: {c1: {ship: s}}}
  d: {image: x, instances: {d1: {ship: s}}}
)");
  EXPECT_EQ(*RenderDepTree(diamond, {"a"}, false),
            "a\n"
            " +- b\n"
            " |  \\- d\n"
            " \\- c\n");
  EXPECT_EQ(*RenderDepTree(diamond, {"a"}, true),
            "a\n"
            " +- b\n"
            " |  \\- d\n"
            " \\- c\n"
            "   \\- d\n");
  // api requires kafka and zk, kafka requires zk: MaestroNG marks api's direct dependencies
  // shown before descending, so api keeps its own zk line and kafka's subtree omits it.
  model::Environment kafka = LoadOrDie(R"(
name: t
ships: {s: {ip: 10.0.0.1}}
services:
  api: {image: x, requires: [zk, kafka], instances: {api1: {ship: s}}}
  kafka: {image: x, requires: [zk], instances: {k1: {ship: s}}}
  zk: {image: x, instances: {zk1: {ship: s}}}
)");
  EXPECT_EQ(*RenderDepTree(kafka, {"api"}, false),
            "api\n"
            " +- kafka\n"
            " \\- zk\n");
  EXPECT_EQ(*RenderDepTree(kafka, {"api"}, true),
            "api\n"
            " +- kafka\n"
            " |  \\- zk\n"
            " \\- zk\n");
  EXPECT_EQ(RenderDepTree(diamond, {"zz"}, false).status().message(),
            "zz is neither a service nor a container!");
}

TEST(GraphTest, VolumesFromWithinAServiceOrdersInstances) {
  model::Environment env = LoadOrDie(R"(
__maestro: {schema: 2}
name: t
ships: {ship: {ip: 10.0.0.1}}
services:
  svc:
    image: u
    instances:
      a-1: {ship: ship, volumes_from: [b-2]}
      b-2: {ship: ship}
)");
  EXPECT_EQ(OrderContainers(env, {"a-1", "b-2"}, true), (std::vector<std::string>{"b-2", "a-1"}));
  EXPECT_EQ(OrderContainers(env, {"a-1", "b-2"}, false), (std::vector<std::string>{"a-1", "b-2"}));
  EXPECT_TRUE(env.FindService("svc")->Dependencies().empty());
}

TEST(GraphTest, FindCycle) {
  Adjacency edges = {{"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}, {"d", {}}};
  auto cycle = FindCycle(edges);
  ASSERT_TRUE(cycle.has_value());
  EXPECT_EQ(FormatCycle(*cycle), "a -> b -> c -> a");
  EXPECT_FALSE(FindCycle({{"a", {"b"}}, {"b", {}}}).has_value());
  EXPECT_EQ(FormatCycle(*FindCycle({{"x", {"x"}}})), "x -> x");
  EXPECT_EQ(Reachable(edges, "d"), std::set<std::string>{});
}

// Builds an environment by hand (the loader rejects cycles): services with requires and
// instances with volumes_from.
model::Environment HandBuilt(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& services,
    const std::vector<std::tuple<std::string, std::string, std::vector<std::string>>>& instances) {
  model::Environment env;
  for (const auto& [name, requires] : services) {
    model::Service s;
    s.name = name;
    s.requires = requires;
    env.services.push_back(s);
  }
  for (const auto& [name, service, volumes_from] : instances) {
    model::Instance c;
    c.name = name;
    c.service = service;
    c.volumes_from = volumes_from;
    env.instances.push_back(c);
    for (model::Service& s : env.services) {
      if (s.name == service) s.instances.push_back(name);
    }
  }
  return env;
}

TEST(GraphTest, FindContainerCycleMatchesFindCycleOnContainerEdges) {
  std::vector<model::Environment> envs = {
      // No cycle; a chain of services.
      HandBuilt({{"a", {"b"}}, {"b", {"c"}}, {"c", {}}}, {{"a-1", "a", {}},
                                                          {"a-2", "a", {}},
                                                          {"b-1", "b", {}},
                                                          {"c-1", "c", {}},
                                                          {"c-2", "c", {"c-1"}}}),
      // Cycles in two services; the one reached first from the sorted roots through a
      // dependency is the one reported (b's, through a-1), not a's own.
      HandBuilt({{"a", {"b"}}, {"b", {}}}, {{"a-1", "a", {}},
                                            {"a-2", "a", {"a-3"}},
                                            {"a-3", "a", {"a-2"}},
                                            {"b-1", "b", {"b-2"}},
                                            {"b-2", "b", {"b-1"}}}),
      // A self-reference and a longer ring.
      HandBuilt({{"x", {}}, {"y", {"x"}}}, {{"x-1", "x", {"x-3"}},
                                            {"x-2", "x", {"x-1"}},
                                            {"x-3", "x", {"x-2"}},
                                            {"y-1", "y", {"y-1"}}}),
      // Interleaved names across two dependency groups and volumes_from another service.
      HandBuilt({{"p", {"q", "r"}}, {"q", {}}, {"r", {}}}, {{"n-1", "p", {"m-2"}},
                                                            {"m-2", "q", {}},
                                                            {"n-3", "r", {"n-4"}},
                                                            {"n-4", "r", {"n-3"}},
                                                            {"m-5", "q", {}}}),
  };
  for (size_t i = 0; i < envs.size(); ++i) {
    auto want = FindCycle(ContainerEdges(envs[i]));
    auto got = FindContainerCycle(envs[i]);
    EXPECT_EQ(got, want) << "environment " << i;
  }
  EXPECT_FALSE(FindContainerCycle(envs[0]).has_value());
  EXPECT_EQ(FormatCycle(*FindContainerCycle(envs[1])), "b-1 -> b-2 -> b-1");
}

// ---- ContainerGraph against the definitions it replaces (materialised ContainerEdges) ----

namespace reference {

// MaestroNG's pass-by-pass static order exactly as first written, over materialised edges.
std::vector<std::string> Order(const Adjacency& edges, const std::vector<std::string>& containers) {
  std::set<std::string> members(containers.begin(), containers.end());
  std::map<std::string, std::set<std::string>> deps;
  for (const std::string& c : members) {
    for (const std::string& d : Reachable(edges, c)) {
      if (d != c && members.count(d)) deps[c].insert(d);
    }
  }
  std::vector<std::string> pending(members.begin(), members.end());
  std::vector<std::string> ordered;
  std::set<std::string> taken;
  while (!pending.empty()) {
    std::vector<std::string> wait;
    for (const std::string& c : pending) {
      bool ready = std::all_of(deps[c].begin(), deps[c].end(),
                               [&](const std::string& d) { return taken.count(d) > 0; });
      if (ready) {
        ordered.push_back(c);
        taken.insert(c);
      } else {
        wait.push_back(c);
      }
    }
    if (wait.size() == pending.size()) {
      ordered.insert(ordered.end(), wait.begin(), wait.end());
      break;
    }
    pending = std::move(wait);
  }
  return ordered;
}

}  // namespace reference

// A random acyclic environment: services depend only on services defined before them (by
// requires or by volumes_from), names are shuffled so that name order and dependency order
// disagree.
model::Environment RandomEnvironment(std::mt19937* rng, int services, int max_instances) {
  model::Environment env;
  std::vector<std::string> service_names;
  for (int s = 0; s < services; ++s) {
    service_names.push_back("s" + std::to_string((s * 7919) % 1000));
  }
  int next_instance = 0;
  for (int s = 0; s < services; ++s) {
    model::Service service;
    service.name = service_names[s];
    int count = 1 + static_cast<int>((*rng)() % max_instances);
    for (int i = 0; i < count; ++i) {
      model::Instance c;
      c.name = "c" + std::to_string((next_instance++ * 6007) % 10007);
      c.service = service.name;
      c.ship = (*rng)() % 2 ? "ship1" : "ship2";
      service.instances.push_back(c.name);
      env.instances.push_back(c);
    }
    for (int d = 0; d < s; ++d) {
      if ((*rng)() % 4 == 0) service.requires.push_back(service_names[d]);
    }
    env.services.push_back(service);
  }
  // volumes_from: to an instance of an earlier service, or an earlier instance of the same one.
  for (size_t i = 1; i < env.instances.size(); ++i) {
    if ((*rng)() % 5 != 0) continue;
    model::Instance& c = env.instances[i];
    const model::Instance& other = env.instances[(*rng)() % i];
    c.volumes_from.push_back(other.name);
    if (other.service != c.service) {
      for (model::Service& s : env.services) {
        if (s.name == c.service) s.volumes_from_services.push_back(other.service);
      }
    }
  }
  for (model::Service& s : env.services) {
    std::sort(s.volumes_from_services.begin(), s.volumes_from_services.end());
    s.volumes_from_services.erase(
        std::unique(s.volumes_from_services.begin(), s.volumes_from_services.end()),
        s.volumes_from_services.end());
  }
  return env;
}

TEST(ContainerGraphTest, MatchesMaterialisedEdgesOnRandomEnvironments) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 60; ++round) {
    model::Environment env = RandomEnvironment(&rng, 1 + round % 9, 1 + round % 5);
    ContainerGraph graph(env);
    Adjacency forward = ContainerEdges(env);
    Adjacency backward = Reverse(forward);
    for (const model::Instance& c : env.instances) {
      for (bool fwd : {true, false}) {
        std::set<std::string> want = Reachable(fwd ? forward : backward, c.name);
        std::vector<std::string> got = graph.Closure(c.name, fwd);
        ASSERT_EQ(std::set<std::string>(got.begin(), got.end()), want) << c.name;
        ASSERT_EQ(ContainerClosure(env, c.name, fwd), want);
      }
    }
    // Orders of random subsets (with and without their dependencies), both directions.
    for (int pick = 0; pick < 5; ++pick) {
      std::vector<std::string> subset;
      for (const model::Instance& c : env.instances) {
        if (rng() % 3 == 0) subset.push_back(c.name);
      }
      if (pick == 0) subset.push_back("not-a-container");
      for (bool fwd : {true, false}) {
        EXPECT_EQ(graph.Order(subset, fwd), reference::Order(fwd ? forward : backward, subset))
            << "round " << round << " pick " << pick;
      }
    }
  }
}

// A chain of services named against their dependency order: each pass of the static-order walk can
// take only one name, so the order must still come out right (and ResolveThings with it).
TEST(ContainerGraphTest, ChainNamedBackwards) {
  model::Environment env;
  const int kLength = 50;
  for (int i = 0; i < kLength; ++i) {
    model::Service s;
    s.name = "svc" + std::to_string(100 + kLength - i);  // later links sort first
    if (i > 0) s.requires.push_back(env.services.back().name);
    model::Instance c;
    c.name = "c" + std::to_string(100 + kLength - i);
    c.service = s.name;
    c.ship = "ship1";
    s.instances.push_back(c.name);
    env.services.push_back(s);
    env.instances.push_back(c);
  }
  std::vector<std::string> all;
  for (const model::Instance& c : env.instances) all.push_back(c.name);
  EXPECT_EQ(OrderContainers(env, all, true), reference::Order(ContainerEdges(env), all));
  std::vector<std::string> want = all;  // dependencies first: definition order
  EXPECT_EQ(OrderContainers(env, all, true), want);
  auto resolved = ResolveThings(env, {env.instances.back().name}, false, "", "", true, true);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*resolved, want);
  std::reverse(want.begin(), want.end());
  EXPECT_EQ(OrderContainers(env, all, false), want);
}

}  // namespace
}  // namespace graph
}  // namespace maestro
