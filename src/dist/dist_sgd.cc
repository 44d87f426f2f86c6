// Distributed SGD by DSGD's strata (Gemulla et al., "Large-Scale Matrix Factorization with
// Distributed Stochastic Gradient Descent", KDD 2011) with sgd.cc's update and per-row AdaGrad. Users
// and items have owner ranks (partition.h); item block b is rank b's items. A rank keeps its users'
// ratings cut by item block (its strata) and its users' rows for good; an epoch is N sub-epochs, and
// in each every rank updates one stratum while holding that item block, no two ranks the same one,
// then passes the block (rows, biases and AdaGrad sums) on. Every rating is seen once an epoch, and
// the blocks are home again at its end.
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "common/random.h"
#include "dist/partition.h"
#include "dist/rows.h"
#include "dist/solver.h"
#include "train/parts/sgd_kernel.h"

namespace mfrec::dist {
namespace {

// One item block as it travels: its rows in the model's precision, biases, AdaGrad sums {row, bias}.
struct ItemBlock {
  FactorMatrix Q;
  std::vector<float> bias, G;
  void resize(size_t rows, size_t dim, Precision precision) {
    Q = FactorMatrix(rows, dim, precision);
    bias.assign(rows, 0.0f);
    G.assign(2 * rows, 1.0f);
  }
  size_t bytes() const { return Q.bytes() + (bias.size() + G.size()) * sizeof(float); }
  void pack(std::vector<std::byte>& out) const {
    out.resize(bytes());
    std::byte* at = out.data();
    std::memcpy(at, Q.raw(), Q.bytes());
    std::memcpy(at += Q.bytes(), bias.data(), bias.size() * sizeof(float));
    std::memcpy(at + bias.size() * sizeof(float), G.data(), G.size() * sizeof(float));
  }
  void unpack(const std::vector<std::byte>& in) {
    const std::byte* at = in.data();
    std::memcpy(Q.raw(), at, Q.bytes());
    std::memcpy(bias.data(), at += Q.bytes(), bias.size() * sizeof(float));
    std::memcpy(G.data(), at + bias.size() * sizeof(float), G.size() * sizeof(float));
  }
};

class DistSgd final : public Solver {
 public:
  DistSgd(Comm& comm, const SharedData& d, const TrainOptions& o, const Model* model, ModelKind kind, Precision precision)
      : comm_(comm), o_(o), biased_(kind == ModelKind::biased), k_(o.dim), precision_(precision),
        users_(Ownership::of(*d.users, comm.size())), items_(Ownership::of(*d.items, comm.size())),
        n_(d.ratings) {
    const Ratings& train = *d.train;
    std::vector<float> mean(users_.size());
    if (comm.rank() == 0) mean = model->user_mean;
    comm.broadcast(mean.data(), mean.size() * sizeof(float));
    const int me = comm.rank(), ranks = comm.size();
    strata_.resize(size_t(ranks));
    for (size_t k = 0; k < train.size(); ++k) {
      const uint32_t u = train.user[k], i = train.item[k];
      if (users_.owner[u] != me) continue;
      strata_[size_t(items_.owner[i])].push_back({users_.local[u], items_.local[i], train.value[k], mean[u]});
    }
    // Each stratum in a random order, once (as the one-process grid's blocks).
    for (size_t b = 0; b < strata_.size(); ++b) Random(o.seed ^ splitmix64_mix(uint64_t(me) << 20 | b)).shuffle(strata_[b]);
    scatter_side(comm, users_, model ? &model->P : nullptr, model ? &model->user_bias : nullptr, int(k_), biased_,
                 precision_, P_, bu_);
    Gu_.assign(2 * P_.rows(), 1.0f);
    scatter_side(comm, items_, model ? &model->Q : nullptr, model ? &model->item_bias : nullptr, int(k_), biased_,
                 precision_, held_.Q, held_.bias);
    held_.G.assign(2 * held_.Q.rows(), 1.0f);
  }

  double epoch(uint32_t epoch) override {
    const int ranks = comm_.size(), me = comm_.rank();
    const uint64_t seed = splitmix64_mix(o_.seed * kGoldenGamma + epoch);
    // The strata's order: block me + order[s] in sub-epoch s, the same permutation on every rank
    // (so that no two ranks hold one block), starting and ending at home.
    std::vector<int> order(static_cast<size_t>(ranks));
    for (int s = 0; s < ranks; ++s) order[size_t(s)] = s;
    Random(seed).shuffle(order);
    std::swap(order[0], *std::find(order.begin(), order.end(), 0));
    double sse = 0;
    for (int s = 0; s < ranks; ++s) {
      const int b = (me + order[size_t(s)]) % ranks;
      sse += run(strata_[size_t(b)], splitmix64_mix(seed + uint64_t(b)));
      const int next = s + 1 < ranks ? order[size_t(s + 1)] : 0;
      pass_block((me + next) % ranks, next - order[size_t(s)]);
    }
    sse = comm_.sum(sse);
    return n_ ? sse / double(n_) : 0.0;
  }

  void gather(Model* model) override {
    gather_side(comm_, users_, P_, bu_, biased_, model ? &model->P : nullptr, model ? &model->user_bias : nullptr);
    gather_side(comm_, items_, held_.Q, held_.bias, biased_, model ? &model->Q : nullptr,
                model ? &model->item_bias : nullptr);
  }

 private:
  double run(const std::vector<Sample>& stratum, uint64_t noise) {
    if (stratum.empty()) return 0;
    const sgd::Ctx c{bu_.data(), held_.bias.data(), Gu_.data(), held_.G.data(), o_.lr, o_.reg, o_.bias_reg(), k_};
    return P_.visit([&](auto* P) {
      using T = std::remove_cvref_t<decltype(*P)>;
      const auto kernel = sgd::pick_kernel<T, sgd::SampleRun>(k_, biased_);
      return kernel(sgd::SampleRun{stratum.data()}, 0, stratum.size(), P, static_cast<T*>(held_.Q.raw()), c, noise);
    });
  }

  // Hands the held block on and takes block `want`: every rank moves by `step` blocks, so the
  // block wanted here is on rank me + step, and the one held here goes to rank me - step.
  void pass_block(int want, int step) {
    const int ranks = comm_.size(), me = comm_.rank();
    if (step % ranks == 0) return;
    const int from = ((me + step) % ranks + ranks) % ranks, to = ((me - step) % ranks + ranks) % ranks;
    held_.pack(send_);
    ItemBlock next;
    next.resize(items_.count(want), k_, precision_);
    recv_.resize(next.bytes());
    comm_.shift(send_.data(), send_.size(), to, recv_.data(), recv_.size(), from);
    next.unpack(recv_);
    held_ = std::move(next);
  }

  Comm& comm_;
  TrainOptions o_;
  bool biased_;
  uint32_t k_;
  Precision precision_;
  Ownership users_, items_;
  std::vector<std::vector<Sample>> strata_;  // by item block: this rank's users' ratings, local indices
  FactorMatrix P_;                            // this rank's users' rows, in local order
  std::vector<float> bu_, Gu_;
  ItemBlock held_;  // the item block this rank holds now (its own between epochs)
  std::vector<std::byte> send_, recv_;
  size_t n_;
};

}  // namespace

std::unique_ptr<Solver> make_dist_sgd(Comm& comm, const SharedData& d, const TrainOptions& o, const Model* model,
                                      ModelKind kind, Precision precision) {
  return std::make_unique<DistSgd>(comm, d, o, model, kind, precision);
}

}  // namespace mfrec::dist
