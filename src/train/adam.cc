// Adam over mini-batches, applied sparsely: a batch updates only the rows it touches (the users and
// items of its ratings), with the recipe's loss: mean squared error over the batch plus L2 on those
// rows. Moments of untouched rows are left as they are ("lazy" Adam, as TF's LazyAdam).
//
// One thread (the automatic choice, see TrainOptions::thread_count) is the exact sequential algorithm,
// bit-identical run to run for a seed. With --threads N, threads take whole batches side by side on
// shared parameters (Hogwild, Niu et al. 2011): no locks and no barriers, so a busy machine slows
// them down gracefully.
//
// The step is bound by memory: rows picked at random from tables (weights and two moments) larger
// than L2. So the engine keeps its own copy of the tables, laid out for that: a row's weights and
// moments in one block ([w | m | v]: 384 bytes at dim 32 in fp32, six adjacent cache lines), on huge
// pages, and each epoch's ratings in their shuffled order, read as a stream (8-byte PackedSamples when
// the data allows) instead of gathered through a shuffled index. Each epoch's order is a fresh
// uniform shuffle of the previous epoch's, made during the previous epoch on a core the training
// leaves idle. The weights go back to the model after every epoch.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <future>

#include "common/huge_pages.h"
#include "model/kernels.h"
#include "train/engine.h"
#include "train/samples.h"
#include "train/shuffle.h"

