// `maestro-guest render`: renders a configuration template with maestro's Jinja2 engine
// (maestro/template), with MaestroNG's guest functions as template globals:
//   get_environment_name(), get_service_name(), get_container_name(),
//   get_container_host_address(as_ip_address=False), get_container_internal_address(),
//   get_port(name, default=None), get_node_list(service, ports=[], minimum=1),
//   get_specific_host(service, container),
//   get_specific_port(service, container, port, default=None),
//   get_specific_exposed_port(service, container, port, default=None)
// plus `env`, a dict of the Guest's environment. A guest function that fails stops the
// render with its message (prefixed with template:line), like MaestroEnvironmentError would.
//
// This is the only part of guest/ that depends on Abseil (through the engine); it is linked
// into //guest:maestro-guest but not into //guest:maestro-guest-slim.
//
// Thread-safety: stateless; the Guest must outlive the call.
#ifndef MAESTRO_GUEST_RENDER_H_
#define MAESTRO_GUEST_RENDER_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "maestro/guest.h"
#include "maestro/template/template.h"

namespace maestro {
namespace guest {

// Adds the guest functions above (and `env`) as globals of `environment`.
void AddGuestGlobals(const Guest& guest, jinja::Environment* environment);

// Renders the template file at `template_path` (include/import relative to its directory).
absl::StatusOr<std::string> RenderTemplate(const Guest& guest, const std::string& template_path);

// The CliHooks::render implementation: writes to `output_path`, or to `out` when empty.
// Exit code 0, or 1 with the message on `err`.
int RenderCommand(const std::string& template_path, const std::string& output_path,
                  const Guest& guest, std::ostream& out, std::ostream& err);

}  // namespace guest
}  // namespace maestro

#endif  // MAESTRO_GUEST_RENDER_H_
