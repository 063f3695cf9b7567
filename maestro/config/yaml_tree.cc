#include "maestro/config/yaml_tree.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "maestro/base/bigint.h"
#include "maestro/model/py_format.h"
#include "yaml.h"

namespace maestro {
namespace config {
namespace {

// PyYAML 5.x resolver patterns (yaml/resolver.py), YAML 1.1.
const std::regex& BoolRe() {
  static const std::regex re(
      "^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$");
  return re;
}
const std::regex& FloatRe() {
  static const std::regex re(
      "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?"
      "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
      "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*"
      "|[-+]?\\.(?:inf|Inf|INF)"
      "|\\.(?:nan|NaN|NAN))$");
  return re;
}
const std::regex& IntRe() {
  static const std::regex re(
      "^(?:[-+]?0b[0-1_]+"
      "|[-+]?0[0-7_]+"
      "|[-+]?(?:0|[1-9][0-9_]*)"
      "|[-+]?0x[0-9a-fA-F_]+"
      "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$");
  return re;
}
const std::regex& NullRe() {
  static const std::regex re("^(?:~|null|Null|NULL|)$");
  return re;
}
const std::regex& TimestampRe() {
  static const std::regex re(
      "^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)"
      "(?:(?:[Tt]|[ \\t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\\.([0-9]*))?"
      "(?:[ \\t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$");
  return re;
}

std::string StripUnderscores(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out.push_back(c);
  }
  return out;
}

// Parses digits in `base` into *out; false on overflow or a bad digit.
bool ParseUnsigned(const std::string& digits, int base, uint64_t* out) {
  if (digits.empty()) return false;
  unsigned __int128 v = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    if (d >= base) return false;
    v = v * base + d;
    if (v > static_cast<unsigned __int128>(INT64_MAX) + 1) return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

// The value of an int scalar (underscores and sign removed) of any size, as PyYAML's
// construct_yaml_int; nullopt past BigInt's bound.
std::optional<BigInt> ConstructBigInt(const std::string& value, bool negative) {
  std::optional<BigInt> v;
  if (value.rfind("0b", 0) == 0) {
    v = BigInt::Parse(value.substr(2), 2, false);
  } else if (value.rfind("0x", 0) == 0) {
    v = BigInt::Parse(value.substr(2), 16, false);
  } else if (value.find(':') != std::string::npos) {
    v = BigInt(0);
    std::stringstream parts(value);
    std::string part;
    while (v && std::getline(parts, part, ':')) {
      std::optional<BigInt> p = BigInt::Parse(part, 10, false);
      std::optional<BigInt> shifted = BigInt::Mul(*v, BigInt(60));
      if (!p || !shifted) return std::nullopt;
      v = BigInt::Add(*shifted, *p);
    }
  } else if (value.size() > 1 && value[0] == '0') {
    v = BigInt::Parse(value.substr(1), 8, false);
  } else {
    v = BigInt::Parse(value, 10, false);
  }
  if (!v) return std::nullopt;
  return negative ? v->Negated() : *v;
}

bool ConstructInt(const std::string& text, YamlNode* node, std::string* error) {
  std::string value = StripUnderscores(text);
  bool negative = false;
  if (!value.empty() && (value[0] == '-' || value[0] == '+')) {
    negative = value[0] == '-';
    value.erase(0, 1);
  }
  uint64_t magnitude = 0;
  bool ok = true;
  if (value == "0") {
    magnitude = 0;
  } else if (value.rfind("0b", 0) == 0) {
    ok = ParseUnsigned(value.substr(2), 2, &magnitude);
  } else if (value.rfind("0x", 0) == 0) {
    ok = ParseUnsigned(value.substr(2), 16, &magnitude);
  } else if (value[0] == '0') {
    ok = ParseUnsigned(value.substr(1), 8, &magnitude);
  } else if (value.find(':') != std::string::npos) {
    unsigned __int128 v = 0;
    std::stringstream parts(value);
    std::string part;
    while (std::getline(parts, part, ':')) {
      uint64_t p = 0;
      if (!ParseUnsigned(part, 10, &p)) {
        ok = false;
        break;
      }
      v = v * 60 + p;
      if (v > static_cast<unsigned __int128>(INT64_MAX)) {
        ok = false;
        break;
      }
    }
    magnitude = static_cast<uint64_t>(v);
  } else {
    ok = ParseUnsigned(value, 10, &magnitude);
  }
  if (!ok || (!negative && magnitude > static_cast<uint64_t>(INT64_MAX))) {
    // Beyond int64: PyYAML makes a Python int, whose str() is its exact decimal text.
    std::optional<BigInt> big = ConstructBigInt(value, negative);
    if (!big) {
      *error = absl::StrCat("integer '", text, "' is out of range");
      return false;
    }
    node->kind = YamlNode::Kind::kInt;
    node->big_int = big->ToString();
    node->int_value = negative ? INT64_MIN : INT64_MAX;
    return true;
  }
  node->kind = YamlNode::Kind::kInt;
  node->int_value =
      negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

void ConstructFloat(const std::string& text, YamlNode* node) {
  std::string value = StripUnderscores(text);
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double sign = 1;
  if (!value.empty() && (value[0] == '-' || value[0] == '+')) {
    if (value[0] == '-') sign = -1;
    value.erase(0, 1);
  }
  double result;
  if (value == ".inf") {
    result = sign * INFINITY;
  } else if (value == ".nan") {
    result = NAN;
  } else if (value.find(':') != std::string::npos) {
    std::vector<double> digits;
    std::stringstream parts(value);
    std::string part;
    while (std::getline(parts, part, ':')) digits.push_back(std::strtod(part.c_str(), nullptr));
    result = 0;
    double base = 1;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      result += *it * base;
      base *= 60;
    }
    result *= sign;
  } else {
    result = sign * std::strtod(value.c_str(), nullptr);
  }
  node->kind = YamlNode::Kind::kFloat;
  node->float_value = result;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool ConstructTimestamp(const std::smatch& m, const std::string& text, YamlNode* node,
                        std::string* error) {
  int year = std::atoi(m[1].str().c_str());
  int month = std::atoi(m[2].str().c_str());
  int day = std::atoi(m[3].str().c_str());
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      day > kDays[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0)) {
    *error = absl::StrCat("'", text, "' looks like a date but is not a valid one");
    return false;
  }
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", year, month, day);
  std::string out = buf;
  if (m[4].matched) {
    int hour = std::atoi(m[4].str().c_str());
    int minute = std::atoi(m[5].str().c_str());
    int second = std::atoi(m[6].str().c_str());
    if (hour > 23 || minute > 59 || second > 59) {
      *error = absl::StrCat("'", text, "' looks like a timestamp but is not a valid one");
      return false;
    }
    std::snprintf(buf, sizeof(buf), " %02d:%02d:%02d", hour, minute, second);
    out += buf;
    std::string fraction = m[7].matched ? m[7].str().substr(0, 6) : "";
    while (fraction.size() < 6) fraction.push_back('0');
    if (std::atoi(fraction.c_str()) != 0) out += "." + fraction;
    if (m[8].matched) {
      if (m[8].str() == "Z") {
        out += "+00:00";
      } else {
        int tz_hour = std::atoi(m[10].str().c_str());
        int tz_minute = m[11].matched ? std::atoi(m[11].str().c_str()) : 0;
        std::snprintf(buf, sizeof(buf), "%s%02d:%02d", m[9].str().c_str(), tz_hour, tz_minute);
        out += buf;
      }
    }
  }
  node->kind = YamlNode::Kind::kTimestamp;
  node->timestamp = out;
  return true;
}

// Raised inside the event handlers to abort the parse; caught in ParseYaml.
struct BuildError {
  absl::Status status;
};

std::string Where(const std::string& file, int line, int column) {
  return absl::StrCat(file, ":", line, ":", column, ": ");
}

// Sets the path segments of `node`'s subtree; `node`'s own segment is set by the caller.
// Recursion is bounded by YamlLimits::max_depth (checked while building).
void AssignPaths(YamlNode* node) {
  const std::shared_ptr<const YamlPathSegment>& parent = node->path_segment;
  if (node->IsSequence()) {
    for (size_t i = 0; i < node->items.size(); ++i) {
      auto segment = std::make_shared<YamlPathSegment>();
      segment->parent = parent;
      segment->text = absl::StrCat("[", i, "]");
      segment->index = true;
      node->items[i].path_segment = std::move(segment);
      AssignPaths(&node->items[i]);
    }
  } else if (node->IsMapping()) {
    for (size_t i = 0; i < node->keys.size(); ++i) {
      YamlNode& key = node->keys[i];
      auto segment = std::make_shared<YamlPathSegment>();
      segment->parent = parent;
      segment->text = key.IsString() ? key.text : key.PyStr();
      key.path_segment = segment;
      node->values[i].path_segment = std::move(segment);
      AssignPaths(&node->values[i]);
    }
  }
}

// Identity of a mapping key for duplicate detection: strings and non-strings never collide
// ("1" vs 1), otherwise equal Python str() means equal key.
std::string KeyIdentity(const YamlNode& key) {
  return (key.IsString() ? "s:" : "v:") + key.PyStr();
}

constexpr absl::string_view kTagPrefix = "tag:yaml.org,2002:";

// Builds the tree from libyaml's events. libyaml marks are 0-based; nodes are 1-based.
class TreeBuilder {
 public:
  TreeBuilder(std::string file, const YamlLimits& limits)
      : file_(std::move(file)), limits_(limits) {}

  bool has_root() const { return has_root_; }
  YamlNode TakeRoot() { return std::move(root_); }

  // Handles one node event (scalar, alias, collection start or end).
  void Handle(const yaml_event_t& event) {
    switch (event.type) {
      case YAML_ALIAS_EVENT:
        OnAlias(event.start_mark, AsString(event.data.alias.anchor));
        break;
      case YAML_SCALAR_EVENT:
        OnScalar(event);
        break;
      case YAML_SEQUENCE_START_EVENT:
        OnCollectionStart(event.start_mark, event.data.sequence_start.tag,
                          event.data.sequence_start.anchor, YamlNode::Kind::kSequence,
                          "tag:yaml.org,2002:seq");
        break;
      case YAML_MAPPING_START_EVENT:
        OnCollectionStart(event.start_mark, event.data.mapping_start.tag,
                          event.data.mapping_start.anchor, YamlNode::Kind::kMapping,
                          "tag:yaml.org,2002:map");
        break;
      case YAML_SEQUENCE_END_EVENT:
        Close();
        break;
      case YAML_MAPPING_END_EVENT:
        FinishMapping(&stack_.back().node);
        Close();
        break;
      default:
        break;
    }
  }

 private:
  struct Frame {
    YamlNode node;
    std::string anchor;
    bool have_key = false;
    YamlNode pending_key;
  };

  static absl::string_view AsString(const yaml_char_t* s) {
    return s == nullptr ? absl::string_view() : absl::string_view(reinterpret_cast<const char*>(s));
  }

  void OnAlias(const yaml_mark_t& mark, absl::string_view anchor) {
    auto it = anchors_.find(std::string(anchor));
    if (it == anchors_.end()) {
      for (const Frame& f : stack_) {
        if (f.anchor == anchor) {
          Fail(mark, "alias refers to an anchor whose node is not complete (recursive alias)");
        }
      }
      // PyYAML's composer message.
      Fail(mark, absl::StrCat("found undefined alias '", anchor, "'"));
    }
    alias_nodes_ += it->second.subtree_size;
    total_nodes_ += it->second.subtree_size;
    if (alias_nodes_ > limits_.max_alias_nodes) {
      throw BuildError{absl::ResourceExhaustedError(absl::StrCat(
          Where(file_, mark.line + 1, mark.column + 1), "alias expansion exceeds the limit of ",
          limits_.max_alias_nodes, " nodes (an alias bomb such as 'billion laughs'?)"))};
    }
    CheckTotal(mark);
    if (stack_.size() + it->second.subtree_depth > limits_.max_depth) FailDepth(mark);
    YamlNode copy = it->second;
    copy.line = static_cast<int>(mark.line) + 1;
    copy.column = static_cast<int>(mark.column) + 1;
    Emit(std::move(copy), absl::string_view());
  }

  void OnScalar(const yaml_event_t& event) {
    const yaml_mark_t& mark = event.start_mark;
    const auto& scalar = event.data.scalar;
    YamlNode n = NewNode(mark);
    std::string value(reinterpret_cast<const char*>(scalar.value), scalar.length);
    absl::string_view tag = AsString(scalar.tag);
    std::string error;
    if (tag.empty()) {
      if (scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (!ResolvePlainScalar(value, &n, &error)) Fail(mark, error);
        // A plain null keeps no text (as written: "~", "null" or nothing).
        if (n.kind == YamlNode::Kind::kNull) value.clear();
        n.text = std::move(value);
      } else {
        n.kind = YamlNode::Kind::kString;
        n.quoted = true;
        n.text = std::move(value);
      }
    } else if (tag == "!" || tag == "tag:yaml.org,2002:str") {
      n.kind = YamlNode::Kind::kString;
      n.quoted = true;
      n.text = std::move(value);
    } else if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
               tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null" ||
               tag == "tag:yaml.org,2002:timestamp") {
      if (!ResolvePlainScalar(value, &n, &error)) Fail(mark, error);
      absl::string_view name = tag.substr(kTagPrefix.size());
      YamlNode::Kind want = name == "int"     ? YamlNode::Kind::kInt
                            : name == "float" ? YamlNode::Kind::kFloat
                            : name == "bool"  ? YamlNode::Kind::kBool
                            : name == "null"  ? YamlNode::Kind::kNull
                                              : YamlNode::Kind::kTimestamp;
      if (n.kind != want) {
        if (want == YamlNode::Kind::kFloat && n.kind == YamlNode::Kind::kInt) {
          n.kind = YamlNode::Kind::kFloat;
          n.float_value = static_cast<double>(n.int_value);
        } else {
          Fail(mark, absl::StrCat("'", value, "' is not a valid ", name));
        }
      }
    } else {
      Fail(mark, absl::StrCat("unsupported YAML tag '", tag, "'"));
    }
    Emit(std::move(n), AsString(scalar.anchor));
  }

  void OnCollectionStart(const yaml_mark_t& mark, const yaml_char_t* tag_chars,
                         const yaml_char_t* anchor, YamlNode::Kind kind, const char* standard) {
    absl::string_view tag = AsString(tag_chars);
    if (!tag.empty() && tag != "!" && tag != standard) {
      Fail(mark, absl::StrCat("unsupported YAML tag '", tag, "'"));
    }
    if (stack_.size() >= limits_.max_depth) FailDepth(mark);
    Frame f;
    f.node = NewNode(mark);
    f.node.kind = kind;
    f.anchor = std::string(AsString(anchor));
    stack_.push_back(std::move(f));
  }

  YamlNode NewNode(const yaml_mark_t& mark) {
    ++total_nodes_;
    CheckTotal(mark);
    YamlNode n;
    n.line = static_cast<int>(mark.line) + 1;
    n.column = static_cast<int>(mark.column) + 1;
    return n;
  }

  void CheckTotal(const yaml_mark_t& mark) {
    if (total_nodes_ > limits_.max_nodes) {
      throw BuildError{absl::ResourceExhaustedError(
          absl::StrCat(Where(file_, mark.line + 1, mark.column + 1),
                       "document exceeds the limit of ", limits_.max_nodes, " nodes"))};
    }
  }

  [[noreturn]] void FailDepth(const yaml_mark_t& mark) {
    throw BuildError{absl::ResourceExhaustedError(absl::StrCat(
        Where(file_, mark.line + 1, mark.column + 1), "collections are nested more than ",
        limits_.max_depth, " levels deep (the limit)"))};
  }

  [[noreturn]] void Fail(const yaml_mark_t& mark, const std::string& message) {
    throw BuildError{absl::InvalidArgumentError(
        absl::StrCat(Where(file_, mark.line + 1, mark.column + 1), message))};
  }
  // Fails at `node` inside the mapping being finished (the top of the stack), naming the
  // mapping's path: "services.web.instances: duplicate key 'w1' ...".
  [[noreturn]] void FailAt(const YamlNode& node, const std::string& message) {
    std::string path;
    for (size_t i = 0; i + 1 < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      if (f.node.IsSequence()) {
        absl::StrAppend(&path, "[", f.node.items.size(), "]");
      } else {
        absl::StrAppend(&path, path.empty() ? "" : ".", f.pending_key.PyStr());
      }
    }
    throw BuildError{absl::InvalidArgumentError(absl::StrCat(
        Where(file_, node.line, node.column), path.empty() ? "" : path + ": ", message))};
  }

  void Close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    Emit(std::move(f.node), f.anchor);
  }

