#include "maestro/base/read_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace maestro::base {
namespace {

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string Write(const std::string& name, const std::string& content) {
  std::string path = TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(ReadRegularFileTest, ReadsRegularFiles) {
  std::string path = Write("plain.txt", std::string("a\0b\n", 4));
  auto content = ReadRegularFile(path);
  ASSERT_TRUE(content.ok()) << content.status();
  EXPECT_EQ(*content, std::string("a\0b\n", 4));
  auto empty = ReadRegularFile(Write("empty.txt", ""));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, "");
}

TEST(ReadRegularFileTest, MissingFileIsNotFound) {
  auto r = ReadRegularFile(TempDir() + "/does-not-exist");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(r.status().message()),
            TempDir() + "/does-not-exist: No such file or directory");
}

TEST(ReadRegularFileTest, DevicesAreRefusedInsteadOfReadForever) {
  for (const char* device : {"/dev/zero", "/dev/urandom", "/dev/null"}) {
    auto r = ReadRegularFile(device);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << device;
    EXPECT_EQ(std::string(r.status().message()),
              std::string(device) + ": not a regular file (a character device)");
  }
}

TEST(ReadRegularFileTest, DirectoryIsRefusedInsteadOfReadAsEmpty) {
  auto r = ReadRegularFile(TempDir());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(r.status().message()), TempDir() + ": not a regular file (a directory)");
}

TEST(ReadRegularFileTest, FifoWithoutWriterIsRefusedWithoutBlocking) {
  std::string path = TempDir() + "/fifo";
  ::unlink(path.c_str());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto r = ReadRegularFile(path);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(r.status().message()), path + ": not a regular file (a FIFO)");
  ::unlink(path.c_str());
}

TEST(ReadRegularFileTest, SizeLimit) {
  std::string path = Write("big.txt", std::string(100, 'x'));
  EXPECT_TRUE(ReadRegularFile(path, 100).ok());
  auto r = ReadRegularFile(path, 99);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(std::string(r.status().message()), path + ": larger than the limit of 99 bytes");
  r = ReadRegularFile(path, 0);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ReadRegularFileTest, ProcFilesWithZeroStatSizeAreStillBounded) {
  // /proc files are regular but report size 0: the limit applies to what is read.
  auto r = ReadRegularFile("/proc/self/status", 16);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(StripUtf8BomTest, OnlyALeadingMark) {
  EXPECT_EQ(StripUtf8Bom("\xEF\xBB\xBF"
                         "a: 1"),
            "a: 1");
  EXPECT_EQ(StripUtf8Bom("a: 1"), "a: 1");
  EXPECT_EQ(StripUtf8Bom("a\xEF\xBB\xBF"), "a\xEF\xBB\xBF");
  EXPECT_EQ(StripUtf8Bom(""), "");
}

}  // namespace
}  // namespace maestro::base
