// Sparse mini-batch Adam on the GPU: the same computation as src/train/engines/adam.cc run by one thread.
// Per batch two kernels:
//   gradients  one warp per rating: prediction with the parameters as the batch found them, then the
//              gradient of the batch's mean squared error added (atomics) into dense per-row buffers;
//              the first touch of a row puts it on the batch's list of touched rows
//   apply      one warp per touched row: Keras' Adam step with L2 on the row, moments in fp32, the
//              factor stored back in its precision; clears the row's gradient and flag
// The order of an epoch is a keyed permutation computed in the kernels (no shuffle pass, no host
// transfer). An epoch's batches are captured once in CUDA Graphs of up to kWindow batches and replayed,
// so a 512-rating batch costs two graph kernel nodes and no launch from the host. With programmatic
// dependent launch (Hopper; MFREC_CUDA_PDL=0 turns it off) each kernel is launched while the previous
// one drains and waits in cudaGridDependencySynchronize() for its results.
#include <cstdlib>
#include <cstring>

#include "cuda/device_common.cuh"

namespace mfrec::cuda {
namespace {

constexpr uint32_t kWindow = 1024;  // batches per captured graph

struct EpochState {
  uint64_t step0;   // optimizer steps before this epoch
  uint64_t batch0;  // first batch of the graph being replayed
  Permutation order;
};

template <typename S>
struct AdamArgs {
  S* P;
  S* Q;
  float *bu, *bi;
  float *mP, *vP, *mQ, *vQ, *mbu, *vbu, *mbi, *vbi;  // Adam's moments, fp32
  float *gP, *gQ, *gbu, *gbi;                        // the batch's gradients; zero between batches
  uint32_t *flag_u, *flag_i;                         // 1 while a row is on the batch's list
  uint32_t *list_u, *list_i;                         // the batch's touched rows
  uint32_t* counts;                                  // per batch of the window: touched users, items
  const DeviceSample* samples;
  const EpochState* state;
  double* sse;
  uint64_t n;
  uint32_t dim, batch;
  float lr, beta1, beta2, eps, reg2, bias_reg2;
  bool biased;
};

// Hopper's programmatic dependent launch: let the next kernel launch now, wait for the previous one.
// Without the launch attribute both are no-ops.
__device__ __forceinline__ void chain_kernels() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  cudaTriggerProgrammaticLaunchCompletion();
  cudaGridDependencySynchronize();
#endif
}

__global__ void set_epoch(EpochState* state, double* sse, uint64_t step0, Permutation order) {
  state->step0 = step0;
  state->batch0 = 0;
  state->order = order;
  *sse = 0;
}

__global__ void next_window(EpochState* state) {
  chain_kernels();
  if (blockIdx.x == 0 && threadIdx.x == 0) state->batch0 += kWindow;
}

template <typename S>
__global__ void __launch_bounds__(kThreads) adam_gradients(AdamArgs<S> a, uint32_t b, uint32_t len) {
  chain_kernels();
  const uint32_t lane = threadIdx.x & 31, j = blockIdx.x * kWarps + (threadIdx.x >> 5);
  double err2 = 0;
  if (j < len) {
    const uint32_t k = a.dim;
    const uint64_t pos = (a.state->batch0 + b) * a.batch + j;
    const DeviceSample s = a.samples[a.state->order(pos)];
    const S* p = a.P + size_t(s.user) * k;
    const S* q = a.Q + size_t(s.item) * k;
    float dot = 0;
    for (uint32_t c = lane; c < k; c += 32) dot += Io<S>::load(p + c) * Io<S>::load(q + c);
    dot = warp_sum(dot);
    float pred = s.base + dot;
    if (a.biased) pred += a.bu[s.user] + a.bi[s.item];
    const float err = pred - s.rating;
    const float g = 2.0f / float(len) * err;  // d/dpred of the batch's mean squared error
    float* gp = a.gP + size_t(s.user) * k;
    float* gq = a.gQ + size_t(s.item) * k;
    for (uint32_t c = lane; c < k; c += 32) {
      atomicAdd(gp + c, g * Io<S>::load(q + c));
      atomicAdd(gq + c, g * Io<S>::load(p + c));
    }
    if (lane == 0) {
      if (atomicExch(a.flag_u + s.user, 1u) == 0) a.list_u[atomicAdd(a.counts + 2 * b, 1u)] = s.user;
      if (atomicExch(a.flag_i + s.item, 1u) == 0) a.list_i[atomicAdd(a.counts + 2 * b + 1, 1u)] = s.item;
      if (a.biased) {
        atomicAdd(a.gbu + s.user, g);
        atomicAdd(a.gbi + s.item, g);
      }
      err2 = double(err) * err;
    }
  }
  block_add(err2, a.sse);
}

template <typename S>
__global__ void __launch_bounds__(kThreads) adam_apply(AdamArgs<S> a, uint32_t b) {
  chain_kernels();
  __shared__ AdamStep step;
  __shared__ uint64_t t;
  if (threadIdx.x == 0) {
    t = a.state->step0 + a.state->batch0 + b + 1;
    step = AdamStep{adam_lr_t(a.lr, a.beta1, a.beta2, t), a.beta1, a.beta2, a.eps};
  }
  __syncthreads();
  const uint32_t lane = threadIdx.x & 31, j = blockIdx.x * kWarps + (threadIdx.x >> 5);
  const uint32_t n_users = a.counts[2 * b], n_items = a.counts[2 * b + 1];
  if (j >= n_users + n_items) return;
  const bool user = j < n_users;
  const uint32_t row = user ? a.list_u[j] : a.list_i[j - n_users];
  const uint32_t k = a.dim;
  const size_t at = size_t(row) * k;
  S* w = (user ? a.P : a.Q) + at;
  float* m = (user ? a.mP : a.mQ) + at;
  float* v = (user ? a.vP : a.vQ) + at;
  float* g = (user ? a.gP : a.gQ) + at;
  const uint32_t noise_row = user ? row : row ^ 0x80000000u;
  for (uint32_t c = lane; c < k; c += 32) {
    float x = Io<S>::load(w + c), mc = m[c], vc = v[c];
    adam_update(x, g[c], mc, vc, a.reg2, step);
    m[c] = mc;
    v[c] = vc;
    g[c] = 0;
    Io<S>::store_update(w + c, x, rounding_noise(t, noise_row, c));
  }
  if (lane == 0) {
    (user ? a.flag_u : a.flag_i)[row] = 0;
    if (a.biased) {
      float* bias = (user ? a.bu : a.bi) + row;
      float* gb = (user ? a.gbu : a.gbi) + row;
      float* mb = (user ? a.mbu : a.mbi) + row;
      float* vb = (user ? a.vbu : a.vbi) + row;
      float x = *bias, mc = *mb, vc = *vb;
      adam_update(x, *gb, mc, vc, a.bias_reg2, step);
      *bias = x;
      *mb = mc;
      *vb = vc;
      *gb = 0;
    }
  }
}

class GraphExec {
 public:
  GraphExec() = default;
  ~GraphExec() {
    if (exec_) cudaGraphExecDestroy(exec_);
  }
  GraphExec(const GraphExec&) = delete;
  GraphExec& operator=(const GraphExec&) = delete;
  void reset(cudaGraphExec_t e) {
    if (exec_) cudaGraphExecDestroy(exec_);
    exec_ = e;
  }
  void launch(cudaStream_t s) const { check(cudaGraphLaunch(exec_, s), "launching an epoch's graph"); }

