#include "maestro/config/yaml_tree.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
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
#include "yaml.h"

namespace maestro {
namespace config {
namespace {

// Raised inside the event handlers to abort the parse; caught in ParseYaml.
struct BuildError {
  absl::Status status;
};

std::string Where(const std::string& file, int line, int column) {
  return absl::StrCat(file, ":", line, ":", column, ": ");
}

// Records where each node of `node`'s subtree sits (for YamlNode::path()). `parent` is null
// for the root, whose children then have no parent either (the root's path is empty, and the
// root itself may still move). Recursion is bounded by YamlLimits::max_depth (checked while
// building).
void AssignPaths(YamlNode* node, const YamlNode* parent) {
  if (node->IsSequence()) {
    for (size_t i = 0; i < node->items.size(); ++i) {
      YamlNode& item = node->items[i];
      item.path_parent = parent;
      item.path_index = static_cast<int64_t>(i);
      AssignPaths(&item, &item);
    }
  } else if (node->IsMapping()) {
    for (size_t i = 0; i < node->keys.size(); ++i) {
      YamlNode& key = node->keys[i];
      YamlNode& value = node->values[i];
      key.path_parent = value.path_parent = parent;
      key.path_key = value.path_key = &key;
      AssignPaths(&value, &value);
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

std::string YamlNode::path() const {
  std::vector<const YamlNode*> chain;
  for (const YamlNode* n = this; n != nullptr && (n->path_key != nullptr || n->path_index >= 0);
       n = n->path_parent) {
    chain.push_back(n);
  }
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const YamlNode& n = **it;
    if (n.path_index >= 0) {
      absl::StrAppend(&out, "[", n.path_index, "]");
    } else {
      if (!out.empty()) out.push_back('.');
      const YamlNode& key = *n.path_key;
      out.append(key.IsString() ? key.text : key.PyStr());
    }
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
    AssignPaths(&root, nullptr);
    return root;
  } catch (const BuildError& e) {
    return e.status;
  }
}

}  // namespace config
}  // namespace maestro
