#include "maestro/cli/real_world.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "maestro/docker/registry_auth.h"
#include "maestro/lifecycle/checks.h"
#include "maestro/lifecycle/subprocess.h"
#include "maestro/transport/socket_transport.h"

namespace maestro::cli {

absl::Status LifecycleCheckRunner::Run(const std::string& state, const model::Instance& instance,
                                       const model::Ship& ship, docker::DockerClient& client,
                                       const std::function<bool()>& condition,
                                       const plays::CancellationToken& cancel) {
  lifecycle::CheckContext ctx;
  ctx.instance = &instance;
  ctx.ship = &ship;
  ctx.docker = &client;
  ctx.clock = clock_;
  ctx.cancel = cancel.flag();
  ctx.condition = condition;
  absl::StatusOr<lifecycle::StateOutcome> outcome = lifecycle::RunChecks(state, ctx);
  if (!outcome.ok()) return outcome.status();
  if (outcome->ok) return absl::OkStatus();
  return absl::FailedPreconditionError(outcome->message);
}

bool TcpPortProbe::Accepts(const std::string& host, int port, absl::Duration timeout) {
  absl::StatusOr<int> fd = transport::ConnectTcpSocket(host, port, absl::Now() + timeout);
  if (!fd.ok()) return false;
  ::close(*fd);
  return true;
}

audit::AuditWhat TrailAuditSink::What(const std::vector<std::string>& containers, bool task) const {
  std::vector<audit::AuditTarget> targets;
  for (const std::string& name : containers) {
    const model::Instance* inst = env_.FindInstance(name);
    if (inst != nullptr) targets.push_back(audit::TargetOf(*inst, env_.FindShip(inst->ship)));
  }
  if (task && targets.size() == 1) return audit::AuditWhat::One(targets.front());
  return audit::AuditWhat::List(std::move(targets));
}

absl::Status TrailAuditSink::Action(const std::string& action,
                                    const std::vector<std::string>& containers, bool task) {
  return trail_->Action(task ? audit::AuditLevel::kDebug : audit::AuditLevel::kInfo,
                        What(containers, task), action);
}

void TrailAuditSink::Success(const std::string& action, const std::vector<std::string>& containers,
                             bool task) {
  trail_->Success(task ? audit::AuditLevel::kDebug : audit::AuditLevel::kInfo,
                  What(containers, task), action);
}

void TrailAuditSink::Error(const std::string& action, const std::vector<std::string>& containers,
                           const std::string& message, bool task) {
  trail_->Error(What(containers, task), action, message);
}

namespace {

// `docker-credential-NAME get`, the server on stdin, as the docker CLI runs it. Its stdout is
// the answer (it holds the secret: returned, never put in a message); when it fails, stdout is
// its error message ("credentials not found in native keychain").
constexpr size_t kMaxHelperAnswer = 64 * 1024;

absl::StatusOr<std::string> RunCredentialHelper(const std::atomic<bool>* interrupt,
                                                const std::string& program,
                                                const std::string& server) {
  lifecycle::SubprocessOptions options;
  options.argv = {program, "get"};
  options.stdin_data = server;
  std::string out;
  options.output = [&out](absl::string_view data) {
    if (out.size() < kMaxHelperAnswer)
      out.append(data.data(), std::min(data.size(), kMaxHelperAnswer));
  };
  options.error_output = [](absl::string_view) {};
  options.timeout = absl::Seconds(30);
  options.cancel = interrupt;
  absl::StatusOr<lifecycle::SubprocessResult> ran = lifecycle::RunSubprocess(options);
  if (!ran.ok()) return ran.status();
  if (!ran->ok()) {
    std::string why(absl::StripAsciiWhitespace(out));
    if (why.size() > 200) why.resize(200);
    return absl::UnavailableError(why.empty() ? ran->Describe()
                                              : absl::StrCat(ran->Describe(), ": ", why));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RealWorld>> RealWorld::Create(const model::Environment& env,
                                                             const std::atomic<bool>* interrupt) {
  auto world = std::make_unique<RealWorld>(env, interrupt);
  // A malformed Docker configuration is an error naming the file and position, not ignored
  // (pulls would then fail with an unrelated registry error).
  absl::StatusOr<absl::optional<nlohmann::json>> docker_config =
      docker::LoadDockerConfig(std::getenv("DOCKER_CONFIG"), std::getenv("HOME"));
  if (!docker_config.ok()) return docker_config.status();
  if (docker_config->has_value()) world->docker_config_ = **std::move(docker_config);
  if (!env.audit.empty()) {
    audit::AuditTrailOptions options;
    options.source = env.display_name;
    absl::StatusOr<std::unique_ptr<audit::AuditTrail>> trail =
        audit::MakeAuditTrail(env.audit, options);
    if (!trail.ok()) return trail.status();
    world->audit_ = std::make_unique<TrailAuditSink>(env, *std::move(trail));
  }
  return world;
}

RealWorld::RealWorld(const model::Environment& env, const std::atomic<bool>* interrupt)
    : env_(env), interrupt_(interrupt), ships_(env, interrupt), checks_(RealClock::Get()) {}

plays::PlayWorld RealWorld::world() {
  plays::PlayWorld world;
  world.env = &env_;
  world.ships = &ships_;
  world.checks = &checks_;
  world.clock = RealClock::Get();
  world.docker_config = docker_config_ ? &*docker_config_ : nullptr;
  const std::atomic<bool>* interrupt = interrupt_;
  world.credential_helper = [interrupt](const std::string& program, const std::string& server) {
    return RunCredentialHelper(interrupt, program, server);
  };
  world.audit = audit_.get();
  world.ports = &ports_;
  return world;
}

}  // namespace maestro::cli
