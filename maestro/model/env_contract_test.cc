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

// Python's re.sub(r'[^\w]', '_', name).upper() on str: \w is Unicode-aware and upper() is
// the full case mapping. Expected values computed with python3.
TEST(EnvContract, SanitisesNonAsciiLikePython) {
  EXPECT_EQ(ToEnvVarName(u8"straße"), "STRASSE");
  EXPECT_EQ(ToEnvVarName(u8"\uFB01le-1"), "FILE_1");  // the 'fi' ligature
  EXPECT_EQ(ToEnvVarName(u8"zk-ñode"), u8"ZK_ÑODE");
  EXPECT_EQ(ToEnvVarName(u8"Ωmega.σ"), u8"ΩMEGA_Σ");
  EXPECT_EQ(ToEnvVarName(u8"дом-2"), u8"ДОМ_2");
  EXPECT_EQ(ToEnvVarName(u8"\u0149"), u8"\u02BCN");
  EXPECT_EQ(ToEnvVarName(u8"a\u0301b"), "A_B");  // a combining mark is not \w
  EXPECT_EQ(ToEnvVarName(u8"x²y"), u8"X²Y");     // '²' is numeric, so \w
  EXPECT_EQ(ToEnvVarName(u8"日本語-サービス"), u8"日本語_サービス");
  EXPECT_EQ(ToEnvVarName(u8"é·ê"), u8"É_Ê");
  EXPECT_EQ(ToEnvVarName(u8"\u01C6"), u8"\u01C4");
  EXPECT_EQ(ToEnvVarName(u8"İi"), u8"İI");
  EXPECT_EQ(ToEnvVarName(u8"ß_ẞ"), u8"SS_ẞ");
  EXPECT_EQ(ToEnvVarName(u8"\uFB03\U0001F642z"), "FFI_Z");  // emoji is not \w
  EXPECT_EQ(ToEnvVarName(u8"١٢٣"), u8"١٢٣");
  EXPECT_EQ(ToEnvVarName(std::string("a\xff\xc3")), "A__");  // invalid UTF-8 bytes
  EXPECT_EQ(PortVar(u8"straße", u8"ñ-1", u8"ﬁ"), u8"STRASSE_Ñ_1_FI_PORT");
}

TEST(EnvContract, VariableNames) {
  EXPECT_EQ(HostVar("zookeeper", "zk-1"), "ZOOKEEPER_ZK_1_HOST");
  EXPECT_EQ(PortVar("zookeeper", "zk-1", "client"), "ZOOKEEPER_ZK_1_CLIENT_PORT");
  EXPECT_EQ(InternalPortVar("kafka", "kafka-1", "broker"), "KAFKA_KAFKA_1_BROKER_INTERNAL_PORT");
  EXPECT_EQ(InstancesVar("zoo-keeper"), "ZOO_KEEPER_INSTANCES");
}

}  // namespace
}  // namespace maestro::env_contract
