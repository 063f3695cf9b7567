// Loader: instance templates (docs/environment.md#instance-templates). An entry of a service's
// `instances:` whose name contains '{' is a template:
//
//   instances:
//     zk-{index}:
//       count: 3
//       ships: [a, b, c]
//       ports: {client: "{2180 + index}:2181"}
//
// It expands, before any instance is loaded, into `count` ordinary instance entries (index 1 to
// count, in order, at the template's place among the hand-written ones), placed round-robin on
// `ships` (or all on `ship`). `{index}`, `{ship}` and integer arithmetic on index (+, -, *) are
// substituted in the name and in every string value; a string that is exactly one arithmetic
// expression becomes an integer. The expansions are then loaded exactly as hand-written
// instances, so the model (and dump, plan and the injected environment) cannot tell them apart.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maestro/config/loader_internal.h"

namespace maestro {
namespace config {
namespace loader_internal {
namespace {

constexpr int64_t kValueBound = int64_t{1} << 40;  // |values| in expressions

// A tiny recursive-descent evaluator: expr := term (('+'|'-') term)*, term := factor ('*'
// factor)*, factor := digits | 'index' | '-' factor. Returns nullopt with `error` set.
class Expression {
 public:
  Expression(absl::string_view text, int64_t index) : text_(text), index_(index) {}

  std::optional<int64_t> Evaluate(std::string* error) {
    std::optional<int64_t> v = Sum();
    Skip();
    if (v && pos_ != text_.size()) {
      Fail(absl::StrCat("unexpected '", text_.substr(pos_, 1), "'"));
      v.reset();
    }
    if (!v) *error = error_;
    return v;
  }

 private:
  void Skip() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  void Fail(const std::string& why) {
    if (error_.empty()) error_ = why;
  }
  std::optional<int64_t> Checked(int64_t v) {
    if (v > kValueBound || v < -kValueBound) {
      Fail("the value is too large");
      return std::nullopt;
    }
    return v;
  }
  std::optional<int64_t> Sum() {
    std::optional<int64_t> left = Product();
    while (left) {
      Skip();
      if (pos_ >= text_.size() || (text_[pos_] != '+' && text_[pos_] != '-')) break;
      char op = text_[pos_++];
      std::optional<int64_t> right = Product();
      if (!right) return std::nullopt;
      left = Checked(op == '+' ? *left + *right : *left - *right);
    }
    return left;
  }
  std::optional<int64_t> Product() {
    std::optional<int64_t> left = Factor();
    while (left) {
      Skip();
      if (pos_ >= text_.size() || text_[pos_] != '*') break;
      ++pos_;
      std::optional<int64_t> right = Factor();
      if (!right) return std::nullopt;
      left = Checked(*left * *right);
    }
    return left;
  }
  std::optional<int64_t> Factor() {
    Skip();
    if (pos_ >= text_.size()) {
      Fail("expected a number or 'index' at the end");
      return std::nullopt;
    }
    if (text_[pos_] == '-') {
      ++pos_;
      std::optional<int64_t> v = Factor();
      if (v) return -*v;
      return std::nullopt;
    }
    if (absl::ascii_isdigit(text_[pos_])) {
      int64_t v = 0;
      while (pos_ < text_.size() && absl::ascii_isdigit(text_[pos_])) {
        v = v * 10 + (text_[pos_++] - '0');
        if (v > kValueBound) return Checked(v);
      }
      return v;
    }
    if (absl::StartsWith(text_.substr(pos_), "index")) {
      pos_ += 5;
      return index_;
    }
    Fail(absl::StrCat("expected a number or 'index' at '", text_.substr(pos_), "'"));
    return std::nullopt;
  }

