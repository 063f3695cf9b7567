#include "maestro/template/builtins.h"

#include "maestro/template/lexer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "maestro/base/status_macros.h"
#include "maestro/model/py_format.h"

namespace maestro::jinja::internal {
namespace {

absl::Status TypeError(absl::string_view msg) { return absl::InvalidArgumentError(msg); }

// ---- UTF-8 helpers: Python strings index by code point ----
bool IsAscii(const std::string& s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

std::vector<std::string> Chars(const std::string& s) {
  std::vector<std::string> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + n > s.size()) n = 1;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

int64_t CharLen(const std::string& s) {
  if (IsAscii(s)) return static_cast<int64_t>(s.size());
  int64_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool IsPySpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
         c == '\x1c' || c == '\x1d' || c == '\x1e' || c == '\x1f';
}

int64_t AsInt(const Value& v) { return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int(); }
bool IsIntLike(const Value& v) { return v.is_int() || v.is_bool(); }

// Binds positional/keyword arguments of a filter/test/method to named parameters.
class Binder {
 public:
  Binder(absl::string_view fname, const CallArgs& args,
         std::initializer_list<std::pair<const char*, Value>> params)
      : params_(params) {
    values_.resize(params_.size());
    given_.resize(params_.size(), false);
    if (args.positional.size() > params_.size()) {
      status_ = TypeError(absl::StrCat(fname, "() takes at most ", params_.size(),
                                       " argument(s) (", args.positional.size(), " given)"));
      return;
    }
    for (size_t i = 0; i < args.positional.size(); ++i) {
      values_[i] = args.positional[i];
      given_[i] = true;
    }
    for (const auto& [k, v] : args.keyword) {
      bool found = false;
      for (size_t i = 0; i < params_.size(); ++i) {
        if (k == params_[i].first) {
          values_[i] = v;
          given_[i] = true;
          found = true;
        }
      }
      if (!found) {
        status_ = TypeError(absl::StrCat(fname, "() got an unexpected keyword argument '", k, "'"));
        return;
      }
    }
    for (size_t i = 0; i < params_.size(); ++i) {
      if (!given_[i]) values_[i] = params_[i].second;
    }
  }
  const absl::Status& status() const { return status_; }
  const Value& operator[](size_t i) const { return values_[i]; }
  bool given(size_t i) const { return given_[i]; }

 private:
  std::vector<std::pair<const char*, Value>> params_;
  std::vector<Value> values_;
  std::vector<bool> given_;
  absl::Status status_;
};

#define BIND(name, fname, args, ...)             \
  Binder name(fname, args, {__VA_ARGS__});       \
  MAESTRO_RETURN_IF_ERROR(name.status())

absl::StatusOr<int64_t> ToIndex(const Value& v, absl::string_view what) {
  if (IsIntLike(v)) return AsInt(v);
  return TypeError(absl::StrCat(what, " must be an integer, not '", v.TypeName(), "'"));
}

// Python int(x) for filters (Jinja's do_int semantics).
Value JinjaInt(const Value& v, const Value& def, int64_t base) {
  if (IsIntLike(v)) return Value(AsInt(v));
  if (v.is_float()) {
    double d = v.as_float();
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return def;
    return Value(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    std::string s(absl::StripAsciiWhitespace(v.as_string()));
    std::string t;
    for (char c : s) {
      if (c != '_') t.push_back(c);
    }
    if (!t.empty()) {
      const char* p = t.c_str();
      char* end = nullptr;
      errno = 0;
      long long r = std::strtoll(p, &end, static_cast<int>(base));
      if (end && *end == '\0' && errno == 0 && t.find_first_of(" \t") == std::string::npos) {
        return Value(static_cast<int64_t>(r));
      }
      errno = 0;
      double d = std::strtod(p, &end);
      if (end && *end == '\0' && errno == 0 && std::isfinite(d) && std::fabs(d) < 9.2e18) {
        return Value(static_cast<int64_t>(d));
      }
    }
  }
  return def;
}

// Case mapping for ASCII plus the common Latin-1, Latin Extended-A, Greek and Cyrillic
// letters (Python's str.upper/lower cover all of Unicode; this covers what config files use).
uint32_t MapCase(uint32_t cp, bool upper) {
  if (cp < 0x80) {
    if (upper && cp >= 'a' && cp <= 'z') return cp - 32;
    if (!upper && cp >= 'A' && cp <= 'Z') return cp + 32;
    return cp;
  }
  if (upper) {
    if ((cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) || (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) ||
        (cp >= 0x430 && cp <= 0x44F))
      return cp - 0x20;
    if (cp == 0xFF) return 0x178;
    if (cp == 0x3C2) return 0x3A3;
    if (cp >= 0x450 && cp <= 0x45F) return cp - 0x50;
    if (cp >= 0x100 && cp <= 0x17F && cp != 0x131 && cp != 0x138 && cp != 0x149) {
      bool odd_lower = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
      if (odd_lower ? (cp % 2 == 0) : (cp % 2 == 1)) return cp - 1;
    }
    return cp;
  }
  if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) ||
      (cp >= 0x410 && cp <= 0x42F))
    return cp + 0x20;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  if (cp == 0x178) return 0xFF;
  if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x138 && cp != 0x149) {
    bool odd_lower = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (odd_lower ? (cp % 2 == 1) : (cp % 2 == 0)) return cp + 1;
  }
  return cp;
}


std::string ChangeCase(const std::string& s, bool upper) {
  if (IsAscii(s)) return upper ? absl::AsciiStrToUpper(s) : absl::AsciiStrToLower(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + n > s.size() || (n == 1 && c >= 0x80)) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += n;
    if (upper && cp == 0xDF) {
      out += "SS";
      continue;
    }
    AppendUtf8(MapCase(cp, upper), &out);
  }
  return out;
}

std::string Upper(const std::string& s) { return ChangeCase(s, true); }
std::string Lower(const std::string& s) { return ChangeCase(s, false); }

std::string Capitalize(const std::string& s) {
  std::string out = absl::AsciiStrToLower(s);
  if (!out.empty()) out[0] = absl::ascii_toupper(out[0]);
  return out;
}

std::string Title(const std::string& s) {
  // Jinja2's do_title: words start after runs of whitespace, '-', '(', '{', '[' or '<'.
  std::string out;
  bool start = true;
  for (char c : s) {
    if (IsPySpace(c) || c == '(' || c == '{' || c == '[' || c == '<' || c == '-') {
      out.push_back(c);
      start = true;
      continue;
    }
    out.push_back(start ? absl::ascii_toupper(c) : absl::ascii_tolower(c));
    start = false;
  }
  return out;
}

std::string StripChars(const std::string& s, const Value& chars, bool left, bool right) {
  auto is_strip = [&](char c) {
    if (chars.is_none() || chars.is_undefined()) return IsPySpace(c);
    return chars.as_string().find(c) != std::string::npos;
  };
  size_t b = 0, e = s.size();
  if (left) {
    while (b < e && is_strip(s[b])) ++b;
  }
  if (right) {
    while (e > b && is_strip(s[e - 1])) --e;
  }
  return s.substr(b, e - b);
}

absl::StatusOr<Value> Split(const std::string& s, const Value& sep, int64_t maxsplit) {
  Value::List out;
  if (sep.is_none() || sep.is_undefined()) {
    size_t i = 0;
    while (true) {
      while (i < s.size() && IsPySpace(s[i])) ++i;
      if (i >= s.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
        size_t e = s.size();
        while (e > i && IsPySpace(s[e - 1])) --e;
        out.emplace_back(s.substr(i, e - i));
        break;
      }
      size_t j = i;
      while (j < s.size() && !IsPySpace(s[j])) ++j;
      out.emplace_back(s.substr(i, j - i));
      i = j;
    }
    return Value::MakeList(std::move(out));
  }
  if (!sep.is_string()) return TypeError("must be str or None");
  const std::string& d = sep.as_string();
  if (d.empty()) return TypeError("empty separator");
  size_t i = 0;
  while (true) {
    size_t j = s.find(d, i);
    if (j == std::string::npos ||
        (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit)) {
      out.emplace_back(s.substr(i));
      break;
    }
    out.emplace_back(s.substr(i, j - i));
    i = j + d.size();
  }
  return Value::MakeList(std::move(out));
}

std::string Replace(const std::string& s, const std::string& old, const std::string& repl,
                    int64_t count) {
  if (old.empty()) {
    // Python inserts repl between every character.
    std::string out;
    int64_t n = 0;
    std::vector<std::string> cs = Chars(s);
    for (size_t i = 0; i <= cs.size(); ++i) {
      if (count < 0 || n < count) {
        out += repl;
        ++n;
      }
      if (i < cs.size()) out += cs[i];
    }
    return out;
  }
  std::string out;
  size_t i = 0;
  int64_t n = 0;
  while (true) {
    size_t j = (count >= 0 && n >= count) ? std::string::npos : s.find(old, i);
    if (j == std::string::npos) {
      out.append(s, i, std::string::npos);
      return out;
    }
    out.append(s, i, j - i);
    out += repl;
    i = j + old.size();
    ++n;
  }
}

// ---- Python printf-style and str.format formatting ----
struct Spec {
  bool left = false, plus = false, space = false, alt = false, zero = false;
  int width = -1, prec = -1;
  char type = 's';
};

