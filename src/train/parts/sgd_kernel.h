#pragma once
// The SGD engine's update (engines/sgd.cc has the rule and its sources): one pass over a run of samples on
// two factor tables, with per-row AdaGrad, for the one-process grid and for the distributed strata
// (dist/dist_sgd.cc) alike. Templated on the storage type and, for 16, 32, 64 and 128, on the
// dimension, so that the loop is fully unrolled.
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "common/isa.h"
#include "model/kernels.h"
#include "mfrec/precision.h"
#include "train/parts/samples.h"

namespace mfrec::sgd {

// What the hot loop needs besides the two factor tables.
struct Ctx {
  float* bu;
  float* bi;
  float* Gu;  // AdaGrad accumulators: {row, bias} per user
  float* Gi;  // {row, bias} per item
  float lr, reg, breg;
  uint32_t k;
};

// The update, arranged for few vector operations: one pass gives d = p.q, pp = |p|^2, qq = |q|^2;
// then, with e the error,
//   p' = (1 - eta_p reg) p - (eta_p e) q,   |g_p|^2 = e^2 qq + 2 e reg d + reg^2 pp   (q alike)
// so that besides the pass there is one multiply and one multiply-add per element and side, and
// the rest is scalar.
struct Step {
  float ap, bp, aq, bq;  // p' = ap p - bp q, q' = aq q - bq p
};

// Squared errors add up in float over runs of kRun updates, in double across runs.
constexpr uint64_t kRun = 1024;

// Where a run of updates reads its ratings: packed samples (the distributed strata, Hogwild), or
// columns (the grid, built in place in the training part's own columns) with the users' means aside.
// known(n) = mu_u - r, the part of the error the factors do not give.
struct SampleRun {
  const Sample* s;
  uint32_t user(size_t n) const { return s[n].user; }
  uint32_t item(size_t n) const { return s[n].item; }
  float known(size_t n) const { return s[n].base - s[n].rating; }
};
struct ColumnRun {
  const uint32_t* users;
  const uint32_t* items;
  const float* values;
  const float* base;  // by user
  uint32_t user(size_t n) const { return users[n]; }
  uint32_t item(size_t n) const { return items[n]; }
  float known(size_t n) const { return base[users[n]] - values[n]; }
};

// The scalar part of an update: the error, the AdaGrad rates, the biases and the accumulators.
// Callers pass `Ctx` by value so that the compiler keeps it in registers.
template <bool Biased>
inline Step scalar_step(uint32_t u, uint32_t i, float known, float dot, float pp, float qq, const Ctx c, float& sse) {
  float* Gu = c.Gu + 2 * size_t(u);
  float* Gi = c.Gi + 2 * size_t(i);
  if constexpr (Biased) known += c.bu[u] + c.bi[i];
  const float e = known + dot, e2 = e * e;
  sse += e2;
  const float lr = c.lr, reg = c.reg, inv_k = 1.0f / float(c.k);
#if defined(__SSE2__)
  // The four rates {user row, user bias, item row, item bias} in one packed square root and divide
  // (bit for bit the scalar lr / sqrt(G)).
  const __m128 g4 = _mm_castpd_ps(_mm_loadh_pd(_mm_load_sd(reinterpret_cast<const double*>(Gu)),
                                               reinterpret_cast<const double*>(Gi)));
  const __m128 eta4 = _mm_div_ps(_mm_set1_ps(lr), _mm_sqrt_ps(g4));
  const float eta_p = _mm_cvtss_f32(eta4), eta_bu = _mm_cvtss_f32(_mm_movehdup_ps(eta4));
  const float eta_q = _mm_cvtss_f32(_mm_unpackhi_ps(eta4, eta4)), eta_bi = _mm_cvtss_f32(_mm_shuffle_ps(eta4, eta4, 3));
#else
  const float eta_p = lr / std::sqrt(Gu[0]), eta_bu = lr / std::sqrt(Gu[1]);
  const float eta_q = lr / std::sqrt(Gi[0]), eta_bi = lr / std::sqrt(Gi[1]);
#endif
  const Step st{1 - eta_p * reg, eta_p * e, 1 - eta_q * reg, eta_q * e};
  // G += |g|^2 / k; the sum of squares cannot be negative (|2 e reg d| <= e^2 qq + reg^2 pp), and
  // rounding moves it by a few ulps at most.
  const float ek = e2 * inv_k, rk = reg * reg * inv_k, cross = 2 * reg * inv_k * e * dot;
  Gu[0] += ek * qq + (rk * pp + cross);
  Gi[0] += ek * pp + (rk * qq + cross);
  if constexpr (Biased) {
    float& bu = c.bu[u];
    float& bi = c.bi[i];
    const float gu = e + c.breg * bu, gi = e + c.breg * bi;
    bu -= eta_bu * gu;
    bi -= eta_bi * gi;
    Gu[1] += gu * gu;
    Gi[1] += gi * gi;
  } else {
    (void)eta_bu, (void)eta_bi;
  }
  return st;
}

// One pass over ratings [from, to) of `src`: returns the sum of squared errors seen before each update.
// K > 0: the dimension is K (the loops are unrolled); K == 0: the dimension is ctx.k.
// The portable version: plain loops that the compiler vectorises.
template <typename Src, typename T, uint32_t K, bool Biased>
MFREC_MULTIVERSION double sgd_run(const Src& src, size_t from, size_t to, T* __restrict P, T* __restrict Q,
                                  const Ctx& ctx, uint64_t noise) {
  const Ctx c = ctx;
  constexpr bool kF32 = std::is_same_v<T, float>;
  const uint32_t k = K ? K : c.k;
  // fp32 math on a copy of the rows when the storage is 16-bit.
  alignas(64) float fixed[kF32 ? 1 : 2 * (K ? K : 1)];
  std::unique_ptr<float[]> dynamic;
  float* tmp = fixed;
  if (!kF32 && !K) dynamic.reset(tmp = new float[2 * size_t(k)]);
  double total = 0;
  float sse = 0;
  for (uint64_t n = 0, at = from; at != to; ++at, ++n) {
    const uint32_t u = src.user(at), i = src.item(at);
    T* __restrict p = P + size_t(u) * k;
    T* __restrict q = Q + size_t(i) * k;
    float* __restrict pf;
    float* __restrict qf;
    if constexpr (kF32) {
      pf = p, qf = q;
    } else {
      pf = tmp, qf = tmp + k;
      kernels::load(p, pf, k);
      kernels::load(q, qf, k);
    }
    float dot = 0, pp = 0, qq = 0;
#pragma omp simd reduction(+ : dot, pp, qq)
    for (uint32_t d = 0; d < k; ++d) dot += pf[d] * qf[d], pp += pf[d] * pf[d], qq += qf[d] * qf[d];
    const Step st = scalar_step<Biased>(u, i, src.known(at), dot, pp, qq, c, sse);
#pragma omp simd
    for (uint32_t d = 0; d < k; ++d) {
      const float pd = pf[d], qd = qf[d];
      pf[d] = st.ap * pd - st.bp * qd;
      qf[d] = st.aq * qd - st.bq * pd;
    }
    if constexpr (!kF32) {
      kernels::store_update(pf, p, k, noise + 2 * n);
      kernels::store_update(qf, q, k, noise + 2 * n + 1);
    }
    if (n % kRun == kRun - 1) total += sse, sse = 0;
  }
  return total + sse;
}

#if defined(MFREC_HAS_AVX2_KERNELS)
// The x86 version, for K = 8 V: each row lives in V 256-bit registers. 256 rather than 512 bits:
// the loop is bound by the vector ports, and while 512-bit instructions are in flight Intel cores
// issue vector work to two ports instead of three (the scalar part of an update counts there too),
// so it beats the 512-bit version, rows in L1 or not. Every x86-64 build has it; pick_kernel takes it
// where the CPU has AVX2, FMA and F16C.
template <typename T>
MFREC_TARGET_AVX2 inline __m256 load8(const T* p) {
  if constexpr (std::is_same_v<T, float>) {
    return _mm256_loadu_ps(p);
  } else if constexpr (std::is_same_v<T, bf16>) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  } else {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
}

// {sum of a, sum of b, sum of c, sum of d}
MFREC_TARGET_AVX2 inline __m128 reduce4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
  return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

// Sum of x[v] * y[v] over v, with up to 4 independent chains (a shorter critical path than one).
template <uint32_t V>
MFREC_TARGET_AVX2 inline __m256 dot_rows(const __m256* x, const __m256* y) {
  constexpr uint32_t A = V >= 8 ? 4 : V >= 2 ? 2 : 1;
  __m256 acc[A];
  for (uint32_t a = 0; a < A; ++a) acc[a] = _mm256_mul_ps(x[a], y[a]);
  for (uint32_t v = A; v < V; ++v) acc[v % A] = _mm256_fmadd_ps(x[v], y[v], acc[v % A]);
  for (uint32_t w = A / 2; w > 0; w /= 2)
    for (uint32_t a = 0; a < w; ++a) acc[a] = _mm256_add_ps(acc[a], acc[a + w]);
  return acc[0];
}

template <typename Src, typename T, uint32_t V, bool Biased>
MFREC_TARGET_AVX2 double sgd_run_x86(const Src& src, size_t from, size_t to, T* __restrict P, T* __restrict Q,
                                     const Ctx& ctx, uint64_t noise) {
  constexpr uint32_t K = 8 * V;
  const Ctx c = ctx;
  // Rows of the update kPrefetch samples ahead are fetched into L1 now: the rows of a block live in
  // L2 (or further), and the load latency is otherwise exposed.
  constexpr uint32_t kLines = (K * sizeof(T) + 63) / 64, kPrefetch = 4;
  double total = 0;
  float sse = 0;
  for (uint64_t n = 0, at = from; at != to; ++at, ++n) {
    const uint32_t u = src.user(at), i = src.item(at);
    T* p = P + size_t(u) * K;
    T* q = Q + size_t(i) * K;
    if (to - at > kPrefetch) {
      const char* pn = reinterpret_cast<const char*>(P + size_t(src.user(at + kPrefetch)) * K);
      const char* qn = reinterpret_cast<const char*>(Q + size_t(src.item(at + kPrefetch)) * K);
      for (uint32_t l = 0; l < kLines; ++l) _mm_prefetch(pn + 64 * l, _MM_HINT_T0), _mm_prefetch(qn + 64 * l, _MM_HINT_T0);
    }
    __m256 pv[V], qv[V];
    for (uint32_t v = 0; v < V; ++v) pv[v] = load8(p + 8 * v), qv[v] = load8(q + 8 * v);
    const __m128 sums = reduce4(dot_rows<V>(pv, qv), dot_rows<V>(pv, pv), dot_rows<V>(qv, qv), _mm256_setzero_ps());
    const Step st = scalar_step<Biased>(u, i, src.known(at), _mm_cvtss_f32(sums), _mm_cvtss_f32(_mm_movehdup_ps(sums)),
                                        _mm_cvtss_f32(_mm_unpackhi_ps(sums, sums)), c, sse);
    const __m256 ap = _mm256_set1_ps(st.ap), bp = _mm256_set1_ps(st.bp);
    const __m256 aq = _mm256_set1_ps(st.aq), bq = _mm256_set1_ps(st.bq);
    for (uint32_t v = 0; v < V; ++v) {
      const __m256 pn = _mm256_fnmadd_ps(bp, qv[v], _mm256_mul_ps(ap, pv[v]));
      const __m256 qn = _mm256_fnmadd_ps(bq, pv[v], _mm256_mul_ps(aq, qv[v]));
      pv[v] = pn, qv[v] = qn;
    }
    if constexpr (std::is_same_v<T, float>) {
      for (uint32_t v = 0; v < V; ++v) _mm256_storeu_ps(p + 8 * v, pv[v]), _mm256_storeu_ps(q + 8 * v, qv[v]);
    } else if constexpr (std::is_same_v<T, fp16>) {
      for (uint32_t v = 0; v < V; ++v) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 8 * v), _mm256_cvtps_ph(pv[v], _MM_FROUND_TO_NEAREST_INT));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 8 * v), _mm256_cvtps_ph(qv[v], _MM_FROUND_TO_NEAREST_INT));
      }
    } else {
      alignas(32) float tmp[2 * K];
      for (uint32_t v = 0; v < V; ++v) _mm256_store_ps(tmp + 8 * v, pv[v]), _mm256_store_ps(tmp + K + 8 * v, qv[v]);
      kernels::store_update(tmp, p, K, noise + 2 * n);
      kernels::store_update(tmp + K, q, K, noise + 2 * n + 1);
    }
    if (n % kRun == kRun - 1) total += sse, sse = 0;
  }
  return total + sse;
}
#endif

