#include "maestro/swarm/node_labels.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace maestro::swarm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

model::Ship Ship(const std::string& name, const std::string& ip) {
  model::Ship s;
  s.name = name;
  s.ip = ip;
  return s;
}

docker::SwarmNode Node(const std::string& id, const std::string& host, const std::string& addr,
                       std::map<std::string, std::string> labels = {}) {
  docker::SwarmNode n;
  n.id = id;
  n.hostname = host;
  n.addr = addr;
  n.labels = std::move(labels);
  return n;
}

TEST(PlanNodeLabelsTest, MatchesByAddressBeforeHostname) {
  // Every node shares one hostname (as on one machine): the addresses decide.
  NodeLabelPlan plan = PlanNodeLabels(
      {Ship("a", "10.0.0.1"), Ship("b", "10.0.0.2")},
      {Node("n1", "vm", "10.0.0.1"), Node("n2", "vm", "10.0.0.2", {{"maestro.ship", "b"}})});
  EXPECT_THAT(plan.problems, IsEmpty());
  ASSERT_EQ(plan.labels.size(), 2u);
  EXPECT_EQ(plan.labels[0].ship, "a");
  EXPECT_EQ(plan.labels[0].node_id, "n1");
  EXPECT_FALSE(plan.labels[0].already);
  EXPECT_EQ(plan.labels[1].node_id, "n2");
  EXPECT_TRUE(plan.labels[1].already);
}

TEST(PlanNodeLabelsTest, MatchesByHostnameWhenNoAddressDoes) {
  NodeLabelPlan plan =
      PlanNodeLabels({Ship("web", "web01.example")},
                     {Node("n1", "web01.example", "10.0.0.7"), Node("n2", "db01", "10.0.0.8")});
  EXPECT_THAT(plan.problems, IsEmpty());
  ASSERT_EQ(plan.labels.size(), 1u);
  EXPECT_EQ(plan.labels[0].node_id, "n1");
}

TEST(PlanNodeLabelsTest, NeverGuessesAmongSeveralOrNone) {
  NodeLabelPlan plan = PlanNodeLabels(
      {Ship("a", "vm"), Ship("b", "10.0.0.9"), Ship("c", "10.0.0.1"), Ship("d", "10.0.0.1")},
      {Node("n1", "vm", "10.0.0.1"), Node("n2", "vm", "10.0.0.2")});
  ASSERT_EQ(plan.labels.size(), 1u);
  EXPECT_EQ(plan.labels[0].ship, "c");
  EXPECT_THAT(plan.problems,
              ElementsAre(HasSubstr("a: 2 swarm nodes match vm"),
                          HasSubstr("b: no swarm node has the address or hostname 10.0.0.9"),
                          HasSubstr("d: node n1 (vm, 10.0.0.1) is already the node of ship c")));
}

}  // namespace
}  // namespace maestro::swarm
