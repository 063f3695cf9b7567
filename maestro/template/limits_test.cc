// Adversarial templates: each must end quickly with a located error (or render), never with a
// signal, a hang or a runaway allocation. Runs under ASan too.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "maestro/template/ast.h"
#include "maestro/template/template.h"

namespace maestro::jinja {
namespace {

std::string Render(const std::string& src, Limits limits = {}, Loader* loader = nullptr) {
  Environment env(loader, limits);
  auto out = env.RenderString(src, "t.j2", {});
  if (!out.ok()) return "ERROR: " + std::string(out.status().message());
  return *out;
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(TemplateLimitsTest, LongOperatorChainsAreRefusedAtParseTime) {
  // 20,000 `+1` terms: a left-deep tree whose evaluation and destruction overflowed the stack.
  EXPECT_EQ(Render("{{ 1" + Repeat(" + 1", 20000) + " }}"),
            "ERROR: t.j2:1: expression nested too deeply (more than 1000 levels of operators, "
            "filters, calls or brackets)");
  EXPECT_EQ(Render("{{ 'a'" + Repeat("|lower", 20000) + " }}").substr(0, 51),
            "ERROR: t.j2:1: expression nested too deeply (more t");
  EXPECT_EQ(Render("{{ x" + Repeat(".a", 20000) + " }}").substr(0, 51),
            "ERROR: t.j2:1: expression nested too deeply (more t");
  EXPECT_EQ(Render("{{ f" + Repeat("()", 20000) + " }}").substr(0, 51),
            "ERROR: t.j2:1: expression nested too deeply (more t");
  EXPECT_EQ(Render("{% set x %}{% endset %}{% filter upper" + Repeat("|lower", 20000) +
                   " %}{% endfilter %}")
                .substr(0, 51),
            "ERROR: t.j2:1: expression nested too deeply (more t");
  // What Jinja2 accepts (about 490 terms) still renders.
  EXPECT_EQ(Render("{{ 1" + Repeat(" + 1", 900) + " }}"), "901");
  EXPECT_EQ(Render("{{ 'A'" + Repeat("|lower", 900) + " }}"), "a");
  EXPECT_EQ(Render("{{ " + Repeat("[", 300) + Repeat("]", 300) + "|length }}"), "1");
}

TEST(TemplateLimitsTest, DeeplyNestedBlocksAreRefused) {
  EXPECT_EQ(Render(Repeat("{% if true %}", 5000) + "x" + Repeat("{% endif %}", 5000)),
            "ERROR: t.j2:1: blocks nested too deeply (more than 200 levels)");
  EXPECT_EQ(Render(Repeat("{% for i in [1] %}", 5000) + "x" + Repeat("{% endfor %}", 5000)),
            "ERROR: t.j2:1: blocks nested too deeply (more than 200 levels)");
  EXPECT_EQ(Render(Repeat("{% macro m() %}", 5000) + Repeat("{% endmacro %}", 5000)),
            "ERROR: t.j2:1: blocks nested too deeply (more than 200 levels)");
  EXPECT_EQ(Render(Repeat("{% if true %}", 200) + "x" + Repeat("{% endif %}", 200)), "x");
  EXPECT_EQ(Render("{% for " + Repeat("(", 50000) + "x" + Repeat(")", 50000) +
                   " in [] %}"
                   "{% endfor %}"),
            "ERROR: t.j2:1: assignment target nested too deeply");
  EXPECT_EQ(Render("{{ " + Repeat("(", 50000) + "1" + Repeat(")", 50000) + " }}"),
            "ERROR: t.j2:1: expression nested too deeply");
  EXPECT_EQ(Render("{{ " + Repeat("-", 50000) + "1 }}"),
            "ERROR: t.j2:1: expression nested too deeply");
}

TEST(TemplateLimitsTest, RunawayLoopsStopOnTheStepBudget) {
  // 50 million iterations used to take about 50 s before the old iteration limit stopped them.
  std::string r = Render(
      "{% for i in range(5000000) %}{% for j in range(10) %}{% endfor %}"
      "{% endfor %}");
  EXPECT_EQ(r,
            "ERROR: t.j2:1: the template takes too many steps (limit 3000000 statements, loop "
            "iterations and calls per render): an endless loop or recursion?");
  // A one-line macro calling itself twice: 2^60 calls within the recursion limit.
  r = Render(
      "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
      "{{ f(60) }}");
  EXPECT_NE(r.find("too many steps"), std::string::npos) << r;
  // Scanning a big list again and again costs steps by its size.
  r = Render(
      "{% set big = range(1000000)|list %}{% for i in range(100000) %}"
      "{% if -1 in big %}{% endif %}{% endfor %}");
  EXPECT_NE(r.find("too many steps"), std::string::npos) << r;
}

TEST(TemplateLimitsTest, RunawayValuesStopOnTheByteBudget) {
  // A list doubling itself: 4.2 GB in 30 s before.
  const std::string doubling =
      "{% set ns = namespace(x=[1]) %}{% for i in range(64) %}"
      "{% set ns.x = ns.x + ns.x %}{% endfor %}{{ ns.x|length }}";
  std::string r = Render(doubling);
  EXPECT_EQ(r,
            "ERROR: t.j2:1: the template creates too much data (limit 256 MiB of strings and "
            "lists per render)");
  // One concatenation is bounded like `[..] * n`.
  Limits small;
  small.max_range_length = 1000;
  EXPECT_EQ(Render(doubling, small), "ERROR: t.j2:1: list too large");
  // A string doubling itself stays under the output limit per string but adds up.
  r = Render(
      "{% set ns = namespace(s='x' * 1000000, l=[]) %}{% for i in range(1000) %}"
      "{% set ns.l = ns.l + [ns.s ~ i] %}{% endfor %}{{ ns.l|length }}");
  EXPECT_EQ(r,
            "ERROR: t.j2:1: the template creates too much data (limit 256 MiB of strings and "
            "lists per render)");
  r = Render(
      "{% set ns = namespace(l=[]) %}{% for i in range(100) %}{% set x %}"
      "{{ 'y' * 5000000 }}{% endset %}{% set ns.l = ns.l + [x] %}{% endfor %}");
  EXPECT_NE(r.find("too much data"), std::string::npos) << r;
}

TEST(TemplateLimitsTest, RecursionInsideDeepExpressionsStopsBeforeTheStackEnds) {
  // Each macro level nests a deep expression; with a huge recursion limit, only the stack
  // guard stands between this and SIGSEGV.
  Limits limits;
  limits.max_recursion_depth = 1000000;
  limits.max_steps = 1000000000;
  std::string expr = Repeat("(", 300) + "f(n + 1)" + Repeat(")", 300);
  std::string r = Render("{% macro f(n) %}" + Repeat("{% if true %}", 150) + "{{ " + expr + " }}" +
                             Repeat("{% endif %}", 150) + "{% endmacro %}{{ f(0) }}",
                         limits);
  EXPECT_NE(r.find("the template nests too deeply (the render would exhaust the stack)"),
            std::string::npos)
      << r.substr(0, 200);
  // The same on a thread with a small stack.
  std::string t;
  std::thread th(
      [&] { t = Render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", limits); });
  th.join();
  EXPECT_NE(t.find("exhaust the stack"), std::string::npos) << t.substr(0, 200);
}

TEST(TemplateLimitsTest, DeeplyNestedAndSelfContainingValuesDoNotCrash) {
  // 200,000 levels of lists built in a loop: printing or even freeing them overflowed the
  // stack.
  EXPECT_EQ(Render("{% set ns = namespace(x=[]) %}{% for i in range(200000) %}"
                   "{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x|length }}"),
            "ERROR: t.j2:1: value nested too deeply (more than 500 levels of lists and dicts)");
  EXPECT_EQ(Render("{% set ns = namespace(x={}) %}{% for i in range(200000) %}"
                   "{% set ns.x = {'a': ns.x} %}{% endfor %}"),
            "ERROR: t.j2:1: value nested too deeply (more than 500 levels of lists and dicts)");
  EXPECT_EQ(Render("{% set ns = namespace(x=[]) %}{% for i in range(499) %}"
                   "{% set ns.x = [ns.x] %}{% endfor %}{{ (ns.x|string)[:6] }}"),
            "[[[[[[");
  // A namespace holding itself (printing it recursed forever; it could never be freed).
  EXPECT_EQ(Render("{% set ns = namespace() %}{% set ns.x = ns %}{{ ns }}"),
            "ERROR: t.j2:1: a namespace cannot contain itself (directly or through other values)");
  EXPECT_EQ(Render("{% set a = namespace() %}{% set b = namespace(l=[{'k': (1, a)}]) %}"
                   "{% set a.x = b %}"),
            "ERROR: t.j2:1: a namespace cannot contain itself (directly or through other values)");
  EXPECT_EQ(Render("{% set a = namespace(n=1) %}{% set b = namespace(x=a) %}{% set c = "
                   "namespace(y=a, z=b) %}{% set a.n = 2 %}{{ c.z.x.n }}"),
            "2");
  // A chain of namespaces is bounded like nested lists (freeing it recurses once per level).
  EXPECT_EQ(Render("{% set ns = namespace(x=none) %}{% for i in range(900000) %}"
                   "{% set ns.x = namespace(x=ns.x) %}{% endfor %}"),
            "ERROR: t.j2:1: value nested too deeply (more than 500 levels of lists, dicts and "
            "namespaces)");
}

TEST(TemplateLimitsTest, ValuesChangedInPlaceStayBounded) {
  // A chain grown downwards: each step puts an empty list (or namespace) into the deepest one,
  // so every single store looks shallow while the root ends 200,000 levels deep. Freeing it
  // overflowed the stack (SIGSEGV); printing and comparing it stop at kMaxValueRecursion.
  EXPECT_EQ(Render("{% set root = [] %}{% set h = namespace(cur=root) %}"
                   "{% for i in range(200000) %}{% set n = [] %}{% set _ = h.cur.append(n) %}"
                   "{% set h.cur = n %}{% endfor %}{{ root|length }}"),
            "1");
  EXPECT_EQ(Render("{% set root = namespace() %}{% set h = namespace(cur=root) %}"
                   "{% for i in range(200000) %}{% set n = namespace() %}{% set c = h.cur %}"
                   "{% set c.x = n %}{% set h.cur = n %}{% endfor %}done"),
            "done");
  const std::string two_chains =
      "{% set a = [] %}{% set b = [] %}{% set h = namespace(a=a, b=b) %}"
      "{% for i in range(5000) %}{% set n = [] %}{% set m = [] %}{% set _ = h.a.append(n) %}"
      "{% set _ = h.b.append(m) %}{% set h.a = n %}{% set h.b = m %}{% endfor %}";
  EXPECT_EQ(Render(two_chains + "{{ a < b }}"),
            "ERROR: t.j2:1: maximum recursion depth exceeded in comparison");
  EXPECT_EQ(Render(two_chains + "{{ a == b }}"), "False");
  EXPECT_EQ(Render(two_chains + "{{ '[...]' in (a|string) }} {{ (a|string)|length < 2100 }}"),
            "True True");
  // append() measures what it stores, like a namespace assignment.
  EXPECT_EQ(Render("{% set h = namespace(x=[]) %}{% for i in range(600) %}{% set n = [] %}"
                   "{% set _ = n.append(h.x) %}{% set h.x = n %}{% endfor %}done"),
            "ERROR: t.j2:1: value nested too deeply (more than 500 levels of lists, dicts and "
            "namespaces)");
  EXPECT_EQ(Render("{% set d = {} %}{% set h = namespace(x={}) %}{% for i in range(600) %}"
                   "{% set n = {} %}{% set _ = n.update(k=h.x) %}{% set h.x = n %}{% endfor %}"
                   "done"),
            "ERROR: t.j2:1: value nested too deeply (more than 500 levels of lists, dicts and "
            "namespaces)");
  // A value sharing its parts (2^40 paths, 41 lists) is measured once per part: storing it
  // took exponential time.
  EXPECT_EQ(Render("{% set l = [] %}{% set h = namespace(x=[]) %}{% for i in range(40) %}"
                   "{% set h.x = [h.x, h.x] %}{% endfor %}{% set _ = l.append(h.x) %}done"),
            "done");
  // What methods add counts against the byte budget: extend() doubling a list.
  Limits small;
  small.max_value_bytes = 1 << 20;
  EXPECT_EQ(Render("{% set l = [1] %}{% for i in range(40) %}{% set _ = l.extend(l) %}"
                   "{% endfor %}{{ l|length }}",
                   small),
            "ERROR: t.j2:1: the template creates too much data (limit 1 MiB of strings and lists "
            "per render)");
}

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

TEST(TemplateLimitsTest, IncludesReadRegularFilesOnly) {
  std::string dir = TempDir() + "/includes";
  ::mkdir(dir.c_str(), 0700);
  ::mkdir((dir + "/sub").c_str(), 0700);
  std::string fifo = dir + "/fifo.j2";
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::ofstream(dir + "/bom.j2", std::ios::binary) << "\xEF\xBB\xBF"
                                                      "bom: {{ 1 }}";
  FileSystemLoader loader(dir);
  EXPECT_EQ(
      Render("{% include 'fifo.j2' %}", {}, &loader),
      "ERROR: t.j2:1: cannot read template 'fifo.j2': " + fifo + ": not a regular file (a FIFO)");
  EXPECT_EQ(Render("{% include 'sub' %}", {}, &loader),
            "ERROR: t.j2:1: cannot read template 'sub': " + dir +
                "/sub: not a regular file (a directory)");
  EXPECT_EQ(Render("a\n{% include 'bom.j2' %}", {}, &loader), "a\nbom: 1");
  FileSystemLoader root("/");
  EXPECT_EQ(Render("{% include 'dev/zero' %}", {}, &root),
            "ERROR: t.j2:1: cannot read template 'dev/zero': /dev/zero: not a regular file (a "
            "character device)");
  ::unlink(fifo.c_str());
}

}  // namespace
}  // namespace maestro::jinja
