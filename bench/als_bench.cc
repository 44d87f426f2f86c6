// One ALS sweep (all users, then all items; each row a (dim+1)-wide Cholesky solve) on a generated
// MovieLens-1M-shaped data set (6,040 users, 3,706 items, 1,000,209 ratings; random 80/20 split, 10%
// of train held out: 720k training ratings). The reported time is the sweep's alone (manual timing);
// `ratings_per_s` is training ratings per second. Arguments: threads, dim. Public API only.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "mfrec/mfrec.h"

namespace {

struct Data {
  mfrec::Dataset data;
  mfrec::Split split;
};

const Data& ml1m_shaped() {
  static const Data d = [] {
    const auto dir = std::filesystem::temp_directory_path() / "mfrec-bench-engines-ml1m";
    if (!std::filesystem::exists(dir / "ratings.dat")) mfrec::write_synthetic(dir.string(), mfrec::SynthOptions{});
    Data x;
    mfrec::ReadOptions read;
    read.path = dir.string();
    x.data = mfrec::load_dataset(read);
    mfrec::SplitOptions so;
    so.kind = mfrec::SplitKind::random;
    so.test_ratio = 0.2;
    x.split = mfrec::make_split(x.data.ratings, so);
    return x;
  }();
  return d;
}

void BM_AlsSweep(benchmark::State& state) {
  const Data& d = ml1m_shaped();
  mfrec::TrainOptions o;
  o.optimizer = "als";
  o.threads = uint32_t(state.range(0));
  o.dim = uint32_t(state.range(1));
  o.reg = 0.1f;
  o.epochs = 1;
  mfrec::Model m;
  m.init(d.data.users.size(), d.data.items.size(), o.dim, o.precision, o.init_std, o.seed);
  m.set_user_means(d.split.train);
  const mfrec::Ratings no_validation;
  for (auto _ : state) {
    double seconds = 0;
    mfrec::train(m, d.split.train, no_validation, o, [&](const mfrec::EpochStats& s) { seconds = s.seconds; });
    state.SetIterationTime(seconds);
  }
  state.counters["ratings_per_s"] =
      benchmark::Counter(double(d.split.train.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = double(o.thread_count());
  state.counters["dim"] = double(o.dim);
}
BENCHMARK(BM_AlsSweep)->ArgsProduct({{1, 2}, {32, 128}})->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
