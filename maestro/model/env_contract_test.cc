#include "maestro/model/env_contract.h"

#include "gtest/gtest.h"

namespace maestro::env_contract {
namespace {

TEST(EnvContract, SanitisesLikeMaestroNg) {
  EXPECT_EQ(ToEnvVarName("zk-node-1"), "ZK_NODE_1");
  EXPECT_EQ(ToEnvVarName("my.svc"), "MY_SVC");
  EXPECT_EQ(ToEnvVarName("a_b"), "A_B");
  EXPECT_EQ(ToEnvVarName("x y/z:1"), "X_Y_Z_1");
}

TEST(EnvContract, VariableNames) {
  EXPECT_EQ(HostVar("zookeeper", "zk-1"), "ZOOKEEPER_ZK_1_HOST");
  EXPECT_EQ(PortVar("zookeeper", "zk-1", "client"), "ZOOKEEPER_ZK_1_CLIENT_PORT");
  EXPECT_EQ(InternalPortVar("kafka", "kafka-1", "broker"),
            "KAFKA_KAFKA_1_BROKER_INTERNAL_PORT");
  EXPECT_EQ(InstancesVar("zoo-keeper"), "ZOO_KEEPER_INSTANCES");
}

}  // namespace
}  // namespace maestro::env_contract