 private:
  cudaGraphExec_t exec_ = nullptr;
};

bool pdl_wanted() {
  const char* v = std::getenv("MFREC_CUDA_PDL");
  return !(v && (std::strcmp(v, "0") == 0 || std::strcmp(v, "off") == 0));
}

template <typename S>
class AdamTrainer final : public TrainerBase<S> {
  using Base = TrainerBase<S>;

 public:
  AdamTrainer(const HostParams& h, const std::vector<DeviceSample>& train, const AdamSettings& s)
      : Base(h),
        s_(s),
        n_(train.size()),
        batch_(uint32_t(std::min<uint64_t>(s.batch_size, std::max<size_t>(n_, 1)))),
        batches_((n_ + batch_ - 1) / batch_),
        full_windows_((batches_ - 1) / kWindow),
        samples_(n_, "the training ratings"),
        mP_(h.n_users * h.dim, "Adam's moments"), vP_(mP_.size(), "Adam's moments"),
        mQ_(h.n_items * h.dim, "Adam's moments"), vQ_(mQ_.size(), "Adam's moments"),
        mbu_(h.n_users, "Adam's moments"), vbu_(h.n_users, "Adam's moments"),
        mbi_(h.n_items, "Adam's moments"), vbi_(h.n_items, "Adam's moments"),
        gP_(mP_.size(), "the batch gradients"), gQ_(mQ_.size(), "the batch gradients"),
        gbu_(h.n_users, "the batch gradients"), gbi_(h.n_items, "the batch gradients"),
        flag_u_(h.n_users, "the touched-row flags"), flag_i_(h.n_items, "the touched-row flags"),
        list_u_(batch_, "the touched-row lists"), list_i_(batch_, "the touched-row lists"),
        counts_(2 * kWindow, "the touched-row counts"),
        state_(1, "the epoch state"),
        sse_(1, "the loss sum"),
        pdl_(pdl_wanted()) {
    if (n_ == 0) throw DataError("CUDA: no training ratings");
    samples_.upload(train.data(), this->stream_);
    for (auto* buf : {&mP_, &vP_, &mQ_, &vQ_, &mbu_, &vbu_, &mbi_, &vbi_, &gP_, &gQ_, &gbu_, &gbi_})
      buf->zero(this->stream_);
    flag_u_.zero(this->stream_);
    flag_i_.zero(this->stream_);
    this->stream_.sync("setting up Adam on the GPU");
    if (full_windows_) capture(window_, kWindow, false);
    capture(tail_, uint32_t(batches_ - full_windows_ * kWindow), true);
    // Load set_epoch's code now rather than inside the first timed epoch (lazy module loading).
    set_epoch<<<1, 1, 0, this->stream_>>>(state_.get(), sse_.get(), 0, Permutation::make(n_, 0));
    check(cudaGetLastError(), "setting up Adam on the GPU");
    this->stream_.sync("setting up Adam on the GPU");
  }

