// Parser throughput: ml-1m-sized ratings.dat (24 MB) from memory, ids interned, duplicates checked.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench_data.h"

namespace mfrec::bench {
namespace {

void BM_ParseMl1mRatings(benchmark::State& state) {
  std::ifstream in(ml1m_shaped_dir() + "/ratings.dat", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const Layout layout = detect_source({.path = ml1m_shaped_dir()}).layout;
  for (auto _ : state) {
    IdMap users, items;
    Ratings r = parse_ratings(text, "ratings.dat", layout, users, items);
    benchmark::DoNotOptimize(r.value.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
  state.counters["ratings/s"] = benchmark::Counter(double(state.iterations()) * 1000209.0, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseMl1mRatings)->Unit(benchmark::kMillisecond)->UseRealTime();

// The whole load from disk (page cache warm): mmap, parse, titles.
void BM_LoadMl1mFolder(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(load_dataset({.path = ml1m_shaped_dir()}).ratings.size());
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(std::filesystem::file_size(ml1m_shaped_dir() + "/ratings.dat")));
}
BENCHMARK(BM_LoadMl1mFolder)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace mfrec::bench
