#include "maestro/model/out_of_line.h"

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "maestro/model/environment.h"

namespace maestro {
namespace model {
namespace {

struct Options {
  std::vector<std::string> tmpfs;
  std::optional<bool> read_only;
};

TEST(IndirectTest, ReadingThroughANonConstOwnerNeverAllocates) {
  Indirect<Options> v;  // not const: reads must still not write
  EXPECT_TRUE(v->tmpfs.empty());
  EXPECT_FALSE((*v).read_only.has_value());
  EXPECT_FALSE(v.allocated());

  Instance inst;  // the owner maestro holds thousands of, read from worker threads
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&inst] {
      for (int i = 0; i < 1000; ++i) ASSERT_TRUE(inst.options->tmpfs.empty());
    });
  }
  for (std::thread& r : readers) r.join();
  EXPECT_FALSE(inst.options.allocated());
}

TEST(IndirectTest, WritesAreExplicitAndCopiesAreDeep) {
  Indirect<Options> a;
  a.mutable_value().tmpfs.push_back("/run");
  EXPECT_TRUE(a.allocated());
  Indirect<Options> b = a;
  b.mutable_value().tmpfs.push_back("/tmp");
  EXPECT_EQ(a->tmpfs, std::vector<std::string>{"/run"});
  EXPECT_EQ(b->tmpfs, (std::vector<std::string>{"/run", "/tmp"}));
  a = Options{{"/x"}, true};
  EXPECT_EQ(a->tmpfs, std::vector<std::string>{"/x"});
  EXPECT_EQ(a->read_only, true);
}

TEST(IndirectOptionalTest, BehavesAsStdOptional) {
  IndirectOptional<std::string> s;
  EXPECT_FALSE(s.has_value());
  EXPECT_EQ(s, std::nullopt);
  EXPECT_EQ(s.value_or("dflt"), "dflt");
  EXPECT_THROW(s.value(), std::bad_optional_access);
  s = "net";
  EXPECT_TRUE(s);
  EXPECT_EQ(s, std::string("net"));
  EXPECT_NE(s, std::string("host"));
  IndirectOptional<std::string> copy = s;
  *copy = "host";
  EXPECT_EQ(*s, "net");
  std::optional<std::string> plain = copy;
  EXPECT_EQ(plain, std::optional<std::string>("host"));
  EXPECT_EQ(copy, plain);
  s.reset();
  EXPECT_EQ(s, std::nullopt);
  EXPECT_EQ(s.emplace("x"), "x");
}

}  // namespace
}  // namespace model
}  // namespace maestro
