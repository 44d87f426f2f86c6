// The epoch loop: run an epoch, validate, keep the best parameters, stop early or on divergence.
// Rating engines are validated by RMSE, ranking engines by NDCG@10 (their registry rows say which).
#include <chrono>
#include <cmath>
#include <limits>

#include "mfrec/engines.h"
#include "mfrec/error.h"
#include "mfrec/ranking.h"
#include "mfrec/train.h"
#include "train/engine.h"

namespace mfrec {
namespace {

// The dim too: an engine may write a model of another width than --dim (mcmc).
struct Params {
  uint32_t dim;
  FactorMatrix P, Q;
  std::vector<float> user_bias, item_bias;
  explicit Params(const Model& m) : dim(m.dim), P(m.P), Q(m.Q), user_bias(m.user_bias), item_bias(m.item_bias) {}
  // Copies into the storage already held (no second copy of the tables, even for a moment).
  void take(const Model& m) { dim = m.dim, P = m.P, Q = m.Q, user_bias = m.user_bias, item_bias = m.item_bias; }
  void restore(Model& m) const { m.dim = dim, m.P = P, m.Q = Q, m.user_bias = user_bias, m.item_bias = item_bias; }
};

// A ranking engine's validation: NDCG@10 of the current parameters, what each user rated in
// training left out (model.seen), by the protocol the split calls for.
double validation_ndcg(const Model& model, const Ratings& val, const RankingOptions& protocol, uint32_t threads) {
  RankingOptions o = protocol;
  o.k = 10;
  o.threads = threads;
  const Recommender rec(std::shared_ptr<const Model>(&model, [](const Model*) {}));  // no copy
  return evaluate_ranking(rec, val, o).ndcg;
}

TrainResult train_any(Model& model, const Ratings& train_part, Ratings* lent, const Ratings& val, const TrainOptions& o,
                      const EpochCallback& on_epoch, const RankingOptions& val_protocol) {
  o.validate();
  if (train_part.size() == 0) throw DataError("no training ratings: the split left the training part empty");
  const EngineInfo& info = engine_info(o.optimizer);
  const bool ranking = info.objective == Objective::ranking;
  if (info.kind && model.kind != *info.kind) {
    model.kind = *info.kind;
    model.set_user_means(train_part);
  }
  // Validation leaves out what each user rated in training; a model prepared by prepare_model has it.
  if (ranking && model.seen.offsets.size() != model.n_users() + 1) model.seen = SeenItems::from(train_part, model.n_users());
  model.objective = info.objective;
  const size_t n_train = train_part.size();  // a lent part may be empty while the engine holds its columns
  auto engine = make_engine(model, train_part, o, lent);
  model.fold_in = engine->prior(o);  // validation may fold users in (held-out users); final below
  TrainResult result;
  Params best(model);
  double best_val = std::numeric_limits<double>::infinity();
  uint32_t since_best = 0;
  const auto loop_start = std::chrono::steady_clock::now();
  const uint32_t epochs = info.closed_form ? 1 : o.epochs;
  for (uint32_t epoch = 1; epoch <= epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const double loss = engine->run_epoch(epoch);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.train_seconds += seconds;
    EpochStats s;
    s.epoch = epoch;
    s.loss = loss;
    s.train_rmse = ranking ? std::nan("") : std::sqrt(loss);
    s.seconds = seconds;
    s.samples_per_second = double(n_train) / std::max(seconds, 1e-9);
    s.val_rmse = std::nan("");
    s.val_ndcg = std::nan("");
    if (val.size() && ranking) {
      engine->sync();
      s.val_ndcg = validation_ndcg(model, val, val_protocol, o.thread_count());
    } else if (val.size()) {
      s.val_rmse = engine->rmse(val);
    }
    result.history.push_back(s);
    const bool go_on = on_epoch(s);
    const double val_metric = ranking ? s.val_ndcg : s.val_rmse;
    if (!std::isfinite(loss) || (val.size() && !std::isfinite(val_metric))) {
      result.diverged = true;
      break;
    }
    if (engine->burning_in()) {
      if (!go_on) {
        result.stopped = true;
        break;
      }
      continue;
    }
    // Lower is better: RMSE, or minus NDCG. Without a validation part every epoch is the best so far.
    const double score = !val.size() ? -double(epoch) : ranking ? -s.val_ndcg : s.val_rmse;
    if (score < best_val) {
      best_val = score;
      result.best_epoch = epoch;
      since_best = 0;
      engine->sync();
      best.take(model);
    } else if (o.patience && ++since_best >= o.patience) {
      result.early_stopped = true;
      break;
    }
    if (!go_on) {
      result.stopped = true;
      break;
    }
  }
  engine->sync();
  result.loop_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - loop_start).count();
  if (o.keep_best || result.diverged) {
    best.restore(model);
  } else {
    result.best_epoch = uint32_t(result.history.size());  // the last epoch's parameters, as Keras keeps
  }
  model.fold_in = engine->prior(o);
  return result;
}

}  // namespace

TrainResult train(Model& model, const Ratings& train_part, const Ratings& val, const TrainOptions& o,
                  const EpochCallback& on_epoch, const RankingOptions& val_protocol) {
  return train_any(model, train_part, nullptr, val, o, on_epoch, val_protocol);
}

TrainResult train_in_place(Model& model, Ratings& train_part, const Ratings& val, const TrainOptions& o,
                           const EpochCallback& on_epoch, const RankingOptions& val_protocol) {
  return train_any(model, train_part, &train_part, val, o, on_epoch, val_protocol);
}

}  // namespace mfrec
