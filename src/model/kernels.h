#pragma once
// Inner loops over one factor row, templated on the storage type (float, bf16, fp16). They are
// written as plain loops that g++ -O3 vectorises; arithmetic is fp32 whatever the storage.
#include <cstdint>

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

// bf16 keeps only 8 significant bits: optimizer steps smaller than half an ulp would vanish with
// round-to-nearest, so updates are written back with stochastic rounding.
template <typename T>
inline void store_update(const float* src, T* dst, uint32_t k, uint64_t noise_seed) {
  if constexpr (std::is_same_v<T, bf16>) {
    uint64_t x = noise_seed;
    for (uint32_t c = 0; c < k; ++c) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift: cheap per-element noise
      dst[c] = to_bf16_stochastic(src[c], uint32_t(x));
    }
  } else {
    store(src, dst, k);
  }
}

}  // namespace mfrec::kernels
