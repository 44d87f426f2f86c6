// A data set from ratings given one by one (arrays, a data frame), held to the rules a file is.
#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "mfrec/dataset.h"
#include "mfrec/error.h"

namespace mfrec {
namespace {

bool has_control_bytes(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

}  // namespace

DatasetBuilder::DatasetBuilder(std::string name) : name_(std::move(name)) {
  d_.source.ratings_file = name_;
  d_.source.layout.name = "arrays";
}

void DatasetBuilder::reserve(size_t n) {
  d_.ratings.reserve(n);
}

void DatasetBuilder::check(std::string_view user, std::string_view item, float rating) {
  auto fail = [&](const std::string& what) { throw DataError(fmt::format("{}: row {}: {}", name_, rows_, what)); };
  if (user.empty() || item.empty()) fail(user.empty() ? "the user id is empty" : "the item id is empty");
  if (has_control_bytes(user) || has_control_bytes(item)) fail("an id holds control characters");
  if (!std::isfinite(rating)) fail(fmt::format("the rating is {}, not a finite number", rating));
}

void DatasetBuilder::add(std::string_view user, std::string_view item, float rating) {
  check(user, item, rating);
  d_.ratings.push(d_.users.intern(user), d_.items.intern(item), rating);
  ++rows_;
}

void DatasetBuilder::add(std::string_view user, std::string_view item, float rating, int64_t time) {
  check(user, item, rating);
  if (timed_ != rows_) throw DataError(fmt::format("{}: row {}: a timestamp where the rows before have none", name_, rows_));
  d_.ratings.push(d_.users.intern(user), d_.items.intern(item), rating);
  d_.ratings.time.push_back(time);
  ++rows_, ++timed_;
}

void DatasetBuilder::set_title(std::string_view item, std::string title, std::string genres) {
  titles_.emplace_back(std::string(item), std::pair{std::move(title), std::move(genres)});
}

Dataset DatasetBuilder::finish() && {
  if (rows_ == 0) throw DataError(name_ + ": no ratings");
  if (timed_ != 0 && timed_ != rows_)
    throw DataError(fmt::format("{}: row {}: no timestamp where the rows before have one", name_, timed_));
  const auto t0 = std::chrono::steady_clock::now();
  Dataset d = std::move(d_);
  d.report.lines = rows_;
  d.report.duplicates = d.ratings.drop_duplicates(d.users.size(), d.items.size());
  d.catalog.titles.resize(d.items.size());
  d.catalog.genres.resize(d.items.size());
  for (auto& [id, tg] : titles_) {
    if (const auto i = d.items.find(id)) d.catalog.titles[*i] = std::move(tg.first), d.catalog.genres[*i] = std::move(tg.second);
  }
  const auto [lo, hi] = std::minmax_element(d.ratings.value.begin(), d.ratings.value.end());
  d.rating_min = *lo;
  d.rating_max = *hi;
  d.fingerprint = data_fingerprint(d.ratings, d.users, d.items);
  d.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

}  // namespace mfrec
