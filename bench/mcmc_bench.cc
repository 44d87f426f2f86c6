// One Gibbs sweep of mcmc (the priors, then every user and item row drawn from its (dim+1)-wide
// Gaussian) on the generated MovieLens-1M-shaped set (800k training ratings), from a fresh chain: the
// draws alone, without the posterior mean's rank-2dim update that later sweeps add (about a fifth
// more at dim 64). Manual timing; `ratings_per_s` is training ratings per second. Arguments:
// threads, dim. Public API only.
#include <benchmark/benchmark.h>

#include "bench_data.h"

namespace {

void BM_McmcSweep(benchmark::State& state) {
  mfrec::TrainOptions o;
  o.optimizer = "mcmc";
  o.threads = uint32_t(state.range(0));
  o.dim = uint32_t(state.range(1));
  o.burn_in = 0;
  mfrec::bench::time_epochs(state, o, "ratings_per_s");
}
BENCHMARK(BM_McmcSweep)->ArgsProduct({{1, 2}, {32, 64}})->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
