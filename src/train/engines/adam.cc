// Adam over mini-batches, applied sparsely: a batch updates only the rows it touches (the users and
// items of its ratings), with the recipe's loss: mean squared error over the batch plus L2 on those
// rows. Moments of untouched rows are left as they are ("lazy" Adam, as TF's LazyAdam). The same
// model for a seed run to run, and for a thread count.
//
// The step is bound by memory: rows picked at random from tables (weights and two moments) larger
// than L2. So the engine keeps its own copy of the tables, laid out for that: a row's weights and
// moments in one block ([w | m | v]: 384 bytes at dim 32 in fp32, six adjacent cache lines), on huge
// pages, and each epoch's ratings in their shuffled order, read as a stream (8-byte PackedSamples when
// the data allows) instead of gathered through a shuffled index. Each epoch's order is a fresh
// uniform shuffle of the previous epoch's (shuffle.h). The weights go back to the model after every
// epoch.
//
// Where each rating adds its gradients (its user's and item's slots among the rows its batch touches,
// batch_slots.h) is worked out once per epoch with the shuffle, not looked up in the inner loops.
//
// One thread runs the batches with the next epoch's shuffle and slots made meanwhile on a core it
// leaves idle. With N threads (two by default on two cores, see TrainOptions::thread_count) the
// dimensions are split in N slices (dim divisible by 8 N), one per thread: every thread computes its
// slice of each rating's dot product (the first thread adds the user's bias, the last the item's),
// the threads add up the parts (they wait for each other once per batch), and each updates its slice
// of every touched row (and its biases). The batches are the recipe's, and each thread's tables are a
// fraction of the whole. The threads make the next epoch's shuffle and slots while they wait
// (epoch_prep.h).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <future>

#include <fmt/format.h>

#include "common/huge_pages.h"
#include "common/isa.h"
#include "mfrec/error.h"
#include "train/parts/adam_rows.h"
#include "train/parts/batch_slots.h"
#include "train/engine.h"
#include "train/parts/epoch_prep.h"

namespace mfrec {
namespace {

using adam::BatchGrad;
using adam::BiasState;
using adam::Rating;
using adam::RowBlocks;

// How many slices of the dimensions `threads` threads take: the most, up to `threads`, that split
// `dim` into slices of a multiple of 8 (whole vectors).
uint32_t dimension_slices(uint32_t threads, uint32_t dim) {
  for (uint32_t t = threads; t > 1; --t)
    if (dim % (8 * t) == 0) return t;
  return 1;
}

class AdamEngine final : public Engine {
 public:
  // Adam's L2 term is added once per batch that touches a row, to a mean over the batch: per rating
  // it weighs reg * batch_size (0.05 with the defaults), the ridge a new user is folded in with.
  FoldInPrior prior(const TrainOptions& o) const override {
    FoldInPrior p;
    p.reg_per_rating = float(double(o.reg) * double(o.batch_size));
    return p;
  }

