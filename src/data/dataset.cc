#include <algorithm>
#include <chrono>

#include "mfrec/dataset.h"

namespace mfrec {

Dataset load_dataset(const ReadOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  Dataset d;
  d.source = detect_source(options);
  d.ratings = read_ratings(d.source.ratings_file, d.source.layout, d.users, d.items, &d.report);
  d.catalog = read_catalog(d.source.items_file, d.source.layout.name, d.items);
  auto [lo, hi] = std::minmax_element(d.ratings.value.begin(), d.ratings.value.end());
  d.rating_min = d.source.layout.rating_min.value_or(*lo);
  d.rating_max = d.source.layout.rating_max.value_or(*hi);
  d.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

}  // namespace mfrec
