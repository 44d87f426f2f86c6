// RMSE on the device: the sum of squared errors of held-out ratings, one warp per rating.
#include "cuda/device_common.cuh"

namespace mfrec::cuda {
namespace {

// The prediction is rmse_raw's: user mean + user bias + item bias + p.q, unclipped, in fp32; the
// error is taken in double as on the CPU.
template <typename S>
__global__ void __launch_bounds__(kThreads)
    sse_kernel(const S* __restrict__ P, const S* __restrict__ Q, const float* __restrict__ bu,
               const float* __restrict__ bi, uint32_t k, const DeviceSample* __restrict__ ratings, size_t n,
               double* sum) {
  const uint32_t lane = threadIdx.x & 31;
  const size_t first = size_t(blockIdx.x) * kWarps + (threadIdx.x >> 5), stride = size_t(gridDim.x) * kWarps;
  double se = 0;
  for (size_t j = first; j < n; j += stride) {
    const DeviceSample s = ratings[j];
    const S* p = P + size_t(s.user) * k;
    const S* q = Q + size_t(s.item) * k;
    float dot = 0;
    for (uint32_t c = lane; c < k; c += 32) dot += Io<S>::load(p + c) * Io<S>::load(q + c);
    dot = warp_sum(dot);
    const float pred = s.base + bu[s.user] + bi[s.item] + dot;
    const double e = double(pred) - double(s.rating);
    se += e * e;
  }
  block_add(se, sum);
}

template <typename S>
void launch(const void* P, const void* Q, const float* bu, const float* bi, uint32_t k, const DeviceSample* r,
            size_t n, double* sum, cudaStream_t stream) {
  static const int max_blocks = multiprocessors() * (2048 / kThreads);
  const int blocks = int(std::min<size_t>((n + kWarps - 1) / kWarps, size_t(max_blocks)));
  sse_kernel<S><<<blocks, kThreads, 0, stream>>>(static_cast<const S*>(P), static_cast<const S*>(Q), bu, bi, k, r, n, sum);
}

}  // namespace

double device_sse(Storage storage, const void* P, const void* Q, const float* user_bias, const float* item_bias,
                  uint32_t dim, const DeviceSample* ratings, size_t n, double* d_sum, double* h_sum,
                  cudaStream_t stream) {
  check(cudaMemsetAsync(d_sum, 0, sizeof(double), stream), "clearing the RMSE sum");
  switch (storage) {
    case Storage::bf16: launch<Bf16>(P, Q, user_bias, item_bias, dim, ratings, n, d_sum, stream); break;
    case Storage::f16: launch<__half>(P, Q, user_bias, item_bias, dim, ratings, n, d_sum, stream); break;
    default: launch<float>(P, Q, user_bias, item_bias, dim, ratings, n, d_sum, stream);
  }
  check(cudaGetLastError(), "launching the RMSE kernel");
  check(cudaMemcpyAsync(h_sum, d_sum, sizeof(double), cudaMemcpyDeviceToHost, stream), "reading the RMSE sum");
  check(cudaStreamSynchronize(stream), "computing the RMSE");
  return *h_sum;
}

}  // namespace mfrec::cuda