  AdamEngine(Model& model, const Ratings& train, const TrainOptions& o)
      : Engine(model), o_(o), n_(train.size()), slices_(dimension_slices(o.thread_count(), model.dim)),
        kp_(model.dim / slices_) {
    // Memory follows the batch size (gradient tables, slots): a batch beyond the data is one batch
    // of all of it, the same training, so it is capped there instead of allocated.
    if (o_.batch_size > std::max<size_t>(n_, 1)) {
      fmt::print(stderr, "mfrec: note: --batch_size {} is more than the {} training ratings: using {} (one batch an epoch)\n",
                 o_.batch_size, n_, std::max<size_t>(n_, 1));
      o_.batch_size = uint32_t(std::max<size_t>(n_, 1));
    }
    if (auto levels = rating_levels(train, model.n_items())) levels_ = std::move(*levels);
    const size_t sample_bytes = packed() ? sizeof(PackedSample) : sizeof(Sample);
    const size_t w_bytes = size_t(kp_) * precision_bytes(model.precision());
    moments_at_ = (w_bytes + 3) / 4 * 4;
    stride_ = round_up(moments_at_ + 2 * sizeof(float) * kp_);
    const size_t users = model.n_users(), items = model.n_items();
    if (!BatchSlots::fits(o_.batch_size, users, items))
      throw UsageError("adam: a `batch_size` over 65536 needs at most 65536 users and 65536 items (this data has " +
                       std::to_string(users) + " users and " + std::to_string(items) + " items)");
    items_at_ = round_up(users * stride_);
    biases_at_ = round_up(items_at_ + items * stride_);
    slice_bytes_ = round_up(biases_at_ + (users + items) * sizeof(BiasState));
    per_slice_ = round_up(o_.batch_size * sizeof(float)) / sizeof(float);
    dots_at_ = slices_ * slice_bytes_;
    samples_at_[0] = dots_at_ + 2 * slices_ * per_slice_ * sizeof(float);
    samples_at_[1] = round_up(samples_at_[0] + n_ * sample_bytes);
    arena_ = HugePageBuffer(samples_at_[1] + n_ * sample_bytes);
    load_from_model();
    // The ratings in training-set order, where the first epoch's shuffle reads them (see samples()).
    if (packed()) pack_samples(train, levels_, samples<PackedSample>(0));
    else pack_samples(train, model, samples<Sample>(0));
    for (uint32_t t = 0; t < slices_; ++t) {
      grads_.emplace_back(o_.batch_size, kp_);
      grads_.emplace_back(o_.batch_size, kp_);
    }
    if (packed())
      prep_packed_ = std::make_unique<EpochPrep<PackedSample>>(slices_, users, items, o_.batch_size);
    else
      prep_ = std::make_unique<EpochPrep<Sample>>(slices_, users, items, o_.batch_size);
    shuffle_ahead_ = slices_ == 1 && omp_get_num_procs() > 1;
    // Made ahead, the next epoch's slots are assigned while this epoch's are read.
    for (int copies = shuffle_ahead_ || slices_ > 1 ? 2 : 1; copies > 0; --copies)
      slots_.emplace_back(n_, o_.batch_size);
  }

