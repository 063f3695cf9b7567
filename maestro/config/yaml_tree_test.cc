#include "maestro/config/yaml_tree.h"

#include <string>

#include "gtest/gtest.h"

namespace maestro {
namespace config {
namespace {

using Kind = YamlNode::Kind;

YamlNode Resolve(const std::string& text) {
  YamlNode n;
  std::string error;
  EXPECT_TRUE(ResolvePlainScalar(text, &n, &error)) << text << ": " << error;
  return n;
}

TEST(ResolverTest, NullsAndBools) {
  for (const char* t : {"", "~", "null", "Null", "NULL"})
    EXPECT_EQ(Resolve(t).kind, Kind::kNull) << t;
  for (const char* t : {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) {
    YamlNode n = Resolve(t);
    EXPECT_EQ(n.kind, Kind::kBool) << t;
    EXPECT_TRUE(n.bool_value) << t;
  }
  for (const char* t : {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}) {
    YamlNode n = Resolve(t);
    EXPECT_EQ(n.kind, Kind::kBool) << t;
    EXPECT_FALSE(n.bool_value) << t;
  }
  // PyYAML does not treat y/n or odd casings as booleans.
  for (const char* t : {"y", "n", "Y", "N", "yEs", "nULL"})
    EXPECT_EQ(Resolve(t).kind, Kind::kString) << t;
}

TEST(ResolverTest, Integers) {
  EXPECT_EQ(Resolve("42").int_value, 42);
  EXPECT_EQ(Resolve("-42").int_value, -42);
  EXPECT_EQ(Resolve("1_000").int_value, 1000);
  EXPECT_EQ(Resolve("0755").int_value, 493);
  EXPECT_EQ(Resolve("0x10").int_value, 16);
  EXPECT_EQ(Resolve("0b101").int_value, 5);
  EXPECT_EQ(Resolve("22:22").int_value, 1342);
  EXPECT_EQ(Resolve("1:00:00").int_value, 3600);
  EXPECT_EQ(Resolve("0").int_value, 0);
  EXPECT_EQ(Resolve("22:22").PyStr(), "1342");
  // Beyond int64: PyYAML builds a Python int; str() is exact (values from python3 + PyYAML).
  EXPECT_EQ(Resolve("12345678901234567890").kind, Kind::kInt);
  EXPECT_EQ(Resolve("12345678901234567890").PyStr(), "12345678901234567890");
  EXPECT_EQ(Resolve("12345678901234567890").int_value, INT64_MAX);
  EXPECT_EQ(Resolve("-9_223_372_036_854_775_809").PyStr(), "-9223372036854775809");
  EXPECT_EQ(Resolve("0x1_0000_0000_0000_0000").PyStr(), "18446744073709551616");
  EXPECT_EQ(Resolve("0b1" + std::string(64, '0')).PyStr(), "18446744073709551616");
  EXPECT_EQ(Resolve("02000000000000000000000").PyStr(), "18446744073709551616");
  EXPECT_EQ(Resolve("9999999999:0:0:0:0:0:0").PyStr(), "466559999953344000000");
  EXPECT_EQ(Resolve("9223372036854775807").PyStr(), "9223372036854775807");
  EXPECT_EQ(Resolve("-9223372036854775808").PyStr(), "-9223372036854775808");
  EXPECT_TRUE(Resolve("-9223372036854775808").big_int.empty());
  // Not integers in YAML 1.1 / PyYAML.
  EXPECT_EQ(Resolve("09").kind, Kind::kString);
  EXPECT_EQ(Resolve("80:8080").kind, Kind::kString);  // 8080 is not a base-60 digit
  EXPECT_EQ(Resolve("25:2525").kind, Kind::kString);
  EXPECT_EQ(Resolve("1e3").kind, Kind::kString);
  EXPECT_EQ(Resolve("0o17").kind, Kind::kString);
  // Base 60 is checked by hand (not with the regex): values from python3 + PyYAML.
  EXPECT_EQ(Resolve("-1:30").int_value, -90);
  EXPECT_EQ(Resolve("+1_0:05").int_value, 605);
  EXPECT_EQ(Resolve("1:2:3").int_value, 3723);
  EXPECT_EQ(Resolve("1:59").int_value, 119);
  for (const char* text : {"1:60", "8080:80", "10000:5432", "01:30", "1:", "1::2", ":30",
                           "1:2:", "1:2a", "1:234", "-:30", "1:3_0"}) {
    EXPECT_EQ(Resolve(text).kind, Kind::kString) << text;
  }
}

TEST(ResolverTest, Floats) {
  EXPECT_EQ(Resolve("1.20").kind, Kind::kFloat);
  EXPECT_EQ(Resolve("1.20").PyStr(), "1.2");
  EXPECT_EQ(Resolve("1.0e+3").PyStr(), "1000.0");
  EXPECT_EQ(Resolve(".5").PyStr(), "0.5");
  EXPECT_EQ(Resolve("1.").PyStr(), "1.0");
  EXPECT_EQ(Resolve(".inf").PyStr(), "inf");
  EXPECT_EQ(Resolve("-.Inf").PyStr(), "-inf");
  EXPECT_EQ(Resolve(".NaN").PyStr(), "nan");
  EXPECT_EQ(Resolve("0.00001").PyStr(), "1e-05");
  EXPECT_EQ(Resolve("100000000000000000000.0").PyStr(), "1e+20");
  EXPECT_EQ(Resolve("0.1").PyStr(), "0.1");
  EXPECT_EQ(Resolve("1:30.5").PyStr(), "90.5");
  EXPECT_EQ(Resolve("1.5e3").kind, Kind::kString);  // exponent needs a sign in YAML 1.1
}

TEST(ResolverTest, LongPlainScalarsAreStrings) {
  EXPECT_EQ(Resolve(std::string(100000, '1')).kind, Kind::kString);
  auto root = ParseYaml("l.yaml", "a: " + std::string(200000, '9') + "\n");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->Find("a")->kind, Kind::kString);
}

TEST(ResolverTest, Timestamps) {
  EXPECT_EQ(Resolve("2020-01-01").kind, Kind::kTimestamp);
  EXPECT_EQ(Resolve("2020-01-01").PyStr(), "2020-01-01");
  EXPECT_EQ(Resolve("2001-12-14t21:59:43.10-05:00").PyStr(), "2001-12-14 21:59:43.100000-05:00");
  EXPECT_EQ(Resolve("2001-12-14 21:59:43Z").PyStr(), "2001-12-14 21:59:43+00:00");
  EXPECT_EQ(Resolve("2001-1-2").kind, Kind::kString);
  YamlNode n;
  std::string error;
  EXPECT_FALSE(ResolvePlainScalar("2020-13-45", &n, &error));
  EXPECT_NE(error.find("not a valid"), std::string::npos);
}

TEST(ParseYamlTest, TypesPositionsAndPaths) {
  auto root = ParseYaml("f.yaml",
                        "a: 1\n"
                        "b:\n"
                        "  c: 'yes'\n"
                        "  d: [x, yes]\n");
  ASSERT_TRUE(root.ok()) << root.status();
  const YamlNode* b = root->Find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->Find("c")->kind, Kind::kString);
  EXPECT_EQ(b->Find("c")->path(), "b.c");
  EXPECT_EQ(b->Find("c")->line, 3);
  EXPECT_EQ(b->Find("c")->column, 6);
  const YamlNode* d = b->Find("d");
  EXPECT_EQ(d->items[1].kind, Kind::kBool);
  EXPECT_EQ(d->items[1].path(), "b.d[1]");
}

// Paths are built on demand from parent links: they must survive moving the root out of the
// StatusOr, and cover keys, nested lists and non-string keys.
TEST(ParseYamlTest, PathsAfterMovingTheRoot) {
  auto parsed = ParseYaml("f.yaml", "top:\n  - {k: [a, {z: 1}]}\n  - 7: x\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  YamlNode root = *std::move(parsed);
  EXPECT_EQ(root.path(), "");
  const YamlNode& top = *root.Find("top");
  EXPECT_EQ(top.path(), "top");
  EXPECT_EQ(root.keys[0].path(), "top");
  const YamlNode& z = *top.items[0].Find("k")->items[1].Find("z");
  EXPECT_EQ(z.path(), "top[0].k[1].z");
  EXPECT_EQ(top.items[0].Find("k")->items[1].keys[0].path(), "top[0].k[1].z");
  EXPECT_EQ(top.items[1].values[0].path(), "top[1].7");
}

TEST(ParseYamlTest, DuplicateKeysAnywhere) {
  auto root = ParseYaml("m.yaml",
                        "services:\n"
                        "  zk:\n"
                        "    instances:\n"
                        "      zk-1: {ship: a}\n"
                        "      zk-1: {ship: b}\n");
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().message(),
            "m.yaml:5:7: services.zk.instances: duplicate key 'zk-1' (first defined at line 4)");
}

TEST(ParseYamlTest, MergeKeys) {
  auto root = ParseYaml("m.yaml",
                        "_a: &a {x: 1, y: 2}\n"
                        "_b: &b {y: 3, z: 4}\n"
                        "one:\n"
                        "  <<: *a\n"
                        "  x: 10\n"
                        "two:\n"
                        "  <<: [*b, *a]\n");
  ASSERT_TRUE(root.ok()) << root.status();
  const YamlNode* one = root->Find("one");
  ASSERT_EQ(one->keys.size(), 2u);
  EXPECT_EQ(one->Find("x")->int_value, 10);
  EXPECT_EQ(one->Find("y")->int_value, 2);
  EXPECT_EQ(one->Find("x")->path(), "one.x");
  const YamlNode* two = root->Find("two");
  EXPECT_EQ(two->Find("y")->int_value, 3);  // the first merged map wins
  EXPECT_EQ(two->Find("x")->int_value, 1);
  EXPECT_EQ(two->Find("z")->int_value, 4);
}

TEST(ParseYamlTest, AliasesAreCopiesWithTheirOwnPaths) {
  auto root = ParseYaml("m.yaml", "a: &p {exposed: 80, external: 8080}\nb: *p\n");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->Find("b")->Find("exposed")->path(), "b.exposed");
  EXPECT_EQ(root->Find("b")->line, 2);
}

TEST(ParseYamlTest, BillionLaughsIsRefused) {
  std::string doc = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  std::string prev = "a";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string name(1, c);
    doc += name + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) doc += (i ? ", *" : "*") + prev;
    doc += "]\n";
    prev = name;
  }
  auto root = ParseYaml("bomb.yaml", doc);
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(root.status().message().find("alias expansion exceeds the limit"), std::string::npos)
      << root.status();
}

