// A tiny streaming JSON writer for `maestro-guest --json`: objects, arrays, strings, integers,
// booleans and null, with commas and escaping handled. No pretty-printing beyond one value
// per call; the output is compact and ends without a newline.
//
// Thread-safety: none; one writer per output. The writer appends to a string it owns.
#ifndef MAESTRO_GUEST_JSON_WRITER_H_
#define MAESTRO_GUEST_JSON_WRITER_H_

#include <cstdio>
#include <string>
#include <vector>

namespace maestro {
namespace guest {

class JsonWriter {
 public:
  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  // Inside an object: the key of the next value.
  JsonWriter& Key(const std::string& key) {
    Separate();
    AppendString(key);
    out_.push_back(':');
    after_key_ = true;
    return *this;
  }
  JsonWriter& String(const std::string& value) {
    Separate();
    AppendString(value);
    return *this;
  }
  JsonWriter& Int(long long value) {
    Separate();
    out_ += std::to_string(value);
    return *this;
  }
  JsonWriter& Bool(bool value) {
    Separate();
    out_ += value ? "true" : "false";
    return *this;
  }
  JsonWriter& Null() {
    Separate();
    out_ += "null";
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  JsonWriter& Open(char c) {
    Separate();
    out_.push_back(c);
    first_.push_back(true);
    return *this;
  }
  JsonWriter& Close(char c) {
    out_.push_back(c);
    if (!first_.empty()) first_.pop_back();
    return *this;
  }
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }
  void AppendString(const std::string& s) {
    out_.push_back('"');
    for (unsigned char c : s) {
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\f':
          out_ += "\\f";
          break;
        default:
          if (c < 0x20) {
            char buffer[8];
            std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
            out_ += buffer;
          } else {
            out_.push_back(static_cast<char>(c));  // UTF-8 passes through
          }
      }
    }
    out_.push_back('"');
  }

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace guest
}  // namespace maestro

#endif  // MAESTRO_GUEST_JSON_WRITER_H_
