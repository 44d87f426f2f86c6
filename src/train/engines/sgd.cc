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
#include "train/parts/rating_grid.h"
#include "train/engine.h"
#include "train/parts/samples.h"
#include "train/parts/shuffle.h"
#include "train/parts/sgd_engine.h"
#include "train/parts/sgd_kernel.h"

namespace mfrec {
namespace {

// The largest grid side --blocks may ask for: the scheduler scans side^2 blocks at each hand-out.
constexpr size_t kMaxGridSide = 1024;

inline uint64_t mix(uint64_t x) { return splitmix64_mix(x); }

using sgd::ColumnRun;
using sgd::Ctx;
using sgd::pick_kernel;
using sgd::SampleRun;

// The training ratings in grid order (rating_grid.h): the caller's own columns when it lends them
// (reordered in place, their ids given back when training ends, however it ends), else a copy.
class GridRows {
 public:
  GridRows() = default;
  GridRows(const GridRows&) = delete;
  GridRows& operator=(const GridRows&) = delete;
  ~GridRows() {
    if (lent_ && built_) restore_ids(*lent_, grid_, threads_);
  }
  void build(const Ratings& train, Ratings* lent, const Model& m, uint32_t side, uint64_t seed, int threads) {
    threads_ = threads;
    if (lent) {
      lent_ = rows_ = lent;
    } else {
      own_.user = train.user, own_.item = train.item, own_.value = train.value;
      rows_ = &own_;
    }
    grid_ = make_grid(*rows_, m.n_users(), m.n_items(), side, seed, threads);
    built_ = true;
    base_.resize(m.n_users());
    for (size_t u = 0; u < base_.size(); ++u) base_[grid_.user_index[u]] = m.user_mean[u];
  }
  const RatingGrid& grid() const { return grid_; }
  ColumnRun run() const { return {rows_->user.data(), rows_->item.data(), rows_->value.data(), base_.data()}; }

 private:
  Ratings* lent_ = nullptr;
  Ratings own_;
  Ratings* rows_ = nullptr;
  RatingGrid grid_;
  std::vector<float> base_;  // the users' means, by grid row
  bool built_ = false;
  int threads_ = 1;
};

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
  SgdEngine(Model& model, const Ratings& train, Ratings* lent, const TrainOptions& o, SgdSchedule schedule)
      : Engine(model), o_(o), schedule_(schedule), n_(train.size()), threads_(int(o.thread_count())),
        Gu_(2 * model.n_users(), 1.0f), Gi_(2 * model.n_items(), 1.0f) {
    if (model.dim != o.dim) throw UsageError("sgd: the model's dim differs from the options'");
    if (schedule_ == SgdSchedule::blocks) {
      const size_t row_bytes = size_t(o.dim) * precision_bytes(model.precision());
      // The grid holds side^2 blocks and gives each block at least one row of each side: an explicit
      // --blocks is checked against the data before anything is sized by it.
      const size_t most = std::min<size_t>({kMaxGridSide, model.n_users(), model.n_items()});
      if (o.blocks > most)
        throw UsageError(fmt::format("sgd: `blocks` {} is more than this data allows (at most {}: the smaller of the "
                                     "{} users, the {} items and {})", o.blocks, most, model.n_users(), model.n_items(), kMaxGridSide));
      const uint32_t side = o.blocks ? o.blocks : auto_grid_side(uint32_t(threads_), model.n_users(), model.n_items(), row_bytes);
      rows_.build(train, lent, model, side, o.seed, threads_);
      scheduler_ = std::make_unique<BlockScheduler>(rows_.grid().side);
      user_row_ = rows_.grid().user_index;
      item_row_ = rows_.grid().item_index;
    } else {
      const std::vector<Sample> samples = pack_samples(train, model);
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
    const bool biased = model_.kind == ModelKind::biased;
    if (schedule_ == SgdSchedule::blocks) {
      const auto kernel = pick_kernel<T, ColumnRun>(o_.dim, biased);
      const ColumnRun rows = rows_.run();
      const std::vector<uint64_t>& at = rows_.grid().offsets;
      return run_grid_epoch(*scheduler_, threads_, seed, [&](int b, int) {
        return kernel(rows, at[size_t(b)], at[size_t(b) + 1], P, Q, c, mix(seed + uint64_t(b)));
      });
    }
    const auto kernel = pick_kernel<T, SampleRun>(o_.dim, biased);
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
      if (begin < end) sse += kernel(SampleRun{shuffled_.data()}, begin, end, P, Q, c, mix(seed + at));
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
  GridRows rows_;
  std::unique_ptr<BlockScheduler> scheduler_;
  std::vector<Sample> shuffled_;  // hogwild
};

}  // namespace

std::unique_ptr<Engine> make_sgd_engine(Model& model, const Ratings& train, const TrainOptions& o, SgdSchedule schedule,
                                        Ratings* lent) {
  return std::make_unique<SgdEngine>(model, train, lent, o, schedule);
}

std::unique_ptr<Engine> make_sgd(Model& model, const Ratings& train, const TrainOptions& o) {
  return make_sgd_engine(model, train, o, o.schedule == "hogwild" ? SgdSchedule::hogwild : SgdSchedule::blocks);
}

std::unique_ptr<Engine> make_sgd_in_place(Model& model, Ratings& train, const TrainOptions& o) {
  return make_sgd_engine(model, train, o, o.schedule == "hogwild" ? SgdSchedule::hogwild : SgdSchedule::blocks, &train);
}

}  // namespace mfrec
