// render_tool FILE: renders a template with `env` bound to the process environment and
// include/import resolved relative to FILE's directory (as MaestroNG's loader does).
// Prints the output to stdout; on error prints the message to stderr and exits 1.
#include <cstdio>
#include <string>

#include "maestro/template/template.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  std::string path = argv[1];
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  maestro::jinja::FileSystemLoader loader(dir);
  maestro::jinja::Environment env(&loader);
  auto out = env.RenderFile(name, {{"env", maestro::jinja::MakeEnvDict()}});
  if (!out.ok()) {
    std::fprintf(stderr, "%s\n", std::string(out.status().message()).c_str());
    return 1;
  }
  std::fwrite(out->data(), 1, out->size(), stdout);
  return 0;
}
