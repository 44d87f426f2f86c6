#pragma once
// Training: options (the recipe's values are the defaults), the epoch loop with validation,
// early stopping and divergence detection. The optimizers live behind `Engine` (src/train/).
#include <concepts>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mfrec/model.h"
#include "mfrec/precision.h"
#include "mfrec/ranking.h"
#include "mfrec/ratings.h"

namespace mfrec {

struct TrainOptions {
  std::string optimizer = "adam";  // an engine of the registry (mfrec/engines.h)
  ModelKind kind = ModelKind::biased;
  uint32_t dim = 32;
  float lr = 0.001f;
  uint32_t batch_size = 512;
  uint32_t epochs = 100;
  float reg = 1e-4f;       // L2 on the factors
  float reg_bias = -1;     // L2 on the biases; < 0: same as reg
  float init_std = 0.05f;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-7f;
  uint32_t patience = 0;   // stop after this many epochs without a better validation RMSE (0: never)
  bool keep_best = true;   // keep the best validation epoch's parameters (false: the last epoch's)
  uint32_t threads = 0;    // 0: automatic (all cores; two at most for adam, see thread_count())
  uint64_t seed = 0;
  Precision precision = Precision::fp32;
  std::string device = "cpu";  // cpu | cuda
  uint32_t blocks = 0;         // sgd: grid side (0: automatic)
  uint32_t burn_in = 50;       // mcmc: sweeps (epochs) before the samples are averaged
  float noise_precision = 0;   // mcmc: precision of the rating noise (0: sampled every sweep)
  std::string schedule = "blocks";  // sgd: blocks (the FPSG grid) | hogwild
  // Implicit feedback (ials, bpr, ease): every rating is an interaction.
  float alpha = 1;                  // ials: an interaction's confidence is 1 + alpha * f(rating)
  Confidence confidence = Confidence::binary;  // ials: f = 1 | rating | log(1 + rating)
  float unobserved_weight = 1;      // ials: the weight of every pair without an interaction (w0)
  float reg_exponent = 0;           // ials: L2 of a row scaled by (its count + w0 * other side)^this
  float recency = 0;                // ials: half-life, in a user's interactions, of an interaction's
                                    // alpha term, counted back from the user's latest (0: off)
  std::string solver = "cg";        // ials: cg (conjugate gradient) | cholesky (exact)
  uint32_t cg_steps = 3;            // ials: CG steps per row and sweep
  std::string sampling = "uniform"; // bpr: negatives drawn uniform | popularity (by interaction count)
  double memory_budget_mb = 8192;   // ease: the most its dense item x item matrices may take

  float bias_reg() const { return reg_bias < 0 ? reg : reg_bias; }
  uint32_t thread_count() const;
  // With `threads` automatic (0), the count to train on given the training part's size and the
  // machine's load average: threads that wait for each other at every batch (Adam) are slower on a
  // busy machine or a tiny data set than one thread, so those get one; `why` says which. Otherwise
  // thread_count().
  uint32_t threads_for(size_t n_train, double load_average, std::string* why = nullptr) const;
  void validate() const;  // throws UsageError
  nlohmann::json to_json() const;
  // By the CLI's option names (model, keep, precision and confidence as their words); validated.
  // Throws UsageError naming an unknown option or a value of the wrong type.
  static TrainOptions from_json(const nlohmann::json& j);
};

struct EpochStats {
  uint32_t epoch = 0;        // 1-based
  double loss = 0;           // mean squared error on the training ratings during the epoch
  double train_rmse = 0;     // sqrt(loss): errors seen before each update, as Keras reports
  double val_rmse = 0;       // NaN when there is no validation part (or for ranking engines)
  double val_ndcg = 0;       // ranking engines: NDCG@10 on the validation part; else NaN
  double seconds = 0;
  double samples_per_second = 0;
};

struct TrainResult {
  std::vector<EpochStats> history;
  uint32_t best_epoch = 0;    // the epoch whose parameters the model holds (the last with keep_best off)
  double train_seconds = 0;   // the epochs alone (not loading, not evaluation after training)
  double loop_seconds = 0;    // the whole epoch loop: the epochs, validation after each, keeping the best
  bool diverged = false;      // the loss became NaN or infinite; the model holds the last good epoch
  bool early_stopped = false;
  bool stopped = false;       // the epoch callback asked to stop
};

// Called after every epoch. A callable that returns bool stops training when it returns false: the
// model then holds the best epoch so far, as after early stopping (TrainResult::stopped says so).
class EpochCallback {
 public:
  EpochCallback() = default;
  template <class F>
    requires std::invocable<F&, const EpochStats&>
  EpochCallback(F f) {  // NOLINT: implicit, so that any lambda converts
    if constexpr (std::is_same_v<std::invoke_result_t<F&, const EpochStats&>, bool>) fn_ = std::move(f);
    else fn_ = [f = std::move(f)](const EpochStats& s) mutable { f(s); return true; };
  }
  // Whether to go on.
  bool operator()(const EpochStats& s) const { return !fn_ || fn_(s); }
  explicit operator bool() const { return bool(fn_); }

 private:
  std::function<bool(const EpochStats&)> fn_;
};

// Trains `model` (prepared by prepare_model, or init()-ed, or resumed) on `train`, watching `val`:
// by RMSE for rating engines, by NDCG@10 under `val_protocol` for ranking engines. Leaves the
// engine's objective and fold-in prior in the model.
TrainResult train(Model& model, const Ratings& train, const Ratings& val, const TrainOptions& options,
                  const EpochCallback& on_epoch = {}, const RankingOptions& val_protocol = {});

// Names of the optimizers this build offers (the registry's), and whether the CUDA device can be used here.
std::vector<std::string> optimizer_names();
bool cuda_available(std::string* why = nullptr);

}  // namespace mfrec
