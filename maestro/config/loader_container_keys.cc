// Loader: the Compose-style container keys (docs/environment.md#container-keys). Each may be
// set on the service (a default for its instances) or on an instance (replacing the
// service's value as a whole). Every bad value is reported at its YAML node.
#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "maestro/config/loader_internal.h"
#include "maestro/config/parsers.h"

namespace maestro {
namespace config {
namespace loader_internal {
namespace {

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), absl::ascii_isdigit);
}

// A size as a string ("64m"), through the one size parser.
absl::StatusOr<int64_t> SizeText(absl::string_view text) {
  YamlNode node;
  node.kind = Kind::kString;
  node.text = std::string(text);
  absl::StatusOr<std::optional<int64_t>> bytes = ParseBytes(node);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return Invalid("empty size");
  return **bytes;
}

absl::StatusOr<std::string> OctalMode(absl::string_view text) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; })) {
    return Invalid(absl::StrCat("mode '", text, "' must be an octal number such as 1777"));
  }
  while (text.size() > 1 && text[0] == '0') text.remove_prefix(1);
  if (text.size() > 4) return Invalid(absl::StrCat("mode '", text, "' is above 7777"));
  return std::string(text);
}

const std::vector<std::string> kTmpfsFlags = {"ro",   "rw",     "exec", "noexec",
                                              "suid", "nosuid", "dev",  "nodev"};

// "size=64m,mode=1777,noexec" -> "size=67108864,mode=1777,noexec" (size and mode first).
absl::StatusOr<std::string> TmpfsOptions(absl::string_view text) {
  std::string size, mode;
  std::vector<std::string> rest;
  for (absl::string_view opt : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    opt = absl::StripAsciiWhitespace(opt);
    std::pair<std::string, std::string> kv = absl::StrSplit(opt, absl::MaxSplits('=', 1));
    if (kv.first == "size") {
      absl::StatusOr<int64_t> bytes = SizeText(kv.second);
      if (!bytes.ok()) return Invalid(absl::StrCat("tmpfs size: ", bytes.status().message()));
      size = absl::StrCat("size=", *bytes);
    } else if (kv.first == "mode") {
      absl::StatusOr<std::string> m = OctalMode(kv.second);
      if (!m.ok()) return Invalid(absl::StrCat("tmpfs ", m.status().message()));
      mode = absl::StrCat("mode=", *m);
    } else if (kv.first == "uid" || kv.first == "gid" || kv.first == "nr_inodes") {
      if (!AllDigits(kv.second)) {
        return Invalid(
            absl::StrCat("tmpfs option ", kv.first, " must be a number, got '", kv.second, "'"));
      }
      rest.emplace_back(opt);
    } else if (opt.find('=') == absl::string_view::npos && Contains(kTmpfsFlags, kv.first)) {
      rest.emplace_back(opt);
    } else {
      return Invalid(absl::StrCat("unknown tmpfs option '", opt,
                                  "' (use size, mode, uid, gid, nr_inodes, ",
                                  absl::StrJoin(kTmpfsFlags, ", "), ")"));
    }
  }
  std::vector<std::string> all;
  if (!size.empty()) all.push_back(size);
  if (!mode.empty()) all.push_back(mode);
  all.insert(all.end(), rest.begin(), rest.end());
  return absl::StrJoin(all, ",");
}

absl::Status CheckContainerPath(absl::string_view path, absl::string_view what) {
  if (path.empty() || path[0] != '/') {
    return Invalid(absl::StrCat(what, " path '", path, "' must be absolute"));
  }
  return absl::OkStatus();
}

// Linux signal names as Docker's ParseSignal knows them (without "SIG").
const std::vector<std::string> kSignals = {
    "ABRT", "ALRM",   "BUS",  "CHLD",   "CLD",   "CONT", "FPE",  "HUP",   "ILL",
    "INT",  "IO",     "IOT",  "KILL",   "PIPE",  "POLL", "PROF", "PWR",   "QUIT",
    "SEGV", "STKFLT", "STOP", "SYS",    "TERM",  "TRAP", "TSTP", "TTIN",  "TTOU",
    "URG",  "USR1",   "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX"};

