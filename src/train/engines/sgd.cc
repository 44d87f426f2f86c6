// Parallel SGD with per-row adaptive learning rates, after LIBMF (Chin et al., "A Fast Parallel
// Stochastic Gradient Method for Matrix Factorization in Shared Memory Systems", and "A Learning-rate
// Schedule for Stochastic Gradient Methods to Matrix Factorization", PAKDD 2015).
//
// One update per rating, with e = r_hat - r and r_hat = mu_u + b_u + b_i + p.q (biased) or p.q (plain):
//   g_p = e q + reg p,   g_q = e p + reg q                     (L2 on every update, as LIBMF)
//   p -= lr / sqrt(G_u) g_p,   G_u += |g_p|^2 / k              (AdaGrad, one scalar per row, G = 1 at first)
//   b_u -= lr / sqrt(H_u) g_b, H_u += g_b^2, g_b = e + reg_bias b_u  (the same for q, b_i)
// so --lr is AdaGrad's step size eta: LIBMF's default is 0.1, and 0.05 to 0.1 suits MovieLens. The
// option's default (0.001) is Adam's and is far too small here.
//
// Two parallel schedules (sgd_engine.h): FPSG's block grid (the default: each thread owns the rows of
// its block, no two threads write the same row, and the block's rows stay in the core's cache) and
// Hogwild (threads update shared rows without coordination). With one thread either is deterministic
// for a given seed. The hot loop is templated on the storage type (fp32 arithmetic; bf16 written back
// with stochastic rounding) and on the dimension for 16, 32, 64 and 128 so that it is fully unrolled.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <type_traits>

#include <fmt/format.h>

#include "common/random.h"
#include "mfrec/error.h"
#include "model/kernels.h"
#include "train/parts/block_scheduler.h"
#include "train/engine.h"
#include "train/parts/samples.h"
#include "train/parts/shuffle.h"
#include "train/parts/sgd_engine.h"

