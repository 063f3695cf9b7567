#include "maestro/template/template.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace maestro::jinja {
namespace {

using Files = std::map<std::string, std::string>;

std::string Render(absl::string_view src, Loader* loader = nullptr, Limits limits = {}) {
  Environment env(loader, limits);
  auto out = env.RenderString(src, "t.j2", {{"env", MakeEnvDict(Files{{"HOME", "/h"}, {"X", "1"}})}});
  if (!out.ok()) return "ERROR: " + std::string(out.status().message());
  return *out;
}

TEST(TemplateTest, PrintsPythonValues) {
  EXPECT_EQ(Render("{{ [1, 'a', none, true, 1.0] }}"), "[1, 'a', None, True, 1.0]");
  EXPECT_EQ(Render("{{ {'a': (1,)} }}"), "{'a': (1,)}");
  EXPECT_EQ(Render("{{ 0.1 }} {{ 1e-05 }} {{ 1e20 }} {{ 1e16 }}"), "0.1 1e-05 1e+20 1e+16");
}

TEST(TemplateTest, EnvAccess) {
  EXPECT_EQ(Render("{{ env.HOME }}|{{ env['X'] }}|{{ env.get('Y', 'd') }}|{{ env.NOPE }}"),
            "/h|1|d|");
}

TEST(TemplateTest, ArithmeticFollowsPython) {
  EXPECT_EQ(Render("{{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 3 ** 2 }}"), "-4 2 3.5 64");
}

TEST(TemplateTest, LoopVariablesAndScoping) {
  EXPECT_EQ(Render("{% set x = 0 %}{% for i in 'ab' %}{{ loop.index0 }}{{ loop.last }}"
                   "{% set x = 5 %}{% endfor %}{{ x }}"),
            "0False1True0");
}

TEST(TemplateTest, MacrosWithCaller) {
  EXPECT_EQ(Render("{% macro w() %}[{{ caller() }}]{% endmacro %}{% call w() %}in{% endcall %}"),
            "[in]");
}

TEST(TemplateTest, IncludeAndImportThroughLoader) {
  MapLoader loader(Files{{"m.j2", "{% macro hi(n) %}hi {{ n }}{% endmacro %}"},
                    {"p.j2", "<{{ v }}>"}});
  EXPECT_EQ(Render("{% from 'm.j2' import hi %}{{ hi(1) }}{% set v = 2 %}{% include 'p.j2' %}",
                   &loader),
            "hi 1<2>");
  EXPECT_EQ(Render("{% include 'nope.j2' %}", &loader), "ERROR: t.j2:1: template 'nope.j2' not found");
}

TEST(TemplateTest, NullLoaderFailsCleanly) {
  EXPECT_EQ(Render("{% include 'x.j2' %}"), "ERROR: t.j2:1: template 'x.j2' not found");
}

TEST(TemplateTest, ErrorsNameFileAndLine) {
  EXPECT_EQ(Render("a\n{{ x|uper }}"), "ERROR: t.j2:2: unknown filter 'uper'");
  EXPECT_EQ(Render("a\n\n{{ 1 + 'a' }}"),
            "ERROR: t.j2:3: unsupported operand type(s) for +: 'int' and 'str'");
  EXPECT_EQ(Render("{{ 1 / 0 }}"), "ERROR: t.j2:1: division by zero");
  EXPECT_EQ(Render("{% for x in y %}\n"),
            "ERROR: t.j2:1: unexpected end of template, expected 'else' or 'endfor' (in 'for' "
            "block opened at line 1)");
  EXPECT_EQ(Render("{{ 9223372036854775807 + 1 }}"), "ERROR: t.j2:1: integer overflow");
  EXPECT_EQ(Render("{{ x is frob }}"), "ERROR: t.j2:1: unknown test 'frob'");
}

TEST(TemplateTest, LimitsBoundWork) {
  Limits limits;
  limits.max_output_bytes = 1000;
  EXPECT_EQ(Render("{% for i in range(100) %}0123456789abcdef{% endfor %}", nullptr, limits)
                .substr(0, 30),
            "ERROR: t.j2:1: output too larg");
  Limits loops;
  loops.max_loop_iterations = 50;
  EXPECT_NE(Render("{% for i in range(10) %}{% for j in range(10) %}{% endfor %}{% endfor %}",
                   nullptr, loops)
                .find("too many loop iterations"),
            std::string::npos);
  EXPECT_NE(Render("{{ range(100000000000) }}").find("range too big"), std::string::npos);
  EXPECT_NE(Render("{{ 'x' * 100000000000 }}").find("too large"), std::string::npos);
  EXPECT_NE(Render("{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}").find("recursion"),
            std::string::npos);
  MapLoader self(Files{{"self.j2", "{% include 'self.j2' %}"}});
  EXPECT_NE(Render("{% include 'self.j2' %}", &self).find("recursion"), std::string::npos);
}

TEST(TemplateTest, CustomGlobalsAndFilters) {
  Environment env(nullptr);
  env.AddGlobal("twice", Value::MakeCallable("twice", [](const CallArgs& a) -> absl::StatusOr<Value> {
                  return Value(a.positional.at(0).as_int() * 2);
                }));
  env.AddFilter("shout", [](const CallArgs& a) -> absl::StatusOr<Value> {
    return Value(a.positional.at(0).Str() + "!");
  });
  auto out = env.RenderString("{{ twice(21) }} {{ 'hey'|shout }}", "t", {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "42 hey!");
}

TEST(TemplateTest, LargeLoopIsFast) {
  std::string src =
      "{% for i in range(6000) %}  svc-{{ i }}:\n    ship: s{{ i % 10 }}\n    ports: "
      "{{ [8000 + i, 9000 + i]|join(',') }}\n{% endfor %}";
  std::string out = Render(src);
  EXPECT_EQ(out.find("ERROR"), std::string::npos);
  EXPECT_NE(out.find("svc-5999:"), std::string::npos);
}

TEST(ValueTest, DictKeysFollowPythonEquality) {
  Dict d;
  d.Set(Value(1), Value("int"));
  d.Set(Value(1.0), Value("float"));
  d.Set(Value(true), Value("bool"));
  EXPECT_EQ(d.size(), 1u);
  EXPECT_EQ(d.Find(Value(1))->Str(), "bool");
}

}  // namespace
}  // namespace maestro::jinja
