#pragma once
// Ranking metrics of a model over a test part: does it put the items each user went on to rate near
// the top of the list it would show them?
//
// Full ranking (the default): for each test user known to the model, every item the user did not
// rate in training is ranked; HR@K (a relevant item in the top K), NDCG@K (binary relevance),
// Precision@K, Recall@K (hits over the user's relevant items) and MAP@K (average
// precision, normalized by min(relevant, K)) are averaged over users; coverage is the share of the
// catalogue that appears in at least one top-K list.
//
// Sampled (1-vs-N, as in NCF; with the loo split, the protocol of He et al. 2017): each relevant
// (user, item) pair is ranked against N items drawn uniformly without replacement from those the
// user rated neither in training nor in test; its rank is the number of those scored at least as high
// (ties count against it); metrics are averaged over pairs (HR@K, NDCG@K, Precision@K = HR@K / K,
// Recall@K = HR@K, MAP@K = reciprocal rank within K).
//
// Held-out users (Liang et al. 2018, Rendle et al. 2022; the `users` split): each test user, unknown
// to the model, is folded in from a random 80% of their test items and scored on the rest, every item
// not folded in a candidate; besides the @K figures, Recall@20, Recall@50 (hits / min(K, held-out
// items), as Liang et al.) and NDCG@100.
#include <cstddef>
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "mfrec/ratings.h"
#include "mfrec/recommend.h"

namespace mfrec {

enum class RankingProtocol { full, sampled, users };
const char* protocol_name(RankingProtocol p);

struct RankingOptions {
  size_t k = 10;
  RankingProtocol protocol = RankingProtocol::full;
  size_t negatives = 100;              // sampled: items drawn per relevant pair
  std::optional<float> relevant_min;   // a test rating counts as relevant when >= this; all when unset
  uint64_t seed = 0;                   // sampled: the draw
  unsigned threads = 0;                // 0: all cores
  void validate() const;               // throws UsageError
};

struct RankingMetrics {
  size_t k = 0;
  RankingProtocol protocol = RankingProtocol::full;
  size_t negatives = 0;
  double hr = 0, ndcg = 0, precision = 0, recall = 0, map = 0;
  double coverage = 0;         // full ranking only (NaN when sampled)
  double recall20 = 0, recall50 = 0, ndcg100 = 0;  // held-out users only (NaN otherwise)
  size_t users = 0;            // users evaluated
  size_t cases = 0;            // full: users; sampled: (user, item) pairs
  size_t skipped = 0;          // relevant test ratings that cannot be ranked: the user or the item is
                               // unknown to the model, or the user has no training ratings
  nlohmann::json to_json() const;
};

// `test` in the model's indices (see to_model_ids; Model::npos for unknown ids).
RankingMetrics evaluate_ranking(const Recommender& rec, const Ratings& test, const RankingOptions& options = {});

}  // namespace mfrec
