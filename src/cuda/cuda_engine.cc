// `--device cuda`: the Engine over the GPU trainers (backend.h). Compiled by g++ in CUDA builds only;
// src/train/device.cc answers for builds without CUDA.
#ifdef MFREC_HAVE_CUDA
#include <cmath>

#include "cuda/backend.h"
#include "mfrec/error.h"
#include "train/engine.h"

namespace mfrec {
namespace {

cuda::Storage storage_of(Precision p) {
  switch (p) {
    case Precision::bf16: return cuda::Storage::bf16;
    case Precision::fp16: return cuda::Storage::f16;
    default: return cuda::Storage::f32;
  }
}

cuda::HostParams host_params(Model& m) {
  cuda::HostParams h;
  h.storage = storage_of(m.precision());
  h.dim = m.dim;
  h.n_users = m.n_users();
  h.n_items = m.n_items();
  h.P = m.P.raw();
  h.Q = m.Q.raw();
  h.user_bias = m.user_bias.data();
  h.item_bias = m.item_bias.data();
  h.biased = m.kind == ModelKind::biased;
  if (m.P.rows() != h.n_users || m.Q.rows() != h.n_items || m.P.cols() != m.dim || m.Q.cols() != m.dim ||
      m.Q.precision() != m.P.precision() || m.user_mean.size() != h.n_users)
    throw DataError("`device` cuda: the model's tables do not agree in shape or precision");
  return h;
}

std::vector<cuda::DeviceSample> device_samples(const Ratings& r, const Model& m) {
  std::vector<cuda::DeviceSample> out(r.size());
  for (size_t k = 0; k < r.size(); ++k) {
    if (r.user[k] >= m.n_users() || r.item[k] >= m.n_items())
      throw DataError("`device` cuda: a rating's user or item is outside the model");
    out[k] = {r.user[k], r.item[k], r.value[k], m.user_mean[r.user[k]]};
  }
  return out;
}

class CudaEngine final : public Engine {
 public:
  CudaEngine(Model& model, const Ratings& train, const TrainOptions& o) : Engine(model) {
    const cuda::HostParams params = host_params(model);
    const std::vector<cuda::DeviceSample> samples = device_samples(train, model);
    if (o.optimizer == "sgd")
      trainer_ = cuda::make_sgd_trainer(params, samples, {o.lr, o.reg, o.bias_reg(), o.seed});
    else
      trainer_ = cuda::make_adam_trainer(params, samples,
                                         {o.lr, o.beta1, o.beta2, o.eps, o.reg, o.bias_reg(), o.batch_size, o.seed});
  }

  double run_epoch(uint32_t epoch) override { return trainer_->run_epoch(epoch); }

  // On the device; the ratings are uploaded when they differ from the last call's (the trainer asks
  // for the same validation part every epoch).
  double rmse(const Ratings& r) override {
    if (r.size() == 0) return std::nan("");
    if (r.user != eval_.user || r.item != eval_.item || r.value != eval_.value) {
      trainer_->set_eval(device_samples(r, model_));
      eval_.user = r.user;
      eval_.item = r.item;
      eval_.value = r.value;
    }
    return trainer_->eval_rmse();
  }

  void sync() override { trainer_->download(host_params(model_)); }

 private:
  std::unique_ptr<cuda::Trainer> trainer_;
  Ratings eval_;
};

}  // namespace

bool cuda_available(std::string* why) { return cuda::device_usable(why); }

std::unique_ptr<Engine> make_cuda(Model& model, const Ratings& train, const TrainOptions& o) {
  if (o.optimizer != "adam" && o.optimizer != "sgd")
    throw UsageError("`device` cuda trains with `optimizer` adam or sgd; " + o.optimizer + " runs on the CPU (`device` cpu)");
  std::string why;
  if (!cuda_available(&why)) throw DataError("`device` cuda: " + why + "; train on the CPU with `device` cpu");
  return std::make_unique<CudaEngine>(model, train, o);
}

}  // namespace mfrec
#endif  // MFREC_HAVE_CUDA
