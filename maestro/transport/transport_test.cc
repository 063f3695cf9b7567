#include "maestro/transport/transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "maestro/transport/socket_transport.h"
#include "maestro/transport/ssh_transport.h"

namespace maestro::transport {
namespace {

// A one-shot server: accepts one connection and runs `serve` on it.
class OneShotServer {
 public:
  static int ListenTcp(int* port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd, 4);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    *port = ntohs(a.sin_port);
    return fd;
  }
  static int ListenUnix(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    unlink(path.c_str());
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd, 4);
    return fd;
  }
};

void EchoOnce(int listen_fd) {
  int c = accept(listen_fd, nullptr, nullptr);
  char buf[256];
  ssize_t n = read(c, buf, sizeof buf);
  if (n > 0 && write(c, buf, n) != n) ADD_FAILURE() << "echo server: short write";
  close(c);
}

std::string TempPath(const std::string& name) {
  // Unix socket paths are limited to 108 bytes: TEST_TMPDIR is often longer.
  char dir[] = "/tmp/maestro-tt-XXXXXX";
  return absl::StrCat(mkdtemp(dir), "/", name);
}

TEST(UnixTransportTest, RoundTripAndEof) {
  std::string path = TempPath("echo.sock");
  int lfd = OneShotServer::ListenUnix(path);
  std::thread server(EchoOnce, lfd);
  UnixTransport t("s1", path);
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  auto conn = t.Connect(deadline);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->WriteAll("hello", deadline).ok());
  std::string got;
  char buf[64];
  for (int i = 0; i < 10; ++i) {
    auto n = (*conn)->ReadSome(buf, sizeof buf, deadline);
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) break;
    got.append(buf, *n);
  }
  EXPECT_EQ(got, "hello");
  EXPECT_TRUE((*conn)->PeerClosed());
  server.join();
  close(lfd);
}

// Reads everything until the client's end of input (bounded: 10 s), then answers with what it
// read and "|eof" and closes: a `cat` whose output comes after its input ended.
void ReplyAfterEof(int listen_fd) {
  int c = accept(listen_fd, nullptr, nullptr);
  timeval tv{10, 0};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  char buf[256];
  ssize_t n = 0;
  for (int i = 0; i < 1000 && (n = read(c, buf, sizeof buf)) > 0; ++i) got.append(buf, n);
  got += n == 0 ? "|eof" : "|no-eof";
  (void)!write(c, got.data(), got.size());
  close(c);
}

// Writes, half-closes, and reads the answer that only comes after the peer saw the end.
std::string HalfCloseRoundTrip(Transport& t) {
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  auto conn = t.Connect(deadline);
  if (!conn.ok()) return std::string(conn.status().message());
  if (!(*conn)->WriteAll("hello", deadline).ok()) return "write failed";
  absl::Status closed = (*conn)->CloseWrite(deadline);
  if (!closed.ok()) return std::string(closed.message());
  if ((*conn)->WriteAll("more", deadline).ok()) return "wrote after CloseWrite";
  std::string got;
  char buf[64];
  for (int i = 0; i < 100; ++i) {
    auto n = (*conn)->ReadSome(buf, sizeof buf, deadline);
    if (!n.ok()) return std::string(n.status().message());
    if (*n == 0) break;
    got.append(buf, *n);
  }
  return got;
}

TEST(UnixTransportTest, CloseWriteEndsTheInputAndKeepsReading) {
  std::string path = TempPath("cat.sock");
  int lfd = OneShotServer::ListenUnix(path);
  std::thread server(ReplyAfterEof, lfd);
  UnixTransport t("s1", path);
  EXPECT_EQ(HalfCloseRoundTrip(t), "hello|eof");
  server.join();
  close(lfd);
}

TEST(TcpTransportTest, CloseWriteEndsTheInputAndKeepsReading) {
  int port;
  int lfd = OneShotServer::ListenTcp(&port);
  std::thread server(ReplyAfterEof, lfd);
  TcpTransport t("s1", "127.0.0.1", port);
  EXPECT_EQ(HalfCloseRoundTrip(t), "hello|eof");
  server.join();
  close(lfd);
}

TEST(UnixTransportTest, MissingSocketIsUnavailable) {
  UnixTransport t("s1", "/nonexistent/docker.sock");
  auto conn = t.Connect(absl::Now() + absl::Seconds(1));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(conn.status().message().find("/nonexistent/docker.sock"), std::string::npos);
}

