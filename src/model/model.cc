#include "mfrec/model.h"

#include <algorithm>

#include "common/random.h"
#include "model/kernels.h"

namespace mfrec {

bool SeenItems::contains(uint32_t u, uint32_t i) const {
  return u + 1 < offsets.size() && std::binary_search(begin(u), end(u), i);
}

SeenItems SeenItems::from(const Ratings& train, const Ratings& more, size_t n_users) {
  SeenItems s;
  s.offsets.assign(n_users + 1, 0);
  for (const Ratings* r : {&train, &more})
    for (uint32_t u : r->user) ++s.offsets[u + 1];
  for (size_t u = 0; u < n_users; ++u) s.offsets[u + 1] += s.offsets[u];
  s.items.resize(s.offsets.back());
  std::vector<uint64_t> fill(s.offsets.begin(), s.offsets.end() - 1);
  for (const Ratings* r : {&train, &more})
    for (size_t k = 0; k < r->size(); ++k) s.items[fill[r->user[k]]++] = r->item[k];
  for (size_t u = 0; u < n_users; ++u)
    std::sort(s.items.begin() + ptrdiff_t(s.offsets[u]), s.items.begin() + ptrdiff_t(s.offsets[u + 1]));
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
  return clip(predict_raw(u, i));
}

float Model::predict_any(uint32_t u, uint32_t i) const {
  if (u != npos && i != npos) return predict(u, i);
  // Unknown user: the global mean plus what the item adds; unknown item: the user's mean and bias.
  float r = global_mean;
  if (u != npos) r = user_mean[u] + user_bias[u];
  else if (i != npos && kind == ModelKind::biased) r += item_bias[i];
  return std::clamp(r, rating_min, rating_max);
}

}  // namespace mfrec
