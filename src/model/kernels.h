#pragma once
// Inner loops over one factor row, templated on the storage type (float, bf16, fp16). They are
// written as plain loops that g++ -O3 vectorises; arithmetic is fp32 whatever the storage.
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

#include "common/isa.h"
#include "mfrec/precision.h"

namespace mfrec::kernels {

template <typename T>
inline float dot(const T* a, const T* b, uint32_t k) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (uint32_t c = 0; c < k; ++c) s += to_float(a[c]) * to_float(b[c]);
  return s;
}

template <typename T>
inline void load(const T* src, float* dst, uint32_t k) {
#pragma omp simd
  for (uint32_t c = 0; c < k; ++c) dst[c] = to_float(src[c]);
}

template <typename T>
inline void store(const float* src, T* dst, uint32_t k) {
#pragma omp simd
  for (uint32_t c = 0; c < k; ++c) dst[c] = to_storage<T>(src[c]);
}

#if defined(MFREC_HAS_AVX2_KERNELS)
// fp16 <-> fp32 eight at a time with the F16C instructions (g++ does not vectorise _Float16 casts).
// Every x86-64 build has them; a build not compiled for them asks the CPU first (cpu_has_avx2).
MFREC_TARGET_AVX2 inline void load_f16c(const fp16* src, float* dst, uint32_t k) {
  uint32_t c = 0;
  for (; c + 8 <= k; c += 8)
    _mm256_storeu_ps(dst + c, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + c))));
  for (; c < k; ++c) dst[c] = to_float(src[c]);
}
MFREC_TARGET_AVX2 inline void store_f16c(const float* src, fp16* dst, uint32_t k) {
  uint32_t c = 0;
  for (; c + 8 <= k; c += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + c), _mm256_cvtps_ph(_mm256_loadu_ps(src + c), _MM_FROUND_TO_NEAREST_INT));
  for (; c < k; ++c) dst[c] = to_storage<fp16>(src[c]);
}
template <>
inline void load<fp16>(const fp16* src, float* dst, uint32_t k) {
  if (!cpu_has_avx2()) {
    for (uint32_t c = 0; c < k; ++c) dst[c] = to_float(src[c]);
    return;
  }
  load_f16c(src, dst, k);
}
template <>
inline void store<fp16>(const float* src, fp16* dst, uint32_t k) {
  if (!cpu_has_avx2()) {
    for (uint32_t c = 0; c < k; ++c) dst[c] = to_storage<fp16>(src[c]);
    return;
  }
  store_f16c(src, dst, k);
}
// fp16 rows are converted a piece at a time with the loads above, then multiplied in fp32.
template <>
inline float dot<fp16>(const fp16* a, const fp16* b, uint32_t k) {
  constexpr uint32_t kPiece = 64;
  alignas(32) float x[kPiece], y[kPiece];
  float s = 0;
  for (uint32_t c = 0; c < k; c += kPiece) {
    const uint32_t n = std::min(kPiece, k - c);
    load(a + c, x, n), load(b + c, y, n);
    s += dot(x, y, n);
  }
  return s;
}
#endif

// bf16 keeps only 8 significant bits: optimizer steps smaller than half an ulp would vanish with
// round-to-nearest, so updates are written back with stochastic rounding.
template <typename T>
inline void store_update(const float* src, T* dst, uint32_t k, uint64_t noise_seed) {
  if constexpr (std::is_same_v<T, bf16>) {
    const uint32_t seed = uint32_t(noise_seed ^ (noise_seed >> 32));
    uint16_t* out = reinterpret_cast<uint16_t*>(dst);
#pragma omp simd
    for (uint32_t c = 0; c < k; ++c) {
      // Noise: a Weyl sequence over the elements, mixed by one multiply (its high half is uniform
      // enough for rounding); one vector multiply per 8 or 16 elements.
      const uint32_t x = ((seed + c * 0x9e3779b9u) * 0x85ebca6bu) >> 16;
      const uint32_t u = std::bit_cast<uint32_t>(src[c]);
      // Branch-free so that it vectorises: inf and NaN keep their bits (NaN stays quiet).
      const bool special = (u & 0x7f800000u) == 0x7f800000u;
      out[c] = uint16_t(special ? (u >> 16) | ((u & 0x7fffffu) ? 0x40u : 0u) : (u + x) >> 16);
    }
  } else {
    store(src, dst, k);
  }
}

}  // namespace mfrec::kernels
