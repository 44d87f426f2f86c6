// The engine registry: one row per engine. A new engine is its source file in engines/ (an Engine
// and its make_ function, declared in engine.h) plus a row here.
#include <algorithm>
#include <cmath>

#include "mfrec/engines.h"
#include "mfrec/error.h"
#include "mfrec/train.h"
#include "train/engine.h"

namespace mfrec {
namespace {

void check_mcmc(const TrainOptions& o) {
  if (o.burn_in >= o.epochs)
    throw UsageError("`burn_in` (" + std::to_string(o.burn_in) + ") must be less than `epochs` (" +
                     std::to_string(o.epochs) + "): mcmc averages the sweeps after the burn-in");
  if (!(o.noise_precision >= 0) || !std::isfinite(o.noise_precision)) throw UsageError("`noise_precision` must be >= 0");
}

void check_sgd(const TrainOptions& o) {
  if (o.schedule != "blocks" && o.schedule != "hogwild") throw UsageError("`schedule` must be blocks or hogwild");
}

void check_ials(const TrainOptions& o) {
  if (!(o.alpha >= 0) || !std::isfinite(o.alpha)) throw UsageError("`alpha` must be >= 0");
  if (!(o.unobserved_weight > 0) || !std::isfinite(o.unobserved_weight))
    throw UsageError("`unobserved_weight` must be positive");
  if (!(o.reg_exponent >= 0 && o.reg_exponent <= 2)) throw UsageError("`reg_exponent` must be between 0 and 2");
  if (!(o.recency >= 0) || !std::isfinite(o.recency)) throw UsageError("`recency` must be >= 0");
  if (o.solver != "cg" && o.solver != "cholesky") throw UsageError("`solver` must be cg or cholesky");
  if (o.cg_steps < 1 || o.cg_steps > 1000) throw UsageError("`cg_steps` must be between 1 and 1000");
}

void check_bpr(const TrainOptions& o) {
  if (o.sampling != "uniform" && o.sampling != "popularity") throw UsageError("`sampling` must be uniform or popularity");
}

void check_ease(const TrainOptions& o) {
  if (!(o.memory_budget_mb > 0) || !std::isfinite(o.memory_budget_mb)) throw UsageError("`memory_budget_mb` must be positive");
}

std::vector<EngineInfo>& table() {
  static std::vector<EngineInfo> rows = [] {
    std::vector<EngineInfo> r;
    const char* mse = "mean squared error of the predictions made during the epoch, before each update";
    // name, summary, factory, objective, loss, own options, checks, tune space, resumable, cuda,
    // automatic threads (0: every core), same model for any thread count, the kind it always trains,
    // whether one epoch is the whole solution.
    r.push_back({"adam", "the recipe: mini-batch Adam on the squared error (the default)", make_adam,
                 Objective::rating, mse, {}, nullptr, {2e-4f, 2e-2f, 1e-5f, 1e-2f, 100}, true, true,
                 // Two threads split the dimensions and wait for each other at every batch: faster
                 // than one on an idle 2-core machine (BENCHMARKS.md); more threads are untested.
                 2, false, std::nullopt});
    r.push_back({"sgd", "parallel SGD over a grid of rating blocks (FPSG/LIBMF), per-row AdaGrad", make_sgd,
                 Objective::rating, mse, {"schedule"}, check_sgd, {0.01f, 0.2f, 0.005f, 0.2f, 60}, true, true, 0,
                 false, std::nullopt, false, make_sgd_in_place});
    r.push_back({"als", "alternating least squares with biases (ALS-WR), exact per-row solves", make_als,
                 Objective::rating, "mean squared training error after the sweep", {}, nullptr,
                 {1, 1, 0.01f, 1.0f, 20}, true, false, 0, true, std::nullopt, false, make_als_in_place});
    r.push_back({"mcmc", "Bayesian MF by Gibbs sampling (BPMF), the posterior mean: the most accurate ratings",
                 make_mcmc, Objective::rating, "mean squared training error of the sweep's sample",
                 {"burn_in", "noise_precision"}, check_mcmc, {1, 1, 1, 1, 150, 64}, false, false, 0, true,
                 std::nullopt, false, make_mcmc_in_place});
    r.push_back({"ials", "implicit ALS (Hu et al. 2008; Rendle et al. 2022): top-N from which items users chose",
                 make_ials, Objective::ranking, "the objective (weighted squared loss and L2) after the users' half-sweep, per interaction",
                 {"alpha", "confidence", "unobserved_weight", "reg_exponent", "recency", "solver", "cg_steps"}, check_ials,
                 {1, 1, 1e-3f, 10.0f, 20}, true, false, 0, true, ModelKind::plain, false, make_ials_in_place});
    r.push_back({"bpr", "Bayesian personalized ranking (Rendle et al. 2009), Hogwild SGD on sampled pairs",
                 make_bpr, Objective::ranking, "mean BPR loss -log sigmoid(x_uij) over the epoch's samples",
                 {"sampling"}, check_bpr, {0.005f, 0.2f, 1e-5f, 1e-2f, 100}, true, false, 0, false,
                 ModelKind::plain});
    r.push_back({"ease", "EASE (Steck 2019): a closed-form item x item model; dense, items^2 memory",
                 make_ease, Objective::ranking, "none (closed form, one epoch): 0", {"memory_budget_mb"},
                 check_ease, {1, 1, 10.0f, 5000.0f, 1}, false, false, 0, true, ModelKind::plain, true});
    r.push_back({"popularity", "the most popular items for everyone: the baseline every table shows",
                 make_popularity, Objective::ranking, "none (counts, one epoch): 0", {}, nullptr, {1, 1, 1, 1, 1},
                 false, false, 0, true, ModelKind::plain, true});
    return r;
  }();
  return rows;
}

}  // namespace

const std::vector<EngineInfo>& engines() { return table(); }

const EngineInfo& engine_info(const std::string& name) {
  for (const EngineInfo& e : table())
    if (e.name == name) return e;
  throw UsageError("unknown optimizer '" + name + "' (expected " + engine_names(", ") + ")");
}

void register_engine(const EngineInfo& info) {
  auto& rows = table();
  auto at = std::find_if(rows.begin(), rows.end(), [&](const EngineInfo& e) { return e.name == info.name; });
  if (at != rows.end()) *at = info;
  else rows.push_back(info);
}

std::string engine_names(const std::string& separator) {
  std::string s;
  for (const EngineInfo& e : table()) s += (s.empty() ? "" : separator) + e.name;
  return s;
}

std::vector<std::string> optimizer_names() {
  std::vector<std::string> names;
  for (const EngineInfo& e : table()) names.push_back(e.name);
  return names;
}

}  // namespace mfrec
