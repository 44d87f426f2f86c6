#pragma once
// A small, fast, seedable generator (xoshiro256**, seeded by splitmix64), the same on every platform,
// so a seed means the same split, initialisation and order everywhere.
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace mfrec {

// splitmix64's step and finaliser (Steele, Lea, Flood 2014): every output bit depends on every input
// bit. The one hash that seeds and keys every generator here (src/cuda/update_math.h has the device's).
inline constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ull;
inline constexpr uint64_t splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class Random {
 public:
  explicit Random(uint64_t seed) {
    for (auto& w : s_) w = splitmix(seed);
  }
  uint64_t next() {
    const uint64_t out = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0], s_[3] ^= s_[1], s_[1] ^= s_[2], s_[0] ^= s_[3], s_[2] ^= t, s_[3] = rotl(s_[3], 45);
    return out;
  }
  uint32_t next32() { return uint32_t(next() >> 32); }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  uint64_t below(uint64_t n) { return uint64_t((unsigned __int128)next() * n >> 64); }  // [0, n)
  double normal() {  // Box-Muller
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(6.283185307179586 * u2);
  }
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (size_t k = v.size(); k > 1; --k) std::swap(v[k - 1], v[below(k)]);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix(uint64_t& x) { return splitmix64_mix(x += kGoldenGamma); }
  uint64_t s_[4];
};

}  // namespace mfrec