TEST(ParseYamlTest, InputChecks) {
  EXPECT_EQ(std::string(ParseYaml("e.yaml", "").status().message()),
            "e.yaml:1:1: the file is empty (no YAML document)");
  EXPECT_EQ(std::string(ParseYaml("e.yaml", "# only a comment\n").status().message()),
            "e.yaml:1:1: the file is empty (no YAML document)");
  EXPECT_EQ(std::string(ParseYaml("b.yaml", std::string("a: 1\nb\0c", 9)).status().message()),
            "b.yaml:2:2: not a text file: it contains a NUL byte");
  EXPECT_EQ(std::string(ParseYaml("u.yaml", "a: \xff\n").status().message()),
            "u.yaml:1:4: not a text file: invalid UTF-8");
  EXPECT_TRUE(ParseYaml("u.yaml", "a: caf\xc3\xa9\n").ok());
  YamlLimits small;
  small.max_input_bytes = 4;
  EXPECT_EQ(ParseYaml("big.yaml", "a: 12345", small).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_NE(ParseYaml("m.yaml", "a: 1\n---\nb: 2\n").status().message().find("more than one"),
            std::string::npos);
}

TEST(ParseYamlTest, SyntaxErrorsCarryPositions) {
  auto root = ParseYaml("s.yaml", "a: [1, 2\nb: 3\n");
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().message().rfind("s.yaml:", 0), 0u) << root.status();
  EXPECT_NE(root.status().message().find("YAML syntax error"), std::string::npos);
}

