// Adam over mini-batches, applied sparsely: a batch updates only the rows it touches (the users and
// items of its ratings), with the recipe's loss: mean squared error over the batch plus L2 on those
// rows. Moments of untouched rows are left as they are ("lazy" Adam, as TF's LazyAdam).
//
// One thread (the automatic choice, see TrainOptions::thread_count) is the exact sequential algorithm,
// bit-identical run to run for a seed. With --threads N, threads take whole batches side by side on
// shared parameters (Hogwild, Niu et al. 2011): no locks and no barriers, so a busy machine slows
// them down gracefully.
#include <omp.h>

#include <cmath>

#include "model/kernels.h"
#include "train/engine.h"
#include "train/samples.h"

namespace mfrec {
namespace {

// Adam state for one table of `width`-wide rows: a row's first and second moments side by side, so
// that an update reads one 2 x width block.
struct Moments {
  std::vector<float> mv;
  size_t width;
  Moments(size_t rows, size_t width) : mv(rows * width * 2, 0.0f), width(width) {}
  float* m(size_t row) { return mv.data() + row * width * 2; }
  float* v(size_t row) { return m(row) + width; }
};

// One thread's gradients for one batch, gathered per touched row.
struct BatchGrad {
  std::vector<int32_t> slot;   // row -> slot in this batch, -1 when untouched
  std::vector<uint32_t> rows;  // touched rows, in first-touch order
  std::vector<float> g;        // slot x dim factor gradient
  std::vector<float> gb;       // slot bias gradient
  BatchGrad(size_t n_rows, size_t batch, uint32_t dim) : slot(n_rows, -1), g(batch * dim), gb(batch) {}
  // Adds g * x to the gradient row of `row` (and g to its bias), starting it on first touch.
  void add(uint32_t row, uint32_t dim, float g, const float* x) {
    int32_t& at = slot[row];
    float* out = this->g.data() + size_t(at < 0 ? rows.size() : size_t(at)) * dim;
    if (at < 0) {
      at = int32_t(rows.size());
      rows.push_back(row);
#pragma omp simd
      for (uint32_t c = 0; c < dim; ++c) out[c] = g * x[c];
      gb[size_t(at)] = g;
    } else {
#pragma omp simd
      for (uint32_t c = 0; c < dim; ++c) out[c] += g * x[c];
      gb[size_t(at)] += g;
    }
  }
  void clear() {
    for (uint32_t r : rows) slot[r] = -1;
    rows.clear();
  }
};

// A factor row as fp32: the row itself for fp32 storage, else converted into `buf`.
template <typename T>
inline void prefetch_row(const T* row, uint32_t k) {
  const char* p = reinterpret_cast<const char*>(row);
  for (size_t at = 0; at < k * sizeof(T); at += 64) __builtin_prefetch(p + at);
}

template <typename T, uint32_t K>
inline const float* as_f32(const T* row, float* buf, uint32_t k) {
  if constexpr (std::is_same_v<T, float>) {
    return row;
  } else {
    kernels::load(row, buf, K ? K : k);
    return buf;
  }
}

class AdamEngine final : public Engine {
 public:
  AdamEngine(Model& model, const Ratings& train, const TrainOptions& o)
      : Engine(model), o_(o), samples_(pack_samples(train, model)), order_(samples_.size()),
        mP_(model.n_users(), o.dim), mQ_(model.n_items(), o.dim),
        mbu_(model.n_users(), 1), mbi_(model.n_items(), 1),
        local_batch_(size_t(std::min<uint32_t>(o.thread_count(), 64)) * o.batch_size) {
    for (uint32_t k = 0; k < order_.size(); ++k) order_[k] = k;
  }

  double run_epoch(uint32_t epoch) override {
    Random(o_.seed * 0x9e3779b97f4a7c15ull + epoch).shuffle(order_);
    switch (o_.dim) {  // a compile-time dimension lets the compiler unroll the row loops fully
      case 16: return epoch_for<16>();
      case 32: return epoch_for<32>();
      case 64: return epoch_for<64>();
      case 128: return epoch_for<128>();
      default: return epoch_for<0>();
    }
  }

 private:
  template <uint32_t K>
  double epoch_for() {
    return model_.P.visit([&](auto* P) {
      using T = std::remove_cvref_t<decltype(*P)>;
      return epoch_typed<T, K>(P, static_cast<T*>(model_.Q.raw()));
    });
  }

  template <typename T, uint32_t K>
  double epoch_typed(T* P, T* Q) {
    const size_t B = o_.batch_size, n = samples_.size(), n_batches = (n + B - 1) / B;
    const int threads = int(std::min<uint32_t>(o_.thread_count(), 64));
    double sse = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sse)
    {
      const size_t t = size_t(omp_get_thread_num()), nt = size_t(omp_get_num_threads());
      BatchGrad gu(model_.n_users(), B, o_.dim), gi(model_.n_items(), B, o_.dim);
      Sample* mine = local_batch_.data() + t * B;
      for (size_t b = t; b < n_batches; b += nt) {
        const size_t begin = b * B, end = std::min(n, begin + B);
        for (size_t s = begin; s < end; ++s) mine[s - begin] = samples_[order_[s]];  // misses overlap
        sse += gradients<T, K>(P, Q, mine, end - begin, gu, gi);
        const uint64_t step = step_ + b + 1;
        const float lr_t = adam_rate(step);
        apply<T, K>(P, gu, mP_, model_.user_bias, mbu_, lr_t, step);
        apply<T, K>(Q, gi, mQ_, model_.item_bias, mbi_, lr_t, step ^ 0x5555);
        gu.clear();
        gi.clear();
      }
    }
    step_ += n_batches;
    return sse / double(n);
  }