  double run_epoch(uint32_t epoch) override {
    if (slices_ > 1) {  // the threads make the orders (see epoch_typed)
      const double mse = packed() ? epoch_for<PackedSample>(epoch) : epoch_for<Sample>(epoch);
      store_to_model();
      return mse;
    }
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
  static constexpr size_t kAhead = 4;  // prefetch distance, in ratings
  static size_t round_up(size_t bytes) { return (bytes + 63) / 64 * 64; }
  bool packed() const { return !levels_.empty(); }
  // Epoch e reads buffer e % 2, shuffled from the other one, which holds epoch e - 1's order (for the
  // first epoch, the training-set order). Both are only read while the next epoch's order is made.
  template <typename S>
  S* samples(uint32_t epoch) const {
    return reinterpret_cast<S*>(arena_.data() + samples_at_[epoch % 2]);
  }
  template <typename S>
  EpochPrep<S>& prep() {
    if constexpr (std::is_same_v<S, Sample>) return *prep_;
    else return *prep_packed_;
  }
  uint64_t shuffle_seed(uint32_t epoch) const { return o_.seed * 0x9e3779b97f4a7c15ull + epoch; }
  void shuffle_for(uint32_t epoch) {
    if (packed()) shuffle_for<PackedSample>(epoch);
    else shuffle_for<Sample>(epoch);
  }
  template <typename S>
  void shuffle_for(uint32_t epoch) {
    begin_prep<S>(epoch);
    prep<S>().finish(0);
  }
  // Starts making the epoch's order, from the previous epoch's, and its slots.
  template <typename S>
  void begin_prep(uint32_t epoch) {
    prep<S>().begin({samples<S>(epoch + 1), n_}, samples<S>(epoch), shuffle_seed(epoch),
                    slots_[epoch % slots_.size()]);
  }
  const BatchSlots& slots(uint32_t epoch) const { return slots_[epoch % slots_.size()]; }

  // Slice t's tables: user blocks, item blocks, then the biases of users and items.
  std::byte* slice(uint32_t t) const { return arena_.data() + t * slice_bytes_; }
  BiasState* user_bias(uint32_t t) const { return reinterpret_cast<BiasState*>(slice(t) + biases_at_); }
  BiasState* item_bias(uint32_t t) const { return user_bias(t) + model_.n_users(); }
  template <typename T>
  RowBlocks<T> users(uint32_t t) const { return {slice(t), stride_, moments_at_}; }
  template <typename T>
  RowBlocks<T> items(uint32_t t) const { return {slice(t) + items_at_, stride_, moments_at_}; }

  // The model's weights into the blocks (moments start at zero), and back: the user biases from the
  // first slice, the item biases from the last (see update()).
  void load_from_model() {
    for (uint32_t t = 0; t < slices_; ++t) {
      copy_rows(model_.P, slice(t), t, true);
      copy_rows(model_.Q, slice(t) + items_at_, t, true);
      for (size_t u = 0; u < model_.n_users(); ++u) user_bias(t)[u].b = model_.user_bias[u];
      for (size_t i = 0; i < model_.n_items(); ++i) item_bias(t)[i].b = model_.item_bias[i];
    }
  }
  void store_to_model() {
    for (uint32_t t = 0; t < slices_; ++t) {
      copy_rows(model_.P, slice(t), t, false);
      copy_rows(model_.Q, slice(t) + items_at_, t, false);
    }
    for (size_t u = 0; u < model_.n_users(); ++u) model_.user_bias[u] = user_bias(0)[u].b;
    for (size_t i = 0; i < model_.n_items(); ++i) model_.item_bias[i] = item_bias(slices_ - 1)[i].b;
  }
  void copy_rows(FactorMatrix& table, std::byte* blocks, uint32_t t, bool into_blocks) {
    const size_t element = precision_bytes(table.precision());
    const size_t row_bytes = table.cols() * element, part_bytes = kp_ * element;
    std::byte* rows = static_cast<std::byte*>(table.raw()) + t * part_bytes;
    for (size_t r = 0; r < table.rows(); ++r) {
      if (into_blocks) std::memcpy(blocks + r * stride_, rows + r * row_bytes, part_bytes);
      else std::memcpy(rows + r * row_bytes, blocks + r * stride_, part_bytes);
    }
  }

  template <typename S>
  double epoch_for(uint32_t epoch) {
    return model_.P.visit([&](auto* P) {
      using T = std::remove_cvref_t<decltype(*P)>;
      switch (kp_) {  // a compile-time dimension lets the compiler unroll the row loops fully
        case 8: return epoch_typed<T, 8, S>(epoch);
        case 16: return epoch_typed<T, 16, S>(epoch);
        case 32: return epoch_typed<T, 32, S>(epoch);
        case 64: return epoch_typed<T, 64, S>(epoch);
        case 128: return epoch_typed<T, 128, S>(epoch);
        default: return epoch_typed<T, 0, S>(epoch);
      }
    });
  }

  template <typename T, uint32_t K, typename S>
  double epoch_typed(uint32_t epoch) {
    const size_t B = o_.batch_size, n = n_, n_batches = (n + B - 1) / B;
    const S* all = samples<S>(epoch);
    double sse = 0;
    if (slices_ == 1) {
      const RowBlocks<T> P = users<T>(0), Q = items<T>(0);
      BatchGrad& gu = grads_[0];
      BatchGrad& gi = grads_[1];
      const BatchSlots& at = slots(epoch);
      for (size_t b = 0; b < n_batches; ++b) {
        const size_t begin = b * B, count = std::min(n, begin + B) - begin;
        sse += gradients<T, K>(P, Q, all + begin, at.batch(b), count, gu, gi);
        update<T, K>(0, b, at, gu, gi);
      }
      step_ += n_batches;
      return sse / double(n);
    }
    // This epoch's order was begun in the previous epoch (unless this is the first); the threads
    // finish it, begin the next epoch's, and take its tasks while they wait for each other.
    EpochPrep<S>& prep = this->prep<S>();
    if (prepared_ != epoch) {  // not the epoch made ahead: finish that one (its buffer may be read next)
      prep.finish(0);
      begin_prep<S>(epoch);
    }
    const bool ahead = epoch < o_.epochs;  // epochs count from 1
    arrived_.store(0, std::memory_order_relaxed);
    bool granted = true;
#pragma omp parallel num_threads(int(slices_)) reduction(+ : sse)
    {
      const uint32_t t = uint32_t(omp_get_thread_num());
      if (t == 0) granted = uint32_t(omp_get_num_threads()) == slices_;
#pragma omp barrier
      if (granted) {
        prep.finish(t);
#pragma omp barrier
        if (t == 0 && ahead) begin_prep<S>(epoch + 1);
#pragma omp barrier
        const BatchSlots& at = slots(epoch);
        const RowBlocks<T> P = users<T>(t), Q = items<T>(t);
        BatchGrad& gu = grads_[2 * t];
        BatchGrad& gi = grads_[2 * t + 1];
        for (size_t b = 0; b < n_batches; ++b) {
          const size_t begin = b * B, count = std::min(n, begin + B) - begin;
          float* dots = reinterpret_cast<float*>(arena_.data() + dots_at_) + (b & 1) * slices_ * per_slice_;
          slice_dots<T, K>(P, Q, all + begin, count, t, dots + t * per_slice_);
          wait_for_all(b, prep, t);
          const double batch_sse = slice_gradients<T, K>(P, Q, all + begin, at.batch(b), count, dots, t, gu, gi);
          if (t == 0) sse += batch_sse;
          update<T, K>(t, b, at, gu, gi);
        }
      }
    }
    if (!granted)  // OMP_THREAD_LIMIT or OMP_DYNAMIC can grant fewer
      throw UsageError("adam: " + std::to_string(slices_) +
                       " threads were asked for and fewer granted; use `threads` 1");
    prepared_ = ahead ? epoch + 1 : kNone;
    step_ += n_batches;
    return sse / double(n);
  }

  // Thread t has written its parts of batch b's errors: waits until every thread has, taking tasks of
  // the next epoch's order meanwhile.
  template <typename S>
  void wait_for_all(size_t b, EpochPrep<S>& prep, uint32_t t) {
    arrived_.fetch_add(1, std::memory_order_acq_rel);
    const size_t all = (b + 1) * slices_;
    prep.work_until([&] { return arrived_.load(std::memory_order_acquire) >= all; }, t);
  }

  // Adam's step on slice t of the rows batch b touched, then the gradients are cleared.
  template <typename T, uint32_t K>
  void update(uint32_t t, size_t b, const BatchSlots& slots, BatchGrad& gu, BatchGrad& gi) {
    gu.touched = slots.users_touched(b), gi.touched = slots.items_touched(b);
    const uint64_t step = step_ + b + 1;
    const float lr_t = adam_rate(step);
    const uint64_t noise = step + t * 0x632be59bd9b4e019ull;  // stochastic rounding's, per slice
    // Slice 0 keeps the user biases, the last slice the item biases (the same slice on one thread).
    apply<T, K>(users<T>(t), gu, t == 0 ? user_bias(0) : nullptr, lr_t, noise);
    apply<T, K>(items<T>(t), gi, t == slices_ - 1 ? item_bias(t) : nullptr, lr_t, noise ^ 0x5555);
    gu.clear();
    gi.clear();
  }

  // Keras' Adam: lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); w -= lr_t * m / (sqrt(v) + eps).
  float adam_rate(uint64_t step) const {
    return float(o_.lr * std::sqrt(1.0 - std::pow(double(o_.beta2), double(step))) /
                 (1.0 - std::pow(double(o_.beta1), double(step))));
  }

  // Errors and gradients of the `count` ratings at `batch`, on one thread.
  template <typename T, uint32_t K, typename S>
  double gradients(const RowBlocks<T>& P, const RowBlocks<T>& Q, const S* batch, const uint32_t* slots,
                   size_t count, BatchGrad& gu, BatchGrad& gi) {
    const uint32_t k = K ? K : kp_;
    const bool biased = model_.kind == ModelKind::biased;
    const float scale = 2.0f / float(count);  // d/dpred of the batch's mean squared error
    const BiasState* bu = user_bias(0);
    const BiasState* bi = item_bias(0);
    const float* levels = levels_.data();
    const float* user_mean = model_.user_mean.data();
    float pbuf[K ? K : 4096], qbuf[K ? K : 4096];
    double sse = 0;
    for (size_t j = 0; j < count; ++j) {
      if (j + kAhead < count) adam::prefetch_rows(P, Q, batch[j + kAhead], levels, user_mean, k);
      const Rating x = adam::unpack(batch[j], levels, user_mean);
      const float* pu = adam::as_f32<T, K>(P.w(x.user), pbuf, k);
      const float* qi = adam::as_f32<T, K>(Q.w(x.item), qbuf, k);
      float pred = x.base + kernels::dot(pu, qi, k);
      if (biased) pred += bu[x.user].b + bi[x.item].b;
      const float err = pred - x.value;
      sse += double(err) * err;
      const float g = scale * err;
      gu.add(BatchSlots::user_slot(slots[j]), x.user, k, g, qi);
      gi.add(BatchSlots::item_slot(slots[j]), x.item, k, g, pu);
    }
    return sse;
  }

  // This thread's part of each rating's error, into `out`: its slice of the dot product, plus on the
  // first slice the user's mean and bias minus the rating, on the last the item's bias.
  template <typename T, uint32_t K, typename S>
  MFREC_MULTIVERSION void slice_dots(const RowBlocks<T>& P, const RowBlocks<T>& Q, const S* batch, size_t count, uint32_t t,
                  float* out) {
    const uint32_t k = K ? K : kp_;
    const bool biased = model_.kind == ModelKind::biased;
    const BiasState* bu = user_bias(0);
    const BiasState* bi = item_bias(slices_ - 1);
    const float* levels = levels_.data();
    const float* user_mean = model_.user_mean.data();
    float pbuf[K ? K : 4096], qbuf[K ? K : 4096];
    for (size_t j = 0; j < count; ++j) {
      if (j + kAhead < count) adam::prefetch_rows(P, Q, batch[j + kAhead], levels, user_mean, k);
      const Rating x = adam::unpack(batch[j], levels, user_mean);
      const float* pu = adam::as_f32<T, K>(P.w(x.user), pbuf, k);
      float part = kernels::dot(pu, adam::as_f32<T, K>(Q.w(x.item), qbuf, k), k);
      if (t == 0) part += x.base - x.value + (biased ? bu[x.user].b : 0.0f);
      if (t == slices_ - 1 && biased) part += bi[x.item].b;
      out[j] = part;
    }
  }

  // Errors from every slice's parts (`dots`, slice after slice; added in slice order on every thread,
  // so that all threads see the same errors) and this slice's gradients.
  template <typename T, uint32_t K, typename S>
  MFREC_MULTIVERSION double slice_gradients(const RowBlocks<T>& P, const RowBlocks<T>& Q, const S* batch, const uint32_t* slots,
                         size_t count, const float* dots, uint32_t t, BatchGrad& gu, BatchGrad& gi) {
    const uint32_t k = K ? K : kp_;
    const float scale = 2.0f / float(count);
    const float* levels = levels_.data();
    const float* user_mean = model_.user_mean.data();
    float pbuf[K ? K : 4096], qbuf[K ? K : 4096];
    double sse = 0;
    for (size_t j = 0; j < count; ++j) {
      const Rating x = adam::unpack(batch[j], levels, user_mean);
      float err = dots[j];
      for (uint32_t s = 1; s < slices_; ++s) err += dots[s * per_slice_ + j];
      sse += double(err) * err;
      const float g = scale * err;
      gu.add(BatchSlots::user_slot(slots[j]), x.user, k, g, adam::as_f32<T, K>(Q.w(x.item), qbuf, k));
      gi.add(BatchSlots::item_slot(slots[j]), x.item, k, g, adam::as_f32<T, K>(P.w(x.user), pbuf, k));
    }
    return sse;
  }

  template <typename T, uint32_t K>
  MFREC_MULTIVERSION void apply(const RowBlocks<T>& W, BatchGrad& grad, BiasState* bias, float lr_t, uint64_t noise) {
    const uint32_t k = K ? K : kp_;
    for (size_t s = 0; s < grad.touched; ++s)
      update_row<T, K>(W, grad.rows[s], grad.g.data() + s * k, lr_t, noise);
    if (bias && model_.kind == ModelKind::biased) update_biases(bias, grad, lr_t);
  }

  // The biases of the touched rows, gathered so that the arithmetic vectorises.
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
  // Adam's step on one row, from its gradient `g`, which it zeroes for the next batch.
  void update_row(const RowBlocks<T>& W, uint32_t row, float* g, float lr_t, uint64_t noise) {
    const uint32_t k = K ? K : kp_;
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
      g[c] = 0;
      m[c] = b1 * m[c] + (1 - b1) * gc;
      v[c] = b2 * v[c] + (1 - b2) * gc * gc;
      w[c] -= lr_t * m[c] / (std::sqrt(v[c]) + eps);
    }
    if constexpr (!std::is_same_v<T, float>)
      kernels::store_update(w, wr, k, noise * 0x9e3779b97f4a7c15ull + row);
  }

