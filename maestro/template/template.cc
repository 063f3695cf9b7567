#include "maestro/template/template.h"

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "maestro/base/read_file.h"
#include "maestro/base/status_macros.h"
#include "maestro/template/builtins.h"
#include "maestro/template/renderer.h"

extern char** environ;

namespace maestro::jinja {

using internal::Render;

Environment::Environment(Loader* loader, Limits limits) : impl_(std::make_unique<Impl>()) {
  impl_->loader = loader;
  impl_->limits = limits;
  for (auto& [k, v] : internal::BuiltinGlobals(impl_->limits)) impl_->globals[k] = v;
}

Environment::~Environment() = default;

void Environment::AddGlobal(std::string name, Value value) {
  impl_->globals[std::move(name)] = std::move(value);
}

void Environment::AddFilter(std::string name, NativeFunction fn) {
  impl_->filters[std::move(name)] = std::move(fn);
  impl_->cache.clear();
}

absl::StatusOr<std::string> Environment::RenderFile(
    const std::string& name, const std::vector<std::pair<std::string, Value>>& context) {
  absl::StatusOr<std::shared_ptr<const Template>> tmpl = impl_->Get(name);
  if (!tmpl.ok()) {
    if (tmpl.status().code() == absl::StatusCode::kNotFound) {
      return absl::InvalidArgumentError(tmpl.status().message());
    }
    return tmpl.status();
  }
  return Render(impl_.get(), *tmpl, context);
}

absl::StatusOr<std::string> Environment::RenderString(
    absl::string_view source, const std::string& display_name,
    const std::vector<std::pair<std::string, Value>>& context) {
  MAESTRO_ASSIGN_OR_RETURN(auto tmpl, impl_->Parse(source, display_name));
  return Render(impl_.get(), tmpl, context);
}

FileSystemLoader::FileSystemLoader(std::string base_dir) : base_dir_(std::move(base_dir)) {}

absl::StatusOr<std::string> FileSystemLoader::Load(const std::string& name) {
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part == "..") {
      return absl::NotFoundError(absl::StrCat("template '", name, "' not found"));
    }
  }
  std::string path = base_dir_.empty() || base_dir_.back() == '/'
                         ? absl::StrCat(base_dir_, name)
                         : absl::StrCat(base_dir_, "/", name);
  absl::StatusOr<std::string> content = base::ReadRegularFile(path);
  if (content.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat("template '", name, "' not found"));
  }
  if (!content.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read template '", name, "': ", content.status().message()));
  }
  // A byte-order mark (Windows editors) is not template text.
  if (content->size() != base::StripUtf8Bom(*content).size()) content->erase(0, 3);
  return content;
}

absl::StatusOr<std::string> MapLoader::Load(const std::string& name) {
  auto it = files_.find(name);
  if (it == files_.end()) {
    return absl::NotFoundError(absl::StrCat("template '", name, "' not found"));
  }
  return it->second;
}

Value MakeEnvDict() {
  Dict d;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq == nullptr) continue;
    d.Set(Value(std::string(*e, static_cast<size_t>(eq - *e))), Value(std::string(eq + 1)));
  }
  return Value::MakeDict(std::move(d));
}

Value MakeEnvDict(const std::vector<std::pair<std::string, std::string>>& vars) {
  Dict d;
  for (const auto& [k, v] : vars) d.Set(Value(k), Value(v));
  return Value::MakeDict(std::move(d));
}

Value MakeEnvDict(const std::map<std::string, std::string>& vars) {
  Dict d;
  for (const auto& [k, v] : vars) d.Set(Value(k), Value(v));
  return Value::MakeDict(std::move(d));
}

}  // namespace maestro::jinja
