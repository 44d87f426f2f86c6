// Whether `--device cuda` can run here. The CUDA build (src/cuda/) answers for itself.
#include "mfrec/train.h"
#include "train/engine.h"
#include "mfrec/error.h"

namespace mfrec {

#ifndef MFREC_HAVE_CUDA
bool cuda_available(std::string* why) {
  if (why) *why = "this mfrec was built without CUDA (no nvcc at build time; see MFREC_CUDA in the README)";
  return false;
}

std::unique_ptr<Engine> make_cuda(Model&, const Ratings&, const TrainOptions&) {
  throw DataError("this mfrec was built without CUDA");
}
#endif

}  // namespace mfrec
