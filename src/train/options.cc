#include <omp.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "mfrec/error.h"
#include "mfrec/train.h"

namespace mfrec {

uint32_t TrainOptions::thread_count() const {
  if (threads) return threads;
  // Automatic: every core, except for Adam on the CPU, which runs two threads at most. They split the
  // dimensions and wait for each other at every batch: about 1.2x one thread on an idle machine of
  // two cores (BENCHMARKS.md), where one thread leaves the other core to shuffle. More threads were
  // never measured; and a thread the OS takes away stalls the other (with a busy loop on one of two
  // cores, two threads take 2.4x one thread's time: --threads 1 on a busy machine).
  if (optimizer == "adam" && device == "cpu") return uint32_t(std::clamp(omp_get_num_procs(), 1, 2));
  return uint32_t(std::max(1, omp_get_num_procs()));
}

void TrainOptions::validate() const {
  auto bad = [](const std::string& what) { throw UsageError(what); };
  const auto names = optimizer_names();
  if (std::find(names.begin(), names.end(), optimizer) == names.end())
    bad("unknown optimizer '" + optimizer + "' (expected adam, sgd, als or mcmc)");
  if (dim < 1 || dim > 4096) bad("--dim must be between 1 and 4096");
  if (batch_size < 1) bad("--batch_size must be at least 1");
  if (epochs < 1) bad("--epochs must be at least 1");
  if (!(lr > 0) || !std::isfinite(lr)) bad("--lr must be a positive number");
  if (!(reg >= 0) || !std::isfinite(reg)) bad("--reg must be >= 0");
  if (std::isnan(reg_bias) || !std::isfinite(reg_bias)) bad("--reg_bias must be a number");
  if (!(init_std >= 0) || !std::isfinite(init_std)) bad("--init_std must be >= 0");
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) bad("Adam's betas must be in [0, 1)");
  if (!(eps > 0)) bad("--eps must be positive");
  if (threads > 1024) bad("--threads must be at most 1024");
  if (device != "cpu" && device != "cuda") bad("--device must be cpu or cuda");
  if (!(noise_precision >= 0) || !std::isfinite(noise_precision)) bad("--noise_precision must be >= 0");
  if (optimizer == "mcmc" && burn_in >= epochs)
    bad("--burn_in (" + std::to_string(burn_in) + ") must be less than --epochs (" + std::to_string(epochs) +
        "): mcmc averages the sweeps after the burn-in");
}

namespace {

// A float as the double that prints as it was typed (0.001f would otherwise be 0.0010000000474974513).
double as_typed(float x) { return std::isfinite(x) ? std::stod(fmt::format("{}", x)) : double(x); }

}  // namespace

nlohmann::json TrainOptions::to_json() const {
  return {{"optimizer", optimizer}, {"model", kind == ModelKind::plain ? "plain" : "biased"},
          {"dim", dim},             {"lr", as_typed(lr)},
          {"batch_size", batch_size}, {"epochs", epochs},
          {"reg", as_typed(reg)},             {"reg_bias", as_typed(bias_reg())},
          {"init_std", as_typed(init_std)},   {"beta1", as_typed(beta1)},
          {"beta2", as_typed(beta2)},         {"eps", as_typed(eps)},
          {"patience", patience},   {"keep", keep_best ? "best" : "last"},
          {"threads", thread_count()},
          {"seed", seed},           {"precision", precision_name(precision)},
          {"device", device},       {"blocks", blocks},
          {"burn_in", burn_in},     {"noise_precision", as_typed(noise_precision)}};
}

}  // namespace mfrec
