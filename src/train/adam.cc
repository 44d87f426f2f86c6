// Adam over mini-batches, applied sparsely: a batch updates only the rows it touches (the
// users and items of its ratings), with the recipe's loss: mean squared error over the batch plus
// L2 on those rows. Moments of untouched rows are left as they are ("lazy" Adam, as TF's LazyAdam).
// Threads run whole batches side by side on shared parameters (Hogwild); one thread is exact and
// deterministic.
#include <omp.h>

#include <atomic>
#include <cmath>

#include "common/random.h"
#include "model/kernels.h"
#include "train/engine.h"
#include "train/samples.h"

namespace mfrec {
namespace {

// Adam state for one table of `width`-wide rows.
struct Moments {
  std::vector<float> m, v;
  Moments(size_t rows, size_t width) : m(rows * width, 0.0f), v(rows * width, 0.0f) {}
};

// Gradients of one batch, gathered per touched row.
struct BatchGrad {
  std::vector<int32_t> slot;    // row -> slot in this batch, -1 when untouched
  std::vector<uint32_t> rows;   // touched rows, in first-touch order
  std::vector<float> g;         // slot x dim factor gradient
  std::vector<float> gb;        // slot bias gradient
  BatchGrad(size_t n_rows, size_t batch, uint32_t dim) : slot(n_rows, -1), g(batch * dim), gb(batch) {}
  float* touch(uint32_t row, uint32_t dim, uint32_t& s) {
    int32_t& at = slot[row];
    if (at < 0) {
      at = int32_t(rows.size());
      rows.push_back(row);
      std::fill_n(g.data() + size_t(at) * dim, dim, 0.0f);
      gb[size_t(at)] = 0;
    }
    s = uint32_t(at);
    return g.data() + size_t(at) * dim;
  }
  void clear() {
    for (uint32_t r : rows) slot[r] = -1;
    rows.clear();
  }
};

class AdamEngine final : public Engine {
 public:
  AdamEngine(Model& model, const Ratings& train, const TrainOptions& o)
      : Engine(model), o_(o), samples_(pack_samples(train, model)),
        mP_(model.n_users(), o.dim), mQ_(model.n_items(), o.dim),
        mbu_(model.n_users(), 1), mbi_(model.n_items(), 1) {}

  double run_epoch(uint32_t epoch) override {
    shuffle_samples(samples_, order_, shuffled_, o_.seed * 0x9e3779b97f4a7c15ull + epoch);
    const size_t B = o_.batch_size, n_batches = (samples_.size() + B - 1) / B;
    const int threads = int(std::min<size_t>(o_.thread_count(), std::max<size_t>(n_batches, 1)));
    double sse = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sse)
    {
      BatchGrad users(model_.n_users(), B, o_.dim), items(model_.n_items(), B, o_.dim);
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      model_.P.visit([&](auto* P) {
        using T = std::remove_cvref_t<decltype(*P)>;
        T* Q = static_cast<T*>(model_.Q.raw());
        for (size_t b = size_t(t); b < n_batches; b += size_t(nt)) {
          const uint64_t step = ++step_;
          sse += batch<T>(P, Q, shuffled_.data(), b * B, std::min(samples_.size(), (b + 1) * B), step, users, items);
        }
      });
    }
    return sse / double(samples_.size());
  }

 private:
  template <typename T>
  double batch(T* P, T* Q, const Sample* samples, size_t begin, size_t end, uint64_t step, BatchGrad& gu, BatchGrad& gi) {
    const uint32_t k = o_.dim;
    const bool biased = model_.kind == ModelKind::biased;
    const float scale = 2.0f / float(end - begin);  // d/dpred of the batch's mean squared error
    float* bu = model_.user_bias.data();
    float* bi = model_.item_bias.data();
    float pu[k], qi[k];
    double sse = 0;
    for (size_t s = begin; s < end; ++s) {
      const Sample& x = samples[s];
      const T* p = P + size_t(x.user) * k;
      const T* q = Q + size_t(x.item) * k;
      kernels::load(p, pu, k);
      kernels::load(q, qi, k);
      float pred = x.base + kernels::dot(pu, qi, k);
      if (biased) pred += bu[x.user] + bi[x.item];
      const float err = pred - x.rating;
      sse += double(err) * err;
      const float g = scale * err;
      uint32_t su, si;
      float* gp = gu.touch(x.user, k, su);
      float* gq = gi.touch(x.item, k, si);
#pragma omp simd
      for (uint32_t c = 0; c < k; ++c) gp[c] += g * qi[c], gq[c] += g * pu[c];
      gu.gb[su] += g;
      gi.gb[si] += g;
    }
    // Keras' Adam: lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); w -= lr_t * m / (sqrt(v) + eps).
    const float lr_t = float(o_.lr * std::sqrt(1.0 - std::pow(double(o_.beta2), double(step))) /
                             (1.0 - std::pow(double(o_.beta1), double(step))));
    apply(P, gu, mP_, biased ? bu : nullptr, mbu_, lr_t, step);
    apply(Q, gi, mQ_, biased ? bi : nullptr, mbi_, lr_t, step ^ 0x5555);
    gu.clear();
    gi.clear();
    return sse;
  }

  template <typename T>
  void apply(T* W, const BatchGrad& grad, Moments& mw, float* bias, Moments& mb, float lr_t, uint64_t noise) {
    const uint32_t k = o_.dim;
    const float b1 = o_.beta1, b2 = o_.beta2, eps = o_.eps, reg2 = 2 * o_.reg, breg2 = 2 * o_.bias_reg();
    float w[k];
    for (size_t s = 0; s < grad.rows.size(); ++s) {
      const uint32_t row = grad.rows[s];
      T* wr = W + size_t(row) * k;
      float* m = mw.m.data() + size_t(row) * k;
      float* v = mw.v.data() + size_t(row) * k;
      const float* g = grad.g.data() + s * k;
      kernels::load(wr, w, k);
#pragma omp simd
      for (uint32_t c = 0; c < k; ++c) {
        const float gc = g[c] + reg2 * w[c];
        m[c] = b1 * m[c] + (1 - b1) * gc;
        v[c] = b2 * v[c] + (1 - b2) * gc * gc;
        w[c] -= lr_t * m[c] / (std::sqrt(v[c]) + eps);
      }
      kernels::store_update(w, wr, k, noise * 0x9e3779b97f4a7c15ull + row);
      if (bias) {
        const float gc = grad.gb[s] + breg2 * bias[row];
        float& bm = mb.m[row];
        float& bv = mb.v[row];
        bm = b1 * bm + (1 - b1) * gc;
        bv = b2 * bv + (1 - b2) * gc * gc;
        bias[row] -= lr_t * bm / (std::sqrt(bv) + eps);
      }
    }
  }

  TrainOptions o_;
  std::vector<Sample> samples_, shuffled_;
  std::vector<uint32_t> order_;
  Moments mP_, mQ_, mbu_, mbi_;
  std::atomic<uint64_t> step_{0};
};

}  // namespace

std::unique_ptr<Engine> make_adam(Model& model, const Ratings& train, const TrainOptions& o) {
  return std::make_unique<AdamEngine>(model, train, o);
}

}  // namespace mfrec
