#pragma once
// Storage precision of the factor tables. Arithmetic and optimizer state are always fp32; bf16 and
// fp16 halve the memory of the factors (mixed precision, as the Keras recipe offers).
#include <bit>
#include <cstdint>
#include <string>

namespace mfrec {

enum class Precision : uint8_t { fp32 = 0, bf16 = 1, fp16 = 2 };

Precision parse_precision(const std::string& name);  // throws UsageError
const char* precision_name(Precision p);
inline size_t precision_bytes(Precision p) { return p == Precision::fp32 ? 4 : 2; }

// 16-bit storage types. Each converts to and from float; to_storage rounds to nearest even.
struct bf16 {
  uint16_t bits;
};
// clang before 15 has _Float16 on x86 only with AVX512-FP16; its __fp16 is the same IEEE half as a
// storage-only type (arithmetic in float), converted the same way (round to nearest even).
#if defined(__clang__) && __clang_major__ < 15 && !defined(__AVX512FP16__)
using half_t = __fp16;
#else
using half_t = _Float16;
#endif
struct fp16 {
  half_t value;
};

inline float to_float(float x) { return x; }
inline float to_float(bf16 x) { return std::bit_cast<float>(uint32_t(x.bits) << 16); }
inline float to_float(fp16 x) { return float(x.value); }

template <typename T>
T to_storage(float x);
template <>
inline float to_storage<float>(float x) { return x; }
template <>
inline bf16 to_storage<bf16>(float x) {
  uint32_t u = std::bit_cast<uint32_t>(x);
  if ((u & 0x7f800000u) == 0x7f800000u) return bf16{uint16_t(u >> 16 | ((u & 0xffff) ? 0x40 : 0))};
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
  return bf16{uint16_t(u >> 16)};
}
template <>
inline fp16 to_storage<fp16>(float x) { return fp16{half_t(x)}; }

// Stochastic rounding for bf16: small optimizer steps survive on average instead of vanishing
// below half an ulp. `noise` is 16 uniformly random bits.
inline bf16 to_bf16_stochastic(float x, uint32_t noise) {
  uint32_t u = std::bit_cast<uint32_t>(x);
  if ((u & 0x7f800000u) == 0x7f800000u) return to_storage<bf16>(x);
  return bf16{uint16_t((u + (noise & 0xffffu)) >> 16)};
}

}  // namespace mfrec
