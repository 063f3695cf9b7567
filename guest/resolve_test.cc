// The NSS-free resolver: numeric addresses, a hosts file, and DNS A queries against a fake
// nameserver on 127.0.0.1 (a UDP socket in a thread, answering a fixed table).
#include "maestro/guest/resolve.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace maestro {
namespace guest {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::string WriteFile(const std::string& name, const std::string& content) {
  std::string path = TempPath(name);
  std::ofstream(path) << content;
  return path;
}

// Decodes the QNAME of a query (no compression in queries).
std::string QueryName(const std::string& msg) {
  std::string name;
  size_t pos = 12;
  while (pos < msg.size() && msg[pos] != 0) {
    size_t len = static_cast<unsigned char>(msg[pos]);
    if (!name.empty()) name += ".";
    name += msg.substr(pos + 1, len);
    pos += 1 + len;
  }
  return name;
}

// A fake DNS server: answers A queries from `records` (with a CNAME first, to exercise the
// answer walk), NXDOMAIN otherwise; or stays silent when `silent`.
class FakeDns {
 public:
  explicit FakeDns(std::map<std::string, std::string> records, bool silent = false)
      : records_(std::move(records)), silent_(silent) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  FakeDns(const FakeDns&) = delete;
  FakeDns& operator=(const FakeDns&) = delete;
  ~FakeDns() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> queries() {
    std::lock_guard<std::mutex> lock(mu_);
    return queries_;
  }

 private:
  void Serve() {
    for (int i = 0; i < 2000 && !stop_; ++i) {  // at most ~20 s
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 10) <= 0) continue;
      char buffer[512];
      sockaddr_in from{};
      socklen_t from_len = sizeof(from);
      ssize_t n =
          recvfrom(fd_, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 12) continue;
      std::string query(buffer, static_cast<size_t>(n));
      std::string name = QueryName(query);
      {
        std::lock_guard<std::mutex> lock(mu_);
        queries_.push_back(name);
      }
      if (silent_) continue;
      std::string reply = query;
      auto it = records_.find(name);
      reply[2] = static_cast<char>(0x81);                                // QR, RD
      reply[3] = static_cast<char>(it == records_.end() ? 0x83 : 0x80);  // RA, rcode
      if (it != records_.end()) {
        reply[7] = 2;  // ANCOUNT = 2: a CNAME to the question, then the A record
        // CNAME: name = pointer to the question (0xc00c), type 5, class 1, ttl, rdata = ptr
        reply += std::string("\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x02\xc0\x0c", 14);
        reply += std::string("\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04", 12);
        in_addr a{};
        inet_pton(AF_INET, it->second.c_str(), &a);
        reply.append(reinterpret_cast<const char*>(&a), 4);
      }
      sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
    }
  }

  std::map<std::string, std::string> records_;
  bool silent_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> queries_;
  std::thread thread_;
};

ResolverOptions Options(const std::string& hosts, const std::string& resolv, uint16_t port) {
  ResolverOptions options;
  options.hosts_path = hosts;
  options.resolv_conf_path = resolv;
  options.dns_port = port;
  options.timeout_ms = 1500;
  return options;
}

TEST(ResolveIPv4, NumericAddressesNeedNoFiles) {
  ResolverOptions options = Options("/nonexistent/hosts", "/nonexistent/resolv.conf", 1);
  EXPECT_EQ(ResolveIPv4("127.0.0.1", options).value(), "127.0.0.1");
  EXPECT_EQ(ResolveIPv4("10.0.0.255", options).value(), "10.0.0.255");
  EXPECT_THAT(ResolveIPv4("", options).error(), HasSubstr("empty host name"));
  EXPECT_THAT(ResolveIPv4("ship1", options).error(), HasSubstr("no IPv4 nameserver"));
}

