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
// round-to-nearest, so updates are written back with stochastic rounding. Noise: a Weyl sequence over
// the elements mixed by one multiply, ((seed + c * phi) * M) >> 16, written as a + c * b (the same bits)
// so that it costs an add per vector; its high half is uniform enough for rounding.
constexpr uint32_t kWeyl = 0x9e3779b9u, kMix = 0x85ebca6bu;

inline uint16_t bf16_stochastic_bits(uint32_t u, uint32_t noise) {
  // Branch-free so that it vectorises: inf and NaN keep their bits (NaN stays quiet).
  const bool special = (u & 0x7f800000u) == 0x7f800000u;
  return uint16_t(special ? (u >> 16) | ((u & 0x7fffffu) ? 0x40u : 0u) : (u + noise) >> 16);
}

inline void store_update_bf16(const float* src, uint16_t* out, uint32_t k, uint32_t a, uint32_t c0 = 0) {
  constexpr uint32_t b = kWeyl * kMix;
#pragma omp simd
  for (uint32_t c = c0; c < k; ++c) out[c] = bf16_stochastic_bits(std::bit_cast<uint32_t>(src[c]), (a + c * b) >> 16);
}

#if defined(MFREC_HAS_AVX2_KERNELS)
// The same bits sixteen at a time, without the special cases while a row has no inf or NaN (checked
// as it goes; a row that has one is done again by the loop above).
MFREC_TARGET_AVX2 inline void store_bf16_avx2(const float* src, uint16_t* out, uint32_t k, uint32_t a) {
  constexpr uint32_t b = kWeyl * kMix;
  const __m256i expo = _mm256_set1_epi32(0x7f800000), step = _mm256_set1_epi32(int(8 * b));
  __m256i sum = _mm256_add_epi32(_mm256_set1_epi32(int(a)),
                                 _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(int(b))));
  __m256i special = _mm256_setzero_si256();
  uint32_t c = 0;
  for (; c + 16 <= k; c += 16) {
    const __m256i u0 = _mm256_castps_si256(_mm256_loadu_ps(src + c));
    const __m256i u1 = _mm256_castps_si256(_mm256_loadu_ps(src + c + 8));
    special = _mm256_or_si256(special, _mm256_or_si256(_mm256_cmpeq_epi32(_mm256_and_si256(u0, expo), expo),
                                                       _mm256_cmpeq_epi32(_mm256_and_si256(u1, expo), expo)));
    const __m256i r0 = _mm256_srli_epi32(_mm256_add_epi32(u0, _mm256_srli_epi32(sum, 16)), 16);
    sum = _mm256_add_epi32(sum, step);
    const __m256i r1 = _mm256_srli_epi32(_mm256_add_epi32(u1, _mm256_srli_epi32(sum, 16)), 16);
    sum = _mm256_add_epi32(sum, step);
    // packus interleaves the two by 128-bit lane; the permute puts them back in order.
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c), _mm256_permute4x64_epi64(_mm256_packus_epi32(r0, r1), 0xd8));
  }
  if (!_mm256_testz_si256(special, special)) c = 0;
  store_update_bf16(src, out, k, a, c);
}
#endif

template <typename T>
inline void store_update(const float* src, T* dst, uint32_t k, uint64_t noise_seed) {
  if constexpr (std::is_same_v<T, bf16>) {
    const uint32_t a = uint32_t(noise_seed ^ (noise_seed >> 32)) * kMix;
    uint16_t* out = reinterpret_cast<uint16_t*>(dst);
#if defined(MFREC_HAS_AVX2_KERNELS)
    if (cpu_has_avx2()) return store_bf16_avx2(src, out, k, a);
#endif
    store_update_bf16(src, out, k, a);
  } else {
    store(src, dst, k);
  }
}

}  // namespace mfrec::kernels
