#include "maestro/config/parsers.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "maestro/model/secrets.h"

namespace maestro {
namespace config {
namespace {

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

absl::StatusOr<int> PortNumber(absl::string_view digits, absl::string_view atom) {
  int value = 0;
  if (digits.size() > 5 || !absl::SimpleAtoi(digits, &value) || value < 1 || value > 65535) {
    return Invalid(absl::StrCat("port ", digits, " in '", atom, "' is out of range (1-65535)"));
  }
  return value;
}

// The text of an atom given as a YAML scalar: ints as digits, strings as written.
absl::StatusOr<std::string> AtomText(const YamlNode& node, const std::string& name) {
  if (node.kind == YamlNode::Kind::kInt || node.kind == YamlNode::Kind::kString) {
    return node.PyStr();
  }
  return Invalid(absl::StrCat("invalid port spec for port '", name,
                              "': expected a port number "
                              "or string, got ",
                              node.KindName()));
}

}  // namespace

absl::StatusOr<model::PortAtom> ParsePortAtom(absl::string_view atom) {
  auto bad = [&]() {
    return Invalid(absl::StrCat("invalid port specification '", atom,
                                "'; expected <port>, <p1>-<p2> or <port>/{tcp,udp}"));
  };
  model::PortAtom out;
  absl::string_view rest = atom;
  size_t slash = rest.find('/');
  if (slash != absl::string_view::npos) {
    absl::string_view proto = rest.substr(slash + 1);
    if (proto != "tcp" && proto != "udp") return bad();
    out.protocol = std::string(proto);
    rest = rest.substr(0, slash);
  }
  size_t dash = rest.find('-');
  absl::string_view p1 = rest.substr(0, dash);
  absl::string_view p2 = dash == absl::string_view::npos ? p1 : rest.substr(dash + 1);
  if (!AllDigits(p1) || !AllDigits(p2)) return bad();
  auto first = PortNumber(p1, atom);
  if (!first.ok()) return first.status();
  auto last = PortNumber(p2, atom);
  if (!last.ok()) return last.status();
  if (*last < *first) {
    return Invalid(absl::StrCat("invalid port range '", atom, "': ", *last, " is below ", *first));
  }
  out.first = *first;
  out.last = *last;
  return out;
}

absl::StatusOr<model::Port> ParsePort(const std::string& name, const YamlNode& spec) {
  model::Port port;
  port.name = name;
  auto check_protocols = [&name](const model::Port& p) -> absl::Status {
    if (p.exposed.protocol != p.external.protocol) {
      return Invalid(absl::StrCat("mismatched protocols between ", p.exposed.ToString(), " and ",
                                  p.external.ToString()));
    }
    // A range of container ports maps port i to external port i: both sides need as many
    // ports (one exposed port may still take any free port of an external range, as Docker).
    int exposed_count = p.exposed.last - p.exposed.first + 1;
    int external_count = p.external.last - p.external.first + 1;
    if (p.exposed.is_range() && exposed_count != external_count) {
      return Invalid(absl::StrCat("port '", name, "' maps ", exposed_count, " exposed port",
                                  exposed_count == 1 ? "" : "s", " (", p.exposed.Number(), ") to ",
                                  external_count, " external port", external_count == 1 ? "" : "s",
                                  " (", p.external.Number(),
                                  "); both sides of a range need the same length"));
    }
    return absl::OkStatus();
  };
  if (spec.kind == YamlNode::Kind::kInt || spec.kind == YamlNode::Kind::kString) {
    std::string text = spec.PyStr();
    std::vector<std::string> parts = absl::StrSplit(text, ':');
    if (parts.size() > 2) {
      return Invalid(absl::StrCat("invalid port spec '", text, "' for port '", name,
                                  "'; expected \"exposed[:external]\""));
    }
    auto exposed = ParsePortAtom(parts[0]);
    if (!exposed.ok()) return exposed.status();
    auto external = ParsePortAtom(parts.size() == 2 ? parts[1] : parts[0]);
    if (!external.ok()) return external.status();
    port.exposed = *exposed;
    port.external = *external;
    absl::Status st = check_protocols(port);
    if (!st.ok()) return st;
    return port;
  }
  if (spec.IsMapping()) {
    const YamlNode* exposed = spec.Find("exposed");
    const YamlNode* external = spec.Find("external");
    if (exposed == nullptr || external == nullptr) {
      return Invalid(absl::StrCat("invalid port spec for port '", name,
                                  "': a mapping needs both 'exposed' and 'external'"));
    }
    for (size_t i = 0; i < spec.keys.size(); ++i) {
      std::string key = spec.KeyAt(i);
      if (key != "exposed" && key != "external") {
        return Invalid(absl::StrCat("invalid port spec for port '", name, "': unknown key '", key,
                                    "' (expected 'exposed' and 'external')"));
      }
    }
    auto exposed_text = AtomText(*exposed, name);
    if (!exposed_text.ok()) return exposed_text.status();
    auto exposed_atom = ParsePortAtom(*exposed_text);
    if (!exposed_atom.ok()) return exposed_atom.status();
    port.exposed = *exposed_atom;
    const YamlNode* external_port = external;
    if (external->IsSequence()) {
      if (external->items.size() != 2 || !external->items[0].IsScalar() ||
          external->items[0].IsNull()) {
        return Invalid(absl::StrCat("invalid port spec for port '", name,
                                    "': 'external' as a list must be [host_ip, port]"));
      }
      port.host_ip = external->items[0].PyStr();
      external_port = &external->items[1];
    }
    auto external_text = AtomText(*external_port, name);
    if (!external_text.ok()) return external_text.status();
    auto external_atom = ParsePortAtom(*external_text);
    if (!external_atom.ok()) return external_atom.status();
    port.external = *external_atom;
    absl::Status st = check_protocols(port);
    if (!st.ok()) return st;
    return port;
  }
  return Invalid(absl::StrCat("invalid port spec for port '", name,
                              "': expected a number, a "
                              "string or a mapping, got ",
                              spec.KindName()));
}

absl::StatusOr<std::optional<int64_t>> ParseBytes(const YamlNode& value) {
  if (value.IsNull()) return std::optional<int64_t>();
  if (value.kind == YamlNode::Kind::kInt) {
    if (value.IsBigInt()) return Invalid(absl::StrCat("size ", value.big_int, " is out of range"));
    if (value.int_value < 0) return Invalid(absl::StrCat("negative size ", value.int_value));
    return std::optional<int64_t>(value.int_value);
  }
  if (value.kind != YamlNode::Kind::kString) {
    return Invalid(absl::StrCat("expected a size such as 512m or a number of bytes, got ",
                                value.KindName(), " '", value.PyStr(), "'"));
  }
  const std::string& s = value.text;
  if (s.empty()) return std::optional<int64_t>();
  char suffix = static_cast<char>(std::tolower(static_cast<unsigned char>(s.back())));
  static const std::map<char, int64_t> kUnits = {
      {'k', int64_t{1} << 10}, {'m', int64_t{1} << 20}, {'g', int64_t{1} << 30}};
  auto unit = kUnits.find(suffix);
  absl::string_view number = s;
  int64_t multiplier = 1;
  if (unit != kUnits.end()) {
    number = absl::StripAsciiWhitespace(absl::string_view(s).substr(0, s.size() - 1));
    multiplier = unit->second;
  } else if (!AllDigits(absl::StripAsciiWhitespace(s))) {
    if (std::isalpha(static_cast<unsigned char>(suffix))) {
      return Invalid(absl::StrCat("unknown unit suffix '", std::string(1, s.back()), "' in '", s,
                                  "' (use k, m or g)"));
    }
    return Invalid(absl::StrCat("invalid size '", s, "'"));
  } else {
    number = absl::StripAsciiWhitespace(s);
  }
  int64_t n = 0;
  if (!AllDigits(number) || !absl::SimpleAtoi(number, &n)) {
    return Invalid(absl::StrCat("invalid size '", s, "': expected a whole number",
                                multiplier > 1 ? " before the unit" : ""));
  }
  if (n > std::numeric_limits<int64_t>::max() / multiplier) {
    return Invalid(absl::StrCat("size '", s, "' is too large"));
  }
  return std::optional<int64_t>(n * multiplier);
}

absl::StatusOr<int64_t> ParseDuration(const YamlNode& value) {
  constexpr double kSecond = 1e9;
  constexpr double kMax = 10000.0 * 3600 * kSecond;
  auto finish = [&](double ns, const std::string& text) -> absl::StatusOr<int64_t> {
    if (!(ns >= 0)) return Invalid(absl::StrCat("negative duration '", text, "'"));
    if (ns > kMax) return Invalid(absl::StrCat("duration '", text, "' is too long (max 10000h)"));
    if (ns > 0 && ns < 1e6) {
      return Invalid(absl::StrCat("duration '", text, "' is below Docker's minimum of 1ms"));
    }
    return static_cast<int64_t>(ns + 0.5);
  };
  if (value.kind == YamlNode::Kind::kInt && !value.IsBigInt()) {
    return finish(static_cast<double>(value.int_value) * kSecond, value.PyStr());
  }
  if (value.kind == YamlNode::Kind::kFloat) {
    if (!std::isfinite(value.float_value)) {
      return Invalid(absl::StrCat("invalid duration '", value.PyStr(), "'"));
    }
    return finish(value.float_value * kSecond, value.PyStr());
  }
  const std::string usage = "expected a duration such as 5s, 1m30s, 500ms or a number of seconds";
  if (value.kind != YamlNode::Kind::kString) {
    return Invalid(absl::StrCat(usage, ", got ", value.KindName(), " '", value.PyStr(), "'"));
  }
  std::string text(absl::StripAsciiWhitespace(value.text));
  if (text.empty()) return Invalid(absl::StrCat(usage, ", got an empty string"));
  double seconds = 0;
  if (absl::SimpleAtod(text, &seconds) && std::isfinite(seconds) &&
      (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.')) {
    return finish(seconds * kSecond, text);
  }
  static const std::map<std::string, double> kUnits = {{"ns", 1},           {"us", 1e3},
                                                       {"ms", 1e6},         {"s", kSecond},
                                                       {"m", 60 * kSecond}, {"h", 3600 * kSecond}};
  double total = 0;
  size_t i = 0;
  for (int parts = 0; i < text.size() && parts < 16; ++parts) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    double number = 0;
    if (i == start || !absl::SimpleAtod(text.substr(start, i - start), &number)) {
      return Invalid(absl::StrCat("invalid duration '", text, "': ", usage));
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = absl::AsciiStrToLower(text.substr(unit_start, i - unit_start));
    auto u = kUnits.find(unit);
    if (u == kUnits.end()) {
      return Invalid(absl::StrCat(
          "invalid duration '", text,
          "': ", unit.empty() ? "a number needs a unit" : absl::StrCat("unknown unit '", unit, "'"),
          " (use ns, us, ms, s, m or h)"));
    }
    total += number * u->second;
  }
  if (i < text.size())
    return Invalid(absl::StrCat("invalid duration '", text, "': too many parts"));
  return finish(total, text);
}

absl::StatusOr<model::RestartPolicy> ParseRestart(const YamlNode& value) {
  static const char kChoices[] = "no, always, on-failure, unless-stopped";
  auto valid_name = [](const std::string& n) {
    return n == "no" || n == "always" || n == "on-failure" || n == "unless-stopped";
  };
  model::RestartPolicy policy;
  if (value.IsNull() || (value.kind == YamlNode::Kind::kBool && !value.bool_value) ||
      (value.IsSequence() && value.items.empty())) {
    return policy;
  }
  if (value.kind == YamlNode::Kind::kString) {
    const std::string& spec = value.text;
    size_t colon = spec.find(':');
    policy.name = spec.substr(0, colon);
    if (!valid_name(policy.name)) {
      return Invalid(
          absl::StrCat("invalid restart policy '", policy.name, "'; choose one of ", kChoices));
    }
    if (colon != std::string::npos) {
      std::string retries = spec.substr(colon + 1);
      if (!AllDigits(retries) || !absl::SimpleAtoi(retries, &policy.max_retry)) {
        return Invalid(absl::StrCat("invalid restart policy format \"", spec,
                                    "\"; expected <name> or on-failure:<retries>"));
      }
    }
    return policy;
  }
  if (value.IsMapping()) {
    const YamlNode* retries = nullptr;
    for (size_t i = 0; i < value.keys.size(); ++i) {
      std::string key = value.KeyAt(i);
      const YamlNode& v = value.values[i];
      if (key == "name") {
        if (!v.IsString()) {
          return Invalid(absl::StrCat("invalid restart policy name '", v.PyStr(),
                                      "'; choose one of ", kChoices));
        }
        policy.name = v.text;
        if (!valid_name(policy.name)) {
          return Invalid(
              absl::StrCat("invalid restart policy '", policy.name, "'; choose one of ", kChoices));
        }
      } else if (key == "retries" || key == "maximum_retry_count") {
        if (retries != nullptr) {
          return Invalid("give only one of 'retries' and 'maximum_retry_count'");
        }
        retries = &v;
      } else {
        return Invalid(absl::StrCat("invalid restart policy: unknown key '", key,
                                    "' (expected 'name' and 'retries')"));
      }
    }
    if (retries != nullptr) {
      int64_t n = -1;
      if (retries->kind == YamlNode::Kind::kInt) {
        n = retries->int_value;
      } else if (retries->IsString() && AllDigits(retries->text)) {
        absl::SimpleAtoi(retries->text, &n);
      }
      if (n < 0 || n > std::numeric_limits<int>::max()) {
        return Invalid(absl::StrCat("invalid restart policy retry count '", retries->PyStr(),
                                    "'; expected a non-negative integer"));
      }
      policy.max_retry = static_cast<int>(n);
    }
    return policy;
  }
  return Invalid(
      absl::StrCat("invalid restart policy: expected a string such as on-failure:3 "
                   "or a mapping, got ",
                   value.KindName(), " '", value.PyStr(), "'"));
}

absl::StatusOr<std::vector<model::Bind>> ParseVolumes(const YamlNode& value, int schema) {
  std::vector<model::Bind> binds;
  if (value.IsNull()) return binds;
  if (!value.IsMapping()) {
    return Invalid(absl::StrCat("volumes must be a mapping, got ", value.KindName()));
  }
  std::map<std::string, model::Bind> by_host;
  for (size_t i = 0; i < value.keys.size(); ++i) {
    std::string key = value.KeyAt(i);
    const YamlNode& spec = value.values[i];
    model::Bind bind;
    bind.mode = "rw";
    if (schema == 1) {
      if (!spec.IsScalar() || spec.IsNull()) {
        return Invalid(absl::StrCat("invalid volume specification ", key, " -> ", spec.PyStr(),
                                    ": schema 1 expects {container_path: host_path}"));
      }
      bind.target = key;
      bind.host = spec.PyStr();
    } else {
      bind.host = key;
      if (spec.IsScalar() && !spec.IsNull()) {
        bind.target = spec.PyStr();
      } else if (spec.IsMapping() && spec.Find("target") != nullptr &&
                 spec.Find("target")->IsScalar() && !spec.Find("target")->IsNull()) {
        bind.target = spec.Find("target")->PyStr();
        const YamlNode* mode = spec.Find("mode");
        if (mode != nullptr && !mode->IsNull()) bind.mode = mode->PyStr();
        for (size_t k = 0; k < spec.keys.size(); ++k) {
          std::string sub = spec.KeyAt(k);
          if (sub != "target" && sub != "mode") {
            return Invalid(absl::StrCat("invalid volume specification for ", key, ": unknown key '",
                                        sub, "' (expected target, mode)"));
          }
        }
      } else {
        return Invalid(absl::StrCat("invalid volume specification ", key, " -> ",
                                    spec.IsScalar() ? spec.PyStr() : spec.KindName(),
                                    ": expected a target path or {target: path, mode: mode}"));
      }
    }
    if (by_host.count(bind.host)) {
      return Invalid(absl::StrCat("host path ", bind.host, " is bound twice (to ",
                                  by_host[bind.host].target, " and ", bind.target, ")"));
    }
    by_host[bind.host] = bind;
  }
  for (auto& [host, bind] : by_host) binds.push_back(bind);
  return binds;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseEnvFile(
    absl::string_view content) {
  std::vector<std::pair<std::string, std::string>> out;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++number;
    if (!line.empty() && line[0] == '#') continue;
    // Python's str.strip(): ASCII whitespace, which includes a trailing \r.
    absl::string_view stripped = absl::StripAsciiWhitespace(line);
    if (stripped.empty()) continue;
    size_t eq = stripped.find('=');
    if (eq == absl::string_view::npos) {
      // The line may be "KEY VALUE" with the '=' forgotten: never quote a secret one.
      return Invalid(absl::StrCat("line ", number, ": invalid line ",
                                  model::QuoteValue(stripped, stripped), " (expected KEY=VALUE)"));
    }
    absl::string_view name = stripped.substr(0, eq), value = stripped.substr(eq + 1);
    absl::Status valid = CheckEnvVariable(name, value);
    if (!valid.ok()) return Invalid(absl::StrCat("line ", number, ": ", valid.message()));
    out.emplace_back(std::string(name), std::string(value));
  }
  return out;
}

absl::Status CheckEnvVariable(absl::string_view name, absl::string_view value) {
  if (name.empty()) return Invalid("empty environment variable name");
  if (name.find('\0') != absl::string_view::npos) {
    return Invalid("an environment variable name contains a NUL byte");
  }
  if (name.find('=') != absl::string_view::npos) {
    return Invalid(absl::StrCat("environment variable name '", name, "' contains '='"));
  }
  if (value.find('\0') != absl::string_view::npos) {
    return Invalid(absl::StrCat("the value of environment variable ", name,
                                " contains a NUL byte (a container environment cannot hold it)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ShlexSplit(absl::string_view text) {
  std::vector<std::string> words;
  std::string current;
  bool in_word = false;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) {
        words.push_back(current);
        current.clear();
        in_word = false;
      }
      ++i;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return Invalid("no escaped character after '\\'");
      current.push_back(text[i + 1]);
      in_word = true;
      i += 2;
    } else if (c == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end == absl::string_view::npos) return Invalid("no closing quotation");
      current.append(text.data() + i + 1, end - i - 1);
      in_word = true;
      i = end + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char d = text[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
          current.push_back(text[i + 1]);
          i += 2;
          continue;
        }
        current.push_back(d);
        ++i;
      }
      if (!closed) return Invalid("no closing quotation");
      in_word = true;
    } else {
      current.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(current);
  return words;
}

int EditDistance(absl::string_view a, absl::string_view b) {
  // Optimal string alignment distance: insertions, deletions, substitutions and adjacent
  // transpositions ("requries" -> "requires" is one edit).
  std::vector<std::vector<int>> d(a.size() + 1, std::vector<int>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string Suggest(absl::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  int best_distance = std::numeric_limits<int>::max();
  for (const std::string& c : candidates) {
    int d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  int allowed = word.size() <= 4 ? 1 : (word.size() <= 8 ? 2 : 3);
  return best_distance <= allowed ? best : "";
}

}  // namespace config
}  // namespace maestro