// "SIGTERM", "term", "15", "SIGRTMIN+3" -> "SIGTERM", "SIGTERM", "15", "SIGRTMIN+3".
absl::StatusOr<std::string> Signal(absl::string_view text) {
  int n = 0;
  if (AllDigits(text) && absl::SimpleAtoi(text, &n)) {
    if (n < 1 || n > 64) return Invalid(absl::StrCat("signal number ", n, " is not 1-64"));
    return std::string(text);
  }
  std::string name = absl::AsciiStrToUpper(text);
  absl::string_view bare = name;
  absl::ConsumePrefix(&bare, "SIG");
  std::string base(bare);
  for (const char* rt : {"RTMIN+", "RTMAX-"}) {
    absl::string_view b = bare;
    if (absl::ConsumePrefix(&b, rt) && AllDigits(b) && absl::SimpleAtoi(b, &n) && n >= 1 &&
        n <= 15) {
      return absl::StrCat("SIG", bare);
    }
  }
  if (!Contains(kSignals, base)) {
    return Invalid(absl::StrCat("unknown signal '", text,
                                "' (a name such as SIGTERM, SIGQUIT, SIGRTMIN+3, or a number)"));
  }
  return absl::StrCat("SIG", base);
}

absl::Status CheckIpc(absl::string_view mode) {
  for (const char* ok : {"none", "private", "shareable", "host"}) {
    if (mode == ok) return absl::OkStatus();
  }
  absl::string_view name = mode;
  if (absl::ConsumePrefix(&name, "container:") && !name.empty()) return absl::OkStatus();
  return Invalid(absl::StrCat("ipc must be none, private, shareable, host or container:NAME, got '",
                              mode, "'"));
}

