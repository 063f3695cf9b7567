#include "maestro/transport/connection_spec.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"

namespace maestro::transport {
namespace {

std::string HostForUrl(const std::string& host) {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]");
  return host;
}

}  // namespace

std::string DescribeSpec(const ConnectionSpec& spec) {
  switch (spec.kind) {
    case TransportKind::kUnix:
      return absl::StrCat("unix://", spec.socket_path);
    case TransportKind::kTcp:
      return absl::StrCat("tcp://", HostForUrl(spec.host), ":", spec.port);
    case TransportKind::kTls:
      return absl::StrCat("https://", HostForUrl(spec.host), ":", spec.port);
    case TransportKind::kSsh: {
      std::string target =
          spec.ssh.remote_socket_path.empty()
              ? absl::StrCat(spec.tls ? "https://" : "", HostForUrl(spec.ssh.remote_host), ":",
                             spec.ssh.remote_port)
              : absl::StrCat("unix://", spec.ssh.remote_socket_path);
      return absl::StrCat("ssh://", spec.ssh.user, spec.ssh.user.empty() ? "" : "@",
                          HostForUrl(spec.ssh.host), ":", spec.ssh.port, "->", target);
    }
  }
  return "?";
}

absl::Status ValidateSpec(const ConnectionSpec& spec) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("ship ", spec.ship, ": ", why));
  };
  switch (spec.kind) {
    case TransportKind::kUnix:
      if (spec.socket_path.empty()) return bad("empty socket_path");
      break;
    case TransportKind::kTcp:
    case TransportKind::kTls:
      if (spec.host.empty()) return bad("empty endpoint");
      if (spec.port <= 0 || spec.port > 65535) {
        return bad(absl::StrCat("docker port ", spec.port, " is out of range (1-65535)"));
      }
      break;
    case TransportKind::kSsh:
      // MaestroNG's messages, without the "ship s1: " prefix.
      if (spec.ssh.user.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("Missing SSH user for ship ", spec.ship, " tunnel configuration"));
      }
      if (spec.ssh.key.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("Missing SSH key for ship ", spec.ship, " tunnel configuration"));
      }
      if (spec.ssh.host.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("Missing SSH host (endpoint) for ship ", spec.ship));
      }
      if (spec.ssh.port <= 0 || spec.ssh.port > 65535) {
        return bad(absl::StrCat("SSH port ", spec.ssh.port, " is out of range (1-65535)"));
      }
      if (spec.ssh.keepalive_seconds < 0) return bad("SSH keepalive must not be negative");
      break;
  }
  if ((spec.kind == TransportKind::kTls || spec.tls) && spec.tls_options.verify &&
      spec.tls_options.ca_cert.empty()) {
    return bad("tls_verify needs tls_ca_cert");
  }
  if (spec.connect_timeout <= absl::ZeroDuration() ||
      spec.request_timeout <= absl::ZeroDuration() ||
      spec.connect_timeout == absl::InfiniteDuration() ||
      spec.request_timeout == absl::InfiniteDuration()) {
    return bad("timeout must be a positive, finite number of seconds");
  }
  return absl::OkStatus();
}

absl::Status SplitHostPort(absl::string_view in, std::string* host, int* port) {
  *port = -1;
  absl::string_view rest;
  if (absl::StartsWith(in, "[")) {
    size_t close = in.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("unterminated '[' in address '", in, "'"));
    }
    *host = std::string(in.substr(1, close - 1));
    rest = in.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("bad address '", in, "'"));
    }
  } else {
    size_t colon = in.find(':');
    if (colon != absl::string_view::npos && in.find(':', colon + 1) != absl::string_view::npos) {
      *host = std::string(in);  // bare IPv6 literal without port
      return absl::OkStatus();
    }
    *host = std::string(in.substr(0, colon));
    rest = colon == absl::string_view::npos ? absl::string_view() : in.substr(colon);
  }
  if (!rest.empty()) {
    int p = 0;
    if (!absl::SimpleAtoi(rest.substr(1), &p) || p <= 0 || p > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port in address '", in, "'"));
    }
    *port = p;
  }
  if (host->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("missing host in address '", in, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ConnectionSpec> ParseDockerHost(absl::string_view ship, absl::string_view url) {
  ConnectionSpec spec;
  spec.ship = std::string(ship);
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("ship ", ship, ": invalid docker_host '", url, "': ", why));
  };
  size_t sep = url.find("://");
  if (sep == absl::string_view::npos) return bad("expected scheme://...");
  absl::string_view scheme = url.substr(0, sep);
  absl::string_view rest = url.substr(sep + 3);
  if (scheme == "unix") {
    if (rest.empty() || rest[0] != '/') return bad("unix socket path must be absolute");
    spec.kind = TransportKind::kUnix;
    spec.socket_path = std::string(rest);
    return spec;
  }
  if (scheme == "tcp" || scheme == "http" || scheme == "https") {
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find('/') != absl::string_view::npos) return bad("unexpected path");
    std::string host;
    int port;
    absl::Status s = SplitHostPort(rest, &host, &port);
    if (!s.ok()) return bad(s.message());
    spec.tls = scheme == "https";
    spec.kind = spec.tls ? TransportKind::kTls : TransportKind::kTcp;
    spec.host = host;
    spec.port = port > 0 ? port : (spec.tls ? 2376 : 2375);
    return spec;
  }
  if (scheme == "ssh") {
    spec.kind = TransportKind::kSsh;
    size_t at = rest.find('@');
    size_t slash = rest.find('/');
    if (at != absl::string_view::npos && (slash == absl::string_view::npos || at < slash)) {
      spec.ssh.user = std::string(rest.substr(0, at));
      rest = rest.substr(at + 1);
      slash = rest.find('/');
    }
    absl::string_view hostport = rest.substr(0, slash);
    std::string host;
    int port;
    absl::Status s = SplitHostPort(hostport, &host, &port);
    if (!s.ok()) return bad(s.message());
    spec.ssh.host = host;
    spec.host = host;
    spec.ssh.port = port > 0 ? port : 22;
    spec.ssh.remote_socket_path =
        slash == absl::string_view::npos ? "/var/run/docker.sock" : std::string(rest.substr(slash));
    return spec;
  }
  return bad(absl::StrCat("unsupported scheme '", scheme, "' (use unix, tcp, https or ssh)"));
}

}  // namespace maestro::transport
