// Ranking metrics: full ranking over every item a user has not rated in training, or the sampled
// 1-vs-N protocol (see ranking.h).
#include "mfrec/ranking.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "common/random.h"
#include "mfrec/error.h"

namespace mfrec {
namespace {

// Each test user's relevant items (sorted, unique) and all of their test items.
struct TestUsers {
  std::vector<uint32_t> users;                       // users with at least one relevant item
  std::vector<std::vector<uint32_t>> relevant, all;  // parallel to users
  size_t skipped = 0;
};

TestUsers group(const Model& m, const Ratings& test, const RankingOptions& o) {
  std::vector<std::vector<uint32_t>> rel(m.n_users()), all(m.n_users());
  TestUsers t;
  for (size_t k = 0; k < test.size(); ++k) {
    const uint32_t u = test.user[k], i = test.item[k];
    const bool relevant = !o.relevant_min || test.value[k] >= *o.relevant_min;
    if (u == Model::npos || u >= m.n_users() || m.seen.count(u) == 0 || i == Model::npos || i >= m.n_items()) {
      t.skipped += relevant;  // cannot be ranked: the user or the item is unknown to the model
      continue;
    }
    all[u].push_back(i);
    if (relevant && !m.seen.contains(u, i)) rel[u].push_back(i);
  }
  for (uint32_t u = 0; u < m.n_users(); ++u) {
    if (rel[u].empty()) continue;
    for (auto* v : {&rel[u], &all[u]}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    t.users.push_back(u);
    t.relevant.push_back(std::move(rel[u]));
    t.all.push_back(std::move(all[u]));
  }
  return t;
}

inline double discount(size_t rank) { return 1.0 / std::log2(double(rank) + 2.0); }  // rank is 0-based

// One case's metrics; cases are summed in order afterwards, so the result does not depend on the
// number of threads.
struct Case {
  double hr = 0, ndcg = 0, precision = 0, recall = 0, map = 0;
};

void average(const std::vector<Case>& cases, RankingMetrics& out) {
  Case s;
  for (const Case& c : cases) s.hr += c.hr, s.ndcg += c.ndcg, s.precision += c.precision, s.recall += c.recall, s.map += c.map;
  const double n = std::max<double>(double(cases.size()), 1.0);
  out.cases = cases.size();
  out.hr = s.hr / n, out.ndcg = s.ndcg / n, out.precision = s.precision / n, out.recall = s.recall / n;
  out.map = s.map / n;
}

void full_ranking(const Recommender& rec, const TestUsers& t, const RankingOptions& o, RankingMetrics& out) {
  const Model& m = rec.model();
  const size_t k = o.k, n = t.users.size();
  std::vector<Case> cases(n);
  std::vector<uint8_t> shown(m.n_items(), 0);
  const int threads = o.threads ? int(o.threads) : omp_get_num_procs();
#pragma omp parallel num_threads(threads)
  {
    std::vector<uint8_t> local_shown(m.n_items(), 0);
#pragma omp for schedule(dynamic, 16)
    for (int64_t x = 0; x < int64_t(n); ++x) {
      const auto& rel = t.relevant[size_t(x)];
      const auto top = rec.top_k(t.users[size_t(x)], k);
      size_t hits = 0;
      double dcg = 0, ap = 0;
      for (size_t r = 0; r < top.size(); ++r) {
        local_shown[top[r].index] = 1;
        if (!std::binary_search(rel.begin(), rel.end(), top[r].index)) continue;
        ++hits;
        dcg += discount(r);
        ap += double(hits) / double(r + 1);
      }
      double idcg = 0;
      for (size_t r = 0; r < std::min(rel.size(), k); ++r) idcg += discount(r);
      Case& c = cases[size_t(x)];
      c.hr = hits > 0;
      c.ndcg = dcg / idcg;
      c.precision = double(hits) / double(k);
      c.recall = double(hits) / double(rel.size());
      c.map = ap / double(std::min(rel.size(), k));
    }
#pragma omp critical
    for (size_t i = 0; i < shown.size(); ++i) shown[i] |= local_shown[i];
  }
  average(cases, out);
  out.coverage = m.n_items() ? double(std::count(shown.begin(), shown.end(), 1)) / double(m.n_items()) : 0;
}

void sampled_ranking(const Recommender& rec, const TestUsers& t, const RankingOptions& o, RankingMetrics& out) {
  const Model& m = rec.model();
  const size_t k = o.k, n = t.users.size(), n_items = m.n_items();
  std::vector<size_t> first(n + 1, 0);  // user x's cases start at first[x]
  for (size_t x = 0; x < n; ++x) first[x + 1] = first[x] + t.relevant[x].size();
  std::vector<Case> cases(first[n]);
  const int threads = o.threads ? int(o.threads) : omp_get_num_procs();
#pragma omp parallel num_threads(threads)
  {
    std::vector<float> scores(n_items);
    std::vector<uint32_t> drawn;
#pragma omp for schedule(dynamic, 16)
    for (int64_t x = 0; x < int64_t(n); ++x) {
      const uint32_t u = t.users[size_t(x)];
      const auto& all = t.all[size_t(x)];
      rec.score_user(u, scores.data());
      // Items the user rated neither in training nor in test; a generator per user keeps the draw
      // the same whatever the number of threads.
      const size_t eligible = n_items - m.seen.count(u) - all.size();
      Random rng(o.seed * 0x9e3779b97f4a7c15ull + u);
      const auto& rel = t.relevant[size_t(x)];
      for (size_t j = 0; j < rel.size(); ++j) {
        drawn.clear();
        const size_t want = std::min(o.negatives, eligible);
        while (drawn.size() < want) {
          const uint32_t i = uint32_t(rng.below(n_items));
          if (m.seen.contains(u, i) || std::binary_search(all.begin(), all.end(), i) ||
              std::find(drawn.begin(), drawn.end(), i) != drawn.end())
            continue;
          drawn.push_back(i);
        }
        size_t rank = 0;  // negatives scored above the relevant item
        for (uint32_t i : drawn) rank += scores[i] > scores[rel[j]];
        Case& c = cases[first[size_t(x)] + j];
        if (rank < k) c.hr = 1, c.ndcg = discount(rank), c.map = 1.0 / double(rank + 1);
        c.recall = c.hr;
        c.precision = c.hr / double(k);
      }
    }
  }
  average(cases, out);
  out.coverage = std::nan("");
}

}  // namespace

void RankingOptions::validate() const {
  if (k < 1 || k > 100000) throw UsageError("--k must be between 1 and 100000");
  if (sampled && (negatives < 1 || negatives > 100000)) throw UsageError("--negatives must be between 1 and 100000");
  if (relevant_min && !std::isfinite(*relevant_min)) throw UsageError("--relevant_min must be a number");
}

RankingMetrics evaluate_ranking(const Recommender& rec, const Ratings& test, const RankingOptions& o) {
  o.validate();
  const TestUsers t = group(rec.model(), test, o);
  RankingMetrics out;
  out.k = o.k;
  out.sampled = o.sampled;
  out.negatives = o.sampled ? o.negatives : 0;
  out.users = t.users.size();
  out.skipped = t.skipped;
  if (o.sampled) sampled_ranking(rec, t, o, out);
  else full_ranking(rec, t, o, out);
  return out;
}

nlohmann::json RankingMetrics::to_json() const {
  nlohmann::json j = {{"k", k}, {"protocol", sampled ? "sampled" : "full"}, {"hr", hr}, {"ndcg", ndcg},
                      {"precision", precision}, {"recall", recall}, {"map", map}, {"users", users},
                      {"cases", cases}, {"skipped", skipped}};
  if (sampled) j["negatives"] = negatives;
  else j["coverage"] = coverage;
  return j;
}

}  // namespace mfrec
