// The stored spec labels (container_spec.h): compressed round trip, the bounds, and bad values
// (never a crash, always an error naming the label).
#include <zlib.h>

#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/spec/container_spec.h"
#include "nlohmann/json.hpp"

namespace maestro::spec {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

json Body(const std::string& env_value) {
  return json{{"Image", "nginx:1.25"},
              {"Env", json::array({"A=1", absl::StrCat("BIG=", env_value)})},
              {"Labels", {{"maestro.instance", "web-1"}}}};
}

// Deterministic text that deflate cannot shrink much (hex of a linear congruential sequence).
std::string Incompressible(size_t bytes) {
  std::string out;
  uint64_t x = 88172645463325252ull;
  while (out.size() < bytes) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    out += absl::StrCat(absl::Hex(x >> 16, absl::kZeroPad12));
  }
  out.resize(bytes);
  return out;
}

std::string Deflate(const std::string& text) {
  uLongf size = compressBound(text.size());
  std::string out(size, '\0');
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(&out[0]), &size,
                      reinterpret_cast<const Bytef*>(text.data()), text.size(), 9),
            Z_OK);
  out.resize(size);
  return out;
}

absl::Status DecodeError(const std::string& value) {
  absl::StatusOr<std::string> text = DecodeSpecLabel(value, kPreviousSpecLabel);
  return text.ok() ? absl::OkStatus() : text.status();
}

TEST(SpecLabelTest, SpecLabelIsCompressedAndDecodesToTheBodyWithoutItsOwnLabels) {
  json body = Body("x");
  body["Labels"][kSpecLabel] = "stale";
  body["Labels"][kPreviousSpecLabel] = "stale";
  std::string label = SpecLabelValue(body);
  EXPECT_THAT(label, StartsWith("z1:"));
  absl::StatusOr<std::string> text = DecodeSpecLabel(label, kSpecLabel);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, Body("x").dump());
  EXPECT_EQ(SpecLabelValue(body), label);  // deterministic: a plain restart compares labels
}

TEST(SpecLabelTest, PreviousSpecRoundTripsWithTheImageId) {
  std::map<std::string, std::string> old = {{kSpecLabel, SpecLabelValue(Body("x"))}};
  std::string previous = PreviousSpecLabelValue(old, "sha256:abc");
  EXPECT_THAT(previous, StartsWith("z1:"));
  absl::StatusOr<RecordedSpec> recorded = ParseRecordedSpec(previous);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_EQ(recorded->image_id, "sha256:abc");
  EXPECT_EQ(recorded->body, Body("x"));
}

TEST(SpecLabelTest, ACompressibleSpecAboveTheBoundInJsonIsRecordedSmall) {
  std::string value(64 * 1024, 'x');  // 64 KiB of JSON, well under 16 KiB compressed
  std::string label = SpecLabelValue(Body(value));
  EXPECT_LT(label.size(), 2048u);
  std::string previous = PreviousSpecLabelValue({{kSpecLabel, label}}, "sha256:abc");
  absl::StatusOr<RecordedSpec> recorded = ParseRecordedSpec(previous);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_EQ(recorded->body, Body(value));
}

