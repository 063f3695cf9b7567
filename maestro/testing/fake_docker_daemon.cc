// FakeDockerDaemon, the server: accepts connections, reads requests, plays injected and
// transport faults, and hands each request to the routes (fake_docker_daemon_routes.cc).
#include "maestro/testing/fake_docker_daemon.h"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "maestro/docker/docker_client.h"
#include "maestro/testing/fake_docker_daemon_internal.h"

namespace maestro::testing {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

std::string UrlDecode(absl::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int v;
      if (absl::SimpleHexAtoi(in.substr(i + 1, 2), &v)) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i] == '+' ? ' ' : in[i]);
  }
  return out;
}

std::string Chunk(absl::string_view data) {
  return absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Writing answers

bool FakeDockerDaemon::Impl::Write(DaemonSocket& s, absl::string_view data) {
  boost::system::error_code ec;
  asio::write(s, asio::buffer(data.data(), data.size()), ec);
  return !ec;
}

bool FakeDockerDaemon::Impl::Respond(DaemonSocket& s, int status, const std::string& body,
                                     const std::string& content_type, bool chunked) {
  std::string head =
      absl::StrCat("HTTP/1.1 ", status, " ", docker::HttpReasonPhrase(status),
                   "\r\nApi-Version: ", options.api_version, "\r\nServer: maestro-fake-docker\r\n");
  const bool no_body = status == 204 || status == 304;
  if (!no_body) absl::StrAppend(&head, "Content-Type: ", content_type, "\r\n");
  if (chunked && !no_body) {
    head += "Transfer-Encoding: chunked\r\n\r\n";
    // Split the body in two chunks to exercise reassembly.
    size_t half = body.size() / 2;
    std::string out = head;
    if (half > 0) out += Chunk(absl::string_view(body).substr(0, half));
    if (body.size() > half) out += Chunk(absl::string_view(body).substr(half));
    out += "0\r\n\r\n";
    return Write(s, out);
  }
  if (!no_body) absl::StrAppend(&head, "Content-Length: ", body.size(), "\r\n");
  head += "\r\n";
  return Write(s, no_body ? head : head + body);
}

bool FakeDockerDaemon::Impl::Json(DaemonSocket& s, int status, const nlohmann::json& j) {
  bool chunked;
  {
    std::lock_guard<std::mutex> lock(mu);
    chunked = options.chunked;
  }
  return Respond(s, status, j.dump() + "\n", "application/json", chunked);
}

bool FakeDockerDaemon::Impl::Error(DaemonSocket& s, int status, const std::string& message) {
  return Json(s, status, nlohmann::json{{"message", message}});
}

bool FakeDockerDaemon::Impl::StartStream(DaemonSocket& s, const std::string& content_type) {
  return Write(s, absl::StrCat("HTTP/1.1 200 OK\r\nApi-Version: ", options.api_version,
                               "\r\nContent-Type: ", content_type,
                               "\r\nTransfer-Encoding: chunked\r\n\r\n"));
}

// ---------------------------------------------------------------------------------------------
// The server

void FakeDockerDaemon::Impl::Serve(std::shared_ptr<DaemonSocket> sock) {
  DaemonSocket& s = *sock;
  int fd = s.native_handle();
  boost::beast::flat_buffer buffer;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (stopping) break;
      conn_idle[fd] = true;
    }
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    boost::system::error_code ec;
    http::read(s, buffer, parser, ec);
    {
      std::lock_guard<std::mutex> lock(mu);
      conn_idle[fd] = false;
    }
    if (ec) break;
    auto& msg = parser.get();
    DaemonRequest r;
    r.method = std::string(msg.method_string());
    r.target = std::string(msg.target());
    r.body = msg.body();
    for (const auto& f : msg) {
      r.headers[absl::AsciiStrToLower(std::string(f.name_string()))] = std::string(f.value());
    }
    absl::string_view target = r.target;
    size_t q = target.find('?');
    absl::string_view path = target.substr(0, q);
    if (absl::StartsWith(path, "/v") && path.size() > 2 && absl::ascii_isdigit(path[2])) {
      path = path.substr(path.find('/', 1));
    }
    r.path = std::string(path);
    if (q != absl::string_view::npos) {
      for (absl::string_view kv : absl::StrSplit(target.substr(q + 1), '&', absl::SkipEmpty())) {
        size_t eq = kv.find('=');
        r.query[UrlDecode(kv.substr(0, eq))] =
            eq == absl::string_view::npos ? "" : UrlDecode(kv.substr(eq + 1));
      }
    }
    absl::optional<Fault> fault;
    absl::Duration latency_now;
    {
      std::lock_guard<std::mutex> lock(mu);
      ++requests;
      log.push_back(absl::StrCat(r.method, " ", r.target));
      for (const auto& h : r.headers) last_headers[h.first] = h.second;
      for (auto it = faults.begin(); it != faults.end(); ++it) {
        if (absl::StrContains(r.target, it->substring)) {
          fault = it->fault;
          if (--it->count <= 0) faults.erase(it);
          break;
        }
      }
      latency_now = latency;
    }
    if (latency_now > absl::ZeroDuration()) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, absl::ToChronoMilliseconds(latency_now), [this] { return stopping; });
    }
    if (fault == Fault::kDropConnection) break;
    if (fault == Fault::kNeverAnswer) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [this] { return stopping; });
      break;
    }
    if (fault == Fault::kInternalError) {
      if (!Error(s, 500, "fake daemon: injected failure")) break;
      continue;
    }
    if (std::optional<TransportFault> tf = transport_faults.Match(r.method, r.target)) {
      auto wait = [this](absl::Duration d) {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait_for(lock, absl::ToChronoMilliseconds(d), [this] { return stopping; });
        return !stopping;
      };
      if (tf->kind != TransportFault::Kind::kDelay) {
        transport_faults.Play(
            *tf, [&](absl::string_view d) { return Write(s, d); }, wait);
        break;
      }
      if (!wait(tf->delay)) break;
    }
    bool keep = Handle(s, r);
    if (!keep || fault == Fault::kCloseAfterResponse || !msg.keep_alive()) break;
  }
  boost::system::error_code ignored;
  s.shutdown(asio::socket_base::shutdown_both, ignored);
  std::lock_guard<std::mutex> lock(mu);
  conn_idle.erase(fd);
  conn_fds.erase(fd);
  s.close(ignored);
}