  void Emit(YamlNode node, absl::string_view anchor) {
    if (!anchor.empty()) anchors_[std::string(anchor)] = node;
    if (stack_.empty()) {
      root_ = std::move(node);
      has_root_ = true;
      return;
    }
    Frame& top = stack_.back();
    top.node.subtree_size += node.subtree_size;
    top.node.subtree_depth = std::max(top.node.subtree_depth, node.subtree_depth + 1);
    if (top.node.IsSequence()) {
      top.node.items.push_back(std::move(node));
    } else if (!top.have_key) {
      if (!node.IsScalar()) FailAt(node, "mapping keys must be scalars");
      top.pending_key = std::move(node);
      top.have_key = true;
    } else {
      top.node.keys.push_back(std::move(top.pending_key));
      top.node.values.push_back(std::move(node));
      top.have_key = false;
    }
  }

  // Duplicate detection and merge-key expansion, once all entries of a mapping are known.
  void FinishMapping(YamlNode* map) {
    std::vector<const YamlNode*> sources;  // merged mappings, highest precedence first
    std::map<std::string, size_t> explicit_keys;
    std::vector<size_t> explicit_order;
    for (size_t i = 0; i < map->keys.size(); ++i) {
      const YamlNode& key = map->keys[i];
      bool is_merge = key.IsString() && !key.quoted && key.text == "<<";
      std::string id = is_merge ? "merge:<<" : KeyIdentity(key);
      auto [it, inserted] = explicit_keys.emplace(id, i);
      if (!inserted) {
        FailAt(key, absl::StrCat("duplicate key '", key.PyStr(), "' (first defined at line ",
                                 map->keys[it->second].line, ")"));
      }
      if (!is_merge) {
        explicit_order.push_back(i);
        continue;
      }
      const YamlNode& value = map->values[i];
      if (value.IsMapping()) {
        sources.push_back(&value);
      } else if (value.IsSequence()) {
        for (const YamlNode& item : value.items) {
          if (!item.IsMapping()) {
            FailAt(item, "a merge key (<<) list may only contain mappings");
          }
          sources.push_back(&item);
        }
      } else {
        FailAt(value, "a merge key (<<) needs a mapping or a list of mappings");
      }
    }
    if (sources.empty()) return;

    YamlNode merged;
    merged.kind = YamlNode::Kind::kMapping;
    merged.line = map->line;
    merged.column = map->column;
    std::map<std::string, size_t> position;
    for (const YamlNode* src : sources) {
      for (size_t i = 0; i < src->keys.size(); ++i) {
        std::string id = KeyIdentity(src->keys[i]);
        if (position.count(id)) continue;  // an earlier merge source wins
        position[id] = merged.keys.size();
        merged.keys.push_back(src->keys[i]);
        merged.values.push_back(src->values[i]);
      }
    }
    for (size_t i : explicit_order) {
      std::string id = KeyIdentity(map->keys[i]);
      auto it = position.find(id);
      if (it != position.end()) {
        merged.keys[it->second] = std::move(map->keys[i]);
        merged.values[it->second] = std::move(map->values[i]);
      } else {
        position[id] = merged.keys.size();
        merged.keys.push_back(std::move(map->keys[i]));
        merged.values.push_back(std::move(map->values[i]));
      }
    }
    size_t size = 1;
    for (size_t i = 0; i < merged.keys.size(); ++i) {
      size += merged.keys[i].subtree_size + merged.values[i].subtree_size;
    }
    merged.subtree_size = size;
    // Merged values were children of children: the map is no deeper than before.
    merged.subtree_depth = map->subtree_depth;
    *map = std::move(merged);
  }

