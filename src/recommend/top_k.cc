// Top-k selection and the top-k items of one user.
#include <algorithm>
#include <cmath>

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
  auto skipped = [&](size_t i) {  // i only grows, so the sorted skip list is walked once
    while (next_skip != skip_end && *next_skip < i) ++next_skip;
    return next_skip != skip_end && *next_skip == i;
  };
  size_t i = 0;
  for (; i < n && heap.size() < k; ++i) {  // filling: the first k that qualify
    if (std::isnan(scores[i]) || skipped(i)) continue;
    heap.push_back({uint32_t(i), scores[i]});
    std::push_heap(heap.begin(), heap.end(), better);
  }
  if (heap.size() < k) {
    std::sort_heap(heap.begin(), heap.end(), better);
    return heap;
  }
  // Then only a score above the k-th best can enter (an equal one loses: its index is higher).
  // Most blocks hold none: test a block at a time with a loop the compiler vectorizes.
  float threshold = heap.front().score;
  auto offer = [&](size_t j) {
    if (!(scores[j] > threshold) || skipped(j)) return;
    std::pop_heap(heap.begin(), heap.end(), better);
    heap.back() = {uint32_t(j), scores[j]};
    std::push_heap(heap.begin(), heap.end(), better);
    threshold = heap.front().score;
  };
  constexpr size_t kBlock = 32;
  for (; i < n && i % kBlock; ++i) offer(i);
  for (; i + kBlock <= n; i += kBlock) {
    int any = 0;
#pragma omp simd reduction(| : any)
    for (size_t j = i; j < i + kBlock; ++j) any |= scores[j] > threshold;
    if (any)
      for (size_t j = i; j < i + kBlock; ++j) offer(j);
  }
  for (; i < n; ++i) offer(i);
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