TEST(TcpTransportTest, ResolvesLocalhostWithoutNss) {
  auto addrs = ResolveHost("localhost", absl::Now() + absl::Seconds(3));
  ASSERT_TRUE(addrs.ok()) << addrs.status();
  bool loopback = false;
  for (const auto& a : *addrs) loopback |= (a == "127.0.0.1" || a == "::1");
  EXPECT_TRUE(loopback);
  auto numeric = ResolveHost("::1", absl::Now() + absl::Seconds(1));
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ((*numeric)[0], "::1");
}

TEST(TcpTransportTest, RoundTripByName) {
  int port;
  int lfd = OneShotServer::ListenTcp(&port);
  std::thread server(EchoOnce, lfd);
  TcpTransport t("s1", "localhost", port);
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  auto conn = t.Connect(deadline);
  if (!conn.ok()) {  // localhost may map to ::1 first; our listener is IPv4 only, both tried
    FAIL() << conn.status();
  }
  ASSERT_TRUE((*conn)->WriteAll("ping", deadline).ok());
  char buf[16];
  auto n = (*conn)->ReadSome(buf, sizeof buf, deadline);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "ping");
  server.join();
  close(lfd);
}

TEST(TcpTransportTest, ClosedPortFailsFast) {
  int port;
  int lfd = OneShotServer::ListenTcp(&port);
  close(lfd);  // nothing listens there now
  TcpTransport t("s1", "127.0.0.1", port);
  absl::Time start = absl::Now();
  auto conn = t.Connect(start + absl::Seconds(2));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST(TcpTransportTest, ReadDeadline) {
  int port;
  int lfd = OneShotServer::ListenTcp(&port);
  TcpTransport t("s1", "127.0.0.1", port);
  auto conn = t.Connect(absl::Now() + absl::Seconds(2));
  ASSERT_TRUE(conn.ok());
  absl::Time start = absl::Now();
  char buf[4];
  auto n = (*conn)->ReadSome(buf, sizeof buf, start + absl::Milliseconds(200));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_FALSE((*conn)->PeerClosed());
  close(lfd);
}

TEST(MakeTransportTest, ValidatesSsh) {
  ConnectionSpec spec;
  spec.ship = "ship9";
  spec.kind = TransportKind::kSsh;
  spec.ssh.host = "127.0.0.1";
  auto t = MakeTransport(spec);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "Missing SSH user for ship ship9 tunnel configuration");
  spec.ssh.user = "u";
  t = MakeTransport(spec);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "Missing SSH key for ship ship9 tunnel configuration");
}

TEST(MakeTransportTest, TlsMissingFilesNamed) {
  ConnectionSpec spec;
  spec.ship = "ship9";
  spec.kind = TransportKind::kTls;
  spec.host = "127.0.0.1";
  spec.tls_options.verify = true;
  spec.tls_options.ca_cert = "/nonexistent/ca.pem";
  auto t = MakeTransport(spec);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("/nonexistent/ca.pem"), std::string::npos);
}

TEST(SshTransportTest, ClosedPortFailsWithinDeadline) {
  int port;
  int lfd = OneShotServer::ListenTcp(&port);
  close(lfd);
  ConnectionSpec spec;
  spec.ship = "s";
  spec.kind = TransportKind::kSsh;
  spec.ssh.host = "127.0.0.1";
  spec.ssh.port = port;
  spec.ssh.user = "u";
  spec.ssh.key = "/nonexistent";
  auto t = MakeTransport(spec);
  ASSERT_TRUE(t.ok());
  auto conn = (*t)->Connect(absl::Now() + absl::Seconds(2));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
}

TEST(SshTransportTest, SilentServerTimesOut) {
  // A TCP server that accepts and never speaks SSH: the handshake must time out.
  int port;
  int lfd = OneShotServer::ListenTcp(&port);
  ConnectionSpec spec;
  spec.ship = "s";
  spec.kind = TransportKind::kSsh;
  spec.ssh.host = "127.0.0.1";
  spec.ssh.port = port;
  spec.ssh.user = "u";
  spec.ssh.key = "/nonexistent";
  auto t = MakeTransport(spec);
  ASSERT_TRUE(t.ok());
  absl::Time start = absl::Now();
  auto conn = (*t)->Connect(start + absl::Milliseconds(300));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kDeadlineExceeded) << conn.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  close(lfd);
}

TEST(SshFingerprintTest, OpenSshFormat) {
  std::string digest(32, '\0');
  EXPECT_EQ(Sha256Fingerprint(digest), "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
}

}  // namespace
}  // namespace maestro::transport
