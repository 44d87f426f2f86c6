#pragma once
// The whole fitting pipeline on a split data set: shape (or resume) the model, train it, make it
// self-contained (ids, titles, seen items) and evaluate it on the test part.
#include "mfrec/dataset.h"
#include "mfrec/metrics.h"
#include "mfrec/split.h"
#include "mfrec/train.h"

namespace mfrec {

struct FitResult {
  TrainResult train;
  ErrorMetrics val, test;
};

// `resume`: a model trained before on (a version of) this data; its rows are carried over by
// external id and training continues from them (Adam's moments start afresh).
Model fit(const Dataset& data, const Split& split, const TrainOptions& options, FitResult& result,
          const EpochCallback& on_epoch = {}, const Model* resume = nullptr);

}  // namespace mfrec
