#pragma once
// Train / validation / test splits. All are deterministic for a given seed.
#include <cstdint>
#include <string>

#include "mfrec/ratings.h"

namespace mfrec {

// loo: each user's latest rating is the test part (He et al. 2017); users: whole users held out.
enum class SplitKind { temporal, fileorder, random, files, kfold, loo, users };
SplitKind parse_split(const std::string& name);  // throws UsageError
const char* split_name(SplitKind kind);

struct SplitOptions {
  SplitKind kind = SplitKind::temporal;
  double test_ratio = 0.2;  // temporal, fileorder: per user; random: overall
  double val_ratio = 0.1;   // held out from train, at random
  bool val_temporal = false;  // instead: each user's latest val_ratio of train, as the temporal test part
  uint64_t seed = 0;
  int folds = 5;  // kfold
  int fold = -1;  // kfold: which fold is the test part (must be set: 0 .. folds-1)
};

struct Split {
  Ratings train, val, test;
  SplitKind kind = SplitKind::temporal;  // how it was made: says which ranking protocol fits it
};

// Splits `all` (any kind but `files`). The rvalue form frees `all` column by column as it copies,
// halving the peak memory of a split.
Split make_split(const Ratings& all, const SplitOptions& options);
Split make_split(Ratings&& all, const SplitOptions& options);
// Keeps the given test part and holds validation out of `train` (the `files` split).
Split split_given(const Ratings& train, const Ratings& test, const SplitOptions& options);

}  // namespace mfrec
