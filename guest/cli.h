// The maestro-guest command line: one subcommand per guest function (docs/guest.md) plus
// --json, wait-for and render. Everything goes through the Guest handed in (its Environ,
// resolver and interface lookup), so tests run the whole CLI in-process with a MapEnviron.
//
// Exit codes: 0 success, 1 a missing or invalid variable (the message names it) or a
// wait-for timeout, 2 a usage error or an unavailable subcommand.
//
// Thread-safety: RunCli keeps no state; concurrent calls need separate streams.
#ifndef MAESTRO_GUEST_CLI_H_
#define MAESTRO_GUEST_CLI_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "guest/secrets.h"
#include "maestro/guest.h"

namespace maestro {
namespace guest {

inline constexpr int kExitOk = 0;
inline constexpr int kExitMissing = 1;
inline constexpr int kExitUsage = 2;

inline constexpr const char kGuestVersion[] = "0.1.0";

struct CliHooks {
  // Implements `render TEMPLATE [-o FILE]` (template path, output path or "" for stdout);
  // returns the exit code. Unset in builds without the template engine: `render` then
  // reports that it is not available and exits 2.
  std::function<int(const std::string& template_path, const std::string& output_path,
                    const Guest& guest, std::ostream& out, std::ostream& err)>
      render;
  // The side effects of secrets-wait and secrets-write; nullptr: RealSecretsSystem().
  const SecretsSystem* secrets = nullptr;
};

// `args` excludes the program name.
int RunCli(const std::vector<std::string>& args, const Guest& guest, std::ostream& out,
           std::ostream& err, const CliHooks& hooks = CliHooks());

// The --json view of the environment (exposed for tests and for `render`).
std::string DescribeJson(const Guest& guest);

}  // namespace guest
}  // namespace maestro

#endif  // MAESTRO_GUEST_CLI_H_