  double run_epoch(uint32_t epoch) override {
    set_epoch<<<1, 1, 0, this->stream_>>>(state_.get(), sse_.get(), steps_,
                                          Permutation::make(n_, epoch_key(s_.seed, epoch, 0)));
    check(cudaGetLastError(), "starting an epoch");
    for (uint64_t w = 0; w < full_windows_; ++w) window_.launch(this->stream_);
    tail_.launch(this->stream_);
    check(cudaMemcpyAsync(host_sse_.get(), sse_.get(), sizeof(double), cudaMemcpyDeviceToHost, this->stream_),
          "reading the epoch's loss");
    this->stream_.sync("running an Adam epoch");
    steps_ += batches_;
    return *host_sse_.get() / double(n_);
  }

 private:
  AdamArgs<S> args() {
    const HostParams& h = this->h_;
    AdamArgs<S> a;
    a.P = this->P_.get(), a.Q = this->Q_.get(), a.bu = this->bu_.get(), a.bi = this->bi_.get();
    a.mP = mP_.get(), a.vP = vP_.get(), a.mQ = mQ_.get(), a.vQ = vQ_.get();
    a.mbu = mbu_.get(), a.vbu = vbu_.get(), a.mbi = mbi_.get(), a.vbi = vbi_.get();
    a.gP = gP_.get(), a.gQ = gQ_.get(), a.gbu = gbu_.get(), a.gbi = gbi_.get();
    a.flag_u = flag_u_.get(), a.flag_i = flag_i_.get(), a.list_u = list_u_.get(), a.list_i = list_i_.get();
    a.counts = counts_.get(), a.samples = samples_.get(), a.state = state_.get(), a.sse = sse_.get();
    a.n = n_, a.dim = h.dim, a.batch = batch_;
    a.lr = s_.lr, a.beta1 = s_.beta1, a.beta2 = s_.beta2, a.eps = s_.eps;
    a.reg2 = 2 * s_.reg, a.bias_reg2 = 2 * s_.bias_reg, a.biased = h.biased;
    return a;
  }