absl::StatusOr<std::string> FormatOne(const Spec& sp, const Value& v) {
  std::string body;
  char t = sp.type;
  if (t == 's' || t == 'r' || t == 'a') {
    body = t == 's' ? v.Str() : v.Repr();
    if (sp.prec >= 0 && static_cast<int64_t>(body.size()) > sp.prec) body.resize(sp.prec);
  } else if (t == 'c') {
    if (v.is_string()) {
      body = v.as_string();
    } else if (IsIntLike(v)) {
      body = std::string(1, static_cast<char>(AsInt(v)));
    } else {
      return TypeError("%c requires int or char");
    }
  } else {
    if (!v.is_number()) {
      return TypeError(absl::StrCat("%", std::string(1, t), " format: a real number is required, not ",
                                    v.TypeName()));
    }
    std::string flags;
    if (sp.plus) flags += '+';
    if (sp.space) flags += ' ';
    if (sp.alt) flags += '#';
    char buf[512];
    if (t == 'd' || t == 'i' || t == 'u') {
      long long x = v.is_float() ? static_cast<long long>(v.as_float()) : AsInt(v);
      std::snprintf(buf, sizeof(buf), ("%" + flags + "lld").c_str(), x);
    } else if (t == 'x' || t == 'X' || t == 'o') {
      if (v.is_float()) return TypeError("%x format: an integer is required, not float");
      long long x = AsInt(v);
      std::string f = "%" + flags + "ll" + std::string(1, t);
      if (x < 0) {
        std::snprintf(buf, sizeof(buf), f.c_str(), -x);
        body = std::string("-") + buf;
      } else {
        std::snprintf(buf, sizeof(buf), f.c_str(), x);
      }
      if (t == 'o' && sp.alt) {
        std::snprintf(buf, sizeof(buf), "0o%llo", x < 0 ? -x : x);
        body = std::string(x < 0 ? "-" : "") + buf;
      }
    } else if (t == 'f' || t == 'F' || t == 'e' || t == 'E' || t == 'g' || t == 'G') {
      int prec = sp.prec >= 0 ? sp.prec : 6;
      if (prec > 300) prec = 300;
      std::snprintf(buf, sizeof(buf), ("%" + flags + ".*" + std::string(1, t)).c_str(), prec,
                    v.ToDouble());
    } else {
      return TypeError(absl::StrCat("unsupported format character '", std::string(1, t), "'"));
    }
    if (body.empty()) body = buf;
  }
  if (sp.width > 0 && static_cast<int>(body.size()) < sp.width) {
    size_t pad = static_cast<size_t>(sp.width) - body.size();
    if (sp.left) {
      body.append(pad, ' ');
    } else if (sp.zero && t != 's' && t != 'r' && t != 'c') {
      size_t sign = (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) ? 1 : 0;
      body.insert(sign, pad, '0');
    } else {
      body.insert(0, pad, ' ');
    }
  }
  return body;
}

std::string FormatIntBase(int64_t v, int base, bool upper) {
  if (v == 0) return "0";
  bool neg = v < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string s;
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  while (u) {
    s.push_back(digits[u % base]);
    u /= base;
  }
  if (neg) s.push_back('-');
  std::reverse(s.begin(), s.end());
  return s;
}

// str.format spec: [[fill]align][sign][#][0][width][,][.precision][type]
absl::StatusOr<std::string> FormatSpec(const Value& v, const std::string& spec) {
  size_t i = 0;
  char fill = ' ', align = 0, sign = '-';
  bool alt = false, zero = false, comma = false;
  int width = -1, prec = -1;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (spec.size() >= 2 && is_align(spec[1])) {
    fill = spec[0];
    align = spec[1];
    i = 2;
  } else if (!spec.empty() && is_align(spec[0])) {
    align = spec[0];
    i = 1;
  }
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) sign = spec[i++];
  if (i < spec.size() && spec[i] == '#') {
    alt = true;
    ++i;
  }
  if (i < spec.size() && spec[i] == '0') {
    zero = true;
    ++i;
  }
  while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) {
    width = (width < 0 ? 0 : width) * 10 + (spec[i++] - '0');
    if (width > 100000) return TypeError("format width too large");
  }
  if (i < spec.size() && spec[i] == ',') {
    comma = true;
    ++i;
  }
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    prec = 0;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) {
      prec = prec * 10 + (spec[i++] - '0');
      if (prec > 300) return TypeError("format precision too large");
    }
  }
  char type = i < spec.size() ? spec[i++] : 0;
  if (i != spec.size()) return TypeError("invalid format specifier");
  std::string body;
  bool numeric = v.is_number();
  if (type == 0 && !numeric) {
    body = v.Str();
    if (prec >= 0 && static_cast<int>(body.size()) > prec) body.resize(prec);
  } else if (type == 's') {
    if (!v.is_string()) return TypeError("unknown format code 's' for non-string");
    body = v.as_string();
    if (prec >= 0 && static_cast<int>(body.size()) > prec) body.resize(prec);
  } else if (!numeric) {
    return TypeError(absl::StrCat("unknown format code '", std::string(1, type),
                                  "' for object of type '", v.TypeName(), "'"));
  } else if (type == 'd' || type == 'x' || type == 'X' || type == 'o' || type == 'b' ||
             (type == 0 && IsIntLike(v))) {
    if (v.is_float()) return TypeError("unknown format code 'd' for object of type 'float'");
    int base = type == 'x' || type == 'X' ? 16 : type == 'o' ? 8 : type == 'b' ? 2 : 10;
    int64_t x = AsInt(v);
    body = FormatIntBase(x, base, type == 'X');
    if (type == 0 && v.is_bool()) body = v.Str();
    if (comma && base == 10) {
      std::string digits = body[0] == '-' ? body.substr(1) : body;
      std::string grouped;
      for (size_t k = 0; k < digits.size(); ++k) {
        if (k && (digits.size() - k) % 3 == 0) grouped.push_back(',');
        grouped.push_back(digits[k]);
      }
      body = (body[0] == '-' ? "-" : "") + grouped;
    }
    if (alt && base != 10) {
      std::string prefix = base == 16 ? (type == 'X' ? "0X" : "0x") : base == 8 ? "0o" : "0b";
      if (body[0] == '-') {
        body = "-" + prefix + body.substr(1);
      } else {
        body = prefix + body;
      }
    }
  } else {
    double d = v.ToDouble();
    char buf[512];
    if (type == 0) {
      if (prec < 0) {
        body = model::PyFloatRepr(d);
      } else {
        std::snprintf(buf, sizeof(buf), "%.*g", prec == 0 ? 1 : prec, d);
        body = buf;
      }
    } else if (type == '%') {
      std::snprintf(buf, sizeof(buf), "%.*f%%", prec < 0 ? 6 : prec, d * 100);
      body = buf;
    } else if (std::strchr("fFeEgG", type) != nullptr) {
      std::snprintf(buf, sizeof(buf), (std::string("%.*") + type).c_str(), prec < 0 ? 6 : prec,
                    d);
      body = buf;
    } else {
      return TypeError(absl::StrCat("unknown format code '", std::string(1, type), "'"));
    }
  }
  if (numeric && sign != '-' && !body.empty() && body[0] != '-') {
    body.insert(body.begin(), sign);
  }
  if (zero && align == 0) {
    fill = '0';
    align = '=';
  }
  if (align == 0) align = numeric ? '>' : '<';
  int64_t len = CharLen(body);
  if (width > len) {
    size_t pad = static_cast<size_t>(width - len);
    if (align == '<') {
      body.append(pad, fill);
    } else if (align == '>') {
      body.insert(0, pad, fill);
    } else if (align == '^') {
      body.insert(0, pad / 2, fill);
      body.append(pad - pad / 2, fill);
    } else {
      size_t sgn = (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) ? 1 : 0;
      if (body.compare(sgn, 2, "0x") == 0 || body.compare(sgn, 2, "0o") == 0 ||
          body.compare(sgn, 2, "0b") == 0 || body.compare(sgn, 2, "0X") == 0)
        sgn += 2;
      body.insert(sgn, pad, fill);
    }
  }
  return body;
}

absl::StatusOr<std::string> StrFormat(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_idx = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out.push_back('}');
        ++i;
        continue;
      }
      return TypeError("Single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    size_t close = fmt.find('}', i);
    if (close == std::string::npos) return TypeError("Single '{' encountered in format string");
    std::string field = fmt.substr(i + 1, close - i - 1);
    i = close;
    std::string spec;
    size_t colon = field.find(':');
    if (colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field.resize(colon);
    }
    bool conv_r = false;
    size_t bang = field.find('!');
    if (bang != std::string::npos) {
      conv_r = field.substr(bang + 1) == "r";
      field.resize(bang);
    }
    std::string head = field;
    std::string rest;
    size_t dot = field.find_first_of(".[");
    if (dot != std::string::npos) {
      head = field.substr(0, dot);
      rest = field.substr(dot);
    }
    Value v;
    if (head.empty()) {
      if (auto_idx >= args.positional.size()) {
        return TypeError(absl::StrCat("Replacement index ", auto_idx,
                                      " out of range for positional args tuple"));
      }
      v = args.positional[auto_idx++];
    } else if (std::all_of(head.begin(), head.end(), ::isdigit)) {
      size_t idx = std::strtoul(head.c_str(), nullptr, 10);
      if (idx >= args.positional.size()) {
        return TypeError(absl::StrCat("Replacement index ", idx,
                                      " out of range for positional args tuple"));
      }
      v = args.positional[idx];
    } else {
      bool found = false;
      for (const auto& [k, kv] : args.keyword) {
        if (k == head) {
          v = kv;
          found = true;
        }
      }
      if (!found) return TypeError(absl::StrCat("KeyError: '", head, "'"));
    }
    while (!rest.empty()) {
      if (rest[0] == '.') {
        size_t e = rest.find_first_of(".[", 1);
        std::string attr = rest.substr(1, e == std::string::npos ? std::string::npos : e - 1);
        v = GetAttribute(v, attr);
        rest = e == std::string::npos ? "" : rest.substr(e);
      } else {
        size_t e = rest.find(']');
        if (e == std::string::npos) return TypeError("Missing ']' in format string");
        std::string key = rest.substr(1, e - 1);
        if (!key.empty() && std::all_of(key.begin(), key.end(), ::isdigit)) {
          v = GetItem(v, Value(static_cast<int64_t>(std::strtoll(key.c_str(), nullptr, 10))));
        } else {
          v = GetItem(v, Value(key));
        }
        rest = rest.substr(e + 1);
      }
    }
    if (conv_r) v = Value(v.Repr());
    MAESTRO_ASSIGN_OR_RETURN(std::string s, FormatSpec(v, spec));
    out += s;
  }
  return out;
}

