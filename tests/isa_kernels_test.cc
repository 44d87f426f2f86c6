// The kernels chosen at run time against the portable ones: the hand-written AVX2 SGD update and the
// plain loops give the same model (to rounding: FMA and the order of the sums differ), for every
// storage type and unrolled dimension; the F16C conversions give the scalar ones' bits; and the
// build says what it is.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "common/isa.h"
#include "model/kernels.h"
#include "train/parts/sgd_kernel.h"

namespace mfrec {
namespace {

struct Tables {
  std::vector<float> P, Q, bu, bi, Gu, Gi;
};

template <typename T>
std::vector<T> stored(const std::vector<float>& x) {
  std::vector<T> out(x.size());
  for (size_t c = 0; c < x.size(); ++c) out[c] = to_storage<T>(x[c]);
  return out;
}

template <typename T>
std::vector<float> floats(const std::vector<T>& x) {
  std::vector<float> out(x.size());
  for (size_t c = 0; c < x.size(); ++c) out[c] = to_float(x[c]);
  return out;
}

// Two passes over 2000 updates on 50 users and 40 items: rows are revisited, so that a difference
// in the update would grow rather than stay in one row.
template <typename T, uint32_t K, bool Biased>
void same_model(const char* what) {
  SCOPED_TRACE(what);
  std::mt19937 gen(K * 7 + Biased);
  std::normal_distribution<float> init(0.0f, 0.1f);
  std::uniform_int_distribution<uint32_t> user(0, 49), item(0, 39);
  std::uniform_real_distribution<float> rating(1.0f, 5.0f);
  std::vector<Sample> samples(2000);
  for (auto& s : samples) s = {user(gen), item(gen), rating(gen), 3.5f};
  Tables t{std::vector<float>(50 * K), std::vector<float>(40 * K), std::vector<float>(50, 0.1f),
           std::vector<float>(40, -0.1f), std::vector<float>(100, 1.0f), std::vector<float>(80, 1.0f)};
  for (float& x : t.P) x = init(gen);
  for (float& x : t.Q) x = init(gen);
  auto run = [&]<typename Src>(sgd::Kernel<T, Src> kernel, const Src& src, std::vector<float>& P, std::vector<float>& Q,
                                Tables& state) {
    std::vector<T> p = stored<T>(P), q = stored<T>(Q);
    const sgd::Ctx ctx{state.bu.data(), state.bi.data(), state.Gu.data(), state.Gi.data(), 0.05f, 0.02f, 0.01f, K};
    double sse = 0;
    for (int pass = 0; pass < 2; ++pass) sse += kernel(src, 0, samples.size(), p.data(), q.data(), ctx, 12345 + pass);
    P = floats(p), Q = floats(q);
    return sse;
  };
  const sgd::SampleRun packed{samples.data()};
  Tables a = t, b = t;
  const double sse_portable = run(&sgd::sgd_run<sgd::SampleRun, T, K, Biased>, packed, a.P, a.Q, a);
  const double sse_avx2 = run(&sgd::sgd_run_x86<sgd::SampleRun, T, K / 8, Biased>, packed, b.P, b.Q, b);
  // The grid's columns (the users' means aside) give the packed samples' updates bit for bit.
  std::vector<uint32_t> users, items;
  std::vector<float> values, base(50, 3.5f);
  for (const Sample& x : samples) users.push_back(x.user), items.push_back(x.item), values.push_back(x.rating);
  const sgd::ColumnRun columns{users.data(), items.data(), values.data(), base.data()};
  Tables c = t;
  EXPECT_EQ(run(&sgd::sgd_run_x86<sgd::ColumnRun, T, K / 8, Biased>, columns, c.P, c.Q, c), sse_avx2);
  EXPECT_EQ(c.P, b.P);
  EXPECT_EQ(c.Gi, b.Gi);
  EXPECT_NEAR(sse_avx2, sse_portable, 1e-4 * sse_portable);
  double moved = 0;  // the passes changed the rows: a comparison of two no-ops would prove nothing
  for (size_t c = 0; c < a.P.size(); ++c) moved += std::abs(a.P[c] - t.P[c]);
  ASSERT_GT(moved / double(a.P.size()), 1e-3);
  // bf16 rounds stochastically with the same noise in both: a last-bit difference before rounding
  // can still move a value by one bf16 step (2^-8 relative).
  const float tol = std::is_same_v<T, bf16> ? 2e-2f : std::is_same_v<T, fp16> ? 2e-3f : 1e-4f;
  for (size_t c = 0; c < a.P.size(); ++c) ASSERT_NEAR(b.P[c], a.P[c], tol * (1 + std::abs(a.P[c]))) << "P " << c;
  for (size_t c = 0; c < a.Q.size(); ++c) ASSERT_NEAR(b.Q[c], a.Q[c], tol * (1 + std::abs(a.Q[c]))) << "Q " << c;
  for (size_t u = 0; u < a.bu.size(); ++u) ASSERT_NEAR(b.bu[u], a.bu[u], 1e-3f) << "user bias " << u;
  for (size_t u = 0; u < a.Gu.size(); ++u) ASSERT_NEAR(b.Gu[u], a.Gu[u], 1e-3f * a.Gu[u]) << "user AdaGrad " << u;
}

template <typename T>
void every_dimension(const char* type) {
  same_model<T, 16, true>(type);
  same_model<T, 32, true>(type);
  same_model<T, 32, false>(type);
  same_model<T, 64, true>(type);
  same_model<T, 128, false>(type);
}

TEST(IsaKernels, SgdAvx2MatchesThePortableUpdate) {
#if !defined(MFREC_HAS_AVX2_KERNELS)
  GTEST_SKIP() << "this build has no AVX2 kernels (not x86-64)";
#else
  if (!cpu_has_avx2()) GTEST_SKIP() << "this CPU lacks AVX2, FMA or F16C: only the portable kernel runs here";
  every_dimension<float>("fp32");
  every_dimension<bf16>("bf16");
  every_dimension<fp16>("fp16");
#endif
}

TEST(IsaKernels, Fp16ConversionsMatchTheScalarOnes) {
  // kernels::load / store / dot on fp16 take F16C where the CPU has it; both round to nearest even,
  // so they must agree with the scalar conversion bit for bit, tails (k not a multiple of 8) included.
  std::mt19937 gen(7);
  std::normal_distribution<float> value(0.0f, 3.0f);
  for (uint32_t k : {1u, 7u, 8u, 32u, 63u, 64u, 65u, 200u}) {
    std::vector<float> x(k), back(k);
    std::vector<fp16> h(k);
    for (float& v : x) v = value(gen);
    kernels::store(x.data(), h.data(), k);
    for (uint32_t c = 0; c < k; ++c) ASSERT_EQ(float(h[c].value), to_float(to_storage<fp16>(x[c]))) << k << " " << c;
    kernels::load(h.data(), back.data(), k);
    float expect = 0;
    for (uint32_t c = 0; c < k; ++c) {
      ASSERT_EQ(back[c], to_float(h[c])) << k << " " << c;
      expect += back[c] * back[c];
    }
    EXPECT_NEAR(kernels::dot(h.data(), h.data(), k), expect, 1e-5f * expect) << k;
  }
}

TEST(IsaKernels, Bf16StochasticStoreMatchesTheScalarRounding) {
  // kernels::store_update on bf16 takes AVX2 where the CPU has it: the same noise, element by element
  // ((seed + c * 0x9e3779b9) * 0x85ebca6b) >> 16, the same rounding, inf and NaN kept (NaN quiet), in
  // rows of any length and rows with a special value anywhere.
  std::mt19937 gen(11);
  std::normal_distribution<float> value(0.0f, 2.0f);
  const float specials[] = {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(), std::bit_cast<float>(0x7fffffffu),
                            std::bit_cast<float>(0x7f800001u), std::numeric_limits<float>::max()};
  for (uint32_t k : {1u, 7u, 15u, 16u, 17u, 32u, 33u, 64u, 200u})
    for (int special = -1; special < int(std::size(specials)); ++special)
      for (uint64_t seed : {0ull, 1ull, 0x123456789abcdefull, ~0ull}) {
        std::vector<float> x(k);
        for (float& v : x) v = value(gen);
        if (special >= 0) x[(uint32_t(special) * 7) % k] = specials[special];
        std::vector<bf16> got(k);
        kernels::store_update(x.data(), got.data(), k, seed);
        const uint32_t s32 = uint32_t(seed ^ (seed >> 32));
        for (uint32_t c = 0; c < k; ++c) {
          const uint32_t u = std::bit_cast<uint32_t>(x[c]), noise = ((s32 + c * 0x9e3779b9u) * 0x85ebca6bu) >> 16;
          const bool inf_or_nan = (u & 0x7f800000u) == 0x7f800000u;
          const uint16_t want = uint16_t(inf_or_nan ? (u >> 16) | ((u & 0x7fffffu) ? 0x40u : 0u) : (u + noise) >> 16);
          ASSERT_EQ(got[c].bits, want) << "k " << k << " c " << c << " special " << special << " seed " << seed;
        }
      }
}

TEST(IsaKernels, TheKernelPickedIsTheCpusBest) {
  // pick_kernel hands out the AVX2 kernel for the unrolled dimensions exactly where the CPU has it.
  const auto picked = sgd::pick_kernel<float, sgd::ColumnRun>(32, true);
#if defined(MFREC_HAS_AVX2_KERNELS)
  if (cpu_has_avx2()) {
    EXPECT_EQ(picked, (&sgd::sgd_run_x86<sgd::ColumnRun, float, 4, true>));
    return;
  }
#endif
  EXPECT_EQ(picked, (&sgd::sgd_run<sgd::ColumnRun, float, 32, true>));
}

TEST(IsaKernels, TheBuildSaysWhatItIs) {
  const std::string s = isa_summary();
#if defined(MFREC_PORTABLE)
  EXPECT_NE(s.find("portable"), std::string::npos) << s;
#else
  EXPECT_NE(s.find("native"), std::string::npos) << s;
#endif
}

}  // namespace
}  // namespace mfrec
