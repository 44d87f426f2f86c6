#include "bench_data.h"

#include <unistd.h>

#include <filesystem>

namespace mfrec::bench {

const std::string& ml1m_shaped_dir() {
  static const std::string dir = [] {
    const auto d = std::filesystem::temp_directory_path() / "mfrec-bench-ml1m-shaped";
    if (!std::filesystem::exists(d / "ratings.dat")) write_synthetic(d.string(), SynthOptions{});
    return d.string();
  }();
  return dir;
}

const Dataset& ml1m_shaped() {
  static const Dataset d = load_dataset({.path = ml1m_shaped_dir()});
  return d;
}

const Split& ml1m_shaped_split() {
  static const Split s = make_split(ml1m_shaped().ratings, {.kind = SplitKind::random, .test_ratio = 0.2, .val_ratio = 0});
  return s;
}

Model fresh_model(const TrainOptions& o) {
  Model m;
  m.kind = o.kind;
  m.init(ml1m_shaped().users.size(), ml1m_shaped().items.size(), o.dim, o.precision, o.init_std, o.seed);
  m.set_user_means(ml1m_shaped_split().train);
  return m;
}

void time_epochs(benchmark::State& state, TrainOptions o, const char* counter) {
  const Split& split = ml1m_shaped_split();
  o.epochs = 1;
  Model m = fresh_model(o);
  const Ratings no_validation;
  for (auto _ : state) {
    double seconds = 0;
    train(m, split.train, no_validation, o, [&](const EpochStats& s) { seconds = s.seconds; });
    state.SetIterationTime(seconds);
  }
  state.counters[counter] = benchmark::Counter(double(split.train.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = double(o.thread_count());
  state.counters["dim"] = double(o.dim);
}

}  // namespace mfrec::bench