  std::string file_;
  YamlLimits limits_;
  std::vector<Frame> stack_;
  std::map<std::string, YamlNode> anchors_;
  YamlNode root_;
  bool has_root_ = false;
  size_t alias_nodes_ = 0;
  size_t total_nodes_ = 0;
};

// Refuses input that is not UTF-8 text (PyYAML refuses non-printable characters too).
absl::Status CheckText(const std::string& file, absl::string_view text) {
  int line = 1, column = 1;
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    auto fail = [&](const std::string& what) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(file, line, column), "not a text file: ", what));
    };
    if (c == 0) return fail("it contains a NUL byte");
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "0x%02x", c);
      return fail(absl::StrCat("it contains the control character ", buf));
    }
    size_t len = 1;
    if (c >= 0x80) {
      uint32_t cp;
      if ((c & 0xe0) == 0xc0) {
        len = 2;
        cp = c & 0x1f;
      } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        cp = c & 0x0f;
      } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        cp = c & 0x07;
      } else {
        return fail("invalid UTF-8");
      }
      if (i + len > text.size()) return fail("invalid UTF-8");
      for (size_t k = 1; k < len; ++k) {
        unsigned char cc = static_cast<unsigned char>(text[i + k]);
        if ((cc & 0xc0) != 0x80) return fail("invalid UTF-8");
        cp = (cp << 6) | (cc & 0x3f);
      }
      static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return fail("invalid UTF-8");
      }
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += len;
  }
  return absl::OkStatus();
}

}  // namespace

