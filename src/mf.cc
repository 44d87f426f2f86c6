#include "mfrec/mf.h"

#include <algorithm>
#include <cmath>

#include <omp.h>

#include <fmt/format.h>

#include "mfrec/checkpoint.h"
#include "mfrec/error.h"
#include "mfrec/export.h"

namespace mfrec {

nlohmann::json Evaluation::to_json() const {
  return {{"rmse", error.rmse}, {"mae", error.mae}, {"count", error.count}, {"cold", error.cold},
          {"ranking", ranking.to_json()}};
}

MF::MF(TrainOptions options) : options_(std::move(options)) {
  options_.validate();
}

MF::MF(Model model) {
  set_model(std::move(model));
}

MF::MF(Model model, TrainOptions options) : options_(std::move(options)) {
  options_.validate();
  set_model(std::move(model));
}

MF MF::load(const std::string& path) {
  return MF(load_model(path));
}

void MF::set_model(Model model) {
  model.check();
  model_ = std::make_shared<Model>(std::move(model));
  rec_ = std::make_shared<const Recommender>(model_);
}

const FitResult& MF::fit(const Dataset& data, const Split& split, const EpochCallback& on_epoch, bool resume) {
  if (resume && !model_) throw UsageError("`resume`: there is no model to continue from yet");
  return keep(resume ? fit_from(*model_, data, split, options_, on_epoch) : mfrec::fit(data, split, options_, on_epoch));
}

const FitResult& MF::fit(const Dataset& data, Split&& split, const EpochCallback& on_epoch, bool resume) {
  if (resume && !model_) throw UsageError("`resume`: there is no model to continue from yet");
  return keep(resume ? fit_from(*model_, data, std::move(split), options_, on_epoch)
                     : mfrec::fit(data, std::move(split), options_, on_epoch));
}

const FitResult& MF::keep(FitResult r) {
  set_model(std::move(r.model));
  r.model = Model{};  // held once, by model_
  result_ = std::move(r);
  return result_;
}

const Model& MF::model() const {
  if (!model_) throw UsageError("the model is not fitted yet: call fit() first, or load one");
  return *model_;
}

nlohmann::json& MF::meta() {
  model();
  return model_->meta;
}

const Recommender& MF::recommender() const {
  model();
  return *rec_;
}

void MF::save(const std::string& path) const {
  save_model(model(), path);
}

std::vector<std::string> MF::export_to(const std::string& dir) const {
  return export_model(model(), dir);
}

uint32_t MF::user_index(std::string_view id) const {
  if (const auto u = model().users.find(id)) return *u;
  throw UnknownIdError(fmt::format("unknown user id \"{}\": not in the model's training data", id), std::string(id));
}

uint32_t MF::item_index(std::string_view id) const {
  if (const auto i = model().items.find(id)) return *i;
  throw UnknownIdError(fmt::format("unknown item id \"{}\": not in the model's catalogue", id), std::string(id));
}

std::vector<float> MF::predict(std::span<const uint32_t> users, std::span<const uint32_t> items, unsigned threads) const {
  const Model& m = model();
  if (users.size() != items.size())
    throw UsageError(fmt::format("predict: {} users but {} items; give one of each per pair", users.size(), items.size()));
  for (size_t k = 0; k < users.size(); ++k)
    if ((users[k] != Model::npos && users[k] >= m.n_users()) || (items[k] != Model::npos && items[k] >= m.n_items()))
      throw UsageError(fmt::format("predict: pair {} has an index out of range", k));
  std::vector<float> out(users.size());
  const int n = int(users.size());
  const int t = threads ? int(threads) : 0;
#pragma omp parallel for schedule(static) num_threads(t ? t : omp_get_max_threads()) if (n > 65536)
  for (int k = 0; k < n; ++k) out[k] = m.predict_any(users[k], items[k]);
  return out;
}

std::vector<Scored> MF::recommend(uint32_t user, size_t k, bool include_seen, std::span<const uint32_t> exclude) const {
  const Recommender& rec = recommender();
  if (user >= rec.n_users()) throw UsageError(fmt::format("user index {} out of range ({} users)", user, rec.n_users()));
  if (exclude.empty()) return rec.top_k(user, k, include_seen);
  std::vector<uint32_t> skip(exclude.begin(), exclude.end());
  const Model& m = *model_;
  if (!include_seen && user + 1 < m.seen.offsets.size()) skip.insert(skip.end(), m.seen.begin(user), m.seen.end(user));
  std::sort(skip.begin(), skip.end());
  skip.erase(std::unique(skip.begin(), skip.end()), skip.end());
  std::vector<float> scores(rec.n_items());
  rec.score_user(user, scores.data());
  return select_top_k(scores.data(), scores.size(), k, skip);
}

std::vector<std::vector<Scored>> MF::recommend(std::span<const uint32_t> users, size_t k, bool include_seen,
                                               unsigned threads) const {
  const Recommender& rec = recommender();
  for (uint32_t u : users)
    if (u >= rec.n_users()) throw UsageError(fmt::format("user index {} out of range ({} users)", u, rec.n_users()));
  return rec.recommend_users(users, k, include_seen, threads);
}

std::vector<std::vector<Scored>> MF::recommend_all(size_t k, bool include_seen, unsigned threads) const {
  return recommender().recommend_all(k, include_seen, threads);
}

FoldedUser MF::fold_in(std::span<const FoldInRating> ratings) const {
  const Recommender& rec = recommender();
  const Model& m = *model_;
  for (const FoldInRating& r : ratings)
    if (m.objective == Objective::rating && !(r.rating >= m.rating_min && r.rating <= m.rating_max))
      throw UsageError(fmt::format("a new user's rating {} is outside the model's rating range {}..{}", r.rating,
                                   m.rating_min, m.rating_max));
  return rec.fold_in(ratings);
}

std::vector<Scored> MF::recommend(const FoldedUser& user, size_t k) const {
  return recommender().top_k(user, k);
}

std::vector<Scored> MF::recommend_new(std::span<const FoldInRating> ratings, size_t k) const {
  return recommend(fold_in(ratings), k);
}

std::vector<Scored> MF::similar_items(uint32_t item, size_t k, uint32_t min_count) const {
  const Recommender& rec = recommender();
  if (item >= rec.n_items()) throw UsageError(fmt::format("item index {} out of range ({} items)", item, rec.n_items()));
  return rec.similar_items(item, k, min_count);
}

std::vector<Scored> MF::similar_users(uint32_t user, size_t k) const {
  const Recommender& rec = recommender();
  if (user >= rec.n_users()) throw UsageError(fmt::format("user index {} out of range ({} users)", user, rec.n_users()));
  return rec.similar_users(user, k);
}

Evaluation MF::evaluate(const Dataset& data, const Ratings& test, const RankingOptions& ranking) const {
  const Model& m = model();
  ranking.validate();
  const Ratings t = to_model_ids(m, test, data.users, data.items);
  Evaluation e;
  if (m.objective == Objective::rating) e.error = mfrec::evaluate(m, t);
  else e.error = ErrorMetrics{std::nan(""), std::nan(""), t.size(), 0};
  e.ranking = evaluate_ranking(*rec_, t, ranking);
  return e;
}

Evaluation MF::evaluate(const Dataset& data, const Split& split, size_t k) const {
  RankingOptions o = ranking_protocol(split.kind, options_.seed);
  o.k = k;
  return evaluate(data, split.test, o);
}

nlohmann::json CrossValidation::to_json() const {
  nlohmann::json f = nlohmann::json::array();
  for (const Evaluation& e : folds) f.push_back(e.to_json());
  return {{"folds", f}, {"rmse_mean", rmse_mean}, {"rmse_std", rmse_std}, {"mae_mean", mae_mean},
          {"mae_std", mae_std}, {"ndcg_mean", ndcg_mean}, {"ndcg_std", ndcg_std}};
}

CrossValidation cross_validate(const TrainOptions& options, const Dataset& data, int folds, uint64_t seed, size_t k,
                               const EpochCallback& on_epoch) {
  if (folds < 2) throw UsageError("`folds` must be at least 2");
  if (data.ratings.size() < size_t(folds)) throw DataError(fmt::format("{}: fewer ratings than folds", data.source.ratings_file));
  CrossValidation cv;
  std::vector<double> rmse, mae, ndcg;
  for (int f = 0; f < folds; ++f) {
    SplitOptions so;
    so.kind = SplitKind::kfold;
    so.folds = folds;
    so.fold = f;
    so.seed = seed;
    const Split split = make_split(data.ratings, so);
    MF mf(options);
    mf.fit(data, split, on_epoch);
    cv.folds.push_back(mf.evaluate(data, split, k));
    rmse.push_back(cv.folds.back().error.rmse);
    mae.push_back(cv.folds.back().error.mae);
    ndcg.push_back(cv.folds.back().ranking.ndcg);
  }
  auto mean_std = [](const std::vector<double>& v, double& mean, double& sd) {
    mean = 0, sd = 0;
    for (double x : v) mean += x / double(v.size());
    for (double x : v) sd += (x - mean) * (x - mean) / double(v.size() - 1);
    sd = std::sqrt(sd);
  };
  mean_std(rmse, cv.rmse_mean, cv.rmse_std);
  mean_std(mae, cv.mae_mean, cv.mae_std);
  mean_std(ndcg, cv.ndcg_mean, cv.ndcg_std);
  return cv;
}

}  // namespace mfrec