FakeDockerDaemon::FakeDockerDaemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<FakeDockerDaemon>> FakeDockerDaemon::Start(Options options) {
  if (options.socket_path.empty()) {
    char dir[] = "/tmp/maestro-fake-docker-XXXXXX";
    if (mkdtemp(dir) == nullptr) return absl::InternalError("mkdtemp failed");
    options.socket_path = absl::StrCat(dir, "/docker.sock");
  }
  auto impl = std::make_unique<Impl>(options);
  ::unlink(options.socket_path.c_str());
  try {
    impl->acceptor = std::make_unique<asio::local::stream_protocol::acceptor>(
        impl->io, asio::local::stream_protocol::endpoint(options.socket_path));
  } catch (const boost::system::system_error& e) {
    return absl::UnavailableError(
        absl::StrCat("fake daemon: cannot listen on ", options.socket_path, ": ", e.what()));
  }
  Impl* raw = impl.get();
  raw->accept_thread = std::thread([raw] {
    for (;;) {
      auto sock = std::make_shared<DaemonSocket>(raw->io);
      boost::system::error_code ec;
      raw->acceptor->accept(*sock, ec);
      std::lock_guard<std::mutex> lock(raw->mu);
      if (raw->stopping) break;
      if (ec) continue;
      ++raw->connections;
      raw->conn_fds.insert(sock->native_handle());
      raw->conn_threads.emplace_back([raw, sock] { raw->Serve(sock); });
    }
  });
  return std::unique_ptr<FakeDockerDaemon>(new FakeDockerDaemon(std::move(impl)));
}

FakeDockerDaemon::~FakeDockerDaemon() { Stop(); }

void FakeDockerDaemon::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
    impl_->stopping_flag = true;
    impl_->cv.notify_all();
    ::shutdown(impl_->acceptor->native_handle(), SHUT_RDWR);
    for (int fd : impl_->conn_fds) ::shutdown(fd, SHUT_RDWR);
  }
  impl_->accept_thread.join();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    threads.swap(impl_->conn_threads);
  }
  for (auto& t : threads) t.join();
  boost::system::error_code ignored;
  impl_->acceptor->close(ignored);
  ::unlink(impl_->options.socket_path.c_str());
}

const std::string& FakeDockerDaemon::socket_path() const { return impl_->options.socket_path; }

void FakeDockerDaemon::InjectFault(Fault fault, int count, std::string path_substring) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->faults.push_back(Impl::FaultEntry{fault, count, std::move(path_substring)});
}

void FakeDockerDaemon::SetLatency(absl::Duration latency) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->latency = latency;
}

TransportFaults& FakeDockerDaemon::transport_faults() { return impl_->transport_faults; }

void FakeDockerDaemon::SetChunked(bool chunked) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options.chunked = chunked;
}

void FakeDockerDaemon::CloseIdleConnections() {
  // Let connections that just answered reach their idle state first (bounded: 1 s).
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      bool all_idle = true;
      for (const auto& c : impl_->conn_idle) all_idle &= c.second;
      if (all_idle) break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (const auto& c : impl_->conn_idle) {
    if (c.second) ::shutdown(c.first, SHUT_RDWR);
  }
}

int FakeDockerDaemon::connections_accepted() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->connections;
}

int FakeDockerDaemon::requests_served() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->requests;
}

std::vector<std::string> FakeDockerDaemon::request_log() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->log;
}

std::string FakeDockerDaemon::LastHeader(absl::string_view name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->last_headers.find(absl::AsciiStrToLower(name));
  return it == impl_->last_headers.end() ? "" : it->second;
}

FakeDockerHost& FakeDockerDaemon::host() { return impl_->host; }

std::string FakeDockerDaemon::AddImage(const std::string& reference) {
  return impl_->host.AddImage(reference);
}

void FakeDockerDaemon::RequireRegistryAuth(const std::string& registry_host,
                                           const std::string& user, const std::string& password) {
  impl_->host.RequireRegistryAuth(registry_host, user, password);
}

void FakeDockerDaemon::AppendLogs(const std::string& id_or_name, int stream,
                                  const std::string& text) {
  impl_->host.AppendLogs(
      id_or_name, stream == 2 ? docker::StdStream::kStderr : docker::StdStream::kStdout, text);
}

void FakeDockerDaemon::ExitContainer(const std::string& id_or_name, int code) {
  impl_->host.SimulateExit(id_or_name, code).IgnoreError();  // not running: nothing to do
}

}  // namespace maestro::testing
