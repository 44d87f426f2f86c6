#pragma once
// The whole fitting pipeline on a split data set: shape (or resume) the model, train it, make it
// self-contained (ids, titles, seen items) and evaluate it on the test part.
#include "mfrec/dataset.h"
#include "mfrec/metrics.h"
#include "mfrec/ranking.h"
#include "mfrec/split.h"
#include "mfrec/train.h"

namespace mfrec {

struct FitResult {
  Model model;  // complete (finalize_model): ready to save, evaluate and recommend from
  TrainResult train;
  ErrorMetrics val, test;
  // Ranking engines: the split's protocol (ranking_protocol) at k = 10; empty (k = 0) otherwise.
  RankingMetrics val_ranking, test_ranking;
};

// The model's lifecycle, whoever trains it. prepare_model shapes a model for training on `train`:
// the engine's kind, the data's ids, titles and rating range, initial factors, user means, and (for
// ranking engines, whose validation needs it) what each user rated in training. After train(),
// finalize_model makes it complete: rows that never occur in training zeroed, and what each user
// rated in training or validation, which is never recommended back.
Model prepare_model(const Dataset& data, const Ratings& train, const TrainOptions& options);
void finalize_model(Model& model, const Split& split);

// The ranking protocol a split calls for: loo -> sampled (1 vs 100), users -> held-out users,
// every other split -> full ranking.
RankingOptions ranking_protocol(SplitKind kind, uint64_t seed = 0);

FitResult fit(const Dataset& data, const Split& split, const TrainOptions& options, const EpochCallback& on_epoch = {});
// Training continued from `previous`, a model trained before on (a version of) this data: its rows
// are carried over by external id (Adam's moments start afresh). Throws UsageError for an engine
// that cannot resume or another dim or kind.
FitResult fit_from(const Model& previous, const Dataset& data, const Split& split, const TrainOptions& options,
                   const EpochCallback& on_epoch = {});
// The same on a split handed over, for a lower peak memory: the training part may be reordered while
// it trains (sgd builds its block grid in the part's own columns rather than beside a copy) and is
// freed as the seen items are made from it (split.train comes back empty; val and test are kept).
FitResult fit(const Dataset& data, Split&& split, const TrainOptions& options, const EpochCallback& on_epoch = {});
FitResult fit_from(const Model& previous, const Dataset& data, Split&& split, const TrainOptions& options,
                   const EpochCallback& on_epoch = {});

}  // namespace mfrec