// libyaml's problem and context texts (PyYAML prints the same), with 1-based positions.
TEST(ParseYamlTest, SyntaxErrorMessagesAreLibyamlsWithFileLineColumn) {
  EXPECT_EQ(std::string(ParseYaml("s.yaml", "a: [1, 2\nb: 3\n").status().message()),
            "s.yaml:2:2: YAML syntax error: did not find expected ',' or ']' "
            "(while parsing a flow sequence at line 1, column 4)");
  EXPECT_EQ(std::string(ParseYaml("t.yaml", "a:\n\tb: 1\n").status().message()),
            "t.yaml:2:1: YAML syntax error: found character that cannot start any token "
            "(while scanning for the next token at line 2, column 1)");
  EXPECT_EQ(std::string(ParseYaml("k.yaml", "a: 1\n b: 2\n").status().message()),
            "k.yaml:2:3: YAML syntax error: mapping values are not allowed in this context");
  EXPECT_EQ(std::string(ParseYaml("q.yaml", "a: 'open\n").status().message()),
            "q.yaml:2:1: YAML syntax error: found unexpected end of stream "
            "(while scanning a quoted scalar at line 1, column 4)");
}

TEST(ParseYamlTest, AliasErrors) {
  EXPECT_EQ(std::string(ParseYaml("a.yaml", "a: 1\nb: *nope\n").status().message()),
            "a.yaml:2:4: found undefined alias 'nope'");
  EXPECT_EQ(std::string(ParseYaml("r.yaml", "a: &r [1, *r]\n").status().message()),
            "r.yaml:1:11: alias refers to an anchor whose node is not complete (recursive alias)");
  // A redefined anchor refers to its latest node, as in PyYAML.
  auto root = ParseYaml("d.yaml", "a: &x 1\nb: &x 2\nc: *x\n");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->Find("c")->int_value, 2);
}

