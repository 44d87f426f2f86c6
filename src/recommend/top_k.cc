// Top-k selection and the top-k items of one user.
#include <algorithm>

#include "mfrec/error.h"
#include "recommend/recommender.h"

namespace mfrec {
namespace {

// a ranks before b: the higher score, then the lower index.
inline bool better(const Scored& a, const Scored& b) {
  return a.score > b.score || (a.score == b.score && a.index < b.index);
}

}  // namespace

std::vector<Scored> select_top_k(const float* scores, size_t n, size_t k, std::span<const uint32_t> skip) {
  std::vector<Scored> heap;  // the best so far; with `better` as the order, front() is the worst of them
  if (k == 0) return heap;
  heap.reserve(std::min(k, n));
  const uint32_t* next_skip = skip.data();
  const uint32_t* const skip_end = skip.data() + skip.size();
  for (size_t i = 0; i < n; ++i) {
    if (next_skip != skip_end && *next_skip == i) {
      ++next_skip;
      continue;
    }
    const Scored c{uint32_t(i), scores[i]};
    if (!(c.score == c.score)) continue;  // NaN
    if (heap.size() < k) {
      heap.push_back(c);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (c.score > heap.front().score) {  // equal scores lose: their index is higher
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = c;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), better);
  return heap;
}

std::vector<Scored> Recommender::top_k(uint32_t user, size_t k, bool include_seen) const {
  const Model& m = *model_;
  if (user >= m.n_users()) throw UsageError("user index out of range");
  float* s = scratch_scores(m.n_items());
  score_user(user, s);
  std::span<const uint32_t> skip;
  if (!include_seen && user + 1 < m.seen.offsets.size()) skip = {m.seen.begin(user), m.seen.count(user)};
  return select_top_k(s, m.n_items(), k, skip);
}

std::vector<Scored> Recommender::top_k(const FoldedUser& user, size_t k) const {
  float* s = scratch_scores(n_items());
  score(user, s);
  return select_top_k(s, n_items(), k, user.rated);
}

}  // namespace mfrec
