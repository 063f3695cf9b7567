#include "maestro/plays/secrets_delivery.h"

#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/model/secrets.h"

namespace maestro::plays {
namespace {

constexpr absl::Duration kExecDeadline = absl::Seconds(30);
constexpr size_t kMaxOutput = 4096;

// Writes to "$1.tmp" and renames, so the application never sees half a value; the directory is
// a tmpfs the wrapper's `[ -e marker ]` cannot race with (the marker comes last).
constexpr char kWriteScript[] =
    "umask 077 && mkdir -p \"${1%/*}\" && cat > \"$1.tmp\" && chmod \"$2\" \"$1.tmp\" && "
    "chown \"$3\" \"$1.tmp\" && mv -f \"$1.tmp\" \"$1\"";

std::string Marker() { return absl::StrCat(model::kSecretsDir, "/", model::kSecretsReadyMarker); }

std::vector<std::string> Values(const model::Environment& env) {
  std::vector<std::string> out;
  for (const model::Secret& s : env.secrets) {
    if (s.value) out.push_back(*s.value);
  }
  return out;
}

// Multiplexed frames (8-byte headers) or raw output, reduced to printable text for a message.
std::string Printable(const std::string& raw) {
  std::string out;
  size_t at = 0;
  while (at + 8 <= raw.size() && (raw[at] == 1 || raw[at] == 2) && raw[at + 1] == 0) {
    size_t len = (static_cast<unsigned char>(raw[at + 4]) << 24) |
                 (static_cast<unsigned char>(raw[at + 5]) << 16) |
                 (static_cast<unsigned char>(raw[at + 6]) << 8) |
                 static_cast<unsigned char>(raw[at + 7]);
    out += raw.substr(at + 8, len);
    at += 8 + len;
  }
  if (at < raw.size()) out += raw.substr(at);
  std::string clean;
  for (char c : out) clean += (absl::ascii_isprint(static_cast<unsigned char>(c)) ? c : ' ');
  return std::string(absl::StripAsciiWhitespace(clean));
}

struct ExecOutcome {
  int64_t exit_code = -1;
  std::string output;
};

// Runs `argv` as root in container `id` with `input` on its stdin; its output is kept (bounded).
absl::StatusOr<ExecOutcome> RunWithStdin(docker::DockerClient& client, absl::string_view id,
                                         const std::vector<std::string>& argv,
                                         absl::string_view input, Clock& clock) {
  docker::ExecOptions options;
  options.cmd = argv;
  options.user = "0";
  options.attach_stdin = true;
  MAESTRO_ASSIGN_OR_RETURN(std::string exec_id, client.CreateExec(id, options));
  MAESTRO_ASSIGN_OR_RETURN(std::unique_ptr<docker::ExecStream> stream,
                           client.StartExecInteractive(exec_id, /*tty=*/false));
  const absl::Time deadline = clock.Now() + kExecDeadline;
  if (!input.empty()) MAESTRO_RETURN_IF_ERROR(stream->Write(input, deadline));
  MAESTRO_RETURN_IF_ERROR(stream->CloseWrite(deadline));
  ExecOutcome outcome;
  char buf[4096];
  // Bounded: every Read gives at least one byte or ends, and fails past the deadline.
  for (int reads = 0; reads < 100000; ++reads) {
    absl::StatusOr<size_t> n = stream->Read(buf, sizeof(buf), deadline);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    if (outcome.output.size() < kMaxOutput) outcome.output.append(buf, *n);
  }
  stream.reset();
  // The exit code is set once the process has ended, a moment after its output.
  for (int look = 0; look < 50; ++look) {
    MAESTRO_ASSIGN_OR_RETURN(docker::ExecInspect inspect, client.InspectExec(exec_id));
    if (!inspect.running && inspect.exit_code) {
      outcome.exit_code = *inspect.exit_code;
      return outcome;
    }
    clock.SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError("the exec did not end after its output did");
}

}  // namespace

std::vector<std::string> SecretWriteCommand(const model::SecretMount& mount,
                                            const std::optional<std::string>& guest) {
  char mode[8];
  std::snprintf(mode, sizeof(mode), "%04o", mount.mode);
  if (guest) {
    return {*guest,
            "secrets-write",
            mount.target,
            mode,
            absl::StrCat(mount.uid.value_or(0)),
            absl::StrCat(mount.gid.value_or(0))};
  }
  return {"/bin/sh",
          "-c",
          kWriteScript,
          "maestro-secret",
          mount.target,
          mode,
          absl::StrCat(mount.uid.value_or(0), ":", mount.gid.value_or(0))};
}

absl::Status DeliverSecrets(docker::DockerClient& client, absl::string_view id,
                            const model::Environment& env, const model::Instance& instance,
                            Clock& clock, const std::atomic<bool>* cancel) {
  const std::vector<std::string> values = Values(env);
  auto fail = [&](const std::string& what, const absl::Status& status) {
    return absl::Status(status.code(),
                        model::Redact(absl::StrCat("delivering ", what, " to ", instance.name,
                                                   " failed: ", status.message()),
                                      values));
  };
  for (const model::SecretMount& m : instance.secrets) {
    if (cancel != nullptr && cancel->load()) {
      return absl::CancelledError(
          absl::StrCat("interrupted while delivering the secrets of ", instance.name));
    }
    const model::Secret* secret = env.FindSecret(m.name);
    if (secret == nullptr || !secret->value) {
      return absl::FailedPreconditionError(
          absl::StrCat("secret ", m.name, " of ", instance.name, " has no value (not read)"));
    }
    absl::StatusOr<ExecOutcome> done = RunWithStdin(
        client, id, SecretWriteCommand(m, instance.secrets_guest), *secret->value, clock);
    const std::string what = absl::StrCat("secret ", m.name, " (", m.target, ")");
    if (!done.ok()) return fail(what, done.status());
    if (done->exit_code != 0) {
      std::string output = Printable(done->output);
      return fail(what, absl::FailedPreconditionError(absl::StrCat(
                            "exit code ", done->exit_code, output.empty() ? "" : ": ", output,
                            instance.secrets_guest
                                ? absl::StrCat(" (the image needs a static maestro-guest at ",
                                               *instance.secrets_guest, ")")
                                : " (the image needs /bin/sh, cat, chmod, chown and mv)")));
    }
  }
  const std::vector<std::string> write_marker =
      instance.secrets_guest
          ? std::vector<std::string>{*instance.secrets_guest, "secrets-write", "--ready", "--dir",
                                     model::kSecretsDir}
          : std::vector<std::string>{"/bin/sh", "-c", ": > \"$1\"", "maestro-secret", Marker()};
  absl::StatusOr<ExecOutcome> marker = RunWithStdin(client, id, write_marker, "", clock);
  if (!marker.ok()) return fail("the ready marker", marker.status());
  if (marker->exit_code != 0) {
    return fail("the ready marker",
                absl::FailedPreconditionError(absl::StrCat("exit code ", marker->exit_code, ": ",
                                                           Printable(marker->output))));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> SecretsDelivered(docker::DockerClient& client, absl::string_view id,
                                      const model::Instance& instance, Clock& clock) {
  const std::vector<std::string> look =
      instance.secrets_guest
          ? std::vector<std::string>{*instance.secrets_guest, "secrets-wait", "--check", "--dir",
                                     model::kSecretsDir}
          : std::vector<std::string>{"/bin/sh", "-c", "test -e \"$1\"", "maestro-secret", Marker()};
  MAESTRO_ASSIGN_OR_RETURN(ExecOutcome outcome, RunWithStdin(client, id, look, "", clock));
  return outcome.exit_code == 0;
}

}  // namespace maestro::plays