absl::Status CheckCpuset(absl::string_view set) {
  for (absl::string_view part : absl::StrSplit(set, ',')) {
    std::pair<absl::string_view, absl::string_view> range =
        absl::StrSplit(part, absl::MaxSplits('-', 1));
    int lo = 0, hi = 0;
    bool ok = AllDigits(range.first) && absl::SimpleAtoi(range.first, &lo);
    if (ok && part.find('-') != absl::string_view::npos) {
      ok = AllDigits(range.second) && absl::SimpleAtoi(range.second, &hi) && hi >= lo;
    }
    if (!ok) {
      return Invalid(
          absl::StrCat("cpuset '", set, "' must be CPU numbers and ranges such as 0-2,4"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMac(absl::string_view mac) {
  std::vector<absl::string_view> parts = absl::StrSplit(mac, ':');
  bool ok = parts.size() == 6;
  for (absl::string_view p : parts) {
    ok = ok && p.size() == 2 && absl::ascii_isxdigit(p[0]) && absl::ascii_isxdigit(p[1]);
  }
  if (!ok) return Invalid(absl::StrCat("mac_address '", mac, "' must look like 02:42:ac:11:00:02"));
  return absl::OkStatus();
}

absl::Status CheckDomainname(absl::string_view name) {
  bool ok = !name.empty() && name.size() <= 253;
  for (char ch : name) ok = ok && (absl::ascii_isalnum(ch) || ch == '-' || ch == '.');
  if (!ok) {
    return Invalid(absl::StrCat("domainname '", name, "' must be letters, digits, '-' and '.'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<model::Device> ParseDevice(absl::string_view spec) {
  std::vector<std::string> parts = absl::StrSplit(spec, ':');
  model::Device d;
  if (parts.size() > 3) {
    return Invalid(
        absl::StrCat("device '", spec, "' must be HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]]"));
  }
  d.host = parts[0];
  d.container = parts.size() > 1 ? parts[1] : parts[0];
  d.permissions = parts.size() > 2 ? parts[2] : "rwm";
  if (absl::Status s = CheckContainerPath(d.host, "device host"); !s.ok()) return s;
  if (absl::Status s = CheckContainerPath(d.container, "device container"); !s.ok()) return s;
  bool ok = !d.permissions.empty() && d.permissions.size() <= 3;
  for (char ch : d.permissions) {
    ok = ok && (ch == 'r' || ch == 'w' || ch == 'm') &&
         std::count(d.permissions.begin(), d.permissions.end(), ch) == 1;
  }
  if (!ok) {
    return Invalid(
        absl::StrCat("device permissions '", d.permissions, "' must be letters from r, w and m"));
  }
  return d;
}

bool IsSysctlName(absl::string_view name) {
  bool ok = !name.empty();
  for (char ch : name) {
    ok = ok && (absl::ascii_isalnum(ch) || ch == '.' || ch == '_' || ch == '-' || ch == '/');
  }
  return ok;
}

}  // namespace

const std::vector<std::string>& ContainerKeyNames() {
  static const std::vector<std::string> kKeys = {"tmpfs",
                                                 "read_only",
                                                 "init",
                                                 "shm_size",
                                                 "sysctls",
                                                 "devices",
                                                 "group_add",
                                                 "ipc",
                                                 "stop_signal",
                                                 "oom_score_adj",
                                                 "cpuset",
                                                 "cpu_shares",
                                                 "memory_reservation",
                                                 "pids_limit",
                                                 "entrypoint",
                                                 "tty",
                                                 "stdin_open",
                                                 "domainname",
                                                 "mac_address"};
  return kKeys;
}

std::vector<std::string> WithContainerKeys(std::vector<std::string> keys) {
  const std::vector<std::string>& more = ContainerKeyNames();
  keys.insert(keys.end(), more.begin(), more.end());
  return keys;
}

// The scalar text of a string, number or (for sysctl-like values) int; bools and nulls are
// errors.
std::optional<std::string> Loader::Word(const YamlNode& node, const std::string& what) {
  if (node.IsScalar() && !node.IsNull() && node.kind != Kind::kBool) return node.PyStr();
  Error(node, absl::StrCat(what, " must be a string, got ", node.KindName()));
  return std::nullopt;
}

void Loader::LoadTmpfs(const YamlNode& n, model::ContainerOptions& o) {
  auto add = [&](const YamlNode& at, absl::string_view path, absl::string_view options) {
    path = absl::StripAsciiWhitespace(path);
    if (absl::Status s = CheckContainerPath(path, "tmpfs"); !s.ok()) {
      Error(at, std::string(s.message()));
      return;
    }
    absl::StatusOr<std::string> opts = TmpfsOptions(options);
    if (!opts.ok()) {
      Error(at, std::string(opts.status().message()));
    } else if (!o.tmpfs.emplace(std::string(path), *opts).second) {
      Error(at, absl::StrCat("tmpfs path '", path, "' is given twice"));
    }
  };
  auto add_string = [&](const YamlNode& item) {
    std::optional<std::string> s = Word(item, "a tmpfs entry");
    if (!s) return;
    std::pair<std::string, std::string> split = absl::StrSplit(*s, absl::MaxSplits(':', 1));
    add(item, split.first, split.second);
  };
  if (n.IsSequence()) {
    for (const YamlNode& item : n.items) add_string(item);
  } else if (n.IsMapping()) {
    for (size_t i = 0; i < n.keys.size(); ++i) {
      const YamlNode& v = n.values[i];
      std::string path = n.KeyAt(i);
      if (v.IsNull()) {
        add(n.keys[i], path, "");
      } else if (v.IsString()) {
        add(v, path, v.text);
      } else if (v.IsMapping()) {
        CheckKeys(v, {"size", "mode"}, absl::StrCat(" in tmpfs '", path, "'"));
        std::vector<std::string> opts;
        if (const YamlNode* size = v.Find("size"); size && !size->IsNull()) {
          absl::StatusOr<std::optional<int64_t>> bytes = ParseBytes(*size);
          if (!bytes.ok()) {
            Error(*size, absl::StrCat("tmpfs size: ", bytes.status().message()));
            continue;
          }
          if (bytes->has_value()) opts.push_back(absl::StrCat("size=", **bytes));
        }
        if (const YamlNode* mode = v.Find("mode"); mode && !mode->IsNull()) {
          // `mode: 1777` reads as the integer 1777; its digits are the octal mode.
          std::optional<std::string> m = Word(*mode, "tmpfs mode");
          if (!m) continue;
          opts.push_back(absl::StrCat("mode=", *m));
        }
        add(v, path, absl::StrJoin(opts, ","));
      } else {
        Error(v,
              absl::StrCat("tmpfs '", path,
                           "' must be null, {size, mode} or an option string, got ", v.KindName()));
      }
    }
  } else {
    add_string(n);
  }
}

void Loader::LoadContainerKeys(const YamlNode& service_node, const YamlNode& node,
                               model::Instance& c) {
  // Filled in place; an instance without any of these keys keeps no ContainerOptions of its own.
  model::ContainerOptions o;
  bool any = false;
  for (const std::string& key : ContainerKeyNames()) {
    const YamlNode* n = node.Find(key);
    if (n == nullptr) n = service_node.Find(key);
    if (n == nullptr || n->IsNull()) continue;
    any = true;
    auto report = [&](const absl::Status& s) {
      if (!s.ok()) Error(*n, std::string(s.message()));
      return s.ok();
    };
    if (key == "tmpfs") {
      LoadTmpfs(*n, o);
    } else if (key == "read_only" || key == "init" || key == "tty" || key == "stdin_open") {
      std::optional<bool>* target = key == "read_only" ? &o.read_only
                                    : key == "init"    ? &o.init
                                    : key == "tty"     ? &o.tty
                                                       : &o.stdin_open;
      if (auto b = Bool(*n, key)) *target = *b;
    } else if (key == "shm_size" || key == "memory_reservation") {
      absl::StatusOr<std::optional<int64_t>> bytes = ParseBytes(*n);
      if (!bytes.ok()) {
        Error(*n, absl::StrCat("invalid ", key, ": ", bytes.status().message()));
      } else {
        (key == "shm_size" ? o.shm_size : o.memory_reservation) = *bytes;
      }
    } else if (key == "sysctls") {
      StringMapRules rules;
      rules.strict_values = true;
      rules.require_equals = true;
      rules.check = [](const std::string& name, const std::string&) {
        return IsSysctlName(name) ? absl::OkStatus()
                                  : Invalid(absl::StrCat("invalid sysctl name '", name, "'"));
      };
      if (auto m = StringMap(*n, key, rules)) o.sysctls = *m;
    } else if (key == "devices" || key == "group_add") {
      if (!n->IsSequence()) {
        Error(*n, absl::StrCat(key, " must be a list, got ", n->KindName()));
        continue;
      }
      for (const YamlNode& item : n->items) {
        std::optional<std::string> s = Word(item, absl::StrCat("a ", key, " entry"));
        if (!s) continue;
        if (key == "group_add") {
          o.group_add.push_back(*s);
        } else if (absl::StatusOr<model::Device> d = ParseDevice(*s); !d.ok()) {
          Error(item, std::string(d.status().message()));
        } else {
          o.devices.push_back(*d);
        }
      }
    } else if (key == "oom_score_adj" || key == "pids_limit" || key == "cpu_shares") {
      std::optional<int64_t> v = Int(*n, key);
      if (!v) continue;
      if (key == "oom_score_adj" && (*v < -1000 || *v > 1000)) {
        Error(*n, absl::StrCat("oom_score_adj must be between -1000 and 1000, got ", *v));
      } else if (key == "pids_limit" && *v < -1) {
        Error(*n, absl::StrCat("pids_limit must be -1 (unlimited) or more, got ", *v));
      } else if (key == "cpu_shares" && *v < 0) {
        Error(*n, absl::StrCat("cpu_shares must not be negative, got ", *v));
      } else if (key == "cpu_shares" && c.limits.cpu && *c.limits.cpu != *v) {
        Error(*n, absl::StrCat("cpu_shares (", *v, ") conflicts with limits.cpu (", *c.limits.cpu,
                               "): both set CpuShares; keep one"));
      } else if (key == "cpu_shares") {
        c.limits.cpu = *v;
      } else {
        (key == "oom_score_adj" ? o.oom_score_adj : o.pids_limit) = *v;
      }
    } else if (key == "entrypoint") {
      if (n->IsSequence()) {
        std::vector<std::string> argv;
        for (const YamlNode& item : n->items) {
          if (auto s = Word(item, "an entrypoint list item")) argv.push_back(*s);
        }
        o.entrypoint = argv.empty() ? std::vector<std::string>{""} : argv;
      } else if (auto s = Word(*n, "entrypoint")) {
        absl::StatusOr<std::vector<std::string>> argv = ShlexSplit(*s);
        if (!argv.ok()) {
          Error(*n, absl::StrCat("cannot split entrypoint: ", argv.status().message()));
        } else {
          // An empty entrypoint clears the image's (Docker's [""]).
          o.entrypoint = argv->empty() ? std::vector<std::string>{""} : *argv;
        }
      }
    } else if (std::optional<std::string> s = Word(*n, key)) {
      if (key == "ipc" && report(CheckIpc(*s))) o.ipc = *s;
      if (key == "cpuset" && report(CheckCpuset(*s))) o.cpuset = *s;
      if (key == "mac_address" && report(CheckMac(*s))) o.mac_address = absl::AsciiStrToLower(*s);
      if (key == "domainname" && report(CheckDomainname(*s))) o.domainname = *s;
      if (key == "stop_signal") {
        absl::StatusOr<std::string> sig = Signal(*s);
        if (report(sig.status())) o.stop_signal = *sig;
      }
    }
  }
  if (any) c.options = std::move(o);
}

}  // namespace loader_internal
}  // namespace config
}  // namespace maestro
