#include "maestro/lifecycle/test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace maestro::lifecycle::testing {

TestHttpServer::TestHttpServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    std::abort();
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  script_.push_back(ScriptedResponse{});
  thread_ = std::thread([this] { Serve(); });
}

TestHttpServer::~TestHttpServer() { Stop(); }

std::string TestHttpServer::url() const { return absl::StrCat("http://127.0.0.1:", port_); }

void TestHttpServer::Script(std::vector<ScriptedResponse> responses) {
  std::lock_guard<std::mutex> lock(mu_);
  script_.assign(responses.begin(), responses.end());
}

std::vector<RecordedRequest> TestHttpServer::requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void TestHttpServer::Stop() {
  if (stop_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

void TestHttpServer::Serve() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Handle(fd);
    ::close(fd);
  }
}

void TestHttpServer::Handle(int fd) {
  std::string data;
  char buf[4096];
  size_t head_end = std::string::npos;
  size_t need = 0;
  // Read the head and a Content-Length body, bounded to 5 s.
  for (int i = 0; i < 100 && !stop_.load(); ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (head_end == std::string::npos) {
      head_end = data.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string lower = absl::AsciiStrToLower(data.substr(0, head_end));
        size_t cl = lower.find("\r\ncontent-length:");
        if (cl != std::string::npos) {
          size_t eol = lower.find("\r\n", cl + 2);
          uint64_t v = 0;
          if (absl::SimpleAtoi(
                  absl::StripAsciiWhitespace(lower.substr(
                      cl + 17, eol == std::string::npos ? std::string::npos : eol - cl - 17)),
                  &v)) {
            need = v;
          }
        }
      }
    }
    if (head_end != std::string::npos && data.size() >= head_end + 4 + need) break;
  }
  if (head_end == std::string::npos) return;
  RecordedRequest req;
  std::vector<std::string> lines = absl::StrSplit(data.substr(0, head_end), "\r\n");
  std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
  if (first.size() >= 2) {
    req.method = first[0];
    req.target = first[1];
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t c = lines[i].find(':');
    if (c == std::string::npos) continue;
    req.headers[absl::AsciiStrToLower(lines[i].substr(0, c))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(c + 1)));
  }
  req.body = data.substr(head_end + 4, need);
  ScriptedResponse resp;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(req);
    resp = script_.front();
    if (script_.size() > 1) script_.pop_front();
  }
  if (resp.never_answer) {
    while (!stop_.load()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return;  // the client gave up
      }
    }
    return;
  }
  std::string out = absl::StrCat("HTTP/1.1 ", resp.status, " Status\r\n");
  if (!resp.raw.empty()) out.clear();
  for (const auto& [k, v] : resp.headers) absl::StrAppend(&out, k, ": ", v, "\r\n");
  if (!resp.raw.empty()) {
    out = resp.raw;
  } else if (resp.chunked) {
    out += "Transfer-Encoding: chunked\r\n\r\n";
    // Two chunks, to exercise the decoder.
    size_t half = resp.body.size() / 2;
    for (std::string part : {resp.body.substr(0, half), resp.body.substr(half)}) {
      if (part.empty()) continue;
      absl::StrAppend(&out, absl::Hex(part.size()), "\r\n", part, "\r\n");
    }
    out += "0\r\n\r\n";
  } else {
    absl::StrAppend(&out, "Content-Length: ", resp.body.size(), "\r\n\r\n", resp.body);
  }
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace maestro::lifecycle::testing
