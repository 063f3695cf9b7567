#include "maestro/graph/graph.h"

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "maestro/config/loader.h"

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

// Reference §5.3's verified example.
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
  // Filters apply even with dependencies (MaestroNG bug §8.1 #1 fixed).
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
  EXPECT_EQ(*RenderDepTree(env, {"kafka", "zookeeper"}, false), "kafka\n \\- zookeeper\n\nzookeeper\n");
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
      HandBuilt({{"a", {"b"}}, {"b", {"c"}}, {"c", {}}},
                {{"a-1", "a", {}}, {"a-2", "a", {}}, {"b-1", "b", {}}, {"c-1", "c", {}},
                 {"c-2", "c", {"c-1"}}}),
      // Cycles in two services; the one reached first from the sorted roots through a
      // dependency is the one reported (b's, through a-1), not a's own.
      HandBuilt({{"a", {"b"}}, {"b", {}}},
                {{"a-1", "a", {}}, {"a-2", "a", {"a-3"}}, {"a-3", "a", {"a-2"}},
                 {"b-1", "b", {"b-2"}}, {"b-2", "b", {"b-1"}}}),
      // A self-reference and a longer ring.
      HandBuilt({{"x", {}}, {"y", {"x"}}},
                {{"x-1", "x", {"x-3"}}, {"x-2", "x", {"x-1"}}, {"x-3", "x", {"x-2"}},
                 {"y-1", "y", {"y-1"}}}),
      // Interleaved names across two dependency groups and volumes_from another service.
      HandBuilt({{"p", {"q", "r"}}, {"q", {}}, {"r", {}}},
                {{"n-1", "p", {"m-2"}}, {"m-2", "q", {}}, {"n-3", "r", {"n-4"}},
                 {"n-4", "r", {"n-3"}}, {"m-5", "q", {}}}),
  };
  for (size_t i = 0; i < envs.size(); ++i) {
    auto want = FindCycle(ContainerEdges(envs[i]));
    auto got = FindContainerCycle(envs[i]);
    EXPECT_EQ(got, want) << "environment " << i;
  }
  EXPECT_FALSE(FindContainerCycle(envs[0]).has_value());
  EXPECT_EQ(FormatCycle(*FindContainerCycle(envs[1])), "b-1 -> b-2 -> b-1");
}

}  // namespace
}  // namespace graph
}  // namespace maestro