  template <typename... Params, typename... Args>
  cudaError_t launch(void (*kernel)(Params...), uint32_t blocks, bool pdl, Args... args) {
    cudaLaunchAttribute attr[1];
    attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr[0].val.programmaticStreamSerializationAllowed = 1;
    cudaLaunchConfig_t cfg{};
    cfg.gridDim = dim3(blocks);
    cfg.blockDim = dim3(kThreads);
    cfg.stream = this->stream_;
    cfg.attrs = attr;
    cfg.numAttrs = pdl ? 1 : 0;
    return cudaLaunchKernelEx(&cfg, kernel, args...);
  }

  // Records `count` batches (the epoch's last when `last`, whose final batch may be short) as one graph.
  void capture(GraphExec& out, uint32_t count, bool last) {
    for (bool pdl : {pdl_, false}) {  // where the driver refuses programmatic launches in graphs: without
      cudaStream_t s = this->stream_;
      check(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), "capturing an epoch");
      cudaError_t err = cudaMemsetAsync(counts_.get(), 0, counts_.bytes(), s);
      const AdamArgs<S> a = args();
      for (uint32_t b = 0; b < count && err == cudaSuccess; ++b) {
        const uint64_t first = (last ? batches_ - count + b : b) * uint64_t(batch_);
        const uint32_t len = uint32_t(std::min<uint64_t>(batch_, n_ - first));
        err = launch(adam_gradients<S>, (len + kWarps - 1) / kWarps, pdl && b > 0, a, b, len);
        if (err == cudaSuccess) err = launch(adam_apply<S>, (2 * len + kWarps - 1) / kWarps, pdl, a, b);
      }
      if (err == cudaSuccess && !last) err = launch(next_window, 1, pdl, state_.get());
      cudaGraph_t graph = nullptr;
      const cudaError_t end = cudaStreamEndCapture(s, &graph);
      if (err == cudaSuccess) err = end;
      cudaGraphExec_t exec = nullptr;
      if (err == cudaSuccess) err = cudaGraphInstantiate(&exec, graph, 0);
      if (graph) cudaGraphDestroy(graph);
      if (err == cudaSuccess) {
        out.reset(exec);
        return;
      }
      (void)cudaGetLastError();
      if (!pdl) check(err, "building an epoch's graph");
      pdl_ = false;
    }
  }

  AdamSettings s_;
  uint64_t n_;
  uint32_t batch_;
  uint64_t batches_;
  uint64_t full_windows_;  // graphs of kWindow batches; the rest (1 to kWindow, the last maybe short): tail_
  DeviceBuffer<DeviceSample> samples_;
  DeviceBuffer<float> mP_, vP_, mQ_, vQ_, mbu_, vbu_, mbi_, vbi_;
  DeviceBuffer<float> gP_, gQ_, gbu_, gbi_;
  DeviceBuffer<uint32_t> flag_u_, flag_i_, list_u_, list_i_, counts_;
  DeviceBuffer<EpochState> state_;
  DeviceBuffer<double> sse_;
  PinnedValue<double> host_sse_;
  bool pdl_;
  GraphExec window_, tail_;
  uint64_t steps_ = 0;
};

}  // namespace

std::unique_ptr<Trainer> make_adam_trainer(const HostParams& h, const std::vector<DeviceSample>& train,
                                           const AdamSettings& s) {
  switch (h.storage) {
    case Storage::bf16: return std::make_unique<AdamTrainer<Bf16>>(h, train, s);
    case Storage::f16: return std::make_unique<AdamTrainer<__half>>(h, train, s);
    default: return std::make_unique<AdamTrainer<float>>(h, train, s);
  }
}

}  // namespace mfrec::cuda
