// The generated MovieLens-shaped data set (see synth.h).
#include "mfrec/synth.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/random.h"
#include "common/where.h"
#include "mfrec/error.h"

namespace mfrec {
namespace {

const char* const kGenres[] = {"Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                               "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical",
                               "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"};
const char* const kWords[] = {"Silent", "Midnight", "Golden", "Lost", "Crimson", "Paper", "Iron",
                              "Hidden", "Last", "Electric", "Broken", "Summer", "Winter", "Wild",
                              "Secret", "Distant", "River", "City", "Garden", "Machine", "Dream",
                              "Shadow", "Harbor", "Empire", "Letter", "Road", "Storm", "Mirror"};


// How many ratings each user gives: at least `min`, long-tailed (Pareto-like), summing to `total`.
std::vector<uint32_t> user_activity(const SynthOptions& o, Random& rng) {
  std::vector<double> w(o.users);
  for (auto& x : w) x = std::pow(1.0 - rng.uniform(), -1.0 / 1.3);  // Pareto, alpha 1.3
  const double sum = std::accumulate(w.begin(), w.end(), 0.0);
  const double extra = double(o.ratings) - double(o.min_per_user) * o.users;
  const uint32_t cap = uint32_t(o.items * 0.7);
  std::vector<uint32_t> n(o.users);
  uint64_t total = 0;
  for (uint32_t u = 0; u < o.users; ++u) {
    n[u] = std::min<uint32_t>(cap, o.min_per_user + uint32_t(std::max(0.0, extra * w[u] / sum)));
    total += n[u];
  }
  // Hand out what rounding and the cap left over, one rating at a time to users below the cap.
  for (uint32_t u = 0; total < o.ratings; u = (u + 1) % o.users)
    if (n[u] < cap) ++n[u], ++total;
  for (uint32_t u = 0; total > o.ratings; u = (u + 1) % o.users)
    if (n[u] > o.min_per_user) --n[u], --total;
  return n;
}

}  // namespace

void write_synthetic(const std::string& dir, const SynthOptions& o) {
  if (o.users == 0 || o.items == 0 || o.rank == 0) throw UsageError("synth: users, items and rank must be positive");
  if (o.min_per_user > o.items * 0.7) throw UsageError("synth: `min_per_user` is above 70% of the items");
  if (!(o.noise >= 0) || !std::isfinite(o.noise)) throw UsageError("synth: `noise` must be a finite number >= 0");
  if (o.ratings < uint64_t(o.min_per_user) * o.users || o.ratings > uint64_t(o.users) * uint64_t(o.items * 0.7))
    throw UsageError(fmt::format("synth: `ratings` must be between users x {} and 70% of users x items", o.min_per_user));
  Random rng(o.seed);
  const uint32_t k = o.rank;
  // Planted model: a global mean, user and item biases, rank-k factors.
  std::vector<float> bu(o.users), bi(o.items), P(size_t(o.users) * k), Q(size_t(o.items) * k);
  const double fstd = std::sqrt(std::sqrt(0.35 / k));
  for (auto& x : bu) x = float(rng.normal() * 0.35);
  for (auto& x : bi) x = float(rng.normal() * 0.5);
  for (auto& x : P) x = float(rng.normal() * fstd);
  for (auto& x : Q) x = float(rng.normal() * fstd);
  // Item popularity: Zipf-like over a random order of the items; better items a little more popular.
  std::vector<uint32_t> order(o.items);
  std::iota(order.begin(), order.end(), 0u);
  rng.shuffle(order);
  std::vector<double> pop(o.items), cdf(o.items);
  for (uint32_t r = 0; r < o.items; ++r) pop[order[r]] = 1.0 / std::pow(r + 20.0, 1.1);
  for (uint32_t i = 0; i < o.items; ++i) pop[i] *= std::exp(0.5 * bi[i]);
  std::partial_sum(pop.begin(), pop.end(), cdf.begin());

  const std::vector<uint32_t> count = user_activity(o, rng);
  std::vector<uint32_t> mark(o.items, UINT32_MAX), chosen;
  std::vector<std::pair<double, uint32_t>> keys(o.items);
  std::string text;
  text.reserve(size_t(o.ratings) * 24);
  for (uint32_t u = 0; u < o.users; ++u) {
    chosen.clear();
    if (count[u] < o.items / 4) {  // few: draw by popularity, redraw repeats
      while (chosen.size() < count[u]) {
        const uint32_t i = uint32_t(std::lower_bound(cdf.begin(), cdf.end(), rng.uniform() * cdf.back()) - cdf.begin());
        if (i < o.items && mark[i] != u) mark[i] = u, chosen.push_back(i);
      }
    } else {  // many: weighted sampling without replacement (Efraimidis-Spirakis keys)
      for (uint32_t i = 0; i < o.items; ++i) keys[i] = {std::log(1.0 - rng.uniform()) / pop[i], i};
      std::nth_element(keys.begin(), keys.begin() + count[u], keys.end(), std::greater<>());
      for (uint32_t c = 0; c < count[u]; ++c) chosen.push_back(keys[c].second);
    }
    int64_t t = 956703932 + int64_t(rng.below(86400ull * 900));
    for (uint32_t i : chosen) {
      double r = 3.58 + bu[u] + bi[i] + rng.normal() * o.noise;
      for (uint32_t c = 0; c < k; ++c) r += double(P[size_t(u) * k + c]) * Q[size_t(i) * k + c];
      const int stars = int(std::clamp(std::lround(r), 1l, 5l));
      t += 1 + int64_t(-std::log(1.0 - rng.uniform()) * 600);
      fmt::format_to(std::back_inserter(text), "{}::{}::{}::{}\n", u + 1, i + 1, stars, t);
    }
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw DataError(where(dir, 0, "cannot create the folder: " + ec.message()));

  std::string movies;
  for (uint32_t i = 0; i < o.items; ++i) {
    const uint32_t g1 = uint32_t(rng.below(18)), g2 = uint32_t(rng.below(18));
    std::string genres = kGenres[g1];
    if (g2 != g1) genres += std::string("|") + kGenres[g2];
    fmt::format_to(std::back_inserter(movies), "{}::The {} {} ({})::{}\n", i + 1, kWords[rng.below(28)],
                   kWords[rng.below(28)], 1920 + rng.below(81), genres);
  }
  write_file_atomically((fs::path(dir) / "movies.dat").string(), movies);
  std::string users;
  for (uint32_t u = 0; u < o.users; ++u)
    fmt::format_to(std::back_inserter(users), "{}::{}::{}::{}::{:05d}\n", u + 1, rng.below(2) ? "M" : "F",
                   18 + rng.below(40), rng.below(21), rng.below(100000));
  write_file_atomically((fs::path(dir) / "users.dat").string(), users);
  write_file_atomically((fs::path(dir) / "README").string(), "Generated by `mfrec synth` (not MovieLens): a MovieLens-1M-shaped data set\n"
             "with a planted low-rank structure. Same layout as ml-1m: ratings.dat, movies.dat, users.dat.\n");
  // ratings.dat last: its presence means the set is complete (the embedded default relies on it).
  write_file_atomically((fs::path(dir) / "ratings.dat").string(), text);
}

}  // namespace mfrec
