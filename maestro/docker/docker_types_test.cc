#include "maestro/docker/docker_types.h"

#include "gtest/gtest.h"

namespace maestro::docker {
namespace {

TEST(DockerTypesTest, CompareApiVersions) {
  EXPECT_EQ(CompareApiVersions("1.9", "1.18"), -1);
  EXPECT_EQ(CompareApiVersions("1.41", "1.41"), 0);
  EXPECT_EQ(CompareApiVersions("1.41", "1.4"), 1);
  EXPECT_EQ(CompareApiVersions("1.41", "1.41.0"), 0);
  EXPECT_EQ(CompareApiVersions("x.41", "0.41"), 0);  // unparsable parts count as 0
}

TEST(DockerTypesTest, ParseDistributionInspectAsTheDaemonAnswers) {
  // GET /distribution/127.0.0.1:5000/maestro/busybox:latest/json of Docker 20.10.
  DistributionInspect d = ParseDistributionInspect(nlohmann::json::parse(R"({
    "Descriptor": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                   "digest": "sha256:b73ade1eb3b4", "size": 528},
    "Platforms": [{"architecture": "amd64", "os": "linux"},
                  {"architecture": "arm64", "os": "linux", "variant": "v8"}, 7]})"));
  EXPECT_EQ(d.media_type, "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_EQ(d.digest, "sha256:b73ade1eb3b4");
  EXPECT_EQ(d.size, 528);
  ASSERT_EQ(d.platforms.size(), 2u);
  EXPECT_EQ(d.platforms[1].os, "linux");
  EXPECT_EQ(d.platforms[1].architecture, "arm64");
  EXPECT_EQ(d.platforms[1].variant, "v8");
  EXPECT_TRUE(ParseDistributionInspect(nlohmann::json("garbage")).digest.empty());
}

TEST(DockerTypesTest, NormalizeArchitectureUsesDockersNames) {
  EXPECT_EQ(NormalizeArchitecture("x86_64"), "amd64");
  EXPECT_EQ(NormalizeArchitecture("aarch64"), "arm64");
  EXPECT_EQ(NormalizeArchitecture("armv7l"), "arm");
  EXPECT_EQ(NormalizeArchitecture("AMD64"), "amd64");
  EXPECT_EQ(NormalizeArchitecture("s390x"), "s390x");
}

TEST(DockerTypesTest, ParseDockerTimeKeepsNanosecondsAndOffsets) {
  absl::Time t = ParseDockerTime("2026-11-25T14:32:53.123456789Z");
  EXPECT_EQ(absl::ToUnixNanos(t), int64_t{1795617173123456789});
  EXPECT_EQ(ParseDockerTime("2026-11-25T15:32:53.123456789+01:00"), t);
  EXPECT_LT(ParseDockerTime("2026-11-25T14:32:53.1Z"), ParseDockerTime("2026-11-25T14:32:53.2Z"));
}

TEST(DockerTypesTest, ParseDockerTimeNeverIsInfinitePast) {
  EXPECT_EQ(ParseDockerTime(""), absl::InfinitePast());
  EXPECT_EQ(ParseDockerTime("0001-01-01T00:00:00Z"), absl::InfinitePast());
  EXPECT_EQ(ParseDockerTime("yesterday"), absl::InfinitePast());
}

TEST(DockerTypesTest, DockerTimeParam) {
  EXPECT_EQ(DockerTimeParam(ParseDockerTime("2026-11-25T14:32:53.5Z")), "1795617173.500000000");
  EXPECT_EQ(DockerTimeParam(absl::FromUnixSeconds(7)), "7.000000000");
}

TEST(DockerTypesTest, ContainerSummaryPorts) {
  // `GET /containers/json` (API 1.41): one published, one only exposed; garbage tolerated.
  ContainerSummary c = ParseContainerSummary(nlohmann::json::parse(R"({
    "Id": "abc", "Names": ["/web-1"], "State": "running",
    "Ports": [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
              {"PrivatePort": 53, "Type": "udp"}, "junk",
              {"PrivatePort": 1, "PublicPort": 99999999999}]})"));
  ASSERT_EQ(c.ports.size(), 3u);  // the string is skipped
  EXPECT_EQ(c.ports[0].ip, "0.0.0.0");
  EXPECT_EQ(c.ports[0].private_port, 80);
  EXPECT_EQ(c.ports[0].public_port, 8080);
  EXPECT_EQ(c.ports[0].type, "tcp");
  EXPECT_EQ(c.ports[1].public_port, 0);
  EXPECT_EQ(c.ports[1].type, "udp");
  EXPECT_EQ(c.ports[2].public_port, 0);  // out of range
  EXPECT_TRUE(ParseContainerSummary(nlohmann::json::parse(R"({"Ports": null})")).ports.empty());
}

}  // namespace
}  // namespace maestro::docker
