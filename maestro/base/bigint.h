// BigInt: an arbitrary-precision signed integer with Python int semantics (floor division and
// modulo, exact decimal text), for the values that outgrow int64: YAML integers and template
// arithmetic (MaestroNG ran on Python, whose ints never overflow).
//
// Magnitudes are capped at kMaxBits; an operation whose result would be larger fails (returns
// false / nullopt) instead of using unbounded memory. Value type; thread-compatible.
#ifndef MAESTRO_BASE_BIGINT_H_
#define MAESTRO_BASE_BIGINT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace maestro {

class BigInt {
 public:
  // About 4,300 decimal digits: Python's default limit for int <-> str conversion.
  static constexpr size_t kMaxBits = 14300;

  BigInt() = default;
  explicit BigInt(int64_t v);

  // Digits (no sign, no prefix) in base 2..36; nullopt on a bad digit, no digits, or a value
  // past kMaxBits.
  static std::optional<BigInt> Parse(const std::string& digits, int base, bool negative);
  // The integral part of a finite double (nullopt for inf/nan).
  static std::optional<BigInt> FromDouble(double d);

  bool negative() const { return negative_; }
  bool is_zero() const { return limbs_.empty(); }
  bool FitsInt64() const;
  int64_t ToInt64() const;  // valid only when FitsInt64()
  double ToDouble() const;  // nearest double (inf when out of range)
  // Python str()/format(x, 'x'...): digits in `base` (2..36, lower case), '-' when negative.
  std::string ToString(int base = 10) const;

  // Python arithmetic; nullopt when the result exceeds kMaxBits (or on division by zero).
  static std::optional<BigInt> Add(const BigInt& a, const BigInt& b);
  static std::optional<BigInt> Sub(const BigInt& a, const BigInt& b);
  static std::optional<BigInt> Mul(const BigInt& a, const BigInt& b);
  // Floor division and modulo with the sign of the divisor, as Python's // and %.
  static bool DivMod(const BigInt& a, const BigInt& b, BigInt* q, BigInt* r);
  // a ** e for e >= 0.
  static std::optional<BigInt> Pow(const BigInt& a, uint64_t e);
  BigInt Negated() const;
  BigInt Abs() const;

  // -1, 0, 1.
  static int Compare(const BigInt& a, const BigInt& b);
  size_t BitLength() const;

 private:
  static int CompareMagnitude(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b);
  static std::vector<uint32_t> AddMagnitude(const std::vector<uint32_t>& a,
                                            const std::vector<uint32_t>& b);
  // a - b with |a| >= |b|.
  static std::vector<uint32_t> SubMagnitude(const std::vector<uint32_t>& a,
                                            const std::vector<uint32_t>& b);
  static void DivModMagnitude(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                              std::vector<uint32_t>* q, std::vector<uint32_t>* r);
  void Trim();
  bool TooBig() const { return BitLength() > kMaxBits; }

  bool negative_ = false;
  std::vector<uint32_t> limbs_;  // magnitude, least significant first, no leading zeros
};

}  // namespace maestro

#endif  // MAESTRO_BASE_BIGINT_H_
