#include "maestro/template/lexer.h"

#include <cerrno>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace maestro::jinja {
namespace {

#define MAESTRO_LEX_TRY(expr)  \
  do {                         \
    absl::Status _st = (expr); \
    if (!_st.ok()) return _st; \
  } while (0)

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  Lexer(std::string source, const std::string& name) : src_(std::move(source)), name_(name) {}

  absl::StatusOr<std::vector<Token>> Run() {
    bool strip_next = false;
    while (pos_ < src_.size()) {
      size_t start = FindTagStart(pos_);
      std::string data = src_.substr(pos_, start - pos_);
      int data_line = line_;
      CountLines(pos_, start);
      pos_ = start;
      if (strip_next) {
        size_t i = 0;
        while (i < data.size() && IsSpace(data[i])) ++i;
        data.erase(0, i);
        strip_next = false;
      }
      if (pos_ < src_.size() && src_[pos_ + 2] == '-') {
        while (!data.empty() && IsSpace(data.back())) data.pop_back();
      }
      if (!data.empty()) Emit(TokenType::kData, std::move(data), data_line);
      if (pos_ >= src_.size()) break;
      char kind = src_[pos_ + 1];
      size_t after = pos_ + 2;
      if (after < src_.size() && (src_[after] == '-' || src_[after] == '+')) ++after;
      if (kind == '#') {
        size_t end = src_.find("#}", after);
        if (end == std::string::npos) return Error(line_, "missing end of comment tag");
        strip_next = end > after && src_[end - 1] == '-';
        CountLines(pos_, end + 2);
        pos_ = end + 2;
        continue;
      }
      if (kind == '%' && IsRawStart(after)) {
        MAESTRO_LEX_TRY(LexRaw(after, &strip_next));
        continue;
      }
      int tag_line = line_;
      Emit(kind == '{' ? TokenType::kVarBegin : TokenType::kBlockBegin, "", tag_line);
      pos_ = after;
      absl::Status st = LexTag(kind == '{' ? '}' : '%', &strip_next);
      if (!st.ok()) return st;
    }
    Emit(TokenType::kEof, "", line_);
    return std::move(tokens_);
  }

 private:
  absl::Status Error(int line, absl::string_view msg) {
    return absl::InvalidArgumentError(absl::StrCat(name_, ":", line, ": ", msg));
  }