bool ResolvePlainScalar(const std::string& text, YamlNode* node, std::string* error) {
  node->text = text;
  node->quoted = false;
  // No YAML 1.1 typed value is anywhere near this long, and libstdc++'s std::regex recurses
  // once per character: long plain scalars are strings without consulting the patterns.
  if (text.size() > 256) {
    node->kind = YamlNode::Kind::kString;
    return true;
  }
  char first = text.empty() ? '\0' : text[0];
  // Fast path: a plain decimal integer ("8080", "0", "42"), the commonest typed scalar.
  // Leading zeros (octal), signs, '_' and ':' take the full patterns below.
  if (first >= '1' && first <= '9' && text.size() <= 18 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    node->kind = YamlNode::Kind::kInt;
    node->int_value = std::strtoll(text.c_str(), nullptr, 10);
    return true;
  }
  std::smatch m;
  if (first != '\0' && std::strchr("yYnNtTfFoO", first) != nullptr &&
      std::regex_match(text, BoolRe())) {
    node->kind = YamlNode::Kind::kBool;
    node->bool_value = first == 'y' || first == 'Y' || first == 't' || first == 'T' ||
                       text == "on" || text == "On" || text == "ON";
    return true;
  }
  if (first != '\0' && std::strchr("-+0123456789.", first) != nullptr) {
    if (std::regex_match(text, FloatRe())) {
      ConstructFloat(text, node);
      return true;
    }
    if (std::regex_match(text, IntRe())) return ConstructInt(text, node, error);
  }
  if ((first == '\0' || first == '~' || first == 'n' || first == 'N') &&
      std::regex_match(text, NullRe())) {
    node->kind = YamlNode::Kind::kNull;
    return true;
  }
  if (first >= '0' && first <= '9' && std::regex_match(text, m, TimestampRe())) {
    // The regex accepts one-digit months/days only together with a time, like PyYAML's.
    bool date_only = !m[4].matched;
    if (!date_only || (m[2].length() == 2 && m[3].length() == 2)) {
      return ConstructTimestamp(m, text, node, error);
    }
  }
  node->kind = YamlNode::Kind::kString;
  return true;
}