// ---- JSON (Jinja2's htmlsafe_json_dumps: sort_keys, ensure_ascii, HTML escapes) ----
void JsonString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    size_t n = 1;
    if (c >= 0x80) {
      n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
      if (i + n > s.size()) n = 1;
      cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : n == 4 ? (c & 0x07) : c;
      for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    i += n;
    char buf[16];
    switch (cp) {
      case '"': out->append("\\\""); continue;
      case '\\': out->append("\\\\"); continue;
      case '\n': out->append("\\n"); continue;
      case '\r': out->append("\\r"); continue;
      case '\t': out->append("\\t"); continue;
      case '\b': out->append("\\b"); continue;
      case '\f': out->append("\\f"); continue;
      case '<': out->append("\\u003c"); continue;
      case '>': out->append("\\u003e"); continue;
      case '&': out->append("\\u0026"); continue;
      case '\'': out->append("\\u0027"); continue;
      default: break;
    }
    if (cp < 0x20 || cp >= 0x7f) {
      if (cp >= 0x10000) {
        uint32_t v = cp - 0x10000;
        std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
      } else {
        std::snprintf(buf, sizeof(buf), "\\u%04x", cp);
      }
      out->append(buf);
    } else {
      out->push_back(static_cast<char>(cp));
    }
  }
  out->push_back('"');
}

absl::Status ToJson(const Value& v, int indent, int level, std::string* out, int depth) {
  if (depth > 200) return TypeError("tojson: value nested too deeply");
  auto newline = [&](int lvl) {
    out->push_back('\n');
    out->append(static_cast<size_t>(indent * lvl), ' ');
  };
  switch (v.kind()) {
    case Value::Kind::kNone:
      out->append("null");
      return absl::OkStatus();
    case Value::Kind::kBool:
      out->append(v.as_bool() ? "true" : "false");
      return absl::OkStatus();
    case Value::Kind::kInt:
      absl::StrAppend(out, v.as_int());
      return absl::OkStatus();
    case Value::Kind::kFloat: {
      double d = v.as_float();
      out->append(std::isnan(d) ? "NaN" : std::isinf(d) ? (d < 0 ? "-Infinity" : "Infinity")
                                                        : model::PyFloatRepr(d));
      return absl::OkStatus();
    }
    case Value::Kind::kString:
      JsonString(v.as_string(), out);
      return absl::OkStatus();
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      const auto& items = v.as_list();
      if (items.empty()) {
        out->append("[]");
        return absl::OkStatus();
      }
      out->push_back('[');
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out->append(indent >= 0 ? "," : ", ");
        if (indent >= 0) newline(level + 1);
        MAESTRO_RETURN_IF_ERROR(ToJson(items[i], indent, level + 1, out, depth + 1));
      }
      if (indent >= 0) newline(level);
      out->push_back(']');
      return absl::OkStatus();
    }
    case Value::Kind::kDict: {
      std::vector<std::pair<std::string, const Value*>> entries;
      for (const auto& [k, val] : v.as_dict().entries()) {
        std::string key;
        if (k.is_string()) {
          key = k.as_string();
        } else if (k.is_bool()) {
          key = k.as_bool() ? "true" : "false";
        } else if (k.is_none()) {
          key = "null";
        } else if (k.is_int() || k.is_float()) {
          key = k.Str();
        } else {
          return TypeError(absl::StrCat("keys must be str, int, float, bool or None, not ",
                                        k.TypeName()));
        }
        entries.emplace_back(std::move(key), &val);
      }
      std::stable_sort(entries.begin(), entries.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      if (entries.empty()) {
        out->append("{}");
        return absl::OkStatus();
      }
      out->push_back('{');
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i) out->append(indent >= 0 ? "," : ", ");
        if (indent >= 0) newline(level + 1);
        JsonString(entries[i].first, out);
        out->append(": ");
        MAESTRO_RETURN_IF_ERROR(ToJson(*entries[i].second, indent, level + 1, out, depth + 1));
      }
      if (indent >= 0) newline(level);
      out->push_back('}');
      return absl::OkStatus();
    }
    default:
      return TypeError(absl::StrCat("Object of type ", v.TypeName(), " is not JSON serializable"));
  }
}

// Attribute path lookup as Jinja's make_attrgetter ("a.b", "0").
Value GetPath(const Value& item, const std::string& path) {
  Value v = item;
  size_t i = 0;
  while (true) {
    size_t dot = path.find('.', i);
    std::string part = path.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
    if (v.is_undefined()) return v;
    if (!part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      v = GetItem(v, Value(static_cast<int64_t>(std::strtoll(part.c_str(), nullptr, 10))));
    } else {
      v = GetItem(v, Value(part));
    }
    if (dot == std::string::npos) return v;
    i = dot + 1;
  }
}

Value Lowered(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(absl::AsciiStrToLower(v.as_string()));
  return v;
}

absl::StatusOr<std::vector<Value>> SortValues(std::vector<Value> items, bool reverse,
                                              bool case_sensitive, const Value& attribute) {
  std::vector<std::pair<Value, Value>> keyed;
  keyed.reserve(items.size());
  for (Value& v : items) {
    Value key = attribute.is_string() ? GetPath(v, attribute.as_string())
                : IsIntLike(attribute) ? GetItem(v, attribute)
                                       : v;
    keyed.emplace_back(Lowered(key, case_sensitive), std::move(v));
  }
  absl::Status err;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    if (!err.ok()) return false;
    absl::StatusOr<bool> lt = reverse ? LessThan(b.first, a.first) : LessThan(a.first, b.first);
    if (!lt.ok()) {
      err = lt.status();
      return false;
    }
    return *lt;
  });
  MAESTRO_RETURN_IF_ERROR(err);
  std::vector<Value> out;
  out.reserve(keyed.size());
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return out;
}

std::string Center(const std::string& s, int64_t width) {
  int64_t len = CharLen(s);
  if (width <= len) return s;
  int64_t pad = width - len;
  int64_t left = pad / 2 + (pad & width & 1);
  return std::string(static_cast<size_t>(left), ' ') + s +
         std::string(static_cast<size_t>(pad - left), ' ');
}

absl::StatusOr<Value> Round(const Value& v, int64_t precision, const std::string& method) {
  if (!v.is_number()) {
    return TypeError(absl::StrCat("type ", v.TypeName(), " doesn't define __round__ method"));
  }
  double d = v.ToDouble();
  if (precision < 0 || precision > 300) return TypeError("unsupported round precision");
  double r;
  if (method == "common") {
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(precision), d);
    r = std::strtod(buf, nullptr);
    if (!v.is_float()) return Value(AsInt(v));
  } else if (method == "floor" || method == "ceil") {
    double m = std::pow(10.0, static_cast<double>(precision));
    r = (method == "floor" ? std::floor(d * m) : std::ceil(d * m)) / m;
  } else {
    return TypeError("method must be common, ceil or floor");
  }
  return Value(r);
}

absl::StatusOr<Value> Sum(FilterContext& ctx, const std::vector<Value>& items,
                          const Value& attribute, Value start, const Limits& limits) {
  Value acc = std::move(start);
  for (const Value& item : items) {
    Value x = attribute.is_string() ? GetPath(item, attribute.as_string()) : item;
    MAESTRO_ASSIGN_OR_RETURN(acc, BinaryOp(BinOp::kAdd, acc, x, limits));
  }
  return acc;
}

absl::StatusOr<std::vector<Value>> SelectOrReject(FilterContext& ctx, const Value& input,
                                                  const CallArgs& args, bool select,
                                                  bool by_attr) {
  MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(input));
  size_t off = 0;
  std::string attr;
  if (by_attr) {
    if (args.positional.empty()) return TypeError("missing parameter for attribute name");
    attr = args.positional[0].Str();
    off = 1;
  }
  std::string test;
  CallArgs targs;
  if (args.positional.size() > off) {
    test = args.positional[off].Str();
    targs.positional.assign(args.positional.begin() + off + 1, args.positional.end());
    targs.keyword = args.keyword;
  }
  std::vector<Value> out;
  for (const Value& item : items) {
    MAESTRO_RETURN_IF_ERROR(ctx.Tick(1));
    Value x = by_attr ? GetPath(item, attr) : item;
    bool ok;
    if (test.empty()) {
      ok = x.Truthy();
    } else {
      MAESTRO_ASSIGN_OR_RETURN(ok, ctx.ApplyTest(test, x, targs));
    }
    if (ok == select) out.push_back(item);
  }
  return out;
}

