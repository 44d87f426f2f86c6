#pragma once
// The seam between the engine (cuda_engine.cc, g++) and the kernels (*.cu, nvcc): plain types only,
// so the .cu files need none of the model's headers and the .cc none of CUDA's.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mfrec::cuda {

enum class Storage : uint8_t { f32 = 0, bf16 = 1, f16 = 2 };  // as mfrec::Precision

// One rating as the kernels read it (16 bytes): the user's mean rating folded in, as train/parts/samples.h.
struct DeviceSample {
  uint32_t user, item;
  float rating;
  float base;
};

// The model's parameters in host memory: P and Q in their storage type (n x dim, rows contiguous).
struct HostParams {
  Storage storage = Storage::f32;
  uint32_t dim = 0;
  size_t n_users = 0, n_items = 0;
  void* P = nullptr;
  void* Q = nullptr;
  float* user_bias = nullptr;
  float* item_bias = nullptr;
  bool biased = true;  // false: the biases stay as they are (zero for the plain model)
};

struct AdamSettings {
  float lr, beta1, beta2, eps, reg, bias_reg;
  uint32_t batch_size;
  uint64_t seed;
};

struct SgdSettings {
  float lr, reg, bias_reg;  // lr is alpha of the schedule alpha / (1 + 0.3 t^1.5)
  uint64_t seed;
};

// An optimizer whose parameters, moments and training ratings live on the GPU.
class Trainer {
 public:
  virtual ~Trainer() = default;
  // One pass over the training ratings; the mean squared error of the predictions made before each
  // update (as the CPU engines report it).
  virtual double run_epoch(uint32_t epoch) = 0;
  // Held-out ratings for rmse(): uploaded once, kept until replaced.
  virtual void set_eval(const std::vector<DeviceSample>& ratings) = 0;
  // RMSE (unclipped) of the current parameters on the set_eval() ratings, reduced on the device.
  virtual double eval_rmse() = 0;
  // Copies the parameters into `host` (same shapes and storage as at construction).
  virtual void download(const HostParams& host) = 0;
};

// Whether a CUDA device is there and can run this build's kernels; `why` says what is missing.
bool device_usable(std::string* why);

std::unique_ptr<Trainer> make_adam_trainer(const HostParams& params, const std::vector<DeviceSample>& train,
                                           const AdamSettings& settings);
std::unique_ptr<Trainer> make_sgd_trainer(const HostParams& params, const std::vector<DeviceSample>& train,
                                          const SgdSettings& settings);

}  // namespace mfrec::cuda