std::string YamlNode::PyStr() const {
  switch (kind) {
    case Kind::kNull:
      return "None";
    case Kind::kBool:
      return model::PyBool(bool_value);
    case Kind::kInt:
      return big_int.empty() ? std::to_string(int_value) : big_int;
    case Kind::kFloat:
      return model::PyFloatRepr(float_value);
    case Kind::kTimestamp:
      return timestamp;
    case Kind::kString:
      return text;
    case Kind::kSequence:
      return "<sequence>";
    case Kind::kMapping:
      return "<mapping>";
  }
  return "";
}

std::string YamlNode::path() const {
  std::vector<const YamlPathSegment*> segments;
  for (const YamlPathSegment* s = path_segment.get(); s != nullptr; s = s->parent.get()) {
    segments.push_back(s);
  }
  std::string out;
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    if (!(*it)->index && !out.empty()) out.push_back('.');
    out.append((*it)->text);
  }
  return out;
}

const YamlNode* YamlNode::Find(absl::string_view key) const {
  if (kind != Kind::kMapping) return nullptr;
  for (size_t i = 0; i < keys.size(); ++i) {
    // PyStr() of a string is its text: compare that without building a copy.
    if (keys[i].IsString() ? keys[i].text == key : keys[i].PyStr() == key) return &values[i];
  }
  return nullptr;
}

