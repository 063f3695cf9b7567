// Python formatting of the template engine: printf-style `fmt % args` and str.format.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "maestro/base/status_macros.h"
#include "maestro/model/py_format.h"
#include "maestro/template/builtins_util.h"

namespace maestro::jinja::internal {

namespace {

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
      return TypeError(absl::StrCat("%", std::string(1, t),
                                    " format: a real number is required, not ", v.TypeName()));
    }
    std::string flags;
    if (sp.plus) flags += '+';
    if (sp.space) flags += ' ';
    if (sp.alt) flags += '#';
    char buf[512];
    if (v.is_big_int() && std::strchr("diuxXo", t) != nullptr) {
      int base = t == 'o' ? 8 : (t == 'x' || t == 'X') ? 16 : 10;
      std::string digits = v.ToBigInt().Abs().ToString(base);
      if (t == 'X') digits = absl::AsciiStrToUpper(digits);
      std::string prefix = !sp.alt ? "" : t == 'o' ? "0o" : t == 'x' ? "0x" : t == 'X' ? "0X" : "";
      std::string sign = v.ToBigInt().negative() ? "-" : sp.plus ? "+" : sp.space ? " " : "";
      body = sign + prefix + digits;
    } else if (t == 'd' || t == 'i' || t == 'u') {
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
    if (v.is_big_int()) {
      body = v.ToBigInt().ToString(base);
      if (type == 'X') body = absl::AsciiStrToUpper(body);
    } else {
      body = FormatIntBase(AsInt(v), base, type == 'X');
    }
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
      std::snprintf(buf, sizeof(buf), (std::string("%.*") + type).c_str(), prec < 0 ? 6 : prec, d);
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

}  // namespace

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
        return TypeError(
            absl::StrCat("Replacement index ", idx, " out of range for positional args tuple"));
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
      if (f == '-')
        sp.left = true;
      else if (f == '+')
        sp.plus = true;
      else if (f == ' ')
        sp.space = true;
      else if (f == '#')
        sp.alt = true;
      else if (f == '0')
        sp.zero = true;
      else
        break;
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
