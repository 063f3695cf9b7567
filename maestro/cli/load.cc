#include "maestro/cli/load.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/heap.h"
#include "maestro/base/read_file.h"
#include "maestro/base/status_macros.h"
#include "maestro/config/file_reader.h"
#include "maestro/config/loader.h"
#include "maestro/config/secret_values.h"
#include "maestro/lifecycle/subprocess.h"
#include "maestro/model/secrets.h"
#include "maestro/template/template.h"

namespace maestro::cli {
namespace {

constexpr size_t kMaxFileBytes = base::kMaxInputFileBytes;

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string CurrentDir() {
  char buf[4096];
  if (getcwd(buf, sizeof buf) == nullptr) return ".";
  return buf;
}

absl::StatusOr<std::string> ReadAll(FILE* in, const std::string& name) {
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) {
    out.append(buf, n);
    if (out.size() > kMaxFileBytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(name, ": larger than the limit of ", kMaxFileBytes >> 20, " MiB"));
    }
  }
  if (std::ferror(in)) {
    return absl::UnavailableError(absl::StrCat(name, ": read error: ", std::strerror(errno)));
  }
  return out;
}

absl::StatusOr<LoadedEnvironment> LoadAndRender(const std::string& file, FILE* stdin_file,
                                                bool link_variables) {
  const bool from_stdin = file == "-";
  const std::string display = from_stdin ? "<stdin>" : file;
  const std::string base_dir = from_stdin ? CurrentDir() : DirName(file);
  std::string source;
  if (from_stdin) {
    MAESTRO_ASSIGN_OR_RETURN(source, ReadAll(stdin_file, display));
  } else {
    absl::StatusOr<std::string> read = base::ReadRegularFile(file, kMaxFileBytes);
    if (read.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(
          absl::StrCat("environment description file ", file, " not found!"));
    }
    MAESTRO_ASSIGN_OR_RETURN(source, std::move(read));
  }
  // A byte-order mark (Windows editors) is not part of the template or the YAML.
  if (source.size() != base::StripUtf8Bom(source).size()) source.erase(0, 3);
  if (source.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(display, ": not a text file (it contains NUL bytes)"));
  }

  // Render the template exactly as MaestroNG does: a FileSystemLoader rooted at the file's
  // directory, the only variable `env`.
  jinja::FileSystemLoader loader(base_dir.empty() ? "." : base_dir);
  jinja::Environment templates(&loader);
  std::vector<std::pair<std::string, jinja::Value>> context = {{"env", jinja::MakeEnvDict()}};
  absl::StatusOr<std::string> rendered =
      templates.RenderString(source, from_stdin ? display : file, context);
  if (!rendered.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("template error: ", rendered.status().message()));
  }

  config::LoadInput input;
  input.display_name = display;
  input.base_dir = base_dir;
  input.text = *std::move(rendered);
  input.link_variables = link_variables;
  config::RealFileReader files;
  MAESTRO_ASSIGN_OR_RETURN(config::LoadResult loaded, config::LoadEnvironment(input, files));

  LoadedEnvironment out;
  out.environment = std::move(loaded.environment);
  out.warnings = std::move(loaded.warnings);
  return out;
}

}  // namespace

absl::StatusOr<LoadedEnvironment> LoadEnvironmentFile(const std::string& file, FILE* stdin_file,
                                                      bool link_variables) {
  absl::StatusOr<LoadedEnvironment> loaded = LoadAndRender(file, stdin_file, link_variables);
  // The template's output, the YAML tree and the loader's indexes are freed by now: at 6,000
  // instances several times what the environment keeps (docs/benchmarks.md, memory of start).
  ReleaseFreeHeap();
  return loaded;
}

absl::Status ResolveSecretValues(model::Environment& env, const std::atomic<bool>* cancel) {
  config::RealFileReader files;
  config::SecretSources sources;
  sources.files = &files;
  sources.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  sources.run = [cancel](const std::vector<std::string>& argv) -> absl::StatusOr<std::string> {
    std::string out;
    std::string err;
    bool too_big = false;
    lifecycle::SubprocessOptions options;
    options.argv = argv;
    options.timeout = kSecretCommandTimeout;
    options.cancel = cancel;
    options.tail_lines = 0;
    options.output = [&](absl::string_view data) {
      if (out.size() + data.size() > config::kMaxSecretBytes) {
        too_big = true;
        return;
      }
      out.append(data.data(), data.size());
    };
    options.error_output = [&](absl::string_view data) {
      err.append(data.data(), std::min(data.size(), size_t{4096}));
      if (err.size() > 4096) err.erase(0, err.size() - 4096);
    };
    absl::StatusOr<lifecycle::SubprocessResult> result = lifecycle::RunSubprocess(options);
    if (!result.ok()) return result.status();
    if (result->cancelled) return absl::CancelledError("interrupted");
    if (too_big) {
      return absl::InvalidArgumentError(
          absl::StrCat("printed more than ", config::kMaxSecretBytes, " bytes"));
    }
    if (!result->ok()) {
      std::string last(absl::StripAsciiWhitespace(err));
      if (size_t nl = last.rfind('\n'); nl != std::string::npos) last = last.substr(nl + 1);
      if (last.size() > 200) last = last.substr(0, 200) + "...";
      // Its stderr might echo what it printed: never show the output, even there.
      if (!out.empty() && !last.empty()) last = model::Redact(last, {out});
      return absl::FailedPreconditionError(
          absl::StrCat(result->Describe(), last.empty() ? "" : ": ", last));
    }
    return out;
  };
  return config::ResolveSecrets(env, sources);
}

}  // namespace maestro::cli