TEST(SpecLabelTest, ASpecAboveTheBoundAfterCompressionIsOmittedWithItsSizes) {
  std::string label = SpecLabelValue(Body(Incompressible(24 * 1024)));
  EXPECT_LE(label.size(), 128u);
  std::string previous = PreviousSpecLabelValue({{kSpecLabel, label}}, "sha256:abc");
  absl::StatusOr<RecordedSpec> recorded = ParseRecordedSpec(previous);
  ASSERT_FALSE(recorded.ok());
  EXPECT_EQ(recorded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(recorded.status().message(), HasSubstr("bytes compressed"));
  EXPECT_THAT(recorded.status().message(),
              HasSubstr("above the 16384-byte bound of the maestro.previous-spec label"));
}

TEST(SpecLabelTest, TheLargestRecordedLabelIsWithinTheBound) {
  // Just under and just over the bound: whatever is recorded fits in 16 KiB.
  for (size_t n : {8 * 1024, 11 * 1024, 12 * 1024, 13 * 1024, 16 * 1024}) {
    std::string label = SpecLabelValue(Body(Incompressible(n)));
    EXPECT_LE(label.size(), kMaxSpecLabelBytes) << n;
    std::string previous = PreviousSpecLabelValue({{kSpecLabel, label}}, "sha256:abc");
    EXPECT_LE(previous.size(), kMaxSpecLabelBytes) << n;
  }
}

TEST(SpecLabelTest, ASpecAboveTheJsonBoundIsOmitted) {
  std::string label = SpecLabelValue(Body(std::string(kMaxSpecJsonBytes, 'x')));
  absl::StatusOr<std::string> text = DecodeSpecLabel(label, kSpecLabel);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, HasSubstr("\"Omitted\""));
}

TEST(SpecLabelTest, TheUncompressedFormIsRefused) {
  absl::Status s = DecodeError(Body("x").dump());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("the maestro.previous-spec label is not a stored spec"));
  // And an unreadable old spec records no previous spec at all.
  EXPECT_EQ(PreviousSpecLabelValue({{kSpecLabel, Body("x").dump()}}, "sha256:abc"), "");
}

TEST(SpecLabelTest, BadBase64IsAnError) {
  EXPECT_THAT(DecodeError("z1:not*base64!").message(),
              HasSubstr("the maestro.previous-spec label is not valid base64"));
}

TEST(SpecLabelTest, EveryTruncationIsAnErrorNeverACrash) {
  std::string label = PreviousSpecLabelValue({{kSpecLabel, SpecLabelValue(Body("x"))}}, "id");
  // Missing base64 padding is accepted, so cuts start before the '=' padding.
  const size_t data_end = label.find_last_not_of('=') + 1;
  for (size_t n = 0; n < data_end; ++n) {
    absl::StatusOr<RecordedSpec> r = ParseRecordedSpec(label.substr(0, n));
    EXPECT_FALSE(r.ok()) << n;
    EXPECT_THAT(r.status().message(), HasSubstr("maestro.previous-spec label")) << n;
  }
  std::string deflated = Deflate(Body("x").dump());
  EXPECT_THAT(
      DecodeError(absl::StrCat("z1:", absl::Base64Escape(deflated.substr(0, 10)))).message(),
      HasSubstr("is truncated"));
}

TEST(SpecLabelTest, BadDeflateIsAnError) {
  EXPECT_THAT(DecodeError(absl::StrCat("z1:", absl::Base64Escape("this is not zlib"))).message(),
              HasSubstr("is not a valid deflate stream"));
  std::string flipped = Deflate(Body("x").dump());
  flipped[flipped.size() / 2] ^= 0x5a;
  EXPECT_FALSE(DecodeError(absl::StrCat("z1:", absl::Base64Escape(flipped))).ok());
  EXPECT_THAT(
      DecodeError(absl::StrCat("z1:", absl::Base64Escape(Deflate("{}") + "junk"))).message(),
      HasSubstr("has bytes after its deflate stream"));
}

TEST(SpecLabelTest, ADeflateBombStopsAtTheJsonBound) {
  std::string bomb = Deflate(std::string(16 * 1024 * 1024, ' '));  // ~16 KiB in, 16 MiB out
  absl::Status s = DecodeError(absl::StrCat("z1:", absl::Base64Escape(bomb)));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("inflates above the 1048576-byte bound"));
  // Exactly at the bound is fine.
  std::string at = Deflate(std::string(kMaxSpecJsonBytes, ' '));
  absl::StatusOr<std::string> text =
      DecodeSpecLabel(absl::StrCat("z1:", absl::Base64Escape(at)), kSpecLabel);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->size(), kMaxSpecJsonBytes);
}

}  // namespace
}  // namespace maestro::spec
