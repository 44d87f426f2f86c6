#pragma once
// A generated MovieLens-shaped data set: the embedded default, since MovieLens itself may not be
// redistributed. Long-tailed user activity and item popularity, timestamps, a planted low-rank
// structure plus noise, integer ratings 1..5, made-up titles.
#include <cstdint>
#include <string>

namespace mfrec {

struct SynthOptions {
  uint32_t users = 6040;
  uint32_t items = 3706;
  uint64_t ratings = 1000209;
  uint32_t min_per_user = 20;
  uint32_t rank = 8;
  float noise = 0.6f;
  uint64_t seed = 42;
};

// Writes ratings.dat, movies.dat and users.dat in the ml-1m layout under `dir` (created if needed).
void write_synthetic(const std::string& dir, const SynthOptions& options);

}  // namespace mfrec
