// Whether `--device cuda` can run here: a driver, a device, and kernels built for it.
#include <string>

#include "cuda/device_common.cuh"

namespace mfrec::cuda {
namespace {

__global__ void probe_kernel() {}

std::string describe(cudaError_t e) { return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e); }

}  // namespace

bool device_usable(std::string* why) {
  auto fail = [&](const std::string& what) {
    (void)cudaGetLastError();
    if (why) *why = what;
    return false;
  };
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e == cudaErrorNoDevice || (e == cudaSuccess && count == 0)) return fail("no CUDA device found");
  if (e == cudaErrorInsufficientDriver)
    return fail("no usable NVIDIA driver (none installed, or older than this build's CUDA runtime " +
                std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 1000 / 10) + " needs)");
  if (e != cudaSuccess) return fail("no usable CUDA device (" + describe(e) + ")");
  int dev = 0;
  cudaDeviceProp prop{};
  if (const cudaError_t g = cudaGetDevice(&dev); g != cudaSuccess) return fail("cannot select a CUDA device (" + describe(g) + ")");
  if (const cudaError_t g = cudaGetDeviceProperties(&prop, dev); g != cudaSuccess)
    return fail("cannot read the CUDA device's properties (" + describe(g) + ")");
  const std::string name = std::string(prop.name) + " (compute capability " + std::to_string(prop.major) + "." +
                           std::to_string(prop.minor) + ")";
  // Loads this build's code for the device: fails where neither its machine code nor its PTX fits.
  cudaFuncAttributes attr{};
  if (const cudaError_t g = cudaFuncGetAttributes(&attr, probe_kernel); g != cudaSuccess)
    return fail("GPU " + std::to_string(dev) + ", " + name + ", cannot run this build's kernels (" + describe(g) +
                "); rebuild with -DMFREC_CUDA_ARCHITECTURES=<its architecture>");
  if (why)
    *why = "GPU " + std::to_string(dev) + ": " + name + ", " + std::to_string(prop.multiProcessorCount) +
           " multiprocessors, " + std::to_string(prop.totalGlobalMem >> 20) + " MiB";
  return true;
}

}  // namespace mfrec::cuda
