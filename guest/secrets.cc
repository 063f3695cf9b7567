#include "guest/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <thread>

namespace maestro {
namespace guest {
namespace {

constexpr char kProgram[] = "maestro-guest";
constexpr std::chrono::milliseconds kLookInterval{100};
constexpr double kDefaultTimeoutSeconds = 120;
// A secret's value is at most 1 MiB (docs/environment.md#secrets); more is not a value.
constexpr size_t kMaxValue = 1 << 20;

int Usage(std::ostream& err, const std::string& message) {
  err << kProgram << ": " << message << "\n";
  return 2;
}

std::optional<double> ParseSeconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(value) || value < 0 ||
      value > 86400) {
    return std::nullopt;
  }
  return value;
}

std::optional<long long> ParseNumber(const std::string& text, int base, long long max) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > (base == 8 ? '7' : '9')) return std::nullopt;
  }
  long long value = std::strtoll(text.c_str(), nullptr, base);
  if (value > max) return std::nullopt;
  return value;
}

// "--dir D": absolute and without a trailing slash (except "/").
std::optional<std::string> CheckDir(const std::string& dir) {
  if (dir.empty() || dir[0] != '/') return std::nullopt;
  std::string out = dir;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// mkdir -p of `dir` (mode 0700 under the umask), bounded by its number of components.
std::string MakeDirs(const std::string& dir) {
  for (size_t at = 1; at <= dir.size(); ++at) {
    if (at != dir.size() && dir[at] != '/') continue;
    std::string part = dir.substr(0, at);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return Errno("cannot create", part);
  }
  return "";
}

std::string WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::strerror(errno);
    done += static_cast<size_t>(n);
  }
  return "";
}

// Writes `value` to target.tmp with `mode` and the owner, then renames it to `target`, so that
// the application never sees half a value.
std::string WriteSecret(const std::string& target, const std::string& value, int mode,
                        long long uid, long long gid) {
  ::umask(077);
  const std::string dir = target.substr(0, target.rfind('/'));
  if (!dir.empty()) {
    if (std::string problem = MakeDirs(dir); !problem.empty()) return problem;
  }
  const std::string tmp = target + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  std::string problem = WriteAll(fd, value);
  if (!problem.empty()) {
    problem = "cannot write " + tmp + ": " + problem;
  } else if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    problem = Errno("cannot chmod", tmp);
  } else if (::fchown(fd, static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0) {
    problem = Errno("cannot chown", tmp);
  }
  if (::close(fd) != 0 && problem.empty()) problem = Errno("cannot close", tmp);
  if (problem.empty() && ::rename(tmp.c_str(), target.c_str()) != 0) {
    problem = Errno("cannot rename to", target);
  }
  if (!problem.empty()) ::unlink(tmp.c_str());
  return problem;
}

}  // namespace

SecretsSystem RealSecretsSystem() {
  SecretsSystem s;
  s.exists = [](const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  };
  s.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  s.exec = [](const std::vector<std::string>& argv) -> std::string {
    std::vector<char*> c_argv;
    for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
    c_argv.push_back(nullptr);
    std::cout.flush();
    std::cerr.flush();
    ::execvp(c_argv[0], c_argv.data());
    return std::strerror(errno);
  };
  s.in = &std::cin;
  return s;
}