namespace mfrec {
namespace {

// What the hot loop needs besides the two factor tables.
struct Ctx {
  float* bu;
  float* bi;
  float* Gu;  // AdaGrad accumulators: {row, bias} per user
  float* Gi;  // {row, bias} per item
  float lr, reg, breg;
  uint32_t k;
};

inline uint64_t mix(uint64_t x) { return splitmix64_mix(x); }

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
// The largest grid side --blocks may ask for: the scheduler scans side^2 blocks at each hand-out.
constexpr size_t kMaxGridSide = 1024;

// The scalar part of an update: the error, the AdaGrad rates, the biases and the accumulators.
// Callers pass `Ctx` by value so that the compiler keeps it in registers.
template <bool Biased>
inline Step scalar_step(const Sample& s, float dot, float pp, float qq, const Ctx c, float& sse) {
  const uint32_t u = s.user, i = s.item;
  float* Gu = c.Gu + 2 * size_t(u);
  float* Gi = c.Gi + 2 * size_t(i);
  float known = s.base - s.rating;
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

// One pass over samples [s, end): returns the sum of squared errors seen before each update.
// K > 0: the dimension is K (the loops are unrolled); K == 0: the dimension is ctx.k.
// The portable version: plain loops that the compiler vectorises.
template <typename T, uint32_t K, bool Biased>
double sgd_run(const Sample* s, const Sample* end, T* __restrict P, T* __restrict Q, const Ctx& ctx,
               uint64_t noise) {
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
  for (uint64_t n = 0; s != end; ++s, ++n) {
    T* __restrict p = P + size_t(s->user) * k;
    T* __restrict q = Q + size_t(s->item) * k;
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
    const Step st = scalar_step<Biased>(*s, dot, pp, qq, c, sse);
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

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define MFREC_SGD_AVX2 1
// The x86 version, for K = 8 V: each row lives in V 256-bit registers. 256 rather than 512 bits:
// the loop is bound by the vector ports, and while 512-bit instructions are in flight Intel cores
// issue vector work to two ports instead of three (the scalar part of an update counts there too),
// so it beats the 512-bit version, rows in L1 or not. Any x86-64 build with AVX2, FMA and F16C takes
// this path.
template <typename T>
inline __m256 load8(const T* p) {
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
inline __m128 reduce4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
  return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

// Sum of x[v] * y[v] over v, with up to 4 independent chains (a shorter critical path than one).
template <uint32_t V>
inline __m256 dot_rows(const __m256* x, const __m256* y) {
  constexpr uint32_t A = V >= 8 ? 4 : V >= 2 ? 2 : 1;
  __m256 acc[A];
  for (uint32_t a = 0; a < A; ++a) acc[a] = _mm256_mul_ps(x[a], y[a]);
  for (uint32_t v = A; v < V; ++v) acc[v % A] = _mm256_fmadd_ps(x[v], y[v], acc[v % A]);
  for (uint32_t w = A / 2; w > 0; w /= 2)
    for (uint32_t a = 0; a < w; ++a) acc[a] = _mm256_add_ps(acc[a], acc[a + w]);
  return acc[0];
}

template <typename T, uint32_t V, bool Biased>
double sgd_run_x86(const Sample* s, const Sample* end, T* __restrict P, T* __restrict Q, const Ctx& ctx,
                   uint64_t noise) {
  constexpr uint32_t K = 8 * V;
  const Ctx c = ctx;
  // Rows of the update kPrefetch samples ahead are fetched into L1 now: the rows of a block live in
  // L2 (or further), and the load latency is otherwise exposed.
  constexpr uint32_t kLines = (K * sizeof(T) + 63) / 64, kPrefetch = 4;
  double total = 0;
  float sse = 0;
  for (uint64_t n = 0; s != end; ++s, ++n) {
    T* p = P + size_t(s->user) * K;
    T* q = Q + size_t(s->item) * K;
    if (end - s > kPrefetch) {
      const char* pn = reinterpret_cast<const char*>(P + size_t(s[kPrefetch].user) * K);
      const char* qn = reinterpret_cast<const char*>(Q + size_t(s[kPrefetch].item) * K);
      for (uint32_t l = 0; l < kLines; ++l) _mm_prefetch(pn + 64 * l, _MM_HINT_T0), _mm_prefetch(qn + 64 * l, _MM_HINT_T0);
    }
    __m256 pv[V], qv[V];
    for (uint32_t v = 0; v < V; ++v) pv[v] = load8(p + 8 * v), qv[v] = load8(q + 8 * v);
    const __m128 sums = reduce4(dot_rows<V>(pv, qv), dot_rows<V>(pv, pv), dot_rows<V>(qv, qv), _mm256_setzero_ps());
    const Step st = scalar_step<Biased>(*s, _mm_cvtss_f32(sums), _mm_cvtss_f32(_mm_movehdup_ps(sums)),
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

template <typename T>
using Kernel = double (*)(const Sample*, const Sample*, T*, T*, const Ctx&, uint64_t);

template <typename T, bool Biased>
Kernel<T> pick_kernel(uint32_t k) {
#if defined(MFREC_SGD_AVX2)
  switch (k) {
    case 16: return &sgd_run_x86<T, 2, Biased>;
    case 32: return &sgd_run_x86<T, 4, Biased>;
    case 64: return &sgd_run_x86<T, 8, Biased>;
    case 128: return &sgd_run_x86<T, 16, Biased>;
    default: return &sgd_run<T, 0, Biased>;
  }
#else
  switch (k) {
    case 16: return &sgd_run<T, 16, Biased>;
    case 32: return &sgd_run<T, 32, Biased>;
    case 64: return &sgd_run<T, 64, Biased>;
    case 128: return &sgd_run<T, 128, Biased>;
    default: return &sgd_run<T, 0, Biased>;
  }
#endif
}

template <typename T>
Kernel<T> pick_kernel(uint32_t k, bool biased) {
  return biased ? pick_kernel<T, true>(k) : pick_kernel<T, false>(k);
}

// A factor table's rows in the engine's own order (the grid's, see RatingGrid), starting on 64-byte
// boundaries. The model's storage is where the allocator put it: a 16-byte offset splits every other
// 32-byte access of the hot loop over two cache lines, which the aligned copy avoids.
class RowTable {
 public:
  void load(const FactorMatrix& m, const std::vector<uint32_t>& row_of) {
    row_bytes_ = m.cols() * precision_bytes(m.precision());
    const size_t bytes = m.rows() * row_bytes_;
    data_.reset(static_cast<std::byte*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64)));
    if (!data_) throw std::bad_alloc();
    const auto* from = static_cast<const std::byte*>(m.raw());
    for (size_t r = 0; r < m.rows(); ++r) std::memcpy(row(row_of[r]), from + r * row_bytes_, row_bytes_);
  }
  void store(FactorMatrix& m, const std::vector<uint32_t>& row_of, int threads) const {
    auto* to = static_cast<std::byte*>(m.raw());
    const int64_t n = int64_t(m.rows());
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t r = 0; r < n; ++r) std::memcpy(to + size_t(r) * row_bytes_, row(row_of[size_t(r)]), row_bytes_);
  }
  template <typename T>
  T* as() { return reinterpret_cast<T*>(data_.get()); }

 private:
  std::byte* row(size_t r) const { return data_.get() + r * row_bytes_; }
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> data_;
  size_t row_bytes_ = 0;
};

class SgdEngine final : public Engine {
 public:
  SgdEngine(Model& model, const Ratings& train, const TrainOptions& o, SgdSchedule schedule)
      : Engine(model), o_(o), schedule_(schedule), n_(train.size()), threads_(int(o.thread_count())),
        Gu_(2 * model.n_users(), 1.0f), Gi_(2 * model.n_items(), 1.0f) {
    if (model.dim != o.dim) throw UsageError("sgd: the model's dim differs from the options'");
    const std::vector<Sample> samples = pack_samples(train, model);
    if (schedule_ == SgdSchedule::blocks) {
      const size_t row_bytes = size_t(o.dim) * precision_bytes(model.precision());
      // The grid holds side^2 blocks and gives each block at least one row of each side: an explicit
      // --blocks is checked against the data before anything is sized by it.
      const size_t most = std::min<size_t>({kMaxGridSide, model.n_users(), model.n_items()});
      if (o.blocks > most)
        throw UsageError(fmt::format("sgd: `blocks` {} is more than this data allows (at most {}: the smaller of the "
                                     "{} users, the {} items and {})", o.blocks, most, model.n_users(), model.n_items(), kMaxGridSide));
      const uint32_t side = o.blocks ? o.blocks : auto_grid_side(uint32_t(threads_), model.n_users(), model.n_items(), row_bytes);
      grid_ = make_grid(samples, model.n_users(), model.n_items(), side, o.seed);
      scheduler_ = std::make_unique<BlockScheduler>(grid_.side);
      user_row_ = grid_.user_index;
      item_row_ = grid_.item_index;
    } else {
      shuffled_.resize(samples.size());
      StreamShuffle<Sample>()(samples, shuffled_.data(), o.seed ^ 0xbb67ae8584caa73bull);
      user_row_.resize(model.n_users());
      item_row_.resize(model.n_items());
      std::iota(user_row_.begin(), user_row_.end(), 0u);
      std::iota(item_row_.begin(), item_row_.end(), 0u);
    }
    P_.load(model.P, user_row_);
    Q_.load(model.Q, item_row_);
    bu_.resize(model.n_users());
    bi_.resize(model.n_items());
    for (size_t u = 0; u < bu_.size(); ++u) bu_[user_row_[u]] = model.user_bias[u];
    for (size_t i = 0; i < bi_.size(); ++i) bi_[item_row_[i]] = model.item_bias[i];
  }

  double run_epoch(uint32_t epoch) override {
    if (n_ == 0) return 0;
    const uint64_t seed = mix(o_.seed * 0x9e3779b97f4a7c15ull + epoch);
    const double sse = model_.P.visit([&](auto* P) {
      using T = std::remove_cvref_t<decltype(*P)>;
      return epoch_impl<T>(P_.as<T>(), Q_.as<T>(), seed);
    });
    // The model is brought up to date after every epoch (the copy counts in the epoch's time, a
    // small part of it).
    P_.store(model_.P, user_row_, threads_);
    Q_.store(model_.Q, item_row_, threads_);
    for (size_t u = 0; u < bu_.size(); ++u) model_.user_bias[u] = bu_[user_row_[u]];
    for (size_t i = 0; i < bi_.size(); ++i) model_.item_bias[i] = bi_[item_row_[i]];
    return sse / double(n_);
  }

 private:
  template <typename T>
  double epoch_impl(T* P, T* Q, uint64_t seed) {
    const Ctx c{bu_.data(), bi_.data(), Gu_.data(), Gi_.data(), o_.lr, o_.reg, o_.bias_reg(), o_.dim};
    const Kernel<T> kernel = pick_kernel<T>(o_.dim, model_.kind == ModelKind::biased);
    if (schedule_ == SgdSchedule::blocks) {
      return run_grid_epoch(*scheduler_, threads_, seed, [&](int b, int) {
        return kernel(grid_.begin(uint32_t(b)), grid_.end(uint32_t(b)), P, Q, c, mix(seed + uint64_t(b)));
      });
    }
    // Hogwild: the shuffled ratings in chunks, taken in a fresh random order each epoch.
    const size_t chunks = std::min<size_t>(n_, size_t(64) * size_t(threads_)), per = (n_ + chunks - 1) / chunks;
    std::vector<uint32_t> order(chunks);
    for (size_t k = 0; k < chunks; ++k) order[k] = uint32_t(k);
    Random(seed).shuffle(order);
    std::atomic<size_t> next{0};
    double sse = 0;
#pragma omp parallel num_threads(threads_) reduction(+ : sse)
    for (size_t at; (at = next.fetch_add(1, std::memory_order_relaxed)) < chunks;) {
      const size_t begin = order[at] * per, end = std::min(n_, begin + per);
      if (begin < end) sse += kernel(shuffled_.data() + begin, shuffled_.data() + end, P, Q, c, mix(seed + at));
    }
    return sse;
  }

  TrainOptions o_;
  SgdSchedule schedule_;
  size_t n_;
  int threads_;
  // The parameters during training, in the engine's row order (user u is row user_row_[u]); the
  // model gets them back after every epoch.
  std::vector<uint32_t> user_row_, item_row_;
  RowTable P_, Q_;
  std::vector<float> bu_, bi_;
  std::vector<float> Gu_, Gi_;  // AdaGrad: {row, bias} per user and per item (engine order), 1 at first
  RatingGrid grid_;
  std::unique_ptr<BlockScheduler> scheduler_;
  std::vector<Sample> shuffled_;  // hogwild
};

}  // namespace

std::unique_ptr<Engine> make_sgd_engine(Model& model, const Ratings& train, const TrainOptions& o, SgdSchedule schedule) {
  return std::make_unique<SgdEngine>(model, train, o, schedule);
}

std::unique_ptr<Engine> make_sgd(Model& model, const Ratings& train, const TrainOptions& o) {
  return make_sgd_engine(model, train, o, o.schedule == "hogwild" ? SgdSchedule::hogwild : SgdSchedule::blocks);
}

}  // namespace mfrec
