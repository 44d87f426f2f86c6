#include "mfrec/model.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/random.h"
#include "mfrec/error.h"
#include "model/kernels.h"

namespace mfrec {

const char* model_kind_name(ModelKind kind) { return kind == ModelKind::plain ? "plain" : "biased"; }

ModelKind parse_model_kind(const std::string& name) {
  if (name == "biased") return ModelKind::biased;
  if (name == "plain") return ModelKind::plain;
  throw UsageError("model must be biased or plain, not '" + name + "'");
}

const char* objective_name(Objective o) { return o == Objective::ranking ? "ranking" : "rating"; }

Confidence parse_confidence(const std::string& name) {
  if (name == "binary") return Confidence::binary;
  if (name == "linear") return Confidence::linear;
  if (name == "log") return Confidence::log;
  throw UsageError("confidence must be binary, linear or log, not '" + name + "'");
}

const char* confidence_name(Confidence c) {
  return c == Confidence::linear ? "linear" : c == Confidence::log ? "log" : "binary";
}

float confidence_of(Confidence c, float alpha, float r, float decay) {
  const float f = c == Confidence::linear ? r : c == Confidence::log ? std::log1p(std::max(r, 0.0f)) : 1.0f;
  return 1.0f + alpha * f * decay;
}

float recency_decay(size_t later, float half_life) {
  return half_life > 0 ? float(std::exp2(-double(later) / double(half_life))) : 1.0f;
}

namespace {
const char* prior_kind_name(FoldInPrior::Kind k) {
  switch (k) {
    case FoldInPrior::Kind::gaussian: return "gaussian";
    case FoldInPrior::Kind::implicit: return "implicit";
    case FoldInPrior::Kind::items: return "items";
    case FoldInPrior::Kind::mean_user: return "mean_user";
    default: return "ridge";
  }
}
}  // namespace

std::string Model::inconsistency() const {
  const size_t nu = n_users(), ni = n_items();
  if (dim == 0) return "dim is 0";
  if (user_mean.size() != nu) return fmt::format("{} user means for {} users", user_mean.size(), nu);
  if (users.size() != nu || items.size() != ni)
    return fmt::format("{} user ids and {} item ids for {} users and {} items", users.size(), items.size(), nu, ni);
  if (P.rows() != nu || Q.rows() != ni || P.cols() != dim || Q.cols() != dim)
    return fmt::format("factor table size: {} x {} and {} x {} for {} users, {} items, dim {}", P.rows(), P.cols(),
                       Q.rows(), Q.cols(), nu, ni, dim);
  if (P.precision() != Q.precision()) return "the factor tables differ in precision";
  for (const auto* v : {&catalog.titles, &catalog.genres})
    if (!v->empty() && v->size() != ni) return fmt::format("{} titles or genres for {} items", v->size(), ni);
  if (!(rating_min <= rating_max)) return fmt::format("the rating range {}..{} is empty", rating_min, rating_max);
  // Offsets rise from 0 to the item count; each user's items are sorted indices of real items.
  const SeenItems& s = seen;
  if (s.offsets.size() != nu + 1) return fmt::format("seen items: {} offsets for {} users", s.offsets.size(), nu);
  if (s.offsets.front() != 0) return "seen items: the first offset is not 0";
  for (size_t u = 0; u < nu; ++u) {
    if (s.offsets[u + 1] < s.offsets[u] || s.offsets[u + 1] > s.items.size())
      return fmt::format("seen items: user {}'s offset {} is out of range", u, s.offsets[u + 1]);
    for (uint64_t k = s.offsets[u]; k < s.offsets[u + 1]; ++k) {
      if (s.items[k] >= ni) return fmt::format("seen items: user {} has item {}, of {} items", u, s.items[k], ni);
      if (k > s.offsets[u] && s.items[k] < s.items[k - 1])
        return fmt::format("seen items: user {}'s items are not sorted", u);
    }
  }
  return "";
}

void Model::check() const {
  if (const std::string why = inconsistency(); !why.empty()) throw DataError("the model is inconsistent (" + why + ")");
}

nlohmann::json FoldInPrior::to_json() const {
  nlohmann::json j = {{"kind", prior_kind_name(kind)}};
  if (kind == Kind::ridge) j["reg_per_rating"] = reg_per_rating;
  if (kind == Kind::gaussian) j["noise_variance"] = noise_variance;
  if (kind == Kind::implicit)
    j.update({{"alpha", alpha}, {"unobserved_weight", unobserved_weight}, {"reg", reg},
              {"reg_exponent", reg_exponent}, {"recency", recency}, {"confidence", confidence_name(confidence)}});
  return j;
}

FoldInPrior FoldInPrior::from_json(const nlohmann::json& j) {
  FoldInPrior p;
  const std::string kind = j.at("kind").get<std::string>();
  for (Kind k : {Kind::ridge, Kind::gaussian, Kind::implicit, Kind::items, Kind::mean_user})
    if (kind == prior_kind_name(k)) p.kind = k;
  if (kind != prior_kind_name(p.kind)) throw UsageError("unknown fold-in prior '" + kind + "'");
  p.reg_per_rating = j.value("reg_per_rating", 0.0f);
  p.noise_variance = j.value("noise_variance", 1.0);
  p.alpha = j.value("alpha", 1.0f);
  p.unobserved_weight = j.value("unobserved_weight", 1.0f);
  p.reg = j.value("reg", 0.0f);
  p.reg_exponent = j.value("reg_exponent", 0.0f);
  p.recency = j.value("recency", 0.0f);
  p.confidence = parse_confidence(j.value("confidence", std::string("binary")));
  return p;
}

bool SeenItems::contains(uint32_t u, uint32_t i) const {
  return u + 1 < offsets.size() && std::binary_search(begin(u), end(u), i);
}

namespace {

template <typename T>
void release(std::vector<T>& v) { std::vector<T>().swap(v); }

// train and more as SeenItems; with `consume` (== &train), train's columns are freed as it goes.
SeenItems seen_of(const Ratings& train, const Ratings& more, size_t n_users, Ratings* consume) {
  if (consume) release(consume->value), release(consume->time);
  SeenItems s;
  s.offsets.assign(n_users + 1, 0);
  uint32_t n_items = 0;
  for (const Ratings* r : {&train, &more}) {
    for (uint32_t u : r->user) ++s.offsets[u + 1];
    for (uint32_t i : r->item) n_items = std::max(n_items, i + 1);
  }
  for (size_t u = 0; u < n_users; ++u) s.offsets[u + 1] += s.offsets[u];
  // Bucketed by item first, then handed out to the users in item order: every user's list comes out
  // sorted in two linear passes, with no sort per user.
  const size_t n = s.offsets.back();
  std::vector<uint32_t> item_start(size_t(n_items) + 1, 0);
  for (const Ratings* r : {&train, &more})
    for (uint32_t i : r->item) ++item_start[i + 1];
  for (size_t i = 0; i < n_items; ++i) item_start[i + 1] += item_start[i];
  std::vector<uint32_t> user_of(n);  // the users of item 0, then of item 1, ...
  for (const Ratings* r : {&train, &more})
    for (size_t k = 0; k < r->item.size(); ++k) user_of[item_start[r->item[k]]++] = r->user[k];  // size(): the values may be gone
  if (consume) release(consume->user), release(consume->item);
  s.items.resize(n);
  std::vector<uint64_t> fill(s.offsets.begin(), s.offsets.end() - 1);
  for (uint32_t i = 0, k = 0; i < n_items; ++i)
    for (const uint32_t end = item_start[i]; k < end; ++k) s.items[fill[user_of[k]]++] = i;
  return s;
}

}  // namespace

SeenItems SeenItems::from(const Ratings& train, const Ratings& more, size_t n_users) {
  return seen_of(train, more, n_users, nullptr);
}

SeenItems SeenItems::from(Ratings&& train, const Ratings& more, size_t n_users) {
  SeenItems s = seen_of(train, more, n_users, &train);
  train = Ratings{};
  return s;
}

void Model::init(size_t n_users, size_t n_items, uint32_t k, Precision precision, float init_std, uint64_t seed) {
  dim = k;
  P = FactorMatrix(n_users, k, precision);
  Q = FactorMatrix(n_items, k, precision);
  user_bias.assign(n_users, 0.0f);
  item_bias.assign(n_items, 0.0f);
  user_mean.assign(n_users, 0.0f);
  Random rng(seed);
  std::vector<float> row(k);
  for (FactorMatrix* m : {&P, &Q}) {
    for (size_t r = 0; r < m->rows(); ++r) {
      for (auto& x : row) x = float(rng.normal()) * init_std;
      m->write_row(r, row.data());
    }
  }
  if (kind == ModelKind::biased) {
    for (auto& b : user_bias) b = float(rng.normal()) * init_std;
    for (auto& b : item_bias) b = float(rng.normal()) * init_std;
  }
}

void Model::set_user_means(const Ratings& train) {
  double sum = 0;
  std::vector<double> sums(n_users(), 0.0);
  std::vector<uint32_t> counts(n_users(), 0);
  for (size_t k = 0; k < train.size(); ++k) {
    sums[train.user[k]] += train.value[k];
    ++counts[train.user[k]];
    sum += train.value[k];
  }
  global_mean = train.size() ? float(sum / double(train.size())) : 0.0f;
  for (size_t u = 0; u < n_users(); ++u)
    user_mean[u] = kind == ModelKind::plain ? 0.0f : counts[u] ? float(sums[u] / counts[u]) : global_mean;
}

void Model::zero_unseen(const Ratings& train) {
  std::vector<uint8_t> user_seen(n_users(), 0), item_seen(n_items(), 0);
  for (size_t k = 0; k < train.size(); ++k) user_seen[train.user[k]] = item_seen[train.item[k]] = 1;
  for (size_t u = 0; u < n_users(); ++u)
    if (!user_seen[u]) P.zero_row(u), user_bias[u] = 0;
  for (size_t i = 0; i < n_items(); ++i)
    if (!item_seen[i]) Q.zero_row(i), item_bias[i] = 0;
}

float Model::predict_raw(uint32_t u, uint32_t i) const {
  const float dot = P.visit([&](const auto* p) {
    using T = std::remove_cvref_t<decltype(*p)>;
    return kernels::dot(p + size_t(u) * dim, static_cast<const T*>(Q.raw()) + size_t(i) * dim, dim);
  });
  return user_mean[u] + user_bias[u] + item_bias[i] + dot;
}

float Model::predict(uint32_t u, uint32_t i) const {
  if (objective == Objective::ranking) return predict_raw(u, i);
  return clip(predict_raw(u, i));
}

float Model::predict_any(uint32_t u, uint32_t i) const {
  if (u != npos && i != npos) return predict(u, i);
  if (objective == Objective::ranking) return 0.0f;  // nothing known: the lowest neutral score
  // Unknown user: the global mean plus what the item adds; unknown item: the user's mean and bias.
  float r = global_mean;
  if (u != npos) r = user_mean[u] + user_bias[u];
  else if (i != npos && kind == ModelKind::biased) r += item_bias[i];
  return std::clamp(r, rating_min, rating_max);
}

nlohmann::json Model::info() const {
  return {{"kind", model_kind_name(kind)}, {"objective", objective_name(objective)}, {"fold_in", fold_in.to_json()},
          {"dim", dim},  {"precision", precision_name(precision())},  {"n_users", n_users()},
          {"n_items", n_items()}, {"global_mean", global_mean}, {"rating_min", rating_min},
          {"rating_max", rating_max}, {"meta", meta}};
}

}  // namespace mfrec
