#include "mfrec/error.h"
#include "train/engine.h"

namespace mfrec {
std::unique_ptr<Engine> make_als(Model&, const Ratings&, const TrainOptions&) {
  throw UsageError("--optimizer als is not built yet");
}
}  // namespace mfrec
