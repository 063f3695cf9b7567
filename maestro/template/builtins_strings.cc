// Python str behaviour of the template engine: code-point helpers, case mapping, strip/split/
// replace, and the str methods.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/template/builtins_util.h"
#include "maestro/template/lexer.h"

namespace maestro::jinja::internal {

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
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\x1c' ||
         c == '\x1d' || c == '\x1e' || c == '\x1f';
}

namespace {

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

}  // namespace

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
    if (j == std::string::npos || (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit)) {
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

absl::StatusOr<Value> CallStrMethod(const std::string& s, const std::string& name,
                                    const CallArgs& a, const Limits& limits) {
  if (name == "upper") return Value(Upper(s));
  if (name == "lower") return Value(Lower(s));
  if (name == "title") return Value(Title(s));
  if (name == "capitalize") return Value(Capitalize(s));
  if (name == "swapcase") {
    std::string out = s;
    for (char& c : out)
      c = absl::ascii_isupper(c) ? absl::ascii_tolower(c) : absl::ascii_toupper(c);
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
      return TypeError(
          absl::StrCat(name, " first arg must be str or a tuple of str, not ", b[0].TypeName()));
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
    std::string r =
        Replace(s, b[0].as_string(), b[1].as_string(), IsIntLike(b[2]) ? AsInt(b[2]) : -1);
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

}  // namespace maestro::jinja::internal
