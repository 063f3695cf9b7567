// Instance templates (docs/environment.md#instance-templates): expansion is equivalent to the
// hand-written instances, placement is round-robin, and bad templates give located errors.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "maestro/config/config_test_util.h"
#include "maestro/config/dump.h"

namespace maestro {
namespace config {
namespace {

using test_util::LoadErrors;
using test_util::LoadText;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const char kHead[] =
    "name: demo\n"
    "ships:\n"
    "  a: {ip: 10.0.0.1}\n"
    "  b: {ip: 10.0.0.2}\n"
    "services:\n"
    "  zk:\n"
    "    image: zookeeper:3.8\n"
    "    env: {ZOO_PORT: 2181}\n"
    "    instances:\n";

std::string Env(const std::string& instances) { return kHead + instances; }

const char kTemplate[] =
    "      zk-{index}:\n"
    "        count: 3\n"
    "        ships: [a, b]\n"
    "        ports: {client: \"2181:{2180 + index}\", peer: \"2888:{2887 + 10 * index}\"}\n"
    "        env: {ZOO_MY_ID: \"{index}\", WHERE: \"{ship}\", HOME_DIR: \"${HOME}/{x}\", "
    "'ID_{index}': y}\n"
    "        stop_timeout: \"{index * 5}\"\n"
    "        volumes:\n"
    "          /data: /srv/zk{index}\n";

const char kByHand[] =
    "      zk-1:\n"
    "        ship: a\n"
    "        ports: {client: \"2181:2181\", peer: \"2888:2897\"}\n"
    "        env: {ZOO_MY_ID: 1, WHERE: a, HOME_DIR: \"${HOME}/{x}\", ID_1: y}\n"
    "        stop_timeout: 5\n"
    "        volumes: {/data: /srv/zk1}\n"
    "      zk-2:\n"
    "        ship: b\n"
    "        ports: {client: \"2181:2182\", peer: \"2888:2907\"}\n"
    "        env: {ZOO_MY_ID: 2, WHERE: b, HOME_DIR: \"${HOME}/{x}\", ID_2: y}\n"
    "        stop_timeout: 10\n"
    "        volumes: {/data: /srv/zk2}\n"
    "      zk-3:\n"
    "        ship: a\n"
    "        ports: {client: \"2181:2183\", peer: \"2888:2917\"}\n"
    "        env: {ZOO_MY_ID: 3, WHERE: a, HOME_DIR: \"${HOME}/{x}\", ID_3: y}\n"
    "        stop_timeout: 15\n"
    "        volumes: {/data: /srv/zk3}\n";

TEST(LoaderTemplateTest, ExpandsRoundRobinWithSubstitutions) {
  absl::StatusOr<LoadResult> r = LoadText(Env(kTemplate));
  ASSERT_TRUE(r.ok()) << r.status();
  const model::Environment& env = r->environment;
  ASSERT_EQ(env.instances.size(), 3u);
  EXPECT_THAT(env.services[0].instances, ElementsAre("zk-1", "zk-2", "zk-3"));
  EXPECT_EQ(env.instances[0].ship, "a");
  EXPECT_EQ(env.instances[1].ship, "b");
  EXPECT_EQ(env.instances[2].ship, "a");
  const model::Instance& zk2 = env.instances[1];
  EXPECT_EQ(zk2.env.at("ZOO_MY_ID"), "2");
  EXPECT_EQ(zk2.env.at("WHERE"), "b");
  EXPECT_EQ(zk2.env.at("HOME_DIR"), "${HOME}/{x}");  // no index/ship inside: kept as written
  EXPECT_EQ(zk2.env.at("ZOO_PORT"), "2181");
  EXPECT_EQ(zk2.env.at("ID_2"), "y");  // mapping keys are substituted too
  EXPECT_EQ(zk2.stop_timeout, 10);     // "{index * 5}" became the integer 10
  ASSERT_EQ(zk2.volumes.size(), 1u);
  EXPECT_EQ(zk2.volumes[0].host, "/srv/zk2");
  EXPECT_EQ(zk2.hostname, "zk-2");
}

// The same model, the same injected environment and the same dump as the hand-written file.
TEST(LoaderTemplateTest, EquivalentToWritingTheInstancesByHand) {
  absl::StatusOr<LoadResult> templated = LoadText(Env(kTemplate));
  absl::StatusOr<LoadResult> by_hand = LoadText(Env(kByHand));
  ASSERT_TRUE(templated.ok()) << templated.status();
  ASSERT_TRUE(by_hand.ok()) << by_hand.status();
  const model::Environment& t = templated->environment;
  const model::Environment& h = by_hand->environment;
  ASSERT_EQ(t.instances.size(), h.instances.size());
  for (size_t i = 0; i < t.instances.size(); ++i) {
    EXPECT_EQ(t.instances[i].name, h.instances[i].name);
    EXPECT_EQ(t.instances[i].env, h.instances[i].env) << t.instances[i].name;
    ASSERT_EQ(t.instances[i].ports.size(), h.instances[i].ports.size());
    for (size_t p = 0; p < t.instances[i].ports.size(); ++p) {
      EXPECT_EQ(t.instances[i].ports[p].name, h.instances[i].ports[p].name);
      EXPECT_EQ(t.instances[i].ports[p].exposed.ToString(),
                h.instances[i].ports[p].exposed.ToString());
      EXPECT_EQ(t.instances[i].ports[p].external.ToString(),
                h.instances[i].ports[p].external.ToString());
    }
    // `maestro dump` shows each expanded instance exactly as the hand-written one.
    nlohmann::json dump_t = DumpInstance(t, t.instances[i]);
    nlohmann::json dump_h = DumpInstance(h, h.instances[i]);
    for (nlohmann::json* d : {&dump_t, &dump_h}) {
      d->erase("line");
      d->erase("column");
    }
    EXPECT_EQ(dump_t, dump_h);
  }
}

TEST(LoaderTemplateTest, KeepsItsPlaceAmongHandWrittenInstancesAndOneShip) {
  absl::StatusOr<LoadResult> r =
      LoadText(Env("      first: {ship: b}\n"
                   "      w{index}: {count: 2, ship: b, command: \"serve --id {index - 1}\"}\n"
                   "      last: {ship: a}\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->environment.services[0].instances, ElementsAre("first", "w1", "w2", "last"));
  EXPECT_EQ(r->environment.instances[2].ship, "b");
  EXPECT_THAT(r->environment.instances[2].command.value(), ElementsAre("serve", "--id", "1"));
}

TEST(LoaderTemplateTest, CollisionWithAHandWrittenInstance) {
  EXPECT_EQ(LoadErrors(Env("      zk-{index}: {count: 3, ships: [a]}\n"
                           "      zk-2: {ship: b}\n")),
            "maestro.yaml:10:7: services.zk.instances.zk-{index}: instance template "
            "'zk-{index}' makes instance 'zk-2' (index 2), which is also written by hand at "
            "line 11");
}

TEST(LoaderTemplateTest, CollisionWithAnotherServicesInstance) {
  EXPECT_THAT(LoadErrors("name: demo\nships: {a: {ip: 10.0.0.1}}\nservices:\n"
                         "  one: {image: x, instances: {w2: {ship: a}}}\n"
                         "  two: {image: x, instances: {'w{index}': {count: 2, ship: a}}}\n"),
              HasSubstr("5:31: services.two.instances.w{index}: instance template "
                        "'w{index}' makes instance 'w2' (index 2), already defined in service "
                        "'one' (line 4)"));
}

TEST(LoaderTemplateTest, BadCounts) {
  EXPECT_THAT(LoadErrors(Env("      zk-{index}: {count: 0, ships: [a]}\n")),
              HasSubstr("10:27: services.zk.instances.zk-{index}.count: 'count' of "
                        "instance template 'zk-{index}' must be between 1 and 10000, got 0"));
  EXPECT_THAT(LoadErrors(Env("      zk-{index}: {count: 10001, ships: [a]}\n")),
              HasSubstr("must be between 1 and 10000, got 10001"));
  EXPECT_THAT(LoadErrors(Env("      zk-{index}: {count: three, ships: [a]}\n")),
              HasSubstr("10:27: services.zk.instances.zk-{index}.count: 'count' of instance "
                        "template 'zk-{index}' must be an integer, got a string 'three'"));
  EXPECT_THAT(LoadErrors(Env("      zk-{index}: {ships: [a]}\n")),
              HasSubstr("10:7: services.zk.instances.zk-{index}: instance template "
                        "'zk-{index}' has no 'count' (how many instances it makes)"));
  // Two templates of 6000 each: over the bound for one file.
  EXPECT_THAT(LoadErrors(Env("      x{index}: {count: 6000, ship: a}\n"
                             "      y{index}: {count: 6000, ship: a}\n")),
              HasSubstr("11:25: services.zk.instances.y{index}.count: 'count' of instance "
                        "template 'y{index}' makes more than 10000 templated instances in this "
                        "file"));
}

TEST(LoaderTemplateTest, BadShips) {
  EXPECT_THAT(LoadErrors(Env("      zk-{index}: {count: 2, ships: [a, c]}\n")),
              HasSubstr("10:41: services.zk.instances.zk-{index}.ships[1]: unknown ship "
                        "'c' in instance template 'zk-{index}' (known ships: a, b)"));
  EXPECT_THAT(LoadErrors(Env("      zk-{index}: {count: 2, ships: []}\n")),
              HasSubstr("'ships' of instance template 'zk-{index}' must be a non-empty list of "
                        "ships, got an empty list"));
  EXPECT_THAT(LoadErrors(Env("      zk-{index}: {count: 2, ship: a, ships: [b]}\n")),
              HasSubstr("has both 'ship' and 'ships'; use one"));
  EXPECT_THAT(LoadErrors(Env("      zk-{index}: {count: 2}\n")),
              HasSubstr("has no 'ships' (a list, used round-robin) or 'ship'"));
}

TEST(LoaderTemplateTest, BadExpressionsAndNames) {
  EXPECT_THAT(LoadErrors(Env("      zk-{index}: {count: 2, ship: a, env: {ID: \"{index +}\"}}\n")),
              HasSubstr("10:49: services.zk.instances.zk-{index}.env.ID: bad expression "
                        "'{index +}': expected a number or 'index' at the end (use {index}, "
                        "{ship}, or integers with + - * and index) in instance template "
                        "'zk-{index}'"));
  EXPECT_THAT(
      LoadErrors(Env("      zk-{index / 2}: {count: 2, ship: a}\n")),
      HasSubstr("10:7: services.zk.instances.zk-{index / 2}: bad expression "
                "'{index / 2}': unexpected '/' (use {index}, {ship}, or integers with + - * and "
                "index) in the name of instance template 'zk-{index / 2}'"));
  EXPECT_THAT(LoadErrors(Env("      zk-{ship}: {count: 3, ships: [a, b]}\n")),
              HasSubstr("instance template 'zk-{ship}' gives the name 'zk-a' to index 1 and "
                        "index 3; put {index} in the name"));
  EXPECT_THAT(LoadErrors(Env("      '{index - 2}-zk': {count: 2, ship: a}\n")),
              HasSubstr("gives index 1 the name '-1-zk', which is not a container name"));
  EXPECT_THAT(LoadErrors(Env("      zk-{index}: [a]\n")),
              HasSubstr("10:19: services.zk.instances.zk-{index}: instance template "
                        "'zk-{index}' must be a mapping with 'count' and 'ships', got a list"));
}

// Errors of the expanded instances point at the template's nodes, once (not once per index).
TEST(LoaderTemplateTest, ErrorsOfExpandedInstancesAreReportedOnceAtTheTemplate) {
  EXPECT_EQ(LoadErrors(Env("      zk-{index}: {count: 3, ship: a, stop_timeout: -1}\n")),
            "maestro.yaml:10:53: services.zk.instances.zk-{index}.stop_timeout: "
            "stop_timeout must not be negative");
}

// A MaestroNG instance that happens to have a 'count' key is not a template.
TEST(LoaderTemplateTest, PlainInstancesWithCountAreUnchanged) {
  absl::StatusOr<LoadResult> r = LoadText(Env("      zk: {ship: a, count: 3}\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->environment.instances.size(), 1u);
  EXPECT_EQ(r->environment.instances[0].name, "zk");
}

}  // namespace
}  // namespace config
}  // namespace maestro
