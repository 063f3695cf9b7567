#include "maestro/graph/dep_graph_render.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"

namespace maestro::graph {
namespace {

model::Environment Load(const std::string& text) {
  config::FakeFileReader files;
  config::LoadInput in{"maestro.yaml", "", text, {}};
  auto r = config::LoadEnvironment(in, files);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->environment : model::Environment();
}

constexpr char kShop[] = R"(
name: shop
__maestro: {schema: 2}
ships: {ship1: {ip: 10.0.0.1}, ship2: {ip: 10.0.0.2}}
services:
  data:
    image: busybox
    instances: {data-1: {ship: ship1, volumes: {/data: /srv}}}
  db:
    image: db
    instances: {db-1: {ship: ship1, volumes_from: [data-1]}}
  web:
    image: web
    requires: [db]
    instances: {web-1: {ship: ship1}, web-2: {ship: ship2}}
  lonely:
    image: x
    instances: {lonely-1: {ship: ship2}}
)";

TEST(DepGraphRenderTest, ServicesAsDot) {
  model::Environment env = Load(kShop);
  absl::StatusOr<std::string> dot = RenderDepGraph(env, {"web"}, false, DepGraphFormat::kDot);
  ASSERT_TRUE(dot.ok()) << dot.status();
  EXPECT_EQ(*dot,
            "digraph \"shop\" {\n"
            "  node [shape=box];\n"
            "  \"data\";\n"
            "  \"db\";\n"
            "  \"web\";\n"
            "  \"db\" -> \"data\" [style=dashed, label=\"volumes_from\"];\n"
            "  \"web\" -> \"db\";\n"
            "}\n");
}

TEST(DepGraphRenderTest, ServicesAsMermaid) {
  model::Environment env = Load(kShop);
  absl::StatusOr<std::string> m = RenderDepGraph(env, {}, false, DepGraphFormat::kMermaid);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m,
            "flowchart TD\n"
            "  n0[\"data\"]\n"
            "  n1[\"db\"]\n"
            "  n2[\"lonely\"]\n"
            "  n3[\"web\"]\n"
            "  n1 -.->|volumes_from| n0\n"
            "  n3 --> n1\n");
}

TEST(DepGraphRenderTest, ContainersGroupedByShip) {
  model::Environment env = Load(kShop);
  absl::StatusOr<std::string> dot = RenderDepGraph(env, {"web-2"}, true, DepGraphFormat::kDot);
  ASSERT_TRUE(dot.ok()) << dot.status();
  EXPECT_EQ(*dot,
            "digraph \"shop\" {\n"
            "  node [shape=box];\n"
            "  subgraph \"cluster_0\" {\n"
            "    label=\"ship1\";\n"
            "    \"data-1\";\n"
            "    \"db-1\";\n"
            "    \"web-1\";\n"
            "  }\n"
            "  subgraph \"cluster_1\" {\n"
            "    label=\"ship2\";\n"
            "    \"web-2\";\n"
            "  }\n"
            "  \"db-1\" -> \"data-1\" [style=dashed, label=\"volumes_from\"];\n"
            "  \"web-1\" -> \"db-1\";\n"
            "  \"web-2\" -> \"db-1\";\n"
            "}\n");
  absl::StatusOr<std::string> m = RenderDepGraph(env, {"web-2"}, true, DepGraphFormat::kMermaid);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m,
            "flowchart TD\n"
            "  subgraph s0[\"ship1\"]\n"
            "    n0[\"data-1\"]\n"
            "    n1[\"db-1\"]\n"
            "    n2[\"web-1\"]\n"
            "  end\n"
            "  subgraph s1[\"ship2\"]\n"
            "    n3[\"web-2\"]\n"
            "  end\n"
            "  n1 -.->|volumes_from| n0\n"
            "  n2 --> n1\n"
            "  n3 --> n1\n");
}

TEST(DepGraphRenderTest, UnknownThing) {
  model::Environment env = Load(kShop);
  EXPECT_EQ(RenderDepGraph(env, {"nope"}, false, DepGraphFormat::kDot).status().message(),
            "nope is neither a service nor a container!");
}

}  // namespace
}  // namespace maestro::graph
