// Parser throughput: the ML-1M-shaped ratings (1,000,209) in every text layout, from memory, ids
// interned, duplicates checked; and the whole load of the ml-1m folder from the page cache.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "bench_data.h"
#include "data/reader.h"

namespace mfrec::bench {
namespace {

struct LayoutText {
  std::string name, file, text;
  Layout layout;
};

// The ML-1M-shaped ratings written as `name`, and the layout detect_source finds for that file.
LayoutText layout_text(int which) {
  const Dataset& d = ml1m_shaped();
  const Ratings& r = d.ratings;
  LayoutText t;
  std::string& s = t.text;
  s.reserve(r.size() * 32);
  auto user = [&](size_t k) -> const std::string& { return d.users.external(r.user[k]); };
  auto item = [&](size_t k) -> const std::string& { return d.items.external(r.item[k]); };
  static const char* names[] = {"ml-1m ::", "tab (ml-100k)", "CSV with header, half stars", "space separated", "string ids CSV"};
  static const char* files[] = {"ratings.dat", "u.data", "ratings.csv", "ratings.txt", "events.csv"};
  t.name = names[which];
  t.file = files[which];
  if (which == 2) s += "userId,movieId,rating,timestamp\n";
  for (size_t k = 0; k < r.size(); ++k) {
    switch (which) {
      case 0: fmt::format_to(std::back_inserter(s), "{}::{}::{}::{}\n", user(k), item(k), r.value[k], r.time[k]); break;
      case 1: fmt::format_to(std::back_inserter(s), "{}\t{}\t{}\t{}\n", user(k), item(k), r.value[k], r.time[k]); break;
      case 2: fmt::format_to(std::back_inserter(s), "{},{},{:.1f},{}\n", user(k), item(k), r.value[k] - (k % 3 == 0 ? 0.5f : 0.f), r.time[k]); break;
      case 3: fmt::format_to(std::back_inserter(s), "{} {} {}\n", user(k), item(k), r.value[k]); break;
      default: fmt::format_to(std::back_inserter(s), "user_{},item_{},{}\n", user(k), item(k), r.value[k]); break;
    }
  }
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("mfrec-bench-layout-{}", which);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / t.file).string();
  std::ofstream(path, std::ios::binary) << s;
  t.layout = detect_source({.path = path}).layout;
  t.file = path;
  return t;
}

void BM_ParseLayout(benchmark::State& state) {
  const LayoutText t = layout_text(int(state.range(0)));
  state.SetLabel(t.name);
  size_t n = 0;
  for (auto _ : state) {
    IdMap users, items;
    Ratings r = parse_ratings_on(int(state.range(1)), t.text, t.file, t.layout, users, items);
    n = r.size();
    benchmark::DoNotOptimize(r.value.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(t.text.size()));
  state.counters["ratings/s"] = benchmark::Counter(double(state.iterations()) * double(n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseLayout)->ArgsProduct({{0, 1, 2, 3, 4}, {1, 2}})->ArgNames({"layout", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();

// The same files read from the page cache by read_ratings (the path `train` takes).
void BM_ReadLayoutFile(benchmark::State& state) {
  const LayoutText t = layout_text(int(state.range(0)));
  state.SetLabel(t.name);
  for (auto _ : state) {
    IdMap users, items;
    Ratings r = read_ratings_on(int(state.range(1)), t.file, t.layout, users, items);
    benchmark::DoNotOptimize(r.value.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(t.text.size()));
}
BENCHMARK(BM_ReadLayoutFile)->ArgsProduct({{0, 1, 2, 3, 4}, {1, 2}})->ArgNames({"layout", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();

// The whole load from disk (page cache warm): read, parse, titles.
void BM_LoadMl1mFolder(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(load_dataset({.path = ml1m_shaped_dir()}).ratings.size());
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(std::filesystem::file_size(ml1m_shaped_dir() + "/ratings.dat")));
}
BENCHMARK(BM_LoadMl1mFolder)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace mfrec::bench
