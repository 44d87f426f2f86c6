// One ALS sweep (all users, then all items; each row a (dim+1)-wide Cholesky solve) on a generated
// MovieLens-1M-shaped data set (6,040 users, 3,706 items, 1,000,209 ratings; random 80/20
// split: 800k training ratings). The reported time is the sweep's alone (manual timing);
// `ratings_per_s` is training ratings per second. Arguments: threads, dim. Public API only.
#include <benchmark/benchmark.h>

#include "bench_data.h"

namespace {


void BM_AlsSweep(benchmark::State& state) {
  mfrec::TrainOptions o;
  o.optimizer = "als";
  o.threads = uint32_t(state.range(0));
  o.dim = uint32_t(state.range(1));
  o.reg = 0.1f;
  mfrec::bench::time_epochs(state, o, "ratings_per_s");
}
BENCHMARK(BM_AlsSweep)->ArgsProduct({{1, 2}, {32, 128}})->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
