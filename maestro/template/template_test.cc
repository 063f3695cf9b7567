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
  auto out =
      env.RenderString(src, "t.j2", {{"env", MakeEnvDict(Files{{"HOME", "/h"}, {"X", "1"}})}});
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
  MapLoader loader(
      Files{{"m.j2", "{% macro hi(n) %}hi {{ n }}{% endmacro %}"}, {"p.j2", "<{{ v }}>"}});
  EXPECT_EQ(
      Render("{% from 'm.j2' import hi %}{{ hi(1) }}{% set v = 2 %}{% include 'p.j2' %}", &loader),
      "hi 1<2>");
  EXPECT_EQ(Render("{% include 'nope.j2' %}", &loader),
            "ERROR: t.j2:1: template 'nope.j2' not found");
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
  EXPECT_EQ(Render("{{ 9223372036854775807 + 1 }}"), "9223372036854775808");  // Python ints
  EXPECT_EQ(Render("{{ 2 ** 20000 }}"),
            "ERROR: t.j2:1: integer too large (more than 14300 bits; maestro only)");
  EXPECT_EQ(Render("{{ x is frob }}"), "ERROR: t.j2:1: unknown test 'frob'");
}

TEST(TemplateTest, LimitsBoundWork) {
  Limits limits;
  limits.max_output_bytes = 1000;
  EXPECT_EQ(Render("{% for i in range(100) %}0123456789abcdef{% endfor %}", nullptr, limits)
                .substr(0, 30),
            "ERROR: t.j2:1: output too larg");
  Limits loops;
  loops.max_steps = 50;
  EXPECT_NE(Render("{% for i in range(10) %}{% for j in range(10) %}{% endfor %}{% endfor %}",
                   nullptr, loops)
                .find("too many steps"),
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
  env.AddGlobal("twice",
                Value::MakeCallable("twice", [](const CallArgs& a) -> absl::StatusOr<Value> {
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

TEST(TemplateTest, InheritanceRendersTheParentWithTheChildsBlocks) {
  MapLoader loader(
      Files{{"base.j2",
             "{% set t = t|default('base') %}<{% block a %}A{% endblock %}|"
             "{% block b %}B{% endblock %}|{{ t }}|{{ self.a() }}>"},
            {"mid.j2", "{% extends 'base.j2' %}{% block a %}mid+{{ super() }}{% endblock %}"}});
  // Output before `extends` is kept.
  EXPECT_EQ(Render("ignored {% extends 'mid.j2' %}{% set t = 'child' %}ignored {{ 1 }}"
                   "{% block a %}child+{{ super() }}+{{ super.super() }}{% endblock %}",
                   &loader),
            "ignored <child+mid+A+A|B|child|child+mid+A+A>");
  EXPECT_EQ(Render("{% set p = 'base.j2' %}{% extends p %}{% block b %}b{% endblock %}", &loader),
            "<A|b|base|A>");
  // Only plain output and top-level blocks of a child are dropped.
  EXPECT_EQ(Render("{% extends 'base.j2' %}{% for i in [1] %}{% block c %}C{% endblock %}"
                   "{% endfor %}",
                   &loader),
            "C<A|B|base|A>");
}

TEST(TemplateTest, BlocksSeeTheTemplateContextUnlessScoped) {
  EXPECT_EQ(Render("{% set x = 1 %}{% for i in [7] %}{% block a %}{{ x }}{{ i }}{% endblock %}"
                   "{% block b scoped %}{{ i }}{% endblock %}{% endfor %}"),
            "17");
}

TEST(TemplateTest, RecursiveLoops) {
  EXPECT_EQ(Render("{% for x in [1, [2, [3]]] recursive %}{% if x is iterable %}{{ loop(x) }}"
                   "{% else %}{{ x }}@{{ loop.depth }}/{{ loop.depth0 }} {% endif %}{% endfor %}"),
            "1@1/0 2@2/1 3@3/2 ");
  EXPECT_EQ(Render("{% for x in [1, 1, 2] %}{{ loop.changed(x) }} {% endfor %}"),
            "True False True ");
  EXPECT_EQ(Render("{% for x in 'ab' %}{{ loop }}{% endfor %}"),
            "<LoopContext 1/2><LoopContext 2/2>");
}

TEST(TemplateTest, InheritanceErrorsNameFileAndLine) {
  MapLoader loader(
      Files{{"base.j2", "{% block a %}A{% endblock %}{% block r required %}{% endblock %}"},
            {"bad.j2", "ok\n{{ 1 // 0 }}"},
            {"self.j2", "{% extends 'self.j2' %}"},
            {"c1.j2", "{% extends 'c2.j2' %}"},
            {"c2.j2", "\n{% extends 'c1.j2' %}"}});
  EXPECT_EQ(Render("{% block a %}{% endblock %}\n{% block a %}{% endblock %}", &loader),
            "ERROR: t.j2:2: block 'a' defined twice");
  EXPECT_EQ(Render("x\n{% extends 'nope.j2' %}", &loader),
            "ERROR: t.j2:2: template 'nope.j2' not found");
  EXPECT_EQ(Render("{% extends 'self.j2' %}", &loader),
            "ERROR: self.j2:1: template inheritance cycle: 't.j2' -> 'self.j2' -> 'self.j2'");
  EXPECT_EQ(Render("{% extends 'c1.j2' %}", &loader),
            "ERROR: c2.j2:2: template inheritance cycle: 't.j2' -> 'c1.j2' -> 'c2.j2' -> "
            "'c1.j2'");
  EXPECT_EQ(Render("{% extends 'base.j2' %}\n{% extends 'base.j2' %}", &loader),
            "ERROR: t.j2:2: extended multiple times");
  EXPECT_EQ(Render("{% for i in [1] %}\n{% extends 'base.j2' %}{% endfor %}", &loader),
            "ERROR: t.j2:2: cannot use extend from a non top-level scope");
  EXPECT_EQ(Render("{% extends 'base.j2' %}", &loader),
            "ERROR: base.j2:1: required block 'r' not found");
  EXPECT_EQ(Render("{% block r required %}x{% endblock %}"),
            "ERROR: t.j2:1: required blocks can only contain comments or whitespace");
  EXPECT_EQ(Render("{% extends 'bad.j2' %}", &loader),
            "ERROR: bad.j2:2: integer division or modulo by zero");
  EXPECT_EQ(Render("{% extends undefined_name %}", &loader),
            "ERROR: t.j2:1: 'undefined_name' is undefined");
  EXPECT_EQ(Render("\n{% block a %}{{ super() }}{% endblock %}"),
            "ERROR: t.j2:2: there is no parent block called 'a'.");
  EXPECT_EQ(Render("{{ super() }}"), "ERROR: t.j2:1: 'super' is undefined");
  EXPECT_EQ(Render("{% block a %}{% endblock b %}"),
            "ERROR: t.j2:1: expected end of statement block, got 'b'");
  EXPECT_EQ(Render("{% if 1 %}{% endif x %}"),
            "ERROR: t.j2:1: expected end of statement block, got 'x'");
  EXPECT_EQ(Render("{% block a-b %}{% endblock %}"),
            "ERROR: t.j2:1: block names have to be valid Python identifiers and may not "
            "contain hyphens, use an underscore instead");
  EXPECT_EQ(Render("{% block a %}{{ self.a() }}{% endblock %}"),
            "ERROR: t.j2:1: maximum recursion depth exceeded (limit 200) in block 'a'");
}

TEST(TemplateTest, InheritanceChainsAreBounded) {
  MapLoader loader;
  for (int i = 0; i < 20; ++i) {
    loader.Add(absl::StrCat("l", i, ".j2"), absl::StrCat("{% extends 'l", i + 1, ".j2' %}"));
  }
  loader.Add("l20.j2", "end");
  EXPECT_EQ(Render("{% extends 'l0.j2' %}", &loader), "end");
  Limits limits;
  limits.max_recursion_depth = 10;
  EXPECT_EQ(Render("{% extends 'l0.j2' %}", &loader, limits),
            "ERROR: l8.j2:1: too many levels of template inheritance (limit 10)");
}

TEST(TemplateTest, LoopErrors) {
  EXPECT_EQ(Render("{% for x in [1] %}\n{% break %}{% endfor %}"),
            "ERROR: t.j2:2: encountered unknown tag 'break', expected 'else' or 'endfor' (in "
            "'for' block opened at line 1); break and continue need Jinja2's loopcontrols "
            "extension, which MaestroNG does not enable");
  EXPECT_EQ(Render("{% continue %}"),
            "ERROR: t.j2:1: encountered unknown tag 'continue'; break and continue need "
            "Jinja2's loopcontrols extension, which MaestroNG does not enable");
  EXPECT_EQ(Render("{% do x.append(1) %}"),
            "ERROR: t.j2:1: encountered unknown tag 'do'; do needs Jinja2's do extension, "
            "which MaestroNG does not enable");
  EXPECT_EQ(Render("{% for x in [1] %}{{ loop([]) }}{% endfor %}"),
            "ERROR: t.j2:1: the loop must have the 'recursive' marker to be called "
            "recursively");
  EXPECT_EQ(Render("{% for x in [1] recursive %}\n{{ loop(3) }}{% endfor %}"),
            "ERROR: t.j2:2: 'int' object is not iterable");
  Limits limits;
  limits.max_recursion_depth = 20;
  EXPECT_EQ(Render("{% set ns = namespace(t=[]) %}{% for i in range(30) %}"
                   "{% set ns.t = [ns.t] %}{% endfor %}"
                   "{% for x in ns.t recursive %}{{ loop(x) }}{% endfor %}",
                   nullptr, limits),
            "ERROR: t.j2:1: maximum recursion depth exceeded (limit 20) in recursive loop");
}

TEST(TemplateTest, SelfAndSuperStoredInVariablesDoNotLeak) {
  // Run under ASan (leak detection) to be meaningful.
  EXPECT_EQ(Render("{% set s = self %}{% set ns = namespace() %}"
                   "{% block a %}{% set ns.sup = super %}{% set ns.me = self %}A{% endblock %}"
                   "{% for i in [1] %}{% block b scoped %}{% set ns.b = self.b %}"
                   "{% endblock %}{% endfor %}{{ s.a() }}"),
            "AA");
}

// MaestroNG's zookeeper+kafka example builds its server list with append: lists and dicts are
// shared references, so the mutation is seen by later reads and through every alias.
TEST(TemplateTest, ListAndDictMethodsMutateTheSharedValue) {
  EXPECT_EQ(
      Render("{%- set ids = [] %}{% set alias = ids %}"
             "{%- for n in ['a', 'b'] %}{% set DO = ids.append('{}:{}'.format(n, loop.index)) %}"
             "{%- endfor %}{{ ids|join(',') }} {{ alias }} {{ DO is defined }}"),
      "a:1,b:2 ['a:1', 'b:2'] False");
  EXPECT_EQ(Render("{% set d = {} %}{% set _ = d.setdefault('k', []).append(1) %}"
                   "{% set _ = d.update(x=2) %}{{ d }} {{ d.pop('x') }} {{ d }}"),
            "{'k': [1], 'x': 2} 2 {'k': [1]}");
  EXPECT_EQ(
      Render("{% set a = [2, 1] %}{% set b = a.copy() %}{% set _ = a.sort() %}{{ a }}{{ b }}"),
      "[1, 2][2, 1]");
  EXPECT_EQ(Render("{% set l = [] %}{{ l.pop() }}"), "ERROR: t.j2:1: pop from empty list");
  EXPECT_EQ(Render("{% set l = [] %}{% set _ = l.append(l) %}"),
            "ERROR: t.j2:1: a list cannot contain itself (maestro only)");
  Limits small;
  small.max_range_length = 3;
  EXPECT_EQ(Render("{% set l = [1, 2] %}{% set _ = l.extend(l) %}", nullptr, small),
            "ERROR: t.j2:1: list too large, maximum length is 3 (maestro only)");
}

// Python ints: no overflow past int64 (MaestroNG renders with Python).
TEST(TemplateTest, IntegersBeyondInt64) {
  EXPECT_EQ(Render("{{ 2 ** 63 }} {{ -(2 ** 63) - 1 }} {{ 12345678901234567890 % 97 }}"),
            "9223372036854775808 -9223372036854775809 3");
  EXPECT_EQ(Render("{{ (2 ** 64) // 3 }} {{ 2 ** 64 > 2 ** 63 }} {{ [2 ** 64, 1]|sum }}"),
            "6148914691236517205 True 18446744073709551617");
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
