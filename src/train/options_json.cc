// Train options from JSON by the CLI's option names (the Python package's keywords), each checked
// for its type: a bad value is named with the type it should have, an unknown name is refused.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "mfrec/error.h"
#include "mfrec/train.h"

namespace mfrec {
namespace {

using json = nlohmann::json;

[[noreturn]] void bad(const std::string& key, const char* want, const json& v) {
  throw UsageError(fmt::format("`{}` must be {}, not {}", key, want, v.dump(-1, ' ', true, json::error_handler_t::replace)));
}

template <typename T>
T integer(const std::string& key, const json& v) {
  const char* want = std::is_same_v<T, uint64_t> ? "a non-negative integer" : "a non-negative integer (32 bits)";
  if (v.is_number_integer() && (v.is_number_unsigned() || v.get<int64_t>() >= 0)) {
    const uint64_t x = v.get<uint64_t>();
    if (x > std::numeric_limits<T>::max()) bad(key, want, v);
    return T(x);
  }
  if (v.is_number_float()) {  // 32.0 from a Python float is still an integer
    const double x = v.get<double>();
    if (x >= 0 && x == std::floor(x) && x <= double(std::numeric_limits<T>::max())) return T(x);
  }
  bad(key, want, v);
}

double number(const std::string& key, const json& v) {
  if (!v.is_number()) bad(key, "a number", v);
  return v.get<double>();
}

std::string text(const std::string& key, const json& v) {
  if (!v.is_string()) bad(key, "a string", v);
  return v.get<std::string>();
}

}  // namespace

TrainOptions TrainOptions::from_json(const json& j) {
  if (!j.is_object()) throw UsageError("train options must be a JSON object of option names and values");
  TrainOptions o;
  for (const auto& [key, v] : j.items()) {
    if (key == "optimizer") o.optimizer = text(key, v);
    else if (key == "model") o.kind = parse_model_kind(text(key, v));
    else if (key == "dim") o.dim = integer<uint32_t>(key, v);
    else if (key == "lr") o.lr = float(number(key, v));
    else if (key == "batch_size") o.batch_size = integer<uint32_t>(key, v);
    else if (key == "epochs") o.epochs = integer<uint32_t>(key, v);
    else if (key == "reg") o.reg = float(number(key, v));
    else if (key == "reg_bias") o.reg_bias = v.is_null() ? -1.0f : float(number(key, v));
    else if (key == "init_std") o.init_std = float(number(key, v));
    else if (key == "beta1") o.beta1 = float(number(key, v));
    else if (key == "beta2") o.beta2 = float(number(key, v));
    else if (key == "eps") o.eps = float(number(key, v));
    else if (key == "patience") o.patience = integer<uint32_t>(key, v);
    else if (key == "keep") {
      const std::string k = text(key, v);
      if (k != "best" && k != "last") bad(key, "\"best\" or \"last\"", v);
      o.keep_best = k == "best";
    } else if (key == "threads") o.threads = integer<uint32_t>(key, v);
    else if (key == "seed") o.seed = integer<uint64_t>(key, v);
    else if (key == "precision") o.precision = parse_precision(text(key, v));
    else if (key == "device") o.device = text(key, v);
    else if (key == "blocks") o.blocks = integer<uint32_t>(key, v);
    else if (key == "burn_in") o.burn_in = integer<uint32_t>(key, v);
    else if (key == "noise_precision") o.noise_precision = float(number(key, v));
    else if (key == "schedule") o.schedule = text(key, v);
    else if (key == "alpha") o.alpha = float(number(key, v));
    else if (key == "confidence") o.confidence = parse_confidence(text(key, v));
    else if (key == "unobserved_weight") o.unobserved_weight = float(number(key, v));
    else if (key == "reg_exponent") o.reg_exponent = float(number(key, v));
    else if (key == "recency") o.recency = float(number(key, v));
    else if (key == "solver") o.solver = text(key, v);
    else if (key == "cg_steps") o.cg_steps = integer<uint32_t>(key, v);
    else if (key == "sampling") o.sampling = text(key, v);
    else if (key == "memory_budget_mb") o.memory_budget_mb = number(key, v);
    else throw UsageError(fmt::format("unknown train option `{}`", key));
  }
  o.validate();
  return o;
}

}  // namespace mfrec
