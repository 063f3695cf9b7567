// A small YAML document tree built from libyaml's event parser (the C parser behind PyYAML's
// CSafeLoader), with PyYAML's YAML 1.1 scalar typing. libyaml produces events only; this
// layer composes and constructs them the way PyYAML does (docs/environment.md#yaml-typing), and
// adds what PyYAML lacks: duplicate-key errors and a bound on alias expansion.
//
//  * Syntax errors carry libyaml's problem and context texts, the ones PyYAML prints:
//      f.yaml:2:2: YAML syntax error: did not find expected ',' or ']' (while parsing a flow
//      sequence at line 1, column 4)
//    Lines and columns are 1-based; columns count characters, not bytes.
//  * Plain (unquoted) scalars are typed with PyYAML's YAML 1.1 implicit resolver:
//      null:      ~ null Null NULL and the empty scalar
//      bool:      yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF
//                 (y / n are strings, as in PyYAML)
//      int:       decimal (with '_'), octal 0755, hex 0x10, binary 0b101, sexagesimal 22:22
//      float:     needs a '.': 1.20 (-> 1.2), 1.0e+3, .5, 1:30.5, .inf, -.Inf, .nan
//                 (1e3 has no dot and stays a string, exactly like PyYAML)
//      timestamp: 2020-01-01 (a date) and 2001-12-14t21:59:43.10-05:00 style date-times
//    Quoted and block scalars are always strings. The original text is kept in `text`.
//  * Duplicate keys in any mapping are an error naming the key and the first definition.
//  * Merge keys (`<<: *a` or `<<: [*a, *b]`) follow PyYAML: explicit keys override merged
//    ones, and among several merged maps the first one listed wins.
//  * Anchors and aliases are expanded into copies (so no two places share mutable state), but
//    within a budget: at most YamlLimits::max_alias_nodes nodes may be materialised through
//    aliases and at most max_nodes in total, so a "billion laughs" document fails quickly with
//    a clear error instead of exhausting memory. Input larger than max_input_bytes, input with
//    NUL bytes, control characters or invalid UTF-8, and streams with more than one document
//    are refused.
//
//  * Collections may nest at most YamlLimits::max_depth levels deep (PyYAML's pure-Python
//    loader stops near 500 with RecursionError; deeper files are refused with a clear error
//    rather than exhausting the stack), and the memory of a tree is linear in its size at any
//    depth: a node knows only its parent and key (YamlNode::path() builds the string on
//    demand, for diagnostics). The tree must not be modified after parsing (nodes point at
//    their parents); moving the root is fine.
//  * A UTF-8 byte-order mark at the very start is skipped, as PyYAML does.
//
// Values are plain data: a YamlNode owns its children. Parsing is a pure function and safe to
// call from several threads at once.
#ifndef MAESTRO_CONFIG_YAML_TREE_H_
#define MAESTRO_CONFIG_YAML_TREE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace maestro {
namespace config {

class YamlNode {
 public:
  enum class Kind { kNull, kBool, kInt, kFloat, kTimestamp, kString, kSequence, kMapping };

  Kind kind = Kind::kNull;
  // Scalars: the source text (for null, as written if known, else ""). For timestamps the
  // canonical form is in `timestamp`.
  std::string text;
  bool quoted = false;  // the scalar was quoted or a block scalar (hence a string)
  bool bool_value = false;
  int64_t int_value = 0;
  // For an int beyond int64 (a Python int in MaestroNG): its exact decimal text; int_value
  // then holds INT64_MAX or INT64_MIN (its sign), so range checks reject it.
  std::string big_int;
  double float_value = 0;
  std::string timestamp;  // Python str() of the date / datetime
  int line = 0;           // 1-based
  int column = 0;         // 1-based
  // Where the node sits, for path() (set once the tree is complete; nothing is built until a
  // path is asked for, i.e. for a diagnostic): the collection holding it (null for the root and
  // its children), its key node (mapping keys and values) or its index (sequence items).
  const YamlNode* path_parent = nullptr;
  const YamlNode* path_key = nullptr;
  int64_t path_index = -1;
  std::vector<YamlNode> items;  // kSequence
  std::vector<YamlNode> keys;   // kMapping, parallel to `values`, in document order
  std::vector<YamlNode> values;
  size_t subtree_size = 1;   // nodes in this subtree (this one included)
  size_t subtree_depth = 1;  // levels of this subtree (1 for a scalar)

  // Dotted location from the document root: "services.kafka.instances.kafka-1.ports.broker";
  // sequence items are written "[i]": "services.web.requires[0]". The root's path is "".
  std::string path() const;

  bool IsNull() const { return kind == Kind::kNull; }
  // An int beyond int64 (int_value is saturated: never use it as the value).
  bool IsBigInt() const { return kind == Kind::kInt && !big_int.empty(); }
  bool IsScalar() const { return kind != Kind::kSequence && kind != Kind::kMapping; }
  bool IsString() const { return kind == Kind::kString; }
  bool IsMapping() const { return kind == Kind::kMapping; }
  bool IsSequence() const { return kind == Kind::kSequence; }

  // Python's str() of the value this scalar constructs to: None, True/False, ints in decimal,
  // floats as repr (1.5, 1e-05, inf), dates as 2020-01-01, strings verbatim. For collections,
  // a placeholder ("<mapping>" / "<sequence>").
  std::string PyStr() const;
  // The key of entry i of a mapping as a string (PyStr of the key node).
  std::string KeyAt(size_t i) const { return keys[i].PyStr(); }
  // Mapping lookup by key (compared on PyStr); nullptr if absent or not a mapping.
  const YamlNode* Find(absl::string_view key) const;
  // A short description of the kind for messages: "a mapping", "a list", "a string", ...
  std::string KindName() const;
};

struct YamlLimits {
  size_t max_input_bytes = 64u << 20;  // 64 MiB
  size_t max_nodes = 1000000;          // all nodes, alias expansions included
  size_t max_alias_nodes = 100000;     // nodes materialised through aliases
  size_t max_depth = 1000;             // nesting of collections
};

// Parses one YAML document. `display_name` is used in messages, which have the form
// "<display_name>:<line>:<col>: <message>". Errors: InvalidArgument for syntax errors,
// duplicate keys, bad merges, non-text input, empty input and multiple documents;
// ResourceExhausted for inputs beyond `limits` (size, nodes, aliases, depth).
absl::StatusOr<YamlNode> ParseYaml(absl::string_view display_name, absl::string_view text,
                                   const YamlLimits& limits = YamlLimits());

// Resolution of one plain scalar with PyYAML's YAML 1.1 implicit resolver (exposed for
// tests). Fills kind and the typed value of `node` from `text`; returns false if the text
// matches a typed pattern but cannot be constructed (e.g. the date 2020-13-45), with `error`.
bool ResolvePlainScalar(const std::string& text, YamlNode* node, std::string* error);

}  // namespace config
}  // namespace maestro

#endif  // MAESTRO_CONFIG_YAML_TREE_H_