  // Keras' Adam: lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); w -= lr_t * m / (sqrt(v) + eps).
  float adam_rate(uint64_t step) const {
    return float(o_.lr * std::sqrt(1.0 - std::pow(double(o_.beta2), double(step))) /
                 (1.0 - std::pow(double(o_.beta1), double(step))));
  }

  // Errors and gradients of the `count` ratings at `batch`.
  template <typename T, uint32_t K>
  double gradients(const T* P, const T* Q, const Sample* batch, size_t count, BatchGrad& gu, BatchGrad& gi) {
    const uint32_t k = K ? K : o_.dim;
    const bool biased = model_.kind == ModelKind::biased;
    const float scale = 2.0f / float(count);  // d/dpred of the batch's mean squared error
    const float* bu = model_.user_bias.data();
    const float* bi = model_.item_bias.data();
    float pbuf[K ? K : 4096], qbuf[K ? K : 4096];
    constexpr size_t kAhead = 4;  // prefetch distance, in ratings
    double sse = 0;
    for (size_t j = 0; j < count; ++j) {
      if (j + kAhead < count) {
        prefetch_row(P + size_t(batch[j + kAhead].user) * k, k);
        prefetch_row(Q + size_t(batch[j + kAhead].item) * k, k);
      }
      const Sample& x = batch[j];
      const float* pu = as_f32<T, K>(P + size_t(x.user) * k, pbuf, k);
      const float* qi = as_f32<T, K>(Q + size_t(x.item) * k, qbuf, k);
      float pred = x.base + kernels::dot(pu, qi, k);
      if (biased) pred += bu[x.user] + bi[x.item];
      const float err = pred - x.rating;
      sse += double(err) * err;
      const float g = scale * err;
      gu.add(x.user, k, g, qi);
      gi.add(x.item, k, g, pu);
    }
    return sse;
  }

  template <typename T, uint32_t K>
  void apply(T* W, const BatchGrad& grad, Moments& mw, std::vector<float>& bias, Moments& mb, float lr_t,
             uint64_t noise) {
    float* b = model_.kind == ModelKind::biased ? bias.data() : nullptr;
    for (size_t s = 0; s < grad.rows.size(); ++s)
      update_row<T, K>(W, grad.rows[s], grad.g.data() + s * o_.dim, grad.gb[s], mw, b, mb, lr_t, noise);
  }

  template <typename T, uint32_t K>
  void update_row(T* W, uint32_t row, const float* g, float gbias, Moments& mw, float* bias, Moments& mb,
                  float lr_t, uint64_t noise) {
    const uint32_t k = K ? K : o_.dim;
    const float b1 = o_.beta1, b2 = o_.beta2, eps = o_.eps, reg2 = 2 * o_.reg;
    T* wr = W + size_t(row) * k;
    float* m = mw.m(row);
    float* v = mw.v(row);
    float buf[K ? K : 4096];
    float* w = std::is_same_v<T, float> ? reinterpret_cast<float*>(wr) : buf;
    if constexpr (!std::is_same_v<T, float>) kernels::load(wr, w, k);
#pragma omp simd
    for (uint32_t c = 0; c < k; ++c) {
      const float gc = g[c] + reg2 * w[c];
      m[c] = b1 * m[c] + (1 - b1) * gc;
      v[c] = b2 * v[c] + (1 - b2) * gc * gc;
      w[c] -= lr_t * m[c] / (std::sqrt(v[c]) + eps);
    }
    if constexpr (!std::is_same_v<T, float>) kernels::store_update(w, wr, k, noise * 0x9e3779b97f4a7c15ull + row);
    if (bias) {
      const float gc = gbias + 2 * o_.bias_reg() * bias[row];
      float& bm = *mb.m(row);
      float& bv = *mb.v(row);
      bm = b1 * bm + (1 - b1) * gc;
      bv = b2 * bv + (1 - b2) * gc * gc;
      bias[row] -= lr_t * bm / (std::sqrt(bv) + eps);
    }
  }

  TrainOptions o_;
  std::vector<Sample> samples_;
  std::vector<uint32_t> order_;
  Moments mP_, mQ_, mbu_, mbi_;
  std::vector<Sample> local_batch_;  // per thread: the ratings of its current batch
  uint64_t step_ = 0;               // Adam steps taken before this epoch
};

}  // namespace

std::unique_ptr<Engine> make_adam(Model& model, const Ratings& train, const TrainOptions& o) {
  return std::make_unique<AdamEngine>(model, train, o);
}

}  // namespace mfrec