  void Emit(TokenType type, std::string text, int line) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    t.line = line;
    tokens_.push_back(std::move(t));
  }

  void CountLines(size_t from, size_t to) {
    for (size_t i = from; i < to && i < src_.size(); ++i) {
      if (src_[i] == '\n') ++line_;
    }
  }

  size_t FindTagStart(size_t from) const {
    size_t i = from;
    while (true) {
      i = src_.find('{', i);
      if (i == std::string::npos || i + 1 >= src_.size()) return src_.size();
      char c = src_[i + 1];
      if (c == '{' || c == '%' || c == '#') return i;
      ++i;
    }
  }

  bool IsRawStart(size_t p) const {
    while (p < src_.size() && IsSpace(src_[p])) ++p;
    if (src_.compare(p, 3, "raw") != 0) return false;
    p += 3;
    while (p < src_.size() && IsSpace(src_[p])) ++p;
    if (p < src_.size() && src_[p] == '-') ++p;
    return src_.compare(p, 2, "%}") == 0;
  }

  // Finds `{%-? endraw -?%}` starting at `from`; returns its start and sets end/strip flags.
  size_t FindEndRaw(size_t from, size_t* end, bool* lstrip_before, bool* strip_after) const {
    size_t i = from;
    while ((i = src_.find("{%", i)) != std::string::npos) {
      size_t p = i + 2;
      bool minus = false;
      if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) {
        minus = src_[p] == '-';
        ++p;
      }
      while (p < src_.size() && IsSpace(src_[p])) ++p;
      if (src_.compare(p, 6, "endraw") == 0) {
        p += 6;
        while (p < src_.size() && IsSpace(src_[p])) ++p;
        bool trail = false;
        if (p < src_.size() && src_[p] == '-') {
          trail = true;
          ++p;
        }
        if (src_.compare(p, 2, "%}") == 0) {
          *end = p + 2;
          *lstrip_before = minus;
          *strip_after = trail;
          return i;
        }
      }
      i += 2;
    }
    return std::string::npos;
  }

  absl::Status LexRaw(size_t after, bool* strip_next) {
    int open_line = line_;
    size_t close = src_.find("%}", after);
    bool strip_inner = close > 0 && src_[close - 1] == '-';
    size_t body_start = close + 2;
    size_t end = 0;
    bool lstrip = false, strip_after = false;
    size_t endraw = FindEndRaw(body_start, &end, &lstrip, &strip_after);
    if (endraw == std::string::npos) {
      return Error(open_line, "unexpected end of template, expected 'endraw' (in 'raw' block)");
    }
    CountLines(pos_, body_start);
    std::string body = src_.substr(body_start, endraw - body_start);
    int body_line = line_;
    if (strip_inner) {
      size_t i = 0;
      while (i < body.size() && IsSpace(body[i])) ++i;
      body.erase(0, i);
    }
    if (lstrip) {
      while (!body.empty() && IsSpace(body.back())) body.pop_back();
    }
    if (!body.empty()) Emit(TokenType::kData, std::move(body), body_line);
    CountLines(body_start, end);
    pos_ = end;
    *strip_next = strip_after;
    return absl::OkStatus();
  }

  // Lexes expression tokens until the closing delimiter (`}}` or `%}`) at bracket depth 0.
  absl::Status LexTag(char closer, bool* strip_next) {
    int depth = 0;
    int open_line = line_;
    while (true) {
      while (pos_ < src_.size() && IsSpace(src_[pos_])) {
        if (src_[pos_] == '\n') ++line_;
        ++pos_;
      }
      if (pos_ >= src_.size()) {
        return Error(open_line, closer == '}' ? "unexpected end of template, expected '}}'"
                                              : "unexpected end of template, expected '%}'");
      }
      if (depth == 0) {
        if (src_[pos_] == '-' && pos_ + 2 < src_.size() + 0 && src_[pos_ + 1] == closer &&
            src_[pos_ + 2] == '}') {
          Emit(closer == '}' ? TokenType::kVarEnd : TokenType::kBlockEnd, "", line_);
          pos_ += 3;
          *strip_next = true;
          return absl::OkStatus();
        }
        if (src_[pos_] == closer && pos_ + 1 < src_.size() && src_[pos_ + 1] == '}') {
          Emit(closer == '}' ? TokenType::kVarEnd : TokenType::kBlockEnd, "", line_);
          pos_ += 2;
          *strip_next = false;
          return absl::OkStatus();
        }
      }
      char c = src_[pos_];
      if (IsDigit(c) || (c == '.' && pos_ + 1 < src_.size() && IsDigit(src_[pos_ + 1]) && false)) {
        MAESTRO_LEX_TRY(LexNumber());
        continue;
      }
      if (IsNameStart(c)) {
        size_t s = pos_;
        while (pos_ < src_.size() && IsNameChar(src_[pos_])) ++pos_;
        Emit(TokenType::kName, src_.substr(s, pos_ - s), line_);
        continue;
      }
      if (c == '\'' || c == '"') {
        MAESTRO_LEX_TRY(LexString());
        continue;
      }
      static const char* kTwo[] = {"//", "**", "==", "!=", ">=", "<="};
      bool matched = false;
      for (const char* op : kTwo) {
        if (src_.compare(pos_, 2, op) == 0) {
          Emit(TokenType::kOperator, op, line_);
          pos_ += 2;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      static const std::string kOne = "+-/*%~[](){}<>=.:|,;";
      if (kOne.find(c) != std::string::npos) {
        if (c == '(' || c == '[' || c == '{') ++depth;
        if (c == ')' || c == ']' || c == '}') {
          if (depth == 0) return Error(line_, absl::StrCat("unexpected '", std::string(1, c), "'"));
          --depth;
        }
        Emit(TokenType::kOperator, std::string(1, c), line_);
        ++pos_;
        continue;
      }
      return Error(line_, absl::StrCat("unexpected char '", std::string(1, c), "'"));
    }
  }

  absl::Status LexNumber() {
    size_t s = pos_;
    std::string digits;
    auto take_digits = [&]() {
      while (pos_ < src_.size() && (IsDigit(src_[pos_]) || src_[pos_] == '_')) {
        if (src_[pos_] != '_') digits.push_back(src_[pos_]);
        ++pos_;
      }
    };
    take_digits();
    bool is_float = false;
    if (pos_ + 1 < src_.size() && src_[pos_] == '.' && IsDigit(src_[pos_ + 1])) {
      is_float = true;
      digits.push_back('.');
      ++pos_;
      take_digits();
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && IsDigit(src_[p])) {
        is_float = true;
        digits.append(src_, pos_, p - pos_);
        pos_ = p;
        take_digits();
      }
    }
    Token t;
    t.line = line_;
    t.text = src_.substr(s, pos_ - s);
    if (is_float) {
      t.type = TokenType::kFloat;
      t.float_value = std::strtod(digits.c_str(), nullptr);
    } else {
      t.type = TokenType::kInt;
      errno = 0;
      long long v = std::strtoll(digits.c_str(), nullptr, 10);
      if (errno == ERANGE) {
        t.big_value = BigInt::Parse(digits, 10, false);
        if (!t.big_value) {
          return Error(line_, absl::StrCat("integer literal ", t.text.substr(0, 40),
                                           "... is too large (maestro only)"));
        }
        v = INT64_MAX;
      }
      t.int_value = v;
    }
    tokens_.push_back(std::move(t));
    return absl::OkStatus();
  }

  absl::Status LexString() {
    char q = src_[pos_];
    int start_line = line_;
    ++pos_;
    std::string out;
    while (true) {
      if (pos_ >= src_.size()) return Error(start_line, "unexpected end of string literal");
      char c = src_[pos_];
      if (c == q) {
        ++pos_;
        break;
      }
      if (c == '\n') ++line_;
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= src_.size()) return Error(start_line, "unexpected end of string literal");
      char e = src_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case '0':
          out.push_back('\0');
          break;
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '\'':
          out.push_back('\'');
          break;
        case '"':
          out.push_back('"');
          break;
        case '\n':
          ++line_;
          break;
        case 'x':
        case 'u':
        case 'U': {
          int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (int i = 0; i < n; ++i) {
            int h = pos_ + i < src_.size() ? HexVal(src_[pos_ + i]) : -1;
            if (h < 0) return Error(line_, "truncated \\x/\\u escape in string literal");
            cp = cp * 16 + static_cast<uint32_t>(h);
          }
          pos_ += static_cast<size_t>(n);
          if (cp > 0x10FFFF) return Error(line_, "invalid unicode escape in string literal");
          AppendUtf8(cp, &out);
          break;
        }
        default:
          out.push_back('\\');
          out.push_back(e);
      }
    }
    Token t;
    t.type = TokenType::kString;
    t.text = std::move(out);
    t.line = start_line;
    tokens_.push_back(std::move(t));
    return absl::OkStatus();
  }

  std::string src_;
  const std::string& name_;
  size_t pos_ = 0;
  int line_ = 1;
  std::vector<Token> tokens_;
};

std::string Normalize(absl::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    char c = source[i];
    if (c == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(c);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view source, const std::string& name) {
  Lexer lexer(Normalize(source), name);
  return lexer.Run();
}

}  // namespace maestro::jinja
