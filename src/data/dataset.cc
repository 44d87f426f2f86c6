#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "common/where.h"
#include "mfrec/dataset.h"
#include "mfrec/error.h"

namespace mfrec {

Dataset load_dataset(const ReadOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  Dataset d;
  d.source = detect_source(options);
  d.ratings = read_ratings(d.source.ratings_file, d.source.layout, d.users, d.items, &d.report);
  if (options.min_rating) d.ratings = keep_at_least(d.ratings, *options.min_rating, d.source.ratings_file);
  d.catalog = read_catalog(d.source.items_file, d.source.layout.name, d.items);
  // Predictions are clipped to the range the data actually uses (ml-1m: 1..5 though 0.5 is valid).
  auto [lo, hi] = std::minmax_element(d.ratings.value.begin(), d.ratings.value.end());
  d.rating_min = *lo;
  d.rating_max = *hi;
  d.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

Ratings keep_at_least(const Ratings& r, float min_rating, const std::string& source) {
  std::vector<uint32_t> rows;
  for (uint32_t k = 0; k < r.size(); ++k)
    if (r.value[k] >= min_rating) rows.push_back(k);
  if (rows.empty())
    throw DataError(where(source, 0, fmt::format("no rating is {} or more (--min_rating)", min_rating)));
  return r.select(rows);
}

}  // namespace mfrec
