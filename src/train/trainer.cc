// The epoch loop: run an epoch, validate, keep the best parameters, stop early or on divergence.
#include <chrono>
#include <cmath>
#include <limits>

#include "mfrec/error.h"
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
  void restore(Model& m) const { m.dim = dim, m.P = P, m.Q = Q, m.user_bias = user_bias, m.item_bias = item_bias; }
};

}  // namespace

TrainResult train(Model& model, const Ratings& train_part, const Ratings& val, const TrainOptions& o,
                  const EpochCallback& on_epoch) {
  o.validate();
  if (train_part.size() == 0) throw DataError("no training ratings: the split left the training part empty");
  auto engine = make_engine(model, train_part, o);
  TrainResult result;
  Params best(model);
  double best_val = std::numeric_limits<double>::infinity();
  uint32_t since_best = 0;
  const auto loop_start = std::chrono::steady_clock::now();
  for (uint32_t epoch = 1; epoch <= o.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const double mse = engine->run_epoch(epoch);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.train_seconds += seconds;
    EpochStats s;
    s.epoch = epoch;
    s.loss = mse;
    s.train_rmse = std::sqrt(mse);
    s.seconds = seconds;
    s.samples_per_second = double(train_part.size()) / std::max(seconds, 1e-9);
    s.val_rmse = val.size() ? engine->rmse(val) : std::nan("");
    result.history.push_back(s);
    if (on_epoch) on_epoch(s);
    if (!std::isfinite(mse) || (val.size() && !std::isfinite(s.val_rmse))) {
      result.diverged = true;
      break;
    }
    if (engine->burning_in()) continue;
    // Without a validation part every finished epoch counts as the best so far.
    const double score = val.size() ? s.val_rmse : -double(epoch);
    if (score < best_val) {
      best_val = score;
      result.best_epoch = epoch;
      since_best = 0;
      engine->sync();
      best = Params(model);
    } else if (o.patience && ++since_best >= o.patience) {
      result.early_stopped = true;
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
  return result;
}

}  // namespace mfrec