std::unordered_map<std::string, FilterFn>* MakeFilters() {
  auto* f = new std::unordered_map<std::string, FilterFn>();
  auto& m = *f;
  m["default"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "default", a, {"default_value", Value("")}, {"boolean", Value(false)});
    if (v.is_undefined() || (b[1].Truthy() && !v.Truthy())) return b[0];
    return v;
  };
  m["d"] = m["default"];
  auto str_filter = [](std::string (*fn)(const std::string&)) {
    return [fn](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
      return Value(fn(v.Str()));
    };
  };
  m["upper"] = str_filter(Upper);
  m["lower"] = str_filter(Lower);
  m["capitalize"] = str_filter(Capitalize);
  m["title"] = str_filter(Title);
  m["string"] = str_filter([](const std::string& s) { return s; });
  m["e"] = m["escape"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    std::string s = v.Str(), out;
    for (char c : s) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&#34;"; break;
        case '\'': out += "&#39;"; break;
        default: out.push_back(c);
      }
    }
    return Value(out);
  };
  m["trim"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "trim", a, {"chars", Value::None()});
    return Value(StripChars(v.Str(), b[0], true, true));
  };
  m["replace"] = [](FilterContext& ctx, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "replace", a, {"old", Value()}, {"new", Value()}, {"count", Value::None()});
    int64_t count = IsIntLike(b[2]) ? AsInt(b[2]) : -1;
    std::string r = Replace(v.Str(), b[0].Str(), b[1].Str(), count);
    if (r.size() > ctx.limits().max_output_bytes) return TypeError("string too large");
    return Value(std::move(r));
  };
  m["int"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "int", a, {"default", Value(0)}, {"base", Value(10)});
    if (v.is_undefined()) return UndefinedError(v);
    int64_t base = IsIntLike(b[1]) ? AsInt(b[1]) : 10;
    if (base < 2 || base > 36) base = 10;
    return JinjaInt(v, b[0], base);
  };
  m["float"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "float", a, {"default", Value(0.0)});
    if (v.is_undefined()) return UndefinedError(v);
    if (v.is_number()) return Value(v.ToDouble());
    if (v.is_string()) {
      std::string s(absl::StripAsciiWhitespace(v.as_string()));
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end && *end == '\0' && s.find_first_of("xX") == std::string::npos) {
        return Value(d);
      }
    }
    return b[0];
  };
  m["join"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "join", a, {"d", Value("")}, {"attribute", Value::None()});
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    std::string sep = b[0].Str(), out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += sep;
      if (b[1].is_none()) {
        items[i].AppendStr(&out);
      } else {
        Value x = IsIntLike(b[1]) ? GetItem(items[i], b[1]) : GetPath(items[i], b[1].Str());
        x.AppendStr(&out);
      }
    }
    return Value(std::move(out));
  };
  m["length"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    if (v.is_string()) return Value(CharLen(v.as_string()));
    if (v.is_sequence_container()) return Value(static_cast<int64_t>(v.as_list().size()));
    if (v.is_dict() ) return Value(static_cast<int64_t>(v.as_dict().size()));
    if (v.is_undefined()) return Value(0);
    return TypeError(absl::StrCat("object of type '", v.TypeName(), "' has no len()"));
  };
  m["count"] = m["length"];
  m["first"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    if (items.empty()) return Value::Undefined("No first item, sequence was empty.");
    return items.front();
  };
  m["last"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    if (items.empty()) return Value::Undefined("No last item, sequence was empty.");
    return items.back();
  };
  m["list"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    return Value::MakeList(std::move(items));
  };
  m["sort"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "sort", a, {"reverse", Value(false)}, {"case_sensitive", Value(false)},
         {"attribute", Value::None()});
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    MAESTRO_ASSIGN_OR_RETURN(items, SortValues(std::move(items), b[0].Truthy(), b[1].Truthy(), b[2]));
    return Value::MakeList(std::move(items));
  };
  m["unique"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "unique", a, {"case_sensitive", Value(false)}, {"attribute", Value::None()});
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    Dict seen;
    Value::List out;
    for (const Value& x : items) {
      Value key = Lowered(b[1].is_none() ? x : GetPath(x, b[1].Str()), b[0].Truthy());
      if (seen.Find(key) != nullptr) continue;
      seen.Set(key, Value(true));
      out.push_back(x);
    }
    return Value::MakeList(std::move(out));
  };
  m["reverse"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    if (v.is_string()) {
      std::vector<std::string> cs = Chars(v.as_string());
      std::string out;
      for (auto it = cs.rbegin(); it != cs.rend(); ++it) out += *it;
      return Value(std::move(out));
    }
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    std::reverse(items.begin(), items.end());
    return Value::MakeList(std::move(items));
  };
  m["indent"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "indent", a, {"width", Value(4)}, {"first", Value(false)}, {"blank", Value(false)});
    std::string pad;
    if (b[0].is_string()) {
      pad = b[0].as_string();
    } else {
      MAESTRO_ASSIGN_OR_RETURN(int64_t w, ToIndex(b[0], "width"));
      if (w > 10000) return TypeError("indent width too large");
      pad = std::string(static_cast<size_t>(std::max<int64_t>(w, 0)), ' ');
    }
    std::string s = v.Str();
    // Jinja: s += "\n"; lines = s.splitlines(); first line handled; join with "\n" + pad.
    std::string text = s + "\n";
    std::vector<std::string> lines;
    size_t i = 0;
    while (i < text.size()) {
      size_t j = text.find('\n', i);
      lines.push_back(text.substr(i, j - i));
      i = j + 1;
    }
    std::string rv;
    if (lines.empty()) return Value(rv);
    for (size_t k = 1; k < lines.size(); ++k) {
      rv += "\n";
      if (b[2].Truthy() || !lines[k].empty()) rv += pad;
      rv += lines[k];
    }
    rv = lines[0] + rv;
    if (b[1].Truthy()) rv = pad + rv;
    return Value(rv);
  };
  m["tojson"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "tojson", a, {"indent", Value::None()});
    int indent = IsIntLike(b[0]) ? static_cast<int>(std::min<int64_t>(AsInt(b[0]), 100)) : -1;
    std::string out;
    MAESTRO_RETURN_IF_ERROR(ToJson(v, indent, 0, &out, 0));
    return Value(std::move(out));
  };
  m["format"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    if (!a.keyword.empty()) {
      if (!a.positional.empty()) return TypeError("can't handle positional and keyword arguments at the same time");
      Dict d;
      for (const auto& [k, x] : a.keyword) d.Set(Value(k), x);
      MAESTRO_ASSIGN_OR_RETURN(std::string s, PercentFormat(v.Str(), Value::MakeDict(std::move(d))));
      return Value(s);
    }
    MAESTRO_ASSIGN_OR_RETURN(std::string s, PercentFormat(v.Str(), Value::MakeTuple(a.positional)));
    return Value(s);
  };
  m["abs"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    if (v.is_float()) return Value(std::fabs(v.as_float()));
    if (IsIntLike(v)) {
      int64_t i = AsInt(v);
      if (i == INT64_MIN) return TypeError("integer overflow");
      return Value(i < 0 ? -i : i);
    }
    return TypeError(absl::StrCat("bad operand type for abs(): '", v.TypeName(), "'"));
  };
  m["round"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "round", a, {"precision", Value(0)}, {"method", Value("common")});
    MAESTRO_ASSIGN_OR_RETURN(int64_t p, ToIndex(b[0], "precision"));
    return Round(v, p, b[1].Str());
  };
  auto minmax = [](bool is_max) {
    return [is_max](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
      BIND(b, is_max ? "max" : "min", a, {"case_sensitive", Value(false)},
           {"attribute", Value::None()});
      MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
      if (items.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
      size_t best = 0;
      auto key = [&](const Value& x) {
        return Lowered(b[1].is_none() ? x : GetPath(x, b[1].Str()), b[0].Truthy());
      };
      Value bk = key(items[0]);
      for (size_t i = 1; i < items.size(); ++i) {
        Value k = key(items[i]);
        MAESTRO_ASSIGN_OR_RETURN(bool lt, is_max ? LessThan(bk, k) : LessThan(k, bk));
        if (lt) {
          best = i;
          bk = k;
        }
      }
      return items[best];
    };
  };
  m["max"] = minmax(true);
  m["min"] = minmax(false);
  m["sum"] = [](FilterContext& ctx, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "sum", a, {"attribute", Value::None()}, {"start", Value(0)});
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    return Sum(ctx, items, b[0], b[1], ctx.limits());
  };
  m["select"] = [](FilterContext& ctx, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(auto r, SelectOrReject(ctx, v, a, true, false));
    return Value::MakeList(std::move(r));
  };
  m["reject"] = [](FilterContext& ctx, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(auto r, SelectOrReject(ctx, v, a, false, false));
    return Value::MakeList(std::move(r));
  };
  m["selectattr"] = [](FilterContext& ctx, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(auto r, SelectOrReject(ctx, v, a, true, true));
    return Value::MakeList(std::move(r));
  };
  m["rejectattr"] = [](FilterContext& ctx, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(auto r, SelectOrReject(ctx, v, a, false, true));
    return Value::MakeList(std::move(r));
  };
  m["map"] = [](FilterContext& ctx, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    Value::List out;
    out.reserve(items.size());
    const Value* attribute = nullptr;
    Value def;
    bool has_def = false;
    for (const auto& [k, x] : a.keyword) {
      if (k == "attribute") attribute = &x;
      if (k == "default") {
        def = x;
        has_def = true;
      }
    }
    if (attribute != nullptr) {
      for (const Value& item : items) {
        Value x = IsIntLike(*attribute) ? GetItem(item, *attribute)
                                        : GetPath(item, attribute->Str());
        if (x.is_undefined() && has_def) x = def;
        out.push_back(std::move(x));
      }
      return Value::MakeList(std::move(out));
    }
    if (a.positional.empty()) return TypeError("map requires a filter argument");
    std::string name = a.positional[0].Str();
    CallArgs fargs;
    fargs.positional.assign(a.positional.begin() + 1, a.positional.end());
    fargs.keyword = a.keyword;
    for (const Value& item : items) {
      MAESTRO_RETURN_IF_ERROR(ctx.Tick(1));
      MAESTRO_ASSIGN_OR_RETURN(Value x, ctx.ApplyFilter(name, item, fargs));
      out.push_back(std::move(x));
    }
    return Value::MakeList(std::move(out));
  };
  m["items"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    if (v.is_undefined()) return Value::MakeList({});
    if (!v.is_dict()) return TypeError("Can only get item pairs from a mapping.");
    Value::List out;
    for (const auto& [k, x] : v.as_dict().entries()) out.push_back(Value::MakeTuple({k, x}));
    return Value::MakeList(std::move(out));
  };
  m["dictsort"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "dictsort", a, {"case_sensitive", Value(false)}, {"by", Value("key")},
         {"reverse", Value(false)});
    if (!v.is_dict()) return TypeError("You can only sort by either \"key\" or \"value\"");
    size_t pos = b[1].Str() == "value" ? 1 : 0;
    if (b[1].Str() != "key" && b[1].Str() != "value") {
      return TypeError("You can only sort by either \"key\" or \"value\"");
    }
    std::vector<Value> pairs;
    for (const auto& [k, x] : v.as_dict().entries()) pairs.push_back(Value::MakeTuple({k, x}));
    MAESTRO_ASSIGN_OR_RETURN(pairs, SortValues(std::move(pairs), b[2].Truthy(), b[0].Truthy(),
                                               Value(static_cast<int64_t>(pos))));
    return Value::MakeList(std::move(pairs));
  };
  m["batch"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "batch", a, {"linecount", Value()}, {"fill_with", Value::None()});
    MAESTRO_ASSIGN_OR_RETURN(int64_t n, ToIndex(b[0], "linecount"));
    if (n <= 0) return TypeError("batch linecount must be positive");
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    Value::List out, cur;
    for (const Value& x : items) {
      cur.push_back(x);
      if (static_cast<int64_t>(cur.size()) == n) {
        out.push_back(Value::MakeList(std::move(cur)));
        cur.clear();
      }
    }
    if (!cur.empty()) {
      if (b.given(1)) {
        while (static_cast<int64_t>(cur.size()) < n) cur.push_back(b[1]);
      }
      out.push_back(Value::MakeList(std::move(cur)));
    }
    return Value::MakeList(std::move(out));
  };
  m["center"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "center", a, {"width", Value(80)});
    MAESTRO_ASSIGN_OR_RETURN(int64_t w, ToIndex(b[0], "width"));
    if (w > 100000) return TypeError("center width too large");
    return Value(Center(v.Str(), w));
  };
  m["wordcount"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    std::string s = v.Str();
    int64_t n = 0;
    bool in_word = false;
    for (char c : s) {
      bool w = std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
               static_cast<unsigned char>(c) >= 0x80;
      if (w && !in_word) ++n;
      in_word = w;
    }
    return Value(n);
  };
  m["truncate"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "truncate", a, {"length", Value(255)}, {"killwords", Value(false)},
         {"end", Value("...")}, {"leeway", Value(5)});
    std::string s = v.Str();
    MAESTRO_ASSIGN_OR_RETURN(int64_t length, ToIndex(b[0], "length"));
    MAESTRO_ASSIGN_OR_RETURN(int64_t leeway, ToIndex(b[3], "leeway"));
    std::string end = b[2].Str();
    std::vector<std::string> cs = Chars(s);
    int64_t n = static_cast<int64_t>(cs.size());
    if (n <= length + leeway) return Value(s);
    int64_t keep = std::max<int64_t>(0, length - CharLen(end));
    std::string head;
    for (int64_t i = 0; i < keep && i < n; ++i) head += cs[static_cast<size_t>(i)];
    if (b[1].Truthy()) return Value(head + end);
    size_t sp = head.rfind(' ');
    if (sp != std::string::npos) head.resize(sp);
    return Value(head + end);
  };
  m["attr"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<Value> {
    BIND(b, "attr", a, {"name", Value()});
    // getattr() only: dict keys are not attributes.
    if (v.is_dict() && !HasMethod(v, b[0].Str())) {
      return Value::Undefined(absl::StrCat("'dict object' has no attribute '", b[0].Str(), "'"));
    }
    return GetAttribute(v, b[0].Str());
  };
  m["striptags"] = m["string"];
  m["urlencode"] = [](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<Value> {
    std::string s = v.Str(), out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~' || c == '/') {
        out.push_back(static_cast<char>(c));
      } else {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "%%%02X", c);
        out += buf;
      }
    }
    return Value(out);
  };
  return f;
}

