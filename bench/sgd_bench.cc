// One SGD epoch (FPSG blocks, AdaGrad rates) on a generated MovieLens-1M-shaped data set (6,040
// users, 3,706 items, 1,000,209 ratings; random 80/20 split: 800k training
// ratings). The reported time is the epoch's alone (manual timing; building the grid is not in
// it); `updates_per_s` is training ratings per second. Arguments: threads, dim. Public API only.
#include <benchmark/benchmark.h>

#include "bench_data.h"

namespace {


void BM_SgdEpoch(benchmark::State& state) {
  mfrec::TrainOptions o;
  o.optimizer = "sgd";
  o.threads = uint32_t(state.range(0));
  o.dim = uint32_t(state.range(1));
  o.lr = 0.05f;
  o.reg = 0.05f;
  mfrec::bench::time_epochs(state, o, "updates_per_s");
}
BENCHMARK(BM_SgdEpoch)->ArgsProduct({{1, 2}, {32, 128}})->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_SgdEpochBf16(benchmark::State& state) {
  mfrec::TrainOptions o;
  o.optimizer = "sgd";
  o.threads = uint32_t(state.range(0));
  o.dim = 32;
  o.lr = 0.05f;
  o.reg = 0.05f;
  o.precision = mfrec::Precision::bf16;
  mfrec::bench::time_epochs(state, o, "updates_per_s");
}
BENCHMARK(BM_SgdEpochBf16)->Arg(1)->Arg(2)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
