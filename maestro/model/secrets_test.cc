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

TEST(SecretsTest, RedactReplacesEveryOccurrenceOfEveryValue) {
  EXPECT_EQ(Redact("a hunter2 b hunter2 s3cr", {"hunter2", "s3cr", ""}),
            "a ******** b ******** ********");
  EXPECT_EQ(Redact("nothing here", {"x1y2"}), "nothing here");
  // A value that contains the mask itself cannot loop.
  EXPECT_EQ(Redact("**", {"*"}), "****************");
}

}  // namespace
}  // namespace model
}  // namespace maestro
