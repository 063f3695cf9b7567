// A message about a position in an environment file: errors (loading fails) and warnings
// (loading succeeds; the CLI prints them). Plain value type.
#ifndef MAESTRO_CONFIG_DIAGNOSTIC_H_
#define MAESTRO_CONFIG_DIAGNOSTIC_H_

#include <string>

namespace maestro {
namespace config {

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string file;
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
  std::string path;  // "services.kafka.instances.kafka-1.ship"; may be empty
  std::string message;

  // "file:line:col: path: message" (parts that are unknown or empty are left out).
  std::string ToString() const {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += ": ";
    if (!path.empty()) out += path + ": ";
    return out + message;
  }
};

}  // namespace config
}  // namespace maestro

#endif  // MAESTRO_CONFIG_DIAGNOSTIC_H_
