// The Jinja2-compatible template engine used to render environment files.
//
// Environment parses templates once into an AST and renders them with Jinja2 3.x default
// semantics: `{{ }}`, `{% %}`, `{# #}`, lenient (default) Undefined, no autoescape,
// trim_blocks/lstrip_blocks off, a single trailing newline of the source removed.
// include/import/from-import/extends resolve names through a Loader handed in by the caller.
//
// Every error (syntax, unknown filter/test, type error, division by zero, missing include,
// recursion or output limits) is returned as absl::InvalidArgumentError whose message starts
// with "<template name>:<line>: ".
//
// Thread-safety: an Environment is not thread-safe; use one per thread. The Loader must
// outlive the Environment (it is not owned).
#ifndef MAESTRO_TEMPLATE_TEMPLATE_H_
#define MAESTRO_TEMPLATE_TEMPLATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "maestro/template/value.h"

namespace maestro::jinja {

// Finds template sources by name (include/import).
class Loader {
 public:
  virtual ~Loader() = default;
  // NotFoundError when there is no such template.
  virtual absl::StatusOr<std::string> Load(const std::string& name) = 0;
};

// Loads "name" from base_dir/name. Names containing ".." path segments are rejected, as
// Jinja2's FileSystemLoader does. Only regular files of at most 64 MiB are read (a FIFO, a
// device or a directory is an error, never a hang: base/read_file.h); a leading UTF-8
// byte-order mark is dropped.
class FileSystemLoader : public Loader {
 public:
  explicit FileSystemLoader(std::string base_dir);
  absl::StatusOr<std::string> Load(const std::string& name) override;

 private:
  std::string base_dir_;
};

// In-memory loader for tests.
class MapLoader : public Loader {
 public:
  MapLoader() = default;
  explicit MapLoader(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  void Add(std::string name, std::string source) { files_[std::move(name)] = std::move(source); }
  absl::StatusOr<std::string> Load(const std::string& name) override;

 private:
  std::map<std::string, std::string> files_;
};

// What one render may use. Every limit ends the render with an error naming the template and
// line; none of them is reached by a real environment file. Besides these, the parser refuses
// expressions more than kMaxExpressionHeight levels deep and blocks nested more than
// kMaxStatementNesting (ast.h), and the renderer stops before exhausting the thread's stack.
struct Limits {
  size_t max_output_bytes = size_t{256} << 20;  // of the output (and of any one string)
  // Strings, lists and dicts created by expressions, filters, calls and set blocks, summed over
  // the render (shallow: the bytes of a string, 32 per list item, 64 per dict entry).
  size_t max_value_bytes = size_t{256} << 20;
  int max_recursion_depth = 200;  // macro calls, includes, imports, blocks, recursive loops
  // Statements rendered, loop iterations, calls and value-creating expressions over the
  // render, plus one step per 64 items (1 KiB) that a filter, test, method, operator or `in`
  // looks at: an endless loop or an exponential recursion stops in about a second.
  int64_t max_steps = 3'000'000;
  int64_t max_range_length = 10'000'000;  // range(), `[..] * n`, `[..] + [..]`
};

class Environment {
 public:
  // `loader` may be null: include/import then fail cleanly.
  explicit Environment(Loader* loader, Limits limits = {});
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  void AddGlobal(std::string name, Value value);
  void AddFilter(std::string name, NativeFunction fn);

  absl::StatusOr<std::string> RenderFile(const std::string& name,
                                         const std::vector<std::pair<std::string, Value>>& context);
  absl::StatusOr<std::string> RenderString(
      absl::string_view source, const std::string& display_name,
      const std::vector<std::pair<std::string, Value>>& context);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// A dict of the process environment (`environ`), keys in environ order.
Value MakeEnvDict();
// A dict of the given variables, in the given order.
Value MakeEnvDict(const std::vector<std::pair<std::string, std::string>>& vars);
Value MakeEnvDict(const std::map<std::string, std::string>& vars);

}  // namespace maestro::jinja

#endif  // MAESTRO_TEMPLATE_TEMPLATE_H_
