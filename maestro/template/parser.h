// Parser: tokens -> Template AST, following Jinja2's grammar and operator precedence.
//
// Unknown filters and tests are reported at parse time (as Jinja2 does at compile time)
// through the `known_filter` / `known_test` predicates. Pure; thread-compatible.
#ifndef MAESTRO_TEMPLATE_PARSER_H_
#define MAESTRO_TEMPLATE_PARSER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "maestro/template/ast.h"

namespace maestro::jinja {

struct ParseOptions {
  std::function<bool(const std::string&)> known_filter;  // null: accept all
  std::function<bool(const std::string&)> known_test;    // null: accept all
};

// Errors are InvalidArgumentError "<name>:<line>: <message>".
absl::StatusOr<std::shared_ptr<const Template>> ParseTemplate(absl::string_view source,
                                                              const std::string& name,
                                                              const ParseOptions& options);

}  // namespace maestro::jinja

#endif  // MAESTRO_TEMPLATE_PARSER_H_
