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
  // Predictions are clipped to the range the data actually uses (ml-1m: 1..5 though 0.5 is valid).
  auto [lo, hi] = std::minmax_element(d.ratings.value.begin(), d.ratings.value.end());
  d.rating_min = *lo;
  d.rating_max = *hi;
  d.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

}  // namespace mfrec