std::unordered_map<std::string, TestFn>* MakeTests() {
  auto* t = new std::unordered_map<std::string, TestFn>();
  auto& m = *t;
  auto simple = [](bool (*fn)(const Value&)) {
    return [fn](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<bool> {
      return fn(v);
    };
  };
  m["defined"] = simple([](const Value& v) { return !v.is_undefined(); });
  m["undefined"] = simple([](const Value& v) { return v.is_undefined(); });
  m["none"] = simple([](const Value& v) { return v.is_none(); });
  m["boolean"] = simple([](const Value& v) { return v.is_bool(); });
  m["true"] = simple([](const Value& v) { return v.is_bool() && v.as_bool(); });
  m["false"] = simple([](const Value& v) { return v.is_bool() && !v.as_bool(); });
  m["integer"] = simple([](const Value& v) { return v.is_int(); });
  m["float"] = simple([](const Value& v) { return v.is_float(); });
  m["number"] = simple([](const Value& v) { return v.is_number(); });
  m["string"] = simple([](const Value& v) { return v.is_string(); });
  m["mapping"] = simple([](const Value& v) { return v.is_dict(); });
  m["sequence"] = simple([](const Value& v) {
    return v.is_string() || v.is_sequence_container() || v.is_dict();
  });
  m["iterable"] = simple([](const Value& v) {
    return v.is_string() || v.is_sequence_container() || v.is_dict() || v.is_undefined();
  });
  // Jinja2's Undefined and LoopContext define __call__.
  m["callable"] = simple([](const Value& v) {
    return v.is_callable() || v.is_undefined() || v.is_loop() ||
           (v.is_object() && v.object()->IsCallable());
  });
  m["lower"] = simple([](const Value& v) {
    const std::string s = v.Str();
    return s == absl::AsciiStrToLower(s);
  });
  m["upper"] = simple([](const Value& v) {
    const std::string s = v.Str();
    return s == absl::AsciiStrToUpper(s);
  });
  auto int_test = [](bool odd) {
    return [odd](FilterContext&, const Value& v, const CallArgs&) -> absl::StatusOr<bool> {
      if (!IsIntLike(v)) {
        if (v.is_float()) return std::fmod(v.as_float(), 2.0) != 0 ? odd : !odd;
        return TypeError(absl::StrCat("unsupported operand type(s) for %: '", v.TypeName(),
                                      "' and 'int'"));
      }
      return (AsInt(v) % 2 != 0) == odd;
    };
  };
  m["odd"] = int_test(true);
  m["even"] = int_test(false);
  m["divisibleby"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<bool> {
    BIND(b, "divisibleby", a, {"num", Value()});
    MAESTRO_ASSIGN_OR_RETURN(Value r, BinaryOp(BinOp::kMod, v, b[0], Limits()));
    return r == Value(0);
  };
  m["in"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<bool> {
    BIND(b, "in", a, {"seq", Value()});
    return Contains(b[0], v);
  };
  m["sameas"] = [](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<bool> {
    BIND(b, "sameas", a, {"other", Value()});
    const Value& o = b[0];
    if (v.kind() != o.kind()) return false;
    if (v.is_none() || v.is_bool()) return v == o;
    if (v.is_int()) return v == o && v.as_int() >= -5 && v.as_int() <= 256;
    return false;
  };
  auto cmp_test = [](CmpOp op) {
    return [op](FilterContext&, const Value& v, const CallArgs& a) -> absl::StatusOr<bool> {
      BIND(b, "compare", a, {"other", Value()});
      return Compare(op, v, b[0]);
    };
  };
  m["eq"] = m["equalto"] = m["=="] = cmp_test(CmpOp::kEq);
  m["ne"] = m["!="] = cmp_test(CmpOp::kNe);
  m["lt"] = m["lessthan"] = m["<"] = cmp_test(CmpOp::kLt);
  m["le"] = m["<="] = cmp_test(CmpOp::kLe);
  m["gt"] = m["greaterthan"] = m[">"] = cmp_test(CmpOp::kGt);
  m["ge"] = m[">="] = cmp_test(CmpOp::kGe);
  m["filter"] = simple([](const Value& v) { return false; });
  m["test"] = simple([](const Value& v) { return false; });
  m["escaped"] = simple([](const Value& v) { return false; });
  return t;
}

}  // namespace

const std::unordered_map<std::string, FilterFn>& BuiltinFilters() {
  static const auto* filters = MakeFilters();
  return *filters;
}

const std::unordered_map<std::string, TestFn>& BuiltinTests() {
  static const auto* tests = MakeTests();
  return *tests;
}

std::vector<std::pair<std::string, Value>> BuiltinGlobals(const Limits& limits) {
  std::vector<std::pair<std::string, Value>> g;
  int64_t max_len = limits.max_range_length;
  g.emplace_back("range", Value::MakeCallable("range", [max_len](const CallArgs& a)
                                                           -> absl::StatusOr<Value> {
    if (!a.keyword.empty()) return TypeError("range() takes no keyword arguments");
    if (a.positional.empty() || a.positional.size() > 3) {
      return TypeError(absl::StrCat("range expected 1 to 3 arguments, got ", a.positional.size()));
    }
    int64_t p[3] = {0, 0, 0};
    for (size_t i = 0; i < a.positional.size(); ++i) {
      if (!IsIntLike(a.positional[i])) {
        return TypeError(absl::StrCat("'", a.positional[i].TypeName(),
                                      "' object cannot be interpreted as an integer"));
      }
      p[i] = AsInt(a.positional[i]);
    }
    int64_t start = 0, stop, step = 1;
    if (a.positional.size() == 1) {
      stop = p[0];
    } else {
      start = p[0];
      stop = p[1];
      if (a.positional.size() == 3) step = p[2];
    }
    if (step == 0) return TypeError("range() arg 3 must not be zero");
    __int128 n = 0;
    if (step > 0 && stop > start) n = ((__int128)stop - start + step - 1) / step;
    if (step < 0 && stop < start) n = ((__int128)start - stop + (-(__int128)step) - 1) / -(__int128)step;
    if (n > max_len) {
      return TypeError(absl::StrCat("range too big, maximum length is ", max_len));
    }
    Value::List out;
    out.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < static_cast<int64_t>(n); ++i) {
      out.push_back(Value(static_cast<int64_t>(start + (__int128)i * step)));
    }
    return Value::MakeList(std::move(out));
  }));
  g.emplace_back("dict", Value::MakeCallable("dict", [](const CallArgs& a) -> absl::StatusOr<Value> {
    Dict d;
    for (const Value& p : a.positional) {
      if (p.is_dict()) {
        for (const auto& [k, v] : p.as_dict().entries()) d.Set(k, v);
      } else {
        MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(p));
        for (const Value& it : items) {
          if (!it.is_sequence_container() || it.as_list().size() != 2) {
            return TypeError("dictionary update sequence element has wrong length");
          }
          d.Set(it.as_list()[0], it.as_list()[1]);
        }
      }
    }
    for (const auto& [k, v] : a.keyword) d.Set(Value(k), v);
    return Value::MakeDict(std::move(d));
  }));
  g.emplace_back("namespace",
                 Value::MakeCallable("namespace", [](const CallArgs& a) -> absl::StatusOr<Value> {
                   Dict d;
                   for (const Value& p : a.positional) {
                     for (const auto& [k, v] : p.as_dict().entries()) d.Set(k, v);
                   }
                   for (const auto& [k, v] : a.keyword) d.Set(Value(k), v);
                   return Value::MakeNamespace(std::move(d));
                 }));
  return g;
}

absl::Status UndefinedError(const Value& v) {
  const std::string& hint = v.undefined_name();
  return absl::InvalidArgumentError(hint.empty() ? "value is undefined" : hint);
}

absl::StatusOr<std::vector<Value>> Iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return std::vector<Value>();
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      return v.as_list();
    case Value::Kind::kDict: {
      std::vector<Value> out;
      out.reserve(v.as_dict().size());
      for (const auto& [k, x] : v.as_dict().entries()) out.push_back(k);
      return out;
    }
    case Value::Kind::kString: {
      std::vector<Value> out;
      for (std::string& c : Chars(v.as_string())) out.emplace_back(std::move(c));
      return out;
    }
    default:
      return TypeError(absl::StrCat("'", v.TypeName(), "' object is not iterable"));
  }
}

