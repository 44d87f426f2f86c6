#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "common/where.h"
#include "data/binary_format.h"
#include "mfrec/dataset.h"
#include "mfrec/error.h"

namespace mfrec {

namespace {

Layout kept(Layout layout, const ReadOptions& options) {
  layout.keep_time = layout.keep_time && options.timestamps;
  return layout;
}

}  // namespace

Dataset load_dataset(const ReadOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  Dataset d;
  d.source = detect_source(options);
  // A binary file holds the data set as it loaded from text, the fingerprint included (computing it
  // again would take longer than the whole load).
  const bool binary = d.source.layout.name == binary::kLayout;
  if (binary) d = binary::read_dataset(d.source);
  else d.ratings = read_ratings(d.source.ratings_file, kept(d.source.layout, options), d.users, d.items, &d.report);
  const size_t read = d.ratings.size();
  if (options.min_rating) d.ratings = keep_at_least(d.ratings, *options.min_rating, d.source.ratings_file);
  if (!binary || d.ratings.size() != read) d.fingerprint = data_fingerprint(d.ratings, d.users, d.items);
  if (!binary) d.catalog = read_catalog(d.source.items_file, d.source.layout.name, d.items);
  // Predictions are clipped to the range the data actually uses (ml-1m: 1..5 though 0.5 is valid);
  // a binary file's reader has it already.
  if (!binary || d.ratings.size() != read) {
    auto [lo, hi] = std::minmax_element(d.ratings.value.begin(), d.ratings.value.end());
    d.rating_min = *lo;
    d.rating_max = *hi;
  }
  d.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

namespace {

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}

uint64_t mix_bytes(uint64_t h, const void* p, size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (size_t k = 0; k < n; ++k) h = (h ^ b[k]) * 0x100000001b3ull;
  return mix(h, n);
}

}  // namespace

uint64_t data_fingerprint(const Ratings& r, const IdMap& users, const IdMap& items, uint64_t seed) {
  uint64_t h = mix(0xcbf29ce484222325ull, seed);
  for (const IdMap* ids : {&users, &items})
    for (const auto& name : ids->names()) h = mix_bytes(h, name.data(), name.size());
  h = mix_bytes(h, r.user.data(), r.user.size() * sizeof(uint32_t));
  h = mix_bytes(h, r.item.data(), r.item.size() * sizeof(uint32_t));
  h = mix_bytes(h, r.value.data(), r.value.size() * sizeof(float));
  return mix(h, r.size());
}

Ratings keep_at_least(const Ratings& r, float min_rating, const std::string& source) {
  std::vector<uint32_t> rows;
  for (uint32_t k = 0; k < r.size(); ++k)
    if (r.value[k] >= min_rating) rows.push_back(k);
  if (rows.empty())
    throw DataError(where(source, 0, fmt::format("no rating is {} or more (`min_rating`)", min_rating)));
  return r.select(rows);
}

}  // namespace mfrec
