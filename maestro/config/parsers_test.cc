#include "maestro/config/parsers.h"

#include <string>

#include "gtest/gtest.h"

namespace maestro {
namespace config {
namespace {

YamlNode Doc(const std::string& text) {
  auto root = ParseYaml("t.yaml", "v: " + text + "\n");
  EXPECT_TRUE(root.ok()) << root.status();
  return *root->Find("v");
}

std::string PortString(const model::Port& p) {
  return p.exposed.ToString() + " -> (" + p.host_ip + ", " + p.external.ToString() + ")";
}

TEST(PortTest, UpstreamForms) {
  EXPECT_EQ(PortString(*ParsePort("p", Doc("80"))), "80/tcp -> (0.0.0.0, 80/tcp)");
  EXPECT_EQ(PortString(*ParsePort("p", Doc("'80'"))), "80/tcp -> (0.0.0.0, 80/tcp)");
  EXPECT_EQ(PortString(*ParsePort("p", Doc("80/udp"))), "80/udp -> (0.0.0.0, 80/udp)");
  EXPECT_EQ(PortString(*ParsePort("p", Doc("'80:8080'"))), "80/tcp -> (0.0.0.0, 8080/tcp)");
  EXPECT_EQ(PortString(*ParsePort("p", Doc("80/udp:8080/udp"))), "80/udp -> (0.0.0.0, 8080/udp)");
  EXPECT_EQ(PortString(*ParsePort("p", Doc("80/tcp:8080"))), "80/tcp -> (0.0.0.0, 8080/tcp)");
  EXPECT_EQ(PortString(*ParsePort("p", Doc("1234-1236"))),
            "1234-1236/tcp -> (0.0.0.0, 1234-1236/tcp)");
  EXPECT_EQ(PortString(*ParsePort("p", Doc("1234:1234-1236"))),
            "1234/tcp -> (0.0.0.0, 1234-1236/tcp)");
  EXPECT_EQ(PortString(*ParsePort("p", Doc("{exposed: '1234-1236', external: '1234-1236'}"))),
            "1234-1236/tcp -> (0.0.0.0, 1234-1236/tcp)");
  EXPECT_EQ(PortString(*ParsePort("p", Doc("{exposed: '1234', external: '1234-1236'}"))),
            "1234/tcp -> (0.0.0.0, 1234-1236/tcp)");
  EXPECT_EQ(PortString(*ParsePort("p", Doc("{exposed: 53/udp, external: [127.0.0.1, 5353/udp]}"))),
            "53/udp -> (127.0.0.1, 5353/udp)");
  // YAML 1.1: unquoted 22:22 is the base-60 integer 1342, exactly as MaestroNG sees it.
  EXPECT_EQ(PortString(*ParsePort("p", Doc("22:22"))), "1342/tcp -> (0.0.0.0, 1342/tcp)");
}

TEST(PortTest, Errors) {
  EXPECT_EQ(ParsePort("p", Doc("80/tcp:8080/udp")).status().message(),
            "mismatched protocols between 80/tcp and 8080/udp");
  EXPECT_EQ(ParsePort("p", Doc("80/udp:8080")).status().message(),
            "mismatched protocols between 80/udp and 8080/tcp");
  // Fixed: the mapping form checks protocols too.
  EXPECT_EQ(ParsePort("p", Doc("{exposed: 53/udp, external: 5353}")).status().message(),
            "mismatched protocols between 53/udp and 5353/tcp");
  // Unquoted, 1:2:3 is the base-60 integer 3723 in YAML 1.1; quoted it is a bad spec.
  EXPECT_EQ(PortString(*ParsePort("p", Doc("1:2:3"))), "3723/tcp -> (0.0.0.0, 3723/tcp)");
  EXPECT_EQ(ParsePort("p", Doc("'1:2:3'")).status().message(),
            "invalid port spec '1:2:3' for port 'p'; expected \"exposed[:external]\"");
  EXPECT_EQ(ParsePort("p", Doc("abc")).status().message(),
            "invalid port specification 'abc'; expected <port>, <p1>-<p2> or <port>/{tcp,udp}");
  EXPECT_EQ(ParsePort("p", Doc("70000")).status().message(),
            "port 70000 in '70000' is out of range (1-65535)");
  EXPECT_FALSE(ParsePort("p", Doc("{exposed: 80}")).ok());
  EXPECT_FALSE(ParsePort("p", Doc("{exposed: 80, external: [8080]}")).ok());
  EXPECT_FALSE(ParsePort("p", Doc("1.5")).ok());
  EXPECT_FALSE(ParsePort("p", Doc("[80]")).ok());
  EXPECT_FALSE(ParsePort("p", Doc("1236-1234")).ok());
  EXPECT_FALSE(ParsePort("p", Doc("80/sctp")).ok());
  // Regression: ranges of different lengths were silently truncated.
  EXPECT_EQ(ParsePort("p", Doc("'1000-1002:2000-2010'")).status().message(),
            "port 'p' maps 3 exposed ports (1000-1002) to 11 external ports (2000-2010); both "
            "sides of a range need the same length");
  EXPECT_EQ(
      ParsePort("p", Doc("{exposed: '1000-1002', external: [127.0.0.1, 2000]}")).status().message(),
      "port 'p' maps 3 exposed ports (1000-1002) to 1 external port (2000); both sides of "
      "a range need the same length");
  EXPECT_TRUE(ParsePort("p", Doc("'1000-1002:2000-2002'")).ok());
}

TEST(BytesTest, Sizes) {
  EXPECT_EQ(**ParseBytes(Doc("42")), 42);
  EXPECT_EQ(**ParseBytes(Doc("'42'")), 42);
  EXPECT_EQ(**ParseBytes(Doc("42k")), 43008);
  EXPECT_EQ(**ParseBytes(Doc("1G")), 1073741824);
  EXPECT_EQ(**ParseBytes(Doc("'10 m'")), 10485760);
  EXPECT_FALSE(ParseBytes(Doc("~"))->has_value());
  EXPECT_EQ(ParseBytes(Doc("10b")).status().message(),
            "unknown unit suffix 'b' in '10b' (use k, m or g)");
  EXPECT_EQ(ParseBytes(Doc("1.5g")).status().message(),
            "invalid size '1.5g': expected a whole number before the unit");
  EXPECT_FALSE(ParseBytes(Doc("k")).ok());
  EXPECT_FALSE(ParseBytes(Doc("1.5")).ok());
  EXPECT_FALSE(ParseBytes(Doc("-5")).ok());
  EXPECT_FALSE(ParseBytes(Doc("99999999999999g")).ok());
}

TEST(RestartTest, Policies) {
  auto r = [](const std::string& yaml) { return ParseRestart(Doc(yaml)); };
  EXPECT_EQ(r("~")->name, "no");
  EXPECT_EQ(r("'no'")->name, "no");
  EXPECT_EQ(r("no")->name, "no");  // YAML false
  EXPECT_EQ(r("always")->name, "always");
  EXPECT_EQ(r("on-failure")->max_retry, 0);
  EXPECT_EQ(r("on-failure:3")->max_retry, 3);
  EXPECT_EQ(r("unless-stopped")->name, "unless-stopped");
  EXPECT_EQ(r("{name: on-failure, retries: 42}")->max_retry, 42);
  EXPECT_EQ(r("{name: on-failure, maximum_retry_count: 3}")->max_retry, 3);
  EXPECT_EQ(r("{name: on-failure}")->max_retry, 0);
  EXPECT_EQ(r("{retries: 2}")->name, "no");
  EXPECT_EQ(r("[]")->name, "no");
  EXPECT_EQ(r("{}")->name, "no");
  EXPECT_EQ(
      r("noclue").status().message(),
      "invalid restart policy 'noclue'; choose one of no, always, on-failure, unless-stopped");
  EXPECT_EQ(
      r("on-failure:x").status().message(),
      "invalid restart policy format \"on-failure:x\"; expected <name> or on-failure:<retries>");
  EXPECT_FALSE(r("{name: on-failure, retries: 1, maximum_retry_count: 2}").ok());
  EXPECT_FALSE(r("{name: on-failure, tries: 1}").ok());
  EXPECT_FALSE(r("5").ok());
  EXPECT_FALSE(r("true").ok());
}

TEST(VolumesTest, Schema2) {
  auto binds = ParseVolumes(Doc("{/outside: /inside}"), 2);
  ASSERT_TRUE(binds.ok());
  EXPECT_EQ((*binds)[0].host, "/outside");
  EXPECT_EQ((*binds)[0].target, "/inside");
  EXPECT_EQ((*binds)[0].mode, "rw");
  binds = ParseVolumes(Doc("{/outside: {target: /inside, mode: 'ro,Z'}}"), 2);
  EXPECT_EQ((*binds)[0].mode, "ro,Z");
  binds = ParseVolumes(Doc("{/outside: {target: /inside}}"), 2);
  EXPECT_EQ((*binds)[0].mode, "rw");
  EXPECT_FALSE(ParseVolumes(Doc("{/outside: [/a, /b]}"), 2).ok());
  EXPECT_FALSE(ParseVolumes(Doc("{/outside: {bind: /inside}}"), 2).ok());
}

TEST(VolumesTest, Schema1IsInverted) {
  auto binds = ParseVolumes(Doc("{/inside: /outside}"), 1);
  ASSERT_TRUE(binds.ok());
  EXPECT_EQ((*binds)[0].host, "/outside");
  EXPECT_EQ((*binds)[0].target, "/inside");
  EXPECT_EQ((*binds)[0].mode, "rw");
  EXPECT_FALSE(ParseVolumes(Doc("{/inside: {target: /x}}"), 1).ok());
  EXPECT_FALSE(ParseVolumes(Doc("{/a: /out, /b: /out}"), 1).ok());
}

TEST(EnvFileTest, Format) {
  auto entries = ParseEnvFile("# comment\nA=1\n\n  B = two = 2  \r\nC=\n #not a comment=x\n");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[0], (std::pair<std::string, std::string>{"A", "1"}));
  EXPECT_EQ((*entries)[1], (std::pair<std::string, std::string>{"B ", " two = 2"}));
  EXPECT_EQ((*entries)[2], (std::pair<std::string, std::string>{"C", ""}));
  EXPECT_EQ((*entries)[3], (std::pair<std::string, std::string>{"#not a comment", "x"}));
  EXPECT_EQ(ParseEnvFile("A=1\n=2\n").status().message(),
            "line 2: empty environment variable name");
  EXPECT_EQ(ParseEnvFile(std::string("A=1\nB=x\0y\n", 10)).status().message(),
            "line 2: the value of environment variable B contains a NUL byte (a container "
            "environment cannot hold it)");
  EXPECT_EQ(ParseEnvFile("A=1\nbogus\n").status().message(),
            "line 2: invalid line 'bogus' (expected KEY=VALUE)");
  // A "KEY VALUE" line whose key looks secret is not quoted (model/secrets.h).
  EXPECT_EQ(ParseEnvFile("DB_PASSWORD hunter2\n").status().message(),
            "line 1: invalid line '********' (expected KEY=VALUE)");
}

TEST(ShlexTest, Split) {
  EXPECT_EQ(*ShlexSplit("python foo.py -arg"),
            (std::vector<std::string>{"python", "foo.py", "-arg"}));
  EXPECT_EQ(*ShlexSplit("sh -c 'echo a  b' \"x \\\"y\\\"\" a\\ b"),
            (std::vector<std::string>{"sh", "-c", "echo a  b", "x \"y\"", "a b"}));
  EXPECT_EQ(*ShlexSplit("a''b \"\""), (std::vector<std::string>{"ab", ""}));
  EXPECT_FALSE(ShlexSplit("echo 'oops").ok());
  EXPECT_FALSE(ShlexSplit("echo \\").ok());
}

TEST(SuggestTest, DidYouMean) {
  EXPECT_EQ(EditDistance("requries", "requires"), 1);
  EXPECT_EQ(Suggest("requries", {"image", "requires", "wants_info"}), "requires");
  EXPECT_EQ(Suggest("zzzzzz", {"image", "requires"}), "");
}

TEST(DurationTest, NumbersAndUnits) {
  EXPECT_EQ(*ParseDuration(Doc("5")), 5'000'000'000);
  EXPECT_EQ(*ParseDuration(Doc("0.5")), 500'000'000);
  EXPECT_EQ(*ParseDuration(Doc("'30'")), 30'000'000'000);
  EXPECT_EQ(*ParseDuration(Doc("0")), 0);
  EXPECT_EQ(*ParseDuration(Doc("5s")), 5'000'000'000);
  EXPECT_EQ(*ParseDuration(Doc("1m30s")), 90'000'000'000);
  EXPECT_EQ(*ParseDuration(Doc("500ms")), 500'000'000);
  EXPECT_EQ(*ParseDuration(Doc("1.5s")), 1'500'000'000);
  EXPECT_EQ(*ParseDuration(Doc("1h")), int64_t{3600} * 1'000'000'000);
  EXPECT_EQ(*ParseDuration(Doc("2m")), 120'000'000'000);
}

TEST(DurationTest, BadValues) {
  EXPECT_EQ(ParseDuration(Doc("5x")).status().message(),
            "invalid duration '5x': unknown unit 'x' (use ns, us, ms, s, m or h)");
  EXPECT_EQ(ParseDuration(Doc("1m30")).status().message(),
            "invalid duration '1m30': a number needs a unit (use ns, us, ms, s, m or h)");
  EXPECT_EQ(ParseDuration(Doc("-5")).status().message(), "negative duration '-5'");
  EXPECT_EQ(ParseDuration(Doc("-5s")).status().message(),
            "invalid duration '-5s': expected a duration such as 5s, 1m30s, 500ms or a number of "
            "seconds");
  EXPECT_EQ(ParseDuration(Doc("10us")).status().message(),
            "duration '10us' is below Docker's minimum of 1ms");
  EXPECT_EQ(ParseDuration(Doc("100000h")).status().message(),
            "duration '100000h' is too long (max 10000h)");
  EXPECT_NE(ParseDuration(Doc("[5]"))
                .status()
                .message()
                .find("expected a duration such as 5s, 1m30s, 500ms or a number of seconds, got"),
            std::string::npos);
  EXPECT_FALSE(ParseDuration(Doc("''")).ok());
  EXPECT_FALSE(ParseDuration(Doc("true")).ok());
}

}  // namespace
}  // namespace config
}  // namespace maestro
