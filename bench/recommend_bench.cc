// In-process serving speed: top-10 for one user, fold-in, similar items, and every user's top-10.
// The model: the checkpoint named by MFREC_BENCH_MODEL, else a generated MovieLens-1M-shaped data
// set (6,040 users, 3,706 items) with a model fitted on it for one epoch (the shape is what the
// timings depend on, not the model's accuracy). Google Benchmark's main (benchmark::benchmark_main).
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "bench_data.h"
#include "mfrec/mfrec.h"
#include "mfrec/recommend.h"

namespace {

const mfrec::Recommender& recommender() {
  static const mfrec::Recommender rec = [] {
    if (const char* path = std::getenv("MFREC_BENCH_MODEL"); path && *path) return mfrec::Recommender(mfrec::load_model(path));
    const mfrec::Dataset& d = mfrec::bench::ml1m_shaped();
    const mfrec::Split& s = mfrec::bench::ml1m_shaped_split();
    mfrec::TrainOptions o;
    o.epochs = 1;
    return mfrec::Recommender(mfrec::fit(d, s, o).model);
  }();
  return rec;
}

void BM_TopK10OneUser(benchmark::State& state) {
  const auto& rec = recommender();
  uint32_t u = 0;
  for (auto _ : state) {
    auto top = rec.top_k(u, 10);
    benchmark::DoNotOptimize(top.data());
    u = (u + 97) % uint32_t(rec.n_users());
  }
  state.counters["items"] = double(rec.n_items());
  state.counters["dim"] = double(rec.model().dim);
}
BENCHMARK(BM_TopK10OneUser)->Unit(benchmark::kMicrosecond);

void BM_FoldIn10RatingsAndTopK10(benchmark::State& state) {
  const auto& rec = recommender();
  std::vector<mfrec::FoldInRating> ratings;
  for (uint32_t k = 0; k < 10; ++k) ratings.push_back({(k * 331) % uint32_t(rec.n_items()), float(1 + k % 5)});
  for (auto _ : state) {
    auto top = rec.top_k(rec.fold_in(ratings), 10);
    benchmark::DoNotOptimize(top.data());
  }
}
BENCHMARK(BM_FoldIn10RatingsAndTopK10)->Unit(benchmark::kMicrosecond);

void BM_SimilarItems10(benchmark::State& state) {
  const auto& rec = recommender();
  uint32_t i = 0;
  for (auto _ : state) {
    auto top = rec.similar_items(i, 10);
    benchmark::DoNotOptimize(top.data());
    i = (i + 13) % uint32_t(rec.n_items());
  }
}
BENCHMARK(BM_SimilarItems10)->Unit(benchmark::kMicrosecond);

void BM_RecommendAllTop10(benchmark::State& state) {
  const auto& rec = recommender();
  for (auto _ : state) {
    auto all = rec.recommend_all(10, false, unsigned(state.range(0)));
    benchmark::DoNotOptimize(all.data());
  }
  state.counters["users"] = double(rec.n_users());
}
BENCHMARK(BM_RecommendAllTop10)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