int SecretsWait(const std::vector<std::string>& args, const SecretsSystem& system,
                std::ostream& err) {
  const char* usage = "usage: secrets-wait [--timeout SECONDS] [--dir DIR] -- CMD [ARGS...]";
  double timeout = kDefaultTimeoutSeconds;
  std::string dir = kDefaultSecretsDir;
  bool check = false;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.rfind("--", 0) != 0) break;  // CMD starts here
    if (a == "--check") {
      check = true;
      continue;
    }
    if (a != "--timeout" && a != "--dir")
      return Usage(err, "unknown option " + a + " (" + usage + ")");
    if (i + 1 >= args.size()) return Usage(err, "option " + a + " needs a value");
    const std::string& value = args[++i];
    if (a == "--timeout") {
      std::optional<double> seconds = ParseSeconds(value);
      if (!seconds) {
        return Usage(err,
                     "--timeout must be a number of seconds (0 to 86400), got '" + value + "'");
      }
      timeout = *seconds;
    } else {
      std::optional<std::string> checked = CheckDir(value);
      if (!checked) return Usage(err, "--dir must be an absolute path, got '" + value + "'");
      dir = *checked;
    }
  }
  std::vector<std::string> cmd(args.begin() + static_cast<long>(i), args.end());
  const std::string marker = (dir == "/" ? "" : dir) + "/" + kReadyMarker;
  if (check) {
    if (!cmd.empty()) return Usage(err, "--check takes no command");
    return system.exists(marker) ? 0 : 1;
  }
  if (cmd.empty()) return Usage(err, usage);
  // One look every 100 ms: at most timeout / 100 ms sleeps, and one look after the last.
  const long long sleeps = std::llround(std::ceil(timeout * 1000 / kLookInterval.count()));
  bool ready = system.exists(marker);
  for (long long n = 0; !ready && n < sleeps; ++n) {
    system.sleep(kLookInterval);
    ready = system.exists(marker);
  }
  if (!ready) {
    err << "maestro: secrets were not delivered to " << dir << " within " << timeout
        << " s (maestro start delivers them; see docs/environment.md#secrets)\n";
    return kExitSecretsNotDelivered;
  }
  std::string reason = system.exec(cmd);
  err << kProgram << ": cannot execute " << cmd[0] << ": " << reason << "\n";
  return kExitExecFailed;
}

int SecretsWrite(const std::vector<std::string>& args, const SecretsSystem& system,
                 std::ostream& err) {
  const char* usage =
      "usage: secrets-write TARGET MODE UID GID (the value on stdin) | "
      "secrets-write --ready [--dir DIR]";
  if (!args.empty() && args[0] == "--ready") {
    std::string dir = kDefaultSecretsDir;
    if (args.size() == 3 && args[1] == "--dir") {
      std::optional<std::string> checked = CheckDir(args[2]);
      if (!checked) return Usage(err, "--dir must be an absolute path, got '" + args[2] + "'");
      dir = *checked;
    } else if (args.size() != 1) {
      return Usage(err, usage);
    }
    const std::string marker = (dir == "/" ? "" : dir) + "/" + kReadyMarker;
    int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      err << kProgram << ": " << Errno("cannot create", marker) << "\n";
      return 1;
    }
    ::close(fd);
    return 0;
  }
  if (args.size() != 4) return Usage(err, usage);
  const std::string& target = args[0];
  if (target.size() < 2 || target[0] != '/' || target.back() == '/') {
    return Usage(err, "TARGET must be an absolute file path, got '" + target + "'");
  }
  std::optional<long long> mode = ParseNumber(args[1], 8, 07777);
  if (!mode) return Usage(err, "MODE must be octal permissions like 0400, got '" + args[1] + "'");
  std::optional<long long> uid = ParseNumber(args[2], 10, 0x7fffffff);
  std::optional<long long> gid = ParseNumber(args[3], 10, 0x7fffffff);
  if (!uid || !gid) {
    return Usage(err, "UID and GID must be numbers from 0 to 2147483647, got '" + args[2] +
                          "' and '" + args[3] + "'");
  }
  if (system.in == nullptr) return Usage(err, "no standard input");
  std::string value;
  char buf[65536];
  // Bounded: at most kMaxValue + one buffer is read.
  while (value.size() <= kMaxValue && system.in->read(buf, sizeof(buf)).gcount() > 0) {
    value.append(buf, static_cast<size_t>(system.in->gcount()));
  }
  if (value.size() > kMaxValue) {
    err << kProgram << ": the value for " << target << " is larger than 1 MiB\n";
    return 1;
  }
  std::string problem = WriteSecret(target, value, static_cast<int>(*mode), *uid, *gid);
  if (!problem.empty()) {
    err << kProgram << ": " << problem << "\n";
    return 1;
  }
  return 0;
}

}  // namespace guest
}  // namespace maestro
