// Name resolution without glibc NSS, for a fully static maestro-guest binary: a static
// binary's getaddrinfo would need the NSS shared libraries of the container it runs in, which
// a minimal image does not have. ResolveIPv4 tries, in order:
//   1. a numeric IPv4 address (returned as is, normalised by inet_pton/inet_ntop);
//   2. the hosts file (/etc/hosts; IPv4 entries only, names compared case-insensitively);
//   3. a DNS A query over UDP to each IPv4 `nameserver` of resolv.conf (at most 3), with the
//      `search` domains (at most 6) applied like glibc's default ndots:1, bounded by a total
//      deadline (ResolverOptions::timeout_ms).
// IPv6 is not supported (maestro's link variables carry ship IPv4 addresses or names).
//
// Thread-safety: the functions keep no state and may be called from any thread.
#ifndef MAESTRO_GUEST_RESOLVE_H_
#define MAESTRO_GUEST_RESOLVE_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "maestro/guest/result.h"

namespace maestro {
namespace guest {

struct ResolverOptions {
  std::string hosts_path = "/etc/hosts";
  std::string resolv_conf_path = "/etc/resolv.conf";
  bool use_dns = true;
  // UDP port of the nameservers (53; tests point it at a fake server on loopback).
  uint16_t dns_port = 53;
  // Total time budget for all DNS queries of one ResolveIPv4 call.
  int timeout_ms = 3000;
};

namespace internal {

inline std::string AsciiLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

inline std::vector<std::string> SplitWhitespace(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string token;
  while (in >> token) out.push_back(token);
  return out;
}

inline std::string StripComment(const std::string& line) {
  size_t hash = line.find_first_of("#;");
  return hash == std::string::npos ? line : line.substr(0, hash);
}

struct ResolvConf {
  std::vector<std::string> nameservers;  // IPv4 only
  std::vector<std::string> search;
  int ndots = 1;
};

inline ResolvConf ParseResolvConf(const std::string& path) {
  ResolvConf conf;
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (lines++ < 10000 && std::getline(in, line)) {
    std::vector<std::string> tokens = SplitWhitespace(StripComment(line));
    if (tokens.empty()) continue;
    if (tokens[0] == "nameserver" && tokens.size() >= 2) {
      in_addr addr{};
      if (conf.nameservers.size() < 3 && inet_pton(AF_INET, tokens[1].c_str(), &addr) == 1) {
        conf.nameservers.push_back(tokens[1]);
      }
    } else if (tokens[0] == "search" || tokens[0] == "domain") {
      conf.search.clear();
      for (size_t i = 1; i < tokens.size() && conf.search.size() < 6; ++i) {
        conf.search.push_back(tokens[i]);
      }
    } else if (tokens[0] == "options") {
      for (size_t i = 1; i < tokens.size(); ++i) {
        if (tokens[i].rfind("ndots:", 0) == 0) {
          conf.ndots = std::atoi(tokens[i].c_str() + 6);
          if (conf.ndots < 0) conf.ndots = 0;
          if (conf.ndots > 15) conf.ndots = 15;
        }
      }
    }
  }
  return conf;
}

// The first IPv4 address of `name` in a hosts file, or nullopt.
inline std::optional<std::string> LookupHostsFile(const std::string& path,
                                                  const std::string& name) {
  std::ifstream in(path);
  std::string line;
  const std::string wanted = AsciiLower(name);
  int lines = 0;
  while (lines++ < 100000 && std::getline(in, line)) {
    size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::vector<std::string> tokens = SplitWhitespace(line);
    if (tokens.size() < 2) continue;
    in_addr addr{};
    if (inet_pton(AF_INET, tokens[0].c_str(), &addr) != 1) continue;
    for (size_t i = 1; i < tokens.size(); ++i) {
      if (AsciiLower(tokens[i]) == wanted) return tokens[0];
    }
  }
  return std::nullopt;
}

// Encodes a DNS query for the A record of `name`. Empty on an invalid name.
inline std::string EncodeDnsQuery(uint16_t id, const std::string& name) {
  std::string q;
  q.push_back(static_cast<char>(id >> 8));
  q.push_back(static_cast<char>(id & 0xff));
  q += std::string("\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);  // RD, QDCOUNT=1
  std::string trimmed = name;
  if (!trimmed.empty() && trimmed.back() == '.') trimmed.pop_back();
  if (trimmed.empty() || trimmed.size() > 253) return "";
  size_t start = 0;
  while (start <= trimmed.size()) {
    size_t dot = trimmed.find('.', start);
    if (dot == std::string::npos) dot = trimmed.size();
    size_t len = dot - start;
    if (len == 0 || len > 63) return "";
    q.push_back(static_cast<char>(len));
    q.append(trimmed, start, len);
    start = dot + 1;
  }
  q.push_back('\0');
  q += std::string("\x00\x01\x00\x01", 4);  // QTYPE A, QCLASS IN
  return q;
}

// Skips a (possibly compressed) name at `pos`; false when malformed.
inline bool SkipDnsName(const std::string& msg, size_t* pos) {
  for (int labels = 0; labels < 128; ++labels) {
    if (*pos >= msg.size()) return false;
    unsigned char len = static_cast<unsigned char>(msg[*pos]);
    if (len == 0) {
      *pos += 1;
      return true;
    }
    if ((len & 0xc0) == 0xc0) {  // compression pointer ends the name
      if (*pos + 2 > msg.size()) return false;
      *pos += 2;
      return true;
    }
    if ((len & 0xc0) != 0) return false;
    *pos += 1 + len;
  }
  return false;
}

enum class DnsOutcome { kFound, kNoSuchName, kNoAnswer, kBadReply };

// Parses a reply to EncodeDnsQuery(id, ...); on kFound, *address holds the first A record.
inline DnsOutcome ParseDnsReply(const std::string& msg, uint16_t id, std::string* address) {
  if (msg.size() < 12) return DnsOutcome::kBadReply;
  auto u16 = [&msg](size_t at) {
    return static_cast<uint16_t>((static_cast<unsigned char>(msg[at]) << 8) |
                                 static_cast<unsigned char>(msg[at + 1]));
  };
  if (u16(0) != id) return DnsOutcome::kBadReply;
  uint16_t flags = u16(2);
  if ((flags & 0x8000) == 0) return DnsOutcome::kBadReply;  // not a response
  int rcode = flags & 0x000f;
  if (rcode == 3) return DnsOutcome::kNoSuchName;
  if (rcode != 0) return DnsOutcome::kNoAnswer;
  uint16_t qdcount = u16(4);
  uint16_t ancount = u16(6);
  size_t pos = 12;
  for (int i = 0; i < qdcount; ++i) {
    if (!SkipDnsName(msg, &pos) || pos + 4 > msg.size()) return DnsOutcome::kBadReply;
    pos += 4;
  }
  for (int i = 0; i < ancount; ++i) {
    if (!SkipDnsName(msg, &pos) || pos + 10 > msg.size()) return DnsOutcome::kBadReply;
    uint16_t type = u16(pos);
    uint16_t klass = u16(pos + 2);
    uint16_t rdlength = u16(pos + 8);
    pos += 10;
    if (pos + rdlength > msg.size()) return DnsOutcome::kBadReply;
    if (type == 1 && klass == 1 && rdlength == 4) {
      char text[INET_ADDRSTRLEN] = {};
      if (inet_ntop(AF_INET, msg.data() + pos, text, sizeof(text)) == nullptr) {
        return DnsOutcome::kBadReply;
      }
      *address = text;
      return DnsOutcome::kFound;
    }
    pos += rdlength;
  }
  return DnsOutcome::kNoAnswer;
}

// One UDP query to one nameserver, waiting at most until `deadline`.
inline DnsOutcome QueryNameserver(const std::string& server, uint16_t port, const std::string& name,
                                  std::chrono::steady_clock::time_point deadline,
                                  std::string* address) {
  static std::atomic<unsigned> counter{0};
  uint16_t id = static_cast<uint16_t>(
      (static_cast<unsigned>(getpid()) * 2654435761u) ^
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
      counter.fetch_add(1));
  std::string query = EncodeDnsQuery(id, name);
  if (query.empty()) return DnsOutcome::kNoSuchName;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return DnsOutcome::kBadReply;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  DnsOutcome outcome = DnsOutcome::kBadReply;
  if (inet_pton(AF_INET, server.c_str(), &addr.sin_addr) == 1 &&
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      send(fd, query.data(), query.size(), 0) == static_cast<ssize_t>(query.size())) {
    // Bounded: each iteration either returns or consumes one (stray) datagram.
    for (int replies = 0; replies < 16; ++replies) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) break;
      pollfd pfd{fd, POLLIN, 0};
      int ready = poll(&pfd, 1, static_cast<int>(left));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) break;
      char buffer[1500];
      ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n < 0) break;  // e.g. ECONNREFUSED: nobody listens there
      outcome = ParseDnsReply(std::string(buffer, static_cast<size_t>(n)), id, address);
      if (outcome != DnsOutcome::kBadReply) break;
    }
  }
  close(fd);
  return outcome;
}

}  // namespace internal