namespace mfrec {
namespace {

// One table as the engine keeps it: row r's weights (k values of the storage type T), then its first
// and second moments (k floats each), in one block of `stride` bytes.
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

// A training rating as the inner loop reads it, from either packed form.
struct Rating {
  uint32_t user, item;
  float value, base;
};
inline Rating read(const Sample& x, const float*, const float*) { return {x.user, x.item, x.rating, x.base}; }
inline Rating read(const PackedSample& x, const float* levels, const float* user_mean) {
  return {x.user, x.item(), levels[x.level()], user_mean[x.user]};
}

// One thread's gradients for one batch, gathered per touched row.
struct BatchGrad {
  std::vector<int32_t> slot;   // row -> slot in this batch, -1 when untouched
  std::vector<uint32_t> rows;  // touched rows, in first-touch order: the first `touched`
  std::vector<float> g;        // slot x dim factor gradient
  std::vector<float> gb;       // slot bias gradient
  std::vector<float> bias_columns;  // room for the touched rows' biases and their moments
  size_t touched = 0;
  BatchGrad(size_t n_rows, size_t batch, uint32_t dim)
      : slot(n_rows, -1), rows(batch), g(batch * dim), gb(batch), bias_columns(3 * batch) {}
  // Adds g * x to the gradient row of `row` (and g to its bias), starting it on first touch. Inlined
  // by force: the call costs 10% of an epoch where g++ declines.
  [[gnu::always_inline]] void add(uint32_t row, uint32_t dim, float g, const float* x) {
    int32_t& at = slot[row];
    if (at < 0) {
      at = int32_t(touched);
      rows[touched++] = row;
      float* out = this->g.data() + size_t(at) * dim;
#pragma omp simd
      for (uint32_t c = 0; c < dim; ++c) out[c] = g * x[c];
      gb[size_t(at)] = g;
    } else {
      float* out = this->g.data() + size_t(at) * dim;
#pragma omp simd
      for (uint32_t c = 0; c < dim; ++c) out[c] += g * x[c];
      gb[size_t(at)] += g;
    }
  }
  void clear() {
    for (size_t s = 0; s < touched; ++s) slot[rows[s]] = -1;
    touched = 0;
  }
};

template <typename T>
inline void prefetch_row(const T* row, uint32_t k) {
  const char* p = reinterpret_cast<const char*>(row);
  for (size_t at = 0; at < k * sizeof(T); at += 64) __builtin_prefetch(p + at);
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

class AdamEngine final : public Engine {
 public:
  AdamEngine(Model& model, const Ratings& train, const TrainOptions& o)
      : Engine(model), o_(o), k_(model.dim), n_(train.size()) {
    if (auto levels = rating_levels(train, model.n_items())) levels_ = std::move(*levels);
    const size_t sample_bytes = packed() ? sizeof(PackedSample) : sizeof(Sample);
    const size_t w_bytes = size_t(k_) * precision_bytes(model.precision());
    moments_at_ = (w_bytes + 3) / 4 * 4;
    stride_ = round_up(moments_at_ + 2 * sizeof(float) * k_);
    const size_t users = model.n_users(), items = model.n_items();
    items_at_ = round_up(users * stride_);
    biases_at_ = round_up(items_at_ + items * stride_);
    samples_at_[0] = round_up(biases_at_ + (users + items) * sizeof(BiasState));
    samples_at_[1] = round_up(samples_at_[0] + n_ * sample_bytes);
    arena_ = HugePageBuffer(samples_at_[1] + n_ * sample_bytes);
    load_from_model();
    // The ratings in training-set order, where the first epoch's shuffle reads them (see run_epoch).
    if (packed()) pack_samples(train, levels_, samples<PackedSample>(0));
    else pack_samples(train, model, samples<Sample>(0));
    shuffle_ahead_ = int(o.thread_count()) < omp_get_num_procs();
  }

  double run_epoch(uint32_t epoch) override {
    bool shuffled = false;
    if (next_shuffle_.valid()) {
      next_shuffle_.get();  // whichever epoch it was for: it wrote a buffer this one may read
      shuffled = next_epoch_ == epoch;
    }
    if (!shuffled) shuffle_for(epoch);
    if (shuffle_ahead_) {
      next_epoch_ = epoch + 1;
      next_shuffle_ = std::async(std::launch::async, [this, epoch] { shuffle_for(epoch + 1); });
    }
    const double mse = packed() ? epoch_for<PackedSample>(epoch) : epoch_for<Sample>(epoch);
    store_to_model();
    return mse;
  }

 private:
  static size_t round_up(size_t bytes) { return (bytes + 63) / 64 * 64; }
  bool packed() const { return !levels_.empty(); }
  // Epoch e reads buffer e % 2, shuffled from the other one, which holds epoch e - 1's order (for the
  // first epoch, the training-set order). Both are only read while the next epoch's order is made.
  template <typename S>
  S* samples(uint32_t epoch) const {
    return reinterpret_cast<S*>(arena_.data() + samples_at_[epoch % 2]);
  }
  void shuffle_for(uint32_t epoch) {
    const uint64_t seed = o_.seed * 0x9e3779b97f4a7c15ull + epoch;
    if (packed()) shuffle_packed_({samples<PackedSample>(epoch + 1), n_}, samples<PackedSample>(epoch), seed);
    else shuffle_({samples<Sample>(epoch + 1), n_}, samples<Sample>(epoch), seed);
  }
  BiasState* user_bias() const { return reinterpret_cast<BiasState*>(arena_.data() + biases_at_); }
  BiasState* item_bias() const { return user_bias() + model_.n_users(); }
  template <typename T>
  RowBlocks<T> users() const { return {arena_.data(), stride_, moments_at_}; }
  template <typename T>
  RowBlocks<T> items() const { return {arena_.data() + items_at_, stride_, moments_at_}; }

  // The model's weights into the blocks (moments start at zero), and back.
  void load_from_model() {
    copy_rows(model_.P, arena_.data(), true);
    copy_rows(model_.Q, arena_.data() + items_at_, true);
    for (size_t u = 0; u < model_.n_users(); ++u) user_bias()[u].b = model_.user_bias[u];
    for (size_t i = 0; i < model_.n_items(); ++i) item_bias()[i].b = model_.item_bias[i];
  }
  void store_to_model() {
    copy_rows(model_.P, arena_.data(), false);
    copy_rows(model_.Q, arena_.data() + items_at_, false);
    for (size_t u = 0; u < model_.n_users(); ++u) model_.user_bias[u] = user_bias()[u].b;
    for (size_t i = 0; i < model_.n_items(); ++i) model_.item_bias[i] = item_bias()[i].b;
  }
  void copy_rows(FactorMatrix& table, std::byte* blocks, bool into_blocks) {
    std::byte* rows = static_cast<std::byte*>(table.raw());
    const size_t row_bytes = table.cols() * precision_bytes(table.precision());
    for (size_t r = 0; r < table.rows(); ++r) {
      if (into_blocks) std::memcpy(blocks + r * stride_, rows + r * row_bytes, row_bytes);
      else std::memcpy(rows + r * row_bytes, blocks + r * stride_, row_bytes);
    }
  }

  template <typename S>
  double epoch_for(uint32_t epoch) {
    const S* batch = samples<S>(epoch);
    return model_.P.visit([&](auto* P) {
      using T = std::remove_cvref_t<decltype(*P)>;
      switch (o_.dim) {  // a compile-time dimension lets the compiler unroll the row loops fully
        case 16: return epoch_typed<T, 16>(batch);
        case 32: return epoch_typed<T, 32>(batch);
        case 64: return epoch_typed<T, 64>(batch);
        case 128: return epoch_typed<T, 128>(batch);
        default: return epoch_typed<T, 0>(batch);
      }
    });
  }

  template <typename T, uint32_t K, typename S>
  double epoch_typed(const S* samples) {
    const size_t B = o_.batch_size, n = n_, n_batches = (n + B - 1) / B;
    const int threads = int(std::min<uint32_t>(o_.thread_count(), 64));
    const RowBlocks<T> P = users<T>(), Q = items<T>();
    while (grads_.size() < 2 * size_t(threads)) {
      grads_.emplace_back(model_.n_users(), B, k_);
      grads_.emplace_back(model_.n_items(), B, k_);
    }
    double sse = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sse)
    {
      const size_t t = size_t(omp_get_thread_num()), nt = size_t(omp_get_num_threads());
      BatchGrad& gu = grads_[2 * t];
      BatchGrad& gi = grads_[2 * t + 1];
      for (size_t b = t; b < n_batches; b += nt) {
        const size_t begin = b * B, end = std::min(n, begin + B);
        sse += gradients<T, K>(P, Q, samples + begin, end - begin, gu, gi);
        const uint64_t step = step_ + b + 1;
        const float lr_t = adam_rate(step);
        apply<T, K>(P, gu, user_bias(), lr_t, step);
        apply<T, K>(Q, gi, item_bias(), lr_t, step ^ 0x5555);
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
  template <typename T, uint32_t K, typename S>
  double gradients(const RowBlocks<T>& P, const RowBlocks<T>& Q, const S* batch, size_t count,
                   BatchGrad& gu, BatchGrad& gi) {
    const uint32_t k = K ? K : k_;
    const bool biased = model_.kind == ModelKind::biased;
    const float scale = 2.0f / float(count);  // d/dpred of the batch's mean squared error
    const BiasState* bu = user_bias();
    const BiasState* bi = item_bias();
    const float* levels = levels_.data();
    const float* user_mean = model_.user_mean.data();
    float pbuf[K ? K : 4096], qbuf[K ? K : 4096];
    constexpr size_t kAhead = 4;  // prefetch distance, in ratings
    double sse = 0;
    for (size_t j = 0; j < count; ++j) {
      if (j + kAhead < count) {
        const Rating ahead = read(batch[j + kAhead], levels, user_mean);
        prefetch_row(P.w(ahead.user), k);
        prefetch_row(Q.w(ahead.item), k);
      }
      const Rating x = read(batch[j], levels, user_mean);
      const float* pu = as_f32<T, K>(P.w(x.user), pbuf, k);
      const float* qi = as_f32<T, K>(Q.w(x.item), qbuf, k);
      float pred = x.base + kernels::dot(pu, qi, k);
      if (biased) pred += bu[x.user].b + bi[x.item].b;
      const float err = pred - x.value;
      sse += double(err) * err;
      const float g = scale * err;
      gu.add(x.user, k, g, qi);
      gi.add(x.item, k, g, pu);
    }
    return sse;
  }

  template <typename T, uint32_t K>
  void apply(const RowBlocks<T>& W, BatchGrad& grad, BiasState* bias, float lr_t, uint64_t noise) {
    if (model_.kind != ModelKind::biased) bias = nullptr;
    const uint32_t k = K ? K : k_;
    for (size_t s = 0; s < grad.touched; ++s) update_row<T, K>(W, grad.rows[s], grad.g.data() + s * k, lr_t, noise);
    if (bias) update_biases(bias, grad, lr_t);
  }

  // The biases of the touched rows, gathered so that the arithmetic vectorises (4% of an epoch).
  void update_biases(BiasState* bias, BatchGrad& grad, float lr_t) const {
    const size_t n = grad.touched;
    float *b = grad.bias_columns.data(), *m = b + n, *v = m + n;
    for (size_t s = 0; s < n; ++s) {
      const BiasState& st = bias[grad.rows[s]];
      b[s] = st.b, m[s] = st.m, v[s] = st.v;
    }
    const float b1 = o_.beta1, b2 = o_.beta2, eps = o_.eps, reg2 = 2 * o_.bias_reg();
    const float* g = grad.gb.data();
#pragma omp simd
    for (size_t s = 0; s < n; ++s) {
      const float gc = g[s] + reg2 * b[s];
      m[s] = b1 * m[s] + (1 - b1) * gc;
      v[s] = b2 * v[s] + (1 - b2) * gc * gc;
      b[s] -= lr_t * m[s] / (std::sqrt(v[s]) + eps);
    }
    for (size_t s = 0; s < n; ++s) {
      BiasState& st = bias[grad.rows[s]];
      st.b = b[s], st.m = m[s], st.v = v[s];
    }
  }

  template <typename T, uint32_t K>
  void update_row(const RowBlocks<T>& W, uint32_t row, const float* g, float lr_t, uint64_t noise) {
    const uint32_t k = K ? K : k_;
    const float b1 = o_.beta1, b2 = o_.beta2, eps = o_.eps, reg2 = 2 * o_.reg;
    T* wr = W.w(row);
    float* m = W.m(row);
    float* v = m + k;
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
  }


  TrainOptions o_;
  uint32_t k_;
  size_t n_;                  // training ratings
  std::vector<float> levels_;  // the rating values, by level, when the samples are PackedSamples
  StreamShuffle<Sample> shuffle_;
  StreamShuffle<PackedSample> shuffle_packed_;
  // The arena, on huge pages: user blocks, item blocks, biases, then two epochs' ratings in their
  // random order (batch b is [b * B, (b + 1) * B)), as Samples or PackedSamples. Offsets in bytes,
  // each on a cache line.
  HugePageBuffer arena_;
  size_t stride_ = 0, moments_at_ = 0, items_at_ = 0, biases_at_ = 0, samples_at_[2] = {0, 0};
  uint64_t step_ = 0;  // Adam steps taken before this epoch
  std::vector<BatchGrad> grads_;  // per thread, for users then items: kept from epoch to epoch
  bool shuffle_ahead_ = false;
  uint32_t next_epoch_ = 0;        // the epoch next_shuffle_ is shuffling for
  std::future<void> next_shuffle_;  // declared last: destroyed (joined) first
};

}  // namespace

std::unique_ptr<Engine> make_adam(Model& model, const Ratings& train, const TrainOptions& o) {
  return std::make_unique<AdamEngine>(model, train, o);
}

}  // namespace mfrec