template <typename T, typename Src>
using Kernel = double (*)(const Src&, size_t, size_t, T*, T*, const Ctx&, uint64_t);

template <typename T, typename Src, bool Biased>
Kernel<T, Src> pick_kernel(uint32_t k) {
#if defined(MFREC_HAS_AVX2_KERNELS)
  if (cpu_has_avx2()) switch (k) {
      case 16: return &sgd_run_x86<Src, T, 2, Biased>;
      case 32: return &sgd_run_x86<Src, T, 4, Biased>;
      case 64: return &sgd_run_x86<Src, T, 8, Biased>;
      case 128: return &sgd_run_x86<Src, T, 16, Biased>;
    }
#endif
  switch (k) {
    case 16: return &sgd_run<Src, T, 16, Biased>;
    case 32: return &sgd_run<Src, T, 32, Biased>;
    case 64: return &sgd_run<Src, T, 64, Biased>;
    case 128: return &sgd_run<Src, T, 128, Biased>;
    default: return &sgd_run<Src, T, 0, Biased>;
  }
}

template <typename T, typename Src>
Kernel<T, Src> pick_kernel(uint32_t k, bool biased) {
  return biased ? pick_kernel<T, Src, true>(k) : pick_kernel<T, Src, false>(k);
}

}  // namespace mfrec::sgd
