#pragma once
// The Adam engine's working state (adam.cc): rows laid out for its inner loops, a batch's gradients
// gathered per row, and the training ratings as the loops read them.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "model/kernels.h"
#include "train/parts/samples.h"

namespace mfrec::adam {

// One table (or one slice of its dimensions) as the engine keeps it: row r's weights (k values of
// the storage type T), then its first and second moments (k floats each), in one block of `stride`
// bytes.
template <typename T>
struct RowBlocks {
  std::byte* base;
  size_t stride, moments_at;  // bytes
  T* w(size_t row) const { return reinterpret_cast<T*>(base + row * stride); }
  float* m(size_t row) const { return reinterpret_cast<float*>(base + row * stride + moments_at); }
};

// A bias and its two moments.
struct BiasState {
  float b, m, v, unused;
};

// A training rating as the inner loops read it, from either packed form.
struct Rating {
  uint32_t user, item;
  float value, base;
};
inline Rating unpack(const Sample& x, const float*, const float*) { return {x.user, x.item, x.rating, x.base}; }
inline Rating unpack(const PackedSample& x, const float* levels, const float* user_mean) {
  return {x.user, x.item(), levels[x.level()], user_mean[x.user]};
}

// One thread's gradients for one batch, per touched row, in the slots BatchSlots gave the rows. Zero
// outside a batch: add() only accumulates. On cache lines of its own, as every thread's per-batch state
// is: a line written at every rating and shared with a neighbour would bounce between cores.
struct alignas(64) BatchGrad {
  std::vector<uint32_t> rows;       // slot -> row, for the first `touched` slots
  std::vector<float> g;             // slot x dim factor gradient
  std::vector<float> gb;            // slot bias gradient
  std::vector<float> bias_columns;  // room for the touched rows' biases and their moments
  size_t touched = 0;
  BatchGrad(size_t batch, uint32_t dim) : rows(batch), g(batch * dim), gb(batch), bias_columns(3 * batch) {}
  // Adds g * x to the gradient in slot `at` (and g to its bias), the slot of `row`. Inlined by force:
  // g++ may decline, and then the call at every rating costs a noticeable part of an epoch.
  [[gnu::always_inline]] void add(uint32_t at, uint32_t row, uint32_t dim, float g, const float* x) {
    rows[at] = row;
    float* out = this->g.data() + size_t(at) * dim;
#pragma omp simd
    for (uint32_t c = 0; c < dim; ++c) out[c] += g * x[c];
    gb[at] += g;
  }
  // Ends the batch: Adam's update has zeroed the factor gradients it read; the bias gradients here.
  void clear() {
    std::fill_n(gb.data(), touched, 0.0f);
    touched = 0;
  }
};

template <typename T>
inline void prefetch_row(const T* row, uint32_t k) {
  const char* p = reinterpret_cast<const char*>(row);
  for (size_t at = 0; at < k * sizeof(T); at += 64) __builtin_prefetch(p + at);
}

// Asks for the rows of rating `x` ahead of their use: its user's and item's weights.
template <typename T, typename S>
inline void prefetch_rows(const RowBlocks<T>& P, const RowBlocks<T>& Q, const S& x, const float* levels,
                          const float* user_mean, uint32_t k) {
  const Rating r = unpack(x, levels, user_mean);
  prefetch_row(P.w(r.user), k);
  prefetch_row(Q.w(r.item), k);
}

// A factor row as fp32: the row itself for fp32 storage, else converted into `buf`.
template <typename T, uint32_t K>
inline const float* as_f32(const T* row, float* buf, uint32_t k) {
  if constexpr (std::is_same_v<T, float>) {
    return row;
  } else {
    kernels::load(row, buf, K ? K : k);
    return buf;
  }
}

}  // namespace mfrec::adam