std::string YamlNode::KindName() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "a boolean";
    case Kind::kInt:
      return "an integer";
    case Kind::kFloat:
      return "a float";
    case Kind::kTimestamp:
      return "a date";
    case Kind::kString:
      return "a string";
    case Kind::kSequence:
      return "a list";
    case Kind::kMapping:
      return "a mapping";
  }
  return "";
}

absl::StatusOr<YamlNode> ParseYaml(absl::string_view display_name, absl::string_view text,
                                   const YamlLimits& limits) {
  std::string file(display_name);
  // A UTF-8 byte-order mark (Windows editors write one) is skipped, as PyYAML does.
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  if (text.size() > limits.max_input_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(file, ": input is ", text.size(),
                                                     " bytes, larger than the limit of ",
                                                     limits.max_input_bytes, " bytes"));
  }
  absl::Status text_status = CheckText(file, text);
  if (!text_status.ok()) return text_status;

  // libyaml's parser, freed on every path out.
  struct Parser {
    yaml_parser_t p;
    Parser() { yaml_parser_initialize(&p); }
    ~Parser() { yaml_parser_delete(&p); }
  } parser;
  struct Event {
    yaml_event_t e;
    bool live = false;
    ~Event() { Reset(); }
    void Reset() {
      if (live) yaml_event_delete(&e);
      live = false;
    }
  } event;
  yaml_parser_set_input_string(&parser.p, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  yaml_parser_set_encoding(&parser.p, YAML_UTF8_ENCODING);

  // The syntax error libyaml reports, as "file:line:col: YAML syntax error: <problem>
  // (<context> at line L, column C)": the problem and context texts are PyYAML's.
  auto syntax_error = [&]() {
    const yaml_parser_t& p = parser.p;
    if (p.error == YAML_MEMORY_ERROR) {
      return absl::ResourceExhaustedError(absl::StrCat(file, ": out of memory parsing YAML"));
    }
    std::string problem = p.problem != nullptr ? p.problem : "unknown error";
    if (p.error == YAML_READER_ERROR) {
      // Reader errors carry a byte offset, not a line: count it.
      int line = 1, column = 1;
      for (size_t i = 0; i < p.problem_offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
          ++line;
          column = 1;
        } else if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) {
          ++column;
        }
      }
      return absl::InvalidArgumentError(
          absl::StrCat(Where(file, line, column), "YAML syntax error: ", problem));
    }
    std::string message =
        absl::StrCat(Where(file, p.problem_mark.line + 1, p.problem_mark.column + 1),
                     "YAML syntax error: ", problem);
    if (p.context != nullptr) {
      absl::StrAppend(&message, " (", p.context, " at line ", p.context_mark.line + 1, ", column ",
                      p.context_mark.column + 1, ")");
    }
    return absl::InvalidArgumentError(message);
  };
  auto next = [&]() {
    event.Reset();
    if (!yaml_parser_parse(&parser.p, &event.e)) return false;
    event.live = true;
    return true;
  };

  TreeBuilder builder(file, limits);
  try {
    if (!next()) return syntax_error();  // STREAM-START
    if (!next()) return syntax_error();
    if (event.e.type == YAML_STREAM_END_EVENT) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ":1:1: the file is empty (no YAML document)"));
    }
    // DOCUMENT-START, the root node's events, DOCUMENT-END.
    while (true) {
      if (!next()) return syntax_error();
      if (event.e.type == YAML_DOCUMENT_END_EVENT) break;
      builder.Handle(event.e);
    }
    if (!builder.has_root()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ":1:1: the file is empty (no YAML document)"));
    }
    if (!next()) return syntax_error();
    if (event.e.type != YAML_STREAM_END_EVENT) {
      return absl::InvalidArgumentError(absl::StrCat(
          file, ": expected a single YAML document, but the file contains more than one"));
    }
    YamlNode root = builder.TakeRoot();
    AssignPaths(&root);
    return root;
  } catch (const BuildError& e) {
    return e.status;
  }
}

}  // namespace config
}  // namespace maestro
