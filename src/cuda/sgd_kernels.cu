// SGD on the GPU in the batch-Hogwild style of cuMF_SGD (Xie, Tan, Fong, Liang 2017): a persistent
// grid of warps, each a worker; one warp per update, each lane holding dim/32 elements of p_u and q_i in
// registers; the dot product by warp shuffles; updates written back without locks (Hogwild); factors in
// 16 bits (bf16 with stochastic rounding, or fp16), arithmetic in fp32.
// The ratings are shuffled once on the device; each epoch the workers then take chunks of 32
// consecutive ratings in a keyed random order of chunks (every rating once per epoch), and the lanes
// load a chunk in one coalesced read. Learning rate: cuMF_SGD's alpha / (1 + 0.3 t^1.5) at epoch t.
#include "cuda/device_common.cuh"

namespace mfrec::cuda {
namespace {

constexpr uint32_t kChunk = 32;  // ratings a worker takes at once: one per lane

template <typename S>
struct SgdArgs {
  S* P;
  S* Q;
  float *bu, *bi;
  const DeviceSample* samples;
  uint64_t n;
  Permutation chunks;  // the epoch's order of chunks
  uint32_t dim;
  float lr, reg, bias_reg;
  uint32_t salt;  // separates the rounding noise of epochs
  bool biased;
  double* sse;
};

__global__ void gather(const DeviceSample* __restrict__ in, DeviceSample* __restrict__ out, uint64_t n, Permutation perm) {
  for (uint64_t j = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; j < n; j += uint64_t(gridDim.x) * blockDim.x)
    out[j] = in[perm(j)];
}

// One update on rating (u, i, r); returns r's error before it. CH > 0: each lane keeps CH elements in
// registers (dim <= 32 * CH); CH == 0: any dim, reading the rows twice.
template <typename S, int CH>
__device__ __forceinline__ float update(const SgdArgs<S>& a, uint32_t u, uint32_t i, float r, float base,
                                        uint32_t lane, uint32_t noise_step) {
  const uint32_t k = a.dim;
  S* p = a.P + size_t(u) * k;
  S* q = a.Q + size_t(i) * k;
  float dot = 0;
  float pr[CH > 0 ? CH : 1], qr[CH > 0 ? CH : 1];
  if constexpr (CH > 0) {
#pragma unroll
    for (int t = 0; t < CH; ++t) {
      const uint32_t c = lane + 32 * t;
      pr[t] = c < k ? Io<S>::load(p + c) : 0.0f;
      qr[t] = c < k ? Io<S>::load(q + c) : 0.0f;
      dot += pr[t] * qr[t];
    }
  } else {
    for (uint32_t c = lane; c < k; c += 32) dot += Io<S>::load(p + c) * Io<S>::load(q + c);
  }
  dot = warp_sum(dot);
  float pred = base + dot;
  if (a.biased) pred += a.bu[u] + a.bi[i];
  const float err = r - pred;
  if constexpr (CH > 0) {
#pragma unroll
    for (int t = 0; t < CH; ++t) {
      const uint32_t c = lane + 32 * t;
      if (c < k) {
        sgd_update(pr[t], qr[t], err, a.lr, a.reg);
        Io<S>::store_update(p + c, pr[t], rounding_noise(noise_step, u, c));
        Io<S>::store_update(q + c, qr[t], rounding_noise(noise_step, i, c + k));
      }
    }
  } else {
    for (uint32_t c = lane; c < k; c += 32) {
      float x = Io<S>::load(p + c), y = Io<S>::load(q + c);
      sgd_update(x, y, err, a.lr, a.reg);
      Io<S>::store_update(p + c, x, rounding_noise(noise_step, u, c));
      Io<S>::store_update(q + c, y, rounding_noise(noise_step, i, c + k));
    }
  }
  if (lane == 0 && a.biased) {
    float b = a.bu[u];
    sgd_bias_update(b, err, a.lr, a.bias_reg);
    a.bu[u] = b;
    b = a.bi[i];
    sgd_bias_update(b, err, a.lr, a.bias_reg);
    a.bi[i] = b;
  }
  return err;
}

template <typename S, int CH>
__global__ void __launch_bounds__(kThreads) sgd_epoch(SgdArgs<S> a) {
  const uint32_t lane = threadIdx.x & 31;
  const uint64_t worker = uint64_t(blockIdx.x) * kWarps + (threadIdx.x >> 5), workers = uint64_t(gridDim.x) * kWarps;
  const uint64_t n_chunks = (a.n + kChunk - 1) / kChunk;
  double sse = 0;
  for (uint64_t c = worker; c < n_chunks; c += workers) {
    const uint64_t first = a.chunks(c) * kChunk;
    const uint32_t len = a.n - first < kChunk ? uint32_t(a.n - first) : kChunk;
    DeviceSample mine{0, 0, 0, 0};
    if (lane < len) mine = a.samples[first + lane];
    for (uint32_t j = 0; j < len; ++j) {
      const uint32_t u = __shfl_sync(kFullMask, mine.user, j), i = __shfl_sync(kFullMask, mine.item, j);
      const float r = __shfl_sync(kFullMask, mine.rating, j), base = __shfl_sync(kFullMask, mine.base, j);
      const float err = update<S, CH>(a, u, i, r, base, lane, a.salt + uint32_t(first) + j);
      sse += double(err) * err;
    }
  }
  block_add(sse, a.sse);
}

template <typename S>
class SgdTrainer final : public TrainerBase<S> {
  using Base = TrainerBase<S>;