// Resolves `host` to one IPv4 address in dotted form (see the file comment for the order).
inline Result<std::string> ResolveIPv4(const std::string& host,
                                       const ResolverOptions& options = ResolverOptions()) {
  if (host.empty()) return Error{"cannot resolve an empty host name"};
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) == 1) {
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &addr, text, sizeof(text));
    return std::string(text);
  }
  if (std::optional<std::string> found = internal::LookupHostsFile(options.hosts_path, host)) {
    return *found;
  }
  if (!options.use_dns) {
    return Error{"cannot resolve '" + host + "': not a numeric IPv4 address and not in " +
                 options.hosts_path + " (DNS disabled)"};
  }
  internal::ResolvConf conf = internal::ParseResolvConf(options.resolv_conf_path);
  if (conf.nameservers.empty()) {
    return Error{"cannot resolve '" + host + "': not a numeric IPv4 address, not in " +
                 options.hosts_path + ", and no IPv4 nameserver in " + options.resolv_conf_path};
  }
  std::vector<std::string> candidates;
  bool absolute = host.back() == '.';
  int dots = 0;
  for (char c : host) dots += c == '.';
  if (absolute || dots >= conf.ndots) candidates.push_back(host);
  if (!absolute) {
    for (const std::string& domain : conf.search) candidates.push_back(host + "." + domain);
    if (dots < conf.ndots) candidates.push_back(host);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.timeout_ms);
  bool any_reply = false;
  for (const std::string& name : candidates) {
    for (const std::string& server : conf.nameservers) {
      if (std::chrono::steady_clock::now() >= deadline) break;
      // Give each server an equal share of what is left, so one dead server cannot eat all.
      auto share =
          (deadline - std::chrono::steady_clock::now()) / static_cast<int>(conf.nameservers.size());
      std::string address;
      internal::DnsOutcome outcome = internal::QueryNameserver(
          server, options.dns_port, name, std::chrono::steady_clock::now() + share, &address);
      if (outcome == internal::DnsOutcome::kFound) return address;
      if (outcome != internal::DnsOutcome::kBadReply) {
        any_reply = true;
        break;  // an authoritative "no": try the next candidate name
      }
    }
  }
  return Error{"cannot resolve '" + host + "': not in " + options.hosts_path + " and " +
               (any_reply ? "DNS has no A record for it"
                          : "no DNS answer in time from " + conf.nameservers.front())};
}

}  // namespace guest
}  // namespace maestro

#endif  // MAESTRO_GUEST_RESOLVE_H_
