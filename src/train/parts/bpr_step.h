#pragma once
// One BPR step on a triple (u, i, j): x = p.(q_i - q_j), loss -log sigmoid(x) + reg (|p|^2 + |q_i|^2
// + |q_j|^2) / 2, and plain SGD on it. Returns x. Its own header so that the gradient can be checked
// by finite differences (tests/implicit_test.cc).
#include <cmath>
#include <cstdint>

namespace mfrec {

inline float bpr_step(float* p, float* qi, float* qj, uint32_t k, float lr, float reg, float* scratch) {
  float x = 0;
#pragma omp simd reduction(+ : x)
  for (uint32_t c = 0; c < k; ++c) x += p[c] * (qi[c] - qj[c]);
  const float g = 1.0f / (1.0f + std::exp(x));  // -d(-log sigmoid(x))/dx = sigmoid(-x)
  for (uint32_t c = 0; c < k; ++c) scratch[c] = p[c];
#pragma omp simd
  for (uint32_t c = 0; c < k; ++c) {
    p[c] += lr * (g * (qi[c] - qj[c]) - reg * p[c]);
    qi[c] += lr * (g * scratch[c] - reg * qi[c]);
    qj[c] += lr * (-g * scratch[c] - reg * qj[c]);
  }
  return x;
}

}  // namespace mfrec
