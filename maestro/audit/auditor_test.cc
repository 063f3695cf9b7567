#include "maestro/audit/auditor.h"

#include <cstring>

#include "gtest/gtest.h"

namespace maestro::audit {
namespace {

AuditWhat List(int n) {
  std::vector<AuditTarget> t;
  for (int i = 1; i <= n; ++i) t.push_back({"c" + std::to_string(i), "svc", "s1", "10.0.0.1"});
  return AuditWhat::List(t);
}

TEST(AuditorTextTest, VerbsAndTitles) {
  EXPECT_EQ(ActionVerb("stop"), "stopping");
  EXPECT_EQ(ActionVerb("start"), "starting");
  EXPECT_EQ(ActionVerb("pull"), "pulling");
  EXPECT_EQ(ActionVerb("clean"), "cleaning");
  EXPECT_EQ(PyTitle("restart"), "Restart");
  EXPECT_EQ(PyTitle("hello wORLD"), "Hello World");
}

TEST(AuditorTextTest, CompactWhat) {
  AuditWhat one = AuditWhat::One({"c1", "svc", "s1", "10.0.0.1"});
  EXPECT_EQ(FormatWhat(one, true), "c1");
  EXPECT_EQ(FormatWhat(List(4), true), "c1, c2, c3, c4");
  EXPECT_EQ(FormatWhat(List(5), true), "5 containers");
  EXPECT_EQ(FormatWhat(List(5), false), "c1, c2, c3, c4, c5");
  EXPECT_EQ(ActionText("bob", List(2), "stop"), "bob is stopping c1, c2.");
  EXPECT_EQ(ActionText("bob", List(6), "start"), "bob is starting 6 containers.");
  EXPECT_EQ(SuccessText(one, "restart"), "Restart of c1 succeeded.");
  EXPECT_EQ(ErrorText(one, "start", ""), "Failed to start c1!");
  EXPECT_EQ(ErrorText(List(2), "start", "boom"), "Failed to start c1, c2! (message: boom)");
}

TEST(AuditorTextTest, PyFormatNamed) {
  std::map<std::string, std::string> vars = {{"what", "c1"}, {"who", "bob"}};
  EXPECT_EQ(*PyFormatNamed("{who} did {what!s} {{literal}}", vars), "bob did c1 {literal}");
  EXPECT_FALSE(PyFormatNamed("{nope}", vars).ok());
  EXPECT_FALSE(PyFormatNamed("{who", vars).ok());
  EXPECT_FALSE(PyFormatNamed("who}", vars).ok());
  EXPECT_FALSE(PyFormatNamed("{}", vars).ok());
}

TEST(AuditorTextTest, UserNameLikeGetpass) {
  auto env = [](std::map<std::string, std::string> m) {
    return [m](const char* k) -> const char* {
      static thread_local std::string v;
      auto it = m.find(k);
      if (it == m.end()) return nullptr;
      v = it->second;
      return v.c_str();
    };
  };
  EXPECT_EQ(CurrentUserName(env({{"LOGNAME", "alice"}, {"USER", "bob"}})), "alice");
  EXPECT_EQ(CurrentUserName(env({{"USER", "bob"}})), "bob");
  EXPECT_EQ(CurrentUserName(env({{"USERNAME", "carol"}})), "carol");
  EXPECT_FALSE(CurrentUserName(env({})).empty());  // /etc/passwd or the uid
}

}  // namespace
}  // namespace maestro::audit