 public:
  SgdTrainer(const HostParams& h, const std::vector<DeviceSample>& train, const SgdSettings& s)
      : Base(h), s_(s), n_(train.size()), samples_(n_, "the training ratings"), sse_(1, "the loss sum") {
    if (n_ == 0) throw DataError("CUDA: no training ratings");
    {  // shuffle once on the device
      DeviceBuffer<DeviceSample> given(n_, "the training ratings");
      given.upload(train.data(), this->stream_);
      gather<<<multiprocessors() * 4, kThreads, 0, this->stream_>>>(given.get(), samples_.get(), n_,
                                                                    Permutation::make(n_, epoch_key(s.seed, 0, 1)));
      check(cudaGetLastError(), "shuffling the training ratings");
      this->stream_.sync("shuffling the training ratings");
    }
    const uint32_t k = h.dim;
    kernel_ = k <= 32 ? sgd_epoch<S, 1> : k <= 64 ? sgd_epoch<S, 2> : k <= 128 ? sgd_epoch<S, 4> : sgd_epoch<S, 0>;
    int per_sm = 0;
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel_, kThreads, 0), "sizing the SGD grid");
    const uint64_t needed = (n_ + uint64_t(kChunk) * kWarps - 1) / (uint64_t(kChunk) * kWarps);
    blocks_ = uint32_t(std::max<uint64_t>(1, std::min<uint64_t>(uint64_t(std::max(per_sm, 1)) * multiprocessors(), needed)));
  }

  double run_epoch(uint32_t epoch) override {
    SgdArgs<S> a;
    a.P = this->P_.get(), a.Q = this->Q_.get(), a.bu = this->bu_.get(), a.bi = this->bi_.get();
    a.samples = samples_.get(), a.n = n_;
    a.chunks = Permutation::make((n_ + kChunk - 1) / kChunk, epoch_key(s_.seed, epoch, 2));
    a.dim = this->h_.dim, a.lr = sgd_lr(s_.lr, epoch), a.reg = s_.reg, a.bias_reg = s_.bias_reg;
    a.salt = mix32(epoch * 0x9e3779b9u), a.biased = this->h_.biased, a.sse = sse_.get();
    sse_.zero(this->stream_);
    kernel_<<<blocks_, kThreads, 0, this->stream_>>>(a);
    check(cudaGetLastError(), "launching the SGD epoch");
    check(cudaMemcpyAsync(host_sse_.get(), sse_.get(), sizeof(double), cudaMemcpyDeviceToHost, this->stream_),
          "reading the epoch's loss");
    this->stream_.sync("running an SGD epoch");
    return *host_sse_.get() / double(n_);
  }

 private:
  SgdSettings s_;
  uint64_t n_;
  DeviceBuffer<DeviceSample> samples_;
  DeviceBuffer<double> sse_;
  PinnedValue<double> host_sse_;
  void (*kernel_)(SgdArgs<S>) = nullptr;
  uint32_t blocks_ = 1;
};

}  // namespace

std::unique_ptr<Trainer> make_sgd_trainer(const HostParams& h, const std::vector<DeviceSample>& train,
                                          const SgdSettings& s) {
  switch (h.storage) {
    case Storage::bf16: return std::make_unique<SgdTrainer<Bf16>>(h, train, s);
    case Storage::f16: return std::make_unique<SgdTrainer<__half>>(h, train, s);
    default: return std::make_unique<SgdTrainer<float>>(h, train, s);
  }
}

}  // namespace mfrec::cuda
