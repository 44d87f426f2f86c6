#include "mfrec/autotune.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "common/random.h"
#include "mfrec/engines.h"
#include "mfrec/error.h"

namespace mfrec {
namespace {

const uint32_t kDims[] = {8, 16, 32, 64, 128, 256, 512};
// mcmc's one knob besides dim: the precision of the rating noise (MovieLens' best lies in this
// range, BENCHMARKS.md).
constexpr float kNoiseLo = 1.0f, kNoiseHi = 3.0f;
constexpr uint32_t kMcmcBurnIn = 30;

const TuneSpace& space_of(const std::string& optimizer) { return engine_info(optimizer).space; }

uint32_t max_dim_of(const TuneOptions& t, const std::string& optimizer) {
  return std::min(t.max_dim, space_of(optimizer).max_dim);
}

float log_uniform(Random& rng, float lo, float hi) {
  return float(std::exp(std::log(double(lo)) + rng.uniform() * (std::log(double(hi)) - std::log(double(lo)))));
}

TrainOptions random_trial(const TrainOptions& base, const TuneOptions& t, Random& rng) {
  TrainOptions o = base;
  o.optimizer = t.optimizers[rng.below(t.optimizers.size())];
  const TuneSpace& s = space_of(o.optimizer);
  const size_t n_dims =
      size_t(std::upper_bound(std::begin(kDims), std::end(kDims), max_dim_of(t, o.optimizer)) - std::begin(kDims));
  o.dim = kDims[rng.below(std::max<size_t>(n_dims, 1))];
  // lo == hi: not searched (the draw is made all the same, so that the trials stay as they were).
  const float lr = log_uniform(rng, s.lr_lo, s.lr_hi), reg = log_uniform(rng, s.reg_lo, s.reg_hi);
  if (s.lr_lo != s.lr_hi) o.lr = lr;
  if (s.reg_lo != s.reg_hi) o.reg = reg;
  o.reg_bias = -1;
  o.epochs = s.max_epochs;
  o.patience = t.patience;
  if (o.optimizer == "mcmc") {
    o.noise_precision = log_uniform(rng, kNoiseLo, kNoiseHi);
    o.burn_in = kMcmcBurnIn;
  }
  return o;
}

// A step from `best` whose size shrinks as the budget is spent (scale 1 -> 0.1).
TrainOptions perturb(const Trial& best, const TuneOptions& t, Random& rng, double scale) {
  TrainOptions o = best.options;
  const TuneSpace& s = space_of(o.optimizer);
  auto jitter = [&](float v, float lo, float hi) {
    const double f = std::exp((rng.uniform() * 2 - 1) * scale * 1.5);
    return std::clamp(float(v * f), lo * 0.5f, hi * 2.0f);
  };
  const float lr = jitter(o.lr, s.lr_lo, s.lr_hi), reg = jitter(o.reg, s.reg_lo, s.reg_hi);
  if (s.lr_lo != s.lr_hi) o.lr = lr;  // as above
  if (s.reg_lo != s.reg_hi) o.reg = reg;
  if (rng.uniform() < 0.4 * scale + 0.1) {
    auto at = std::find(std::begin(kDims), std::end(kDims), o.dim);
    const int step = rng.below(2) ? 1 : -1;
    const ptrdiff_t k = std::clamp<ptrdiff_t>((at - std::begin(kDims)) + step, 0, std::size(kDims) - 1);
    if (kDims[k] <= max_dim_of(t, o.optimizer)) o.dim = kDims[k];
  }
  if (o.optimizer == "mcmc") {
    o.noise_precision = jitter(o.noise_precision, kNoiseLo, kNoiseHi);
    o.burn_in = kMcmcBurnIn;
  }
  o.epochs = space_of(o.optimizer).max_epochs;
  o.patience = t.patience;
  return o;
}

}  // namespace

std::vector<Trial> autotune(const Dataset& data, const Split& split, const TrainOptions& base, const TuneOptions& t,
                            const std::function<void(const Trial&, size_t)>& on_trial) {
  if (!(t.budget_seconds > 0)) throw UsageError("`budget` must be positive");
  if (t.optimizers.empty()) throw UsageError("no optimizer to tune");
  if (t.max_dim < kDims[0])
    throw UsageError(fmt::format("`max_dim` {} is below the smallest dim tune tries ({})", t.max_dim, kDims[0]));
  if (split.val.size() == 0) throw UsageError("tuning needs a validation part (`val_ratio` > 0)");
  for (const auto& name : t.optimizers) {
    TrainOptions probe = base;
    probe.optimizer = name;
    probe.validate();
    if (engine_info(name).objective != engine_info(t.optimizers.front()).objective)
      throw UsageError("tune compares engines by one validation metric: tune rating engines (RMSE) and ranking "
                       "engines (NDCG@10) apart, not " + t.optimizers.front() + " with " + name);
  }
  Random rng(t.seed ^ 0x7e57ull);
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  std::vector<Trial> trials;
  size_t best = 0;
  double slowest = 0;
  // Stop when the next trial would likely overrun the budget.
  while (trials.empty() || (elapsed() + slowest * 0.8 < t.budget_seconds && (!t.max_trials || trials.size() < t.max_trials))) {
    const double spent = elapsed() / t.budget_seconds;
    const bool explore = trials.size() < 6 || rng.uniform() < 0.3 * (1 - spent);
    TrainOptions o = explore ? random_trial(base, t, rng) : perturb(trials[best], t, rng, 1.0 - 0.9 * spent);
    const auto t0 = std::chrono::steady_clock::now();
    FitResult r = fit(data, split, o);
    const bool ranking = engine_info(o.optimizer).objective == Objective::ranking;
    Trial trial{o, r.train.history.empty() ? INFINITY : r.val.rmse,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                ranking ? r.val_ranking.ndcg : std::nan("")};
    if (ranking) trial.val_rmse = -trial.val_ndcg;  // lower is better, as for RMSE
    trial.options.epochs = std::max<uint32_t>(r.train.best_epoch, 1);
    trial.options.patience = 0;
    if (!std::isfinite(trial.val_rmse) || r.train.diverged) trial.val_rmse = INFINITY;
    slowest = std::max(slowest, trial.seconds);
    trials.push_back(trial);
    if (trial.val_rmse < trials[best].val_rmse) best = trials.size() - 1;
    if (on_trial) on_trial(trials.back(), best);
  }
  return trials;
}

}  // namespace mfrec
