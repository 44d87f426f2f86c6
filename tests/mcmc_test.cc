// The MCMC engine (Bayesian MF by Gibbs sampling) and its draws: Gamma, Wishart and Normal-Wishart
// moments, accuracy on generated data against the user-mean baseline and against a single sample,
// determinism, the checkpoint of the posterior mean, the epoch loop's burn-in, bad options.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // Eigen's AVX-512 kernels, GCC bug 105593
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>

#include "test_util.h"
#include "train/engine.h"
#include "train/parts/wishart.h"

namespace mfrec {
namespace {

using Data = SplitData;
const Data& synthetic() { return test::small_random_split(); }

TrainOptions mcmc_options() {
  TrainOptions o;
  o.optimizer = "mcmc";
  o.dim = 8;
  o.epochs = 60;
  o.burn_in = 20;
  o.threads = 2;
  o.seed = 5;
  return o;
}

std::vector<float> predictions(const Model& m, const Ratings& r) {
  std::vector<float> out(r.size());
  for (size_t t = 0; t < r.size(); ++t) out[t] = m.predict(r.user[t], r.item[t]);
  return out;
}

TEST(McmcDraws, GammaMeanAndVariance) {
  Random rng(1);
  for (double shape : {0.5, 1.0, 3.0, 40.0}) {
    const int n = 100000;
    double sum = 0, sq = 0;
    for (int t = 0; t < n; ++t) {
      const double x = sample_gamma(rng, shape);
      ASSERT_GT(x, 0);
      sum += x, sq += x * x;
    }
    const double mean = sum / n, var = sq / n - mean * mean;
    EXPECT_NEAR(mean, shape, 5 * std::sqrt(shape / n)) << "shape " << shape;
    EXPECT_NEAR(var, shape, 0.05 * shape) << "shape " << shape;
  }
}

TEST(McmcDraws, WishartMeanIsNuTimesTheScale) {
  Eigen::MatrixXd W(3, 3);
  W << 2.0, 0.5, -0.3, 0.5, 1.0, 0.2, -0.3, 0.2, 0.5;
  const double nu = 5;
  Random rng(2);
  const int n = 40000;
  Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(3, 3);
  for (int t = 0; t < n; ++t) {
    const Eigen::MatrixXd L = sample_wishart(rng, W, nu);
    ASSERT_LT((L - L.transpose()).norm(), 1e-12);
    ASSERT_GT(L.llt().matrixL().determinant(), 0);  // positive definite
    sum += L;
  }
  // Var(L_jk) = nu (W_jk^2 + W_jj W_kk): the mean of n draws is within 5 standard errors.
  const Eigen::MatrixXd mean = sum / n;
  for (int j = 0; j < 3; ++j)
    for (int k = 0; k < 3; ++k)
      EXPECT_NEAR(mean(j, k), nu * W(j, k), 5 * std::sqrt(nu * (W(j, k) * W(j, k) + W(j, j) * W(k, k)) / n)) << j << "," << k;
}

TEST(McmcDraws, NormalWishartPosteriorFindsTheGaussianOfManyPoints) {
  // 20000 points from N(m, P^-1): the posterior concentrates at (m, P).
  Eigen::Vector2d m(0.5, -1.0);
  Eigen::Matrix2d P;
  P << 4.0, 1.0, 1.0, 2.0;
  const Eigen::Matrix2d C = P.inverse().llt().matrixL();
  Random rng(3);
  Eigen::MatrixXd X(2, 20000);
  for (Eigen::Index t = 0; t < X.cols(); ++t) X.col(t) = m + C * Eigen::Vector2d(rng.normal(), rng.normal());
  const Gaussian g = sample_normal_wishart(rng, X, 2.0, 2.0);
  EXPECT_LT((g.mean - m).norm(), 0.05);
  EXPECT_LT((g.precision - P).norm(), 0.1 * P.norm());
  // One dimension: the Normal-Gamma posterior of the bias prior.
  const Gaussian b = sample_normal_wishart(rng, X.topRows(1), 2.0, 1.0);
  EXPECT_NEAR(b.mean[0], 0.5, 0.05);
  EXPECT_NEAR(b.precision(0, 0), 1.0 / P.inverse()(0, 0), 0.1 / P.inverse()(0, 0));
}

TEST(Mcmc, PosteriorMeanBeatsTheUserMeanAndASingleSample) {
  const Data& d = synthetic();
  const double baseline = test::user_mean_rmse(d.split, d.data.users.size());
  TrainOptions o = mcmc_options();
  FitResult mean = fit(d.data, d.split, o);
  const Model m = mean.model;
  EXPECT_EQ(m.dim, 2 * o.dim) << "the posterior mean is kept at rank 2 dim";
  EXPECT_EQ(mean.train.best_epoch, o.epochs);
  EXPECT_LT(mean.test.rmse, baseline - 0.08) << "baseline " << baseline;
  // The same chain, averaging its last sample alone.
  o.burn_in = o.epochs - 1;
  FitResult single = fit(d.data, d.split, o);
  const Model s = single.model;
  EXPECT_EQ(s.dim, o.dim);
  EXPECT_LT(mean.test.rmse, single.test.rmse - 0.01) << "one sample " << single.test.rmse;
}

TEST(Mcmc, DeterministicForASeed) {
  const Data& d = synthetic();
  TrainOptions o = mcmc_options();
  o.epochs = 25;
  FitResult r1, r2, r3;
  r1 = fit(d.data, d.split, o);
  r2 = fit(d.data, d.split, o);
  const Model a = r1.model, b = r2.model;
  EXPECT_EQ(predictions(a, d.split.test), predictions(b, d.split.test));
  EXPECT_EQ(a.user_bias, b.user_bias);
  // The chain does not depend on the thread count; the truncated SVD's products may round differently.
  o.threads = 1;
  r3 = fit(d.data, d.split, o);
  const Model c = r3.model;
  EXPECT_NEAR(r3.test.rmse, r1.test.rmse, 1e-5);
  // Another seed, another chain.
  o.seed = 6;
  FitResult r4 = fit(d.data, d.split, o);
  EXPECT_NE(r4.test.rmse, r1.test.rmse);
}

TEST(Mcmc, CheckpointReloadsAndPredictsTheSame) {
  const Data& d = synthetic();
  TrainOptions o = mcmc_options();
  o.epochs = 30;
  FitResult r = fit(d.data, d.split, o);
  const Model m = r.model;
  const std::string path = test::scratch_dir("mcmc") + "/model.mfrec";
  save_model(m, path);
  const Model back = load_model(path);
  EXPECT_EQ(back.dim, m.dim);
  EXPECT_EQ(back.P.cols(), m.dim);
  EXPECT_EQ(predictions(back, d.split.test), predictions(m, d.split.test));
  EXPECT_NEAR(evaluate(back, d.split.test).rmse, r.test.rmse, 1e-12);
  EXPECT_EQ(back.meta["options"]["burn_in"], o.burn_in);
}

TEST(Mcmc, Bf16StorageFixedNoiseAndThePlainModel) {
  const Data& d = synthetic();
  TrainOptions o = mcmc_options();
  o.epochs = 40;
  FitResult f32 = fit(d.data, d.split, o);
  o.precision = Precision::bf16;
  FitResult b16 = fit(d.data, d.split, o);
  const Model m = b16.model;
  EXPECT_EQ(m.precision(), Precision::bf16);
  EXPECT_NEAR(b16.test.rmse, f32.test.rmse, 0.005);
  o.precision = Precision::fp32;
  o.noise_precision = 1.5f;
  FitResult fixed = fit(d.data, d.split, o);
  EXPECT_NEAR(fixed.test.rmse, f32.test.rmse, 0.05);
  o.kind = ModelKind::plain;
  FitResult plain = fit(d.data, d.split, o);
  EXPECT_LT(plain.test.rmse, 1.1);  // p.q alone learns the ratings' scale
}

TEST(Mcmc, BurnInEpochsAreNeitherKeptNorCountedForPatience) {
  const Data& d = synthetic();
  ASSERT_GT(d.split.val.size(), 0u);
  TrainOptions o = mcmc_options();
  o.epochs = 30;
  o.patience = 1;
  Model m;
  m.init(d.data.users.size(), d.data.items.size(), o.dim, o.precision, o.init_std, o.seed);
  m.set_user_means(d.split.train);
  const TrainResult r = train(m, d.split.train, d.split.val, o);
  EXPECT_GT(r.history.size(), o.burn_in);
  EXPECT_GT(r.best_epoch, o.burn_in);
  EXPECT_EQ(m.dim, 2 * o.dim);
  // The validation RMSE the loop saw for the best epoch is that of the model it returns.
  EXPECT_NEAR(r.history[r.best_epoch - 1].val_rmse, rmse_raw(m, d.split.val), 1e-5);
}

TEST(Mcmc, BadOptionsAreUsageErrors) {
  TrainOptions o = mcmc_options();
  o.burn_in = o.epochs;
  EXPECT_THROW(o.validate(), UsageError);
  o.burn_in = 10;
  o.noise_precision = -1;
  EXPECT_THROW(o.validate(), UsageError);
  o.noise_precision = NAN;
  EXPECT_THROW(o.validate(), UsageError);
  o.noise_precision = 0;
  EXPECT_NO_THROW(o.validate());
  // Other engines ignore the burn-in.
  o.optimizer = "als";
  o.burn_in = 500;
  EXPECT_NO_THROW(o.validate());
  // A chain cannot be resumed from the posterior mean.
  const Data& d = synthetic();
  o = mcmc_options();
  o.epochs = 22;
  FitResult r = fit(d.data, d.split, o);
  const Model m = r.model;
  EXPECT_THROW(fit_from(m, d.data, d.split, o), UsageError);
}

TEST(Mcmc, CommandLineOptions) {
  const std::string data = test::small_synthetic();
  const std::string out = test::scratch_dir("mcmc-cli");
  auto r = test::run_cli("train --data_path " + data + " --optimizer mcmc --dim 4 --epochs 12 --burn_in 8 --threads 2 --quiet --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("best epoch 12/12"), std::string::npos) << r.out;
  const auto metrics = nlohmann::json::parse(test::read_file(out + "/metrics.json"));
  EXPECT_EQ(metrics["options"]["burn_in"], 8);
  EXPECT_EQ(metrics["options"]["dim"], 4);
  EXPECT_EQ(metrics["dim"], 8) << "the model holds the posterior mean at rank 2 dim";
  EXPECT_EQ(load_model(out + "/model.mfrec").dim, 8u);
  r = test::run_cli("train --data_path " + data + " --optimizer mcmc --epochs 12 --burn_in 12 --output " + out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("--burn_in (12) must be less than --epochs (12)"), std::string::npos) << r.out;
  r = test::run_cli("train --data_path " + data + " --optimizer mcmc --dim 4 --epochs 12 --burn_in 8 --resume --output " + out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("mcmc cannot continue a chain"), std::string::npos) << r.out;
  r = test::run_cli("train --help");
  EXPECT_NE(r.out.find("--burn_in"), std::string::npos);
  EXPECT_NE(r.out.find("--noise_precision"), std::string::npos);
}

TEST(Mcmc, Ml100kU1BeatsTheTunedSgd) {
  MFREC_REQUIRE_DATA(dir, "ml-100k");
  Dataset data;
  Split split;
  {
    ReadOptions r{.path = dir + "/u1.base"};
    data.source = detect_source(r);
    Ratings train = read_ratings(data.source.ratings_file, data.source.layout, data.users, data.items, &data.report);
    r.path = dir + "/u1.test";
    Ratings test = read_ratings(detect_source(r).ratings_file, data.source.layout, data.users, data.items, nullptr);
    split = split_given(train, test, {.val_ratio = 0});
  }
  data.rating_min = 1, data.rating_max = 5;
  TrainOptions o = mcmc_options();
  o.dim = 16;
  o.epochs = 150;
  o.burn_in = 50;
  o.noise_precision = 1.5f;
  FitResult r = fit(data, split, o);
  EXPECT_LT(r.test.rmse, 0.912) << "the tuned sgd reaches 0.9191 on u1";
}

}  // namespace
}  // namespace mfrec
