#pragma once
// Train / validation / test splits. All are deterministic for a given seed.
#include <cstdint>
#include <string>

#include "mfrec/dataset.h"
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
// halving the peak memory of a split; without `keep_time` the parts get no timestamps (dropped
// before the copy, not after it).
Split make_split(const Ratings& all, const SplitOptions& options);
Split make_split(Ratings&& all, const SplitOptions& options, bool keep_time = true);
// Keeps the given test part and holds validation out of `train` (the `files` split).
Split split_given(const Ratings& train, const Ratings& test, const SplitOptions& options);
// The same, taking the parts over: no copy without a validation part, else one column at a time.
Split split_given(Ratings&& train, Ratings&& test, const SplitOptions& options);

// A data set and its split, read in one step (what `train`, `eval` and the facade do).
struct SplitData {
  Dataset data;  // ids, titles, rating range, fingerprint; its ratings are left empty (they are in split)
  Split split;
};
// Reads `read` and splits it; for SplitKind::files, reads `train_file` and `test_file` (each taken as
// given, else relative to the `read.path` folder) into one id space. The parts keep timestamps only
// with keep_time (an engine that reads them: ials with recency). Throws DataError or UsageError.
SplitData load_split(const ReadOptions& read, const SplitOptions& options, const std::string& train_file = {},
                     const std::string& test_file = {}, bool keep_time = false);
// Splits a data set already in memory (any kind but `files`), the same way.
SplitData split_dataset(Dataset data, const SplitOptions& options, bool keep_time = false);

}  // namespace mfrec