namespace {

absl::Status Unsupported(const char* op, const Value& a, const Value& b) {
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  return TypeError(absl::StrCat("unsupported operand type(s) for ", op, ": '", a.TypeName(),
                                "' and '", b.TypeName(), "'"));
}

absl::StatusOr<Value> Repeat(const Value& seq, int64_t n, const Limits& limits) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    const std::string& s = seq.as_string();
    if (!s.empty() && static_cast<uint64_t>(n) > limits.max_output_bytes / s.size()) {
      return TypeError("string repetition result too large");
    }
    std::string out;
    out.reserve(s.size() * static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out += s;
    return Value(std::move(out));
  }
  const auto& items = seq.as_list();
  if (!items.empty() && n > limits.max_range_length / static_cast<int64_t>(items.size())) {
    return TypeError("sequence repetition result too large");
  }
  Value::List out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return seq.is_list() ? Value::MakeList(std::move(out)) : Value::MakeTuple(std::move(out));
}

}  // namespace

absl::StatusOr<Value> BinaryOp(BinOp op, const Value& a, const Value& b, const Limits& limits) {
  static const char* kNames[] = {"+", "-", "*", "/", "//", "%", "** or pow()"};
  const char* name = kNames[static_cast<int>(op)];
  if (a.is_number() && b.is_number()) {
    bool fl = a.is_float() || b.is_float();
    if (!fl) {
      int64_t x = AsInt(a), y = AsInt(b), r;
      switch (op) {
        case BinOp::kAdd:
          if (__builtin_add_overflow(x, y, &r)) return TypeError("integer overflow");
          return Value(r);
        case BinOp::kSub:
          if (__builtin_sub_overflow(x, y, &r)) return TypeError("integer overflow");
          return Value(r);
        case BinOp::kMul:
          if (__builtin_mul_overflow(x, y, &r)) return TypeError("integer overflow");
          return Value(r);
        case BinOp::kDiv:
          if (y == 0) return TypeError("division by zero");
          return Value(static_cast<double>(x) / static_cast<double>(y));
        case BinOp::kFloorDiv: {
          if (y == 0) return TypeError("integer division or modulo by zero");
          if (x == INT64_MIN && y == -1) return TypeError("integer overflow");
          int64_t q = x / y;
          if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
          return Value(q);
        }
        case BinOp::kMod: {
          if (y == 0) return TypeError("integer division or modulo by zero");
          if (y == -1) return Value(0);
          int64_t m = x % y;
          if (m != 0 && ((m < 0) != (y < 0))) m += y;
          return Value(m);
        }
        case BinOp::kPow: {
          if (y < 0) return Value(std::pow(static_cast<double>(x), static_cast<double>(y)));
          int64_t result = 1, base = x;
          int64_t e = y;
          while (e > 0) {
            if (e & 1) {
              if (__builtin_mul_overflow(result, base, &result)) return TypeError("integer overflow");
            }
            e >>= 1;
            if (e > 0 && __builtin_mul_overflow(base, base, &base)) {
              if (result == 0 || (x == 1 || x == 0 || x == -1)) break;
              return TypeError("integer overflow");
            }
          }
          if (x == 1) return Value(int64_t{1});
          if (x == 0) return Value(int64_t{y == 0 ? 1 : 0});
          if (x == -1) return Value(int64_t{y % 2 ? -1 : 1});
          return Value(result);
        }
      }
    }
    double x = a.ToDouble(), y = b.ToDouble();
    switch (op) {
      case BinOp::kAdd:
        return Value(x + y);
      case BinOp::kSub:
        return Value(x - y);
      case BinOp::kMul:
        return Value(x * y);
      case BinOp::kDiv:
        if (y == 0) return TypeError("float division by zero");
        return Value(x / y);
      case BinOp::kFloorDiv:
        if (y == 0) return TypeError("float floor division by zero");
        return Value(std::floor(x / y));
      case BinOp::kMod: {
        if (y == 0) return TypeError("float modulo");
        double m = std::fmod(x, y);
        if (m != 0 && ((m < 0) != (y < 0))) m += y;
        if (m == 0) m = std::copysign(0.0, y);
        return Value(m);
      }
      case BinOp::kPow: {
        if (x == 0 && y < 0) return TypeError("0.0 cannot be raised to a negative power");
        double r = std::pow(x, y);
        if (std::isnan(r) && !std::isnan(x) && !std::isnan(y)) {
          return TypeError("negative number cannot be raised to a fractional power");
        }
        if (std::isinf(r) && std::isfinite(x) && std::isfinite(y)) {
          return TypeError("numerical result out of range");
        }
        return Value(r);
      }
    }
  }
  switch (op) {
    case BinOp::kAdd:
      if (a.is_string() && b.is_string()) {
        if (a.as_string().size() + b.as_string().size() > limits.max_output_bytes) {
          return TypeError("string too large");
        }
        return Value(a.as_string() + b.as_string());
      }
      if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
        // Bounded like `[..] * n`: a list doubling itself in a loop must not run away.
        if (a.as_list().size() + b.as_list().size() >
            static_cast<uint64_t>(limits.max_range_length)) {
          return TypeError("list too large");
        }
        Value::List out = a.as_list();
        out.insert(out.end(), b.as_list().begin(), b.as_list().end());
        return a.is_list() ? Value::MakeList(std::move(out)) : Value::MakeTuple(std::move(out));
      }
      break;
    case BinOp::kMul:
      if ((a.is_string() || a.is_sequence_container()) && IsIntLike(b)) {
        return Repeat(a, AsInt(b), limits);
      }
      if ((b.is_string() || b.is_sequence_container()) && IsIntLike(a)) {
        return Repeat(b, AsInt(a), limits);
      }
      break;
    case BinOp::kMod:
      if (a.is_string()) {
        MAESTRO_ASSIGN_OR_RETURN(std::string s, PercentFormat(a.as_string(), b));
        return Value(std::move(s));
      }
      break;
    default:
      break;
  }
  return Unsupported(name, a, b);
}

