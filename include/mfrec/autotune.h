#pragma once
// Hyper-parameter search on the validation part only (the test part is never looked at), as
// fastText's autotune: random trials first, then perturbations of the best so far with a shrinking
// step, until the time budget is spent.
#include <functional>
#include <string>
#include <vector>

#include "mfrec/fit.h"

namespace mfrec {

struct TuneOptions {
  double budget_seconds = 60;
  size_t max_trials = 0;  // 0: as many as the budget allows
  std::vector<std::string> optimizers{"adam", "sgd", "als"};  // which engines to search
  uint32_t max_dim = 256;
  uint32_t patience = 3;  // early stopping inside each trial
  uint64_t seed = 0;
};

struct Trial {
  TrainOptions options;  // epochs = the best validation epoch
  double val_rmse = 0;   // ranking engines: minus val_ndcg, so that lower is better for every engine
  double seconds = 0;
  double val_ndcg = 0;   // ranking engines: NDCG@10 on the validation part; NaN for rating engines
};

// Returns every trial in order; the best has the lowest val_rmse. `base` supplies what is not
// searched (threads, precision, model kind, seed).
std::vector<Trial> autotune(const Dataset& data, const Split& split, const TrainOptions& base,
                            const TuneOptions& options, const std::function<void(const Trial&, size_t)>& on_trial = {});

}  // namespace mfrec
