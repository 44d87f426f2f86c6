#pragma once
// The arithmetic of the CUDA kernels, written once for nvcc (device and host) and g++ (host), so that
// tests/cuda_math_test.cc checks on the CPU what the GPU computes: the per-element Adam and SGD
// updates, the learning-rate schedules, bf16 rounding (as mfrec/precision.h does it), the noise of
// stochastic rounding, and the keyed shuffle that orders each epoch on the device.
// Nothing here needs a CUDA header.
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define MFREC_HD __host__ __device__ __forceinline__
#else
#define MFREC_HD inline
#endif

namespace mfrec::cuda {

MFREC_HD uint32_t float_bits(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
#endif
}

MFREC_HD float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
#endif
}

// ---- bf16, bit for bit as mfrec::to_storage<bf16>, to_float(bf16) and to_bf16_stochastic ----

MFREC_HD float bf16_to_float(uint16_t bits) { return bits_float(uint32_t(bits) << 16); }

// Round to nearest even; infinities stay, NaNs stay NaN (quiet).
MFREC_HD uint16_t bf16_round(float x) {
  uint32_t u = float_bits(x);
  if ((u & 0x7f800000u) == 0x7f800000u) return uint16_t(u >> 16 | ((u & 0xffffu) ? 0x40u : 0u));
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

// Stochastic rounding: `noise` holds 16 uniformly random low bits. Rounds up with probability equal to
// the dropped fraction, so steps smaller than half an ulp survive on average.
MFREC_HD uint16_t bf16_stochastic(float x, uint32_t noise) {
  const uint32_t u = float_bits(x);
  if ((u & 0x7f800000u) == 0x7f800000u) return bf16_round(x);
  return uint16_t((u + (noise & 0xffffu)) >> 16);
}

// ---- hashing: per-element noise, shuffle keys ----

MFREC_HD uint64_t mix64(uint64_t z) {  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

MFREC_HD uint32_t mix32(uint32_t x) {  // lowbias32 (Wellons)
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// Noise for stochastic rounding of element `col` of row `row` at optimizer step `step`.
MFREC_HD uint32_t rounding_noise(uint64_t step, uint32_t row, uint32_t col) {
  return mix32(uint32_t(step) * 0x9e3779b1u ^ mix32(row * 0x85ebca6bu + col));
}

// ---- the keyed shuffle: a pseudo-random permutation of [0, n) ----
// A 4-round balanced Feistel network on the smallest even number of bits that covers n, with cycle
// walking (values >= n are encrypted again until they fall inside). Each key gives another bijection;
// no table, no sort: kernels compute the i-th element of the epoch's order directly.
struct Permutation {
  uint64_t n = 0;
  uint32_t half_bits = 1;
  uint32_t keys[4] = {0, 0, 0, 0};

  static Permutation make(uint64_t n, uint64_t key) {
    Permutation p;
    p.n = n;
    while (p.half_bits < 31 && (uint64_t(1) << (2 * p.half_bits)) < n) ++p.half_bits;
    uint64_t k = key;
    for (uint32_t& w : p.keys) w = uint32_t(mix64(k += 0x9e3779b97f4a7c15ull) >> 32);
    return p;
  }
  MFREC_HD uint64_t encrypt(uint64_t x) const {
    const uint32_t mask = (uint32_t(1) << half_bits) - 1;
    uint32_t l = uint32_t(x >> half_bits) & mask, r = uint32_t(x) & mask;
    for (int round = 0; round < 4; ++round) {
      const uint32_t f = mix32(r ^ keys[round]) & mask;
      const uint32_t t = l ^ f;
      l = r;
      r = t;
    }
    return (uint64_t(l) << half_bits) | r;
  }
  // The element at position i (< n) of the permuted order.
  MFREC_HD uint64_t operator()(uint64_t i) const {
    do i = encrypt(i);
    while (i >= n);
    return i;
  }
};

// Key of the shuffle of `epoch` (1-based) for a training seed; `stream` separates independent uses.
inline uint64_t epoch_key(uint64_t seed, uint32_t epoch, uint32_t stream) {
  return mix64(mix64(seed ^ 0x6d66726563637564ull) + (uint64_t(stream) << 32 | epoch));
}

// ---- Adam (Keras' form, as src/train/engines/adam.cc) ----

struct AdamStep {
  float lr_t, beta1, beta2, eps;
};

// lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t), in double as the CPU engine computes it.
MFREC_HD float adam_lr_t(float lr, float beta1, float beta2, uint64_t step) {
  return float(double(lr) * sqrt(1.0 - pow(double(beta2), double(step))) /
               (1.0 - pow(double(beta1), double(step))));
}

// One element of a touched row: `g` is the batch's gradient of the mean squared error, `reg2` twice
// the L2 coefficient (the gradient of reg * w^2 is added here, on touched rows only).
MFREC_HD void adam_update(float& w, float g, float& m, float& v, float reg2, const AdamStep& s) {
  const float gc = g + reg2 * w;
  m = s.beta1 * m + (1 - s.beta1) * gc;
  v = s.beta2 * v + (1 - s.beta2) * gc * gc;
  w -= s.lr_t * m / (sqrtf(v) + s.eps);
}

// ---- SGD (cuMF_SGD, Xie et al. 2017) ----

// The learning rate of epoch `epoch` (1-based): alpha / (1 + beta * t^1.5) with t = epoch - 1 and
// cuMF_SGD's beta = 0.3.
inline float sgd_lr(float alpha, uint32_t epoch) {
  const double t = epoch > 0 ? double(epoch - 1) : 0.0;
  return float(double(alpha) / (1.0 + 0.3 * std::pow(t, 1.5)));
}

// One element pair of an update on a rating with error `err` = rating - prediction: the gradient
// step on err^2 / 2 + reg / 2 * (|p|^2 + |q|^2), both sides from the values before the update.
MFREC_HD void sgd_update(float& p, float& q, float err, float lr, float reg) {
  const float p0 = p;
  p += lr * (err * q - reg * p);
  q += lr * (err * p0 - reg * q);
}

MFREC_HD void sgd_bias_update(float& b, float err, float lr, float reg) { b += lr * (err - reg * b); }

}  // namespace mfrec::cuda
