#include "maestro/model/secrets.h"

#include "gtest/gtest.h"

namespace maestro {
namespace model {
namespace {

TEST(SecretsTest, IsSecretName) {
  EXPECT_TRUE(IsSecretName("DB_PASSWORD"));
  EXPECT_TRUE(IsSecretName("aws_secret_access_key"));
  EXPECT_TRUE(IsSecretName("GITHUB_TOKEN"));
  EXPECT_TRUE(IsSecretName("SSH_KEY"));
  EXPECT_TRUE(IsSecretName("ApiKey"));
  EXPECT_FALSE(IsSecretName("MODE"));
  EXPECT_FALSE(IsSecretName(""));
}

TEST(SecretsTest, MaskAndQuote) {
  EXPECT_EQ(MaskedValue("DB_PASSWORD", "hunter2"), "********");
  EXPECT_EQ(MaskedValue("MODE", "fast"), "fast");
  EXPECT_EQ(QuoteValue("token", "abc"), "'********'");
  EXPECT_EQ(QuoteValue("MODE", "fast"), "'fast'");
}

}  // namespace
}  // namespace model
}  // namespace maestro
