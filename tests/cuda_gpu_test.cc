// Training on the GPU (label gpu): each test skips itself where no CUDA device can be used, so the
// file runs everywhere and reports "skipped" on machines without a GPU.
// ml-1m-half: ../shared/data/ml-1m-half, or the folder in MFREC_ML1M_HALF (for GPU machines that
// have no ../shared).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "test_util.h"
#include "train/engine.h"

namespace mfrec {
namespace {

#define REQUIRE_GPU()                                                   \
  do {                                                                  \
    std::string why_;                                                   \
    if (!cuda_available(&why_)) GTEST_SKIP() << "no CUDA device: " << why_; \
  } while (0)

struct Data {
  Dataset data;
  Split split;
};

Data load(const std::string& path, SplitKind kind = SplitKind::temporal) {
  Data x;
  ReadOptions r;
  r.path = path;
  x.data = load_dataset(r);
  SplitOptions s;
  s.kind = kind;
  x.split = make_split(x.data.ratings, s);
  return x;
}

const Data& synthetic() {
  static const Data x = load(test::small_synthetic(2000, 1000, 200000));
  return x;
}

struct Fitted {
  Model model;
  FitResult result;
};

Fitted fit_on(const Data& x, const TrainOptions& o) {
  Fitted f;
  f.result = fit(x.data, x.split, o);
  f.model = f.result.model;
  return f;
}

TrainOptions options(const std::string& device, uint32_t epochs, Precision precision = Precision::fp32) {
  TrainOptions o;
  o.device = device;
  o.epochs = epochs;
  o.precision = precision;
  o.seed = 1;
  return o;
}

TrainOptions sgd_options(const std::string& device, uint32_t epochs, Precision precision) {
  TrainOptions o = options(device, epochs, precision);
  o.optimizer = "sgd";
  o.lr = 0.02f;
  o.reg = 0.02f;
  return o;
}

// RMSE on test of the model that predicts each user's mean: what training must beat.
double mean_only_rmse(const Data& x) {
  TrainOptions o = options("cpu", 1);
  Model m;
  m.init(x.data.users.size(), x.data.items.size(), o.dim, Precision::fp32, 0.0f, 0);
  m.set_user_means(x.split.train);
  m.seen = SeenItems::from(x.split.train, m.n_users());
  return evaluate(m, x.split.test).rmse;
}

TEST(GpuTraining, DeviceIsDescribed) {
  REQUIRE_GPU();
  std::string what;
  ASSERT_TRUE(cuda_available(&what));
  RecordProperty("device", what);
  std::cout << "CUDA device: " << what << "\n";
}

TEST(GpuTraining, AdamFp32AgreesWithTheCpu) {
  REQUIRE_GPU();
  const Fitted cpu = fit_on(synthetic(), options("cpu", 20));
  const Fitted gpu = fit_on(synthetic(), options("cuda", 20));
  ASSERT_EQ(gpu.result.train.history.size(), 20u);
  EXPECT_NEAR(gpu.result.train.history[0].loss, cpu.result.train.history[0].loss, 0.02 * cpu.result.train.history[0].loss);
  EXPECT_LT(gpu.result.train.history.back().loss, gpu.result.train.history[0].loss);
  EXPECT_NEAR(gpu.result.test.rmse, cpu.result.test.rmse, 0.01);
  EXPECT_LT(gpu.result.test.rmse, mean_only_rmse(synthetic()) - 0.02);
}

// Many batches (several captured graphs per epoch: 1024 batches each) and a dimension that is not a
// multiple of the warp.
TEST(GpuTraining, AdamSmallBatchesOddDimensionAgreesWithTheCpu) {
  REQUIRE_GPU();
  TrainOptions o = options("cpu", 3);
  o.batch_size = 64;
  o.dim = 40;
  const Fitted cpu = fit_on(synthetic(), o);
  o.device = "cuda";
  const Fitted gpu = fit_on(synthetic(), o);
  EXPECT_GT(synthetic().split.train.size() / 64, 2048u);
  EXPECT_NEAR(gpu.result.test.rmse, cpu.result.test.rmse, 0.01);
}

TEST(GpuTraining, AdamWithoutProgrammaticLaunchIsTheSame) {
  REQUIRE_GPU();
  const Fitted with = fit_on(synthetic(), options("cuda", 10));
  ::setenv("MFREC_CUDA_PDL", "0", 1);
  const Fitted without = fit_on(synthetic(), options("cuda", 10));
  ::unsetenv("MFREC_CUDA_PDL");
  EXPECT_NEAR(with.result.test.rmse, without.result.test.rmse, 0.005);
}

TEST(GpuTraining, SixteenBitFactors) {
  REQUIRE_GPU();
  const Fitted cpu = fit_on(synthetic(), options("cpu", 20));
  for (Precision p : {Precision::bf16, Precision::fp16}) {
    const Fitted gpu = fit_on(synthetic(), options("cuda", 20, p));
    EXPECT_EQ(gpu.model.precision(), p);
    EXPECT_NEAR(gpu.result.test.rmse, cpu.result.test.rmse, 0.02) << precision_name(p);
  }
}

// The per-epoch validation RMSE is computed on the device: it is rmse_raw of the synced parameters.
TEST(GpuTraining, DeviceRmseIsTheCpusRmse) {
  REQUIRE_GPU();
  const Data& x = synthetic();
  for (Precision p : {Precision::fp32, Precision::bf16}) {
    for (const char* optimizer : {"adam", "sgd"}) {
      TrainOptions o = std::string(optimizer) == "sgd" ? sgd_options("cuda", 2, p) : options("cuda", 2, p);
      Model m;
      m.init(x.data.users.size(), x.data.items.size(), o.dim, p, o.init_std, o.seed);
      m.set_user_means(x.split.train);
      auto engine = make_engine(m, x.split.train, o);
      engine->run_epoch(1);
      engine->run_epoch(2);
      const double on_device = engine->rmse(x.split.val), on_test = engine->rmse(x.split.test);
      engine->sync();
      EXPECT_NEAR(on_device, rmse_raw(m, x.split.val), 1e-5) << optimizer << " " << precision_name(p);
      EXPECT_NEAR(on_test, rmse_raw(m, x.split.test), 1e-5) << optimizer << " " << precision_name(p);
      EXPECT_NEAR(engine->rmse(x.split.val), on_device, 1e-12);  // the cached set, unchanged parameters
    }
  }
}

TEST(GpuTraining, SgdLearnsInEveryPrecision) {
  REQUIRE_GPU();
  const double baseline = mean_only_rmse(synthetic());
  for (Precision p : {Precision::bf16, Precision::fp16, Precision::fp32}) {
    const Fitted gpu = fit_on(synthetic(), sgd_options("cuda", 20, p));
    const auto& h = gpu.result.train.history;
    ASSERT_FALSE(gpu.result.train.diverged) << precision_name(p);
    EXPECT_LT(h.back().loss, h.front().loss) << precision_name(p);
    EXPECT_LT(gpu.result.test.rmse, baseline - 0.02) << precision_name(p) << " baseline " << baseline;
  }
}

TEST(GpuTraining, SgdAnyDimension) {
  REQUIRE_GPU();
  for (uint32_t dim : {8u, 48u, 100u, 200u}) {  // one element per lane, 2, 4, and the generic loop
    TrainOptions o = sgd_options("cuda", 5, Precision::bf16);
    o.dim = dim;
    const Fitted gpu = fit_on(synthetic(), o);
    EXPECT_FALSE(gpu.result.train.diverged) << dim;
    EXPECT_TRUE(std::isfinite(gpu.result.test.rmse)) << dim;
    EXPECT_LT(gpu.result.train.history.back().loss, gpu.result.train.history.front().loss) << dim;
  }
}

// A model trained on the GPU is an ordinary checkpoint: the CPU code loads and evaluates it alike.
TEST(GpuTraining, CheckpointRoundTrip) {
  REQUIRE_GPU();
  for (Precision p : {Precision::bf16, Precision::fp32}) {
    const Fitted gpu = fit_on(synthetic(), options("cuda", 5, p));
    const std::string path = test::scratch_dir("gpu-ckpt") + "/model.mfrec";
    save_model(gpu.model, path);
    const Model back = load_model(path);
    EXPECT_EQ(back.precision(), p);
    EXPECT_EQ(back.P.bytes(), gpu.model.P.bytes());
    EXPECT_DOUBLE_EQ(evaluate(back, synthetic().split.test).rmse, gpu.result.test.rmse);
  }
}

TEST(GpuTraining, Ml1mHalfRecipeAgreesWithTheCpu) {
  REQUIRE_GPU();
  std::string path = std::getenv("MFREC_ML1M_HALF") ? std::getenv("MFREC_ML1M_HALF") : "";
  if (path.empty()) path = test::shared_data("ml-1m-half");
  if (path.empty()) GTEST_SKIP() << "ml-1m-half not found (../shared/data/ml-1m-half or MFREC_ML1M_HALF)";
  const Data x = load(path);
  const uint32_t epochs = std::getenv("MFREC_ML1M_EPOCHS") ? uint32_t(std::atoi(std::getenv("MFREC_ML1M_EPOCHS"))) : 100;
  const Fitted cpu = fit_on(x, options("cpu", epochs));
  const Fitted gpu = fit_on(x, options("cuda", epochs));
  std::cout << "ml-1m-half, " << epochs << " epochs: test RMSE cpu " << cpu.result.test.rmse << " ("
            << cpu.result.train.train_seconds << " s), gpu " << gpu.result.test.rmse << " ("
            << gpu.result.train.train_seconds << " s)\n";
  EXPECT_NEAR(gpu.result.test.rmse, cpu.result.test.rmse, 0.005);
}

TEST(GpuCli, TrainOnTheGpuAndEvaluateOnTheCpu) {
  REQUIRE_GPU();
  const std::string out = test::scratch_dir("gpu-cli");
  const auto r = test::run_cli("train --data_path " + test::small_synthetic() + " --device cuda --precision bf16 --epochs 3 --output " +
                               out + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(out + "/model.mfrec"));
  EXPECT_NE(test::read_file(out + "/metrics.json").find("\"device\": \"cuda\""), std::string::npos);
}

TEST(GpuCli, AlsOnTheGpuIsAUsageError) {
  REQUIRE_GPU();
  const auto r = test::run_cli("train --data_path " + test::small_synthetic() +
                               " --device cuda --optimizer als --epochs 1 --output " + test::scratch_dir("gpu-als") + " --quiet");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("adam or sgd"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mfrec