absl::StatusOr<bool> Contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kUndefined:
      return false;
    case Value::Kind::kString:
      if (!item.is_string()) {
        if (item.is_undefined()) return UndefinedError(item);
        return TypeError(absl::StrCat("'in <string>' requires string as left operand, not ",
                                      item.TypeName()));
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      for (const Value& x : container.as_list()) {
        if (x == item) return true;
      }
      return false;
    case Value::Kind::kDict:
      return container.as_dict().Find(item) != nullptr;
    default:
      return TypeError(absl::StrCat("argument of type '", container.TypeName(),
                                    "' is not iterable"));
  }
}

absl::StatusOr<bool> Compare(CmpOp op, const Value& a, const Value& b) {
  switch (op) {
    case CmpOp::kEq:
      return a == b;
    case CmpOp::kNe:
      return a != b;
    case CmpOp::kIn:
      return Contains(b, a);
    case CmpOp::kNotIn: {
      MAESTRO_ASSIGN_OR_RETURN(bool r, Contains(b, a));
      return !r;
    }
    default:
      break;
  }
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  static const char* kOps[] = {"==", "!=", "<", "<=", ">", ">="};
  auto wrap = [&](absl::StatusOr<bool> r) -> absl::StatusOr<bool> {
    if (r.ok()) return r;
    return TypeError(absl::StrCat("'", kOps[static_cast<int>(op)],
                                  "' not supported between instances of '", a.TypeName(),
                                  "' and '", b.TypeName(), "'"));
  };
  switch (op) {
    case CmpOp::kLt:
      return wrap(LessThan(a, b));
    case CmpOp::kGt:
      return wrap(LessThan(b, a));
    case CmpOp::kLe: {
      MAESTRO_ASSIGN_OR_RETURN(bool r, wrap(LessThan(b, a)));
      return !r;
    }
    case CmpOp::kGe: {
      MAESTRO_ASSIGN_OR_RETURN(bool r, wrap(LessThan(a, b)));
      return !r;
    }
    default:
      return false;
  }
}

namespace {
const char* ObjName(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kDict:
      return "dict object";
    case Value::Kind::kString:
      return "str object";
    case Value::Kind::kList:
      return "list object";
    case Value::Kind::kTuple:
      return "tuple object";
    case Value::Kind::kInt:
      return "int object";
    case Value::Kind::kFloat:
      return "float object";
    case Value::Kind::kBool:
      return "bool object";
    case Value::Kind::kNone:
      return "None";
    default:
      return "object";
  }
}

bool IsStrMethod(const std::string& n) {
  static const char* kNames[] = {
      "split",  "rsplit", "strip",      "lstrip",  "rstrip",  "upper",   "lower",
      "title",  "capitalize", "startswith", "endswith", "replace", "format", "join",
      "find",   "rfind",  "count",      "isdigit", "isalpha", "isalnum", "isspace",
      "isupper", "islower", "splitlines", "zfill", "ljust",   "rjust",   "center",
      "index", "partition", "swapcase"};
  for (const char* k : kNames) {
    if (n == k) return true;
  }
  return false;
}
bool IsDictMethod(const std::string& n) {
  return n == "get" || n == "items" || n == "keys" || n == "values" || n == "copy";
}
bool IsListMethod(const std::string& n) { return n == "count" || n == "index" || n == "copy"; }
}  // namespace

bool HasMethod(const Value& obj, const std::string& name) {
  if (obj.is_string()) return IsStrMethod(name);
  if (obj.is_dict()) return IsDictMethod(name);
  if (obj.is_sequence_container()) return IsListMethod(name);
  return false;
}

Value GetAttribute(const Value& obj, const std::string& name) {
  if (obj.is_object()) return obj.object()->GetAttr(name);
  if (HasMethod(obj, name)) {
    Value self = obj;
    return Value::MakeCallable(name, [self, name](const CallArgs& a) {
      return CallMethod(self, name, a, Limits());
    });
  }
  if (obj.is_dict() || obj.is_namespace()) {
    const Value* v = obj.as_dict().FindString(name);
    if (v != nullptr) return *v;
  }
  return Value::Undefined(absl::StrCat("'", ObjName(obj), "' has no attribute '", name, "'"));
}

Value GetItem(const Value& obj, const Value& key) {
  if (obj.is_object() && key.is_string()) return obj.object()->GetAttr(key.as_string());
  if (obj.is_dict()) {
    const Value* v = obj.as_dict().Find(key);
    if (v != nullptr) return *v;
    if (key.is_string() && HasMethod(obj, key.as_string())) {
      return GetAttribute(obj, key.as_string());
    }
    return Value::Undefined(absl::StrCat("'", ObjName(obj), "' has no attribute ", key.Repr()));
  }
  if ((obj.is_sequence_container() || obj.is_string()) && IsIntLike(key)) {
    int64_t i = AsInt(key);
    if (obj.is_string()) {
      const std::string& s = obj.as_string();
      if (IsAscii(s)) {
        int64_t n = static_cast<int64_t>(s.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Value::Undefined("string index out of range");
        return Value(std::string(1, s[static_cast<size_t>(i)]));
      }
      std::vector<std::string> cs = Chars(s);
      int64_t n = static_cast<int64_t>(cs.size());
      if (i < 0) i += n;
      if (i < 0 || i >= n) return Value::Undefined("string index out of range");
      return Value(cs[static_cast<size_t>(i)]);
    }
    const auto& items = obj.as_list();
    int64_t n = static_cast<int64_t>(items.size());
    if (i < 0) i += n;
    if (i < 0 || i >= n) return Value::Undefined(absl::StrCat("'", ObjName(obj), "' has no element ", AsInt(key)));
    return items[static_cast<size_t>(i)];
  }
  if (key.is_string()) return GetAttribute(obj, key.as_string());
  return Value::Undefined(absl::StrCat("'", ObjName(obj), "' has no element ", key.Repr()));
}

absl::StatusOr<Value> Slice(const Value& obj, const Value& start_v, const Value& stop_v,
                            const Value& step_v) {
  auto get = [](const Value& v, int64_t def) -> absl::StatusOr<int64_t> {
    if (v.is_none()) return def;
    if (!IsIntLike(v)) return TypeError("slice indices must be integers or None");
    return AsInt(v);
  };
  std::vector<std::string> chars;
  const Value::List* items = nullptr;
  int64_t n;
  if (obj.is_string()) {
    chars = Chars(obj.as_string());
    n = static_cast<int64_t>(chars.size());
  } else if (obj.is_sequence_container()) {
    items = &obj.as_list();
    n = static_cast<int64_t>(items->size());
  } else {
    return TypeError(absl::StrCat("'", obj.TypeName(), "' object is not subscriptable"));
  }
  MAESTRO_ASSIGN_OR_RETURN(int64_t step, get(step_v, 1));
  if (step == 0) return TypeError("slice step cannot be zero");
  int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? n : n - 1;
  auto clamp = [&](int64_t i) {
    if (i < 0) {
      i += n;
      if (i < 0) i = step > 0 ? 0 : -1;
    } else if (i >= n) {
      i = step > 0 ? n : n - 1;
    }
    return i;
  };
  int64_t start = start_v.is_none() ? (step > 0 ? lo : hi) : 0;
  int64_t stop = stop_v.is_none() ? (step > 0 ? hi : lo) : 0;
  if (!start_v.is_none()) {
    MAESTRO_ASSIGN_OR_RETURN(int64_t s, get(start_v, 0));
    start = clamp(s);
  }
  if (!stop_v.is_none()) {
    MAESTRO_ASSIGN_OR_RETURN(int64_t s, get(stop_v, 0));
    stop = clamp(s);
  }
  std::string out_s;
  Value::List out_l;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (items) {
      out_l.push_back((*items)[static_cast<size_t>(i)]);
    } else {
      out_s += chars[static_cast<size_t>(i)];
    }
  }
  if (!items) return Value(std::move(out_s));
  return obj.is_list() ? Value::MakeList(std::move(out_l)) : Value::MakeTuple(std::move(out_l));
}

