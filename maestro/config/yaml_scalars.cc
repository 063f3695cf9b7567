// PyYAML's YAML 1.1 implicit resolver and constructors for plain scalars (null, bool, int of
// any size, float, timestamp) and Python's str() of a scalar node: the typing half of
// yaml_tree.h. The tree building half (libyaml events, paths, limits) is in yaml_tree.cc.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "maestro/base/bigint.h"
#include "maestro/config/yaml_tree.h"
#include "maestro/model/py_format.h"

namespace maestro {
namespace config {
namespace {

// PyYAML 5.x resolver patterns (yaml/resolver.py), YAML 1.1.
const std::regex& BoolRe() {
  static const std::regex re(
      "^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$");
  return re;
}
const std::regex& FloatRe() {
  static const std::regex re(
      "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?"
      "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
      "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*"
      "|[-+]?\\.(?:inf|Inf|INF)"
      "|\\.(?:nan|NaN|NAN))$");
  return re;
}
const std::regex& IntRe() {
  static const std::regex re(
      "^(?:[-+]?0b[0-1_]+"
      "|[-+]?0[0-7_]+"
      "|[-+]?(?:0|[1-9][0-9_]*)"
      "|[-+]?0x[0-9a-fA-F_]+"
      "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$");
  return re;
}
const std::regex& NullRe() {
  static const std::regex re("^(?:~|null|Null|NULL|)$");
  return re;
}
const std::regex& TimestampRe() {
  static const std::regex re(
      "^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)"
      "(?:(?:[Tt]|[ \\t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\\.([0-9]*))?"
      "(?:[ \\t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$");
  return re;
}

// The sexagesimal alternative of IntRe ([-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+), the only one a
// text containing ':' can match, checked by hand: ports such as "8080:80" are common and need
// no regex.
bool IsSexagesimalInt(const std::string& t) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
  if (i >= t.size() || t[i] < '1' || t[i] > '9') return false;
  ++i;
  while (i < t.size() && (digit(t[i]) || t[i] == '_')) ++i;
  int groups = 0;
  while (i < t.size()) {
    if (t[i] != ':') return false;
    size_t start = ++i;
    while (i < t.size() && digit(t[i]) && i - start < 2) ++i;
    if (i == start || (i - start == 2 && t[start] > '5')) return false;
    ++groups;
  }
  return groups > 0;
}

std::string StripUnderscores(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out.push_back(c);
  }
  return out;
}

// Parses digits in `base` into *out; false on overflow or a bad digit.
bool ParseUnsigned(const std::string& digits, int base, uint64_t* out) {
  if (digits.empty()) return false;
  unsigned __int128 v = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    if (d >= base) return false;
    v = v * base + d;
    if (v > static_cast<unsigned __int128>(INT64_MAX) + 1) return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

// The value of an int scalar (underscores and sign removed) of any size, as PyYAML's
// construct_yaml_int; nullopt past BigInt's bound.
std::optional<BigInt> ConstructBigInt(const std::string& value, bool negative) {
  std::optional<BigInt> v;
  if (value.rfind("0b", 0) == 0) {
    v = BigInt::Parse(value.substr(2), 2, false);
  } else if (value.rfind("0x", 0) == 0) {
    v = BigInt::Parse(value.substr(2), 16, false);
  } else if (value.find(':') != std::string::npos) {
    v = BigInt(0);
    std::stringstream parts(value);
    std::string part;
    while (v && std::getline(parts, part, ':')) {
      std::optional<BigInt> p = BigInt::Parse(part, 10, false);
      std::optional<BigInt> shifted = BigInt::Mul(*v, BigInt(60));
      if (!p || !shifted) return std::nullopt;
      v = BigInt::Add(*shifted, *p);
    }
  } else if (value.size() > 1 && value[0] == '0') {
    v = BigInt::Parse(value.substr(1), 8, false);
  } else {
    v = BigInt::Parse(value, 10, false);
  }
  if (!v) return std::nullopt;
  return negative ? v->Negated() : *v;
}

bool ConstructInt(const std::string& text, YamlNode* node, std::string* error) {
  std::string value = StripUnderscores(text);
  bool negative = false;
  if (!value.empty() && (value[0] == '-' || value[0] == '+')) {
    negative = value[0] == '-';
    value.erase(0, 1);
  }
  uint64_t magnitude = 0;
  bool ok = true;
  if (value == "0") {
    magnitude = 0;
  } else if (value.rfind("0b", 0) == 0) {
    ok = ParseUnsigned(value.substr(2), 2, &magnitude);
  } else if (value.rfind("0x", 0) == 0) {
    ok = ParseUnsigned(value.substr(2), 16, &magnitude);
  } else if (value[0] == '0') {
    ok = ParseUnsigned(value.substr(1), 8, &magnitude);
  } else if (value.find(':') != std::string::npos) {
    unsigned __int128 v = 0;
    std::stringstream parts(value);
    std::string part;
    while (std::getline(parts, part, ':')) {
      uint64_t p = 0;
      if (!ParseUnsigned(part, 10, &p)) {
        ok = false;
        break;
      }
      v = v * 60 + p;
      if (v > static_cast<unsigned __int128>(INT64_MAX)) {
        ok = false;
        break;
      }
    }
    magnitude = static_cast<uint64_t>(v);
  } else {
    ok = ParseUnsigned(value, 10, &magnitude);
  }
  if (!ok || (!negative && magnitude > static_cast<uint64_t>(INT64_MAX))) {
    // Beyond int64: PyYAML makes a Python int, whose str() is its exact decimal text.
    std::optional<BigInt> big = ConstructBigInt(value, negative);
    if (!big) {
      *error = absl::StrCat("integer '", text, "' is out of range");
      return false;
    }
    node->kind = YamlNode::Kind::kInt;
    node->big_int = big->ToString();
    node->int_value = negative ? INT64_MIN : INT64_MAX;
    return true;
  }
  node->kind = YamlNode::Kind::kInt;
  node->int_value =
      negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

void ConstructFloat(const std::string& text, YamlNode* node) {
  std::string value = StripUnderscores(text);
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double sign = 1;
  if (!value.empty() && (value[0] == '-' || value[0] == '+')) {
    if (value[0] == '-') sign = -1;
    value.erase(0, 1);
  }
  double result;
  if (value == ".inf") {
    result = sign * INFINITY;
  } else if (value == ".nan") {
    result = NAN;
  } else if (value.find(':') != std::string::npos) {
    std::vector<double> digits;
    std::stringstream parts(value);
    std::string part;
    while (std::getline(parts, part, ':')) digits.push_back(std::strtod(part.c_str(), nullptr));
    result = 0;
    double base = 1;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      result += *it * base;
      base *= 60;
    }
    result *= sign;
  } else {
    result = sign * std::strtod(value.c_str(), nullptr);
  }
  node->kind = YamlNode::Kind::kFloat;
  node->float_value = result;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool ConstructTimestamp(const std::smatch& m, const std::string& text, YamlNode* node,
                        std::string* error) {
  int year = std::atoi(m[1].str().c_str());
  int month = std::atoi(m[2].str().c_str());
  int day = std::atoi(m[3].str().c_str());
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      day > kDays[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0)) {
    *error = absl::StrCat("'", text, "' looks like a date but is not a valid one");
    return false;
  }
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", year, month, day);
  std::string out = buf;
  if (m[4].matched) {
    int hour = std::atoi(m[4].str().c_str());
    int minute = std::atoi(m[5].str().c_str());
    int second = std::atoi(m[6].str().c_str());
    if (hour > 23 || minute > 59 || second > 59) {
      *error = absl::StrCat("'", text, "' looks like a timestamp but is not a valid one");
      return false;
    }
    std::snprintf(buf, sizeof(buf), " %02d:%02d:%02d", hour, minute, second);
    out += buf;
    std::string fraction = m[7].matched ? m[7].str().substr(0, 6) : "";
    while (fraction.size() < 6) fraction.push_back('0');
    if (std::atoi(fraction.c_str()) != 0) out += "." + fraction;
    if (m[8].matched) {
      if (m[8].str() == "Z") {
        out += "+00:00";
      } else {
        int tz_hour = std::atoi(m[10].str().c_str());
        int tz_minute = m[11].matched ? std::atoi(m[11].str().c_str()) : 0;
        std::snprintf(buf, sizeof(buf), "%s%02d:%02d", m[9].str().c_str(), tz_hour, tz_minute);
        out += buf;
      }
    }
  }
  node->kind = YamlNode::Kind::kTimestamp;
  node->timestamp = out;
  return true;
}

}  // namespace

bool ResolvePlainScalar(const std::string& text, YamlNode* node, std::string* error) {
  node->text = text;
  node->quoted = false;
  // No YAML 1.1 typed value is anywhere near this long, and libstdc++'s std::regex recurses
  // once per character: long plain scalars are strings without consulting the patterns.
  if (text.size() > 256) {
    node->kind = YamlNode::Kind::kString;
    return true;
  }
  char first = text.empty() ? '\0' : text[0];
  // Fast path: a plain decimal integer ("8080", "0", "42"), the commonest typed scalar.
  // Leading zeros (octal), signs, '_' and ':' take the full patterns below.
  if (first >= '1' && first <= '9' && text.size() <= 18 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    node->kind = YamlNode::Kind::kInt;
    node->int_value = std::strtoll(text.c_str(), nullptr, 10);
    return true;
  }
  std::smatch m;
  // Cheap necessary conditions first (from the patterns): a bool is at most 5 characters, a
  // float contains '.', an int containing ':' is sexagesimal, null is at most 4 characters
  // and a timestamp starts with "YYYY-".
  if (first != '\0' && text.size() <= 5 && std::strchr("yYnNtTfFoO", first) != nullptr &&
      std::regex_match(text, BoolRe())) {
    node->kind = YamlNode::Kind::kBool;
    node->bool_value = first == 'y' || first == 'Y' || first == 't' || first == 'T' ||
                       text == "on" || text == "On" || text == "ON";
    return true;
  }
  if (first != '\0' && std::strchr("-+0123456789.", first) != nullptr) {
    if (text.find('.') != std::string::npos && std::regex_match(text, FloatRe())) {
      ConstructFloat(text, node);
      return true;
    }
    if (text.find(':') != std::string::npos ? IsSexagesimalInt(text)
                                            : std::regex_match(text, IntRe())) {
      return ConstructInt(text, node, error);
    }
  }
  if ((first == '\0' || first == '~' || first == 'n' || first == 'N') && text.size() <= 4 &&
      std::regex_match(text, NullRe())) {
    node->kind = YamlNode::Kind::kNull;
    return true;
  }
  if (first >= '0' && first <= '9' && text.size() >= 8 && text[4] == '-' &&
      std::regex_match(text, m, TimestampRe())) {
    // The regex accepts one-digit months/days only together with a time, like PyYAML's.
    bool date_only = !m[4].matched;
    if (!date_only || (m[2].length() == 2 && m[3].length() == 2)) {
      return ConstructTimestamp(m, text, node, error);
    }
  }
  node->kind = YamlNode::Kind::kString;
  return true;
}

std::string YamlNode::PyStr() const {
  switch (kind) {
    case Kind::kNull:
      return "None";
    case Kind::kBool:
      return model::PyBool(bool_value);
    case Kind::kInt:
      return big_int.empty() ? std::to_string(int_value) : big_int;
    case Kind::kFloat:
      return model::PyFloatRepr(float_value);
    case Kind::kTimestamp:
      return timestamp;
    case Kind::kString:
      return text;
    case Kind::kSequence:
      return "<sequence>";
    case Kind::kMapping:
      return "<mapping>";
  }
  return "";
}

}  // namespace config
}  // namespace maestro