  absl::string_view text_;
  int64_t index_;
  size_t pos_ = 0;
  std::string error_;
};

bool MentionsVariable(absl::string_view s) {
  return absl::StrContains(s, "index") || absl::StrContains(s, "ship");
}

// `text` with every `{...}` that mentions index or ship replaced by its value. `{...}` without
// them and `${...}` (shell variables) are kept as written. `*number` is set when the whole text
// is one arithmetic expression.
std::optional<std::string> Substitute(const std::string& text, int64_t index,
                                      const std::string& ship, std::string* error,
                                      std::optional<int64_t>* number) {
  std::string out;
  number->reset();
  size_t i = 0;
  while (i < text.size()) {
    size_t close = text[i] == '{' ? text.find('}', i) : std::string::npos;
    bool shell = i > 0 && text[i - 1] == '$';
    if (close == std::string::npos || shell) {
      out.push_back(text[i++]);
      continue;
    }
    std::string inner(absl::StripAsciiWhitespace(text.substr(i + 1, close - i - 1)));
    if (!MentionsVariable(inner) || inner.find('{') != std::string::npos) {
      out.push_back(text[i++]);
      continue;
    }
    if (inner == "ship") {
      out += ship;
    } else {
      std::string why;
      std::optional<int64_t> v = Expression(inner, index).Evaluate(&why);
      if (!v) {
        *error = absl::StrCat("bad expression '", text.substr(i, close - i + 1), "': ", why,
                              " (use {index}, {ship}, or integers with + - * and index)");
        return std::nullopt;
      }
      if (i == 0 && close == text.size() - 1) *number = *v;
      absl::StrAppend(&out, *v);
    }
    i = close + 1;
  }
  return out;
}

// Docker's container-name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool ValidContainerName(const std::string& name) {
  if (name.empty() || !absl::ascii_isalnum(name[0])) return false;
  for (char ch : name) {
    if (!absl::ascii_isalnum(ch) && ch != '_' && ch != '.' && ch != '-') return false;
  }
  return true;
}

}  // namespace

bool Loader::IsInstanceTemplate(const YamlNode& key) {
  return key.IsString() && key.text.find('{') != std::string::npos;
}

bool Loader::SubstituteTree(YamlNode& node, int64_t index, const std::string& ship,
                            const std::string& where, bool is_key) {
  bool ok = true;
  if (node.IsString()) {
    std::string error;
    std::optional<int64_t> number;
    std::optional<std::string> text = Substitute(node.text, index, ship, &error, &number);
    if (!text) {
      Error(node, absl::StrCat(error, " in ", where));
      return false;
    }
    if (number && !is_key) {
      node.kind = Kind::kInt;
      node.int_value = *number;
      node.quoted = false;
    }
    node.text = std::move(*text);
  }
  for (YamlNode& item : node.items) ok = SubstituteTree(item, index, ship, where) && ok;
  for (YamlNode& key : node.keys) ok = SubstituteTree(key, index, ship, where, true) && ok;
  for (YamlNode& value : node.values) ok = SubstituteTree(value, index, ship, where) && ok;
  return ok;
}

int64_t Loader::TemplateCount(const YamlNode& node) {
  const YamlNode* count = node.Find("count");
  if (count == nullptr || count->kind != Kind::kInt || count->IsBigInt()) return 0;
  return count->int_value >= 1 && count->int_value <= kMaxTemplateInstances ? count->int_value : 0;
}

void Loader::ExpandTemplate(const YamlNode& key, const YamlNode& node,
                            const std::map<std::string, const YamlNode*>& written,
                            InstanceEntries* out) {
  const std::string where = absl::StrCat("instance template '", key.text, "'");
  if (!node.IsMapping()) {
    Error(
        node.IsNull() ? key : node,
        absl::StrCat(where, " must be a mapping with 'count' and 'ships', got ", node.KindName()));
    return;
  }
  size_t errors_before = errors_.size();
  int64_t count = 0;
  const YamlNode* count_node = node.Find("count");
  if (count_node == nullptr || count_node->IsNull()) {
    Error(key, absl::StrCat(where, " has no 'count' (how many instances it makes)"));
  } else if (auto n = Int(*count_node, absl::StrCat("'count' of ", where))) {
    if (*n < 1 || *n > kMaxTemplateInstances) {
      Error(*count_node, absl::StrCat("'count' of ", where, " must be between 1 and ",
                                      kMaxTemplateInstances, ", got ", *n));
    } else if (templated_ + *n > kMaxTemplateInstances) {
      Error(*count_node, absl::StrCat("'count' of ", where, " makes more than ",
                                      kMaxTemplateInstances, " templated instances in this file"));
    } else {
      count = *n;
    }
  }
  std::vector<const YamlNode*> ships;
  const YamlNode* ships_node = node.Find("ships");
  const YamlNode* ship_node = node.Find("ship");
  if (ships_node != nullptr && ship_node != nullptr) {
    Error(*ship_node, absl::StrCat(where, " has both 'ship' and 'ships'; use one"));
  } else if (ships_node == nullptr && ship_node == nullptr) {
    Error(key, absl::StrCat(where, " has no 'ships' (a list, used round-robin) or 'ship'"));
  } else if (ship_node != nullptr) {
    ships.push_back(ship_node);
  } else if (!ships_node->IsSequence() || ships_node->items.empty()) {
    Error(*ships_node,
          absl::StrCat("'ships' of ", where, " must be a non-empty list of ships, got ",
                       ships_node->IsSequence() ? "an empty list" : ships_node->KindName()));
  } else {
    for (const YamlNode& item : ships_node->items) ships.push_back(&item);
  }
  for (const YamlNode* s : ships) {
    if (!s->IsString()) {
      Error(*s, absl::StrCat("ship names in ", where, " must be strings, got ", s->KindName()));
    } else if (env_.FindShip(s->text) == nullptr && bad_ships_.count(s->text) == 0) {
      std::vector<std::string> known;
      for (const model::Ship& sh : env_.ships) known.push_back(sh.name);
      std::sort(known.begin(), known.end());
      Error(*s, absl::StrCat("unknown ship '", s->text, "' in ", where, " (known ships: ",
                             known.empty() ? "none" : absl::StrJoin(known, ", "), ")"));
    }
  }
  if (errors_.size() != errors_before) return;

  // Names first: all valid and distinct, none taken, before anything is expanded.
  std::vector<std::string> names;
  std::map<std::string, int64_t> seen;
  for (int64_t index = 1; index <= count; ++index) {
    const std::string& ship = ships[(index - 1) % ships.size()]->text;
    std::string error;
    std::optional<int64_t> number;
    std::optional<std::string> name = Substitute(key.text, index, ship, &error, &number);
    if (!name) {
      Error(key, absl::StrCat(error, " in the name of ", where));
      return;
    }
    if (!ValidContainerName(*name)) {
      Error(key, absl::StrCat(where, " gives index ", index, " the name '", *name,
                              "', which is not a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)"));
      return;
    }
    if (auto it = seen.find(*name); it != seen.end()) {
      Error(key, absl::StrCat(where, " gives the name '", *name, "' to index ", it->second,
                              " and index ", index, "; put {index} in the name"));
      return;
    }
    seen[*name] = index;
    if (auto it = written.find(*name); it != written.end()) {
      Error(key, absl::StrCat(where, " makes instance '", *name, "' (index ", index,
                              "), which is also written by hand at line ", it->second->line));
      return;
    }
    if (auto owner = instance_owner_.find(*name); owner != instance_owner_.end()) {
      Error(key, absl::StrCat(where, " makes instance '", *name, "' (index ", index,
                              "), already defined in service '", owner->second, "' (line ",
                              instance_keys_[*name]->line, ")"));
      return;
    }
    names.push_back(*name);
  }
  InstanceEntries made;
  for (int64_t index = 1; index <= count; ++index) {
    const YamlNode& ship = *ships[(index - 1) % ships.size()];
    YamlNode& new_key = template_nodes_.emplace_back(key);
    new_key.text = names[index - 1];
    YamlNode& inst = template_nodes_.emplace_back();
    inst.kind = Kind::kMapping;
    inst.line = node.line;
    inst.column = node.column;
    inst.path_parent = node.path_parent;
    inst.path_key = node.path_key;
    inst.path_index = node.path_index;
    YamlNode ship_key;
    for (size_t i = 0; i < node.keys.size(); ++i) {
      std::string k = node.KeyAt(i);
      if (k == "ship" || k == "ships") ship_key = node.keys[i];
      if (k == "count" || k == "ship" || k == "ships") continue;
      inst.keys.push_back(node.keys[i]);
      inst.values.push_back(node.values[i]);
      if (!SubstituteTree(inst.values.back(), index, ship.text, where)) return;
    }
    ship_key.kind = Kind::kString;
    ship_key.text = "ship";
    inst.keys.push_back(ship_key);
    inst.values.push_back(ship);
    made.emplace_back(&new_key, &inst);
  }
  templated_ += count;
  out->insert(out->end(), made.begin(), made.end());
}

Loader::InstanceEntries Loader::ExpandInstances(const YamlNode& instances) {
  std::map<std::string, const YamlNode*> written;
  for (const YamlNode& key : instances.keys) {
    if (!IsInstanceTemplate(key)) written.emplace(key.PyStr(), &key);
  }
  InstanceEntries out;
  for (size_t i = 0; i < instances.keys.size(); ++i) {
    if (IsInstanceTemplate(instances.keys[i])) {
      ExpandTemplate(instances.keys[i], instances.values[i], written, &out);
    } else {
      out.emplace_back(&instances.keys[i], &instances.values[i]);
    }
  }
  return out;
}

}  // namespace loader_internal
}  // namespace config
}  // namespace maestro
