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
  // Users' lists as blocked matrix products (recommend_users), then the metrics per user.
  const auto lists = rec.recommend_users(t.users, k, false, o.threads);
  for (size_t x = 0; x < n; ++x) {
    const auto& rel = t.relevant[x];
    const auto& top = lists[x];
    size_t hits = 0;
    double dcg = 0, ap = 0;
    for (size_t r = 0; r < top.size(); ++r) {
      shown[top[r].index] = 1;
      if (!std::binary_search(rel.begin(), rel.end(), top[r].index)) continue;
      ++hits;
      dcg += discount(r);
      ap += double(hits) / double(r + 1);
    }
    double idcg = 0;
    for (size_t r = 0; r < std::min(rel.size(), k); ++r) idcg += discount(r);
    Case& c = cases[x];
    c.hr = hits > 0;
    c.ndcg = dcg / idcg;
    c.precision = double(hits) / double(k);
    c.recall = double(hits) / double(rel.size());
    c.map = ap / double(std::min(rel.size(), k));
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
        size_t rank = 0;  // negatives scored at least as high as the relevant item: ties count against it
        for (uint32_t i : drawn) rank += scores[i] >= scores[rel[j]];
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

// Held-out users: every test rating of a user the model has no training rows for.
void heldout_users(const Recommender& rec, const Ratings& test, const RankingOptions& o, RankingMetrics& out) {
  const Model& m = rec.model();
  std::vector<std::vector<FoldInRating>> by_user(m.n_users());
  for (size_t k = 0; k < test.size(); ++k) {
    const uint32_t u = test.user[k], i = test.item[k];
    if (u == Model::npos || u >= m.n_users() || i == Model::npos || i >= m.n_items()) {
      ++out.skipped;
      continue;
    }
    by_user[u].push_back({i, test.value[k]});
  }
  std::vector<uint32_t> users;
  for (uint32_t u = 0; u < m.n_users(); ++u)
    if (by_user[u].size() >= 2) users.push_back(u);
    else out.skipped += by_user[u].size();  // nothing to fold in from, or nothing to score
  const size_t k = o.k, depth = std::max<size_t>(k, 100);
  struct UserCase : Case {
    double r20 = 0, r50 = 0, n100 = 0;
    bool used = false;  // false: the held-out part had nothing relevant
  };
  std::vector<UserCase> cases(users.size());
  const int threads = o.threads ? int(o.threads) : omp_get_num_procs();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 8)
  for (int64_t x = 0; x < int64_t(users.size()); ++x) {
    std::vector<FoldInRating> items = by_user[users[size_t(x)]];
    Random rng(o.seed * 0x9e3779b97f4a7c15ull + users[size_t(x)]);  // the same draw for any thread count
    for (size_t a = items.size(); a > 1; --a) std::swap(items[a - 1], items[rng.below(a)]);
    const size_t fold = std::clamp<size_t>(size_t(0.8 * double(items.size())), 1, items.size() - 1);
    const FoldedUser folded = rec.fold_in(std::span<const FoldInRating>(items.data(), fold));
    std::vector<uint32_t> rel;
    for (size_t a = fold; a < items.size(); ++a)
      if (!o.relevant_min || items[a].rating >= *o.relevant_min) rel.push_back(items[a].item);
    std::sort(rel.begin(), rel.end());
    rel.erase(std::unique(rel.begin(), rel.end()), rel.end());
    if (rel.empty()) continue;
    const auto top = rec.top_k(folded, depth);
    UserCase& c = cases[size_t(x)];
    size_t hits = 0, hits20 = 0, hits50 = 0;
    double dcg = 0, dcg100 = 0, ap = 0;
    for (size_t r = 0; r < top.size(); ++r) {
      if (!std::binary_search(rel.begin(), rel.end(), top[r].index)) continue;
      dcg100 += discount(r);
      hits20 += r < 20, hits50 += r < 50;
      if (r >= k) continue;
      ++hits;
      dcg += discount(r);
      ap += double(hits) / double(r + 1);
    }
    double idcg = 0, idcg100 = 0;
    for (size_t r = 0; r < std::min(rel.size(), k); ++r) idcg += discount(r);
    for (size_t r = 0; r < std::min<size_t>(rel.size(), 100); ++r) idcg100 += discount(r);
    c.used = true;
    c.hr = hits > 0, c.ndcg = dcg / idcg, c.precision = double(hits) / double(k);
    c.recall = double(hits) / double(rel.size()), c.map = ap / double(std::min(rel.size(), k));
    c.r20 = double(hits20) / double(std::min<size_t>(20, rel.size()));
    c.r50 = double(hits50) / double(std::min<size_t>(50, rel.size()));
    c.n100 = dcg100 / idcg100;
  }
  std::vector<Case> kept;
  double r20 = 0, r50 = 0, n100 = 0;
  for (size_t x = 0; x < cases.size(); ++x) {
    if (!cases[x].used) continue;
    kept.push_back(cases[x]);
    r20 += cases[x].r20, r50 += cases[x].r50, n100 += cases[x].n100;
  }
  average(kept, out);
  out.users = kept.size();
  const double n = std::max<double>(double(kept.size()), 1.0);
  out.recall20 = r20 / n, out.recall50 = r50 / n, out.ndcg100 = n100 / n;
  out.coverage = std::nan("");
}

}  // namespace

const char* protocol_name(RankingProtocol p) {
  return p == RankingProtocol::sampled ? "sampled" : p == RankingProtocol::users ? "users" : "full";
}

void RankingOptions::validate() const {
  if (k < 1 || k > 100000) throw UsageError("`k` must be between 1 and 100000");
  if (protocol == RankingProtocol::sampled && (negatives < 1 || negatives > 100000))
    throw UsageError("`negatives` must be between 1 and 100000");
  if (relevant_min && !std::isfinite(*relevant_min)) throw UsageError("`relevant_min` must be a number");
}

RankingMetrics evaluate_ranking(const Recommender& rec, const Ratings& test, const RankingOptions& o) {
  o.validate();
  RankingMetrics out;
  out.k = o.k;
  out.protocol = o.protocol;
  out.negatives = o.protocol == RankingProtocol::sampled ? o.negatives : 0;
  out.recall20 = out.recall50 = out.ndcg100 = std::nan("");
  if (o.protocol == RankingProtocol::users) {
    heldout_users(rec, test, o, out);
    return out;
  }
  const TestUsers t = group(rec.model(), test, o);
  out.users = t.users.size();
  out.skipped = t.skipped;
  if (o.protocol == RankingProtocol::sampled) sampled_ranking(rec, t, o, out);
  else full_ranking(rec, t, o, out);
  return out;
}

nlohmann::json RankingMetrics::to_json() const {
  nlohmann::json j = {{"k", k}, {"protocol", protocol_name(protocol)}, {"hr", hr}, {"ndcg", ndcg},
                      {"precision", precision}, {"recall", recall}, {"map", map}, {"users", users},
                      {"cases", cases}, {"skipped", skipped}};
  if (protocol == RankingProtocol::sampled) j["negatives"] = negatives;
  if (protocol == RankingProtocol::full) j["coverage"] = coverage;
  if (protocol == RankingProtocol::users) j.update({{"recall@20", recall20}, {"recall@50", recall50}, {"ndcg@100", ndcg100}});
  return j;
}

}  // namespace mfrec
