// JSON output of the template engine (Jinja2's htmlsafe_json_dumps for the tojson filter).
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
      case '"':
        out->append("\\\"");
        continue;
      case '\\':
        out->append("\\\\");
        continue;
      case '\n':
        out->append("\\n");
        continue;
      case '\r':
        out->append("\\r");
        continue;
      case '\t':
        out->append("\\t");
        continue;
      case '\b':
        out->append("\\b");
        continue;
      case '\f':
        out->append("\\f");
        continue;
      case '<':
        out->append("\\u003c");
        continue;
      case '>':
        out->append("\\u003e");
        continue;
      case '&':
        out->append("\\u0026");
        continue;
      case '\'':
        out->append("\\u0027");
        continue;
      default:
        break;
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

}  // namespace

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
      v.AppendRepr(out);  // exact digits, also for a big int
      return absl::OkStatus();
    case Value::Kind::kFloat: {
      double d = v.as_float();
      out->append(std::isnan(d)   ? "NaN"
                  : std::isinf(d) ? (d < 0 ? "-Infinity" : "Infinity")
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
          return TypeError(
              absl::StrCat("keys must be str, int, float, bool or None, not ", k.TypeName()));
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

}  // namespace maestro::jinja::internal
