#include <omp.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "mfrec/engines.h"
#include "mfrec/error.h"
#include "mfrec/train.h"

namespace mfrec {

uint32_t TrainOptions::thread_count() const {
  if (threads) return threads;
  // Automatic: every core, or the engine's cap on the CPU (Adam: two, see its row in registry.cc).
  const uint32_t cap = device == "cpu" ? engine_info(optimizer).max_auto_threads : 0;
  const int cores = std::max(1, omp_get_num_procs());
  return cap ? std::min<uint32_t>(cap, uint32_t(cores)) : uint32_t(cores);
}

uint32_t TrainOptions::threads_for(size_t n_train, double load_average, std::string* why) const {
  const uint32_t n = thread_count();
  if (threads || n < 2 || device != "cpu" || engine_info(optimizer).max_auto_threads == 0) return n;
  const int cores = std::max(1, omp_get_num_procs());
  // A thread the OS takes away stalls the others at every batch (far slower than one thread with a
  // core busy, BENCHMARKS.md); and a batch of a tiny set is over before two threads have met.
  constexpr size_t kTiny = 20000;
  if (load_average > double(cores) - 0.75) {
    if (why) *why = fmt::format("the machine is busy (load average {:.2f} on {} cores)", load_average, cores);
    return 1;
  }
  if (n_train < kTiny) {
    if (why) *why = fmt::format("the training part is small ({} ratings)", n_train);
    return 1;
  }
  return n;
}

void TrainOptions::validate() const {
  auto bad = [](const std::string& what) { throw UsageError(what); };
  const EngineInfo& engine = engine_info(optimizer);
  if (dim < 1 || dim > 4096) bad("`dim` must be between 1 and 4096");
  if (batch_size < 1) bad("`batch_size` must be at least 1");
  if (epochs < 1) bad("`epochs` must be at least 1");
  if (!(lr > 0) || !std::isfinite(lr)) bad("`lr` must be a positive number");
  if (!(reg >= 0) || !std::isfinite(reg)) bad("`reg` must be >= 0");
  if (std::isnan(reg_bias) || !std::isfinite(reg_bias)) bad("`reg_bias` must be a number");
  if (!(init_std >= 0) || !std::isfinite(init_std)) bad("`init_std` must be >= 0");
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) bad("Adam's betas (`beta1`, `beta2`) must be in [0, 1)");
  if (!(eps > 0)) bad("`eps` must be positive");
  if (threads > 1024) bad("`threads` must be at most 1024");
  if (device != "cpu" && device != "cuda") bad("`device` must be cpu or cuda");
  if (device == "cuda" && !engine.cuda) bad("`device` cuda does not train " + optimizer + ": it runs on the CPU (`device` cpu)");
  if (engine.validate) engine.validate(*this);
}

namespace {

// A float as the double that prints as it was typed (0.001f would otherwise be 0.0010000000474974513).
double as_typed(float x) { return std::isfinite(x) ? std::stod(fmt::format("{}", x)) : double(x); }

}  // namespace

nlohmann::json TrainOptions::to_json() const {
  nlohmann::json j = {{"optimizer", optimizer}, {"model", model_kind_name(kind)},
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
  // The options only some engines read are written for those engines alone.
  const nlohmann::json extra = {{"schedule", schedule}, {"alpha", as_typed(alpha)},
                                {"confidence", confidence_name(confidence)},
                                {"unobserved_weight", as_typed(unobserved_weight)}, {"reg_exponent", as_typed(reg_exponent)}, {"recency", as_typed(recency)},
                                {"solver", solver}, {"cg_steps", cg_steps}, {"sampling", sampling},
                                {"memory_budget_mb", memory_budget_mb}};
  for (const std::string& name : engine_info(optimizer).options)
    if (extra.contains(name)) j[name] = extra[name];
  return j;
}

}  // namespace mfrec
