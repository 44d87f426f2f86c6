#include "train/engine.h"

#include "mfrec/engines.h"
#include "mfrec/error.h"
#include "mfrec/metrics.h"

namespace mfrec {

double Engine::rmse(const Ratings& ratings) { return rmse_raw(model_, ratings); }

// A CUDA build without a usable device points to the CPU; a build without CUDA says so itself.
#ifdef MFREC_HAVE_CUDA
constexpr const char* kOnTheCpu = "; train on the CPU with `device` cpu";
#else
constexpr const char* kOnTheCpu = "";
#endif

std::unique_ptr<Engine> make_engine(Model& model, const Ratings& train, const TrainOptions& o, Ratings* lent) {
  const EngineInfo& engine = engine_info(o.optimizer);
  if (o.device == "cuda") {
    std::string why;
    if (!cuda_available(&why)) throw DataError("`device` cuda: " + why + kOnTheCpu);
    return make_cuda(model, train, o);
  }
  if (lent && engine.make_in_place) return engine.make_in_place(model, *lent, o);
  return engine.make(model, train, o);
}

}  // namespace mfrec
