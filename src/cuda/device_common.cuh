#pragma once
// What the CUDA trainers share: error checks, RAII device memory and streams, the storage types of
// the factors, warp and block reductions, and the parameters' device copy with its evaluation.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "cuda/backend.h"
#include "cuda/update_math.h"
#include "mfrec/error.h"

namespace mfrec::cuda {

// A failed CUDA call is a DataError (exit 1) in CUDA's own words, never a crash.
inline void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  (void)cudaGetLastError();  // clear it, so that the next call does not report it again
  throw DataError(std::string("CUDA: ") + what + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(size_t n, const char* what) : n_(n) {
    const cudaError_t e = cudaMalloc(reinterpret_cast<void**>(&ptr_), std::max<size_t>(bytes(), 1));
    if (e != cudaSuccess)
      check(e, (std::string("allocating ") + std::to_string((bytes() >> 20) + 1) + " MiB for " + what).c_str());
  }
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(n_, o.n_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() const { return ptr_; }
  size_t size() const { return n_; }
  size_t bytes() const { return n_ * sizeof(T); }
  void upload(const void* host, cudaStream_t s) {
    if (n_) check(cudaMemcpyAsync(ptr_, host, bytes(), cudaMemcpyHostToDevice, s), "copying to the GPU");
  }
  void download(void* host, cudaStream_t s) const {
    if (n_) check(cudaMemcpyAsync(host, ptr_, bytes(), cudaMemcpyDeviceToHost, s), "copying from the GPU");
  }
  void zero(cudaStream_t s) {
    if (n_) check(cudaMemsetAsync(ptr_, 0, bytes(), s), "clearing GPU memory");
  }

 private:
  T* ptr_ = nullptr;
  size_t n_ = 0;
};

// Page-locked host memory for the few bytes read back each epoch.
template <typename T>
class PinnedValue {
 public:
  PinnedValue() { check(cudaMallocHost(reinterpret_cast<void**>(&ptr_), sizeof(T)), "allocating pinned memory"); }
  ~PinnedValue() { cudaFreeHost(ptr_); }
  PinnedValue(const PinnedValue&) = delete;
  PinnedValue& operator=(const PinnedValue&) = delete;
  T* get() const { return ptr_; }

 private:
  T* ptr_ = nullptr;
};

class Stream {
 public:
  Stream() { check(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking), "creating a stream"); }
  ~Stream() { cudaStreamDestroy(s_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  operator cudaStream_t() const { return s_; }
  void sync(const char* what) const { check(cudaStreamSynchronize(s_), what); }

 private:
  cudaStream_t s_ = nullptr;
};

inline int multiprocessors() {
  int dev = 0, n = 0;
  check(cudaGetDevice(&dev), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev), "reading the multiprocessor count");
  return n;
}

// ---- storage of the factors: fp32, bf16 (raw bits, rounded as mfrec/precision.h), fp16 ----

struct Bf16 {
  uint16_t bits;
};

template <typename S>
struct Io;
template <>
struct Io<float> {
  static constexpr Storage storage = Storage::f32;
  __device__ static float load(const float* p) { return *p; }
  __device__ static void store_update(float* p, float x, uint32_t) { *p = x; }
};
template <>
struct Io<Bf16> {
  static constexpr Storage storage = Storage::bf16;
  __device__ static float load(const Bf16* p) { return bf16_to_float(p->bits); }
  // Optimizer steps are far below bf16's half ulp: stochastic rounding, as the CPU engines do.
  __device__ static void store_update(Bf16* p, float x, uint32_t noise) { p->bits = bf16_stochastic(x, noise); }
};
template <>
struct Io<__half> {
  static constexpr Storage storage = Storage::f16;
  __device__ static float load(const __half* p) { return __half2float(*p); }
  __device__ static void store_update(__half* p, float x, uint32_t) { *p = __float2half_rn(x); }
};

// ---- reductions ----

constexpr int kThreads = 256;  // threads per block of every trainer kernel
constexpr int kWarps = kThreads / 32;
constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float warp_sum(float x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(kFullMask, x, o);
  return x;
}

// Adds the values of lane 0 of each warp to *out, once per block. Every thread of the block calls it.
__device__ __forceinline__ void block_add(double lane0_value, double* out) {
  __shared__ double part[kWarps];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) part[warp] = lane0_value;
  __syncthreads();
  if (threadIdx.x == 0) {
    double s = 0;
    for (int w = 0; w < kWarps; ++w) s += part[w];
    if (s != 0) atomicAdd(out, s);
  }
}

// ---- the parameters on the device ----

// Sum of squared errors of `ratings` under P, Q and the biases, reduced on the device (eval.cu).
double device_sse(Storage storage, const void* P, const void* Q, const float* user_bias, const float* item_bias,
                  uint32_t dim, const DeviceSample* ratings, size_t n, double* d_sum, double* h_sum,
                  cudaStream_t stream);

// A trainer's parameters in storage type S, their evaluation and their way back to the host.
template <typename S>
class TrainerBase : public Trainer {
 public:
  explicit TrainerBase(const HostParams& h)
      : h_(h),
        P_(h.n_users * h.dim, "the user factors"),
        Q_(h.n_items * h.dim, "the item factors"),
        bu_(h.n_users, "the user biases"),
        bi_(h.n_items, "the item biases"),
        sum_(1, "a reduction") {
    if (h.storage != Io<S>::storage) throw DataError("CUDA: internal error: storage type mismatch");
    P_.upload(h.P, stream_);
    Q_.upload(h.Q, stream_);
    bu_.upload(h.user_bias, stream_);
    bi_.upload(h.item_bias, stream_);
    stream_.sync("copying the model to the GPU");
  }

  void set_eval(const std::vector<DeviceSample>& ratings) override {
    eval_ = DeviceBuffer<DeviceSample>(ratings.size(), "the evaluation ratings");
    eval_.upload(ratings.data(), stream_);
    stream_.sync("copying the evaluation ratings to the GPU");
  }

  double eval_rmse() override {
    const size_t n = eval_.size();
    if (n == 0) return std::nan("");
    const double sse = device_sse(Io<S>::storage, P_.get(), Q_.get(), bu_.get(), bi_.get(), h_.dim, eval_.get(), n,
                                  sum_.get(), host_sum_.get(), stream_);
    return std::sqrt(sse / double(n));
  }

  void download(const HostParams& host) override {
    if (host.dim != h_.dim || host.n_users != h_.n_users || host.n_items != h_.n_items || host.storage != h_.storage)
      throw DataError("CUDA: internal error: the model changed shape during training");
    P_.download(host.P, stream_);
    Q_.download(host.Q, stream_);
    bu_.download(host.user_bias, stream_);
    bi_.download(host.item_bias, stream_);
    stream_.sync("copying the model from the GPU");
  }

 protected:
  HostParams h_;
  Stream stream_;  // constructed before the buffers below are filled through it
  DeviceBuffer<S> P_, Q_;
  DeviceBuffer<float> bu_, bi_;
  DeviceBuffer<double> sum_;
  PinnedValue<double> host_sum_;
  DeviceBuffer<DeviceSample> eval_;
};

}  // namespace mfrec::cuda
