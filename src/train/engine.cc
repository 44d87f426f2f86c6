#include "train/engine.h"

#include "mfrec/error.h"
#include "mfrec/metrics.h"

namespace mfrec {

double Engine::rmse(const Ratings& ratings) { return rmse_raw(model_, ratings); }

std::vector<std::string> optimizer_names() { return {"adam", "sgd", "als", "mcmc"}; }

std::unique_ptr<Engine> make_engine(Model& model, const Ratings& train, const TrainOptions& o) {
  if (o.device == "cuda") {
    std::string why;
    if (!cuda_available(&why)) throw DataError("--device cuda: " + why);
    return make_cuda(model, train, o);
  }
  if (o.optimizer == "adam") return make_adam(model, train, o);
  if (o.optimizer == "sgd") return make_sgd(model, train, o);
  if (o.optimizer == "als") return make_als(model, train, o);
  if (o.optimizer == "mcmc") return make_mcmc(model, train, o);
  throw UsageError("unknown optimizer '" + o.optimizer + "'");
}

}  // namespace mfrec