absl::StatusOr<Value> CallMethod(const Value& obj, const std::string& name, const CallArgs& a,
                                 const Limits& limits) {
  if (obj.is_dict()) {
    const Dict& d = obj.as_dict();
    if (name == "get") {
      BIND(b, "get", a, {"key", Value()}, {"default", Value::None()});
      const Value* v = d.Find(b[0]);
      return v ? *v : b[1];
    }
    Value::List out;
    if (name == "copy") return obj;
    for (const auto& [k, v] : d.entries()) {
      if (name == "items") out.push_back(Value::MakeTuple({k, v}));
      if (name == "keys") out.push_back(k);
      if (name == "values") out.push_back(v);
    }
    return Value::MakeList(std::move(out));
  }
  if (obj.is_sequence_container()) {
    if (name == "copy") return obj;
    BIND(b, name, a, {"x", Value()});
    int64_t count = 0;
    const auto& items = obj.as_list();
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i] == b[0]) {
        if (name == "index") return Value(static_cast<int64_t>(i));
        ++count;
      }
    }
    if (name == "index") return TypeError("value is not in list");
    return Value(count);
  }
  const std::string& s = obj.as_string();
  if (name == "upper") return Value(Upper(s));
  if (name == "lower") return Value(Lower(s));
  if (name == "title") return Value(Title(s));
  if (name == "capitalize") return Value(Capitalize(s));
  if (name == "swapcase") {
    std::string out = s;
    for (char& c : out) c = absl::ascii_isupper(c) ? absl::ascii_tolower(c) : absl::ascii_toupper(c);
    return Value(out);
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    BIND(b, name, a, {"chars", Value::None()});
    return Value(StripChars(s, b[0], name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    BIND(b, name, a, {"sep", Value::None()}, {"maxsplit", Value(-1)});
    MAESTRO_ASSIGN_OR_RETURN(int64_t maxsplit, ToIndex(b[1], "maxsplit"));
    if (name == "rsplit" && maxsplit >= 0) {
      // Split from the right: reverse trick on the separator positions.
      MAESTRO_ASSIGN_OR_RETURN(Value all, Split(s, b[0], -1));
      const auto& parts = all.as_list();
      if (static_cast<int64_t>(parts.size()) <= maxsplit + 1) return all;
      std::string sep = b[0].is_string() ? b[0].as_string() : " ";
      size_t head_n = parts.size() - static_cast<size_t>(maxsplit);
      std::string head;
      for (size_t i = 0; i < head_n; ++i) {
        if (i) head += sep;
        head += parts[i].as_string();
      }
      Value::List out{Value(head)};
      for (size_t i = head_n; i < parts.size(); ++i) out.push_back(parts[i]);
      return Value::MakeList(std::move(out));
    }
    return Split(s, b[0], maxsplit);
  }
  if (name == "splitlines") {
    Value::List out;
    size_t i = 0;
    while (i < s.size()) {
      size_t j = s.find_first_of("\n\r", i);
      if (j == std::string::npos) {
        out.emplace_back(s.substr(i));
        break;
      }
      out.emplace_back(s.substr(i, j - i));
      i = j + ((s[j] == '\r' && j + 1 < s.size() && s[j + 1] == '\n') ? 2 : 1);
    }
    return Value::MakeList(std::move(out));
  }
  if (name == "startswith" || name == "endswith") {
    BIND(b, name, a, {"prefix", Value()});
    std::vector<Value> cands;
    if (b[0].is_tuple()) {
      cands = b[0].as_list();
    } else if (b[0].is_string()) {
      cands.push_back(b[0]);
    } else {
      return TypeError(absl::StrCat(name, " first arg must be str or a tuple of str, not ",
                                    b[0].TypeName()));
    }
    for (const Value& c : cands) {
      const std::string& p = c.as_string();
      if (p.size() > s.size()) continue;
      if (name == "startswith" ? s.compare(0, p.size(), p) == 0
                               : s.compare(s.size() - p.size(), p.size(), p) == 0)
        return Value(true);
    }
    return Value(false);
  }
  if (name == "replace") {
    BIND(b, "replace", a, {"old", Value()}, {"new", Value()}, {"count", Value(-1)});
    if (!b[0].is_string() || !b[1].is_string()) return TypeError("replace() arguments must be str");
    std::string r = Replace(s, b[0].as_string(), b[1].as_string(), IsIntLike(b[2]) ? AsInt(b[2]) : -1);
    if (r.size() > limits.max_output_bytes) return TypeError("string too large");
    return Value(std::move(r));
  }
  if (name == "format") {
    MAESTRO_ASSIGN_OR_RETURN(std::string r, StrFormat(s, a));
    return Value(std::move(r));
  }
  if (name == "join") {
    BIND(b, "join", a, {"iterable", Value()});
    MAESTRO_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(b[0]));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string()) {
        return TypeError(absl::StrCat("sequence item ", i, ": expected str instance, ",
                                      items[i].TypeName(), " found"));
      }
      if (i) out += s;
      out += items[i].as_string();
    }
    return Value(std::move(out));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "count") {
    BIND(b, name, a, {"sub", Value()});
    if (!b[0].is_string()) return TypeError("must be str");
    const std::string& sub = b[0].as_string();
    if (name == "count") {
      if (sub.empty()) return Value(CharLen(s) + 1);
      int64_t n = 0;
      for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
      return Value(n);
    }
    size_t p = name == "rfind" ? s.rfind(sub) : s.find(sub);
    if (p == std::string::npos) {
      if (name == "index") return TypeError("substring not found");
      return Value(int64_t{-1});
    }
    return Value(CharLen(s.substr(0, p)));
  }
  if (name == "partition") {
    BIND(b, name, a, {"sep", Value()});
    std::string sep = b[0].Str();
    if (sep.empty()) return TypeError("empty separator");
    size_t p = s.find(sep);
    if (p == std::string::npos) return Value::MakeTuple({Value(s), Value(""), Value("")});
    return Value::MakeTuple({Value(s.substr(0, p)), Value(sep), Value(s.substr(p + sep.size()))});
  }
  if (name == "zfill" || name == "ljust" || name == "rjust" || name == "center") {
    BIND(b, name, a, {"width", Value()}, {"fillchar", Value(" ")});
    MAESTRO_ASSIGN_OR_RETURN(int64_t w, ToIndex(b[0], "width"));
    if (w > 100000) return TypeError("width too large");
    int64_t len = CharLen(s);
    if (w <= len) return Value(s);
    size_t pad = static_cast<size_t>(w - len);
    std::string f = b[1].Str();
    char fc = f.empty() ? ' ' : f[0];
    if (name == "zfill") {
      size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
      std::string out = s;
      out.insert(sign, pad, '0');
      return Value(out);
    }
    if (name == "ljust") return Value(s + std::string(pad, fc));
    if (name == "rjust") return Value(std::string(pad, fc) + s);
    size_t left = pad / 2 + (pad & static_cast<size_t>(w) & 1);
    return Value(std::string(left, fc) + s + std::string(pad - left, fc));
  }
  auto all = [&](int (*pred)(int)) {
    if (s.empty()) return false;
    for (unsigned char c : s) {
      if (!pred(c)) return false;
    }
    return true;
  };
  if (name == "isdigit") return Value(all(::isdigit));
  if (name == "isalpha") return Value(all(::isalpha));
  if (name == "isalnum") return Value(all(::isalnum));
  if (name == "isspace") return Value(all(::isspace));
  if (name == "isupper" || name == "islower") {
    bool cased = false;
    for (unsigned char c : s) {
      if (std::isalpha(c)) {
        cased = true;
        if (name == "isupper" ? std::islower(c) : std::isupper(c)) return Value(false);
      }
    }
    return Value(cased);
  }
  return TypeError(absl::StrCat("'str' object has no attribute '", name, "'"));
}

absl::StatusOr<std::string> PercentFormat(const std::string& fmt, const Value& args) {
  std::vector<Value> positional;
  const Value* mapping = nullptr;
  if (args.is_tuple()) {
    positional = args.as_list();
  } else if (args.is_dict()) {
    mapping = &args;
    positional.push_back(args);
  } else {
    positional.push_back(args);
  }
  size_t next = 0;
  bool used_mapping = false;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (++i >= fmt.size()) return TypeError("incomplete format");
    Value v;
    bool have_v = false;
    if (fmt[i] == '(') {
      size_t close = fmt.find(')', i);
      if (close == std::string::npos) return TypeError("incomplete format key");
      if (mapping == nullptr) return TypeError("format requires a mapping");
      std::string key = fmt.substr(i + 1, close - i - 1);
      const Value* found = mapping->as_dict().FindString(key);
      if (found == nullptr) return TypeError(absl::StrCat("KeyError: '", key, "'"));
      v = *found;
      have_v = true;
      used_mapping = true;
      i = close + 1;
    }
    Spec sp;
    for (; i < fmt.size(); ++i) {
      char f = fmt[i];
      if (f == '-') sp.left = true;
      else if (f == '+') sp.plus = true;
      else if (f == ' ') sp.space = true;
      else if (f == '#') sp.alt = true;
      else if (f == '0') sp.zero = true;
      else break;
    }
    auto read_num = [&](int* dst) -> absl::Status {
      if (i < fmt.size() && fmt[i] == '*') {
        if (next >= positional.size() || !IsIntLike(positional[next])) {
          return TypeError("* wants int");
        }
        *dst = static_cast<int>(std::min<int64_t>(AsInt(positional[next++]), 100000));
        ++i;
        return absl::OkStatus();
      }
      int n = -1;
      while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) {
        n = (n < 0 ? 0 : n) * 10 + (fmt[i++] - '0');
        if (n > 100000) return TypeError("width too big");
      }
      *dst = n;
      return absl::OkStatus();
    };
    MAESTRO_RETURN_IF_ERROR(read_num(&sp.width));
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      MAESTRO_RETURN_IF_ERROR(read_num(&sp.prec));
      if (sp.prec < 0) sp.prec = 0;
    }
    while (i < fmt.size() && (fmt[i] == 'l' || fmt[i] == 'h' || fmt[i] == 'L')) ++i;
    if (i >= fmt.size()) return TypeError("incomplete format");
    sp.type = fmt[i];
    if (sp.type == '%') {
      out.push_back('%');
      continue;
    }
    if (!have_v) {
      if (mapping != nullptr && next == 0 && positional.size() == 1) {
        v = positional[0];
        next = 1;
      } else {
        if (next >= positional.size()) return TypeError("not enough arguments for format string");
        v = positional[next++];
      }
    }
    if (sp.type == 'F') sp.type = 'F';
    MAESTRO_ASSIGN_OR_RETURN(std::string piece, FormatOne(sp, v));
    out += piece;
  }
  if (!used_mapping && mapping == nullptr && next < positional.size()) {
    return TypeError("not all arguments converted during string formatting");
  }
  return out;
}

}  // namespace maestro::jinja::internal
