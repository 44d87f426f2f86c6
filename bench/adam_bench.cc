// One Adam epoch (the recipe: batch 512, dim 32) on the ML-1M-shaped set's 800k training ratings.
#include <benchmark/benchmark.h>

#include "bench_data.h"
#include "train/engine.h"

namespace mfrec::bench {
namespace {

void BM_AdamEpoch(benchmark::State& state) {
  TrainOptions o;
  o.threads = uint32_t(state.range(0));
  o.precision = Precision(state.range(1));
  Model m = fresh_model(o);
  auto engine = make_adam(m, ml1m_shaped_split().train, o);
  uint32_t epoch = 0;
  for (auto _ : state) benchmark::DoNotOptimize(engine->run_epoch(++epoch));
  state.counters["updates/s"] =
      benchmark::Counter(double(state.iterations()) * double(ml1m_shaped_split().train.size()), benchmark::Counter::kIsRate);
  state.SetLabel(precision_name(o.precision));
}
BENCHMARK(BM_AdamEpoch)->ArgsProduct({{1, 2}, {0, 1, 2}})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace mfrec::bench