  TrainOptions o_;
  size_t n_;           // training ratings
  uint32_t slices_;    // of the dimensions, one per thread
  uint32_t kp_;        // dimensions per slice
  std::vector<float> levels_;  // the rating values, by level, when the samples are PackedSamples
  std::unique_ptr<EpochPrep<Sample>> prep_;  // the one for the samples' form
  std::unique_ptr<EpochPrep<PackedSample>> prep_packed_;
  // The arena, on huge pages: for each slice its user blocks, item blocks and biases; the parts of
  // the errors of two batches (even, odd), slice after slice, per_slice_ floats each; then two
  // epochs' ratings in their random order (batch b is [b * B, (b + 1) * B)), as Samples or
  // PackedSamples. Offsets in bytes, each on a cache line: threads write neighbouring parts.
  HugePageBuffer arena_;
  size_t stride_ = 0, moments_at_ = 0, items_at_ = 0, biases_at_ = 0, slice_bytes_ = 0;
  size_t dots_at_ = 0, per_slice_ = 0, samples_at_[2] = {0, 0};
  uint64_t step_ = 0;             // Adam steps taken before this epoch
  std::vector<BatchGrad> grads_;  // per slice, for users then items: kept from epoch to epoch
  std::vector<BatchSlots> slots_;  // per epoch parity when made ahead, else one
  bool shuffle_ahead_ = false;
  static constexpr uint32_t kNone = ~0u;
  uint32_t prepared_ = kNone;  // with N threads: the epoch whose order has been begun
  alignas(64) std::atomic<size_t> arrived_{0};  // threads' arrivals at the batches' waits, this epoch
  uint32_t next_epoch_ = 0;         // the epoch next_shuffle_ is shuffling for
  std::future<void> next_shuffle_;  // declared last: destroyed (joined) first
};

}  // namespace

std::unique_ptr<Engine> make_adam(Model& model, const Ratings& train, const TrainOptions& o) {
  return std::make_unique<AdamEngine>(model, train, o);
}

}  // namespace mfrec
