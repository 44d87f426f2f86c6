// The CUDA kernels' arithmetic, checked on the CPU (src/cuda/update_math.h is compiled by nvcc for the
// GPU and by g++ here): bf16 rounding, Adam's step, the SGD step and schedule, the keyed shuffle, and
// the Adam kernels' algorithm replayed on the host against the CPU engine. Also: what
// `--device cuda` does where no GPU can be used. Runs everywhere, GPU or not.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "common/random.h"
#include "cuda/update_math.h"
#include "test_util.h"
#include "train/engine.h"
#include "train/parts/samples.h"
#include "train/parts/shuffle.h"

namespace mfrec {
namespace {

using namespace mfrec::cuda;

std::vector<float> probe_floats() {
  std::vector<float> xs = {0.0f, -0.0f, 1.0f, -1.0f, 0.05f, 1e-30f, -3.3e38f, 1e-45f, 65504.0f,
                           std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::max(),
                           std::numeric_limits<float>::denorm_min(), 1.00390625f, 1.01171875f};
  Random rng(3);
  for (int k = 0; k < 200000; ++k) xs.push_back(bits_float(uint32_t(rng.next())));  // every exponent
  for (int k = 0; k < 100000; ++k) xs.push_back(float(rng.normal() * 0.05));        // factor-like values
  return xs;
}

TEST(CudaMath, Bf16RoundingIsPrecisionHs) {
  for (float x : probe_floats()) {
    ASSERT_EQ(bf16_round(x), to_storage<bf16>(x).bits) << x;
    const uint16_t b = bf16_round(x);
    const float back = bf16_to_float(b);
    const float cpu = to_float(bf16{b});
    ASSERT_TRUE(float_bits(back) == float_bits(cpu)) << x;
  }
}

TEST(CudaMath, Bf16StochasticRoundingIsPrecisionHs) {
  Random rng(5);
  for (float x : probe_floats()) {
    const uint32_t noise = rng.next32();
    ASSERT_EQ(bf16_stochastic(x, noise), to_bf16_stochastic(x, noise).bits) << x;
  }
}

TEST(CudaMath, StochasticRoundingWithTheKernelsNoiseIsUnbiased) {
  // A value a quarter of the way between two bf16 neighbours rounds up a quarter of the time.
  const float lo = 1.0f, hi = bf16_to_float(uint16_t(bf16_round(1.0f) + 1)), x = lo + (hi - lo) * 0.25f;
  double sum = 0;
  const int n = 1 << 18;
  for (int k = 0; k < n; ++k) sum += bf16_to_float(bf16_stochastic(x, rounding_noise(uint64_t(k / 64), k % 64, k % 7)));
  EXPECT_NEAR(sum / n, x, (hi - lo) * 0.01);
}

TEST(CudaMath, AdamRateIsKerasForm) {
  for (uint64_t t : {1ull, 2ull, 10ull, 686ull, 68600ull}) {
    // src/train/engines/adam.cc's adam_rate: the float options widened to double.
    const float lr = 0.001f, b1 = 0.9f, b2 = 0.999f;
    const float want = float(lr * std::sqrt(1.0 - std::pow(double(b2), double(t))) / (1.0 - std::pow(double(b1), double(t))));
    EXPECT_EQ(adam_lr_t(0.001f, 0.9f, 0.999f, t), want) << t;
  }
}

TEST(CudaMath, AdamUpdateIsTheCpuEnginesElementStep) {
  // src/train/engines/adam.cc's update_row, element by element, over a few steps.
  const float b1 = 0.9f, b2 = 0.999f, eps = 1e-7f, reg2 = 2e-4f;
  float w = 0.07f, m = 0, v = 0, cw = w, cm = 0, cv = 0;
  Random rng(9);
  for (uint64_t t = 1; t <= 50; ++t) {
    const float g = float(rng.normal() * 0.01), lr_t = adam_lr_t(0.001f, b1, b2, t);
    adam_update(w, g, m, v, reg2, AdamStep{lr_t, b1, b2, eps});
    const float gc = g + reg2 * cw;
    cm = b1 * cm + (1 - b1) * gc;
    cv = b2 * cv + (1 - b2) * gc * gc;
    cw -= lr_t * cm / (std::sqrt(cv) + eps);
    ASSERT_EQ(w, cw) << t;
    ASSERT_EQ(m, cm);
    ASSERT_EQ(v, cv);
  }
}

TEST(CudaMath, SgdStepAndSchedule) {
  EXPECT_FLOAT_EQ(sgd_lr(0.08f, 1), 0.08f);
  EXPECT_FLOAT_EQ(sgd_lr(0.08f, 2), 0.08f / 1.3f);
  EXPECT_FLOAT_EQ(sgd_lr(0.08f, 5), float(0.08 / (1 + 0.3 * 8.0)));
  float p = 0.5f, q = -0.25f;
  sgd_update(p, q, 2.0f, 0.1f, 0.05f);  // err = r - prediction = 2
  EXPECT_FLOAT_EQ(p, 0.5f + 0.1f * (2.0f * -0.25f - 0.05f * 0.5f));
  EXPECT_FLOAT_EQ(q, -0.25f + 0.1f * (2.0f * 0.5f + 0.05f * 0.25f));
  float b = 0.1f;
  sgd_bias_update(b, -1.0f, 0.1f, 0.02f);
  // The two terms (0.1) cancel to -2e-4: compared at their scale, not the result's, since a compiler
  // may fuse the multiply-add on one side only (clang folds the constant one fused).
  EXPECT_NEAR(b, 0.1f + 0.1f * (-1.0f - 0.02f * 0.1f), 1e-7);
}

TEST(CudaMath, PermutationIsABijectionForAnySize) {
  for (uint64_t n : {1ull, 2ull, 3ull, 4ull, 5ull, 17ull, 64ull, 1000ull, 4097ull, 65536ull, 351234ull}) {
    const Permutation p = Permutation::make(n, epoch_key(7, 3, 0));
    std::vector<uint8_t> hit(n, 0);
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t j = p(i);
      ASSERT_LT(j, n);
      ASSERT_EQ(hit[j], 0) << "n " << n << " i " << i;
      hit[j] = 1;
    }
  }
}

TEST(CudaMath, PermutationsLookShuffled) {
  const uint64_t n = 351234;
  const Permutation a = Permutation::make(n, epoch_key(0, 1, 0)), b = Permutation::make(n, epoch_key(0, 2, 0));
  uint64_t fixed = 0, same = 0, ascending = 0;
  double mean_jump = 0;
  for (uint64_t i = 0; i < n; ++i) {
    fixed += a(i) == i;
    same += a(i) == b(i);
    if (i) ascending += a(i) > a(i - 1), mean_jump += std::abs(double(a(i)) - double(a(i - 1)));
  }
  EXPECT_LT(fixed, 20u);
  EXPECT_LT(same, 20u);
  EXPECT_NEAR(double(ascending) / double(n), 0.5, 0.01);
  EXPECT_NEAR(mean_jump / double(n), double(n) / 3, double(n) * 0.01);  // E|X - Y| = n / 3 for uniform X, Y
  // A batch of 512 draws from the whole range: its mean is near the middle.
  for (uint64_t batch = 0; batch < 10; ++batch) {
    double mean = 0;
    for (uint64_t j = 0; j < 512; ++j) mean += double(a(batch * 512 + j));
    EXPECT_NEAR(mean / 512, double(n) / 2, double(n) * 0.06) << batch;
  }
}

// The Adam kernels' algorithm (adam_kernels.cu) replayed on the host with the same functions: per
// batch, errors with the parameters as the batch found them, gradients summed per touched row, then
// adam_update on each touched row with the step's rate. In the CPU engine's order (one thread), the
// parameters must come out as the CPU engine's.
struct ReplayedAdam {
  Model& m;
  const TrainOptions& o;
  std::vector<Sample> samples;   // in the previous epoch's order (training-set order at first)
  std::vector<Sample> shuffled;  // this epoch's order
  std::vector<float> mP, vP, mQ, vQ, mbu, vbu, mbi, vbi;
  uint64_t step = 0;

