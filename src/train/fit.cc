#include "mfrec/fit.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cmath>

#include <fmt/format.h>

#include "mfrec/engines.h"
#include "mfrec/error.h"
#include "mfrec/recommend.h"
#include "train/engine.h"

namespace mfrec {
namespace {

// Copies the rows of `from` whose external ids exist in `to` (factors, biases).
void carry_over(const Model& from, Model& to) {
  if (from.dim != to.dim || from.kind != to.kind)
    throw UsageError("`resume`: the model has dim " + std::to_string(from.dim) +
                     " and another kind or dim was asked for; use the same `dim` and `model`");
  std::vector<float> row(to.dim);
  for (size_t u = 0; u < from.n_users(); ++u) {
    if (auto v = to.users.find(from.users.external(uint32_t(u)))) {
      from.P.read_row(u, row.data());
      to.P.write_row(*v, row.data());
      to.user_bias[*v] = from.user_bias[u];
    }
  }
  for (size_t i = 0; i < from.n_items(); ++i) {
    if (auto j = to.items.find(from.items.external(uint32_t(i)))) {
      from.Q.read_row(i, row.data());
      to.Q.write_row(*j, row.data());
      to.item_bias[*j] = from.item_bias[i];
    }
  }
}

}  // namespace

Model prepare_model(const Dataset& data, const Ratings& train, const TrainOptions& o) {
  o.validate();
  const EngineInfo& engine = engine_info(o.optimizer);
  Model m;
  m.kind = engine.kind.value_or(o.kind);
  m.objective = engine.objective;
  m.users = data.users;
  m.items = data.items;
  m.catalog = data.catalog;
  m.catalog.titles.resize(data.items.size());  // "" where unknown: a checkpoint holds one per item
  m.catalog.genres.resize(data.items.size());
  m.rating_min = data.rating_min;
  m.rating_max = data.rating_max;
  m.init(data.users.size(), data.items.size(), o.dim, o.precision, o.init_std, o.seed);
  m.set_user_means(train);
  if (engine.objective == Objective::ranking) m.seen = SeenItems::from(train, m.n_users());
  return m;
}

namespace {

// With `handed` (== &split), the training part is freed as the seen items are made from it.
void finalize(Model& m, const Split& split, Split* handed) {
  m.zero_unseen(split.train);
  m.seen = handed ? SeenItems::from(std::move(handed->train), split.val, m.n_users())
                  : SeenItems::from(split.train, split.val, m.n_users());
}

}  // namespace

void finalize_model(Model& m, const Split& split) { finalize(m, split, nullptr); }

RankingOptions ranking_protocol(SplitKind kind, uint64_t seed) {
  RankingOptions r;
  r.protocol = kind == SplitKind::loo ? RankingProtocol::sampled
               : kind == SplitKind::users ? RankingProtocol::users : RankingProtocol::full;
  r.seed = seed;
  return r;
}

namespace {

// `handed`: the same split, the caller's to reorder and free (fit(Split&&)).
FitResult fit_any(const Dataset& data, const Split& split, Split* handed, const TrainOptions& o,
                  const EpochCallback& on_epoch, const Model* resume) {
  FitResult result;
  result.model = prepare_model(data, split.train, o);
  Model& m = result.model;
  uint64_t epochs_before = 0;
  if (resume) {
    if (!engine_info(o.optimizer).resumable)
      throw UsageError("`resume`: " + o.optimizer + (o.optimizer == "mcmc"
          ? " cannot continue a chain: the model holds the posterior mean, not the sampler's state; train from the start"
          : " cannot continue from a saved model; train from the start"));
    carry_over(*resume, m);
    epochs_before = resume->meta.value("epochs_done", uint64_t(0));
  }
#ifdef __GLIBC__
  // Reading and splitting the data freed memory in the middle of the heap, which glibc keeps
  // resident; hand it back before the engine allocates its tables, for a lower peak (BENCHMARKS.md).
  malloc_trim(0);
#endif
  const RankingOptions protocol = ranking_protocol(split.kind, o.seed);
  result.train = handed ? train_in_place(m, handed->train, split.val, o, on_epoch, protocol)
                        : train(m, split.train, split.val, o, on_epoch, protocol);
  // Validation's metrics see what each user rated in training only; the model keeps validation too.
  if (m.objective == Objective::ranking && split.val.size())
    result.val_ranking = evaluate_ranking(Recommender(std::shared_ptr<const Model>(&m, [](const Model*) {})), split.val, protocol);
  finalize(m, split, handed);
  if (m.objective == Objective::ranking) {
    result.test_ranking = evaluate_ranking(Recommender(std::shared_ptr<const Model>(&m, [](const Model*) {})), split.test, protocol);
    result.val.rmse = result.test.rmse = std::nan("");
    result.test.count = split.test.size();
  } else {
    result.val = evaluate(m, split.val);
    result.test = evaluate(m, split.test);
  }
  m.meta["options"] = o.to_json();
  m.meta["epochs_done"] = epochs_before + result.train.history.size();
  m.meta["best_epoch"] = result.train.best_epoch;
  m.meta["data"] = {{"source", data.source.ratings_file}, {"layout", data.source.layout.name},
                    {"fingerprint", fmt::format("{:016x}", data.fingerprint)}};
  if (m.objective == Objective::ranking) m.meta["test_ranking"] = result.test_ranking.to_json();
  else m.meta["test_rmse"] = result.test.rmse;
  return result;
}

}  // namespace

FitResult fit(const Dataset& data, const Split& split, const TrainOptions& o, const EpochCallback& on_epoch) {
  return fit_any(data, split, nullptr, o, on_epoch, nullptr);
}

FitResult fit(const Dataset& data, Split&& split, const TrainOptions& o, const EpochCallback& on_epoch) {
  return fit_any(data, split, &split, o, on_epoch, nullptr);
}

FitResult fit_from(const Model& previous, const Dataset& data, const Split& split, const TrainOptions& o,
                   const EpochCallback& on_epoch) {
  return fit_any(data, split, nullptr, o, on_epoch, &previous);
}

FitResult fit_from(const Model& previous, const Dataset& data, Split&& split, const TrainOptions& o,
                   const EpochCallback& on_epoch) {
  return fit_any(data, split, &split, o, on_epoch, &previous);
}

}  // namespace mfrec
