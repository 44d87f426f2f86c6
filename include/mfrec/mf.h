#pragma once
// The facade (as fastText's FastText over its parts): one object holding a model, doing what the
// CLI, the server and the Python package do with one. Fit it on a data set and its split (from a
// path: load_split; from arrays: DatasetBuilder), save and load it, predict many pairs at once,
// recommend for known users, new users and many users, list similar items and users, evaluate,
// export. Every query method is const and safe to call from many threads at once.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mfrec/fit.h"
#include "mfrec/metrics.h"
#include "mfrec/ranking.h"
#include "mfrec/recommend.h"

namespace mfrec {

// A model's figures on a test part: rating errors (NaN for a ranking model) and the ranking metrics.
struct Evaluation {
  ErrorMetrics error;
  RankingMetrics ranking;
  nlohmann::json to_json() const;
};

class MF {
 public:
  explicit MF(TrainOptions options = {});  // throws UsageError naming a bad option
  explicit MF(Model model);                // a trained model, e.g. load_model's
  MF(Model model, TrainOptions options);   // a model to continue training (fit with resume) under options
  static MF load(const std::string& path);  // throws DataError

  const TrainOptions& options() const { return options_; }
  bool fitted() const { return model_ != nullptr; }

  // Trains on split.train, validating on split.val (keep-best, patience), and evaluates on
  // split.test (either may be empty). With `resume`, continues from the model this MF holds.
  // Returns the result, also kept (result()).
  const FitResult& fit(const Dataset& data, const Split& split, const EpochCallback& on_epoch = {},
                       bool resume = false);
  // The same on a split handed over (fit.h): its training part comes back empty, the peak is lower.
  const FitResult& fit(const Dataset& data, Split&& split, const EpochCallback& on_epoch = {}, bool resume = false);
  // The result of the last fit (history, best epoch, validation and test figures).
  const FitResult& result() const { return result_; }

  // The methods below throw UsageError when nothing is fitted or loaded yet.
  const Model& model() const;
  // The model's free-form metadata (never used for scoring): what a front end knows of the run
  // (its split, its figures) is recorded here before save.
  nlohmann::json& meta();
  const Recommender& recommender() const;
  void save(const std::string& path) const;
  std::vector<std::string> export_to(const std::string& dir) const;

  // External id -> internal index; throws UnknownIdError naming the id.
  uint32_t user_index(std::string_view id) const;
  uint32_t item_index(std::string_view id) const;

  // Scores for pairs of internal indices (Model::npos: unknown, the documented fallback), shown
  // as ratings: clipped to the rating range for a rating model, as they are for a ranking one.
  std::vector<float> predict(std::span<const uint32_t> users, std::span<const uint32_t> items,
                             unsigned threads = 0) const;
  // A known user's top k: what the user rated in training left out unless include_seen, and the
  // items in `exclude` (any order) left out too.
  std::vector<Scored> recommend(uint32_t user, size_t k, bool include_seen = false,
                                std::span<const uint32_t> exclude = {}) const;
  // Many users at once (blocked scoring): result[x] is users[x]'s list.
  std::vector<std::vector<Scored>> recommend(std::span<const uint32_t> users, size_t k, bool include_seen = false,
                                             unsigned threads = 0) const;
  // Every user's top k: result[u] is user u's list.
  std::vector<std::vector<Scored>> recommend_all(size_t k, bool include_seen = false, unsigned threads = 0) const;
  // A new user from a few ratings (fold-in by the prior the engine left), the given items left out;
  // a rating outside the model's range is a UsageError.
  FoldedUser fold_in(std::span<const FoldInRating> ratings) const;
  std::vector<Scored> recommend(const FoldedUser& user, size_t k) const;
  std::vector<Scored> recommend_new(std::span<const FoldInRating> ratings, size_t k) const;
  // Items with fewer than min_count training ratings are left out (lowered for small catalogues:
  // Recommender::min_count_for).
  std::vector<Scored> similar_items(uint32_t item, size_t k, uint32_t min_count = kDefaultMinCount) const;
  std::vector<Scored> similar_users(uint32_t user, size_t k) const;

  // `test` in `data`'s ids (a split's test part), re-indexed into the model's. The ranking protocol
  // defaults to the one the split kind calls for (ranking_protocol).
  Evaluation evaluate(const Dataset& data, const Ratings& test, const RankingOptions& ranking) const;
  Evaluation evaluate(const Dataset& data, const Split& split, size_t k = 10) const;

 private:
  void set_model(Model model);
  const FitResult& keep(FitResult r);  // the model to model_, the rest to result_
  TrainOptions options_;
  std::shared_ptr<Model> model_;  // mutable only through meta()
  std::shared_ptr<const Recommender> rec_;
  FitResult result_;
};

// Every fold of a k-fold split in turn (a fresh model each), as Surprise's cross_validate.
struct CrossValidation {
  std::vector<Evaluation> folds;
  double rmse_mean = 0, rmse_std = 0, mae_mean = 0, mae_std = 0;  // NaN for ranking engines
  double ndcg_mean = 0, ndcg_std = 0;                             // full ranking at k
  nlohmann::json to_json() const;
};
CrossValidation cross_validate(const TrainOptions& options, const Dataset& data, int folds = 5, uint64_t seed = 0,
                               size_t k = 10, const EpochCallback& on_epoch = {});

}  // namespace mfrec
