// Python-compatible formatting of values, so that strings maestro derives from a YAML file
// (injected environment variables, log options, labels) are byte-identical to what MaestroNG
// (Python 3 str()) produced for the same file. Pure functions; safe from any thread.
#ifndef MAESTRO_MODEL_PY_FORMAT_H_
#define MAESTRO_MODEL_PY_FORMAT_H_

#include <string>

namespace maestro {
namespace model {

// repr(float) / str(float) in Python 3: the shortest string that round-trips, in fixed
// notation when the decimal exponent is in [-4, 16), else scientific with a signed exponent
// of at least two digits. Examples: 1.5, 1.0, 0.1, 1e-05, 1e+16, 1.2345e+20, inf, -inf, nan.
std::string PyFloatRepr(double value);

// str(bool): "True" / "False".
inline const char* PyBool(bool value) { return value ? "True" : "False"; }

}  // namespace model
}  // namespace maestro

#endif  // MAESTRO_MODEL_PY_FORMAT_H_