TEST(ResolveIPv4, HostsFileFirstIPv4EntryCaseInsensitive) {
  std::string hosts = WriteFile("hosts",
                                "# comment\n"
                                "127.0.0.1\tlocalhost\n"
                                "::1 ship1 ip6-localhost\n"
                                "192.168.1.10 Ship1 ship1.lan  # trailing comment\n"
                                "192.168.1.11 ship1\n"
                                "bogus ship2\n");
  ResolverOptions options = Options(hosts, "/nonexistent/resolv.conf", 1);
  options.use_dns = false;
  EXPECT_EQ(ResolveIPv4("ship1", options).value(), "192.168.1.10");
  EXPECT_EQ(ResolveIPv4("SHIP1.LAN", options).value(), "192.168.1.10");
  EXPECT_EQ(ResolveIPv4("localhost", options).value(), "127.0.0.1");
  EXPECT_THAT(ResolveIPv4("ship2", options).error(), HasSubstr("DNS disabled"));
}

TEST(ResolveIPv4, DnsQueryToFakeNameserver) {
  FakeDns dns(std::map<std::string, std::string>{{"db.example.test", "10.20.30.40"}});
  std::string resolv = WriteFile("resolv1.conf", "nameserver 127.0.0.1\n");
  ResolverOptions options = Options("/nonexistent/hosts", resolv, dns.port());
  Result<std::string> ip = ResolveIPv4("db.example.test", options);
  ASSERT_TRUE(ip.ok()) << ip.error();
  EXPECT_EQ(ip.value(), "10.20.30.40");
  Result<std::string> missing = ResolveIPv4("nope.example.test", options);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error(), HasSubstr("DNS has no A record"));
}

TEST(ResolveIPv4, SearchDomainsForShortNames) {
  FakeDns dns(std::map<std::string, std::string>{{"ship1.corp.test", "10.0.0.7"}});
  std::string resolv = WriteFile("resolv2.conf",
                                 "nameserver ::1\n"  // IPv6 servers are skipped
                                 "nameserver 127.0.0.1\n"
                                 "search other.test corp.test\n");
  ResolverOptions options = Options("/nonexistent/hosts", resolv, dns.port());
  Result<std::string> ip = ResolveIPv4("ship1", options);
  ASSERT_TRUE(ip.ok()) << ip.error();
  EXPECT_EQ(ip.value(), "10.0.0.7");
  EXPECT_THAT(dns.queries(), ::testing::ElementsAre("ship1.other.test", "ship1.corp.test"));
}

TEST(ResolveIPv4, SilentNameserverIsBoundedByTheTimeout) {
  FakeDns dns(std::map<std::string, std::string>(), /*silent=*/true);
  std::string resolv = WriteFile("resolv3.conf", "nameserver 127.0.0.1\n");
  ResolverOptions options = Options("/nonexistent/hosts", resolv, dns.port());
  options.timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();
  Result<std::string> ip = ResolveIPv4("slow.example.test", options);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(ip.ok());
  EXPECT_THAT(ip.error(), HasSubstr("no DNS answer in time from 127.0.0.1"));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(DnsCodec, RejectsBadNamesAndForeignReplies) {
  EXPECT_EQ(internal::EncodeDnsQuery(1, ""), "");
  EXPECT_EQ(internal::EncodeDnsQuery(1, "a..b"), "");
  EXPECT_EQ(internal::EncodeDnsQuery(1, std::string(64, 'a')), "");
  std::string q = internal::EncodeDnsQuery(0x1234, "a.b.");
  EXPECT_EQ(q.size(), 12u + 5u + 4u);
  std::string address;
  EXPECT_EQ(internal::ParseDnsReply(q, 0x1234, &address), internal::DnsOutcome::kBadReply);
  EXPECT_EQ(internal::ParseDnsReply("short", 0x1234, &address), internal::DnsOutcome::kBadReply);
  std::string reply = q;
  reply[2] = static_cast<char>(0x81);
  reply[3] = static_cast<char>(0x80);
  EXPECT_EQ(internal::ParseDnsReply(reply, 0x9999, &address), internal::DnsOutcome::kBadReply);
  EXPECT_EQ(internal::ParseDnsReply(reply, 0x1234, &address), internal::DnsOutcome::kNoAnswer);
  reply[7] = 1;  // claims an answer that is not there
  EXPECT_EQ(internal::ParseDnsReply(reply, 0x1234, &address), internal::DnsOutcome::kBadReply);
}

}  // namespace
}  // namespace guest
}  // namespace maestro
