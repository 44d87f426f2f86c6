#include "mfrec/error.h"
#include "train/engine.h"

namespace mfrec {
std::unique_ptr<Engine> make_sgd(Model&, const Ratings&, const TrainOptions&) {
  throw UsageError("--optimizer sgd is not built yet");
}
}  // namespace mfrec