  ReplayedAdam(Model& model, const Ratings& train, const TrainOptions& options)
      : m(model), o(options), samples(pack_samples(train, model)), shuffled(samples.size()),
        mP(m.n_users() * o.dim), vP(mP.size()), mQ(m.n_items() * o.dim), vQ(mQ.size()),
        mbu(m.n_users()), vbu(m.n_users()), mbi(m.n_items()), vbi(m.n_items()) {
  }

  void epoch(uint32_t e) {
    // The CPU engine's order: a shuffle of the previous epoch's.
    StreamShuffle<Sample>()(samples, shuffled.data(), o.seed * 0x9e3779b97f4a7c15ull + e);
    samples.swap(shuffled);
    const uint32_t k = o.dim, B = o.batch_size;
    float* P = static_cast<float*>(m.P.raw());
    float* Q = static_cast<float*>(m.Q.raw());
    for (size_t begin = 0; begin < samples.size(); begin += B) {
      const size_t end = std::min(samples.size(), begin + B);
      std::map<uint32_t, std::vector<float>> gu, gi;  // row -> gradient (dim factors, then the bias)
      for (size_t s = begin; s < end; ++s) {
        const Sample& x = samples[s];
        float dot = 0;
        for (uint32_t c = 0; c < k; ++c) dot += P[size_t(x.user) * k + c] * Q[size_t(x.item) * k + c];
        const float pred = x.base + dot + m.user_bias[x.user] + m.item_bias[x.item];
        const float g = 2.0f / float(end - begin) * (pred - x.rating);
        auto& a = gu.try_emplace(x.user, k + 1, 0.0f).first->second;
        auto& b = gi.try_emplace(x.item, k + 1, 0.0f).first->second;
        for (uint32_t c = 0; c < k; ++c) a[c] += g * Q[size_t(x.item) * k + c], b[c] += g * P[size_t(x.user) * k + c];
        a[k] += g;
        b[k] += g;
      }
      ++step;
      const AdamStep st{adam_lr_t(o.lr, o.beta1, o.beta2, step), o.beta1, o.beta2, o.eps};
      auto apply = [&](auto& grads, float* W, std::vector<float>& mw, std::vector<float>& vw, std::vector<float>& bias,
                       std::vector<float>& mb, std::vector<float>& vb) {
        for (auto& [row, g] : grads) {
          for (uint32_t c = 0; c < k; ++c) {
            const size_t at = size_t(row) * k + c;
            adam_update(W[at], g[c], mw[at], vw[at], 2 * o.reg, st);
          }
          adam_update(bias[row], g[k], mb[row], vb[row], 2 * o.bias_reg(), st);
        }
      };
      apply(gu, P, mP, vP, m.user_bias, mbu, vbu);
      apply(gi, Q, mQ, vQ, m.item_bias, mbi, vbi);
    }
  }
};

// Both forms of the CPU engine's samples: 8-byte PackedSamples (at most 256 rating values) and
// 16-byte Samples (here 1000 values).
class CudaMathAdam : public ::testing::TestWithParam<uint32_t> {};

TEST_P(CudaMathAdam, KernelsAlgorithmMatchesTheCpuEngine) {
  Random rng(11);
  Ratings train;
  const uint32_t users = 60, items = 40, values = GetParam();
  for (int k = 0; k < 3000; ++k)
    train.push(uint32_t(rng.below(users)), uint32_t(rng.below(items)), 1 + 4 * float(rng.below(values)) / float(values - 1));
  TrainOptions o;
  o.threads = 1;
  o.dim = 8;
  o.batch_size = 64;
  o.lr = 0.01f;
  o.reg = 0.01f;
  o.seed = 4;
  Model cpu;
  cpu.init(users, items, o.dim, Precision::fp32, 0.05f, 1);
  cpu.set_user_means(train);
  Model replay = cpu;
  auto engine = make_adam(cpu, train, o);
  ReplayedAdam host(replay, train, o);
  for (uint32_t e = 1; e <= 3; ++e) {
    engine->run_epoch(e);
    host.epoch(e);
  }
  const double worst = test::largest_difference(cpu, replay);
  EXPECT_LT(worst, 2e-5) << "the kernels' algorithm drifts from the CPU engine's";
}

INSTANTIATE_TEST_SUITE_P(RatingValues, CudaMathAdam, ::testing::Values(5u, 1000u));

// Without a usable GPU (none here, or a build without CUDA) `--device cuda` is a clear error, exit 1.
TEST(CudaCli, DeviceCudaWithoutAGpuIsAClearError) {
  std::string why;
  const bool gpu = cuda_available(&why);
  const std::string out = test::scratch_dir("cuda-cli");
  const auto r = test::run_cli("train --data_path " + test::small_synthetic() + " --device cuda --epochs 2 --output " +
                               out + " --quiet");
  if (gpu) {
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return;
  }
  EXPECT_FALSE(why.empty());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("--device cuda"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(why), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("terminate"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mfrec
