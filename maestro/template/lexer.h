// Lexer: splits Jinja2 template source into tokens (data, tag delimiters, expression tokens).
//
// Implements Jinja2's default delimiters, whitespace control (`{%-`, `-%}`, `{{-`, `-}}`,
// `{#-`, `-#}`), `{% raw %}` blocks, newline normalisation and removal of a single trailing
// newline (keep_trailing_newline=False). Pure function; thread-compatible.
#ifndef MAESTRO_TEMPLATE_LEXER_H_
#define MAESTRO_TEMPLATE_LEXER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "maestro/base/bigint.h"
#include "maestro/model/unicode_tables.h"

namespace maestro::jinja {

enum class TokenType {
  kData,
  kVarBegin,
  kVarEnd,
  kBlockBegin,
  kBlockEnd,
  kName,
  kString,
  kInt,
  kFloat,
  kOperator,
  kEof,
};

struct Token {
  TokenType type;
  std::string text;  // data, name, decoded string, operator
  int64_t int_value = 0;
  std::optional<BigInt> big_value;  // an int literal beyond int64 (Python ints never overflow)
  double float_value = 0;
  int line = 1;
};

// Errors are InvalidArgumentError "<name>:<line>: <message>".
absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view source, const std::string& name);

// UTF-8 encoding of a code point: the one in model/unicode_tables.h.
using ::maestro::unicode::AppendUtf8;

}  // namespace maestro::jinja

#endif  // MAESTRO_TEMPLATE_LEXER_H_