TEST(ParseYamlTest, ColumnsCountCharactersAndNullsKeepNoText) {
  auto root = ParseYaml("c.yaml", "caf\xc3\xa9: {x: 1}\nn: ~\ne:\nq: '~'\n");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->Find("caf\xc3\xa9")->Find("x")->column, 11);
  EXPECT_EQ(root->Find("n")->kind, Kind::kNull);
  EXPECT_EQ(root->Find("n")->text, "");
  EXPECT_EQ(root->Find("e")->kind, Kind::kNull);
  EXPECT_EQ(root->Find("q")->kind, Kind::kString);
  EXPECT_EQ(root->Find("q")->text, "~");
  EXPECT_EQ(std::string(ParseYaml("m.yaml", "a: 1\n---\n").status().message()),
            "m.yaml: expected a single YAML document, but the file contains more than one");
  EXPECT_EQ(std::string(ParseYaml("t.yaml", "a: !custom 1\n").status().message()),
            "t.yaml:1:4: unsupported YAML tag '!custom'");
}

TEST(ParseYamlTest, QuotedAndBlockScalarsAreStrings) {
  auto root = ParseYaml("q.yaml", "a: \"1\"\nb: '~'\nc: |\n  yes\n");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->Find("a")->kind, Kind::kString);
  EXPECT_EQ(root->Find("b")->PyStr(), "~");
  EXPECT_EQ(root->Find("c")->PyStr(), "yes\n");
  auto tagged = ParseYaml("t.yaml", "a: !!str 12\nb: !!float 3\n");
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  EXPECT_EQ(tagged->Find("a")->PyStr(), "12");
  EXPECT_EQ(tagged->Find("b")->PyStr(), "3.0");
}

TEST(ParseYamlTest, DeepNestingIsRefusedAtTheLimitInsteadOfOverflowingTheStack) {
  // 50,000 levels of flow collections (a 100 KB file) used to crash with SIGSEGV.
  const int kDeep = 50000;
  auto deep = ParseYaml("deep.yaml", std::string(kDeep, '[') + std::string(kDeep, ']'));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(std::string(deep.status().message()),
            "deep.yaml:1:1001: collections are nested more than 1000 levels deep (the limit)");
  auto mixed =
      ParseYaml("m.yaml", std::string(kDeep / 2, '{') + "a: [" + std::string(kDeep, ' ') + "]");
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kResourceExhausted);

  // Exactly at the limit loads, and the deepest node knows its path.
  YamlLimits limits;
  limits.max_depth = 1000;
  std::string doc = "a: ";
  for (int i = 1; i < 1000; ++i) doc += "[";
  doc += "x";
  for (int i = 1; i < 1000; ++i) doc += "]";
  auto ok = ParseYaml("ok.yaml", doc, limits);
  ASSERT_TRUE(ok.ok()) << ok.status();
  const YamlNode* n = ok->Find("a");
  std::string want = "a";
  while (n->IsSequence()) {
    n = &n->items[0];
    want += "[0]";
  }
  EXPECT_EQ(n->PyStr(), "x");
  EXPECT_EQ(n->path(), want);
  limits.max_depth = 999;
  EXPECT_EQ(ParseYaml("ok.yaml", doc, limits).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(ParseYamlTest, AliasesCannotStackNestingPastTheLimit) {
  // Each anchor is shallow where it is defined, but every alias places a deep copy one level
  // deeper than the last: the copies' depth counts.
  YamlLimits limits;
  limits.max_depth = 50;
  std::string doc = "a0: &a0 [[[[[[[[[[x]]]]]]]]]]\n";
  for (int i = 1; i < 10; ++i) {
    doc += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [[[[[[[[[[*a" +
           std::to_string(i - 1) + "]]]]]]]]]]\n";
  }
  auto root = ParseYaml("alias.yaml", doc, limits);
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(root.status().message().find("nested more than 50 levels"), std::string::npos)
      << root.status();
  limits.max_depth = 1000;
  EXPECT_TRUE(ParseYaml("alias.yaml", doc, limits).ok());
}

TEST(ParseYamlTest, ByteOrderMarkIsSkipped) {
  auto root = ParseYaml("bom.yaml", "\xEF\xBB\xBFname: x\nb: [1]\n");
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_NE(root->Find("name"), nullptr);
  EXPECT_EQ(root->Find("name")->PyStr(), "x");
  EXPECT_EQ(root->Find("b")->items[0].path(), "b[0]");
  // Positions after it are unchanged.
  EXPECT_EQ(std::string(ParseYaml("bom.yaml",
                                  "\xEF\xBB\xBF"
                                  "a: 1\nb: [\n")
                            .status()
                            .message())
                .substr(0, 14),
            "bom.yaml:3:1: ");
}

}  // namespace
}  // namespace config
}  // namespace maestro
