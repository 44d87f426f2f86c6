// Every user's top-k: blocks of users scored against all items as one matrix product, then a
// partial selection per user, blocks spread over threads.
#include <omp.h>

#include "common/eigen.h"

#include <algorithm>

#include "mfrec/error.h"
#include "recommend/recommender.h"

namespace mfrec {

std::vector<std::vector<Scored>> Recommender::recommend_all(size_t k, bool include_seen, unsigned threads) const {
  std::vector<uint32_t> users(model_->n_users());
  for (uint32_t u = 0; u < users.size(); ++u) users[u] = u;
  return recommend_users(users, k, include_seen, threads);
}

std::vector<std::vector<Scored>> Recommender::recommend_users(std::span<const uint32_t> users, size_t k,
                                                              bool include_seen, unsigned threads) const {
  const Model& m = *model_;
  const Impl& im = *impl_;
  const size_t n_users = users.size(), n_items = m.n_items();
  for (uint32_t u : users)
    if (u >= m.n_users()) throw UsageError("user index out of range");
  constexpr size_t kBlock = 256;  // users per product: 256 x items scores stay cache-friendly
  const int64_t n_blocks = int64_t((n_users + kBlock - 1) / kBlock);
  std::vector<std::vector<Scored>> out(n_users);
  const int nt = threads ? int(threads) : omp_get_num_procs();
#pragma omp parallel num_threads(nt)
  {
    RowMatrix Pb(static_cast<Eigen::Index>(kBlock), static_cast<Eigen::Index>(m.dim));
    RowMatrix S(static_cast<Eigen::Index>(kBlock), static_cast<Eigen::Index>(n_items));
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < n_blocks; ++b) {
      const size_t first = size_t(b) * kBlock, count = std::min(kBlock, n_users - first);
      for (size_t r = 0; r < count; ++r) m.P.read_row(users[first + r], Pb.row(Eigen::Index(r)).data());
      auto scores = S.topRows(Eigen::Index(count));
      scores.noalias() = Pb.topRows(Eigen::Index(count)) * im.Q.transpose();
      for (size_t r = 0; r < count; ++r) {
        const uint32_t u = users[first + r];
        float* s = S.row(Eigen::Index(r)).data();
        const float base = m.kind == ModelKind::plain ? 0.0f : m.user_mean[u] + m.user_bias[u];
        const float* bi = im.item_bias.data();
        for (size_t i = 0; i < n_items; ++i) s[i] += bi[i] + base;
        std::span<const uint32_t> skip;
        if (!include_seen && u + 1 < m.seen.offsets.size()) skip = {m.seen.begin(u), m.seen.count(u)};
        out[first + r] = select_top_k(s, n_items, k, skip);
      }
    }
  }
  return out;
}

}  // namespace mfrec
