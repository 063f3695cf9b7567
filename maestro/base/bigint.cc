#include "maestro/base/bigint.h"

#include <algorithm>
#include <cmath>

namespace maestro {

BigInt::BigInt(int64_t v) {
  negative_ = v < 0;
  uint64_t m = negative_ ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  while (m != 0) {
    limbs_.push_back(static_cast<uint32_t>(m));
    m >>= 32;
  }
}

void BigInt::Trim() {
  while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
  if (limbs_.empty()) negative_ = false;
}

size_t BigInt::BitLength() const {
  if (limbs_.empty()) return 0;
  return (limbs_.size() - 1) * 32 + (32 - static_cast<size_t>(__builtin_clz(limbs_.back())));
}

std::optional<BigInt> BigInt::Parse(const std::string& digits, int base, bool negative) {
  if (digits.empty() || base < 2 || base > 36) return std::nullopt;
  BigInt out;
  for (char c : digits) {
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'z' ? c - 'a' + 10
            : c >= 'A' && c <= 'Z' ? c - 'A' + 10
                                   : 99;
    if (d >= base) return std::nullopt;
    uint64_t carry = static_cast<uint64_t>(d);
    for (uint32_t& limb : out.limbs_) {
      uint64_t x = static_cast<uint64_t>(limb) * static_cast<uint64_t>(base) + carry;
      limb = static_cast<uint32_t>(x);
      carry = x >> 32;
    }
    if (carry != 0) out.limbs_.push_back(static_cast<uint32_t>(carry));
    if (out.TooBig()) return std::nullopt;
  }
  out.negative_ = negative;
  out.Trim();
  return out;
}

std::optional<BigInt> BigInt::FromDouble(double d) {
  if (!std::isfinite(d)) return std::nullopt;
  d = std::trunc(d);
  BigInt out;
  bool neg = d < 0;
  d = std::fabs(d);
  if (d < 1) return out;
  int exp = 0;
  double mant = std::frexp(d, &exp);  // d = mant * 2^exp, mant in [0.5, 1)
  uint64_t m = static_cast<uint64_t>(std::ldexp(mant, 53));
  int shift = exp - 53;
  out = BigInt(static_cast<int64_t>(m));
  if (shift > 0) {
    std::optional<BigInt> p = Pow(BigInt(2), static_cast<uint64_t>(shift));
    if (!p) return std::nullopt;
    std::optional<BigInt> r = Mul(out, *p);
    if (!r) return std::nullopt;
    out = *r;
  } else if (shift < 0) {
    out = BigInt(static_cast<int64_t>(m >> -shift));
  }
  out.negative_ = neg;
  out.Trim();
  return out;
}

bool BigInt::FitsInt64() const {
  if (limbs_.size() > 2) return false;
  uint64_t m = limbs_.empty() ? 0 : limbs_[0];
  if (limbs_.size() == 2) m |= static_cast<uint64_t>(limbs_[1]) << 32;
  return negative_ ? m <= static_cast<uint64_t>(INT64_MAX) + 1 : m <= INT64_MAX;
}

int64_t BigInt::ToInt64() const {
  uint64_t m = limbs_.empty() ? 0 : limbs_[0];
  if (limbs_.size() >= 2) m |= static_cast<uint64_t>(limbs_[1]) << 32;
  return negative_ ? static_cast<int64_t>(0 - m) : static_cast<int64_t>(m);
}

double BigInt::ToDouble() const {
  // Round to nearest from the top 64 bits plus a sticky bit for the rest.
  size_t bits = BitLength();
  if (bits == 0) return 0.0;
  double r;
  if (bits <= 64) {
    uint64_t m = limbs_[0];
    if (limbs_.size() == 2) m |= static_cast<uint64_t>(limbs_[1]) << 32;
    r = static_cast<double>(m);
  } else {
    size_t shift = bits - 64;
    uint64_t top = 0;
    bool sticky = false;
    for (size_t i = 0; i < 64; ++i) {
      size_t bit = shift + i;
      if ((limbs_[bit / 32] >> (bit % 32)) & 1) top |= uint64_t{1} << i;
    }
    for (size_t bit = 0; bit < shift && !sticky; ++bit) {
      if ((limbs_[bit / 32] >> (bit % 32)) & 1) sticky = true;
    }
    if (sticky) top |= 1;  // the low bit of 64 is below double precision: breaks ties right
    r = std::ldexp(static_cast<double>(top), static_cast<int>(shift));
  }
  return negative_ ? -r : r;
}

std::string BigInt::ToString(int base) const {
  if (limbs_.empty()) return "0";
  std::vector<uint32_t> m = limbs_;
  std::string out;
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  while (!m.empty()) {
    uint64_t rem = 0;
    for (size_t i = m.size(); i-- > 0;) {
      uint64_t cur = (rem << 32) | m[i];
      m[i] = static_cast<uint32_t>(cur / static_cast<uint64_t>(base));
      rem = cur % static_cast<uint64_t>(base);
    }
    while (!m.empty() && m.back() == 0) m.pop_back();
    out.push_back(digits[rem]);
  }
  if (negative_) out.push_back('-');
  std::reverse(out.begin(), out.end());
  return out;
}

int BigInt::CompareMagnitude(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (size_t i = a.size(); i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

int BigInt::Compare(const BigInt& a, const BigInt& b) {
  if (a.negative_ != b.negative_) return a.negative_ ? -1 : 1;
  int c = CompareMagnitude(a.limbs_, b.limbs_);
  return a.negative_ ? -c : c;
}

std::vector<uint32_t> BigInt::AddMagnitude(const std::vector<uint32_t>& a,
                                           const std::vector<uint32_t>& b) {
  std::vector<uint32_t> out(std::max(a.size(), b.size()) + 1, 0);
  uint64_t carry = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    uint64_t x = carry;
    if (i < a.size()) x += a[i];
    if (i < b.size()) x += b[i];
    out[i] = static_cast<uint32_t>(x);
    carry = x >> 32;
  }
  return out;
}

std::vector<uint32_t> BigInt::SubMagnitude(const std::vector<uint32_t>& a,
                                           const std::vector<uint32_t>& b) {
  std::vector<uint32_t> out(a.size(), 0);
  int64_t borrow = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    int64_t x = static_cast<int64_t>(a[i]) - borrow - (i < b.size() ? b[i] : 0);
    borrow = x < 0 ? 1 : 0;
    out[i] = static_cast<uint32_t>(x + (borrow << 32));
  }
  return out;
}

std::optional<BigInt> BigInt::Add(const BigInt& a, const BigInt& b) {
  BigInt out;
  if (a.negative_ == b.negative_) {
    out.limbs_ = AddMagnitude(a.limbs_, b.limbs_);
    out.negative_ = a.negative_;
  } else if (CompareMagnitude(a.limbs_, b.limbs_) >= 0) {
    out.limbs_ = SubMagnitude(a.limbs_, b.limbs_);
    out.negative_ = a.negative_;
  } else {
    out.limbs_ = SubMagnitude(b.limbs_, a.limbs_);
    out.negative_ = b.negative_;
  }
  out.Trim();
  if (out.TooBig()) return std::nullopt;
  return out;
}

std::optional<BigInt> BigInt::Sub(const BigInt& a, const BigInt& b) { return Add(a, b.Negated()); }

std::optional<BigInt> BigInt::Mul(const BigInt& a, const BigInt& b) {
  if (a.BitLength() + b.BitLength() > kMaxBits + 1) return std::nullopt;
  BigInt out;
  out.limbs_.assign(a.limbs_.size() + b.limbs_.size(), 0);
  for (size_t i = 0; i < a.limbs_.size(); ++i) {
    uint64_t carry = 0;
    for (size_t j = 0; j < b.limbs_.size(); ++j) {
      uint64_t x = static_cast<uint64_t>(a.limbs_[i]) * b.limbs_[j] + out.limbs_[i + j] + carry;
      out.limbs_[i + j] = static_cast<uint32_t>(x);
      carry = x >> 32;
    }
    out.limbs_[i + b.limbs_.size()] = static_cast<uint32_t>(carry);
  }
  out.negative_ = a.negative_ != b.negative_;
  out.Trim();
  if (out.TooBig()) return std::nullopt;
  return out;
}

void BigInt::DivModMagnitude(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                             std::vector<uint32_t>* q, std::vector<uint32_t>* r) {
  q->assign(a.size(), 0);
  r->clear();
  if (b.size() == 1) {  // short division
    uint64_t rem = 0;
    for (size_t i = a.size(); i-- > 0;) {
      uint64_t cur = (rem << 32) | a[i];
      (*q)[i] = static_cast<uint32_t>(cur / b[0]);
      rem = cur % b[0];
    }
    if (rem != 0) r->push_back(static_cast<uint32_t>(rem));
  } else {  // binary long division: magnitudes are at most kMaxBits
    for (size_t bit = a.size() * 32; bit-- > 0;) {
      // r = r * 2 + bit
      uint32_t carry = (a[bit / 32] >> (bit % 32)) & 1;
      for (uint32_t& limb : *r) {
        uint32_t next = limb >> 31;
        limb = (limb << 1) | carry;
        carry = next;
      }
      if (carry != 0) r->push_back(carry);
      if (CompareMagnitude(*r, b) >= 0) {
        *r = SubMagnitude(*r, b);
        while (!r->empty() && r->back() == 0) r->pop_back();
        (*q)[bit / 32] |= uint32_t{1} << (bit % 32);
      }
    }
  }
  while (!q->empty() && q->back() == 0) q->pop_back();
  while (!r->empty() && r->back() == 0) r->pop_back();
}

bool BigInt::DivMod(const BigInt& a, const BigInt& b, BigInt* q, BigInt* r) {
  if (b.is_zero()) return false;
  BigInt qq, rr;
  DivModMagnitude(a.limbs_, b.limbs_, &qq.limbs_, &rr.limbs_);
  qq.negative_ = a.negative_ != b.negative_;
  rr.negative_ = a.negative_;
  qq.Trim();
  rr.Trim();
  // Truncated -> floored: when the remainder is non-zero and the signs differ.
  if (!rr.is_zero() && a.negative_ != b.negative_) {
    qq = *Sub(qq, BigInt(1));
    rr = *Add(rr, b);
  }
  *q = std::move(qq);
  *r = std::move(rr);
  return true;
}

std::optional<BigInt> BigInt::Pow(const BigInt& a, uint64_t e) {
  BigInt result(1);
  if (e == 0) return result;
  if (a.is_zero()) return a;
  if (a.limbs_.size() == 1 && a.limbs_[0] == 1) {
    BigInt one(1);
    if (a.negative_ && (e & 1)) return one.Negated();
    return one;
  }
  if (e > kMaxBits) return std::nullopt;  // |a| >= 2
  BigInt base = a;
  while (true) {
    if (e & 1) {
      std::optional<BigInt> r = Mul(result, base);
      if (!r) return std::nullopt;
      result = std::move(*r);
    }
    e >>= 1;
    if (e == 0) break;
    std::optional<BigInt> sq = Mul(base, base);
    if (!sq) return std::nullopt;
    base = std::move(*sq);
  }
  return result;
}

BigInt BigInt::Negated() const {
  BigInt out = *this;
  if (!out.is_zero()) out.negative_ = !out.negative_;
  return out;
}

BigInt BigInt::Abs() const {
  BigInt out = *this;
  out.negative_ = false;
  return out;
}

}  // namespace maestro
